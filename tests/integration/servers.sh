#!/usr/bin/env bash
# Embedded servers: start, already running, stop, stale pid files, as root and as an
# unprivileged user. Uses its own MINCA_HOME (not the suite's shared servers).
source "$(dirname "$0")/../lib.sh"
unset MINCA_DATABASE_URL MINCA_REDIS_URL
export MINCA_HOME="$T_TMP/home"

check "db start starts PostgreSQL and Redis" "$MINCA" db start
check "db status reports both running" "$MINCA" db status
check "db start again with servers already running" "$MINCA" db start
urls=$("$MINCA" db url)
check_match "db url prints a unix-socket PostgreSQL URL" '^postgresql:///minca\?host=' "$urls"
check_match "db url prints a unix-socket Redis URL" 'unix://.*redis.sock' "$urls"
eval "$("$MINCA" db url --shell)"
check_eq "PostgreSQL answers through the URL" "1" "$(psql "$MINCA_DATABASE_URL" -X -A -t -c 'SELECT 1' 2>&1)"
check_eq "no TCP listener configured" "" "$(psql "$MINCA_DATABASE_URL" -X -A -t -c 'SHOW listen_addresses' 2>&1)"
check_eq "redis answers PING" "PONG" "$(redis-cli -s "$MINCA_HOME/run/redis.sock" ping 2>&1)"
check_eq "the embedded server trusts no one: every login is by peer" "0|peer" \
  "$(psql "$MINCA_DATABASE_URL" -X -A -t -c "SELECT count(*) FILTER (WHERE auth_method = 'trust') || '|' || string_agg(DISTINCT auth_method, ',') FROM pg_hba_file_rules" 2>&1)"
out=$("$MINCA" user whoami 2>&1)
check_match "the application logs in as the ordinary role minca_app" "database: login minca_app, acting as minca_app" "$out"
check_eq "which is no superuser and owns nothing" "false|0" \
  "$(psql "$MINCA_DATABASE_URL" -X -A -t -c "SELECT r.rolsuper || '|' || (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) FROM pg_roles r WHERE rolname = 'minca_app'" 2>&1)"
if [ "$(id -u)" -eq 0 ]; then
  owner=$(stat -c %U "$(psql "$MINCA_DATABASE_URL" -X -A -t -c 'SHOW data_directory')")
  check_eq "as root, PostgreSQL runs as the unprivileged user minca" "minca" "$owner"
else
  skip "as root, PostgreSQL runs as the unprivileged user minca" "not running as root"
