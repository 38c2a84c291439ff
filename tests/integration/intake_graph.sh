#!/usr/bin/env bash
# minca intake against a local stand-in for Microsoft Graph (tests/tools/graph_stub.py on
# 127.0.0.1): client-credentials token, delta pages and deltaLink, attachments inline and by
# $value, a restart in the middle of a poll, a 429 storm, a token that expires mid-poll, a
# wrong secret failing loudly, and the webhook handshake and wake-up.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_intake_graph || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
source "$SRC/tests/tools/graph_stub.bash"
ST="$T_TMP/stub"
graph_stub_start "$ST" || { not_ok "the Graph stub starts"; finish; exit 1; }
hookpid=
export MINCA_TEST_GRAPH_SECRET="$GRAPH_STUB_SECRET" MINCA_TEST_CLIENT_STATE="client-state-$RANDOM$RANDOM"
cat >"$T_TMP/config.yaml" <<CONF
insurer: demo
sources:
  nube:
    kind: graph
    tenant: contoso-test
    client_id: minca-test-app
    client_secret_env: MINCA_TEST_GRAPH_SECRET
    client_state_env: MINCA_TEST_CLIENT_STATE
    user: cotiza@aseguradora.mx
    folder: inbox
    authority: $G
    graph_url: $G/v1.0
    poll_seconds: 3600
    max_retry_wait: 2
CONF
export MINCA_CONFIG="$T_TMP/config.yaml"
count() { psql_q "SELECT count(*) FROM messages"; }
dupes() { psql_q "SELECT count(*) FROM (SELECT message_id FROM messages GROUP BY message_id HAVING count(*) > 1) d"; }

ctl add '{"count": 30, "big": true}'
check_match "intake test signs in" "graph source reachable" "$("$MINCA" intake test nube 2>&1)"
check "intake run --once reads the delta pages" "$MINCA" intake run --once
check_eq "N messages in Graph -> N stored" "30" "$(count)"
check_eq "recorded as graph from the source, by its immutable Graph id" "30" "$(psql_q "SELECT count(*) FROM messages WHERE source = 'graph' AND source_name = 'nube' AND source_ref LIKE 'AAkALg%'")"
check_eq "the Message-ID comes from internetMessageId" "1" "$(psql_q "SELECT count(*) FROM messages WHERE message_id = '<graph-0@corredor-nube.mx>'")"
check_eq "the sender comes from the JSON" "ventas@corredor-nube.mx" "$(psql_q "SELECT DISTINCT from_addr FROM messages")"
check_eq "the HTML body opened a case with its client" "FLOTAS NUBE 3, S.A. DE C.V." "$(psql_q "SELECT client_name FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<graph-3@corredor-nube.mx>'")"
check_eq "fileAttachment contentBytes are stored as attachments" "30" "$(psql_q "SELECT count(*) FROM attachments WHERE filename LIKE 'flotilla %.csv'")"
check_eq "a large attachment is fetched by \$value" "5242880" "$(psql_q "SELECT size FROM attachments WHERE filename = 'anexo grande.bin'")"
check_match "the cursor is the deltaLink" "deltatoken=30$" "$(psql_q "SELECT cursor FROM intake_sources WHERE name = 'nube'")"
check_eq "one token for the whole poll (cached)" "1" "$(( $(stat token_requests) - 1 ))"
check_match "a second poll finds nothing new" "0 message\(s\) new" "$("$MINCA" intake run --once 2>&1)"
check_eq "still N" "30" "$(count)"

# Restart in the middle of a poll.
ctl add '{"count": 40}'
ctl delay '{"seconds": 0.03}'
"$MINCA" intake run --once --no-process >"$T_TMP/killed.out" 2>&1 &
pid=$!
for _ in $(seq 1 300); do [ "$(psql_q "SELECT count(*) FROM intake_seen")" -gt 35 ] && break; sleep 0.03; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
mid=$(psql_q "SELECT count(*) FROM intake_seen")
if [ "$mid" -lt 70 ]; then ok "the poll was killed in the middle ($((mid - 30)) of 40 handed in)"; else skip "kill in the middle of a poll" "it finished first"; fi
ctl delay '{"seconds": 0}'
check "the next poll resumes from the stored page" "$MINCA" intake run --once
check_eq "restart mid-poll: still every message" "70" "$(count)"
check_eq "none twice" "0" "$(dupes)"
check_eq "one ingest job each" "70" "$(psql_q "SELECT count(*) FROM jobs WHERE kind = 'ingest'")"

# A 429 storm: Retry-After is honoured and nothing is lost or doubled.
ctl add '{"count": 15}'
before=$(stat throttled)
ctl storm '{"count": 4, "status": 429, "retry_after": 1}'
check "a poll through a 429 storm" "$MINCA" intake run --once
check_eq "the stub throttled 4 requests" "4" "$(( $(stat throttled) - before ))"
check_eq "429 storm: every message stored" "85" "$(count)"
check_eq "none twice" "0" "$(dupes)"
ctl add '{"count": 3}'
ctl storm '{"count": 2, "status": 503, "retry_after": 1}'
check "a poll through 503s" "$MINCA" intake run --once
check_eq "503: every message stored" "88" "$(count)"

