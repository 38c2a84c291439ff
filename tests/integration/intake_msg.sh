#!/usr/bin/env bash
# An Outlook item (.msg, Compound File Binary per [MS-OXMSG]) attached to an email, built at
# test time with libgsf's writer (tests/unit/test_intake_msg --write-msg): its sender, subject
# and body are read as a forwarded message, the spreadsheet inside it is read like any other
# attachment and its vehicles extracted; a damaged item is kept with a problem saying why.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_intake_msg || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
mkdir -p "$T_TMP/in" "$T_TMP/files"
printf 'No.,MARCA,TIPO,DESCRIPCION,MODELO\n1,NISSAN,NP300,NP300 PICKUP DH,2020\n2,TOYOTA,HILUX,HILUX CHASIS,2021\n' \
  >"$T_TMP/files/unidades outlook.csv"
TOOL="$(dirname "$MINCA")/tests/test_intake_msg"
check "the .msg is built" "$TOOL" --write-msg "$T_TMP/item.msg" "$T_TMP/files/unidades outlook.csv"
check_match "it is a Compound File" "CDFV2|Composite Document|Outlook" "$(file -b "$T_TMP/item.msg" 2>/dev/null || echo Outlook)"
python3 - "$T_TMP/item.msg" "$T_TMP/in" <<'PY'
import sys, email.message, email.policy
item = open(sys.argv[1], "rb").read()
def eml(mid, payload):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "Colega Interno <colega@aseguradora.mx>"
    m["To"] = "cotiza@aseguradora.mx"
    m["Subject"] = "RV: Cotización flotilla"
    m["Message-ID"] = mid
    m["Date"] = "Mon, 06 Oct 2025 10:00:00 -0600"
    m.set_content("Les reenvío la solicitud del agente.\n")
    m.add_attachment(payload, maintype="application", subtype="vnd.ms-outlook", filename="Solicitud agente.msg")
    return m.as_bytes()
open(sys.argv[2] + "/msg.eml", "wb").write(eml("<msg-1@aseguradora.mx>", item))
open(sys.argv[2] + "/broken.eml", "wb").write(eml("<msg-2@aseguradora.mx>", item[:8] + bytes(range(256)) * 8))
PY
json=$("$MINCA" mail parse --json "$T_TMP/in/msg.eml")
check_match "mail parse lists the file inside the .msg" '"filename": "unidades outlook.csv"' "$json"
check_match "inside the Outlook item" '"container": "application/vnd.ms-outlook Solicitud agente.msg"' "$json"
check_match "the item's sender is a forwarded message's" '"from_addr": "agente@corredor-outlook.mx"' "$json"
check_match "with its subject" '"subject": "Cotización flotilla Outlook"' "$json"

"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
check "batch reads the message with the .msg" "$MINCA" batch "$T_TMP/in/msg.eml"
check_eq "the case is not in error" "1" "$(psql_q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<msg-1@aseguradora.mx>' AND k.status <> 'error'")"
check_eq "the spreadsheet from the .msg is an attachment" "unidades outlook.csv|fleet_list" \
  "$(psql_q "SELECT a.filename || '|' || a.role FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = '<msg-1@aseguradora.mx>' AND a.filename LIKE 'unidades%'")"
check_eq "its vehicles are extracted" "2" "$(psql_q "SELECT count(*) FROM vehicle_rows")"
check_eq "the item's author is the forwarded sender" "agente@corredor-outlook.mx" \
  "$(psql_q "SELECT forwarded_from FROM messages WHERE message_id = '<msg-1@aseguradora.mx>'")"

"$MINCA" batch "$T_TMP/in/broken.eml" >"$T_TMP/broken.out" 2>&1
check_eq "a damaged .msg is stored, not lost" "1" "$(psql_q "SELECT count(*) FROM messages WHERE message_id = '<msg-2@aseguradora.mx>'")"
check_match "the damaged .msg is a problem of the message" "Outlook item Solicitud agente.msg could not be read" \
  "$(psql_q "SELECT problems::text FROM messages WHERE message_id = '<msg-2@aseguradora.mx>'")"
finish
