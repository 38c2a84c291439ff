#!/usr/bin/env bash
# A broker Minca has never seen loses no column. The email is built at test time
# (tests/tools/new_broker_emails.py): a sender domain that
# no profile names, a workbook whose headers look like the shipped xoconostle profile's (MARCA,
# SUBMARCA, VERSIÓN, AÑO) but which writes NO. SERIE, SUMA ASEGURADA and USO where that profile
# has SERIE and VALOR FACTURA and no use column. Every VIN, amount and use must be extracted,
# the case must say which profile the layout resembled and be flagged for the wizard, and the
# column that held data but was ignored must be shown as a warning.
source "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
if ! "$PY" -c "import openpyxl" 2>/dev/null; then
  skip "new broker" "python3-openpyxl is not installed"
  finish; exit $?
fi
use_fresh_db t_new_broker || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1

mkdir -p "$T_TMP/in"
"$PY" "$SRC/tests/tools/new_broker_emails.py" "$T_TMP/in"

"$MINCA" batch "$T_TMP/in/nuevo.eml" >"$T_TMP/batch.out" 2>&1
check_eq "the email opens one case" "1" "$(psql_q "SELECT count(*) FROM cases")"
check_eq "three vehicle rows" "3" "$(psql_q "SELECT count(*) FROM vehicle_rows")"
check_eq "every VIN is extracted (NO. SERIE, which the resembling profile calls SERIE)" \
  "8AFRE9EU3KX923696,3N6U4X5A5NCV82071,3KPKYBHZ1JCC76369" \
  "$(psql_q "SELECT string_agg(vin, ',' ORDER BY source_row) FROM vehicle_rows")"
check_eq "every insured amount is extracted (SUMA ASEGURADA, not VALOR FACTURA)" "450000.00,282800.00,215000.00" \
  "$(psql_q "SELECT string_agg(insured_amount::text, ',' ORDER BY source_row) FROM vehicle_rows")"
check_eq "every use is extracted (USO, a column the profile does not name)" "CARGA,COMERCIAL,PARTICULAR" \
  "$(psql_q "SELECT string_agg(use, ',' ORDER BY source_row) FROM vehicle_rows")"
check_eq "plates come through" "GMN-499-H,EN TRAMITE,PRT-12-34" \
  "$(psql_q "SELECT string_agg(plates, ',' ORDER BY source_row) FROM vehicle_rows")"
check_eq "the case is flagged for the profile wizard" "t" "$(psql_q "SELECT needs_profile FROM cases")"
check_eq "the extraction report names the profile the layout resembled" "xoconostle" \
  "$(psql_q "SELECT extraction->'report'->>'resembles' FROM attachments WHERE filename LIKE 'Relacion%'")"
check_eq "the report accounts for every source column" "10" \
  "$(psql_q "SELECT jsonb_array_length(extraction->'report'->'columns') FROM attachments WHERE filename LIKE 'Relacion%'")"
cot=$(psql_q "SELECT cot FROM cases")
show=$("$MINCA" case show "$cot")
check_match "case show says which profile the layout resembled" "resembles broker profile 'xoconostle'" "$show"
check_match "case show says the broker needs a profile" "profile: +none saved for this broker" "$show"
check_match "case show warns about the column that held data but was ignored" \
  "warning: column 'ECO' held data on 3 rows but was ignored" "$show"
check_match "case show says USO was mapped beyond the profile" "column 'USO' is not in profile 'xoconostle'" "$show"
check_match "case show gives the Date: header as the received time (insurer's clock)" "\(2025-10-14 10:05:00\)" "$show"
check_match "case list gives the Date: header as the received time" '"received": "2025-10-14 10:05"' "$("$MINCA" case list --json)"

"$MINCA" batch "$T_TMP/in/uso.eml" >>"$T_TMP/batch.out" 2>&1
cot2=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<uso-001@otro-corredor.example.mx>'")
check_eq "the use stated in the body reaches the case" "COMERCIAL" "$(psql_q "SELECT uso FROM cases WHERE cot = '$cot2'")"
"$MINCA" export "$cot2" --force --out "$T_TMP/uso.xlsx" >/dev/null 2>&1
got=$("$PY" - "$T_TMP/uso.xlsx" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["COTIZACION"]
hdr = [c.value for c in ws[1]]
col = hdr.index("USO") + 1
print(",".join(str(ws.cell(row=r, column=col).value) for r in range(2, ws.max_row + 1)))
res = wb["Resumen"]
print(" ".join(str(c.value) for row in res.iter_rows() for c in row if c.value is not None))
PY
)
check_eq "the case's use fills the export's USO column on rows without their own" "COMERCIAL,COMERCIAL" "$(sed -n 1p <<<"$got")"
check_match "the export's received date is the Date: header's" "2025-10-15" "$(sed -n 2p <<<"$got")"
finish
