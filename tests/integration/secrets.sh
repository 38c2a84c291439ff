#!/usr/bin/env bash
# Secrets stay secret: a password in a server URL is shown by no output (a library's error
# message echoing it, /healthz of a rediss:// URL), minca processes cannot dump core, and the
# commands that hand out the servers' credentials or the team's numbers check the user's role.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_secrets || { not_ok "create test database"; finish; exit 1; }
unset MINCA_USER
export MINCA_INSURER=demo MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
PW='Zq8vS3cretPw'
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
check "add a viewer" "$MINCA" user add ver --role viewer --insurer demo
check "add a supervisor" "$MINCA" user add sup --role supervisor --all

# ---- libpq's message echoes a password it cannot parse --------------------------------------
bad="postgresql://minca:${PW}%zz@127.0.0.1:1/nowhere"
out=$(MINCA_DATABASE_URL=$bad "$MINCA" case list 2>&1)
check_match "a bad database URL is refused" "PostgreSQL" "$out"
check_no_match "the refusal shows no part of its password" "$PW" "$out"
out=$(MINCA_DATABASE_URL=$bad "$MINCA" db status 2>&1)
check_no_match "db status shows no password" "$PW" "$out"

# ---- /healthz of a rediss:// URL with a password ----------------------------------------------
"$MINCA" metrics health >/dev/null 2>&1   # the account logs in once (first admin)
HP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
MINCA_REDIS_URL="rediss://default:${PW}@127.0.0.1:1/0" "$MINCA" metrics serve --listen "127.0.0.1:$HP" 2>"$T_TMP/serve.err" &
spid=$!
wait_until 20 curl -s -o /dev/null "http://127.0.0.1:$HP/readyz"
h=$(curl -s --max-time 10 "http://127.0.0.1:$HP/healthz")
check_match "/healthz says Redis fails" '"redis":false' "$h"
check_no_match "/healthz shows no Redis password" "$PW" "$h"
limits=$(cat "/proc/$spid/limits" 2>/dev/null)
check_match "a minca process may not dump core (RLIMIT_CORE 0)" "Max core file size +0 +0 " "$limits"
kill "$spid"; wait "$spid" 2>/dev/null
log="$(cat "$MINCA_HOME/log/minca.log" 2>/dev/null)$(cat "$T_TMP/serve.err")"
check_no_match "the log shows no password" "$PW" "$log"

# ---- credentials and numbers by role --------------------------------------------------------
out=$(MINCA_USER=ver MINCA_REDIS_URL="redis://default:${PW}@127.0.0.1:1/0" "$MINCA" db url 2>&1); rc=$?
check_eq "a viewer may not print URLs holding a password" "1" "$rc"
check_match "and is told why" "reading the servers' credentials needs the admin role" "$out"
check_no_match "nor sees the password" "$PW" "$out"
out=$(MINCA_REDIS_URL="redis://default:${PW}@127.0.0.1:1/0" "$MINCA" db url 2>&1)
check_match "the admin may" "$PW" "$out"
check_match "the embedded servers' URLs (no password) stay open to their account" "redis" "$(MINCA_USER=ver "$MINCA" db url 2>&1)"
out=$(MINCA_USER=ver "$MINCA" metrics show 2>&1); rc=$?
check_eq "a viewer may not read the team's metrics" "1" "$rc"
check_match "and is told why" "reading the team's metrics needs the supervisor role" "$out"
check_fails "nor serve them" env MINCA_USER=ver timeout 10 "$MINCA" metrics serve --listen 127.0.0.1:0
check "a supervisor of every insurer reads them" env MINCA_USER=sup "$MINCA" metrics show
out=$(MINCA_USER=sup timeout 10 "$MINCA" intake webhook --listen "127.0.0.1:$HP" 2>&1); rc=$?
check_eq "a supervisor may not run the webhook listener" "1" "$rc"
check_match "it holds the sources' secrets: admin only" "receiving mail notifications needs the admin role" "$out"
finish
