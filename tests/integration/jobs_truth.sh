#!/usr/bin/env bash
# Jobs that know their failures and a batch that tells the truth: a codify job with no catalog
# waits (no attempt used) and completes when one is imported; a batch killed with kill -9 and
# run again finishes its cases (the same rows as a clean run); intake run --once and mail add
# wait for their own work only, not for 1,000 unrelated jobs; a batch on a full disk stops with
# a message naming ENOSPC within a lease, and the next run stores what the full disk stopped.
source "$(dirname "$0")/../lib.sh"
export MINCA_INSURER=demo MINCA_LEASE_SECONDS=8
LEASE=8
GEN="$SRC/tests/tools/gen_emails.py"
CATALOG="$SRC/samples/catalog/demo_catver.csv"
pids=()
mnt=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "$mnt" ] && umount "$mnt" 2>/dev/null
}
trap cleanup EXIT
wait_sql() { # SECONDS SQL EXPECTED
  local deadline=$((SECONDS + $1)) got
  while [ $SECONDS -lt "$deadline" ]; do got=$(psql_q "$2" 2>/dev/null); [ "$got" = "$3" ] && return 0; sleep 0.1; done
  echo "# waited $1 s for [$2] = [$3], last [$got]" >&2; return 1
}
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
counts() { # cases:vehicle rows:matches:unfinished jobs of the messages with Message-ID prefix $1
  psql_q "SELECT (SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<$1-%')
    || ':' || (SELECT count(*) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<$1-%')
    || ':' || (SELECT count(*) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<$1-%')
    || ':' || (SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'failed', 'waiting'))"
}

# --- a batch killed with kill -9 and run again: the same rows as a clean run -------------------
python3 "$GEN" 6 "$T_TMP/kill" --rows 60 --prefix kb
use_fresh_db t_jobs_clean || { not_ok "create test database"; finish; exit 1; }
"$MINCA" db migrate >/dev/null 2>&1
"$MINCA" catalog import "$CATALOG" >/dev/null 2>&1
"$MINCA" batch --threads 1 "$T_TMP/kill" >/dev/null 2>&1
clean=$(counts kb)
use_fresh_db t_jobs_truth || { not_ok "create test database"; finish; exit 1; }
"$MINCA" db migrate >/dev/null 2>&1
"$MINCA" catalog import "$CATALOG" >/dev/null 2>&1
"$MINCA" batch --threads 1 "$T_TMP/kill" >"$T_TMP/killed.out" 2>&1 & b=$!
wait_sql 60 "SELECT (count(*) >= 2)::int FROM jobs WHERE kind = 'ingest' AND state = 'done'" "1" >/dev/null
kill -9 "$b"; wait "$b" 2>/dev/null
left=$(psql_q "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'failed')")
if [ "$left" -gt 0 ]; then ok "the batch was killed with $left job(s) unfinished"; else skip "kill -9 mid-batch" "it finished first"; fi
t0=$(now)
out=$("$MINCA" batch --json --threads 1 "$T_TMP/kill" 2>"$T_TMP/rerun.err"); rc=$?
echo "# the re-run took $(since "$t0") s (lease $LEASE s)" >&2
check_eq "the re-run exits 0" "0" "$rc"
[ "$rc" = 0 ] || { printf '%s\n' "$out" | tail -30 >&2; tail -5 "$T_TMP/rerun.err" >&2; }
check_eq "the re-run finishes the cases: the same rows as a clean run" "$clean" "$(counts kb)"
check_eq "every message is resumed or already ingested, none queued twice" "0:6" \
  "$(printf '%s' "$out" | json_get 'str(d["queued"]) + ":" + str(d["resumed"] + d["already_ingested"])')"
check_match "it resumed what the killed run left" "^[1-9]" "$(printf '%s' "$out" | json_get 'd["resumed"]')"
check_eq "each message is in the database once" "6" "$(psql_q "SELECT count(*) FROM messages WHERE message_id LIKE '<kb-%'")"
check_eq "nothing unfinished" "0" "$(printf '%s' "$out" | json_get 'len(d["unfinished"])')"

# --- a codify job with no catalog waits and completes when one is imported ---------------------
python3 "$GEN" 2 "$T_TMP/wait" --rows 3 --prefix wait
"$MINCA" worker --threads 2 >"$T_TMP/worker.log" 2>&1 & w=$!; pids+=("$w")
MINCA_INSURER=espera "$MINCA" batch --no-wait "$T_TMP/wait" >/dev/null 2>&1
codify_of_espera="FROM jobs j JOIN insurers i ON i.id = j.insurer_id WHERE i.slug = 'espera' AND j.kind = 'codify'"
check "the codify jobs without a catalog wait" wait_sql 60 "SELECT count(*) $codify_of_espera AND j.state = 'waiting'" "2"
sleep 3
check_eq "waiting, they use no attempt and fail nothing" "2:0" \
  "$(psql_q "SELECT count(*) FILTER (WHERE j.state = 'waiting') || ':' || sum(j.attempts) $codify_of_espera")"
check_eq "no job failed or died" "0" "$(psql_q "SELECT count(*) FROM jobs WHERE state IN ('failed', 'dead')")"
t0=$(now)
"$MINCA" catalog import --insurer espera "$CATALOG" >/dev/null 2>&1
check "importing the catalog wakes them and they complete" wait_sql 30 \
  "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<wait-%' AND k.status IN ('review', 'ready')" "2"
echo "# done $(since "$t0") s after the import" >&2
check_eq "each codify job ran once" "done:1:done:1" "$(psql_q "SELECT string_agg(j.state || ':' || j.attempts, ':' ORDER BY j.id) $codify_of_espera")"
kill "$w"; wait "$w" 2>/dev/null; pids=()

# --- intake run --once and mail add wait for their own work only -------------------------------
mkdir -p "$T_TMP/md/cur" "$T_TMP/md/new" "$T_TMP/md/tmp"
mk_eml "<own-1@corredor-prueba.mx>" "Flotilla propia" >"$T_TMP/md/new/1.host"
cat >"$T_TMP/config.yaml" <<CONF
insurer: demo
sources:
  buzon:
    kind: maildir
    path: $T_TMP/md
CONF
psql_q "INSERT INTO jobs (kind, payload) SELECT 'probe', '{\"sleep_ms\": 2000}' FROM generate_series(1, 1000)" >/dev/null
t0=$(now)
MINCA_CONFIG="$T_TMP/config.yaml" "$MINCA" intake run --once >"$T_TMP/intake.out" 2>&1; rc=$?
took=$(since "$t0")
echo "# intake run --once took $took s with 1,000 unrelated jobs queued" >&2
check_eq "intake run --once exits 0" "0" "$rc"
check "intake run --once returns in under 5 s with 1,000 unrelated jobs queued ($took s)" test "$(echo "$took < 5" | bc)" = 1
check_eq "its own message got its case" "1" "$(psql_q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<own-1@corredor-prueba.mx>'")"
check_eq "the unrelated jobs are left to the workers" "1000" "$(psql_q "SELECT count(*) FROM jobs WHERE kind = 'probe' AND state = 'queued'")"
t0=$(now)
out=$("$MINCA" mail add --from "Ana <ana@corredor-prueba.mx>" --subject "Cotización de flotilla" \
      --body "Buen día, solicito cotización de flotilla. Razón social: TRANSPORTES PROPIOS, S.A. DE C.V. RFC: TPR010101AB8" 2>&1); rc=$?
