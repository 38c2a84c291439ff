#!/usr/bin/env bash
# winmail.dat (TNEF, what Outlook sends for rich text), built at test time with
# tests/tools/make_tnef.py and checked with Debian's `tnef` tool: its spreadsheet is unpacked
# and read like any other attachment; a damaged one is kept, with a problem saying why.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_intake_tnef || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
mkdir -p "$T_TMP/in" "$T_TMP/files"
printf 'No.,MARCA,TIPO,DESCRIPCION,MODELO\n1,NISSAN,NP300,NP300 PICKUP DH,2020\n2,TOYOTA,HILUX,HILUX CHASIS,2021\n' \
  >"$T_TMP/files/unidades año.csv"
python3 "$SRC/tests/tools/make_tnef.py" "$T_TMP/winmail.dat" \
  "Buen día, solicito cotización. Razón social: TRANSPORTES ENRIQUECIDOS, S.A. DE C.V." "$T_TMP/files/unidades año.csv"
if command -v tnef >/dev/null; then
  check_match "Debian's tnef reads the winmail.dat built here" "unidades" "$(tnef -t "$T_TMP/winmail.dat" 2>&1)"
else
  skip "tnef check of the built winmail.dat" "the tnef package is not installed"
fi
python3 - "$T_TMP/winmail.dat" "$T_TMP/in" <<'PY'
import sys, email.message, email.policy
dat = open(sys.argv[1], "rb").read()
def eml(mid, payload):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "Agente Cenzontle <agente@cenzontle-seguros.mx>"
    m["To"] = "cotiza@aseguradora.mx"
    m["Subject"] = "Cotización flotilla"
    m["Message-ID"] = mid
    m["Date"] = "Mon, 06 Oct 2025 10:00:00 -0600"
    m.set_content("Buen día, solicito cotización.\n\nRazón social: TRANSPORTES ENRIQUECIDOS, S.A. DE C.V.\n"
                  "RFC: TPR010101AB8\nCobertura: amplia\n")
    m.add_attachment(payload, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return m.as_bytes()
open(sys.argv[2] + "/tnef.eml", "wb").write(eml("<tnef-1@cenzontle-seguros.mx>", dat))
open(sys.argv[2] + "/broken.eml", "wb").write(eml("<tnef-2@cenzontle-seguros.mx>", dat[:40]))
PY
json=$("$MINCA" mail parse --json "$T_TMP/in/tnef.eml")
check_match "mail parse lists the file inside winmail.dat" '"filename": "unidades año.csv"' "$json"
check_match "inside the TNEF container" '"container": "application/ms-tnef winmail.dat"' "$json"

"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
check "batch reads the message with winmail.dat" "$MINCA" batch "$T_TMP/in/tnef.eml"
check_eq "the case is not in error" "1" "$(psql_q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<tnef-1@cenzontle-seguros.mx>' AND k.status <> 'error'")"
check_eq "the spreadsheet from winmail.dat is an attachment" "unidades año.csv|fleet_list" \
  "$(psql_q "SELECT a.filename || '|' || a.role FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = '<tnef-1@cenzontle-seguros.mx>'")"
check_eq "its vehicles are extracted" "2" "$(psql_q "SELECT count(*) FROM vehicle_rows")"

"$MINCA" batch "$T_TMP/in/broken.eml" >"$T_TMP/broken.out" 2>&1
check_eq "a damaged winmail.dat is stored, not lost" "1" "$(psql_q "SELECT count(*) FROM messages WHERE message_id = '<tnef-2@cenzontle-seguros.mx>'")"
check_match "the damaged winmail.dat is a problem of the message" "could not be unpacked" \
  "$(psql_q "SELECT problems::text FROM messages WHERE message_id = '<tnef-2@cenzontle-seguros.mx>'")"
finish
