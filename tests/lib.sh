# Shell test helpers: TAP output, assertions, a scratch directory per script, and the
# cleanup of whatever the script started. Source from a test script; call `finish` at the end.
#
# Everything a script starts is stopped when it exits, also when it fails or is killed
# (SIGTERM from the runner's timeout): the EXIT trap set here stops the script's background
# jobs, runs the hooks registered with `on_exit`, then stops every process that is still the
# script's: one that inherited MINCA_TEST_SCRIPT, or runs in a directory under T_TMP (the
# servers a script starts under a MINCA_HOME of its own), or was recorded with `t_track`.
# Only then is T_TMP removed. Do not set a trap on EXIT in a test: use on_exit.
set -u
T_N=0
T_FAILED=0
MINCA=${MINCA_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/minca}
SRC=${MINCA_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SHARED=${MINCA_SHARED:-$SRC/../shared}
# tests/run.sh gives each suite a directory of its own (MINCA_TEST_DIR) that it checks after
# the suite for processes left running.
T_TMP=$(mktemp -d "${MINCA_TEST_DIR:-/tmp}/minca-t.XXXXXX")
chmod 755 "$T_TMP"
# The record of started processes lives outside T_TMP, so it survives T_TMP's removal.
T_PIDS="$T_TMP.pids"
: >"$T_PIDS"
export MINCA_TEST_SCRIPT="$T_TMP"
T_EXIT_HOOKS=()
T_DIRS=("$T_TMP")
# Under tests/run.sh, the suite's own directory too (its MINCA_HOME, where minca starts
# embedded servers when no URL is set).
[ -n "${MINCA_TEST_DIR:-}" ] && T_DIRS+=("$MINCA_TEST_DIR")
T_PY=$(command -v /usr/bin/python3 || command -v python3)

# on_exit COMMAND: runs COMMAND (eval'd) when the script exits, however it exits; the last
# registered runs first.
on_exit() { T_EXIT_HOOKS+=("$1"); }
# t_track PID [LABEL]: records a process the script started (a server that daemonizes away
# from the script) so that it is stopped on exit and found by the runner if it outlives the
# script.
t_track() {
  local st
  st=$(cut -d' ' -f22 "/proc/$1/stat" 2>/dev/null) || return 0
  printf '%s %s %s\n' "$1" "$st" "${2:-}" >>"$T_PIDS"
}
# t_dir DIR: a directory outside T_TMP whose processes (servers run from it) are the script's.
t_dir() { T_DIRS+=("$1"); }
t_exit() {
  local p
  trap - EXIT
  # Background jobs first (a stopped one is continued so it can take the signal).
  for p in $(jobs -p); do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
  for ((p = ${#T_EXIT_HOOKS[@]} - 1; p >= 0; p--)); do eval "${T_EXIT_HOOKS[$p]}"; done
  local args=(--env "MINCA_TEST_SCRIPT=$T_TMP" --pids "$T_PIDS" --kill) d
  for d in "${T_DIRS[@]}"; do args+=(--under "$d"); done
  local left
  left=$("$T_PY" "$SRC/tests/tools/leftovers.py" "${args[@]}" 2>&1)
  [ -n "$left" ] && printf '# stopped on exit: %s\n' "$left" | sed '2,$s/^/# /' >&2
  wait 2>/dev/null
  rm -rf "$T_TMP"
  rm -f "$T_PIDS"
}
trap t_exit EXIT

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

# Waiting on a condition, never for a fixed time. Deadlines are generous and stretched for an
# AddressSanitizer build (build-asan/), which runs several times slower.
case "$MINCA" in *build-asan*) T_WAIT_SCALE=4 ;; *) T_WAIT_SCALE=1 ;; esac
# wait_until SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds (returns 0) or
# SECONDS have passed (returns 1).
wait_until() {
  local deadline=$((SECONDS + $1 * T_WAIT_SCALE + 1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}
# sql_is SQL EXPECTED: the query prints EXPECTED. sql_ge SQL N: it prints a number >= N.
sql_is() { [ "$(psql_q "$1" 2>/dev/null)" = "$2" ]; }
sql_ge() { local v; v=$(psql_q "$1" 2>/dev/null); [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$2" ]; }
# gone PID: the process has exited.
gone() { ! kill -0 "$1" 2>/dev/null; }
# finish: ends the script; a sourced helper may define finish_hook to add its last checks.
# T_TMP itself is removed by the EXIT trap, after whatever ran in it has been stopped.
finish() { if declare -F finish_hook >/dev/null; then finish_hook; fi; [ "$T_FAILED" -eq 0 ]; }

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
