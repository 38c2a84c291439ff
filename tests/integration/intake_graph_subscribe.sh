#!/usr/bin/env bash
# Graph change-notification subscriptions against the Graph stand-in (tests/tools/graph_stub.py,
# written from Microsoft's documentation): `minca intake subscribe` creates the subscription
# (Graph validates it through the webhook's validationToken handshake), the intake loop renews
# it before expiry (PATCH) and creates a new one when Graph no longer knows it (404), and the
# webhook keeps the lifecycle notifications (reauthorizationRequired, subscriptionRemoved,
# missed), which the next poll acts on and status shows.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_intake_graph_sub || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
source "$SRC/tests/tools/graph_stub.bash"
ST="$T_TMP/stub"
graph_stub_start "$ST" || { not_ok "the Graph stub starts"; finish; exit 1; }
HP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export MINCA_TEST_GRAPH_SECRET="$GRAPH_STUB_SECRET" MINCA_TEST_CLIENT_STATE="client-state-$RANDOM$RANDOM"
write_config() {
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
    notification_url: http://127.0.0.1:$HP/notify
    lifecycle_url: http://127.0.0.1:$HP/lifecycle
$1
CONF
}
write_config ""
export MINCA_CONFIG="$T_TMP/config.yaml"
count() { psql_q "SELECT count(*) FROM messages"; }
sub_id() { psql_q "SELECT coalesce(subscription_id, '') FROM intake_sources WHERE name = 'nube'"; }

# Without the webhook listening, Graph's validation fails: a clear error, nothing kept.
out=$("$MINCA" intake subscribe nube 2>&1); rc=$?
check_eq "subscribe with no webhook listening exits 1" "1" "$rc"
check_match "and says Graph could not validate the endpoint" "HTTP 400 InvalidRequest: Subscription validation request failed" "$out"
check_match "status shows the subscription failing" "SUBSCRIPTION FAILING: .*validation request failed" "$("$MINCA" intake status 2>&1)"

"$MINCA" intake webhook --listen "127.0.0.1:$HP" 2>"$T_TMP/hook.err" &
hookpid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$HP/" && break; sleep 0.05; done

v0=$(stat validations)
out=$("$MINCA" intake subscribe 2>&1); rc=$?
check_eq "subscribe exits 0 with the webhook up" "0" "$rc"
check_match "and names the new subscription" "nube: subscription [0-9a-f-]{36} created, expires 20" "$out"
check_eq "Graph validated both the notification and the lifecycle URL" "2" "$(( $(stat validations) - v0 ))"
check_eq "one subscription on Graph" "1" "$(subs | json_get 'len(d["value"])')"
first=$(sub_id)
check_eq "its id is kept on the source" "$(subs | json_get 'd["value"][0]["id"]')" "$first"
check_eq "the resource is the source's folder" "users/cotiza@aseguradora.mx/mailFolders('inbox')/messages" "$(subs | json_get 'd["value"][0]["resource"]')"
check_eq "changeType created" "created" "$(subs | json_get 'd["value"][0]["changeType"]')"
check_eq "lifecycleNotificationUrl as configured" "http://127.0.0.1:$HP/lifecycle" "$(subs | json_get 'd["value"][0]["lifecycleNotificationUrl"]')"
# Asked for the longest Graph allows for mail (4230 minutes), not more.
mins=$(psql_q "SELECT round(extract(epoch FROM subscription_expires_at - now()) / 60) FROM intake_sources WHERE name = 'nube'")
check_match "expiry asked for: 4230 minutes ahead" "^42(29|30)$" "$mins"
check_match "intake status shows it" "subscription $first +until 20" "$("$MINCA" intake status 2>&1)"

# A change notification with the subscription's clientState wakes the poll.
psql_q "UPDATE intake_sources SET next_poll_at = now() + interval '1 hour' WHERE name = 'nube'" >/dev/null
ctl add '{"count": 3}'
ctl notify
check_eq "the change notification made the source due" "t" "$(psql_q "SELECT next_poll_at <= now() FROM intake_sources WHERE name = 'nube'")"
check "the poll it woke" "$MINCA" intake run --once
check_eq "reads the mail" "3" "$(count)"
check_eq "a poll far from expiry does not renew" "0" "$(stat sub_renews)"

# The loop renews before expiry (here: every poll, the margin being larger than the lifetime).
write_config "    subscription_minutes: 60
    subscription_renew_minutes: 5000"
check "a poll close to expiry" "$MINCA" intake run --once
check_eq "renews the subscription (PATCH)" "1" "$(stat sub_renews)"
check_eq "keeping its id" "$first" "$(sub_id)"
mins=$(psql_q "SELECT round(extract(epoch FROM subscription_expires_at - now()) / 60) FROM intake_sources WHERE name = 'nube'")
check_match "to the lifetime configured" "^(59|60)$" "$mins"
write_config ""

