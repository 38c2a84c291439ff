#!/usr/bin/env bash
# `minca profile` on generated fixtures: list, show, test (text and --json), suggest, read;
# readable errors for a broken profile, a truncated workbook, a PDF and a disguised CSV.
source "$(dirname "$0")/../lib.sh"

FIX="$T_TMP/fix"
mkdir -p "$FIX"
cp "$SRC/tests/fixtures/docs/flotilla.xls" "$FIX/"
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c "import openpyxl" 2>/dev/null; then PY=$p; break; fi
done
if [ -n "$PY" ]; then
  "$PY" "$SRC/tests/fixtures/docs/make_fixtures.py" "$FIX" 2>/dev/null
  cp "$SRC/tests/fixtures/docs/flotilla.xls" "$FIX/"   # keep the committed BIFF8 file
fi
export MINCA_PROFILES="$SRC/profiles"

out=$("$MINCA" profile list)
check_match "list shows the shipped profiles" "altamira .*seguros-altamira.com.mx" "$out"
check_eq "list has 8 brokers" 8 "$(printf '%s\n' "$out" | grep -c .)"
check_match "show prints the YAML" "^name: cuauhtemoc" "$("$MINCA" profile show cuauhtemoc)"
check_fails "show of an unknown profile fails" "$MINCA" profile show nadie

out=$("$MINCA" profile test sierramadre "$FIX/flotilla.xls")
check_match "test with a profile prints rows" "Flotilla:6 +2019 +8AFRE9EU3KX923696 +FORD RANGER XL DC PK L4 2.5L STD" "$out"
check_match "test reports the TOTAL row" "totals on row 9" "$out"
check_match "test prints the validation report" "validation: 3 rows, 0 skipped" "$out"

json=$("$MINCA" profile test auto "$FIX/flotilla.xls" --json)
check_match "--json is JSON with the report" '"auto_mapped": true' "$json"
check_match "--json carries raw cells" '"VALOR FACTURA": 138500' "$json"

"$MINCA" profile suggest "$FIX/flotilla.xls" --domain ejemplo-seguros.mx --out "$T_TMP/ejemplo.yaml" 2>/dev/null
check_match "suggest writes a commented draft" '"AÑO": year +# 0\.9' "$(cat "$T_TMP/ejemplo.yaml")"
check_match "the draft is named after the domain" '^name: ejemplo-seguros' "$(cat "$T_TMP/ejemplo.yaml")"
check_match "the draft applies to its file" "validation: 3 rows" "$("$MINCA" profile test "$T_TMP/ejemplo.yaml" "$FIX/flotilla.xls")"
check_match "suggest to stdout" "^# Draft broker profile" "$("$MINCA" profile suggest "$FIX/flotilla.xls")"

printf 'name: roto\nmapping:\n  Marca: marca\n  Serie: [vin\n' >"$T_TMP/roto.yaml"
err=$("$MINCA" profile test "$T_TMP/roto.yaml" "$FIX/flotilla.xls" 2>&1 >/dev/null)
check_match "a broken profile names line and column" "roto.yaml: line [0-9]+, column [0-9]+" "$err"
printf 'mapping:\n  Marca: marka\n' >"$T_TMP/campo.yaml"
err=$("$MINCA" profile test "$T_TMP/campo.yaml" "$FIX/flotilla.xls" 2>&1 >/dev/null)
check_match "an unknown field names line and column" "line 2, column 10: unknown canonical field 'marka'" "$err"

if [ -n "$PY" ]; then
  out=$("$MINCA" profile test cuauhtemoc "$FIX/titulo.xlsx")
  check_match "xlsx: vehicles on the second sheet after title rows" "RELACION:5 +2019" "$out"
  check_match "xlsx: TOTAL DE UNIDADES ends the table" "totals on row 8" "$out"
  check_match "xlsx: money as text parsed" '\$450000.00|\$138500.00' "$out"
  head -c 3000 "$FIX/titulo.xlsx" >"$FIX/cortado.xlsx"
  err=$("$MINCA" profile test auto "$FIX/cortado.xlsx" 2>&1 >/dev/null)
  check_match "a truncated xlsx gives a readable error" "cortado.xlsx: not a readable XLSX workbook: the ZIP container is truncated or damaged" "$err"
  cp "$FIX/latin1.csv" "$FIX/disfrazado.xlsx"
  out=$("$MINCA" profile test pacifico "$FIX/disfrazado.xlsx")
  check_match "an .xlsx that is really CSV is read by sniffing" "disfrazado.xlsx \(csv, WINDOWS-1252, delimiter ';'\)" "$out"
  check_match "latin-1 converted" "line 2 +2019 +8AFRE9EU3KX923696" "$out"
  check_match "utf-8 BOM + tab" "validation: 3 rows" "$("$MINCA" profile test auto "$FIX/utf8_bom.csv")"
  check_match "read dumps typed cells" '\|n 2019' "$("$MINCA" profile read "$FIX/titulo.xlsx" | head -20; "$MINCA" profile read "$FIX/flotilla.xls")"
else
  skip "xlsx and csv fixtures" "python3-openpyxl not installed"
fi
printf '%%PDF-1.6\n...' >"$FIX/lista.pdf"
err=$("$MINCA" profile test auto "$FIX/lista.pdf" 2>&1 >/dev/null)
check_match "a PDF is reported as not a spreadsheet" "lista.pdf: PDF documents are not read" "$err"
check_fails "usage error on bad arguments" "$MINCA" profile test
finish
