#!/usr/bin/env bash
# Answers from the desk through the case's own Microsoft 365 mailbox (tests/tools/graph_stub.py,
# which follows Microsoft's documented shapes): a case that came from a Graph source is
# answered with createReply on the original message, the draft PATCHed with the desk's text,
# recipient, subject and Message-ID, the files attached (fileAttachment, or an upload session
# above the inline limit), then send. A 429 before the send waits out Retry-After and sends
# once; a 401 renews the token; a 503 that outlasts the retries leaves it failing, sent once
# on resend; a send killed -9 while Graph holds it is never repeated (uncertain).
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_reply_graph || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
source "$SRC/tests/tools/graph_stub.bash"
graph_stub_start "$T_TMP/stub" || { not_ok "the Graph stub starts"; finish; exit 1; }
ST="$T_TMP/stub"
export MINCA_TEST_GRAPH_SECRET="$GRAPH_STUB_SECRET"
config() { graph_source_config "$T_TMP/config.yaml" 2 1 "$1"; }
config ""
export MINCA_CONFIG="$T_TMP/config.yaml"
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
ctl add '{"count": 1}'
check "the request comes in through Graph" "$MINCA" intake run --once
cot=$(psql_q "SELECT cot FROM cases")
check_match "it opened a case" "-" "$cot"

# --missing, with Graph throttling the first request: Retry-After is waited out, one send.
th=$(stat throttled)
ctl storm '{"count": 1, "status": 429, "retry_after": 1}'
out=$(EDITOR= VISUAL= "$MINCA" case reply "$cot" --missing --no-edit --wait 30 2>&1); rc=$?
check_eq "case reply --missing through Graph succeeds" "0" "$rc"
check_match "and says it was sent" "outbox #1: sent" "$out"
check_eq "Graph throttled one request (429)" "1" "$(( $(stat throttled) - th ))"
check_eq "one message sent, once" "1" "$(stat sends)"
check_eq "as a reply (createReply) to the original message, by its immutable id" "createReply AAkALg000000==" \
  "$(sent "d['value'][0]['how'] + ' ' + d['value'][0]['replyTo']")"
check_eq "to the broker" "ventas@corredor-nube.mx" "$(sent "','.join(d['value'][0]['to'])")"
check_match "the COT in the subject" "$cot" "$(sent "d['value'][0]['subject']")"
check_match "the desk's text (the draft's quoted body replaced)" "Vigencia" "$(sent "d['value'][0]['body']")"
check_eq "the desk's Message-ID, so the broker's answer threads back" "$(psql_q "SELECT message_id FROM outbox WHERE id = 1")" \
  "$(sent "d['value'][0]['internetMessageId']")"
check_eq "from the case's own mailbox, stored and audited" "nube cotiza@aseguradora.mx 1" \
  "$(psql_q "SELECT source_name || ' ' || from_addr FROM outbox WHERE id = 1") $(psql_q "SELECT count(*) FROM audit_log WHERE action = 'reply_sent'")"
check_eq "no draft left behind" "0" "$(curl -s "$G/_control/drafts" | json_get "len(d['value'])")"

# The quote with both files.
"$MINCA" export "$cot" --format both --force --out "$T_TMP/q" >/dev/null 2>&1
"$MINCA" intake run --once >/dev/null 2>&1
u0=$(stat unauthorized)
ctl revoke '{"count": 1}'
check "case reply --quote through Graph (its token revoked)" "$MINCA" case reply "$cot" --quote --no-edit --wait 30
check_match "Graph refused the stale token once and a new one was taken" "^[1-9]" "$(( $(stat unauthorized) - u0 ))"
check_eq "two messages sent in all" "2" "$(stat sends)"
check_eq "the quote is a reply to the original message" "createReply AAkALg000000==" \
  "$(sent "d['value'][1]['how'] + ' ' + d['value'][1]['replyTo']")"
check_eq "with the PDF and the workbook attached" "application/pdf application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" \
  "$(sent "' '.join(sorted(a['contentType'] for a in d['value'][1]['attachments']))")"
