#!/usr/bin/env bash
# The workbook printed: LibreOffice Calc renders the largest demo case's workbook to PDF; every
# word of every printed text cell of COTIZACION (and of its headers) is on its pages (no text
# cut by a narrow column or a percent format), and no page holds a single column of its own
# beside the repeated inciso and key. The catalog is named by its period; no text cell has a
# percent format.
source "$(dirname "$0")/../lib.sh"
command -v soffice >/dev/null || { skip "LibreOffice not installed" "soffice"; finish; exit 0; }
use_fresh_db t_export_print || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_EXPORT_DIR="$T_TMP/exports"
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch "$SRC/samples/inbox" >"$T_TMP/batch.out" 2>&1
cot=$(psql_q "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id
              GROUP BY k.cot ORDER BY count(*) DESC, k.cot LIMIT 1")
psql_q "UPDATE cases SET coverage = 'LIMITADA' WHERE cot = '$cot'" >/dev/null
check "the case exports" "$MINCA" export "$cot" --force --out "$T_TMP/q.xlsx"
mkdir -p "$T_TMP/lo"
check "LibreOffice renders the workbook" timeout 300 soffice -env:UserInstallation=file://$T_TMP/lo-profile \
  --headless --convert-to pdf --outdir "$T_TMP/lo" "$T_TMP/q.xlsx"
res=$(/usr/bin/python3 - "$T_TMP/q.xlsx" "$T_TMP/lo/q.pdf" <<'PY'
import sys, re, subprocess, collections, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["COTIZACION"]
area = ws.print_area
m = re.search(r"\$([A-Z]+)\$\d+:\$([A-Z]+)\$\d+", str(area))
last = openpyxl.utils.column_index_from_string(m.group(2)) if m else ws.max_column
def words(s): return re.findall(r"\w+", str(s), re.UNICODE)
want = collections.Counter()
headers = [ws.cell(1, c).value for c in range(1, last + 1)]
for r in ws.iter_rows(min_row=1, max_col=last, values_only=True):
    for v in r:
        if isinstance(v, str): want.update(words(v))
text = subprocess.run(["pdftotext", "-layout", sys.argv[2], "-"], capture_output=True, text=True).stdout
pages = [p for p in text.split("\f") if re.search(r"\bCOTIZACION\b", p)]
got = collections.Counter()
for p in pages: got.update(words(p))
cut = [(w, n, got[w]) for w, n in want.items() if got[w] < n]
single = []
for i, p in enumerate(pages):
    present = set(words(p))
    own = [h for h in headers[2:] if h and all(w in present for w in words(h))]
    if len(own) < 2: single.append((i + 1, own))
print(len(pages), "pages", "ok" if not cut and not single else ("cut", cut[:6], "single", single[:3]))
PY
)
check_match "no cut cell text and no page with a single column" "^[0-9]+ pages ok$" "$res"
check_match "the catalog is named by its period (IDPERIOD), not its import time" "^periodo 2025-10 \\(demo_catver.csv\\)$" \
  "$(/usr/bin/python3 -c 'import sys, openpyxl; print(dict(r for r in openpyxl.load_workbook(sys.argv[1])["Resumen"].iter_rows(values_only=True, max_col=2) if r[0])["Versión de catálogo"])' "$T_TMP/q.xlsx")"
check_match "text in a deductible's percent column is a text cell" "^ok$" \
  "$(/usr/bin/python3 -c '
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["COTIZACION"]
bad = [c.coordinate for r in ws.iter_rows(min_row=2) for c in r if isinstance(c.value, str) and "%" in c.number_format]
n = sum(1 for r in ws.iter_rows(min_row=2) for c in r if c.value == "NO AMPARADA")
print("ok" if n and not bad else (n, bad[:5]))' "$T_TMP/q.xlsx")"
echo "# $res" >&2
finish
