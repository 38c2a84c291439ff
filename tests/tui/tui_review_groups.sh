#!/usr/bin/env bash
# The review desk at the speed of a person, at 80x24, on cases generated here
# (tests/tools/gen_doubtful.py): two 600-vehicle cases whose 50 doubtful rows repeat 10
# descriptions (each names a model whose two versions differ only in transmission and drive),
# and a 20-vehicle case to re-run.
#  - the first case is cleared from the case view in at most 3 keys per description (n, a, y);
#    the database has one decision and one audit entry per row; u undoes a group decision whole
#  - the candidate list shows both words that tell the versions apart (AUT 4X4, STD 4X2)
#  - the second case is cleared from the review Queue (Enter, y per description)
#  - a re-run keeps the decisions and notes of rows that read the same; the prompt names how
#    many are at stake; a decision whose row reads differently is held, shown, and discarded
#    only when asked.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "review groups at the desk" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "review groups at the desk" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_INSURER=demo MINCA_USER=revisora MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_review_groups || { not_ok "create test database"; finish; exit 1; }
python3 "$SRC/tests/tools/gen_doubtful.py" "$T_TMP/big" --rows 600 --descriptions 10 --copies 5 --cases 2 --prefix big
python3 "$SRC/tests/tools/gen_doubtful.py" "$T_TMP/small" --rows 20 --descriptions 10 --skip 10 --copies 1 --cases 1 --prefix small
check "catalog with versions that differ in transmission and drive" "$MINCA" catalog import "$T_TMP/small/catalog.csv"
"$MINCA" batch "$T_TMP/big/in" "$T_TMP/small/in" >"$T_TMP/batch.log" 2>&1
cot_of() { psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<$1@corredor-repetido.mx>'"; }
C1=$(cot_of big-00001) C2=$(cot_of big-00002) C3=$(cot_of small-00001)
open_rows() {
  psql_q "SELECT count(*) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id
           WHERE k.cot = '$1' AND x.decision IN ('needs_review', 'no_match')"
}
check_eq "the first case has 50 rows to review" 50 "$(open_rows "$C1")"
check_eq "in 10 descriptions" 10 "$(psql_q "SELECT count(DISTINCT x.norm_key) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id
                                            JOIN cases k ON k.id = v.case_id WHERE k.cot = '$C1' AND x.decision = 'needs_review'")"

TUI_COLS=80 TUI_LINES=24 start g
expect "the desk opens" g "Inbox" 15
keys g 2
keys g / "$C1" Enter
expect "the Cases filter finds the first case" g "Cases 1/1"
keys g Enter
expect "the case opens" g "600 vehicles: 550 keyed, 50 to review"

# 1. the case view: n, a, y per description
presses=0
press() { keys g "$@"; presses=$((presses + $#)); }
for ((i = 0; i < 10; i++)); do
  presses=$((presses + 1)); keys_wait g n
  press a
  wait_for g "y:all o:only" 5 >/dev/null || break
  [ $i = 0 ] && { check_match "the question offers the rows like it in the case and in the other open case" \
    "\+ 4 like it\? y:all o:only c:\+5 in 1 case" "$(screen g | tail -n 1)"; }
  press y
  wait_for g "and 4 rows like it: key accepted" 5 >/dev/null || break
done
expect "the case is cleared" g " 0 to review"
check_eq "in 30 keys for 10 descriptions (3 per description)" 30 "$presses"
check_eq "no row of the first case is open" 0 "$(open_rows "$C1")"
check_eq "one decision per row, by the reviewer" "50 revisora" \
  "$(psql_q "SELECT count(*) || ' ' || string_agg(DISTINCT x.reviewed_by, ',') FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id
             JOIN cases k ON k.id = v.case_id WHERE k.cot = '$C1' AND x.reviewed_by IS NOT NULL")"
check_eq "one audit entry per decided row" "50 1" \
  "$(psql_q "SELECT count(*) || ' ' || max(n) FROM (SELECT a.entity_id, count(*) AS n FROM audit_log a
             WHERE a.action IN ('review.accept', 'review.pick') GROUP BY a.entity_id) s")"
check_eq "the second case is untouched" 50 "$(open_rows "$C2")"

# u takes a group decision back whole, and it can be taken again
press u
expect "u undoes the last group decision whole" g "last decision undone \(5 rows\)"
check_eq "its five rows are open again" 5 "$(open_rows "$C1")"
keys g n a
expect "the group is offered again" g "y:all o:only"
keys g y
expect "and decided again" g " 0 to review"

# 2. the candidates at 80 columns: both words that tell the versions apart
keys g Escape Escape
keys g / "$C2" Enter
expect "the second case" g "Cases 1/1"
keys g Enter
expect "opens" g "600 vehicles: 550 keyed, 50 to review"
keys g n
out=$(wait_for g "why: close runner-up" 5)
check_match "a row to review says why in words" "why: close runner-up \((STD 4X2 vs AUT 4X4|AUT 4X4 vs STD 4X2)\)" "$out"
check_match "the row's source position is shown beside the match" "flotilla_00002\.csv +row [0-9]+ · VIN 3N1AB7AD.RL020" "$out"
check_match "the VIN column shows the end that tells vehicles apart" "…[0-9]{6} " "$out"
check_no_match "a row to review never shows the auto-accept figure 0.99" " 0\.99 " "$out"
keys g c
out=$(wait_for g "Candidates · inciso" 5)
check_match "the candidate list at 80x24 shows AUT 4X4" "AUT 4X4 · SUV 5P LIMITED" "$out"
check_match "and STD 4X2" "STD 4X2 · SUV 5P LIMITED" "$out"
check_match "the confidence is the proposal's, the score only ranks" "^ 1 [0-9]+ +2024 +[0-9.]+ +[0-9.-]+ " "$out"
keys g Escape

# 3. the review queue: Enter, y per description
keys g 6
expect "the Queue lists the second case's descriptions, the largest first" g "^ +5 +1 ANAHUAC"
out=$(screen g)
check_eq "one line per description" 10 "$(printf '%s\n' "$out" | grep -cE '^ +5 +1 ')"
check_match "the header names the rows waiting (the small case's too)" "60 rows to review in 20 descriptions" "$out"
presses=0
for ((i = 0; i < 10; i++)); do
  press Enter
  wait_for g "accept [0-9]+ 2024 for 5 rows in 1 case\? y" 5 >/dev/null || break
  press y
  wait_for g "5 rows accepted" 5 >/dev/null || break
  wait_for g "rows to review in $((19 - i)) descriptions" 5 >/dev/null || break
done
expect "the Queue keeps only the small case's lines" g "10 rows to review in 10 descriptions"
check_eq "in 20 keys for 10 descriptions" 20 "$presses"
# i opens the line's case on the line's row, not on inciso 1 (the second line: each line of the
# small case is one row, and the first row to review is on another line)
keys g g
sleep 0.2
keys g j
sleep 0.2
keys g i
expect "i opens the line's case" g "Matches [0-9]+/20"
pos=$(position g Matches)
check_eq "on a row of the line: a row to review" "needs_review" \
  "$(psql_q "SELECT x.decision FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id JOIN cases k ON k.id = v.case_id
             WHERE k.cot = '$C3' AND v.inciso = ${pos:-0} AND x.reviewed_by IS NULL")"
check_no_match "not the first row, where i used to open every case" "^1$" "${pos:-1}"
keys g q
expect "q goes back to the Queue" g "10 rows to review in 10 descriptions"
check_eq "no row of the second case is open" 0 "$(open_rows "$C2")"
check_eq "still one audit entry per decided row" "100 1" \
  "$(psql_q "SELECT count(*) || ' ' || max(n) FROM (SELECT a.entity_id, count(*) AS n FROM audit_log a
             WHERE a.action IN ('review.accept', 'review.pick')
               AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.action = 'review.undo' AND (u.details->>'undoes')::bigint = a.id)
             GROUP BY a.entity_id) s")"

# 4. a re-run keeps what reads the same
keys g 2 Escape
keys g / "$C3" Enter
expect "the small case" g "Cases 1/1"
keys g Enter
expect "opens" g "20 vehicles: 10 keyed, 10 to review"
for ((i = 0; i < 3; i++)); do
  keys_wait g n; keys g a
  wait_for g "key accepted" 5 >/dev/null
done
keys g N
expect "a note" g "note: "
keys g -l "confirmar serie con el corredor"
keys g Enter
expect "is saved" g "note saved"
decided=($(psql_q "SELECT v.id FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id JOIN cases k ON k.id = v.case_id
                    WHERE k.cot = '$C3' AND x.reviewed_by IS NOT NULL ORDER BY v.source_row"))
check_eq "three rows decided" 3 "${#decided[@]}"
srow() { psql_q "SELECT source_row FROM vehicle_rows WHERE id = $1"; }
changed_row=$(srow "${decided[0]}") kept1=$(srow "${decided[1]}") kept2=$(srow "${decided[2]}")
# The stored reading of the first one differs from what the sheet says (as after a profile change).
psql_q "UPDATE vehicle_rows SET description = description || ' LEIDO ANTES' WHERE id = ${decided[0]}" >/dev/null
keys g '!'
out=$(wait_for g "re-read: " 5)
check_match "the prompt names the decisions, notes and rows at stake" "re-read: 3 decisions, 1 note; up to 3 rows may lose them; yes:" "$out"
keys g -l yes
keys g Enter
expect "the case is read again" g "queued for extraction again"
by_srow() { psql_q "SELECT coalesce(x.decision, '') || ' ' || coalesce(x.reviewed_by, '-') || ' ' || coalesce(x.note, '-')
                     FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id JOIN cases k ON k.id = v.case_id
                    WHERE k.cot = '$C3' AND v.source_row = $1"; }
db_eventually "the re-read case is codified" "20" \
  "SELECT count(*) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id JOIN cases k ON k.id = v.case_id WHERE k.cot = '$C3' AND k.status NOT IN ('extracting', 'codifying')" 30
check_eq "a row that reads the same keeps its decision" "accepted revisora -" "$(by_srow "$kept1")"
check_eq "and one with a note keeps decision and note" "accepted revisora confirmar serie con el corredor" "$(by_srow "$kept2")"
check_match "the row that reads differently does not get the reviewer's decision back" "^[a-z_]+ - " "$(by_srow "$changed_row")"
expect "the case view says a decision is held, and how to discard it" g "1 decision held: no row reads the same \(D: discard\)" 15
keys g D
expect "D asks first" g "discard 1 held decision \(no row reads the same\)\? y"
keys g y
expect "and discards it" g "1 held decision discarded"
check_eq "the discard is audited with what the decision was" "1" \
  "$(psql_q "SELECT jsonb_array_length(details->'discarded') FROM audit_log WHERE action = 'review.discard_carryover'")"
check_eq "the kept decisions are audited on their new rows" "2" "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'review.kept'")"

# 5. conventions: :INCISO, :sort with arguments, A with the count first, :insurer
keys g : 1 5 Enter
expect ":15 goes to inciso 15" g "Matches 15/20"
keys g :; keys g -l "sort conf desc"
keys g Enter
expect ":sort conf desc sorts by confidence, descending, shown in the header" g "Conf%▼"
keys g :; keys g -l "sort"
keys g Enter
expect ":sort alone names the columns" g "sort by what\? columns: Inc, Description"
# The level asked for is the lowest confidence of the rows open (a calibrated confidence puts
# rows the text cannot tell apart well below 90%), so every open row is above it.
pct=$(psql_q "SELECT floor(min(x.confidence) * 100)::int FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id
               JOIN cases k ON k.id = v.case_id WHERE k.cot = '$C3' AND x.decision = 'needs_review' AND x.reviewed_by IS NULL")
want=$(psql_q "SELECT count(*) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id
               WHERE k.cot = '$C3' AND x.decision = 'needs_review' AND x.reviewed_by IS NULL AND x.confidence * 100 >= $pct")
keys g A
expect "A proposes the level where the codifier is right 99% of the time" g "accept from \(%\): 99"
keys g C-u
keys g -l "$pct"
keys g Enter
expect "and shows how many rows it would accept before it runs" g "accept $want rows \(to review, confidence ≥ $pct%\)\? y l:list"
keys g y
expect "y accepts them" g "$want rows accepted with their proposed keys"
check_eq "none of them is left" 0 "$(open_rows "$C3" | sed 's/^0$/0/')"
keys g :; keys g -l "insurer nope"
keys g Enter
expect ":insurer names the insurers there are" g "no insurer 'nope'; known: demo"

keys g M
expect "M lists the session's messages, so none is lost when the next replaces it" g "Messages \(newest first\)"
expect "with the time of each" g "[0-9:]{8} $want rows accepted with their proposed keys"
keys g q
keys g q q
wait_exit g

# A terminal whose locale is not UTF-8 is told so.
start c LANG=C LC_ALL=C
expect "a locale that is not UTF-8 gets a warning" c "locale is not UTF-8" 15
keys c q
finish
