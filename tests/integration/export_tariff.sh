#!/usr/bin/env bash
# Rating with the demo tariff: `minca tariff import`, an export priced by it, and every figure
# recomputed here from the tariff file and the workbook's own rows (Python's Decimal, half-up
# rounding), for the four payment frequencies; the PDF's text carries the same figures.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_export_tariff || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_EXPORT_DIR="$T_TMP/exports"
PY=/usr/bin/python3
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch "$SRC/samples/inbox" >"$T_TMP/batch.out" 2>&1
# The ready case with the most units (COT numbers follow the order the pipeline took the
# messages in, which varies from run to run).
cot=$(psql_q "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id WHERE k.status = 'ready'
              GROUP BY k.cot ORDER BY count(*) DESC, k.cot LIMIT 1")
check_match "the demo inbox has a ready case" "^COT-" "$cot"
psql_q "UPDATE cases SET client_name = coalesce(client_name, 'Cliente Demo, S.A. de C.V.'), rfc = coalesce(rfc, 'CDE010101AB1'),
               coverage = 'AMPLIA', validity_start = coalesce(validity_start, current_date + 7),
               payment_terms = coalesce(payment_terms, 'ANUAL') WHERE cot = '$cot'" >/dev/null

check_match "without a tariff the insurer's quotes are unpriced" "has no tariff" "$("$MINCA" tariff show)"
"$MINCA" export "$cot" --format pdf --out "$T_TMP/unpriced.pdf" >/dev/null 2>&1
pages=$(pdfinfo "$T_TMP/unpriced.pdf" | awk '/^Pages:/ {print $2}')
check_eq "an unpriced PDF says PRELIMINAR on every page" "$pages" \
  "$(for p in $(seq 1 "$pages"); do pdftotext -f "$p" -l "$p" "$T_TMP/unpriced.pdf" - | grep -c "COTIZACIÓN PRELIMINAR"; done | grep -c '^[1-9]')"

sed 's/derecho_poliza: 650.00/derecho_poliza: 650.005/' "$SRC/samples/tariff/demo.yaml" > "$T_TMP/bad.yaml"
msg=$("$MINCA" tariff import "$T_TMP/bad.yaml" 2>&1); rc=$?
check_eq "a tariff with a third decimal is refused" "1" "$rc"
check_match "the refusal names the file, line and field" "bad.yaml:[0-9]+:[0-9]+: derecho_poliza" "$msg"
check "the demo tariff imports" "$MINCA" tariff import "$SRC/samples/tariff/demo.yaml"
check_match "it is the active version 1" "tariff version 1, TARIFA DE DEMOSTRACIÓN" "$("$MINCA" tariff show)"
check_eq "the import is audited" "1" "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'tariff.import'")"
check "a second import makes version 2" "$MINCA" tariff import "$SRC/samples/tariff/demo.yaml"
check_eq "one active version" "2" "$(psql_q "SELECT string_agg(version::text, ',') FROM tariffs WHERE active")"

