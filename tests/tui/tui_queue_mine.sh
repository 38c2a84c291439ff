#!/usr/bin/env bash
# The review Queue puts first the lines of cases assigned to the desk's user, then the others
# by their case's due time: a one-row description of a case assigned to the user comes before
# the three-row descriptions of another case that would otherwise lead.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "queue order" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "queue order" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_INSURER=demo MINCA_USER=revisora MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_queue_mine || { not_ok "create test database"; finish; exit 1; }
python3 "$SRC/tests/tools/gen_doubtful.py" "$T_TMP/a" --rows 10 --descriptions 2 --copies 3 --cases 1 --prefix a
python3 "$SRC/tests/tools/gen_doubtful.py" "$T_TMP/b" --rows 5 --descriptions 1 --skip 2 --copies 1 --cases 1 --prefix b
check "catalog" "$MINCA" catalog import "$T_TMP/b/catalog.csv"
check "two cases" "$MINCA" batch "$T_TMP/a/in" "$T_TMP/b/in"
cot_b=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<b-%'")

TUI_COLS=100 TUI_LINES=24 start q
expect "the desk opens" q "Inbox" 15
keys q 6
expect "the Queue lists three lines" q "Queue 1/3" 10
check_match "unassigned, the three-row lines lead" "^ +3 +1 " "$(screen q | sed -n 4p)"
keys q q
wait_exit q
check "the one-row case is assigned to the desk's user" "$MINCA" case assign "$cot_b" revisora
start q2
expect "the desk opens again" q2 "Inbox" 15
keys q2 6
expect "the Queue lists three lines again" q2 "Queue 1/3" 10
check_match "the line of the case assigned to the user comes first" "^ +1 +1 .*ZAPATA" "$(screen q2 | sed -n 4p)"
keys q2 q
wait_exit q2
finish