# The token expires in the middle of a poll: a new one is taken and the poll goes on.
ctl add '{"count": 21}'
ctl delay '{"seconds": 0.05}'
t0=$(stat token_requests); u0=$(stat unauthorized)
"$MINCA" intake run --once >"$T_TMP/expire.out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ "$(psql_q "SELECT count(*) FROM intake_seen")" -gt 90 ] && break; sleep 0.03; done
ctl expire
wait $pid; rc=$?
ctl delay '{"seconds": 0}'
check_eq "the poll with an expired token succeeds" "0" "$rc"
check_match "Graph refused the expired token" "^[1-9]" "$(( $(stat unauthorized) - u0 ))"
check_match "and a new token was requested" "^[2-9]" "$(( $(stat token_requests) - t0 ))"
check_eq "expired token: every message stored" "109" "$(count)"
check_eq "none twice" "0" "$(dupes)"

# A token is renewed before it expires.
echo 2 >"$ST/expires_in"
ctl add '{"count": 14}'
ctl delay '{"seconds": 0.15}'
t0=$(stat token_requests); u0=$(stat unauthorized)
check "a poll longer than the token's life" "$MINCA" intake run --once
ctl delay '{"seconds": 0}'
check_eq "the token was renewed before it expired (no 401)" "0" "$(( $(stat unauthorized) - u0 ))"
check_match "more than one token was taken" "^[2-9]" "$(( $(stat token_requests) - t0 ))"
check_eq "every message stored" "123" "$(count)"
rm -f "$ST/expires_in"

# A wrong secret fails loudly, in status too, and no secret is shown anywhere.
export MINCA_TEST_GRAPH_SECRET="wrong-$GRAPH_STUB_SECRET"
out=$("$MINCA" intake run --once 2>&1); rc=$?
check_eq "a refused token request makes intake run exit 1" "1" "$rc"
check_match "and says why" "token request was refused: HTTP 401 invalid_client" "$out"
st=$("$MINCA" status 2>&1)
check_match "minca status shows the source failing" "nube .*FAILING since" "$st"
export MINCA_TEST_GRAPH_SECRET="$GRAPH_STUB_SECRET"
text="$out$st$("$MINCA" config)$(cat "$MINCA_HOME/log/minca.log" 2>/dev/null)$(psql_q "SELECT coalesce(last_error,'') || coalesce(cursor,'') FROM intake_sources")"
check_no_match "the client secret is shown nowhere" "$GRAPH_STUB_SECRET" "$text"
check_no_match "the client state is shown nowhere" "$MINCA_TEST_CLIENT_STATE" "$text"
check_no_match "no bearer token is shown anywhere" "stub-token-" "$text"
check_eq "the bearer token was never sent without being asked" "0" "$(stat bad_auth_header)"
"$MINCA" intake run --once >/dev/null 2>&1

# Webhook: the validation handshake, clientState checked, a notification wakes the poll.
HP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$MINCA" intake webhook --listen "127.0.0.1:$HP" 2>"$T_TMP/hook.err" &
hookpid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$HP/" && break; sleep 0.05; done
resp=$(curl -s -D "$T_TMP/hdr" -X POST "http://127.0.0.1:$HP/notify?validationToken=Validation%3A%20Testing%20client%20application")
check_eq "the validation token is echoed back" "Validation: Testing client application" "$resp"
check_match "as text/plain" "Content-Type: text/plain" "$(cat "$T_TMP/hdr")"
psql_q "UPDATE intake_sources SET next_poll_at = now() + interval '1 hour' WHERE name = 'nube'" >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d '{"value":[{"subscriptionId":"sub-1","clientState":"not-the-secret","changeType":"created","resource":"x"}]}' "http://127.0.0.1:$HP/notify")
check_eq "a notification is answered 202" "202" "$code"
check_eq "a wrong clientState wakes nothing" "f" "$(psql_q "SELECT next_poll_at <= now() FROM intake_sources WHERE name = 'nube'")"
"$MINCA" intake run >"$T_TMP/run.out" 2>&1 &
runpid=$!
ctl add '{"count": 5}'
sleep 1.5
check_eq "with the next poll an hour away, nothing arrives" "123" "$(count)"
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d '{"value":[{"subscriptionId":"sub-1","clientState":"'"$MINCA_TEST_CLIENT_STATE"'","changeType":"created","resource":"Users/x/Messages/y"}]}' "http://127.0.0.1:$HP/notify"
for _ in $(seq 1 100); do [ "$(count)" -ge 128 ] && break; sleep 0.1; done
check_eq "a notification with the right clientState wakes the delta poll" "128" "$(count)"
kill $runpid; wait $runpid 2>/dev/null
kill $hookpid; wait $hookpid 2>/dev/null; hookpid=
# A worker with --intake polls the sources beside its jobs; one poller per source at a time.
ctl add '{"count": 4}'
psql_q "UPDATE intake_sources SET next_poll_at = now() WHERE name = 'nube'" >/dev/null
"$MINCA" worker --intake --threads 1 >"$T_TMP/worker.out" 2>&1 &
wpid=$!
"$MINCA" worker --intake --threads 1 >"$T_TMP/worker2.out" 2>&1 &
wpid2=$!
for _ in $(seq 1 100); do [ "$(count)" -ge 132 ] && break; sleep 0.1; done
check_eq "minca worker --intake stores what came in" "132" "$(count)"
kill $wpid $wpid2; wait $wpid $wpid2 2>/dev/null
check_eq "two polling workers store nothing twice" "0" "$(dupes)"
check_match "the worker said it polls" "polling the mail sources" "$(cat "$T_TMP/worker.out")"
check_no_match "the webhook logs no client state" "$MINCA_TEST_CLIENT_STATE" "$(cat "$T_TMP/hook.err" "$MINCA_HOME/log/minca.log" 2>/dev/null)"
finish