for freq in ANUAL SEMESTRAL TRIMESTRAL MENSUAL; do
  psql_q "UPDATE cases SET payment_terms = '$freq' WHERE cot = '$cot'" >/dev/null
  out=$("$MINCA" export "$cot" --format both --out "$T_TMP/q-$freq" 2>&1)
  check_match "a $freq quote exports priced and says its price" "prima total \\\$[0-9,]+\.[0-9]{2}" "$out"
  res=$($PY - "$SRC/samples/tariff/demo.yaml" "$T_TMP/q-$freq.xlsx" "$T_TMP/q-$freq.pdf" "$freq" <<'PY'
import sys, re, subprocess, unicodedata, yaml, openpyxl
from decimal import Decimal, ROUND_HALF_UP
tariff = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
wb = openpyxl.load_workbook(sys.argv[2])
freq = sys.argv[4]
def fold(s):
    s = unicodedata.normalize("NFKD", str(s or "")).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", s))
def cents(v): return int((Decimal(str(v)) * 100).to_integral_value(ROUND_HALF_UP))
def bp(v): return int((Decimal(str(v)) * 10000).to_integral_value(ROUND_HALF_UP))
def apply(a, b): return (a * b + 5000) // 10000
def money(c): return "${:,}.{:02d}".format(c // 100, c % 100)
res = {r[0]: r[1] for r in wb["Resumen"].iter_rows(values_only=True) if r[0]}
issue_year = res["Fecha de exportación"].year
ws = wb["COTIZACION"]; h = {c.value: i for i, c in enumerate(ws[1])}
use_f = {fold(k): bp(v) for k, v in tariff["use"].items()}
state_bp = bp(tariff["state"]["*"])
covs = list(tariff["coverages"])
expected, problems = [], []
for row in ws.iter_rows(min_row=2, values_only=True):
    key = row[h["CLAVE VEHÍCULO"]]
    pkg = tariff["packages"].get(row[h["PAQUETE"]] or "")
    unit = {"inciso": row[h["INCISO"]], "ref": None}
    expected.append(unit)
    if not key: unit["ref"] = "key"; continue
    if pkg is None: unit["ref"] = "package"; continue
    vtype = None
    for src in (row[h["CARROCERÍA"]], row[h["DESCRIPCIÓN"]], row[h["DESCRIPCIÓN ORIGEN"]]):
        f = " " + fold(src) + " "
        for t, words in tariff["vehicle_types"].items():
            if vtype is None and any(" " + fold(w) + " " in f for w in words): vtype = t
        if vtype: break
    if vtype is None: unit["ref"] = "type"; continue
    age = issue_year - int(row[h["AÑO"]]); age = 0 if age == -1 else age
    band = next((b for b, (lo, hi) in tariff["age_bands"].items() if lo <= age <= hi), None)
    if band is None: unit["ref"] = "age"; continue
    u = fold(row[h["USO"]] or tariff.get("default_use", ""))
    if u not in use_f: unit["ref"] = "use"; continue
    base = pkg["base"][vtype][band]
    unit["cov"] = {k: apply(apply(cents(base[k]), use_f[u]), state_bp) for k in covs if k in pkg["deductibles"]}
    neta = sum(unit["cov"].values())
    unit["min"] = max(0, cents(tariff["minimum_premium"]) - neta)
    unit["neta"] = neta + unit["min"]
prima = wb["Prima"]; ph = {c.value: i for i, c in enumerate(prima[1])}
got = {r[0]: r for r in prima.iter_rows(min_row=2, max_row=len(expected) + 1, values_only=True)}
for e in expected:
    g = got.get(e["inciso"])
    if g is None: problems.append(("missing", e["inciso"])); continue
    if e["ref"]:
        if not g[ph["REFERIDA"]]: problems.append(("should be a referral", e["inciso"], e["ref"]))
        continue
    for k, v in e["cov"].items():
        if cents(g[ph["PRIMA " + k]]) != v: problems.append(("coverage", e["inciso"], k, g[ph["PRIMA " + k]], v))
    if cents(g[ph["PRIMA NETA"]]) != e["neta"]: problems.append(("neta", e["inciso"], g[ph["PRIMA NETA"]], e["neta"]))
priced = [e for e in expected if not e["ref"]]
neta = sum(e["neta"] for e in priced)
pay = tariff["payment"][freq]
recargo = apply(neta, bp(pay["recargo"]))
derecho = cents(tariff["derecho_poliza"]) if priced else 0
iva = apply(neta + recargo + derecho, bp(tariff["iva"]))
total = neta + recargo + derecho + iva
tot = {r[0]: r[2] for r in prima.iter_rows(min_row=len(expected) + 2, values_only=True) if r[0] and r[2] is not None}
for label, want in (("PRIMA NETA", neta), ("DERECHO DE PÓLIZA", derecho), ("RECARGO", recargo), ("IVA", iva), ("PRIMA TOTAL", total)):
    if cents(tot.get(label, -1)) != want: problems.append((label, tot.get(label), want))
rows = list(prima.iter_rows(values_only=True))
start = next(i for i, r in enumerate(rows) if r[0] == "RECIBO") + 1
receipts = [r for r in rows[start:] if isinstance(r[0], int)]
n = pay["receipts"]
if len(receipts) != n: problems.append(("receipts", len(receipts), n))
for col, amount in ((1, neta), (2, recargo), (4, iva)):
    parts = [cents(r[col]) for r in receipts]
    if sum(parts) != amount or any(p != amount // n for p in parts[1:]): problems.append(("split", col, parts[:3], amount))
if sum(cents(r[5]) for r in receipts) != total: problems.append(("receipts sum", total))
if [cents(r[3]) for r in receipts] != [derecho] + [0] * (n - 1): problems.append(("derecho in the first receipt",))
text = subprocess.run(["pdftotext", "-layout", sys.argv[3], "-"], capture_output=True, text=True).stdout
for needle in ["Prima neta " + "", money(neta), money(recargo), money(iva), money(total), money(derecho),
               "Primer recibo", money(receipts[0][5] and cents(receipts[0][5]))]:
    if needle not in text: problems.append(("pdf lacks", needle))
if n > 1 and money(cents(receipts[1][5])) not in text: problems.append(("pdf lacks subsequent receipt",))
for k, c in tariff["coverages"].items():
    if k in tariff["packages"]["AMPLIA"]["deductibles"] and not re.search(re.escape(c["name"]) + r"\s+\S", text):
        problems.append(("pdf lacks coverage", c["name"]))
pages = text.split("\f")
if not all("TARIFA DE DEMOSTRACIÓN" in p for p in pages if "Página" in p): problems.append(("demo mark missing on a page",))
if "PRELIMINAR" in text and not any(e["ref"] for e in expected): problems.append(("priced quote marked preliminar",))
print(len(priced), len(expected) - len(priced), "ok" if not problems else problems[:4])
PY
)
  check_match "$freq: every unit, coverage, derecho, recargo, IVA, total and receipt recomputed from the tariff" "^[1-9][0-9]* [0-9]+ ok$" "$res"
  echo "# $freq: priced, referrals, check: $res" >&2
done
# ---- the insurer on its quote: legal name, logo, validity; coverage detail ------------------------
$PY - "$T_TMP/logo.png" <<'PY'
import sys, zlib, struct
w, h = 60, 20
raw = b"".join(b"\x00" + bytes([30, 80, 120]) * w for _ in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
check "the insurer's legal name is a setting" "$MINCA" insurer set demo legal_name "Seguros Demostración del Norte, S.A. de C.V."
check "its logo is a setting" "$MINCA" insurer set demo logo "$T_TMP/logo.png"
check_fails "a logo that is not a PNG is refused" "$MINCA" insurer set demo logo "$SRC/samples/tariff/demo.yaml"
check "the quote's validity is a setting" "$MINCA" insurer set demo quote_validity_days 15
check "the quote exports" "$MINCA" export "$cot" --format both --out "$T_TMP/named"
txt=$(pdftotext -layout "$T_TMP/named.pdf" -)
check_match "the PDF names the insurer by its legal name" "Seguros Demostración del Norte, S\.A\. de C\.V\." "$txt"
check_no_match "and never by its slug" "(^|[^A-Za-z])demo([^A-Za-z]|$)" "$(pdftotext "$T_TMP/named.pdf" - ; pdfinfo "$T_TMP/named.pdf" | grep -E '^(Author|Title)')"
check_match "the PDF's author is the legal name" "Author: +Seguros Demostración del Norte" "$(pdfinfo "$T_TMP/named.pdf")"
check_match "the PDF states the validity" "válida 15 días, hasta el $(TZ=America/Mexico_City date -d '+15 days' +%d/%m/%Y)" "$txt"
check_match "the logo is on the pages" "^ *[0-9]+ +[0-9]+ image +60 +20" "$(pdfimages -list "$T_TMP/named.pdf")"
check_match "every coverage of the package with its limit and deductible" \
  "Daños materiales +VALOR COMERCIAL +5%.*Robo total +VALOR COMERCIAL +10%.*Responsabilidad civil +\\\$3,000,000.00 +SIN DEDUCIBLE" \
  "$(tr '\n' ' ' <<<"$txt")"
check_match "the workbook's Cliente sheet names the legal name" "Seguros Demostración del Norte" \
  "$($PY -c 'import sys, openpyxl; print(" ".join(str(c.value) for r in openpyxl.load_workbook(sys.argv[1])["Cliente"].iter_rows() for c in r if c.value))' "$T_TMP/named.xlsx")"
finish
