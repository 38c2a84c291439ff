#!/usr/bin/env bash
# The HTTP listeners under abuse: /healthz answers within a second while 1,100 slow clients on
# 127.0.0.1 hold half-open requests; a client dripping its headers is cut at the header
# deadline; bodies above the limit are refused at once (413), on the metrics listener and on
# the webhook; the listener keeps no more than its per-client limit of slow connections.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_listeners || { not_ok "create test database"; finish; exit 1; }
unset MINCA_USER
export MINCA_INSURER=demo
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
"$MINCA" metrics health >/dev/null 2>&1   # the account logs in once (first admin)
MP=$(free_port)
"$MINCA" metrics serve --listen "127.0.0.1:$MP" 2>"$T_TMP/serve.err" &
spid=$!
wait_until 20 curl -s -o /dev/null "http://127.0.0.1:$MP/readyz"
check_eq "/healthz answers 200" "200" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$MP/healthz")"

r=$(/usr/bin/python3 "$SRC/tests/tools/slow_clients.py" 127.0.0.1 "$MP" 1100 /healthz "$spid")
echo "# slow clients: $r" >&2
check_eq "1,100 slow clients connected" "1100" "$(printf '%s' "$r" | json_get 'd["opened"]')"
check_eq "/healthz answers 200 while they hold" "200" "$(printf '%s' "$r" | json_get 'd["status"]')"
check_eq "within a second" "True" "$(printf '%s' "$r" | json_get 'd["seconds"] < 1.0')"
fds=$(printf '%s' "$r" | json_get 'd["server_fds"]')
check_eq "the listener held at most its per-client limit of them ($fds descriptors open)" "True" \
  "$(python3 -c "print($fds < 200)")"

# a client dripping one header byte a second is cut at the header deadline (5 s)
drip=$(/usr/bin/python3 - "$MP" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
t0 = time.monotonic()
try:
    for i in range(30):
        s.sendall(b"X-A: b\r\n")
        time.sleep(1)
        s.settimeout(0.01)
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            pass
        s.settimeout(2)
except OSError:
    pass
print(round(time.monotonic() - t0))
PY
)
check_eq "a dripping client is cut at the header deadline (after ${drip}s)" "True" "$(python3 -c "print(4 <= $drip <= 8)")"

head -c 3000000 /dev/zero | tr '\0' 'a' >"$T_TMP/big"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X GET --data-binary "@$T_TMP/big" "http://127.0.0.1:$MP/healthz")
check_eq "a body to the metrics listener (GET only) is refused (413)" "413" "$code"
kill "$spid"; wait "$spid" 2>/dev/null

# the webhook: the same guard, with a 1 MiB body limit
export MINCA_CONFIG="$T_TMP/config.yaml" MINCA_TEST_CLIENT_STATE="state-$RANDOM"
printf 'sources:\n  nube:\n    kind: graph\n    tenant: t\n    client_id: c\n    client_secret_env: MINCA_TEST_GRAPH_SECRET\n    client_state_env: MINCA_TEST_CLIENT_STATE\n    user: cotiza@aseguradora.mx\n' >"$MINCA_CONFIG"
HP=$(free_port)
"$MINCA" intake webhook --listen "127.0.0.1:$HP" 2>"$T_TMP/hook.err" &
hpid=$!
wait_until 20 curl -s -o /dev/null "http://127.0.0.1:$HP/"
r=$(/usr/bin/python3 "$SRC/tests/tools/slow_clients.py" 127.0.0.1 "$HP" 1100 "/notify?validationToken=abc")
echo "# slow clients on the webhook: $r" >&2
check_eq "the webhook answers the handshake within a second while 1,100 slow clients hold" "200 True" \
  "$(printf '%s' "$r" | json_get 'str(d["status"]) + " " + str(d["seconds"] < 1.0)')"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary "@$T_TMP/big" "http://127.0.0.1:$HP/notify")
check_eq "a 3 MB notification body is refused (413)" "413" "$code"
kill "$hpid"; wait "$hpid" 2>/dev/null
finish
