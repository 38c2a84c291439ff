#!/usr/bin/env bash
# Catalog import (CSV and XLSX, bad rows, missing columns, versions) and the codifier reading
# the insurer's active catalog from the database.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_catalog || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=acme
DEMO="$SRC/samples/catalog/demo_catver.csv"
rows=$(($(wc -l < "$DEMO") - 1))

out=$("$MINCA" catalog import "$DEMO"); rc=$?
check_eq "import of the demo catalog succeeds" "0" "$rc"
check_match "it reports the rows imported" "$rows rows imported" "$out"
check_eq "the insurer was created" "acme" "$(psql_q "SELECT slug FROM insurers")"
check_eq "every row is stored" "$rows" "$(psql_q "SELECT count(*) FROM catalog_entries")"

# XLSX with headers in another case and accents, a title row above, columns reordered.
/usr/bin/python3 - "$DEMO" "$T_TMP/catalogo.xlsx" <<'PY'
import csv, sys, openpyxl
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
wb = openpyxl.Workbook(); ws = wb.active; ws.title = "Catálogo"
ws.append(["Catálogo de vehículos AMIS"])
header = [h.capitalize() for h in rows[0]]
order = list(range(len(header)))[::-1]
ws.append([header[i] for i in order])
for r in rows[1:201]:
    ws.append([int(r[i]) if rows[0][i] in ("MODELO", "NUMVER", "RAMO") and r[i].isdigit() else r[i] for i in order])
wb.save(sys.argv[2])
PY
out=$("$MINCA" catalog import "$T_TMP/catalogo.xlsx"); rc=$?
check_eq "an XLSX catalog with a title row and reordered, capitalised headers imports" "0" "$rc"
check_match "200 rows from the XLSX" "200 rows imported" "$out"
check_eq "the XLSX version is now the active one" "200" "$(psql_q "SELECT row_count FROM catalog_versions WHERE active")"
check_eq "the earlier version is kept" "2" "$(psql_q "SELECT count(*) FROM catalog_versions")"
check_match "catalog list marks the active version" '^\* .* 200 ' "$("$MINCA" catalog list)"

# Bad rows are skipped and reported with their line numbers; the rest is imported.
{ head -1 "$DEMO"; sed -n 2,11p "$DEMO"; echo 'ACME,MODELO X,1,711,1,1,001001,,19X9,12345,"SEDAN 4P",202510,,AUTO,MANUAL'; echo 'ACME,MODELO X,1,711,1,1,001001,,2020,ABCDE,"SEDAN 4P",202510,,AUTO,MANUAL'; echo ',,,,,,,,,,,,,,'; echo 'ACME,,1,711,1,1,001001,,2020,12345,"SEDAN 4P",202510,,AUTO,MANUAL'; } > "$T_TMP/bad.csv"
out=$("$MINCA" catalog import "$T_TMP/bad.csv"); rc=$?
check_eq "a catalog with some bad rows still imports the good ones" "0" "$rc"
check_match "10 good rows" "10 rows imported" "$out"
check_match "a bad model year is reported with its line" "line 12: MODELO is not a model year" "$out"
check_match "a bad key is reported with its line" "line 13: CVEGS is not a numeric key" "$out"
check_match "an empty SUBMARCA is reported with its line" "line 15: empty submarca" "$out"

# A file without the required columns changes nothing.
printf 'MARCA,DESCRIPCION\nNISSAN,VERSA\n' > "$T_TMP/nocols.csv"
out=$("$MINCA" catalog import "$T_TMP/nocols.csv" 2>&1); rc=$?
check_eq "a file without the CATVER columns is refused" "1" "$rc"
check_match "the error names the required columns" "marca, submarca, modelo, cvegs, descveh" "$out"
check_eq "the active catalog is unchanged" "10" "$(psql_q "SELECT row_count FROM catalog_versions WHERE active")"
printf '\x00\x01garbage' > "$T_TMP/junk.xlsx"
check_fails "a corrupt file is refused" "$MINCA" catalog import "$T_TMP/junk.xlsx"
check_fails "a missing file is refused" "$MINCA" catalog import "$T_TMP/nope.csv"

# The codifier reads the active catalog from the database.
"$MINCA" catalog import "$DEMO" >/dev/null
line=$(sed -n 2p "$DEMO")
desc=$(/usr/bin/python3 -c 'import csv,sys; r=next(csv.reader([sys.argv[1]])); print(f"{r[0]} {r[1]} {r[10]} {r[8]}")' "$line")
key=$(/usr/bin/python3 -c 'import csv,sys; r=next(csv.reader([sys.argv[1]])); print(r[9])' "$line")
json=$("$MINCA" codify --insurer acme --json --explain "$desc")
check_eq "codify --insurer finds a catalog row from its own text" "$key" "$(printf '%s' "$json" | json_get 'd["cvegs"]')"
check_eq "JSON Lines carry decision and candidates" "True" "$(printf '%s' "$json" | json_get '"decision" in d and len(d["candidates"]) >= 1 and "explanation" in d["candidates"][0]')"
check_fails "codify for an insurer without a catalog fails" "$MINCA" codify --insurer nadie "NISSAN VERSA"
printf 'id,descripcion,marca,anio\nA1,"%s",,\n' "$desc" > "$T_TMP/in.csv"
check_match "codify --input reads a CSV with descripcion and id" '"id": ?"A1"' "$("$MINCA" codify --insurer acme --json --input "$T_TMP/in.csv")"
finish
