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
check_eq "and one PDF quote summary per exported case" \
  "$(psql_q "SELECT count(*) FROM cases WHERE status = 'exported'")" "$(find "$T_TMP/batch-exports" -name "*.pdf" | grep -c .)"

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
print("|".join(str(c.value) for c in ws[1][:5]))
print(ws.max_row - 1)
print(",".join(str(ws.cell(row=r, column=2).value) for r in range(2, ws.max_row + 1)))
print(all(isinstance(ws.cell(row=r, column=5).value, int) for r in range(2, ws.max_row + 1)))
res = wb["Resumen"]
print(" ".join(str(c.value) for row in res.iter_rows() for c in row if c.value is not None))
PY
)
check_eq "sheets COTIZACION, Cliente, Resumen, Incidencias" "COTIZACION|Cliente|Resumen|Incidencias" "$(sed -n 1p <<<"$sheet")"
check_eq "header starts INCISO, CLAVE VEHÍCULO, MARCA, MODELO, AÑO" "INCISO|CLAVE VEHÍCULO|MARCA|MODELO|AÑO" "$(sed -n 2p <<<"$sheet")"
check_eq "one row per vehicle of the case" "$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$ready'")" "$(sed -n 3p <<<"$sheet")"
check_eq "the keys are the stored matches, in order" \
  "$(psql_q "SELECT string_agg(x.cvegs, ',' ORDER BY a.ordinal, v.inciso, v.id) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id LEFT JOIN attachments a ON a.id = v.attachment_id WHERE k.cot = '$ready'")" \
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

# ---- what a reader sees: two attachments, every vehicle field, in source order ----------------
# Half of the case's rows move to a second attachment of the same message (odd incisos stay in
# the first), so source order (attachment, then inciso) differs from inciso order.
cid=$(psql_q "SELECT id FROM cases WHERE cot = '$ready'")
att=$(psql_q "SELECT min(attachment_id) FROM vehicle_rows WHERE case_id = $cid")
att2=$(psql_q "INSERT INTO attachments (insurer_id, message_id, ordinal, filename, content_type, sha256, size, status)
               SELECT insurer_id, message_id, ordinal + 100, 'segunda flotilla (anexo).xlsx', content_type, sha256, size, 'extracted'
                 FROM attachments WHERE id = $att RETURNING id")
psql_q "UPDATE vehicle_rows SET attachment_id = $att2 WHERE case_id = $cid AND inciso % 2 = 0" >/dev/null
psql_q "UPDATE vehicle_rows SET plates = coalesce(plates, 'PLT-' || inciso), use = coalesce(use, 'PARTICULAR'),
          vin = coalesce(vin, '3N1AB7AP' || lpad(inciso::text, 9, '0')), engine_number = coalesce(engine_number, 'MTR' || inciso),
          insured_amount = coalesce(insured_amount, 250000 + inciso * 1000.5) WHERE case_id = $cid" >/dev/null
# inciso|key|vin|year|description|plates|use|amount|$amount|file, in source order
psql_q "SELECT v.inciso || '|' || coalesce(x.cvegs, '') || '|' || v.vin || '|' || coalesce(nullif(x.year, 0), v.year) || '|' ||
               v.description || '|' || v.plates || '|' || v.use || '|' || v.insured_amount::numeric(14,2) || '|' ||
               to_char(v.insured_amount, 'FM\$999,999,990.00') || '|' || a.filename
          FROM vehicle_rows v JOIN attachments a ON a.id = v.attachment_id LEFT JOIN matches x ON x.vehicle_row_id = v.id
         WHERE v.case_id = $cid ORDER BY a.ordinal, v.inciso, v.id" > "$T_TMP/expected.txt"
check "export --format both writes the workbook and the PDF" "$MINCA" export "$ready" --format both --out "$T_TMP/two"
check "the PDF is a file" test -s "$T_TMP/two.pdf"
check_eq "both are stored under one version" "pdf xlsx" \
  "$(psql_q "SELECT string_agg(e.format, ' ' ORDER BY e.format) FROM exports e WHERE e.case_id = $cid AND e.version = (SELECT max(version) FROM exports WHERE case_id = $cid)")"
check_eq "the stored PDF is the file written" "$(sha256sum "$T_TMP/two.pdf" | cut -d' ' -f1)" \
  "$(psql_q "SELECT sha256 FROM exports WHERE case_id = $cid AND format = 'pdf' ORDER BY version DESC LIMIT 1")"
pdftotext -layout "$T_TMP/two.pdf" "$T_TMP/two.txt"
fields=$($PY - "$T_TMP/two.xlsx" "$T_TMP/two.txt" "$T_TMP/expected.txt" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1]); ws = wb["COTIZACION"]
h = {c.value: i for i, c in enumerate(ws[1])}
exp = [l.rstrip("\n").split("|") for l in open(sys.argv[3], encoding="utf-8") if l.strip()]
got = []
for row in ws.iter_rows(min_row=2, values_only=True):
    amt = row[h["VALOR ASEGURADO"]]
    got.append([str(row[h["INCISO"]]), row[h["CLAVE VEHÍCULO"]] or "", row[h["SERIE"]], str(row[h["AÑO"]]),
                row[h["DESCRIPCIÓN ORIGEN"]], row[h["PLACA"]], row[h["USO"]], "%.2f" % amt, row[h["ARCHIVO ORIGEN"]]])
