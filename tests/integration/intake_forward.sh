#!/usr/bin/env bash
# Forwards, built at test time: a colleague's Outlook "RV:" naming the broker only in the
# forwarded header block, Gmail's "Fwd:" in English, Outlook's "forward as attachment" (a
# base64 message/rfc822 part), and `mail add --attach x.eml`. The attached email is opened,
# its spreadsheet read, and the broker recognised from the forwarded email's author.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_intake_forward || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
mkdir -p "$T_TMP/in"
python3 - "$T_TMP/in" <<'PY'
import sys, email.message, email.policy, email.utils
out = sys.argv[1]
csv_cenz = "No.,MARCA,TIPO,DESCRIPCION,MODELO\n1,NISSAN,NP300,NP300 PICKUP DH,2020\n2,TOYOTA,HILUX,HILUX CHASIS,2021\n"
body = ("Buen día, solicito cotización de flotilla.\n\nRazón social: TRANSPORTES REENVIADOS, S.A. DE C.V.\n"
        "RFC: TPR010101AB8\nCobertura: amplia\n")

def msg(frm, subject, mid, text):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"], m["To"], m["Subject"], m["Message-ID"] = frm, "cotiza@aseguradora.mx", subject, mid
    m["Date"] = "Mon, 06 Oct 2025 10:00:00 -0600"
    m.set_content(text)
    return m

# 1. Outlook (Spanish) inline forward: the broker only in the "De:" block.
m = msg("Colega Suscripción <colega@aseguradora.mx>", "RV: Cotización flotilla", "<rv-1@aseguradora.mx>",
        "Te la reenvío.\n\n________________________________\n"
        "De: Agente Cenzontle <agente@cenzontle-seguros.mx>\nEnviado el: lunes, 6 de octubre de 2025 09:14\n"
        "Para: Colega Suscripción <colega@aseguradora.mx>\nAsunto: Cotización flotilla\n\n" + body)
m.add_attachment(csv_cenz.encode(), maintype="text", subtype="csv", filename="unidades.csv")
open(f"{out}/1-rv.eml", "wb").write(m.as_bytes())

# 2. Gmail (English) forward.
m = msg("Colega Suscripción <colega@aseguradora.mx>", "Fwd: fleet quote", "<fwd-2@aseguradora.mx>",
        "FYI\n\n---------- Forwarded message ---------\nFrom: Agente Cenzontle <agente@cenzontle-seguros.mx>\n"
        "Date: Mon, Oct 6, 2025 at 9:14 AM\nSubject: fleet quote\nTo: <colega@aseguradora.mx>\n\n"
        + body.replace("REENVIADOS", "GMAIL"))
m.add_attachment(csv_cenz.encode(), maintype="text", subtype="csv", filename="unidades.csv")
open(f"{out}/2-fwd.eml", "wb").write(m.as_bytes())

# 3. Outlook "forward as attachment": the broker's email in a base64 message/rfc822 part.
inner = msg("Agente Cenzontle <agente@cenzontle-seguros.mx>", "Cotización flotilla", "<inner-3@cenzontle-seguros.mx>",
            body.replace("REENVIADOS", "ADJUNTOS"))
inner.add_attachment(csv_cenz.encode(), maintype="text", subtype="csv", filename="flotilla adjunta.csv")
open(f"{out}/inner.eml.src", "wb").write(inner.as_bytes())
outer = msg("Colega Suscripción <colega@aseguradora.mx>", "RV: Cotización flotilla", "<rv-3@aseguradora.mx>",
            "Va como adjunto.\n")
outer.add_attachment(inner.as_bytes(), maintype="application", subtype="octet-stream", filename="Cotización flotilla.eml")
part = list(outer.iter_attachments())[0]
part.replace_header("Content-Type", 'message/rfc822; name="Cotización flotilla.eml"')
assert part["Content-Transfer-Encoding"] == "base64"
open(f"{out}/3-attached.eml", "wb").write(outer.as_bytes())
PY
mv "$T_TMP/in/inner.eml.src" "$T_TMP/inner.eml"
check_match "the attached email is in base64, as Outlook sends it" "Content-Transfer-Encoding: base64" "$(grep -A3 -i 'message/rfc822' "$T_TMP/in/3-attached.eml")"

"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
check "batch reads the forwards" "$MINCA" batch "$T_TMP/in"
broker_of() { psql_q "SELECT coalesce(b.name, '-') FROM messages m JOIN cases k ON k.message_id = m.id LEFT JOIN brokers b ON b.id = k.broker_id WHERE m.message_id = '$1'"; }
check_eq "Outlook RV: the broker is the forwarded email's author" "Cenzontle Seguros y Fianzas" "$(broker_of '<rv-1@aseguradora.mx>')"
check_eq "its author is kept on the message" "agente@cenzontle-seguros.mx" "$(psql_q "SELECT forwarded_from FROM messages WHERE message_id = '<rv-1@aseguradora.mx>'")"
check_eq "the case uses the broker's profile (not flagged for a new one)" "f" \
  "$(psql_q "SELECT k.needs_profile FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<rv-1@aseguradora.mx>'")"
check_eq "Gmail Fwd: the broker is the forwarded email's author" "Cenzontle Seguros y Fianzas" "$(broker_of '<fwd-2@aseguradora.mx>')"
check_eq "forward as attachment (base64): a case" "1" "$(psql_q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<rv-3@aseguradora.mx>'")"
check_eq "its spreadsheet is read from inside the attached email" "message/rfc822 <inner-3@cenzontle-seguros.mx>" \
  "$(psql_q "SELECT a.container FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = '<rv-3@aseguradora.mx>' AND a.filename = 'flotilla adjunta.csv'")"
check_eq "and its vehicles extracted" "2" \
  "$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<rv-3@aseguradora.mx>'")"
check_eq "its broker recognised" "Cenzontle Seguros y Fianzas" "$(broker_of '<rv-3@aseguradora.mx>')"
check_eq "the client comes from the attached email" "TRANSPORTES ADJUNTOS, S.A. DE C.V." \
  "$(psql_q "SELECT k.client_name FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<rv-3@aseguradora.mx>'")"

# mail add --attach x.eml: the email is attached as an email and opened.
out=$("$MINCA" mail add --from "Colega <colega@aseguradora.mx>" --subject "RV: desde el escritorio" \
      --body "Adjunto la solicitud." --attach "$T_TMP/inner.eml" 2>&1); rc=$?
check_eq "mail add --attach x.eml exits 0" "0" "$rc"
check_match "and opens a case" "COT-[0-9]{4}-[0-9]{6}" "$out"
check_eq "the spreadsheet inside the attached email is an attachment" "1" \
  "$(psql_q "SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.subject = 'RV: desde el escritorio' AND a.filename = 'flotilla adjunta.csv'")"
finish
