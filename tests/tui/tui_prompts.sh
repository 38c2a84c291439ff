#!/usr/bin/env bash
# A decision question commits only on the keys it names. Two cases share one description per
# row, so a decision asks "inciso N? o:only c:+1 in 1 case": n (next row), q and a stray key
# decide nothing and say so; o decides this row alone; c also the other case's row.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"
trap 'tmux_cleanup; rm -rf "$T_TMP"' EXIT

if ! command -v tmux >/dev/null; then skip "decision prompts" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "decision prompts" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_INSURER=demo MINCA_USER=revisora MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_prompts || { not_ok "create test database"; finish; exit 1; }
python3 "$SRC/tests/tools/gen_doubtful.py" "$T_TMP/g" --rows 6 --descriptions 3 --copies 1 --cases 2 --prefix pr
check "catalog imported" "$MINCA" catalog import "$T_TMP/g/catalog.csv"
"$MINCA" batch "$T_TMP/g/in" >"$T_TMP/batch.log" 2>&1
C1=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<pr-00001@corredor-repetido.mx>'")
decided() { psql_q "SELECT count(*) FROM matches x WHERE x.reviewed_by IS NOT NULL"; }
check_eq "nothing is decided before the desk" 0 "$(decided)"

start p
expect "the desk opens" p "Inbox" 15
keys p 2
keys p / "$C1" Enter
expect "the Cases filter finds the case" p "Cases 1/1"
keys p Enter
expect "the case opens with rows to review" p "3 to review"
keys p n
sleep 0.3
keys p a
expect "a decision asks about the row like it in the other case" p "inciso [0-9]+\? o:only c:\+1 in 1 case"
keys p n
expect "n at the question decides nothing, and says so" p "nothing decided"
check_eq "no row was decided by n" 0 "$(decided)"
keys p a
expect "asked again" p "o:only c:\+1"
keys p q
expect "q at the question decides nothing" p "nothing decided"
check_eq "no row was decided by q" 0 "$(decided)"
keys p a
expect "asked again" p "o:only c:\+1"
keys p Enter
expect "Enter is not offered at this question: nothing decided" p "nothing decided"
check_eq "no row was decided by Enter" 0 "$(decided)"
keys p a
expect "asked again" p "o:only c:\+1"
keys p o
expect "o decides the row alone" p "key accepted"
db_eventually "one row decided by o" 1 "SELECT count(*) FROM matches x WHERE x.reviewed_by IS NOT NULL"
keys p n
sleep 0.3
keys p a
expect "the next row asks too" p "o:only c:\+1"
keys p c
expect "c decides it and the other case's row" p "and 1 rows like it: key accepted"
db_eventually "three rows decided" 3 "SELECT count(*) FROM matches x WHERE x.reviewed_by IS NOT NULL"
keys p q
finish
