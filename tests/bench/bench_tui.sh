#!/usr/bin/env bash
# Redraw cost of the review desk: key-to-screen time (from the key read to the end of the
# terminal update, measured inside the desk with MINCA_TUI_TIMING) for moving down the rows of
# a 600-vehicle case and for opening its candidate list, beside two baselines in the same run:
# the same keys on a 10-vehicle case, and the 600-vehicle case in full-redraw mode
# (MINCA_TUI_FULL_REDRAW=1: every key repaints every cell). Also an end-to-end figure seen from
# outside: 200 moves sent at once through tmux until the screen shows the last position.
set -uo pipefail
cd "$(dirname "$0")/../.."
MINCA=${MINCA_BIN:-$PWD/build/minca}
GEN=tests/tools/gen_emails.py
if ! command -v tmux >/dev/null; then echo "bench_tui: skipped (tmux is not installed)"; exit 0; fi
if [ ! -f "$GEN" ]; then echo "bench_tui: skipped ($GEN is missing)"; exit 0; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then echo "bench_tui: skipped (run through tests/bench/run.sh)"; exit 0; fi

. tests/bench/bench_lib.bash
bench_begin bench_tui
export MINCA_INSURER=demo MINCA_USER=bench
psql_q() { q "$1"; }

"$MINCA" catalog import samples/catalog/demo_catver.csv >/dev/null || exit 1
python3 "$GEN" 1 "$TMP/big" --rows 600 --prefix benchbig >/dev/null
python3 "$GEN" 1 "$TMP/small" --rows 10 --prefix benchsmall >/dev/null
"$MINCA" batch "$TMP/big" "$TMP/small" >"$TMP/batch.log" 2>&1
cot_of() { psql_q "SELECT k.cot FROM cases k WHERE (SELECT count(*) FROM vehicle_rows v WHERE v.case_id = k.id) = $1 LIMIT 1"; }
BIG=$(cot_of 600) SMALL=$(cot_of 10)
if [ -z "$BIG" ] || [ -z "$SMALL" ]; then echo "bench_tui: the generated cases were not read"; cat "$TMP/batch.log"; exit 1; fi
# Rows to review have candidates; so do the others (the codifier keeps its ranking).
CONFIG="$TMP/config.yaml"; : >"$CONFIG"

# run NAME COT VEHICLES [VAR=VALUE...]: opens case COT, sends the keys, leaves timings in $TMP/NAME.t
run() {
  local name=$1 cot=$2 n=$3; shift 3
  desk "$name" "$TMP/$name.t" "$@"
  wait_for "$name" "Inbox" || return 1
  TM send-keys -t "$name" 2 / "$cot" Enter
  wait_for "$name" "Cases 1/1" || return 1
  : >"$TMP/$name.t"
  local i
  for ((i = 0; i < 5; i++)); do  # opening the case: its rows read from the database and drawn
    TM send-keys -t "$name" Enter
    wait_for "$name" "$n vehicles" || return 1
    [ $i -lt 4 ] && { TM send-keys -t "$name" Escape; wait_for "$name" "Cases 1/1" || return 1; }
  done
  # Down through the list one key at a time (each waits for its screen), then 200 at once.
  local moves=$((n - 1 < 150 ? n - 1 : 150))
  for ((i = 0; i < moves; i++)); do TM send-keys -t "$name" j; sleep 0.01; done
  TM send-keys -t "$name" g
  wait_for "$name" "Matches 1/$n" || return 1
  # Candidates: open and close, 20 times, on successive rows.
  for ((i = 0; i < 20; i++)); do
    TM send-keys -t "$name" c; wait_for "$name" "Candidates · inciso" || return 1
    TM send-keys -t "$name" Escape; wait_for "$name" "Matches [0-9]+/$n" || return 1
    TM send-keys -t "$name" j
  done
  TM send-keys -t "$name" g
  wait_for "$name" "Matches 1/$n" || return 1
  # End to end from outside: a burst of moves until the screen shows the last position.
  local burst=$((n - 1 < 200 ? n - 1 : 200)) t0 t1 keys=()
  for ((i = 0; i < burst; i++)); do keys+=(j); done
  t0=$(date +%s%N)
  TM send-keys -t "$name" "${keys[@]}"
  wait_for "$name" "Matches $((burst + 1))/$n" || return 1
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000 / burst ))" >"$TMP/$name.burst"
  TM kill-session -t "$name"
}

run big600 "$BIG" 600 || exit 1
run small10 "$SMALL" 10 || exit 1
run full600 "$BIG" 600 MINCA_TUI_FULL_REDRAW=1 || exit 1

python3 - "$TMP" <<'PY'
import statistics, sys, os
tmp = sys.argv[1]
def load(name):
    d = {}
    for line in open(os.path.join(tmp, name + ".t")):
        act, us = line.split()
        d.setdefault(act, []).append(float(us))
    return d
def stat(v):
    v = sorted(v)
    return "%5d %8.0f %8.0f %8.0f" % (len(v), statistics.median(v), v[int(0.95 * (len(v) - 1))], statistics.mean(v))
runs = [("600 rows, partial redraw", "big600"), ("10 rows (baseline)", "small10"), ("600 rows, full redraw (baseline)", "full600")]
print("key-to-screen inside the desk, microseconds (100x30 terminal)")
print("%-34s %-16s %5s %8s %8s %8s" % ("case", "key", "n", "median", "p95", "mean"))
res = {}
for label, name in runs:
    d = load(name)
    for act, key in (("enter", "Enter case"), ("down", "j (down)"), ("candidates", "c (open)"), ("back", "Esc (close view)")):
        if act in d:
            print("%-34s %-16s %s" % (label, key, stat(d[act])))
            res[(name, act)] = statistics.median(d[act])
print()
print("end to end through tmux, a burst of moves until the last position shows:")
for label, name in runs:
    print("  %-34s %6s us per key" % (label, open(os.path.join(tmp, name + ".burst")).read().strip()))
if ("big600", "down") in res and ("full600", "down") in res:
    print()
    print("down, 600 rows: partial redraw median %.0f us vs full redraw %.0f us (%.1fx); vs 10 rows %.0f us"
          % (res[("big600", "down")], res[("full600", "down")], res[("full600", "down")] / max(res[("big600", "down")], 1),
             res.get(("small10", "down"), 0)))
    print("candidates, 600 rows: %.0f us vs 10 rows %.0f us"
          % (res.get(("big600", "candidates"), 0), res.get(("small10", "candidates"), 0)))
PY
