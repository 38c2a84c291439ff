#!/usr/bin/env bash
# Two insurers whose cases carry the same COT number (every insurer's prefix defaults to COT)
# export into one export directory: each keeps its own workbook.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_export_insurers || { not_ok "create test database"; finish; exit 1; }
export MINCA_EXPORT_DIR="$T_TMP/exports"
eml="$SRC/samples/inbox/01_cenzontle_canada_del_oro.eml"
for ins in qualitas demo; do
  "$MINCA" catalog import --insurer "$ins" "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
  "$MINCA" batch --insurer "$ins" "$eml" >/dev/null 2>&1
done
cot=$(psql_q "SELECT k.cot FROM cases k JOIN insurers i ON i.id = k.insurer_id WHERE i.slug = 'qualitas'")
check_eq "both insurers have a case with the same COT number" "2" "$(psql_q "SELECT count(*) FROM cases WHERE cot = '$cot'")"
check "qualitas exports its case" "$MINCA" export --insurer qualitas "$cot" --force
check "demo exports its case with the same number" "$MINCA" export --insurer demo "$cot" --force
path_of() { psql_q "SELECT e.path FROM exports e JOIN cases k ON k.id = e.case_id JOIN insurers i ON i.id = k.insurer_id WHERE i.slug = '$1' AND k.cot = '$cot'"; }
pq=$(path_of qualitas) pd=$(path_of demo)
check "the two export rows point at different files" test "$pq" != "$pd"
check_match "the insurer is part of the path" "/qualitas/" "$pq"
check_eq "qualitas's file is still the workbook it recorded" \
  "$(psql_q "SELECT e.sha256 FROM exports e JOIN cases k ON k.id = e.case_id JOIN insurers i ON i.id = k.insurer_id WHERE i.slug = 'qualitas' AND k.cot = '$cot'")" \
  "$(sha256sum "$pq" 2>/dev/null | cut -d' ' -f1)"
check_eq "demo's file is its own workbook" \
  "$(psql_q "SELECT e.sha256 FROM exports e JOIN cases k ON k.id = e.case_id JOIN insurers i ON i.id = k.insurer_id WHERE i.slug = 'demo' AND k.cot = '$cot'")" \
  "$(sha256sum "$pd" 2>/dev/null | cut -d' ' -f1)"
# A workbook left on disk by an earlier database is not overwritten.
stale="$(dirname "$pd")/${cot}_v2.xlsx"
echo "not ours" > "$stale"
check "a second export of demo's case" "$MINCA" export --insurer demo "$cot" --force
check_eq "a file already on disk is left alone" "not ours" "$(cat "$stale")"
p2=$(psql_q "SELECT e.path FROM exports e JOIN cases k ON k.id = e.case_id JOIN insurers i ON i.id = k.insurer_id WHERE i.slug = 'demo' AND k.cot = '$cot' AND e.version = 2")
check "version 2 went to a file of its own" test -s "$p2" -a "$p2" != "$stale"
finish
