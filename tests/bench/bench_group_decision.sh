#!/usr/bin/env bash
# A decision on 4,000 rows at once beside a single-row decision, in the same run: key-to-screen
# time inside the desk (MINCA_TUI_TIMING) of the answer to the decision's question, the
# reload of the case view included. One case of 4,011 vehicles (tests/tools/gen_doubtful.py),
# 4,001 of them doubtful with one description: `a` then `o` accepts the first alone (the
# baseline), `a` then `y` accepts the other 4,000 like it.
set -uo pipefail
cd "$(dirname "$0")/../.."
MINCA=${MINCA_BIN:-$PWD/build/minca}
if ! command -v tmux >/dev/null; then echo "bench_group_decision: skipped (tmux is not installed)"; exit 0; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then echo "bench_group_decision: skipped (run through tests/bench/run.sh)"; exit 0; fi
ROWS=${BENCH_GROUP_ROWS:-4000}
. tests/bench/bench_lib.bash
bench_begin bench_group
export MINCA_INSURER=demo MINCA_USER=bench

python3 tests/tools/gen_doubtful.py "$TMP/gen" --rows $((ROWS + 11)) --descriptions 1 --copies $((ROWS + 1)) --cases 1 \
  --prefix benchg
"$MINCA" catalog import "$TMP/gen/catalog.csv" >/dev/null || exit 1
"$MINCA" batch "$TMP/gen/in" >"$TMP/batch.log" 2>&1
COT=$(q "SELECT cot FROM cases LIMIT 1")
OPEN=$(q "SELECT count(*) FROM matches WHERE decision = 'needs_review'")
[ "$OPEN" -gt "$ROWS" ] 2>/dev/null || { echo "bench_group_decision: the case was not read ($OPEN rows to review)"; cat "$TMP/batch.log"; exit 1; }
CONFIG="$TMP/config.yaml"; : >"$CONFIG"

desk g "$TMP/g.t"
wait_for g "Inbox" || exit 1
TM send-keys -t g 2 / "$COT" Enter
wait_for g "Cases 1/1" || exit 1
TM send-keys -t g Enter
wait_for g "$OPEN to review" 1200 || exit 1
TM send-keys -t g n
wait_for g "Matches [0-9]+/" || exit 1
TM send-keys -t g a
wait_for g "like it\? y:all" || exit 1
: >"$TMP/g.t"
TM send-keys -t g o
wait_for g "key accepted" 1200 || exit 1
TM send-keys -t g n
sleep 0.3
TM send-keys -t g a
wait_for g "like it\? y:all" || exit 1
TM send-keys -t g y
wait_for g "and [0-9]+ rows like it" 6000 || exit 1
DECIDED=$(q "SELECT count(*) FROM matches WHERE reviewed_by = 'bench'")
TM kill-session -t g

python3 - "$TMP/g.t" "$ROWS" "$DECIDED" <<'PY'
import sys
times = [float(line.split()[1]) for line in open(sys.argv[1]) if line.strip()]
# the answers to the two questions: o (one row), then y (the rows like it)
single, group = times[0], times[-1]
rows = int(sys.argv[2])
print("decision, key-to-screen inside the desk (answer to its question, case view reloaded)")
print("%-40s %12s" % ("what", "ms"))
print("%-40s %12.1f" % ("one row (o) (baseline)", single / 1000))
print("%-40s %12.1f" % ("%d rows like it (y)" % rows, group / 1000))
print("rows decided by the bench: %s; %d rows: %.2f s (%.2f ms a row; one row alone %.1f ms)"
      % (sys.argv[3], rows, group / 1e6, group / 1000 / rows, single / 1000))
PY