want = [e[:8] + [e[9]] for e in exp]
print("xlsx", "same" if got == want else "differ: %r != %r" % (got[:3], want[:3]))
print("motor", all(r[h["MOTOR"]] for r in ws.iter_rows(min_row=2, values_only=True)))
lines = open(sys.argv[2], encoding="utf-8").read().split("\n")
pos, bad = -1, []
for e in exp:
    at = next((i for i, l in enumerate(lines) if e[2] in l), None)
    if at is None or at <= pos:
        bad.append(("order", e[2])); continue
    pos = at
    l = lines[at]
    for v in (e[0], e[1] or "SIN CLAVE", e[3], e[5], e[8]):
        if v not in l:
            bad.append((v, l))
    # the catalog's text leads; the broker's follows it ("Broker: ...") when it differs
    if e[4][:12] not in " ".join(lines[at:at + 3]):
        bad.append((e[4][:12], l))
print("pdf", "same" if not bad else "differ: %r" % bad[:3])
PY
)
check_eq "the workbook has every vehicle field, source file included, in source order" "xlsx same" "$(sed -n 1p <<<"$fields")"
check_eq "the workbook carries the engine numbers" "motor True" "$(sed -n 2p <<<"$fields")"
check_eq "the PDF's text has every VIN, inciso, key, year, description, plates and amount, in source order" "pdf same" "$(sed -n 3p <<<"$fields")"
client=$(psql_q "SELECT client_name FROM cases WHERE id = $cid")
check_match "the PDF names the client" "$(printf '%s' "$client" | cut -c1-20 | sed 's/[.[\*^$()+?{|]/\\&/g')" "$(cat "$T_TMP/two.txt")"
check_match "the PDF names the insurer, COT and version" "Demo.*|$ready · versión [0-9]+" "$(cat "$T_TMP/two.txt")"
check_match "the PDF carries the totals" "Vehículos: $(wc -l < "$T_TMP/expected.txt") +Suma asegurada de la flotilla: \\\$" "$(cat "$T_TMP/two.txt")"
check "pdftoppm renders every page" pdftoppm -r 30 -png "$T_TMP/two.pdf" "$T_TMP/two-page"

