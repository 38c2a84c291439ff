#!/usr/bin/env bash
# `minca profile` on generated fixtures: list, show, test (text and --json), suggest, read;
# readable errors for a broken profile, a truncated workbook, a damaged PDF and a disguised CSV.
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
for b in altamira bajio cuauhtemoc huasteca occidente pacifico sierramadre tlaloc; do
  check_match "list has the $b profile" "^$b " "$out"
done
check_eq "every listed profile loads" 0 "$(printf '%s\n' "$out" | grep -c '(invalid')"
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
cat >"$FIX/exportado.xls" <<'HTML'
<html><head><meta charset="utf-8"></head><body><table><tr><td>SISTEMA DE FLOTILLAS</td></tr></table>
<table><tr><th>Inciso</th><th>Descripción del vehículo</th><th>Modelo</th><th>Serie</th></tr>
<tr><td>1</td><td>KIA RIO L SEDAN 4P L4 1.6L AUT</td><td>2023</td><td>KNAS4TVL3PDF18608</td></tr>
<tr><td>2</td><td>NISSAN FRONTIER PRO4X L4 4X4 AUT</td><td>2023</td><td>1N63L1HKXPF206334</td></tr></table></body></html>
HTML
out=$("$MINCA" profile test auto "$FIX/exportado.xls")
check_match "an .xls that is really an HTML page is read as HTML" "exportado.xls \(html\)" "$out"
check_match "its vehicle table is found after the banner table" "line 3 +2023 +1N63L1HKXPF206334" "$out"
cat >"$FIX/ss2003.xls" <<'XML'
<?xml version="1.0"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="Unidades"><Table>
  <Row><Cell><Data ss:Type="String">Marca</Data></Cell><Cell><Data ss:Type="String">Submarca</Data></Cell><Cell><Data ss:Type="String">Año</Data></Cell><Cell><Data ss:Type="String">Serie</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">FORD</Data></Cell><Cell><Data ss:Type="String">RANGER</Data></Cell><Cell><Data ss:Type="Number">2019</Data></Cell><Cell><Data ss:Type="String">8AFRE9EU3KX923696</Data></Cell></Row>
 </Table></Worksheet>
</Workbook>
XML
out=$("$MINCA" profile test auto "$FIX/ss2003.xls")
check_match "an XML Spreadsheet 2003 saved as .xls is read" "Unidades:2 +2019 +8AFRE9EU3KX923696 +FORD RANGER" "$out"
printf '%%PDF-1.6\n...' >"$FIX/lista.pdf"
err=$("$MINCA" profile test auto "$FIX/lista.pdf" 2>&1 >/dev/null)
check_match "a damaged PDF gives a readable reason" "lista.pdf: not a readable PDF document" "$err"
check_fails "usage error on bad arguments" "$MINCA" profile test

# the parser child reads hostile bytes: it must not inherit the database URL or other secrets
if command -v strace >/dev/null; then
  trace=$(MINCA_DATABASE_URL=postgresql://minca:s3cr3t-pw@db.example/minca MINCA_REDIS_URL=redis://:r3dis-pw@r/0 \
    strace -f -v -s 400 -e trace=execve "$MINCA" profile read "$FIX/flotilla.xls" 2>&1 >/dev/null | grep 'minca-parser')
  check_match "the parser child is started" 'minca-parser' "$trace"
  check_no_match "the parser child gets no database or Redis URL" 's3cr3t-pw|r3dis-pw|MINCA_DATABASE_URL|MINCA_REDIS_URL' "$trace"
else
  skip "parser child environment" "strace is not installed"
fi
finish
