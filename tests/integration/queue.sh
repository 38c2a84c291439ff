#!/usr/bin/env bash
# The job queue under failure: dead jobs, kill -9 of a worker, Redis flushed and restarted,
# PostgreSQL restarted, and a soak of 1,000 emails through two workers and a batch at once.
# Uses its own servers (it restarts them), not the suite's shared ones.
# runner: no-servers (starts and restarts its own)
source "$(dirname "$0")/../lib.sh"
unset MINCA_DATABASE_URL MINCA_REDIS_URL
export MINCA_HOME="$T_TMP/home" MINCA_INSURER=demo MINCA_LEASE_SECONDS=3 MINCA_PG_FAST=1
GEN="$SRC/tests/tools/gen_emails.py"
"$MINCA" db start >/dev/null || { not_ok "start private servers"; finish; exit 1; }
eval "$("$MINCA" db url --shell)"
PGURL=$MINCA_DATABASE_URL
unset MINCA_DATABASE_URL MINCA_REDIS_URL
q() { psql "$PGURL" -X -A -t -q -c "$1"; }
REDIS_SOCK="$MINCA_HOME/run/redis.sock"
"$MINCA" catalog import samples/catalog/demo_catver.csv >/dev/null 2>&1 || "$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null

# wait_for SECONDS SQL EXPECTED: polls until the query returns EXPECTED.
wait_for() {
  local deadline=$((SECONDS + $1)) got
  while [ $SECONDS -lt "$deadline" ]; do
    got=$(q "$2" 2>/dev/null)
    [ "$got" = "$3" ] && return 0
    sleep 0.2
  done
  echo "# waited $1 s for [$2] = [$3], last [$got]" >&2
  return 1
}
# start_worker NAME [THREADS]: a background worker; its pid in WPID.
start_worker() { "$MINCA" worker --threads "${2:-2}" >"$T_TMP/$1.log" 2>&1 & WPID=$!; }
q_ge() { local v; v=$(q "$1" 2>/dev/null); [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$2" ]; }
# batch_started N0: waits until jobs beyond the N0 there were are queued (a batch is under way).
batch_started() { wait_until 30 q_ge "SELECT count(*) FROM jobs" $(($1 + 1)); }

# --- a handler that always fails ends dead, visibly, without blocking others -----------
"$MINCA" jobs probe --fail "boom on purpose" --attempts 3 >/dev/null
"$MINCA" jobs probe --sleep 10 >/dev/null
start_worker w1; w1=$WPID
check "the failing job ends dead after 3 attempts" wait_for 60 "SELECT state || ':' || attempts FROM jobs WHERE payload->>'fail' IS NOT NULL" "dead:3"
check_eq "the healthy job beside it is done" "done" "$(q "SELECT state FROM jobs WHERE kind = 'probe' AND payload->>'fail' IS NULL")"
status=$("$MINCA" status)
check_match "minca status shows the dead job with its error" "probe .*boom on purpose" "$status"
check_match "minca status lists the live worker" "live workers: 1" "$status"
check_match "minca status --json is JSON with dead jobs" '"dead": \[' "$("$MINCA" status --json)"
check_match "jobs retry --dead requeues it" "1 job\(s\) queued again" "$("$MINCA" jobs retry --dead)"
check "the retried job runs again (and fails again)" wait_for 60 "SELECT state || ':' || attempts FROM jobs WHERE payload->>'fail' IS NOT NULL" "dead:3"
kill -TERM "$w1"; wait "$w1"; rc=$?
check_eq "SIGTERM stops the worker gracefully (exit 0)" "0" "$rc"
check_eq "the stopped worker leaves the workers table" "0" "$(q "SELECT count(*) FROM workers WHERE name LIKE 'worker@%'")"

# --- kill -9 in the middle of a job: reclaimed after the lease, finished once ---------
"$MINCA" jobs probe --sleep 4000 >/dev/null
start_worker w2 1; w1=$WPID
check "a worker takes the slow job" wait_for 20 "SELECT state FROM jobs WHERE payload->>'sleep_ms' = '4000'" "running"
kill -9 "$w1"; wait "$w1" 2>/dev/null
start_worker w3 1; w2=$WPID
check "after kill -9 the job is reclaimed and finishes" wait_for 60 "SELECT state FROM jobs WHERE payload->>'sleep_ms' = '4000'" "done"
check_eq "it took a second attempt" "2" "$(q "SELECT attempts FROM jobs WHERE payload->>'sleep_ms' = '4000'")"
kill -TERM "$w2"; wait "$w2"

python3 "$GEN" 30 "$T_TMP/kill" --rows 40 --prefix kill
"$MINCA" batch --no-wait "$T_TMP/kill" >/dev/null
for round in 1 2 3; do
  # killed in the middle of its work: once it runs a job (workers are named worker@host:PID/N)
  start_worker "k$round" 2; w=$WPID
  wait_until 30 q_ge "SELECT count(*) FROM jobs WHERE state = 'running' AND worker LIKE '%:$w/%'" 1
  kill -9 "$w"; wait "$w" 2>/dev/null
done
start_worker k4 2; w=$WPID
check "after repeated kill -9 every job of the batch finishes" wait_for 120 \
  "SELECT count(*) FROM jobs WHERE state NOT IN ('done', 'dead') AND batch_id IS NOT NULL" "0"
check_eq "30 cases opened" "30" "$(q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<kill-%'")"
check_eq "each case has each vehicle row exactly once" "1200:1200" "$(q "SELECT count(*) || ':' || count(DISTINCT (v.case_id, v.source_row)) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<kill-%'")"
check_eq "every row has exactly one match" "1200" "$(q "SELECT count(*) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<kill-%'")"
kill -TERM "$w"; wait "$w"

# --- Redis flushed / restarted during a batch ------------------------------------------
python3 "$GEN" 40 "$T_TMP/flush" --rows 5 --prefix flush
n0=$(q "SELECT count(*) FROM jobs")
"$MINCA" batch --threads 2 "$T_TMP/flush" >"$T_TMP/flush.out" 2>&1 & b=$!
batch_started "$n0"; redis-cli -s "$REDIS_SOCK" FLUSHALL >/dev/null
wait "$b"; rc=$?
check_eq "FLUSHALL during a batch: the batch still succeeds" "0" "$rc"
check_eq "FLUSHALL during a batch: every email ingested" "40" "$(q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<flush-%'")"