# Graph deleted it (expired): PATCH is 404 and the loop creates a new one.
ctl sub_expire
psql_q "UPDATE intake_sources SET subscription_expires_at = now() + interval '1 minute' WHERE name = 'nube'" >/dev/null
check "a poll after Graph dropped the subscription" "$MINCA" intake run --once
check_eq "the renewal met 404" "1" "$(stat sub_not_found)"
second=$(sub_id)
check_match "and a new subscription was created" "^[0-9a-f-]{36}$" "$second"
check_no_match "with a new id" "^$first$" "$second"
check_eq "Graph holds exactly that one" "$second" "$(subs | json_get 'd["value"][0]["id"]')"

# Lifecycle notifications, sent to lifecycleNotificationUrl by Graph.
psql_q "UPDATE intake_sources SET next_poll_at = now() + interval '1 hour' WHERE name = 'nube'" >/dev/null
renews=$(stat sub_renews)
ctl lifecycle '{"event": "reauthorizationRequired"}'
check_match "reauthorizationRequired is kept and shown pending" "lifecycle reauthorizationRequired at .*\(pending\)" "$("$MINCA" intake status 2>&1)"
check_eq "and makes the source due now" "t" "$(psql_q "SELECT next_poll_at <= now() FROM intake_sources WHERE name = 'nube'")"
check "the poll it woke" "$MINCA" intake run --once
check_eq "reauthorizes by renewing" "$((renews + 1))" "$(stat sub_renews)"
check_match "shown acted on" "lifecycle reauthorizationRequired at .*\(acted on\)" "$("$MINCA" intake status 2>&1)"

creates=$(stat sub_creates)
ctl lifecycle '{"event": "subscriptionRemoved"}'
check_eq "subscriptionRemoved: Graph holds none" "0" "$(subs | json_get 'len(d["value"])')"
check "the poll it woke" "$MINCA" intake run --once
check_eq "creates the subscription again" "$((creates + 1))" "$(stat sub_creates)"
check_eq "Graph holds one again" "1" "$(subs | json_get 'len(d["value"])')"
check_eq "the source keeps the new id" "$(subs | json_get 'd["value"][0]["id"]')" "$(sub_id)"

psql_q "UPDATE intake_sources SET next_poll_at = now() + interval '1 hour' WHERE name = 'nube'" >/dev/null
ctl add '{"count": 4}'
creates=$(stat sub_creates); renews=$(stat sub_renews)
ctl lifecycle '{"event": "missed"}'
check_match "missed is shown pending" "lifecycle missed at .*\(pending\)" "$("$MINCA" status 2>&1)"
check "the poll it woke" "$MINCA" intake run --once
check_eq "missed: the delta poll reads what the lost notifications announced" "7" "$(count)"
check_eq "and the subscription is left as it is" "$creates $renews" "$(stat sub_creates) $(stat sub_renews)"
check_match "shown acted on" "lifecycle missed at .*\(acted on\)" "$("$MINCA" intake status 2>&1)"

# A lifecycle notification with a wrong clientState changes nothing.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d '{"value":[{"subscriptionId":"x","clientState":"not-the-secret","lifecycleEvent":"subscriptionRemoved"}]}' "http://127.0.0.1:$HP/lifecycle")
check_eq "answered 202" "202" "$code"
check_eq "a wrong clientState is dropped" "missed" "$(psql_q "SELECT lifecycle_event FROM intake_sources WHERE name = 'nube'")"

# The intake loop (not --once) keeps it too: Graph drops it while the loop runs.
"$MINCA" intake run --no-process >"$T_TMP/run.out" 2>&1 &
runpid=$!
creates=$(stat sub_creates)
ctl lifecycle '{"event": "subscriptionRemoved"}'
wait_until 20 sql_is "SELECT lifecycle_pending FROM intake_sources WHERE name = 'nube'" "f"
check_eq "the running loop recreated it" "$((creates + 1))" "$(stat sub_creates)"
kill $runpid; wait $runpid 2>/dev/null
kill $hookpid; wait $hookpid 2>/dev/null
check_match "the webhook counted the lifecycle notifications" "[1-9][0-9]* lifecycle" "$(cat "$T_TMP/hook.err")"
text="$("$MINCA" intake status 2>&1)$(cat "$T_TMP/hook.err" "$MINCA_HOME/log/minca.log" 2>/dev/null)$(psql_q "SELECT coalesce(subscription_error,'') FROM intake_sources")"
check_no_match "the client state is shown nowhere" "$MINCA_TEST_CLIENT_STATE" "$text"
finish