took=$(since "$t0")
check_eq "mail add exits 0" "0" "$rc"
check_match "mail add prints its case" "COT-[0-9]{4}-[0-9]{6}" "$out"
check "mail add returns in under 5 s with 1,000 unrelated jobs queued ($took s)" test "$(echo "$took < 5" | bc)" = 1
psql_q "DELETE FROM jobs WHERE kind = 'probe'" >/dev/null

# --- a failure of a permanent kind is dead at once -----------------------------------------
"$MINCA" jobs probe --fail "cannot be helped" --permanent --attempts 5 >/dev/null
"$MINCA" jobs probe --fail "maybe later" --attempts 5 >/dev/null
"$MINCA" worker --threads 1 >"$T_TMP/worker2.log" 2>&1 & w=$!; pids+=("$w")
check "a permanent failure is dead after one attempt" wait_sql 30 \
  "SELECT state || ':' || attempts FROM jobs WHERE payload->>'fail' = 'cannot be helped'" "dead:1"
check_match "a transient one is retried" "^(failed|running|queued)$" "$(psql_q "SELECT state FROM jobs WHERE payload->>'fail' = 'maybe later'")"
kill "$w"; wait "$w" 2>/dev/null; pids=()
psql_q "DELETE FROM jobs WHERE kind = 'probe'" >/dev/null

# --- a full disk is an error, not a hang -----------------------------------------------------
mkdir -p "$T_TMP/full"
if mount -t tmpfs -o size=2m tmpfs "$T_TMP/full" 2>/dev/null; then
  mnt="$T_TMP/full"
  home="$mnt/home"; mkdir -p "$home/log" "$home/exports"
  dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null
  python3 "$GEN" 3 "$T_TMP/fd" --rows 2 --prefix fd
  t0=$(now)
  MINCA_HOME="$home" timeout 120 "$MINCA" batch --export "$home/exports" "$T_TMP/fd" >"$T_TMP/full.out" 2>"$T_TMP/full.err"; rc=$?
  took=$(since "$t0")
  echo "# the batch on a full disk stopped after $took s" >&2
  check_eq "a batch on a full disk exits 1" "1" "$rc"
  check_match "with a message naming ENOSPC" "stopped: .*ENOSPC" "$(cat "$T_TMP/full.err")"
  check "within a lease ($took s, lease $LEASE s)" test "$(echo "$took < $LEASE" | bc)" = 1
  check_eq "no job is left running" "0" "$(psql_q "SELECT count(*) FROM jobs WHERE state = 'running'")"
  rm -f "$mnt/filler"
  stored=$(psql_q "SELECT count(*) FROM messages WHERE message_id LIKE '<fd-%'")
  out=$(MINCA_HOME="$home" "$MINCA" batch --json --export "$home/exports" "$T_TMP/fd" 2>"$T_TMP/full2.err"); rc=$?
  check_eq "with space again, the batch runs and every message has its case" "0:3" "$rc:$(counts fd | cut -d: -f1)"
  [ "$rc" = 0 ] || { printf '%s\n' "$out" | tail -20 >&2; tail -5 "$T_TMP/full2.err" >&2; }
  check "already ingested counts only messages that were in the database" \
    test "$(printf '%s' "$out" | json_get 'd["already_ingested"]')" -le "$stored"
  check_eq "every message is queued, resumed or already ingested" "3" \
    "$(printf '%s' "$out" | json_get 'd["queued"] + d["resumed"] + d["already_ingested"]')"
  umount "$mnt" && mnt=
else
  skip "a batch on a full disk" "mounting a tmpfs is not permitted here"
fi
finish