# ---- rules: missing requirements, a person's "no match", forced exports --------------------------
terms=$(psql_q "SELECT payment_terms FROM cases WHERE id = $cid")
psql_q "UPDATE cases SET payment_terms = NULL WHERE id = $cid"
msg=$("$MINCA" export "$ready" 2>&1); rc=$?
check_eq "a request without payment terms is refused" "1" "$rc"
check_match "the refusal names what is missing and how to force" "forma de pago.*--force" "$msg"
check "--force exports it" "$MINCA" export "$ready" --force --out "$T_TMP/missing.xlsx"
psql_q "UPDATE cases SET payment_terms = '$terms', coverage = NULL WHERE id = $cid"
check_fails "a request without coverage is refused" "$MINCA" export "$ready" --format pdf
check "--force exports it too" "$MINCA" export "$ready" --force --out "$T_TMP/nocov.xlsx"
rules=$($PY - "$T_TMP/missing.xlsx" "$T_TMP/nocov.xlsx" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
inc = [[c for c in r] for r in wb["Incidencias"].iter_rows(min_row=2, values_only=True)]
print(any(r[5] == "forma de pago" and r[6] == "PENDIENTE" for r in inc))
res = {r[0]: r[1] for r in wb["Resumen"].iter_rows(values_only=True) if r[0]}
print(res.get("Exportación forzada"))
cli = {r[0]: r[1] for r in wb["Cliente"].iter_rows(values_only=True) if r[0]}
print(cli.get("Requisitos faltantes"))
wb = openpyxl.load_workbook(sys.argv[2]); ws = wb["COTIZACION"]
h = {c.value: i for i, c in enumerate(ws[1])}
print(all(r[h["DED DM PP"]] is None and r[h["RC LÍMITE"]] is None for r in ws.iter_rows(min_row=2, values_only=True)))
print(any(r[5] == "cobertura" for r in wb["Incidencias"].iter_rows(min_row=2, values_only=True)))
PY
)
check_eq "the missing payment terms are an incidencia" "True" "$(sed -n 1p <<<"$rules")"
check_eq "Resumen says the export was forced" "SÍ" "$(sed -n 2p <<<"$rules")"
check_eq "the client block lists what is missing" "forma de pago" "$(sed -n 3p <<<"$rules")"
check_eq "without a coverage package no deductibles are made up" "True" "$(sed -n 4p <<<"$rules")"
check_eq "the missing coverage is an incidencia" "True" "$(sed -n 5p <<<"$rules")"
check_eq "forced exports are recorded as forced" "t" \
  "$(psql_q "SELECT bool_and(forced) FROM exports WHERE case_id = $cid AND path IN ('$T_TMP/missing.xlsx', '$T_TMP/nocov.xlsx')")"
psql_q "UPDATE cases SET coverage = 'AMPLIA' WHERE id = $cid"

n=$(psql_q "SELECT min(inciso) FROM vehicle_rows WHERE case_id = $cid")
check "a reviewer decides a row has no catalog key" "$MINCA" review "$ready" nomatch "$n"
check "the case still exports without --force" "$MINCA" export "$ready" --format both --out "$T_TMP/nomatch"
check_eq "that export is not forced" "f" "$(psql_q "SELECT bool_or(forced) FROM exports WHERE case_id = $cid AND path LIKE '$T_TMP/nomatch.%'")"
decided=$($PY - "$T_TMP/nomatch.xlsx" "$n" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
print(any(r[3] == int(sys.argv[2]) and r[6] == "DECISION" for r in wb["Incidencias"].iter_rows(min_row=2, values_only=True)))
PY
)
check_eq "the reviewed no-match row is on Incidencias as a decision" "True" "$decided"
check_match "the PDF lists it without a key" "SIN CLAVE" "$(pdftotext -layout "$T_TMP/nomatch.pdf" -)"

bad=$(psql_q "SELECT cot FROM cases WHERE id <> $cid AND status IN ('ready', 'exported', 'review') ORDER BY cot LIMIT 1")
psql_q "UPDATE cases SET status = 'error', status_reason = 'la hoja no se pudo leer' WHERE cot = '$bad'"
msg=$("$MINCA" export "$bad" 2>&1); rc=$?
check_eq "a case in error is refused without --force" "1" "$rc"
check_match "the refusal says it is in error" "in error: la hoja no se pudo leer" "$msg"
check "--force exports it" "$MINCA" export "$bad" --force --format pdf
check_eq "--force writes it, recorded as forced" "t" \
  "$(psql_q "SELECT forced FROM exports e JOIN cases k ON k.id = e.case_id WHERE k.cot = '$bad' ORDER BY e.id DESC LIMIT 1")"