fi
# A shared (configured) Redis counts as running only when it answers.
out=$(MINCA_REDIS_URL=redis://127.0.0.1:1/0 "$MINCA" db status 2>&1); rc=$?
check_eq "db status with a configured Redis that does not answer exits 3" "3" "$rc"
check_match "and says it is not running" "redis: +not running" "$out"
out=$(MINCA_REDIS_URL="unix://$MINCA_HOME/run/redis.sock" "$MINCA" db status 2>&1)
check_match "a configured Redis that answers is running" "redis: +running" "$out"
unset MINCA_DATABASE_URL MINCA_REDIS_URL

check "db stop stops both" "$MINCA" db stop
check_fails "db status fails when stopped" "$MINCA" db status

# Stale pid files: a crashed server leaves them behind; start must recover.
"$MINCA" db start >/dev/null 2>&1
pgdata=$("$MINCA" db status | sed -n 's/^  data: //p')
pgpid=$(head -1 "$pgdata/postmaster.pid")
redispid=$(cat "$MINCA_HOME/run/redis.pid")
kill -9 "$pgpid" "$redispid" 2>/dev/null
for _ in $(seq 50); do kill -0 "$pgpid" 2>/dev/null || break; sleep 0.1; done
sleep 0.5
echo 2147480000 > "$MINCA_HOME/run/redis.pid"
check "db start recovers from stale pid files after a crash" "$MINCA" db start
check "db status after recovery" "$MINCA" db status
check "db stop after recovery" "$MINCA" db stop

# Pid files naming a live process that is not ours (the number was reused after a reboot):
# never signalled, treated as stale.
sleep 300 & decoy=$!
echo "$decoy" > "$MINCA_HOME/run/redis.pid"
printf '%s\n%s\n' "$decoy" "$pgdata" > "$pgdata/postmaster.pid"
check "db start with pid files naming another live process" "$MINCA" db start
check "db stop afterwards" "$MINCA" db stop
echo "$decoy" > "$MINCA_HOME/run/redis.pid"
"$MINCA" db stop >/dev/null 2>&1
check "the unrelated process was never signalled" kill -0 "$decoy"
kill "$decoy" 2>/dev/null; wait "$decoy" 2>/dev/null

# With shared servers configured, a MINCA_HOME too long for unix sockets does not matter.
long="$T_TMP/$(printf 'x%.0s' $(seq 1 120))"
check "a long MINCA_HOME works with MINCA_DATABASE_URL and MINCA_REDIS_URL set" \
  env MINCA_HOME="$long" MINCA_DATABASE_URL="postgresql:///nowhere?host=/nonexistent" MINCA_REDIS_URL="unix:///nonexistent.sock" "$MINCA" db url
out=$(MINCA_HOME="$long" "$MINCA" db start 2>&1); rc=$?
check_eq "an embedded server under a too long MINCA_HOME is refused" "1" "$rc"
check_match "with a clear message" "too long for unix sockets" "$out"

# An unprivileged user runs its own servers the same way.
if [ "$(id -u)" -eq 0 ]; then
  id mincatest >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin mincatest
  uhome="$T_TMP/userhome"
  mkdir -p "$uhome"; chown mincatest "$uhome"
  as_user() { runuser -u mincatest -- env HOME="$uhome" MINCA_HOME="$uhome/minca" "$@"; }
  check "as an unprivileged user: db start" as_user "$MINCA" db start
  check "as an unprivileged user: db status" as_user "$MINCA" db status
  check "as an unprivileged user: batch ingests" as_user "$MINCA" batch "$SRC/tests/fixtures/batch/plain.eml"
  check "as an unprivileged user: db stop" as_user "$MINCA" db stop
else
  skip "unprivileged user servers" "the suite itself runs unprivileged"
fi
"$MINCA" db stop >/dev/null 2>&1

# MINCA_PG_FAST=1 (durability off) is for throwaway test clusters under the temporary
# directory only; db status says which way it is.
fasthome="$T_TMP/fast"
MINCA_PG_FAST=1 MINCA_HOME="$fasthome" "$MINCA" db start >/dev/null 2>&1
out=$(MINCA_PG_FAST=1 MINCA_HOME="$fasthome" "$MINCA" db status 2>&1)
check_match "a test cluster under the temp directory runs without fsync, and db status says so" "durability: OFF" "$out"
MINCA_HOME="$fasthome" "$MINCA" db stop >/dev/null 2>&1
realhome=$(mktemp -d /var/tmp/minca-real.XXXXXX); chmod 755 "$realhome"
MINCA_PG_FAST=1 MINCA_HOME="$realhome/home" "$MINCA" db start >/dev/null 2>&1
out=$(MINCA_PG_FAST=1 MINCA_HOME="$realhome/home" "$MINCA" db status 2>&1)
check_match "a cluster elsewhere keeps fsync on despite MINCA_PG_FAST=1" "durability: on" "$out"
check_match "and db status says the setting is ignored" "MINCA_PG_FAST=1 is ignored" "$out"
MINCA_HOME="$realhome/home" "$MINCA" db stop >/dev/null 2>&1
rm -rf "$realhome"
# Scripts read settings through `minca config get` (bare values) and `--json`, never by parsing
# the annotated listing.
check_eq "config get home prints the bare home" "$MINCA_HOME" "$("$MINCA" config get home)"
check_eq "config get several prints one value per line" "2" "$("$MINCA" config get home lease_seconds | wc -l | tr -d ' ')"
"$MINCA" config get no_such_setting >/dev/null 2>&1; rc=$?
check_eq "config get of an unknown setting exits 2" "2" "$rc"
check_eq "config --json carries each value and where it came from" "$MINCA_HOME env" \
  "$("$MINCA" config --json | json_get 'd["home"]["value"] + " " + d["home"]["from"]')"
check_no_match "config get masks a password in a URL" 'secret-pw' \
  "$(MINCA_DATABASE_URL='postgresql://u:secret-pw@127.0.0.1:1/x' "$MINCA" config get database_url 2>&1)"
finish
