#!/usr/bin/env bash
# Answers from the desk through a real SMTP server (OpenSMTPD started here on a loopback port,
# delivering to a Maildir): `minca case reply COT --missing` drafts from the template, sends a
# threaded message (In-Reply-To, References, the COT in the subject) that arrives in the
# broker's mailbox; the broker's answer to it joins the case and fills the vigencia. With the
# server down the message stays in the outbox, shown failing, and is delivered once when the
# server is back. A send killed -9 after it began is never sent again by itself (uncertain).
# runner: serial
source "$(dirname "$0")/../lib.sh"
if ! command -v smtpd >/dev/null; then
  skip "replies through SMTP" "OpenSMTPD (Debian package opensmtpd) is not installed: make deps"
  finish; exit 0
fi
use_fresh_db t_outbox || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
MAILDIR="$T_TMP/mail"
mkdir -p "$MAILDIR" "$T_TMP/smtp"
chown nobody "$MAILDIR" 2>/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T_TMP/smtp/smtpd.conf" <<CONF
table vusers { "@cenzontle-seguros.mx" = "nobody" }
listen on 127.0.0.1 port $PORT
action "deliver" maildir "$MAILDIR" virtual <vusers>
match from any for domain "cenzontle-seguros.mx" action "deliver"
CONF
SMTPD_PID=
smtpd_start() {
  (cd "$T_TMP/smtp" && exec smtpd -d -f "$T_TMP/smtp/smtpd.conf" >>"$T_TMP/smtp/log" 2>&1) &
  SMTPD_PID=$!
  t_track "$SMTPD_PID" smtpd
  wait_until 20 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)"
}
smtpd_stop() { [ -n "$SMTPD_PID" ] && kill "$SMTPD_PID" 2>/dev/null; wait "$SMTPD_PID" 2>/dev/null; SMTPD_PID=; }
on_exit 'smtpd_stop'
if ! smtpd -n -f "$T_TMP/smtp/smtpd.conf" >/dev/null 2>&1 || ! smtpd_start; then
  skip "replies through SMTP" "OpenSMTPD cannot run here: $(tail -3 "$T_TMP/smtp/log" 2>/dev/null)"
  finish; exit 0
fi
cat >"$T_TMP/config.yaml" <<CONF
insurer: demo
sources:
  corredores:
    kind: maildir
    insurer: demo
    path: $T_TMP/desk
    smtp_url: smtp://127.0.0.1:$PORT
    smtp_tls: none
    smtp_from: cotiza@aseguradora.mx
CONF
export MINCA_CONFIG="$T_TMP/config.yaml"
delivered() { find "$MAILDIR/new" -type f 2>/dev/null | wc -l; }

python3 - "$T_TMP" <<'PY'
import sys, os, email.message, email.policy
out = sys.argv[1]
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"], m["Subject"] = "Agente Cenzontle <agente@cenzontle-seguros.mx>", "cotiza@aseguradora.mx", "Cotización flotilla"
m["Message-ID"], m["Date"] = "<pedido@cenzontle-seguros.mx>", "Mon, 06 Oct 2025 10:00:00 -0600"
m.set_content("Solicito cotización de flotilla.\n\nRazón social: TRANSPORTES CORREO, S.A. DE C.V.\nRFC: TCO010101AB8\nCobertura: amplia\n")
m.add_attachment(b"No.,MARCA,TIPO,DESCRIPCION,MODELO\n1,NISSAN,NP300,NP300 PICKUP DH,2020\n", maintype="text", subtype="csv", filename="unidades.csv")
os.makedirs(f"{out}/1", exist_ok=True)
open(f"{out}/1/m.eml", "wb").write(m.as_bytes())
PY
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
check "the request opens a case" "$MINCA" batch "$T_TMP/1"
cot=$(psql_q "SELECT cot FROM cases")

