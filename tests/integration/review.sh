#!/usr/bin/env bash
# Review decisions from the command line: pick, accept, no match, undo, note, ready; the audit
# log and the corrections they leave; the codifier learning from a correction and forgetting
# it when revoked.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_review || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_USER=revisora
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch "$SRC/samples/inbox" >/dev/null 2>&1
cot=$(psql_q "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id JOIN matches x ON x.vehicle_row_id = v.id
              WHERE x.decision = 'needs_review' GROUP BY k.cot HAVING count(*) >= 3 ORDER BY k.cot LIMIT 1")
[ -n "$cot" ] || { not_ok "the demo inbox has a case with rows to review"; finish; exit 1; }
row() { psql_q "SELECT $1 FROM vehicle_rows v JOIN cases k ON k.id = v.case_id LEFT JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot' AND v.inciso = $2"; }
incisos=($(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot' AND x.decision = 'needs_review' ORDER BY v.inciso LIMIT 3"))
a=${incisos[0]} b=${incisos[1]} n=${incisos[2]}

# pick the second-ranked candidate of the first row
pick=$(row "x.candidates->1->>'cvegs' || ' ' || (x.candidates->1->>'year')" "$a")
check "pick a candidate" "$MINCA" review "$cot" pick "$a" $pick
check_eq "the row holds the picked key" "picked $pick" "$(row "x.decision || ' ' || x.cvegs || ' ' || x.year" "$a")"
check_eq "the reviewer is recorded" "revisora" "$(row "x.reviewed_by" "$a")"
check_fails "a key that is not in the catalog is refused" "$MINCA" review "$cot" pick "$b" 99999 2020
check "accept the proposal of another row" "$MINCA" review "$cot" accept "$b"
check_eq "accepted keeps the proposed key" "accepted" "$(row "x.decision" "$b")"
check "mark a row no match" "$MINCA" review "$cot" nomatch "$n"
check_eq "no match clears the key" "rejected|" "$(row "x.decision || '|' || coalesce(x.cvegs, '')" "$n")"
check_eq "three decisions in the audit log" "3" "$(psql_q "SELECT count(*) FROM audit_log WHERE actor = 'revisora' AND action LIKE 'review.%'")"
check_eq "three corrections in force" "3" "$(psql_q "SELECT count(*) FROM corrections WHERE revoked_at IS NULL")"
check "undo the last decision" "$MINCA" review "$cot" undo
check_eq "undo restores the row's previous decision" "needs_review" "$(row "x.decision" "$n")"
check_eq "undo revokes its correction" "2" "$(psql_q "SELECT count(*) FROM corrections WHERE revoked_at IS NULL")"
check_eq "undo is audited" "1" "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'review.undo'")"
check "a second undo reverts the accept" "$MINCA" review "$cot" undo
check_eq "the accepted row is back to review" "needs_review" "$(row "x.decision" "$b")"
check "a note on a row" "$MINCA" review "$cot" note "$a" "Confirmado con el corredor: versión Sense"
check_eq "the note is stored" "Confirmado con el corredor: versión Sense" "$(row "x.note" "$a")"
check_fails "ready is refused while rows are open" "$MINCA" review "$cot" ready
for i in $(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot' AND x.decision IN ('needs_review', 'no_match') ORDER BY 1"); do
  "$MINCA" review "$cot" accept "$i" >/dev/null 2>&1 || "$MINCA" review "$cot" nomatch "$i" >/dev/null
done
check "ready once every row is decided" "$MINCA" review "$cot" ready
check_eq "the case is ready" "ready" "$(psql_q "SELECT status FROM cases WHERE cot = '$cot'")"

# The codifier learns: the same email delivered again (new Message-ID) resolves the picked row.
src=$(psql_q "SELECT m.source_ref FROM messages m JOIN cases k ON k.message_id = m.id WHERE k.cot = '$cot'")
sed 's/^Message-ID: <\(.*\)>/Message-ID: <again-\1>/I' "$src" > "$T_TMP/again.eml"
"$MINCA" batch "$T_TMP/again.eml" >/dev/null 2>&1
cot2=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<again-%'")
check_match "the redelivery opened a new case" "^COT-" "$cot2"
learned=$(psql_q "SELECT x.decision || ' ' || x.cvegs || ' ' || x.year || ' ' || (x.confidence >= 0.99) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot2' AND v.inciso = $a")
check_eq "the corrected description resolves to the reviewer's key, auto-accepted" "auto_accept $pick true" "$learned"
check_match "its explanation says it was corrected by a reviewer" "corrected by reviewer" \
  "$(psql_q "SELECT x.candidates::text FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot2' AND v.inciso = $a")"
list=$("$MINCA" correction list)
check_match "correction list shows the picked key" "$(echo "$pick" | cut -d' ' -f1)" "$list"
cid=$(psql_q "SELECT c.id FROM corrections c JOIN vehicle_rows v ON v.id = c.source_vehicle_row_id JOIN cases k ON k.id = v.case_id WHERE c.revoked_at IS NULL AND k.cot = '$cot' AND v.inciso = $a")
check "revoke the correction" "$MINCA" correction revoke "$cid"
check_fails "revoking it twice is refused" "$MINCA" correction revoke "$cid"
sed 's/^Message-ID: <\(.*\)>/Message-ID: <third-\1>/I' "$src" > "$T_TMP/third.eml"
"$MINCA" batch "$T_TMP/third.eml" >/dev/null 2>&1
cot3=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<third-%'")
check_eq "after revocation the description goes back to review" "needs_review" \
  "$(psql_q "SELECT x.decision FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot3' AND v.inciso = $a")"

# Undo brings back the correction a decision had replaced for the same description.
"$MINCA" review "$cot2" pick "$a" $pick >/dev/null
first=$(psql_q "SELECT c.id FROM corrections c JOIN vehicle_rows v ON v.id = c.source_vehicle_row_id JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot2' AND v.inciso = $a AND c.revoked_at IS NULL")
"$MINCA" review "$cot3" nomatch "$a" >/dev/null
check_eq "a decision on the same description replaces the earlier correction" "" "$(psql_q "SELECT id FROM corrections WHERE id = '$first' AND revoked_at IS NULL")"
"$MINCA" review "$cot3" undo >/dev/null
check_eq "undo brings the replaced correction back" "$first" "$(psql_q "SELECT id FROM corrections WHERE id = '$first' AND revoked_at IS NULL")"

# Undo never overwrites another reviewer's later decision on the same row.
MINCA_USER=ana "$MINCA" review "$cot2" accept "$b" >/dev/null
MINCA_USER=beto "$MINCA" review "$cot2" nomatch "$b" >/dev/null
out=$(MINCA_USER=ana "$MINCA" review "$cot2" undo 2>&1); rc=$?
check_eq "undo of a decision someone changed since is refused" "1" "$rc"
check_match "naming who changed it" "decided again since by beto" "$out"
check_eq "beto's decision stands" "rejected|beto" "$(psql_q "SELECT x.decision || '|' || x.reviewed_by FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot2' AND v.inciso = $b")"

# Per-broker corrections (insurer setting): the correction then carries the case's broker.
psql_q "UPDATE insurers SET settings = settings || '{\"corrections_per_broker\": true}'" >/dev/null
row2=$(psql_q "SELECT k.cot || ' ' || v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.broker_id IS NOT NULL AND k.cot NOT IN ('$cot', '$cot2', '$cot3') ORDER BY v.id LIMIT 1")
check "a decision on a case with a known broker" "$MINCA" review $(echo "$row2" | cut -d' ' -f1) nomatch $(echo "$row2" | cut -d' ' -f2)
check_eq "with corrections_per_broker the correction is bound to that broker" \
  "$(psql_q "SELECT broker_id FROM cases WHERE cot = '$(echo "$row2" | cut -d' ' -f1)'")" \
  "$(psql_q "SELECT broker_id FROM corrections ORDER BY id DESC LIMIT 1")"
finish
