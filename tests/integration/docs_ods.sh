#!/usr/bin/env bash
# ODS end to end through the CLI: the Calc files of shared/data/inbox_real_dev read row by row
# and cell by cell against their labels (tests/tools/check_ods_labels.py), a vehicle list
# extracted from one, and hostile packages (a million declared rows, an .odt) refused or read
# in bounded time with a message that says what the file is.
source "$(dirname "$0")/../lib.sh"

INBOX="$SHARED/data/inbox_real_dev"
if [ -f "$INBOX/labels.json" ]; then
  out=$(python3 "$SRC/tests/tools/check_ods_labels.py" "$MINCA" "$INBOX" "$T_TMP" 2>&1)
  rc=$?
  check_eq "every labelled vehicle row and cell of the Calc .ods files is read" 0 "$rc"
  echo "# $(printf '%s' "$out" | tail -n 1)"
  [ $rc -eq 0 ] || printf '%s\n' "$out" | head -n 20 >&2
  out=$("$MINCA" profile test auto "$T_TMP/dev_004.eml.ods" 2>&1)
  check_match "a Calc .ods list gives its vehicles" "validation: 10 rows, 0 skipped" "$out"
  check_match "amounts are the stored values" "5J6YURB49GW314257 .*\\\$182000\\.00" "$out"
else
  skip "labelled Calc .ods files" "shared/data/inbox_real_dev not present"
  skip "a Calc .ods list gives its vehicles" "shared/data/inbox_real_dev not present"
  skip "amounts are the stored values" "shared/data/inbox_real_dev not present"
fi

python3 - "$T_TMP" <<'PY'
import sys, zipfile
d = sys.argv[1]
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
def pkg(path, mime, content):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mime, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
doc = '<office:document-content %s><office:body><office:spreadsheet><table:table table:name="H">%%s</table:table></office:spreadsheet></office:body></office:document-content>' % NS
cell = '<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>'
ods = "application/vnd.oasis.opendocument.spreadsheet"
pkg(d + "/vacias.ods", ods, doc % ('<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
                                  '<table:table-row>' + cell % "ULTIMA" + '</table:table-row>'
                                  '<table:table-row table:number-rows-repeated="2147483647"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>'))
pkg(d + "/millones.ods", ods, doc % ('<table:table-row table:number-rows-repeated="2000000">' + cell % "x" + '</table:table-row>'))
pkg(d + "/copias.ods", ods, doc % ('<table:table-row table:number-rows-repeated="1000000">'
                                   '<table:table-cell table:number-columns-repeated="10" office:value-type="float" office:value="1"/></table:table-row>'))
pkg(d + "/carta.odt", "application/vnd.oasis.opendocument.text", "<office:document-content/>")
PY
start=$(date +%s%N)
out=$("$MINCA" profile read "$T_TMP/vacias.ods" 2>&1)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_match "a million declared empty rows and columns cost nothing" "^1048577 +\\|s ULTIMA" "$out"
echo "# read in $ms ms"
out=$("$MINCA" profile read "$T_TMP/millones.ods" 2>&1)
check_match "a row repeated two million times meets the row limit" "repeats row 1 2000000 times, beyond the row limit \\(max_rows" "$out"
check_no_match "... before emitting any of it" "^ +1 +\\|s x" "$out"
out=$("$MINCA" profile read "$T_TMP/copias.ods" 2>&1)
check_match "ten values copied a million times meet the repeat limit" "max_repeated_cells" "$out"
out=$("$MINCA" profile read "$T_TMP/carta.odt" 2>&1)
check_match "an .odt says what it is" "carta.odt: an OpenDocument text document, not a spreadsheet" "$out"
finish