out=$(EDITOR= VISUAL= "$MINCA" case reply "$cot" --missing --no-edit 2>&1); rc=$?
check_eq "case reply --missing sends" "0" "$rc"
check_match "and says so" "outbox #1: sent" "$out"
check_eq "the broker's mailbox received one message" "1" "$(delivered)"
got=$(cat "$MAILDIR"/new/* 2>/dev/null)
check_match "threaded: In-Reply-To names the request" "In-Reply-To: <pedido@cenzontle-seguros.mx>" "$got"
check_match "References carries the conversation" "References: <pedido@cenzontle-seguros.mx>" "$got"
check_match "the COT is in the subject" "Subject: .*$cot" "$got"
check_match "the body asks for the vigencia, from the template's labels" "Vigencia de la p" "$(python3 -c 'import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb"), policy=email.policy.default); print(m.get_body().get_content())' "$(ls "$MAILDIR"/new/* | head -1)")"
check_eq "the outbox row is sent, once" "sent 1" "$(psql_q "SELECT state || ' ' || attempts FROM outbox")"
check_eq "the sent message is stored (its bytes) and audited" "1 1" \
  "$(psql_q "SELECT count(*) FROM outbox o JOIN blobs b ON b.sha256 = o.raw_sha256") $(psql_q "SELECT count(*) FROM audit_log WHERE action = 'reply_sent'")"
sent_id=$(psql_q "SELECT message_id FROM outbox")

# The broker answers the desk's message (In-Reply-To: the message Minca sent).
python3 - "$T_TMP" "$sent_id" "$cot" <<'PY'
import sys, os, email.message, email.policy
out, irt, cot = sys.argv[1], sys.argv[2], sys.argv[3]
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"], m["Subject"] = "Agente Cenzontle <agente@cenzontle-seguros.mx>", "cotiza@aseguradora.mx", "RE: datos"
m["Message-ID"], m["Date"], m["In-Reply-To"] = "<respuesta@cenzontle-seguros.mx>", "Mon, 06 Oct 2025 12:00:00 -0600", irt
m.set_content("La vigencia es del 01/11/2025 al 01/11/2026.\n")
os.makedirs(f"{out}/2", exist_ok=True)
open(f"{out}/2/m.eml", "wb").write(m.as_bytes())
PY
check "the broker's answer" "$MINCA" batch "$T_TMP/2"
check_eq "it joins the case through the message Minca sent" "$cot in_reply_to" \
  "$(psql_q "SELECT k.cot || ' ' || m.joined_by FROM messages m JOIN cases k ON k.id = m.case_id WHERE m.message_id = '<respuesta@cenzontle-seguros.mx>'")"
check_eq "and fills the vigencia" "2025-11-01" "$(psql_q "SELECT validity_start FROM cases")"

# The server down: the message waits in the outbox, shown failing on the case.
smtpd_stop
out=$("$MINCA" case reply "$cot" --missing --no-edit --wait 20 2>&1); rc=$?
check_eq "a reply while the server is down exits non-zero" "1" "$rc"
check_match "and says the message is failing" "outbox #2: failing" "$out"
check_match "the case shows it failing" "#2 missing +failing" "$("$MINCA" case show "$cot" 2>&1)"
check_eq "nothing delivered meanwhile" "1" "$(delivered)"
smtpd_start
out=$("$MINCA" case outbox "$cot" --resend 2 --wait 30 2>&1); rc=$?
check_eq "resent once the server is back" "0" "$rc"
check_match "sent" "outbox #2: sent" "$out"
check_eq "delivered once" "2" "$(delivered)"
m2=$(psql_q "SELECT message_id FROM outbox WHERE id = 2")
check_eq "one copy of that message in the mailbox" "1" "$(grep -l -i -F "Message-Id: $m2" "$MAILDIR"/new/* | wc -l)"

# kill -9 while the send is under way (the server answers nothing): never sent twice.
kill -STOP "$SMTPD_PID"
"$MINCA" case reply "$cot" --missing --no-edit --wait 60 >"$T_TMP/k.out" 2>&1 &
cli=$!
wait_until 30 sql_is "SELECT state FROM outbox WHERE id = 3" sending
check_eq "the send is marked before the server is spoken to" "sending" "$(psql_q "SELECT state FROM outbox WHERE id = 3")"
kill -9 "$cli"; wait "$cli" 2>/dev/null
kill -CONT "$SMTPD_PID"
# The job's lease runs out; a worker takes the job back and finds the send begun.
psql_q "UPDATE jobs SET lease_until = now() - interval '1 second' WHERE kind = 'outbox' AND state = 'running'" >/dev/null
MINCA_LEASE_SECONDS=2 "$MINCA" worker --threads 1 >"$T_TMP/worker.log" 2>&1 &
wk=$!
wait_until 40 sql_is "SELECT state FROM outbox WHERE id = 3" uncertain
kill "$wk" 2>/dev/null; wait "$wk" 2>/dev/null
check_eq "a send found begun is not repeated: uncertain" "uncertain" "$(psql_q "SELECT state FROM outbox WHERE id = 3")"
sleep 2
check_eq "and it never reached the mailbox twice" "0" "$(grep -l -i -F "Message-Id: $(psql_q "SELECT message_id FROM outbox WHERE id = 3")" "$MAILDIR"/new/* 2>/dev/null | wc -l)"
check "a person resends it" "$MINCA" case outbox "$cot" --resend 3 --wait 30
check_eq "delivered once" "1" "$(grep -l -i -F "Message-Id: $(psql_q "SELECT message_id FROM outbox WHERE id = 3")" "$MAILDIR"/new/* | wc -l)"

# The quote goes back with both files of the latest export attached.
check_fails "no quote to send before an export" "$MINCA" case reply "$cot" --quote --no-edit
"$MINCA" export "$cot" --format both --force --out "$T_TMP/q" >/dev/null 2>&1
check "case reply --quote sends" "$MINCA" case reply "$cot" --quote --no-edit
q=$(grep -l -i -F "Message-Id: $(psql_q "SELECT message_id FROM outbox WHERE kind = 'quote'")" "$MAILDIR"/new/* | head -1)
check_eq "the quote arrives with the PDF and the workbook" "application/pdf application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" \
  "$(python3 -c 'import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb"), policy=email.policy.default); print(" ".join(sorted(a.get_content_type() for a in m.iter_attachments())))' "$q")"
finish
