#!/usr/bin/env bash
# Runs every test suite and ends with one line: "N passed, N failed[, N skipped]".
#
#   tests/run.sh [BUILD_DIR] [PATTERN]
#
# PATTERN (a regex) runs only the suites whose name matches, e.g. `tests/run.sh build batch`.
# Unit tests are cmocka programs (TAP output). Integration and TUI tests are shell scripts
# that print TAP lines through tests/lib.sh. All of them share one pair of throwaway
# PostgreSQL and Redis servers started here under a temporary MINCA_HOME.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ONLY=${2:-}
wanted() { [ -z "$ONLY" ] || [[ "$1" =~ $ONLY ]]; }
case "$BUILD" in /*) export MINCA_BIN="$BUILD/minca" ;; *) export MINCA_BIN="$PWD/$BUILD/minca" ;; esac
export MINCA_SRC="$PWD"
export LC_ALL=C.UTF-8 LANG=C.UTF-8
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
OUT=$(mktemp -d /tmp/minca-test.XXXXXX)
chmod 755 "$OUT"
export MINCA_TEST_OUT="$OUT"
passed=0 failed=0 skipped=0
failures=()

count() { # count TAP lines of one suite's output file; $1 = suite name, $2 = file, $3 = exit status
  local name=$1 file=$2 rc=$3 p f s
  # cmocka reports a skipped test as "not ok N # SKIP": a skip either way.
  p=$(grep -cE '^ok [0-9]+' "$file" | head -1)
  s=$(grep -cE '^(not )?ok [0-9]+.*# (SKIP|skip)' "$file" | head -1)
  f=$(grep -E '^not ok [0-9]+' "$file" | grep -cvE '# (SKIP|skip)' | head -1)
  p=$((p - $(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$file" | head -1)))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1; echo "not ok - $name exited with status $rc" >>"$file"
  fi
  if [ $((p + f + s)) -eq 0 ]; then f=1; echo "not ok - $name ran no test" >>"$file"; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  grep -E '^(not ok|ok)' "$file" | sed "s|^|  [$name] |"
  [ "$f" -gt 0 ] && failures+=("$name")
}

servers_started=0
start_servers() {
  export MINCA_HOME="$OUT/home"
  unset MINCA_DATABASE_URL MINCA_REDIS_URL
  if ! "$MINCA_BIN" db start >"$OUT/db-start.log" 2>&1; then
    echo "could not start the throwaway servers:"; cat "$OUT/db-start.log"
    return 1
  fi
  servers_started=1
  eval "$("$MINCA_BIN" db url --shell)"
  export MINCA_DATABASE_URL MINCA_REDIS_URL
  export MINCA_TEST_DATABASE_URL="$MINCA_DATABASE_URL" MINCA_TEST_REDIS_URL="$MINCA_REDIS_URL"
}
stop_servers() {
  [ "$servers_started" = 1 ] || return 0
  (unset MINCA_DATABASE_URL MINCA_REDIS_URL; "$MINCA_BIN" db stop >/dev/null 2>&1)
}
trap 'stop_servers' EXIT

echo "== servers"
start_servers || { echo "0 passed, 1 failed"; exit 1; }
echo "  PostgreSQL and Redis running under $MINCA_HOME"

echo "== unit and integration (C)"
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  wanted "$name" || continue
  CMOCKA_MESSAGE_OUTPUT=TAP timeout 600 "$t" >"$OUT/$name.out" 2>"$OUT/$name.err"
  count "$name" "$OUT/$name.out" $?
done

echo "== integration (shell)"
for t in tests/integration/*.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh)
  wanted "$name" || continue
  timeout 900 bash "$t" >"$OUT/$name.out" 2>"$OUT/$name.err"
  count "$name" "$OUT/$name.out" $?
done

if [ -z "${MINCA_TEST_SKIP_TUI:-}" ]; then
  echo "== tui (tmux)"
  for t in tests/tui/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    wanted "$name" || continue
    timeout 600 bash "$t" >"$OUT/$name.out" 2>"$OUT/$name.err"
    count "$name" "$OUT/$name.out" $?
  done
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "Failed suites (output under $OUT):"
  for f in "${failures[@]}"; do
    echo "--- $f"; tail -n 30 "$OUT/$f.err" 2>/dev/null
  done
fi
echo
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
