#!/usr/bin/env bash
# Premiums from the insurer's rating system: a case exported, its workbook's PRIMA column
# filled the way the insurer's system returns it (openpyxl), `minca export import-rated`;
# each wrong workbook refused with the row named and nothing stored; the imported premiums
# stored with a version, audited, and the next PDF priced with them (totals recomputed here).
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_export_rated || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_EXPORT_DIR="$T_TMP/exports"
PY=/usr/bin/python3
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch "$SRC/samples/inbox" >"$T_TMP/batch.out" 2>&1
cots=$(psql_q "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id WHERE k.status = 'ready'
               GROUP BY k.cot ORDER BY count(*) DESC, k.cot LIMIT 2")
cot=$(head -1 <<<"$cots"); other=$(sed -n 2p <<<"$cots")
check_match "the demo inbox has two ready cases" "^COT-.*COT-" "$(tr '\n' ' ' <<<"$cots")"
psql_q "UPDATE cases SET client_name = coalesce(client_name, 'Cliente Demo, S.A. de C.V.'), rfc = coalesce(rfc, 'CDE010101AB1'),
               coverage = 'AMPLIA', validity_start = coalesce(validity_start, current_date + 7),
               payment_terms = 'TRIMESTRAL' WHERE cot = '$cot'" >/dev/null
"$MINCA" export "$cot" --out "$T_TMP/q1.xlsx" >/dev/null 2>&1
msg=$("$MINCA" export import-rated "$cot" "$T_TMP/q1.xlsx" 2>&1)
check_match "without a tariff the import is refused" "no tariff" "$msg"
check "the demo tariff imports" "$MINCA" tariff import "$SRC/samples/tariff/demo.yaml"
check "the case exports (version 2)" "$MINCA" export "$cot" --out "$T_TMP/q.xlsx"

# The insurer's system fills PRIMA (one unit's premium as text with a $ and commas, as some
# systems write money); the variants below each break one rule.
$PY - "$T_TMP/q.xlsx" "$T_TMP" "$other" <<'PY'
import sys, shutil, openpyxl
src, out, other = sys.argv[1], sys.argv[2], sys.argv[3]
def load():
    wb = openpyxl.load_workbook(src)
    ws = wb["COTIZACION"]
    h = {c.value: i + 1 for i, c in enumerate(ws[1])}
    return wb, ws, h
def fill(ws, h):
    for r in range(2, ws.max_row + 1):
        inc = ws.cell(r, h["INCISO"]).value
        ws.cell(r, h["PRIMA"]).value = round(2500 + inc * 137.455, 3)
    ws.cell(2, h["PRIMA"]).value = "$2,637.46"
wb, ws, h = load(); fill(ws, h); wb.save(out + "/rated.xlsx")
wb, ws, h = load(); fill(ws, h); ws.cell(3, h["INCISO"]).value = 9999; wb.save(out + "/unknown.xlsx")
wb, ws, h = load(); fill(ws, h); ws.cell(3, h["CLAVE VEHÍCULO"]).value = "9999999"; wb.save(out + "/changed.xlsx")
wb, ws, h = load(); fill(ws, h); ws.cell(4, h["PRIMA"]).value = -120.5; wb.save(out + "/negative.xlsx")
wb, ws, h = load(); fill(ws, h); ws.cell(4, h["PRIMA"]).value = "POR COTIZAR"; wb.save(out + "/text.xlsx")
wb, ws, h = load(); fill(ws, h); ws.delete_rows(5); wb.save(out + "/missing.xlsx")
wb, ws, h = load(); fill(ws, h)
cl = wb["Cliente"]
for row in cl.iter_rows():
    if row[0].value == "COT": row[1].value = other + " (versión 2)"
wb.save(out + "/other.xlsx")
PY
expect_refused() {
  local name=$1 file=$2 pattern=$3 out rc
  out=$("$MINCA" export import-rated "$cot" "$T_TMP/$file" 2>&1); rc=$?
  check_eq "$name: refused" "1" "$rc"
  check_match "$name: the reason names the row" "$pattern" "$out"
}
expect_refused "an unknown inciso" unknown.xlsx "row 3: inciso 9999 is not a unit of $cot"
expect_refused "a changed unit" changed.xlsx "row 3: inciso [0-9]+ is another unit \\(key '9999999'"
expect_refused "a negative premium" negative.xlsx "row 4: inciso [0-9]+ has a negative premium"
expect_refused "a premium that is not a number" text.xlsx "row 4: inciso [0-9]+: premium 'POR COTIZAR' is not a number"
expect_refused "a missing row" missing.xlsx "inciso [0-9]+: no row in the workbook"
expect_refused "the COT of another case" other.xlsx "the workbook is the quote of $other, not of $cot"
check_eq "nothing was stored by a refused import" "0|0" \
  "$(psql_q "SELECT (SELECT count(*) FROM rated_imports) || '|' || (SELECT count(*) FROM audit_log WHERE action = 'export.import_rated')")"

out=$("$MINCA" export import-rated "$cot" "$T_TMP/rated.xlsx" 2>&1)
check_match "the returned workbook imports" "imported as version 1 \(from export version 2, list revision 1\)" "$out"
check_eq "stored as the case's active version 1, audited" "1|true|1" \
  "$(psql_q "SELECT max(version) || '|' || bool_and(active) || '|' || (SELECT count(*) FROM audit_log
             WHERE action = 'export.import_rated' AND details->>'sha256' = max(i.sha256)) FROM rated_imports i")"
out=$("$MINCA" export "$cot" --format both --out "$T_TMP/priced" 2>&1)
check_match "the export says the prima neta was imported" "prima total \\\$[0-9,.]+ \(prima neta of [0-9]+ units imported\)" "$out"
res=$($PY - "$SRC/samples/tariff/demo.yaml" "$T_TMP/rated.xlsx" "$T_TMP/priced.pdf" "$T_TMP/priced.xlsx" <<'PY'
import sys, subprocess, yaml, openpyxl
from decimal import Decimal, ROUND_HALF_UP
tariff = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
def cents(v):
    v = str(v).replace("$", "").replace(",", "")
    return int((Decimal(v) * 100).to_integral_value(ROUND_HALF_UP))
def bp(v): return int((Decimal(str(v)) * 10000).to_integral_value(ROUND_HALF_UP))
def apply(a, b): return (a * b + 5000) // 10000
def money(c): return "${:,}.{:02d}".format(c // 100, c % 100)
ws = openpyxl.load_workbook(sys.argv[2])["COTIZACION"]
h = {c.value: i for i, c in enumerate(ws[1])}
units = {r[h["INCISO"]]: cents(r[h["PRIMA"]]) for r in ws.iter_rows(min_row=2, values_only=True) if r[h["INCISO"]]}
neta = sum(units.values())
pay = tariff["payment"]["TRIMESTRAL"]
recargo = apply(neta, bp(pay["recargo"]))
derecho = cents(tariff["derecho_poliza"])
iva = apply(neta + recargo + derecho, bp(tariff["iva"]))
total = neta + recargo + derecho + iva
problems = []
text = subprocess.run(["pdftotext", "-layout", sys.argv[3], "-"], capture_output=True, text=True).stdout
for label, v in (("neta", neta), ("recargo", recargo), ("derecho", derecho), ("iva", iva), ("total", total)):
    if money(v) not in text: problems.append(("pdf lacks", label, money(v)))
if "importadas del sistema de cotización de la aseguradora" not in text or "rated.xlsx" not in text:
    problems.append(("pdf does not say the source",))
if "REFERIDA" in text: problems.append(("an imported unit shown as a referral",))
wb = openpyxl.load_workbook(sys.argv[4])
q = wb["COTIZACION"]; qh = {c.value: i for i, c in enumerate(q[1])}
got = {r[qh["INCISO"]]: cents(r[qh["PRIMA"]]) for r in q.iter_rows(min_row=2, values_only=True) if r[qh["INCISO"]]}
if got != units: problems.append(("workbook PRIMA differs", [(k, got.get(k), v) for k, v in units.items() if got.get(k) != v][:3]))
print(len(units), money(total), "ok" if not problems else problems[:4])
PY
)
check_match "the PDF and workbook carry the imported premiums; derecho, recargo, IVA and total recomputed" "^[0-9]+ \\\$[0-9,.]+ ok$" "$res"
echo "# imported: $res" >&2
check "a second import" "$MINCA" export import-rated "$cot" "$T_TMP/rated.xlsx"
check_eq "makes version 2, the one active" "2" "$(psql_q "SELECT string_agg(version::text, ',') FROM rated_imports WHERE active")"
check_eq "every export is audited" "$(psql_q "SELECT count(DISTINCT version) FROM exports e JOIN cases k ON k.id = e.case_id WHERE k.cot = '$cot'")" \
  "$(psql_q "SELECT count(*) FROM audit_log l JOIN cases k ON l.entity_id = k.id::text WHERE l.action = 'export' AND k.cot = '$cot'")"
finish
