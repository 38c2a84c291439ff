#!/usr/bin/env bash
# Addressing vehicle rows from the command line when a case has two files whose incisos
# repeat: by FILE:INCISO or #ROWID; a bare inciso that is ambiguous is refused.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_review_rows || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_USER=revisora
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
python3 "$SRC/tests/tools/gen_fleet_xlsx.py" 4 "$T_TMP/a.xlsx"
python3 "$SRC/tests/tools/gen_fleet_xlsx.py" 3 "$T_TMP/b.xlsx"
python3 - "$T_TMP" <<'PY'
import sys
from email.message import EmailMessage
d = sys.argv[1]
m = EmailMessage()
m["From"] = "Corredor Prueba <ventas@corredor-prueba.mx>"
m["To"] = "cotizaciones@aseguradora.mx"
m["Subject"] = "Flotilla en dos archivos"
m["Message-ID"] = "<two-files@corredor-prueba.mx>"
m.set_content("Buen día, solicito cotización de flotilla.\n\nRazón social: TRANSPORTES DOBLES, S.A. DE C.V.\nRFC: TDO010101AB8\n")
for name in ("pesados.xlsx", "ligeros.xlsx"):
    src = "a.xlsx" if name == "pesados.xlsx" else "b.xlsx"
    m.add_attachment(open(f"{d}/{src}", "rb").read(), maintype="application",
                     subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=name)
open(f"{d}/two.eml", "wb").write(bytes(m))
PY
"$MINCA" batch "$T_TMP/two.eml" >/dev/null 2>&1
cot=$(psql_q "SELECT cot FROM cases")
check_eq "the case has the rows of both files" "7" "$(psql_q "SELECT count(*) FROM vehicle_rows")"
row() { psql_q "SELECT $1 FROM vehicle_rows v JOIN attachments a ON a.id = v.attachment_id LEFT JOIN matches x ON x.vehicle_row_id = v.id WHERE a.filename = '$2' AND v.inciso = $3"; }
out=$("$MINCA" review "$cot" nomatch 2 2>&1); rc=$?
check_eq "a bare inciso found in both files is refused" "1" "$rc"
check_match "the refusal shows how to name each row" "pesados.xlsx:2 \(#[0-9]+\), ligeros.xlsx:2 \(#[0-9]+\)" "$out"
check_eq "nothing was decided" "0" "$(psql_q "SELECT count(*) FROM matches WHERE decision = 'rejected'")"
check "FILE:INCISO names one row" "$MINCA" review "$cot" nomatch ligeros.xlsx:2
check_eq "the row of that file is decided" "rejected" "$(row x.decision ligeros.xlsx 2)"
check_eq "the other file's row is not" "0" "$(psql_q "SELECT count(*) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN attachments a ON a.id = v.attachment_id WHERE a.filename = 'pesados.xlsx' AND v.inciso = 2 AND x.decision = 'rejected'")"
check "the attachment's number works too" "$MINCA" review "$cot" nomatch 1:3
check_eq "row 3 of the first file is decided" "rejected" "$(row x.decision pesados.xlsx 3)"
rid=$(row v.id pesados.xlsx 1)
check "#ROWID names one row" "$MINCA" review "$cot" note "#$rid" "revisado"
check_eq "the note is on that row" "revisado" "$(row x.note pesados.xlsx 1)"
check_match "case show lists the row ids" "#$rid" "$("$MINCA" case show "$cot")"
check "an inciso only one file has still works alone" "$MINCA" review "$cot" nomatch 4
check_fails "a row id of another case is refused" "$MINCA" review "$cot" nomatch "#999999"
finish
