#!/usr/bin/env bash
# An answer from a Microsoft 365 mailbox that is a new message, not a reply: the case came in
# through Graph, but its newest message from the broker came by another route (a file given
# to minca batch), so there is no Graph message to createReply on. The desk sends it with
# sendMail (202, no body; the files inline under the 3 MB limit), threaded by its own headers;
# a 429 with Retry-After before it is waited out and the message is sent once.
source "$(dirname "$0")/../lib.sh"
source "$SRC/tests/tools/graph_stub.bash"
use_fresh_db t_reply_graph_new || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
graph_stub_start "$T_TMP/stub" || { not_ok "the Graph stub starts"; finish; exit 1; }
export MINCA_TEST_GRAPH_SECRET="$GRAPH_STUB_SECRET"
graph_source_config "$T_TMP/config.yaml" 2 2
export MINCA_CONFIG="$T_TMP/config.yaml"
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
ctl add '{"count": 1}'
check "the request comes in through Graph" "$MINCA" intake run --once
cot=$(psql_q "SELECT cot FROM cases")
check_match "it opened a case" "-" "$cot"
orig=$(psql_q "SELECT message_id FROM messages")
# The broker's answer, saved to a file and read by minca batch: the case's newest message.
printf 'From: Corredor Nube <ventas@corredor-nube.mx>\r\nTo: cotiza@aseguradora.mx\r\nSubject: RE: %s\r\nMessage-ID: <respuesta-archivo@corredor-nube.mx>\r\nIn-Reply-To: %s\r\nReferences: %s\r\nDate: Mon, 06 Oct 2025 12:00:00 -0600\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLa vigencia es del 01/11/2025 al 01/11/2026.\r\n' \
  "$cot" "$orig" "$orig" >"$T_TMP/respuesta.eml"
check "the broker's answer read from a file" "$MINCA" batch "$T_TMP/respuesta.eml"
check_eq "it joined the case" "2" "$(psql_q "SELECT count(*) FROM messages WHERE case_id IS NOT NULL")"

# --missing, with Graph throttling the first request: Retry-After is waited out, one sendMail.
th=$(stat throttled)
ctl storm '{"count": 1, "status": 429, "retry_after": 1}'
out=$(EDITOR= VISUAL= "$MINCA" case reply "$cot" --missing --no-edit --wait 30 2>&1); rc=$?
check_eq "case reply --missing through Graph succeeds" "0" "$rc"
check_match "and says it was sent" "outbox #1: sent" "$out"
check_eq "Graph throttled one request (429)" "1" "$(( $(stat throttled) - th ))"
check_eq "one message sent, once, by sendMail" "1 1" "$(stat sends) $(stat sendmail)"
check_eq "a new message: sendMail, answering no Graph message" "sendMail None" \
  "$(sent "d['value'][0]['how'] + ' ' + str(d['value'][0]['replyTo'])")"
check_eq "no draft made" "0" "$(curl -s "$G/_control/drafts" | json_get "len(d['value'])")"
check_eq "to the broker" "ventas@corredor-nube.mx" "$(sent "','.join(d['value'][0]['to'])")"
check_match "the COT in the subject" "$cot" "$(sent "d['value'][0]['subject']")"
check_eq "the desk's Message-ID, so the broker's answer threads back" "$(psql_q "SELECT message_id FROM outbox WHERE id = 1")" \
  "$(sent "d['value'][0]['internetMessageId']")"
check_eq "stored as sent from the case's own mailbox, audited" "nube sent 1" \
  "$(psql_q "SELECT source_name || ' ' || state FROM outbox WHERE id = 1") $(psql_q "SELECT count(*) FROM audit_log WHERE action = 'reply_sent'")"

# The quote: the PDF and the workbook inline in the one sendMail request.
"$MINCA" export "$cot" --format both --force --out "$T_TMP/q" >/dev/null 2>&1
check "case reply --quote through Graph" "$MINCA" case reply "$cot" --quote --no-edit --wait 30
check_eq "sent by sendMail, once" "2 2" "$(stat sends) $(stat sendmail)"
check_eq "with the PDF and the workbook attached" "application/pdf application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" \
  "$(sent "' '.join(sorted(a['contentType'] for a in d['value'][1]['attachments']))")"
check_eq "byte for byte the export's files" "$(psql_q "SELECT string_agg(sha256, ' ' ORDER BY sha256) FROM exports WHERE case_id = (SELECT id FROM cases)")" \
  "$(sent "' '.join(sorted(a['sha256'] for a in d['value'][1]['attachments']))")"
check_eq "still no draft" "0" "$(curl -s "$G/_control/drafts" | json_get "len(d['value'])")"
finish
