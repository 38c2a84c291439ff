# The Microsoft Graph stand-in (tests/tools/graph_stub.py) started for a test, in one place.
#
#   graph_stub_start DIR  starts the stub on a free loopback port with its state in DIR; sets
#                         GRAPH_STUB_SECRET (the app's client secret, random unless already
#                         set), GRAPH_STUB_PID, PORT and G (its base URL, http://127.0.0.1:PORT);
#                         returns 1 (the stub's stderr on stderr) when it does not start
#   ctl NAME [JSON]       POST /_control/NAME (add, delay, expire, ...)
#   stat KEY              one number of /_control/stats
#   subs                  the stub's subscriptions (/_control/subscriptions, JSON)
#   sent EXPR             a value of the messages Graph sent (/_control/sent, json_get EXPR)
#   graph_source_config FILE RETRIES WAIT [EXTRA]
#                         writes a config whose source "nube" is the stub's mailbox
#                         cotiza@aseguradora.mx for insurer demo (max_retries RETRIES,
#                         max_retry_wait WAIT), EXTRA lines appended
#
# Call it in the test's own shell (not in $(...)): the stub is the script's background job,
# recorded with t_track, so tests/lib.sh stops it on exit however the test ends.
graph_stub_start() {
  local d=$1
  mkdir -p "$d"
  export GRAPH_STUB_SECRET="${GRAPH_STUB_SECRET:-graph-secret-$RANDOM$RANDOM}"
  python3 "$SRC/tests/tools/graph_stub.py" "$d" 2>"$d/stderr" &
  GRAPH_STUB_PID=$!
  declare -F t_track >/dev/null && t_track "$GRAPH_STUB_PID" graph_stub
  local _
  for _ in $(seq 1 200); do
    [ -s "$d/port" ] && break
    kill -0 "$GRAPH_STUB_PID" 2>/dev/null || break
    sleep 0.05
  done
  if [ ! -s "$d/port" ]; then
    echo "the Graph stub did not start: $(cat "$d/stderr")" >&2
    return 1
  fi
  PORT=$(cat "$d/port")
  G="http://127.0.0.1:$PORT"
}
ctl() { curl -s -X POST -H 'Content-Type: application/json' -d "${2:-{\}}" "$G/_control/$1" >/dev/null; }
stat() { curl -s "$G/_control/stats" | json_get "d['$1']"; }
subs() { curl -s "$G/_control/subscriptions"; }
sent() { curl -s "$G/_control/sent" | json_get "$1"; }
graph_source_config() {
  cat >"$1" <<CONF
insurer: demo
sources:
  nube:
    kind: graph
    insurer: demo
    tenant: contoso-test
    client_id: minca-test-app
    client_secret_env: MINCA_TEST_GRAPH_SECRET
    user: cotiza@aseguradora.mx
    folder: inbox
    authority: $G
    graph_url: $G/v1.0
    max_retries: $2
    max_retry_wait: $3
${4:-}
CONF
}
