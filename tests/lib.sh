# Shell test helpers: TAP output, assertions, a private MINCA_HOME per script.
# Source from a test script; call `finish` at the end.
set -u
T_N=0
T_FAILED=0
MINCA=${MINCA_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/minca}
SRC=${MINCA_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SHARED=${MINCA_SHARED:-$SRC/../shared}
T_TMP=$(mktemp -d /tmp/minca-t.XXXXXX)
chmod 755 "$T_TMP"

ok()     { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $*"; }
skip()   { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP ${2:-}"; }

# check NAME COMMAND...: passes when the command exits 0.
check() { local name=$1; shift; if "$@" >>"$T_TMP/check.log" 2>&1; then ok "$name"; else not_ok "$name"; echo "# command failed: $*" >&2; tail -n 20 "$T_TMP/check.log" >&2; fi; }
# check_fails NAME COMMAND...: passes when the command exits non-zero.
check_fails() { local name=$1; shift; if "$@" >>"$T_TMP/check.log" 2>&1; then not_ok "$name"; echo "# expected failure: $*" >&2; else ok "$name"; fi; }
# check_eq NAME EXPECTED ACTUAL
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "# $1: expected [$2] got [$3]" >&2; fi; }
# check_match NAME REGEX TEXT
check_match() { if printf '%s' "$3" | grep -qE -- "$2"; then ok "$1"; else not_ok "$1"; echo "# $1: [$2] not found in: $(printf '%s' "$3" | head -c 2000)" >&2; fi; }
# check_no_match NAME REGEX TEXT: TEXT must not contain REGEX
check_no_match() { if printf '%s' "$3" | grep -qE -- "$2"; then not_ok "$1"; echo "# $1: [$2] found in: $(printf '%s' "$3" | head -c 2000)" >&2; else ok "$1"; fi; }
# psql_q SQL: runs a query against the test database, prints unaligned tuples.
psql_q() { psql "$MINCA_DATABASE_URL" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
have_shared() { [ -d "$SHARED/data" ]; }
# finish: ends the script; a sourced helper may define finish_hook to add its last checks.
finish() { if declare -F finish_hook >/dev/null; then finish_hook; fi; rm -rf "$T_TMP"; [ "$T_FAILED" -eq 0 ]; }

# use_fresh_db NAME: points MINCA_DATABASE_URL at a new empty database NAME in the test
# cluster, so each script works on its own schema.
use_fresh_db() {
  local name=$1
  psql "$MINCA_DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1
  psql "$MINCA_DATABASE_URL" -X -q -c "CREATE DATABASE $name" >/dev/null || return 1
  MINCA_DATABASE_URL=$(printf '%s' "$MINCA_DATABASE_URL" | sed -E "s|^([a-z]+://[^/]*/)[^?]*|\1$name|")
  export MINCA_DATABASE_URL
}

# A minimal valid email on stdout: mk_eml MESSAGE_ID SUBJECT [BODY]
mk_eml() {
  printf 'From: Corredor Prueba <ventas@corredor-prueba.mx>\r\nTo: cotizaciones@aseguradora.mx\r\nSubject: %s\r\nMessage-ID: %s\r\nDate: Mon, 6 Oct 2025 09:14:00 -0600\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%b\r\n' "$2" "$1" "${3:-Buen día, solicito cotización de flotilla.\r\n\r\nRazón social: TRANSPORTES PRUEBA, S.A. DE C.V.\r\nRFC: TPR010101AB8\r\nCobertura: amplia}"
}

# json_get EXPR: evaluates a Python expression over the JSON document on stdin, bound to d.
json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null; }
