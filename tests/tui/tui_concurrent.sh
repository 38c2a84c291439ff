#!/usr/bin/env bash
# Two desks deciding the same rows: a decision names the version of each row it was shown; a
# row changed since is left as it is and reported with who changed it, when and what it reads
# now; a decision on several rows is checked row by row (the others are decided).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"
trap 'tmux_cleanup; rm -rf "$T_TMP"' EXIT

if ! command -v tmux >/dev/null; then skip "two desks" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "two desks" "no test database (run through tests/run.sh)"; finish; exit; fi

# The desks look for others' changes only every 10 minutes: what each shows stays as it was
# read, the window in which two people decide the same row.
export MINCA_INSURER=demo MINCA_CONFIG="$T_TMP/config.yaml" TUI_COLS=140
: >"$MINCA_CONFIG"
use_fresh_db t_tui_concurrent || { not_ok "create test database"; finish; exit 1; }
python3 "$SRC/tests/tools/gen_doubtful.py" "$T_TMP/g" --rows 4 --descriptions 1 --copies 2 --cases 1 --prefix cc
check "catalog imported" "$MINCA" catalog import "$T_TMP/g/catalog.csv"
"$MINCA" batch "$T_TMP/g/in" >"$T_TMP/batch.log" 2>&1
COT=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<cc-00001@corredor-repetido.mx>'")
check_match "the email opened a case" '^COT-' "$COT"
open_rows="SELECT string_agg(v.inciso::text, ',' ORDER BY v.inciso) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id
            WHERE x.decision = 'needs_review' AND x.reviewed_by IS NULL"
ROWS=$(psql_q "$open_rows")
check_match "two rows of one description wait for review" '^[0-9]+,[0-9]+$' "$ROWS"
# `n` from the top row goes to the next one to review after it: the later of the two.
FIRST=${ROWS#*,} SECOND=${ROWS%,*}
state() { psql_q "SELECT x.decision || ':' || coalesce(x.reviewed_by, '') FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id WHERE v.inciso = $1"; }

for desk in ana beto; do
  start "$desk" MINCA_USER=$desk MINCA_TUI_POLL=600
  expect "$desk's desk opens" "$desk" "Inbox" 15
  keys "$desk" 2
  keys "$desk" / "$COT" Enter
  expect "$desk finds the case" "$desk" "Cases 1/1"
  keys "$desk" Enter
  expect "$desk opens the case" "$desk" "2 to review"
  keys "$desk" g
  sleep 0.2
  keys "$desk" n
  expect "$desk is on the first row to review" "$desk" "Matches [0-9]+/4"
done

# beto asks to accept the first row and the one like it; before he answers, ana marks the
# first row no match.
keys beto a
expect "beto is asked about the row and the one like it" beto "inciso $FIRST \+ 1 like it\? y:all o:only"
keys ana x
expect "ana is asked too" ana "no match: inciso $FIRST \+ 1 like it\?"
keys ana o
expect "ana marks the first row alone" ana "inciso $FIRST: marked no match"
check_eq "the first row is ana's no match" "rejected:ana" "$(state "$FIRST")"
keys beto y
expect "beto's decision leaves the first row, naming who changed it and what it reads now" beto \
  "1 decided; left as they are: inciso $FIRST changed by ana at [0-9]{2}:[0-9]{2} \(now: no match\)"
check_eq "the first row keeps ana's decision" "rejected:ana" "$(state "$FIRST")"
check_eq "the second row is beto's" "accepted:beto" "$(state "$SECOND")"
check_eq "the correction in force follows the decision that stood on the first row" "1" \
  "$(psql_q "SELECT count(*) FROM corrections WHERE revoked_at IS NULL AND created_by = 'beto'")"

# ana's desk still shows the second row to review: her decision on it is refused, and the row
# shows again as it is now.
keys_wait ana n
keys ana x
expect "ana's decision on the row beto decided is refused" ana \
  "nothing decided: inciso $SECOND changed by beto at [0-9]{2}:[0-9]{2} \(now: accepted [0-9]+ [0-9]{4}\)"
check_eq "the second row keeps beto's decision" "accepted:beto" "$(state "$SECOND")"
expect "ana's desk shows the case as it is now" ana "0 to review"
keys ana q
keys ana q
keys beto q
keys beto q
# The desks are gone before the script ends (each stops its pipeline threads first).
wait_exit ana; wait_exit beto
check_eq "both desks quit" "0:0" "$(cat "$T_TMP/ana.exit" 2>/dev/null):$(cat "$T_TMP/beto.exit" 2>/dev/null)"
finish