check_eq "byte for byte the export's files" "$(psql_q "SELECT string_agg(sha256, ' ' ORDER BY sha256) FROM exports WHERE case_id = (SELECT id FROM cases)")" \
  "$(sent "' '.join(sorted(a['sha256'] for a in d['value'][1]['attachments']))")"

# Files above the inline limit go through an upload session, without the token.
config "    attachment_inline_kb: 1"
check "a quote whose files are above the inline limit" "$MINCA" case reply "$cot" --quote --no-edit --wait 30
check_match "uploaded in an upload session" "^[1-9]" "$(stat upload_puts)"
check_eq "the pre-authenticated upload URL never got the token" "0" "$(stat upload_with_auth)"
check_eq "the same files arrive" "$(sent "' '.join(sorted(a['sha256'] for a in d['value'][1]['attachments']))")" \
  "$(sent "' '.join(sorted(a['sha256'] for a in d['value'][2]['attachments']))")"
config ""

# A 503 that outlasts the retries: failing, nothing sent; resent once.
ctl storm '{"count": 20, "status": 503, "retry_after": 0}'
out=$("$MINCA" case reply "$cot" --missing --no-edit --wait 20 2>&1); rc=$?
ctl storm '{"count": 0}'
check_eq "a reply while Graph answers 503 exits non-zero" "1" "$rc"
check_match "and the message is failing" "outbox #4: failing.*503" "$out"
check_eq "nothing sent meanwhile" "3" "$(stat sends)"
check "resent once Graph is back" "$MINCA" case outbox "$cot" --resend 4 --wait 30
check_eq "sent once" "4" "$(stat sends)"
check_eq "the draft the failed attempt left was deleted" "0" "$(curl -s "$G/_control/drafts" | json_get "len(d['value'])")"

# kill -9 while Graph holds the send: never sent twice.
ctl send_delay '{"seconds": 4}'
"$MINCA" case reply "$cot" --missing --no-edit --wait 60 >"$T_TMP/k.out" 2>&1 &
cli=$!
wait_until 30 sql_is "SELECT state FROM outbox WHERE id = 5" sending
sleep 1
kill -9 "$cli"; wait "$cli" 2>/dev/null
ctl send_delay '{"seconds": 0}'
psql_q "UPDATE jobs SET lease_until = now() - interval '1 second' WHERE kind = 'outbox' AND state = 'running'" >/dev/null
MINCA_LEASE_SECONDS=2 "$MINCA" worker --threads 1 >"$T_TMP/worker.log" 2>&1 &
wk=$!
wait_until 40 sql_is "SELECT state FROM outbox WHERE id = 5" uncertain
kill "$wk" 2>/dev/null; wait "$wk" 2>/dev/null
check_eq "a send found begun is not repeated: uncertain" "uncertain" "$(psql_q "SELECT state FROM outbox WHERE id = 5")"
sleep 4
check_eq "Graph sent it once (the request it held), never twice" "5" "$(stat sends)"
check_match "the case shows it uncertain" "#5 missing +uncertain" "$("$MINCA" case show "$cot" 2>&1)"

# Time to quote: received (the request's date) to the first quote sent.
rep=$("$MINCA" report --json 2>&1)
check_eq "minca report: time to quote p50 and p90 of the one case quoted" "1 True True" \
  "$(printf '%s' "$rep" | json_get "str(d['totals']['cases_quoted']) + ' ' + str(d['totals']['p50_seconds_to_quote'] > 86400) + ' ' + str(d['totals']['p90_seconds_to_quote'] >= d['totals']['p50_seconds_to_quote'])")"
check_match "and says it in words" "email to quote sent, p50 / p90 +[0-9.]+ days / [0-9.]+ days +\(1 cases quoted\)" "$("$MINCA" report 2>&1)"
check_match "/metrics carries time to quote" 'minca_time_to_quote_seconds\{insurer="demo",quantile="0.9"\} [0-9]' "$("$MINCA" metrics show 2>&1)"
finish