python3 "$GEN" 40 "$T_TMP/rr" --rows 5 --prefix rr
n0=$(q "SELECT count(*) FROM jobs")
"$MINCA" batch --threads 2 "$T_TMP/rr" >"$T_TMP/rr.out" 2>&1 & b=$!
batch_started "$n0"; redis-cli -s "$REDIS_SOCK" SHUTDOWN NOSAVE >/dev/null 2>&1
sleep 1   # Redis stays down a moment: the batch meets the outage
"$MINCA" db start >/dev/null
wait "$b"; rc=$?
check_eq "Redis restart during a batch: the batch still succeeds" "0" "$rc"
check_eq "Redis restart during a batch: every email ingested" "40" "$(q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<rr-%'")"

# --- PostgreSQL restarted during a batch -------------------------------------------------
python3 "$GEN" 200 "$T_TMP/pgr" --rows 5 --prefix pgr
n0=$(q "SELECT count(*) FROM jobs")
"$MINCA" batch --threads 2 "$T_TMP/pgr" >"$T_TMP/pgr.out" 2>&1 & b=$!
batch_started "$n0"
pgdata=$("$MINCA" db status | sed -n 's/^  data: //p')
pgpid=$(head -1 "$pgdata/postmaster.pid")
kill -INT "$pgpid"; wait_until 60 gone "$pgpid"
sleep 1   # PostgreSQL stays down a moment: the batch meets the outage
"$MINCA" db start >/dev/null
wait "$b"; rc=$?
check_eq "PostgreSQL restart during a batch: the batch still succeeds" "0" "$rc"
[ "$rc" = 0 ] || { grep -v "job is queued" "$T_TMP/pgr.out" | tail -20 >&2; }
check_eq "PostgreSQL restart during a batch: every email ingested" "200" "$(q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<pgr-%'")"

# --- soak: 1,000 emails, two workers and a batch process at once -------------------------
python3 "$GEN" 1000 "$T_TMP/soak" --rows 2 --prefix soak
start_worker s1 2; w1=$WPID; start_worker s2 2; w2=$WPID
"$MINCA" batch --threads 2 "$T_TMP/soak" >"$T_TMP/soak.out" 2>&1; rc=$?
check_eq "soak: the batch succeeds" "0" "$rc"
check_eq "soak: every email ingested exactly once" "1000:1000" "$(q "SELECT count(*) || ':' || count(DISTINCT message_id) FROM messages WHERE message_id LIKE '<soak-%'")"
check_eq "soak: one case per email" "1000" "$(q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<soak-%'")"
check_eq "soak: no duplicate vehicle rows" "2000:2000" "$(q "SELECT count(*) || ':' || count(DISTINCT (v.case_id, v.source_row)) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<soak-%'")"
check_eq "soak: no job stuck" "0" "$(q "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'failed')")"
check_match "soak: the workers took part" "[1-9]" "$(q "SELECT count(*) FROM jobs WHERE worker LIKE 'worker@%' AND batch_id IS NOT NULL")"
kill -TERM "$w1" "$w2"; wait "$w1" "$w2"

"$MINCA" db stop >/dev/null 2>&1
finish
