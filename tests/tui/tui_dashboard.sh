#!/usr/bin/env bash
# The Dashboard pane (5): after a batch, opened at 80x24 and at 200x50, the charts' titles and
# figures are on screen, block characters on a UTF-8 terminal and ASCII with MINCA_TUI_ASCII=1,
# and the larger window gets longer charts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"
if ! command -v tmux >/dev/null; then skip "dashboard" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "dashboard" "no test database (run through tests/run.sh)"; finish; exit; fi
use_fresh_db t_tui_dashboard || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch "$SRC/samples/inbox" >/dev/null 2>&1
rows=$(psql_q "SELECT count(*) FROM matches")

labels='Decisions by day|Confidence|Queue depth|Throughput|Slowest brokers'
for size in 80x24 200x50; do
  TUI_COLS=${size%x*} TUI_LINES=${size#*x} start "d$size" MINCA_TUI_ENGINE=0
  wait_for "d$size" "Inbox" 10 >/dev/null
  keys "d$size" 5
  out=$(wait_for "d$size" "Slowest brokers" 10)
  for l in "Decisions by day" "Confidence" "Queue depth" "Throughput" "Slowest brokers"; do
    check_match "$size: '$l' is on screen" "$l" "$out"
  done
  check_match "$size: the tab bar names the Dashboard" "5 Dashboard" "$out"
  check_match "$size: today's bar counts every codified row" "[█▓░]+ $rows\$|[█▓░]+ $rows " "$out"
  check_match "$size: the confidence histogram draws bars" "<=1\.00 █+ [0-9]+" "$out"
  check_match "$size: the summary line counts today's cases" "Today: $(psql_q "SELECT count(*) FROM cases") case\(s\) opened" "$out"
  check_match "$size: a broker is listed" "Xoconostle|Cenzontle|Golfo|no broker" "$out"
  check_eq "$size: the screen is $size" "${size#*x}" "$(printf '%s\n' "$out" | wc -l)"
  printf '%s\n' "$out" > "$T_TMP/$size.screen"
  keys "d$size" q
  wait_exit "d$size"
done
w80=$(grep -E '^ *[0-9]{2}-[0-9]{2} ' "$T_TMP/80x24.screen" | wc -l)
w200=$(grep -E '^ *[0-9]{2}-[0-9]{2} ' "$T_TMP/200x50.screen" | wc -l)
check "the larger window shows more days ($w80 < $w200)" test "$w80" -lt "$w200"
spark80=$(grep 'Throughput' "$T_TMP/80x24.screen" | wc -m)
spark200=$(grep 'Throughput' "$T_TMP/200x50.screen" | wc -m)
check "the larger window draws a longer sparkline" test "$spark80" -lt "$spark200"

TUI_COLS=80 TUI_LINES=24 start ascii MINCA_TUI_ENGINE=0 MINCA_TUI_ASCII=1
wait_for ascii "Inbox" 10 >/dev/null
keys ascii 5
out=$(wait_for ascii "Slowest brokers" 10)
check_match "ASCII: bars drawn with # + ." "# accepted  \+ to review  \. no key" "$out"
check_no_match "ASCII: no block characters" "[█▓░▁▂▃▄▅▆▇]" "$out"
keys ascii q
wait_exit ascii
finish