check_eq "a forced export leaves a case in error in error" "error" "$(psql_q "SELECT status FROM cases WHERE cot = '$bad'")"
psql_q "INSERT INTO cases (insurer_id, cot, status, coverage, payment_terms, validity_start)
        SELECT id, 'COT-2099-000001', 'ready', 'AMPLIA', 'ANUAL', '2026-12-01' FROM insurers WHERE slug = 'demo'"
check_fails "a case without vehicles is refused" "$MINCA" export COT-2099-000001
check "--force writes it" "$MINCA" export COT-2099-000001 --force --format both
check_eq "a forced export of a case without vehicles does not mark it exported" "ready" \
  "$(psql_q "SELECT status FROM cases WHERE cot = 'COT-2099-000001'")"

# ---- rules of a quote: client data, the vigencia, the insurer's clock ----------------------------
name=$(psql_q "SELECT client_name FROM cases WHERE id = $cid"); rfc=$(psql_q "SELECT rfc FROM cases WHERE id = $cid")
psql_q "UPDATE cases SET rfc = NULL WHERE id = $cid"
msg=$("$MINCA" export "$ready" --format pdf --out "$T_TMP/norfc.pdf" 2>&1); rc=$?
check_eq "a request without the client's RFC is refused" "1" "$rc"
check_match "the refusal names the RFC and how to force" "RFC.*--force" "$msg"
psql_q "UPDATE cases SET client_name = NULL WHERE id = $cid"
check_match "and one without the client's name" "nombre del cliente, RFC" "$("$MINCA" export "$ready" 2>&1)"
check "--force exports it" "$MINCA" export "$ready" --force --format both --out "$T_TMP/noclient"
check_match "the forced PDF lists the client's name and RFC as pending" "Requisitos pendientes: nombre del cliente, RFC" \
  "$(pdftotext "$T_TMP/noclient.pdf" -)"
pages=$(pdfinfo "$T_TMP/noclient.pdf" | awk '/^Pages:/ {print $2}')
check_eq "every page of the forced PDF says PRELIMINAR" "$pages" \
  "$(for p in $(seq 1 "$pages"); do pdftotext -f "$p" -l "$p" "$T_TMP/noclient.pdf" - | grep -c "COTIZACIÓN PRELIMINAR" | head -1; done | grep -c '^[1-9]')"
check_eq "Incidencias lists both as pending" "True" "$($PY - "$T_TMP/noclient.xlsx" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
f = {r[5] for r in wb["Incidencias"].iter_rows(min_row=2, values_only=True) if r[6] == "PENDIENTE"}
print("nombre del cliente" in f and "RFC" in f)
PY
)"
psql_q "UPDATE cases SET client_name = \$\$${name}\$\$, rfc = '$rfc' WHERE id = $cid"

# A case received now, on a server whose clock is twelve hours behind UTC.
psql_q "UPDATE messages SET sent_at = now(), received_at = now() WHERE id = (SELECT message_id FROM cases WHERE id = $cid)"
psql_q "UPDATE cases SET validity_start = (now() AT TIME ZONE 'America/Mexico_City')::date - 1,
                         validity_end = (now() AT TIME ZONE 'America/Mexico_City')::date + 364 WHERE id = $cid"
out=$(TZ=Etc/GMT+12 "$MINCA" export "$ready" --format both --out "$T_TMP/tz" 2>&1)
check_match "a vigencia that began yesterday is a warning, not a refusal" "warning: the vigencia starts on .* before the issue date" "$out"
txt=$(pdftotext -layout "$T_TMP/tz.pdf" -)
check_match "the PDF is dated on Mexico City's clock" "Emitida el $(TZ=America/Mexico_City date +%d/%m/%Y)" "$txt"
check_match "the PDF warns that the vigencia began" "inicia el $(TZ=America/Mexico_City date -d yesterday +%d/%m/%Y), antes de la fecha de emisión" "$txt"
check "the insurer's time zone is an IANA name" "$MINCA" insurer set demo timezone Pacific/Kiritimati
check_fails "an unknown zone is refused" "$MINCA" insurer set demo timezone Marte/Olympus
TZ=Etc/GMT+12 "$MINCA" export "$ready" --format both --out "$T_TMP/tz2" >/dev/null 2>&1
txt=$(pdftotext -layout "$T_TMP/tz2.pdf" -)
today=$(TZ=Pacific/Kiritimati date +%d/%m/%Y)
check_match "with timezone Pacific/Kiritimati the quote is dated on its day (the server is 26 hours behind)" "Emitida el $today" "$txt"
check_match "and the case received now was received that same day" "Fecha de recepción +$today" "$txt"
check_eq "the workbook's export date is on that clock too" "$(TZ=Pacific/Kiritimati date +%Y-%m-%d)" "$($PY - "$T_TMP/tz2.xlsx" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
res = {r[0]: r[1] for r in wb["Resumen"].iter_rows(values_only=True) if r[0]}
print(res["Fecha de exportación"].strftime("%Y-%m-%d"))
PY
)"
check "the default clock is set back" "$MINCA" insurer unset demo timezone

