#!/usr/bin/env bash
# A worker stopped (SIGSTOP) while it holds the insurer's COT counter row: once its lease is
# gone, another worker takes its job back and intake of the insurer goes on within the lease
# plus a few seconds.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_stalled_worker || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_LEASE_SECONDS=5
LEASE=5
"$MINCA" db migrate >/dev/null 2>&1
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
# The first case insert sleeps: the worker is stopped inside that moment, after it took the COT
# number and before its transaction ends (nextval is not rolled back: it sleeps only once).
psql_q "CREATE SEQUENCE t_stall_once;
        CREATE FUNCTION t_stall() RETURNS trigger LANGUAGE plpgsql AS \$\$
        BEGIN IF nextval('t_stall_once') = 1 THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END \$\$;
        CREATE TRIGGER t_stall BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION t_stall();"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
on_exit cleanup
wait_sql() { # SECONDS SQL EXPECTED
  local deadline=$((SECONDS + $1)) got
  while [ $SECONDS -lt "$deadline" ]; do got=$(psql_q "$2" 2>/dev/null); [ "$got" = "$3" ] && return 0; sleep 0.1; done
  echo "# waited $1 s for [$2] = [$3], last [$got]" >&2; return 1
}
"$MINCA" worker --threads 1 >"$T_TMP/w1.log" 2>&1 & w1=$!; pids+=("$w1")
mk_eml "<stall-1@corredor-prueba.mx>" "Flotilla uno" >"$T_TMP/1.eml"
"$MINCA" batch --no-wait "$T_TMP/1.eml" >/dev/null 2>&1
check "the first worker is inside the case insert, holding the COT row" \
  wait_sql 30 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'INSERT INTO cases%'" "1"
kill -STOP "$w1"
# once the trigger's sleep ends, the stopped worker's transaction is idle, still open
check "the stopped worker's transaction still holds the COT row" \
  wait_sql 30 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'" "1"
"$MINCA" worker --threads 1 >"$T_TMP/w2.log" 2>&1 & w2=$!; pids+=("$w2")
mk_eml "<stall-2@corredor-prueba.mx>" "Flotilla dos" >"$T_TMP/2.eml"
t0=$(date +%s.%N)
"$MINCA" batch --no-wait "$T_TMP/2.eml" >/dev/null 2>&1
case2="SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<stall-2@corredor-prueba.mx>'"
if wait_sql 60 "$case2" "1"; then
  took=$(echo "$(date +%s.%N) - $t0" | bc)
  echo "# intake resumed after ${took} s (lease ${LEASE} s)" >&2
  check "intake resumes within the lease plus a few seconds (${took} s)" test "$(echo "$took < $LEASE + 8" | bc)" = 1
else
  not_ok "intake resumes within the lease plus a few seconds (no case after 60 s)"
fi
check "the stopped worker's message gets its case too" wait_sql 30 \
  "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<stall-1@corredor-prueba.mx>'" "1"
check_eq "COT numbers are distinct" "2" "$(psql_q "SELECT count(DISTINCT cot) FROM cases")"
kill -CONT "$w1"
# the resumed worker finds its lease gone and ends its transaction
wait_sql 30 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'" "0"
check_eq "the resumed worker does not store its message twice" "2" "$(psql_q "SELECT count(*) FROM messages")"
kill "$w1" "$w2" 2>/dev/null
wait "$w1" "$w2" 2>/dev/null
pids=()
finish
