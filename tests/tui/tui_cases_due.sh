#!/usr/bin/env bash
# The Cases pane orders cases by their clock: late ones first (the longest overdue first), then
# the soonest due, then those without a running clock (no due time, or the quote exported);
# the Due column says "late 3d", "in 40m", "—", late rows are drawn as errors and the title
# counts them.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "cases by due time" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "cases by due time" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_INSURER=demo MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_cases_due || { not_ok "create test database"; finish; exit 1; }
mkdir -p "$T_TMP/in"
for n in 1 2 3 4 5 6; do
  mk_eml "<due-$n@corredor-prueba.mx>" "Solicitud numero $n" >"$T_TMP/in/$n.eml"
done
check "six cases" "$MINCA" batch "$T_TMP/in"
check_eq "six cases opened" 6 "$(psql_q "SELECT count(*) FROM cases")"
cot() { psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<due-$1@corredor-prueba.mx>'"; }
due() { psql_q "UPDATE cases k SET due_at = $2 FROM messages m WHERE m.id = k.message_id AND m.message_id = '<due-$1@corredor-prueba.mx>'" >/dev/null; }
due 1 "now() + interval '3 hours 10 minutes'"
due 2 "now() - interval '2 hours 10 minutes'"
due 3 NULL
due 4 "now() + interval '40 minutes 30 seconds'"
due 5 "now() - interval '26 hours'"
psql_q "UPDATE cases k SET status = 'exported' FROM messages m WHERE m.id = k.message_id AND m.message_id = '<due-5@corredor-prueba.mx>'" >/dev/null
due 6 "now() - interval '3 days 1 hour'"
# The exported case is the oldest: among the cases without a clock the newest comes first,
# whatever due time the exported one had.
psql_q "UPDATE cases k SET created_at = now() - interval '10 days' FROM messages m WHERE m.id = k.message_id AND m.message_id = '<due-5@corredor-prueba.mx>'" >/dev/null

TUI_COLS=140 TUI_LINES=24 start c
expect "the desk opens" c "Inbox" 15
keys c 2
out=$(wait_for c "$(cot 6)" 10)
check_match "the Due column is shown" "Due" "$out"
check_match "the title counts the late cases" "Cases · 2 LATE" "$out"
order=$(printf '%s\n' "$out" | grep -E '^[^A-Za-z]*COT-[0-9]+-[0-9]+ ' | grep -oE 'COT-[0-9]+-[0-9]+' | tr '\n' ' ')
check_eq "late first (longest overdue first), then soonest due, then no clock (newest first)" \
  "$(cot 6) $(cot 2) $(cot 4) $(cot 1) $(cot 3) $(cot 5) " "$order"
check_match "three days late" "$(cot 6) .*late 3d" "$out"
check_match "two hours late" "$(cot 2) .*late 2h" "$out"
check_match "due in 40 minutes" "$(cot 4) .*in 40m" "$out"
check_match "due in three hours" "$(cot 1) .*in 3h" "$out"
check_match "no due time: a dash" "$(cot 3) .*—" "$out"
check_match "an exported case has no running clock" "$(cot 5) .*—" "$out"
check_no_match "an exported case is not late" "$(cot 5) .*late" "$out"

# T takes the selected case (the Owner column shows it, audited as the user's assignment); T
# on one's own case gives it back.
first=$(cot 6)
keys c g T
expect "T takes the case" c "$first is yours"
expect "the Owner column shows the owner" c "Owner"
check_match "on the case's row" "$first .*tester" "$(screen c)"
check_eq "stored as the case's assignee" "tester" "$(psql_q "SELECT assignee FROM cases WHERE cot = '$first'")"
check_eq "audited as the user's assignment" "tester:tester" \
  "$(psql_q "SELECT a.actor || ':' || (a.details->>'assignee') FROM audit_log a JOIN cases k ON a.entity_id = k.id::text WHERE a.action = 'case_assigned' AND k.cot = '$first' ORDER BY a.id DESC LIMIT 1")"
keys c T
expect "T again gives it back" c "$first has no owner now"
check_eq "no assignee" "" "$(psql_q "SELECT coalesce(assignee, '') FROM cases WHERE cot = '$first'")"
keys c T
expect "T takes it again" c "$first is yours"
keys c q
wait_exit c

# At 80 columns the columns ranked least needed make room: Status, Due and Owner stay.
TUI_COLS=80 TUI_LINES=24 start n
expect "the desk opens at 80x24" n "Inbox" 15
keys n 2
out=$(wait_for n "Cases · 2 LATE" 10)
check_match "at 80 columns the header keeps Status, Due and Owner" "Status +Due +Owner" "$out"
check_match "at 80 columns the late case shows its lateness and owner" "$first .*late 3d .*tester" "$out"
check_no_match "at 80 columns the RFC column makes room" " RFC " "$out"
keys n q
wait_exit n
finish
