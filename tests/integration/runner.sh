#!/usr/bin/env bash
# The test runner itself (tests/run.sh with tests/lib.sh), on a tree of small suites made here:
# suites run side by side, the summary counts every TAP line as before, a PATTERN of unit tests
# starts no server, a suite's EXIT trap stops what it started, and a process a suite leaves
# running (its script killed before its cleanup) is stopped and reported as a failed test.
# runner: no-servers (the suites it makes need none)
source "$(dirname "$0")/../lib.sh"

tree="$T_TMP/tree"
mkdir -p "$tree/tests/integration" "$tree/tests/tools" "$tree/build/tests"
cp "$SRC/tests/run.sh" "$SRC/tests/lib.sh" "$tree/tests/"
cp "$SRC/tests/tools/leftovers.py" "$tree/tests/tools/"
: >"$tree/build/minca"; chmod +x "$tree/build/minca"
# A unit test program: TAP lines, one skipped.
printf '#!/bin/sh\necho "ok 1 - first"\necho "ok 2 - second"\necho "not ok 3 - third # SKIP not here"\n' >"$tree/build/tests/test_unit"
chmod +x "$tree/build/tests/test_unit"
suite() { # NAME BODY: a no-server integration suite
  { echo '#!/usr/bin/env bash'; echo '# runner: no-servers'; echo 'source "$(dirname "$0")/../lib.sh"'; printf '%s\n' "$2"; } \
    >"$tree/tests/integration/$1.sh"
}
# Two suites that wait for each other: both pass only when they run side by side.
suite side_a 'touch "$MINCA_TEST_OUT/a.started"
if wait_until 60 test -f "$MINCA_TEST_OUT/b.started"; then ok "a ran beside b"; else not_ok "a ran beside b"; fi; finish'
suite side_b 'touch "$MINCA_TEST_OUT/b.started"
if wait_until 60 test -f "$MINCA_TEST_OUT/a.started"; then ok "b ran beside a"; else not_ok "b ran beside a"; fi
not_ok "b fails"; finish'
# A background process is stopped by the script's own EXIT trap, even when the script fails.
suite tidy 'sleep 300 & echo $! >"$MINCA_TEST_OUT/tidy.pid"; ok "started"; exit 1'
# Killed before its cleanup: a process it started outlives it.
suite leak 'sleep 301 & echo $! >"$MINCA_TEST_OUT/leak.pid"; ok "started"; kill -9 $$'

out=$(cd "$tree" && MINCA_TEST_JOBS=2 bash tests/run.sh build 2>&1)
summary=$(printf '%s\n' "$out" | tail -n 1)
outdir() { printf '%s\n' "$1" | sed -n 's|^Output of every suite: \(.*\)/NAME.out.*|\1|p'; }
dir=$(outdir "$out")
check_eq "the last line counts the TAP lines: 6 passed, 4 failed (b, tidy's exit, leak's exit and its leftover), 1 skipped" \
  "6 passed, 4 failed, 1 skipped" "$summary"
check_match "the output directory is named" "^/tmp/minca-test\." "$dir"
check_match "the suite killed with a process running is reported" "\[leak\] not ok - leak left processes running \(stopped now\): [0-9]+.sleep 301" "$out"
check_no_match "a suite whose EXIT trap stopped its process is not reported for it" "tidy left processes" "$out"
check "the process the killed suite left is stopped" gone "$(cat "$dir/leak.pid" 2>/dev/null || echo 0)"
check "the process of the failing suite is stopped" gone "$(cat "$dir/tidy.pid" 2>/dev/null || echo 0)"
check_no_match "no server is started for suites that need none" "== servers" "$out"
check_match "two suites ran side by side" "\[side_a\] ok 1 - a ran beside b" "$out"
check "the times of the run are kept for the next one" grep -q '^side_a [0-9]' "$tree/build/test-times"
rm -rf "$dir"

out=$(cd "$tree" && bash tests/run.sh build '^test_' 2>&1)
check_eq "a unit-only PATTERN runs only those" "2 passed, 0 failed, 1 skipped" "$(printf '%s\n' "$out" | tail -n 1)"
check_no_match "and starts no server" "== servers" "$out"
d=$(outdir "$out"); [ -n "$d" ] && rm -rf "$d"
out=$(cd "$tree" && bash tests/run.sh build '^nothing$' 2>&1)
check_eq "a PATTERN that matches nothing fails" "0 passed, 1 failed" "$(printf '%s\n' "$out" | tail -n 1)"
finish
