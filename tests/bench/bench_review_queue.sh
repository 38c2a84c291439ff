#!/usr/bin/env bash
# The review queue at scale: key-to-screen time (from the key read to the end of the terminal
# update, measured inside the desk with MINCA_TUI_TIMING) in the Queue pane over 100,000
# doubtful rows across 2,000 cases, beside the case view of one 600-vehicle case in the same
# run (its baseline): opening the pane (its query), moving down, asking for a line's decision.
#
# One case is read and codified for real (tests/tools/gen_doubtful.py: 600 vehicles, 50 of
# them doubtful in 10 descriptions); its 50 doubtful rows are copied into 1,999 more cases by
# SQL, each copy's descriptions marked with one of 250 lot words, so the queue has 2,500
# lines over 100,000 rows.
set -uo pipefail
cd "$(dirname "$0")/../.."
MINCA=${MINCA_BIN:-$PWD/build/minca}
if ! command -v tmux >/dev/null; then echo "bench_review_queue: skipped (tmux is not installed)"; exit 0; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then echo "bench_review_queue: skipped (run through tests/bench/run.sh)"; exit 0; fi

CASES=${BENCH_QUEUE_CASES:-2000}
. tests/bench/bench_lib.bash
bench_begin bench_queue
export MINCA_INSURER=demo MINCA_USER=bench
psql_q() { q "$1"; }

python3 tests/tools/gen_doubtful.py "$TMP/gen" --rows 600 --descriptions 10 --copies 5 --cases 1 --prefix benchq
"$MINCA" catalog import "$TMP/gen/catalog.csv" >/dev/null || exit 1
"$MINCA" batch "$TMP/gen/in" >"$TMP/batch.log" 2>&1
BIG=$(psql_q "SELECT cot FROM cases LIMIT 1")
ORIG=$(psql_q "SELECT id FROM cases WHERE cot = '$BIG'")
[ -n "$ORIG" ] || { echo "bench_review_queue: the generated case was not read"; cat "$TMP/batch.log"; exit 1; }
t0=$(date +%s%N)
psql_q "
INSERT INTO cases (insurer_id, cot, status, client_name)
  SELECT k.insurer_id, 'BENCH-' || lpad(g::text, 5, '0'), 'review', 'CLIENTE ' || g
    FROM cases k, generate_series(2, $CASES) g WHERE k.id = $ORIG;
INSERT INTO vehicle_rows (insurer_id, case_id, source_sheet, source_row, inciso, marca, submarca, year, description, vin)
  SELECT k.insurer_id, k.id, v.source_sheet, v.source_row, v.inciso, v.marca, v.submarca, v.year,
         v.description || ' LOTE' || (substr(k.cot, 7)::int % 250), v.vin
    FROM cases k JOIN vehicle_rows v ON v.case_id = $ORIG JOIN matches x ON x.vehicle_row_id = v.id
   WHERE k.cot LIKE 'BENCH-%' AND x.decision = 'needs_review';
INSERT INTO matches (vehicle_row_id, insurer_id, catalog_version_id, cvegs, year, confidence, decision, candidates, note, norm_key)
  SELECT n.id, n.insurer_id, x.catalog_version_id, x.cvegs, x.year, x.confidence, x.decision, x.candidates, x.note,
         x.norm_key || ' LOTE' || (substr(k.cot, 7)::int % 250)
    FROM vehicle_rows n JOIN cases k ON k.id = n.case_id
    JOIN vehicle_rows o ON o.case_id = $ORIG AND o.source_row = n.source_row
    JOIN matches x ON x.vehicle_row_id = o.id
   WHERE k.cot LIKE 'BENCH-%';
ANALYZE;" >/dev/null || exit 1
t1=$(date +%s%N)
DOUBTFUL=$(psql_q "SELECT count(*) FROM matches WHERE decision = 'needs_review'")
NCASES=$(psql_q "SELECT count(DISTINCT v.case_id) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id WHERE x.decision = 'needs_review'")
echo "$DOUBTFUL doubtful rows across $NCASES cases (copied in $(( (t1 - t0) / 1000000 )) ms)"
CONFIG="$TMP/config.yaml"; : >"$CONFIG"

desk q "$TMP/q.t"
wait_for q "Inbox" || exit 1
TM send-keys -t q 2 / "$BIG" Enter
wait_for q "Cases 1/1" || exit 1
: >"$TMP/q.t"
# The current case view: open it 5 times, 150 moves down.
for ((i = 0; i < 5; i++)); do
  TM send-keys -t q Enter; wait_for q "600 vehicles" || exit 1
  [ $i -lt 4 ] && { TM send-keys -t q Escape; wait_for q "Cases 1/1" || exit 1; }
done
for ((i = 0; i < 150; i++)); do TM send-keys -t q j; sleep 0.01; done
wait_for q "Matches 151/600" || exit 1
split=$(wc -l <"$TMP/q.t")   # the desk keeps the file open: the queue's lines follow
# The queue: open it, reload it 5 times (each runs its query), 150 moves down, ask for a line
# 10 times.
TM send-keys -t q 6; wait_for q "Review queue · $DOUBTFUL rows" || exit 1
for ((i = 0; i < 5; i++)); do
  TM send-keys -t q r; wait_for q "reloaded" || exit 1
  TM send-keys -t q j; wait_for q "Queue 2/" || exit 1
  TM send-keys -t q g; wait_for q "Queue 1/" || exit 1
done
for ((i = 0; i < 150; i++)); do TM send-keys -t q j; sleep 0.01; done
wait_for q "Queue 151/" || exit 1
for ((i = 0; i < 10; i++)); do
  TM send-keys -t q Enter; wait_for q "for [0-9]+ rows in [0-9]+ case" || exit 1
  TM send-keys -t q Escape; wait_for q "cancelled" || exit 1
done
TM kill-session -t q

python3 - "$TMP" "$split" <<'PY'
import statistics, sys, os
tmp, split = sys.argv[1], int(sys.argv[2])
lines = open(os.path.join(tmp, "q.t")).read().splitlines()
def load(part):
    d = {}
    for line in part:
        act, us = line.split()
        d.setdefault(act, []).append(float(us))
    return d
def stat(v):
    v = sorted(v)
    return "%5d %9.0f %9.0f %9.0f" % (len(v), statistics.median(v), v[int(0.95 * (len(v) - 1))], statistics.mean(v))
print("key-to-screen inside the desk, microseconds (100x30 terminal)")
print("%-44s %-20s %5s %9s %9s %9s" % ("view", "key", "n", "median", "p95", "mean"))
case, queue = load(lines[:split]), load(lines[split:])
rows = [("case view, 600 rows (baseline)", case, (("enter", "Enter (open case)"), ("down", "j (down)"))),
        ("review queue, 100,000 rows / 2,000 cases", queue, (("queue", "6 (first open)"), ("reload", "r (query again)"), ("down", "j (down)"),
                                                             ("enter", "Enter (ask)")))]
for label, d, keys in rows:
    for act, key in keys:
        if act in d:
            print("%-44s %-20s %s" % (label, key, stat(d[act])))
if "down" in case and "down" in queue:
    print()
    print("down: queue median %.0f us vs case view %.0f us; loading: queue %.0f us vs case %.0f us"
          % (statistics.median(queue["down"]), statistics.median(case["down"]),
             statistics.median(queue.get("reload", [0])), statistics.median(case.get("enter", [0]))))
PY
