#!/usr/bin/env bash
# minca export and batch --export against the database, read back with independent readers
# (Debian's python3-openpyxl and xlsx2csv).
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_export || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_EXPORT_DIR="$T_TMP/exports"
PY=/usr/bin/python3
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch --export "$T_TMP/batch-exports" "$SRC/samples/inbox" >"$T_TMP/batch.out" 2>&1
ready=$(psql_q "SELECT cot FROM cases WHERE status = 'exported' ORDER BY cot LIMIT 1")
check_match "batch --export exported the ready cases" "^COT-" "$ready"
check_eq "one workbook per exported case in the batch directory" \
  "$(psql_q "SELECT count(*) FROM cases WHERE status = 'exported'")" "$(find "$T_TMP/batch-exports" -name "*.xlsx" | grep -c .)"

out="$T_TMP/quote.xlsx"
check "export of an exported case makes a new version" "$MINCA" export "$ready" --out "$out"
check_eq "the new version is 2" "2" "$(psql_q "SELECT max(version) FROM exports e JOIN cases k ON k.id = e.case_id WHERE k.cot = '$ready'")"
check_eq "the stored blob is the file written" "$(sha256sum "$out" | cut -d' ' -f1)" \
  "$(psql_q "SELECT e.sha256 FROM exports e JOIN cases k ON k.id = e.case_id WHERE k.cot = '$ready' AND e.version = 2")"
check_eq "the stored bytes are the workbook" "$(stat -c %s "$out")" \
  "$(psql_q "SELECT b.size FROM exports e JOIN cases k ON k.id = e.case_id JOIN blobs b ON b.sha256 = e.sha256 WHERE k.cot = '$ready' AND e.version = 2")"
check_match "the export is in the audit log" "export" "$(psql_q "SELECT action FROM audit_log WHERE action = 'export' LIMIT 1")"

sheet=$($PY - "$out" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["COTIZACION"]
print("|".join(wb.sheetnames))
print("|".join(str(c.value) for c in ws[1][:4]))
print(ws.max_row - 1)
print(",".join(str(ws.cell(row=r, column=1).value) for r in range(2, ws.max_row + 1)))
print(all(isinstance(ws.cell(row=r, column=4).value, int) for r in range(2, ws.max_row + 1)))
res = wb["Resumen"]
print(" ".join(str(c.value) for row in res.iter_rows() for c in row if c.value is not None))
PY
)
check_eq "sheets COTIZACION, Resumen, Incidencias" "COTIZACION|Resumen|Incidencias" "$(sed -n 1p <<<"$sheet")"
check_eq "header starts CLAVE VEHICULO, MARCA, MODELO, AÑO" "CLAVE VEHICULO|MARCA|MODELO|AÑO" "$(sed -n 2p <<<"$sheet")"
check_eq "one row per vehicle of the case" "$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$ready'")" "$(sed -n 3p <<<"$sheet")"
check_eq "the keys are the stored matches, in order" \
  "$(psql_q "SELECT string_agg(x.cvegs, ',' ORDER BY v.inciso, v.id) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$ready'")" \
  "$(sed -n 4p <<<"$sheet")"
check_eq "AÑO cells are numbers" "True" "$(sed -n 5p <<<"$sheet")"
client=$(psql_q "SELECT client_name FROM cases WHERE cot = '$ready'")
check_match "the client name keeps its accents in Resumen" "$(printf '%s' "$client" | sed 's/[.[\*^$()+?{|]/\\&/g')" "$(sed -n 6p <<<"$sheet")"
check "xlsx2csv converts the workbook without errors" xlsx2csv -a "$out" "$T_TMP/csv"

review=$(psql_q "SELECT cot FROM cases WHERE status = 'review' ORDER BY cot LIMIT 1")
if [ -n "$review" ]; then
  msg=$("$MINCA" export "$review" 2>&1); rc=$?
  check_eq "a case with rows awaiting review is refused" "1" "$rc"
  check_match "the refusal says how many rows and how to force" "have no decided key.*--force" "$msg"
  check_eq "a refused export stores nothing" "0" "$(psql_q "SELECT count(*) FROM exports e JOIN cases k ON k.id = e.case_id WHERE k.cot = '$review'")"
  check "--force exports it anyway" "$MINCA" export "$review" --force
  check_eq "the forced export is recorded as forced" "t" "$(psql_q "SELECT forced FROM exports e JOIN cases k ON k.id = e.case_id WHERE k.cot = '$review'")"
else
  skip "refusal of undecided rows" "the demo inbox produced no case in review"
fi
# Concurrent exports of one case: each gets its own version and its own file.
for i in 1 2 3; do "$MINCA" export "$ready" >/dev/null 2>&1 & done
wait
check_eq "three concurrent exports make three versions" "3" "$(psql_q "SELECT count(*) FROM exports e JOIN cases k ON k.id = e.case_id WHERE k.cot = '$ready' AND e.version > 2")"
check_eq "each version has its own file" "3" "$(psql_q "SELECT count(DISTINCT path) FROM exports e JOIN cases k ON k.id = e.case_id WHERE k.cot = '$ready' AND e.version > 2")"
mismatch=0
while IFS='|' read -r path sha; do [ "$(sha256sum "$path" | cut -d' ' -f1)" = "$sha" ] || mismatch=1; done \
  < <(psql_q "SELECT path || '|' || sha256 FROM exports e JOIN cases k ON k.id = e.case_id WHERE k.cot = '$ready' AND e.version > 2")
check_eq "every file is the workbook its version recorded" "0" "$mismatch"
check_fails "export of an unknown COT fails" "$MINCA" export COT-1999-000001
finish
