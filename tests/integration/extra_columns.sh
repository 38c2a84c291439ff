#!/usr/bin/env bash
# Source columns the profile does not map but that hold text (OBSERVACIONES, CONDUCTOR,
# NO. ECONÓMICO) are kept with each row: in vehicle_rows.extra_cells, in `minca case show`,
# and on the workbook's "Otros datos" sheet beside the unit's inciso and key. Mapped columns
# and amounts are not repeated there.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_extra_columns || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_EXPORT_DIR="$T_TMP/exports"
/usr/bin/python3 - "$T_TMP" "$SRC/samples/catalog/demo_catver.csv" <<'PY'
import sys, os, csv, io, email.message, email.policy, openpyxl
out, cat = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(cat, encoding="utf-8")))[::40][:6]
wb = openpyxl.Workbook(); ws = wb.active; ws.title = "Flotilla"
ws.append(["INCISO", "MARCA", "SUBMARCA", "DESCRIPCION", "MODELO", "SERIE", "SUMA ASEGURADA", "OBSERVACIONES", "CONDUCTOR", "NO. ECONÓMICO"])
for i, r in enumerate(rows, 1):
    ws.append([i, r["MARCA"], r["SUBMARCA"], r["DESCVEH"], int(r["MODELO"]), "3N1AB7AP%09d" % i, 250000 + i,
               "Unidad %d con rines especiales y torreta; revisar accesorios antes de emitir" % i if i % 2 else None,
               "Juan Pérez Ñúñez %d" % i, "ECO-%03d" % i])
buf = io.BytesIO(); wb.save(buf)
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"], m["Subject"], m["Message-ID"] = "Agente <agente@corredor-extra.mx>", "cotiza@aseguradora.mx", "Cotización flotilla", "<extra@corredor-extra.mx>"
m["Date"] = "Mon, 06 Oct 2025 10:00:00 -0600"
m.set_content("Solicito cotización.\n\nRazón social: TRANSPORTES EXTRA, S.A. DE C.V.\nRFC: TEX010101AB8\nCobertura: amplia\nForma de pago: anual\n")
m.add_attachment(buf.getvalue(), maintype="application", subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="flotilla.xlsx")
os.makedirs(out + "/in", exist_ok=True)
open(out + "/in/m.eml", "wb").write(m.as_bytes())
PY
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
check "batch reads the request" "$MINCA" batch "$T_TMP/in"
cot=$(psql_q "SELECT cot FROM cases LIMIT 1")
check_eq "six rows, each with its unmapped text columns" "6|6|3" \
  "$(psql_q "SELECT count(*) || '|' || count(*) FILTER (WHERE extra_cells->>'CONDUCTOR' LIKE 'Juan Pérez Ñúñez %'
                                                  AND extra_cells->>'NO. ECONÓMICO' LIKE 'ECO-%')
             || '|' || count(*) FILTER (WHERE extra_cells ? 'OBSERVACIONES') FROM vehicle_rows")"
check_eq "mapped columns and amounts are not repeated" "0" \
  "$(psql_q "SELECT count(*) FROM vehicle_rows WHERE extra_cells ?| ARRAY['MARCA', 'SERIE', 'SUMA ASEGURADA', 'INCISO', 'MODELO']")"
show=$("$MINCA" case show "$cot")
check_match "case show lists them under the unit" "OBSERVACIONES: Unidad 1 con rines especiales y torreta; revisar accesorios antes de emitir" "$show"
check_match "with the driver and the economic number" "CONDUCTOR: Juan Pérez Ñúñez 2.*NO. ECONÓMICO: ECO-002" "$(tr '\n' ' ' <<<"$show")"
check "the case exports" "$MINCA" export "$cot" --force --out "$T_TMP/q.xlsx"
res=$(/usr/bin/python3 - "$T_TMP/q.xlsx" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
if "Otros datos" not in wb.sheetnames: print("no sheet", wb.sheetnames); sys.exit()
ws = wb["Otros datos"]
h = [c.value for c in ws[1]]
rows = {r[0]: dict(zip(h, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
main = wb["COTIZACION"]; mh = {c.value: i for i, c in enumerate(main[1])}
keys = {r[mh["INCISO"]]: r[mh["CLAVE VEHÍCULO"]] for r in main.iter_rows(min_row=2, values_only=True)}
problems = []
if h[:2] != ["INCISO", "CLAVE VEHÍCULO"] or set(h[2:]) != {"OBSERVACIONES", "CONDUCTOR", "NO. ECONÓMICO"}: problems.append(("headers", h))
for inc, r in rows.items():
    if r["CLAVE VEHÍCULO"] != keys.get(inc): problems.append(("key", inc))
    if not str(r["CONDUCTOR"]).startswith("Juan Pérez Ñúñez"): problems.append(("driver", inc))
if len(rows) != 6: problems.append(("rows", len(rows)))
print("ok" if not problems else problems[:4])
PY
)
check_eq "the workbook's Otros datos sheet holds them by inciso and key" "ok" "$res"
finish