# ---- a 600-vehicle case: every page of the PDF carries the header --------------------------------
big=COT-2099-000600
psql_q "INSERT INTO cases (insurer_id, cot, status, client_name, rfc, coverage, payment_terms, validity_start, validity_end)
        SELECT id, '$big', 'ready', 'Logística Ñandú del Pacífico, S.A. de C.V.', 'LNP010101AB1', 'AMPLIA', 'ANUAL',
               '2026-12-01', '2027-12-01' FROM insurers WHERE slug = 'demo'"
psql_q "INSERT INTO vehicle_rows (insurer_id, case_id, source_sheet, source_row, inciso, marca, submarca, year, description,
                                  vin, plates, use, insured_amount)
        SELECT k.insurer_id, k.id, 'Flotilla', g + 1, g, 'NISSAN', 'NP300', 2018 + g % 8,
               'NP300 DOBLE CABINA SE 2.5L 4X2 CAMIÓN ' || g, '3N6AD33A' || lpad(g::text, 9, '0'), 'PL-' || g, 'CARGA',
               400000 + g * 10 FROM cases k, generate_series(1, 600) g WHERE k.cot = '$big'"
psql_q "INSERT INTO matches (vehicle_row_id, insurer_id, cvegs, year, confidence, decision)
        SELECT v.id, v.insurer_id, lpad((10000 + v.inciso)::text, 8, '0'), v.year, 0.97, 'auto_accept'
          FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$big'"
check "the 600-vehicle case exports to both formats" "$MINCA" export "$big" --format both --out "$T_TMP/big"
pages=$(pdfinfo "$T_TMP/big.pdf" | awk '/^Pages:/ {print $2}')
check_match "the table breaks across pages" "^[1-9][0-9]+$" "$pages"
with_header=0
for p in $(seq 1 "$pages"); do
  t=$(pdftotext -layout -f "$p" -l "$p" "$T_TMP/big.pdf" -)
  grep -q "Inciso.*Clave.*Descripción.*Serie (VIN).*Suma asegurada" <<<"$t" && grep -q "$big · versión 1" <<<"$t" &&
    grep -q "Página $p de $pages" <<<"$t" && with_header=$((with_header + 1))
done
check_eq "every page repeats the table header, the COT and its page number" "$pages" "$with_header"
check_eq "all 600 VINs are in the PDF" "600" "$(pdftotext "$T_TMP/big.pdf" - | grep -c '3N6AD33A[0-9]\{9\}')"
check_match "the totals add up the fleet" "Vehículos: 600 +Suma asegurada de la flotilla: \\\$241,803,000.00" \
  "$(pdftotext -layout "$T_TMP/big.pdf" -)"
check "pdftoppm renders every page without error" sh -c "pdftoppm -r 20 -png '$T_TMP/big.pdf' '$T_TMP/big-page' 2>&1 | grep . && exit 1 || [ \$(ls '$T_TMP'/big-page* | wc -l) -eq $pages ]"
check "xlsx2csv converts the 600-row workbook" xlsx2csv -a "$T_TMP/big.xlsx" "$T_TMP/big-csv"
check_eq "the 600-row workbook has 600 vehicle rows" "601" "$(wc -l < "$T_TMP/big-csv/COTIZACION.csv")"
finish
