#!/usr/bin/env bash
# minca intake against the Graph stand-in (tests/tools/graph_stub.py) for what Outlook mail
# brings beyond plain files: immutable ids, a message moved out and back (also with a new id),
# an expired delta token (410 SyncStateNotFound), a message above max_message_mb, a forwarded
# email attached as an itemAttachment and a OneDrive link (referenceAttachment).
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_intake_graph_items || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
source "$SRC/tests/tools/graph_stub.bash"
ST="$T_TMP/stub"
graph_stub_start "$ST" || { not_ok "the Graph stub starts"; finish; exit 1; }
export MINCA_TEST_GRAPH_SECRET="$GRAPH_STUB_SECRET"
cat >"$T_TMP/config.yaml" <<CONF
insurer: demo
sources:
  nube:
    kind: graph
    tenant: contoso-test
    client_id: minca-test-app
    client_secret_env: MINCA_TEST_GRAPH_SECRET
    user: cotiza@aseguradora.mx
    folder: inbox
    authority: $G
    graph_url: $G/v1.0
    poll_seconds: 3600
    max_retry_wait: 2
    max_message_mb: 1
CONF
export MINCA_CONFIG="$T_TMP/config.yaml"
count() { psql_q "SELECT count(*) FROM messages"; }
cases() { psql_q "SELECT count(*) FROM cases"; }
run() { "$MINCA" intake run --once >"$T_TMP/run.out" 2>&1; }

ctl add '{"count": 5}'
check "a first poll" run
check_eq "5 messages, 5 cases" "5 5" "$(count) $(cases)"
check_eq "every Graph request asks for immutable ids" "$(stat graph_requests)" "$(stat immutable_requests)"
check_eq "messages are known by their immutable id" "5" "$(psql_q "SELECT count(*) FROM messages WHERE source_ref LIKE 'AAkALg%'")"

# Moved out of the folder and back: delta lists it again.
ctl move '{"index": 1}'
check "a poll after a message was moved out and back" run
check_eq "moved and back (same immutable id): no second message, no second case" "5 5" "$(count) $(cases)"
ctl move '{"index": 3, "reimport": true}'
check "a poll after a message came back with a new id" run
check_eq "the stub listed it under a new id" "1" "$(psql_q "SELECT count(*) FROM intake_seen WHERE ext_id LIKE '%-re%'")"
check_eq "a new id, the same email: no second message, no second case" "5 5" "$(count) $(cases)"

# The delta token expires: 410 Gone, SyncStateNotFound; the folder is read again.
ctl expire_delta
g0=$(stat gone)
check "a poll whose delta token expired succeeds" run
check_eq "Graph answered 410 once" "1" "$(( $(stat gone) - g0 ))"
check_match "and said it reads the folder again" "reading the folder again" "$(cat "$T_TMP/run.out" "$MINCA_HOME/log/minca.log" 2>/dev/null)"
check_eq "after the full resync, nothing twice" "5 5" "$(count) $(cases)"
check_match "the cursor is a deltaLink again" "deltatoken=[0-9]+$" "$(psql_q "SELECT cursor FROM intake_sources WHERE name = 'nube'")"
ctl add '{"count": 2}'
check "the next poll after the resync" run
check_eq "new mail after the resync is stored" "7" "$(count)"
check_eq "the source is not failing" "0" "$(psql_q "SELECT failures FROM intake_sources WHERE name = 'nube'")"

# A message above max_message_mb (1 MB here) is skipped and recorded; the rest goes on.
ctl add '{"count": 1, "kind": "huge"}'
ctl add '{"count": 1}'
check "a poll with a message above the limit succeeds" run
check_eq "the message after it is stored" "8" "$(count)"
check_match "the big one is recorded as skipped" "above the limit of 1.0 MB; skipped" \
  "$(psql_q "SELECT coalesce(error, '') FROM intake_seen WHERE error IS NOT NULL")"
check_eq "the source is not failing" "0" "$(psql_q "SELECT failures FROM intake_sources WHERE name = 'nube'")"
check_match "intake status counts it" "1" "$(psql_q "SELECT failed FROM intake_sources WHERE name = 'nube'")"

# Outlook's "forward as attachment": an itemAttachment, its MIME by /$value.
ctl add '{"count": 1, "kind": "item"}'
check "a poll with an attached email" run
mid=$(psql_q "SELECT id FROM messages ORDER BY id DESC LIMIT 1")
check_match "the attached email's spreadsheet is an attachment of the case" "flotilla adjunta [0-9]+\.csv" \
  "$(psql_q "SELECT filename FROM attachments WHERE message_id = $mid")"
check_match "inside the forwarded message" "message/rfc822 <adjunto-[0-9]+@corredor-adjunto.mx>" \
  "$(psql_q "SELECT container FROM attachments WHERE message_id = $mid AND filename LIKE 'flotilla adjunta%'")"
check_eq "it opened a case" "1" "$(psql_q "SELECT count(*) FROM cases WHERE message_id = $mid")"
raw_sha=$(psql_q "SELECT raw_sha256 FROM messages WHERE id = $mid")
part=$(psql_q "SELECT encode(data, 'escape') FROM blobs WHERE sha256 = '$raw_sha'" | grep -A3 -i '^Content-Type: message/rfc822')
check_match "rebuilt as a message/rfc822 part" "message/rfc822" "$part"
check_no_match "never in base64" "base64" "$part"

# A OneDrive link: a problem on the message, with the link.
ctl add '{"count": 1, "kind": "reference"}'
check "a poll with a linked file" run
mid=$(psql_q "SELECT id FROM messages ORDER BY id DESC LIMIT 1")
check_match "the linked file is a problem of the message, with its link" \
  "flotilla completa [0-9]+\.xlsx.*https://contoso-my.sharepoint.com/personal/ventas/Documents/flotilla-[0-9]+\.xlsx" \
  "$(psql_q "SELECT problems::text FROM messages WHERE id = $mid")"
check_eq "still nothing twice" "0" "$(psql_q "SELECT count(*) FROM (SELECT message_id FROM messages GROUP BY message_id HAVING count(*) > 1) d")"
finish
