#!/usr/bin/env bash
# Metrics: a batch runs, /metrics is scraped with curl and read with the reference parser
# (python3-prometheus-client), and each counter is checked against the database; reviews and
# exports move their counters; /healthz and /readyz answer, and /healthz turns unhealthy
# when PostgreSQL stops (a private server started here, not the suite's shared one).
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_metrics || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_USER=revisora
PARSE="/usr/bin/python3 $SRC/tests/tools/prom_parse.py"

# serve NAME: starts `minca metrics serve` on a free port; sets PORT and PID_NAME.
start_serve() {
  "$MINCA" metrics serve --listen 127.0.0.1:0 2>"$T_TMP/$1.err" &
  local pid=$!
  for _ in $(seq 100); do
    PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$T_TMP/$1.err")
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  SERVE_PID=$pid
}
scrape() { curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" | $PARSE; }
# sample NAME LABELS: the value of one sample in the last scrape ("" when absent)
sample() { grep -F "$1{$2} " "$T_TMP/scrape" | awk '{print $NF}'; }

"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch "$SRC/samples/inbox" >/dev/null 2>&1

start_serve main
check "metrics serve listens" test -n "$PORT"
code=$(curl -s -o "$T_TMP/raw" -w '%{http_code} %{content_type}' "http://127.0.0.1:$PORT/metrics")
check_eq "/metrics answers 200 in the text format" "200 text/plain; version=0.0.4; charset=utf-8" "$code"
check "the reference parser reads the whole exposition" sh -c "$PARSE < '$T_TMP/raw' > '$T_TMP/scrape'"
for m in minca_messages_ingested_total minca_jobs_total minca_job_duration_seconds_bucket minca_queue_depth \
         minca_codify_decisions_total minca_codify_confidence_bucket minca_case_time_to_ready_seconds_count \
         minca_workers_alive; do
  check_match "$m is exposed" "^$m\\{" "$(cat "$T_TMP/scrape")"
done
check_match "minca_exports_total is declared" "# TYPE minca_exports_total counter" "$(cat "$T_TMP/raw")"
check_match "minca_review_decisions_total is declared" "# TYPE minca_review_decisions_total counter" "$(cat "$T_TMP/raw")"

check_eq "messages ingested match the messages table" \
  "$(psql_q "SELECT count(*) FROM messages WHERE source = 'eml'")" "$(sample minca_messages_ingested_total 'insurer=demo,source=eml')"
check_eq "cases opened match the cases table" "$(psql_q "SELECT count(*) FROM cases")" "$(sample minca_cases_opened_total 'insurer=demo')"
for kind in ingest extract codify; do
  check_eq "$kind jobs done match the jobs table" \
    "$(psql_q "SELECT count(*) FROM jobs WHERE kind = '$kind' AND state = 'done'")" "$(sample minca_jobs_total "kind=$kind,outcome=done")"
  check_eq "$kind durations count every finished attempt" \
    "$(sample minca_jobs_total "kind=$kind,outcome=done")" "$(sample minca_job_duration_seconds_count "kind=$kind")"
done
for d in auto_accept needs_review; do
  check_eq "codifier decisions '$d' match the matches table" \
    "$(psql_q "SELECT count(*) FROM matches WHERE decision = '$d'")" "$(sample minca_codify_decisions_total "decision=$d,insurer=demo")"
done
check_eq "the confidence histogram counts every codified row" \
  "$(psql_q "SELECT count(*) FROM matches WHERE confidence IS NOT NULL")" "$(sample minca_codify_confidence_count 'insurer=demo')"
check_eq "confidence buckets accumulate (le=0.9 matches the table)" \
  "$(psql_q "SELECT count(*) FROM matches WHERE confidence <= 0.9")" "$(sample minca_codify_confidence_bucket 'insurer=demo,le=0.9')"
check_eq "cases in review match the cases table" \
  "$(psql_q "SELECT count(*) FROM cases WHERE status = 'review'")" "$(sample minca_cases 'insurer=demo,status=review')"
check_eq "time to ready counts the ready cases" \
  "$(psql_q "SELECT count(*) FROM cases WHERE status = 'ready'")" "$(sample minca_case_time_to_ready_seconds_count 'insurer=demo')"
check_eq "the queue is drained" "0" "$(grep '^minca_queue_depth{' "$T_TMP/scrape" | awk '{s+=$NF} END {print s+0}')"

# Reviews and an export move their counters.
cot=$(psql_q "SELECT k.cot FROM cases k WHERE k.status = 'review' ORDER BY k.cot LIMIT 1")
rows=($(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id
                WHERE k.cot = '$cot' AND x.decision = 'needs_review' ORDER BY v.inciso LIMIT 2"))
"$MINCA" review "$cot" accept "${rows[0]}" >/dev/null 2>&1
"$MINCA" review "$cot" nomatch "${rows[1]}" >/dev/null 2>&1
ready=$(psql_q "SELECT cot FROM cases WHERE status = 'ready' ORDER BY cot LIMIT 1")
"$MINCA" export "$ready" --format both --force --out "$T_TMP/q.xlsx" >/dev/null 2>&1
scrape > "$T_TMP/scrape"
check_eq "accept decisions match the audit log" \
  "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'review.accept'")" "$(sample minca_review_decisions_total 'insurer=demo,kind=accept')"
check_eq "no-match decisions match the audit log" \
  "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'review.no_match'")" "$(sample minca_review_decisions_total 'insurer=demo,kind=no_match')"
check_eq "exports match the exports table" \
  "$(psql_q "SELECT count(*) FROM exports WHERE format = 'xlsx'")" "$(grep -E '^minca_exports_total\{.*format=xlsx' "$T_TMP/scrape" | awk '{s+=$NF} END {print s+0}')"
check_eq "a reviewer's decision is not counted as the codifier's" "$(psql_q "SELECT count(*) FROM matches")" \
  "$(grep '^minca_codify_decisions_total{' "$T_TMP/scrape" | awk '{s+=$NF} END {print s+0}')"

# A failing job counts as failed, then dead.
# The worker logs JSON (to a log directory of its own): one object per line, ids, no PII.
"$MINCA" jobs probe --fail "rechazo de ventas@corredor-prueba.mx via postgresql://minca:s3cret@db.example/x" --attempts 1 >/dev/null
MINCA_HOME="$T_TMP/jlog" "$MINCA" --log-format json worker --threads 1 --metrics-listen 127.0.0.1:0 >/dev/null 2>"$T_TMP/worker.err" &
wpid=$!
for _ in $(seq 100); do
  wport=$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$T_TMP/worker.err"); [ -n "$wport" ] && break; sleep 0.1
done
check_match "a worker serves /metrics with --metrics-listen" '^minca_workers_alive [1-9]' \
  "$(curl -s --max-time 10 "http://127.0.0.1:${wport:-1}/metrics")"
for _ in $(seq 100); do [ "$(psql_q "SELECT count(*) FROM jobs WHERE kind = 'probe' AND state = 'dead'")" = 1 ] && break; sleep 0.2; done
kill "$wpid"; wait "$wpid" 2>/dev/null
if [ "$(psql_q "SELECT count(*) FROM jobs WHERE kind = 'probe' AND state = 'dead'")" = 1 ]; then
  scrape > "$T_TMP/scrape"
  check_eq "a dead job is counted" "1" "$(sample minca_jobs_total 'kind=probe,outcome=dead')"
  check_eq "and shows in the queue depth" "1" "$(sample minca_queue_depth 'kind=probe,state=dead')"
else
  skip "a dead job is counted" "no process ran the probe job"
  skip "and shows in the queue depth" "no process ran the probe job"
fi

log="$T_TMP/jlog/log/minca.log"
check "every log line is one JSON object with time, level, component and msg" /usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines
for l in lines:
    o = json.loads(l)
    assert {"time", "level", "component", "msg"} <= o.keys(), o
' "$log"
check_match "the failed attempt carries its job id" '"level":"warn".*"job_id":[0-9]+' "$(cat "$log")"
check_no_match "no e-mail address or password in the log" 'ventas@|s3cret' "$(cat "$log")"
check_eq "--log-format refuses an unknown format" "2" "$("$MINCA" --log-format xml status >/dev/null 2>&1; echo $?)"

check_eq "/healthz is 200 with both servers up" "200" "$(curl -s -o "$T_TMP/h" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")"
check_match "/healthz says why" '"postgresql":true,"redis":true,"migrations_current":true' "$(cat "$T_TMP/h")"
check_eq "/readyz is 200" "200" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")"
check_eq "an unknown path is 404" "404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope")"
check "metrics health exits 0 when healthy" "$MINCA" metrics health
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null

