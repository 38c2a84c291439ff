#!/usr/bin/env bash
# PostgreSQL restarted while minca batch is still enqueuing: the batch reconnects, enqueues the
# rest and every email is ingested. Uses its own servers (it restarts them).
# runner: no-servers (starts and restarts its own)
source "$(dirname "$0")/../lib.sh"
unset MINCA_DATABASE_URL MINCA_REDIS_URL
export MINCA_HOME="$T_TMP/home" MINCA_INSURER=demo MINCA_PG_FAST=1
"$MINCA" db start >/dev/null || { not_ok "start private servers"; finish; exit 1; }
eval "$("$MINCA" db url --shell)"
PGURL=$MINCA_DATABASE_URL
unset MINCA_DATABASE_URL MINCA_REDIS_URL
q() { psql "$PGURL" -X -A -t -q -c "$1"; }
q_is() { [ "$(q "$1" 2>/dev/null)" = "$2" ]; }
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
# Each ingest job of this batch takes 30 ms to enqueue: 150 of them take about 4.5 s, so the
# restart, as soon as the first one is being enqueued, lands in the middle of the enqueuing.
q "CREATE FUNCTION t_slow() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN PERFORM pg_sleep(0.03); RETURN NEW; END \$\$;
   CREATE TRIGGER t_slow BEFORE INSERT ON jobs FOR EACH ROW WHEN (NEW.kind = 'ingest') EXECUTE FUNCTION t_slow();"
python3 "$SRC/tests/tools/gen_emails.py" 150 "$T_TMP/pge" --rows 1 --prefix pge
"$MINCA" batch --threads 2 "$T_TMP/pge" >"$T_TMP/pge.out" 2>&1 & b=$!
wait_until 30 q_is "SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event = 'PgSleep'" t
check_eq "the batch is still enqueuing when PostgreSQL goes down" "1" "$(q "SELECT (count(*) < 150)::int FROM jobs WHERE kind = 'ingest'")"
pgdata=$("$MINCA" db status | sed -n 's/^  data: //p')
pgpid=$(head -1 "$pgdata/postmaster.pid")
kill -INT "$pgpid"; wait_until 60 gone "$pgpid"
sleep 1   # PostgreSQL stays down a moment: the batch meets the outage
"$MINCA" db start >/dev/null
wait "$b"; rc=$?
check_eq "the batch succeeds" "0" "$rc"
[ "$rc" = 0 ] || tail -20 "$T_TMP/pge.out" >&2
check_match "every message was queued" "150 message\(s\) queued" "$(cat "$T_TMP/pge.out")"
check_eq "every email is ingested" "150" "$(q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<pge-%'")"
"$MINCA" db stop >/dev/null 2>&1
finish
