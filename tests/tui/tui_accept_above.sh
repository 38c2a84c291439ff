#!/usr/bin/env bash
# `A` proposes the confidence level at which the codifier's proposals are right at least 99%
# of the time (review.accept_share), says how many shown rows to review it would take before
# asking, and lists them on request. The fixture's rows to review name a model without its
# transmission and drive: the codifier proposes one of two versions, a coin flip, so about
# half of those proposals are wrong; A must accept none of them.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"
trap 'tmux_cleanup; rm -rf "$T_TMP"' EXIT

if ! command -v tmux >/dev/null; then skip "accept above" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "accept above" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_INSURER=demo MINCA_USER=revisora MINCA_CONFIG="$T_TMP/config.yaml" TUI_COLS=140
: >"$MINCA_CONFIG"
use_fresh_db t_tui_accept_above || { not_ok "create test database"; finish; exit 1; }
python3 "$SRC/tests/tools/gen_doubtful.py" "$T_TMP/g" --rows 12 --descriptions 3 --copies 2 --cases 1 --prefix aa
check "catalog imported" "$MINCA" catalog import "$T_TMP/g/catalog.csv"
"$MINCA" batch "$T_TMP/g/in" >"$T_TMP/batch.log" 2>&1
COT=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<aa-00001@corredor-repetido.mx>'")
check_match "the email opened a case" '^COT-' "$COT"
OPEN=$(psql_q "SELECT count(*) FROM matches WHERE decision = 'needs_review' AND reviewed_by IS NULL")
check_eq "six rows wait for review, each a coin flip between two versions" 6 "$OPEN"
decided() { psql_q "SELECT count(*) FROM matches WHERE reviewed_by IS NOT NULL"; }

start a
expect "the desk opens" a "Inbox" 15
keys a 2
keys a / "$COT" Enter
expect "the Cases filter finds the case" a "Cases 1/1"
keys a Enter
expect "the case opens" a "6 to review"
# p: the previous row to review, from the last line
prev=$(psql_q "SELECT max(v.inciso) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id
               WHERE x.decision = 'needs_review' AND v.inciso < (SELECT max(inciso) FROM vehicle_rows)")
keys a G
expect "G goes to the last row" a "Matches 12/12"
keys a p
expect "p goes back to the previous row to review" a "Matches $prev/12"
keys a A
expect "A says how many rows the proposed level takes before asking, and proposes 99%" a \
  "0 of 6 shown rows to review at >= 99% \(right >= 99% there\); accept from \(%\): 99"
keys a Enter
expect "at the proposed level no row is accepted" a "no row fits: .*nothing decided"
check_eq "none of the coin flips was accepted" 0 "$(decided)"
# A lower level, typed by the reviewer: the count first, and the list on request.
keys a A
expect "asked again" a "accept from \(%\): 99"
keys a C-u
keys a -l "50"
keys a Enter
expect "the count of the rows a lower level would take comes first" a "accept 6 rows \(to review, confidence ≥ 50%\)\? y l:list"
keys a l
expect "l lists them" a "Rows the decision would take"
expect "with their keys and confidence" a "6 rows to accept with their proposed keys"
check_eq "listing decides nothing" 0 "$(decided)"
keys a q
keys a q
keys a q
finish