# Unhealthy: a private PostgreSQL and Redis, PostgreSQL then stopped.
(
  unset MINCA_DATABASE_URL MINCA_REDIS_URL
  export MINCA_HOME="$T_TMP/own"
  "$MINCA" db start >/dev/null 2>&1 || { not_ok "start a private PostgreSQL"; exit 1; }
  eval "$("$MINCA" db url --shell)"
  export MINCA_DATABASE_URL MINCA_REDIS_URL
  start_serve own
  check_eq "a private server's /healthz is 200" "200" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")"
  pgdata=$(psql "$MINCA_DATABASE_URL" -X -A -t -c 'SHOW data_directory')
  pgpid=$(head -1 "$pgdata/postmaster.pid")
  kill -INT "$pgpid"
  for _ in $(seq 100); do kill -0 "$pgpid" 2>/dev/null || break; sleep 0.1; done
  code=$(curl -s -o "$T_TMP/h2" -w '%{http_code}' --max-time 15 "http://127.0.0.1:$PORT/healthz")
  check_eq "/healthz is 503 once PostgreSQL is stopped" "503" "$code"
  check_match "and names PostgreSQL" '"status":"unhealthy","postgresql":false,"redis":true' "$(cat "$T_TMP/h2")"
  check_eq "/readyz is 503 too" "503" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 "http://127.0.0.1:$PORT/readyz")"
  check_eq "/metrics is 503, not a partial text" "503" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 "http://127.0.0.1:$PORT/metrics")"
  check_fails "metrics health exits 1" "$MINCA" metrics health
  (unset MINCA_DATABASE_URL MINCA_REDIS_URL; "$MINCA" db start >/dev/null 2>&1)
  check_eq "/healthz recovers when PostgreSQL is back" "200" "$(curl -s -o "$T_TMP/h3" -w '%{http_code}' --max-time 15 "http://127.0.0.1:$PORT/healthz")"
  [ "$(cat "$T_TMP/h3")" = "" ] || grep -q '"status":"ok"' "$T_TMP/h3" || echo "# $(cat "$T_TMP/h3")" >&2
  check_eq "/metrics reconnects" "200" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 "http://127.0.0.1:$PORT/metrics")"
  kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
  (unset MINCA_DATABASE_URL MINCA_REDIS_URL; "$MINCA" db stop >/dev/null 2>&1)
  [ "$T_FAILED" -eq 0 ]
) || T_FAILED=$((T_FAILED + 1))
finish
