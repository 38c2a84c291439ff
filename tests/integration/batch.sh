#!/usr/bin/env bash
# minca batch / case: ingest, idempotency by Message-ID, malformed mail, COT numbers,
# migrations refusing an edited file.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_batch || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
FIX="$SRC/tests/fixtures/batch"

check "batch ingests a plain quote request" "$MINCA" batch "$FIX/plain.eml"
check_eq "one case opened" "1" "$(psql_q "SELECT count(*) FROM cases")"
cot=$(psql_q "SELECT cot FROM cases")
check_match "COT number has the form COT-YYYY-NNNNNN (year in Mexico City)" "^COT-$(TZ=America/Mexico_City date +%Y)-000001$" "$cot"
check_eq "client name from the body (accents, Ñ)" "LOGÍSTICA ÑUÑEZ, S.A. DE C.V." "$(psql_q "SELECT client_name FROM cases")"
check_eq "subject decoded from RFC 2047" "Cotización de flotilla - Logística Ñuñez" "$(psql_q "SELECT subject FROM messages")"
check "batch of the same message again" "$MINCA" batch "$FIX/plain.eml"
check_eq "the same Message-ID gives one message" "1" "$(psql_q "SELECT count(*) FROM messages")"
check_eq "and still one case" "1" "$(psql_q "SELECT count(*) FROM cases")"

out=$("$MINCA" batch --json "$FIX/junk.eml" "$FIX/plain.eml"); rc=$?
check_eq "batch exits 1 when a message cannot be read" "1" "$rc"
check_eq "the JSON summary lists the unreadable message as a failure" "1" "$(printf '%s' "$out" | json_get 'len(d["failures"])')"
check_match "the failure says why" "not an email" "$(printf '%s' "$out" | json_get 'd["failures"][0]["error"]')"
check_eq "the message ingested before is not queued again" "1" "$(printf '%s' "$out" | json_get 'd["already_ingested"]')"
# A redelivery through another mail server: the same bytes plus the trace headers it added.
{ printf 'Received: from mx2.aseguradora.mx by mbx1.aseguradora.mx with LMTP; Mon, 6 Oct 2025 09:20:00 -0600\r\n'
  printf 'Delivered-To: cotizaciones@aseguradora.mx\r\n'; cat "$FIX/plain.eml"; } > "$T_TMP/redelivered.eml"
out=$("$MINCA" batch --json "$T_TMP/redelivered.eml")
check_eq "a redelivery with the same Message-ID is reported as a duplicate" "duplicate" "$(printf '%s' "$out" | json_get 'd["items"][0]["outcome"]')"
check_eq "and stores no second message" "2" "$(psql_q "SELECT count(*) FROM messages")"
check_eq "the unreadable message is recorded with its error" "error" "$(psql_q "SELECT status FROM messages WHERE error IS NOT NULL")"
check_eq "its raw bytes are kept as a blob" "1" "$(psql_q "SELECT count(*) FROM messages m JOIN blobs b ON b.sha256 = m.raw_sha256 WHERE m.status = 'error'")"

list=$("$MINCA" case list)
check_match "case list shows the COT and client" "$cot .*LOG" "$list"
check_match "case list --json is JSON" '"cot": "'"$cot"'"' "$("$MINCA" case list --json)"
check_match "case show prints the client" "LOGÍSTICA ÑUÑEZ" "$("$MINCA" case show "$cot")"
check_fails "case show of an unknown COT fails" "$MINCA" case show COT-1999-999999
check_match "case show --json has attachments and vehicles" '"vehicles"' "$("$MINCA" case show "$cot" --json)"

# COT numbers stay unique when several processes ingest at once.
mkdir -p "$T_TMP/par"
for i in $(seq 1 40); do mk_eml "<par-$i@corredor-prueba.mx>" "Cotización $i" > "$T_TMP/par/m$i.eml"; done
for p in 1 2 3 4; do
  mkdir -p "$T_TMP/par$p"; for i in $(seq $p 4 40); do mv "$T_TMP/par/m$i.eml" "$T_TMP/par$p/"; done
  "$MINCA" batch "$T_TMP/par$p" >/dev/null 2>&1 &
done
wait
check_eq "40 concurrent quote requests open 40 cases" "41" "$(psql_q "SELECT count(*) FROM cases")"
check_eq "all COT numbers distinct" "41" "$(psql_q "SELECT count(DISTINCT cot) FROM cases")"
check_eq "numbers are consecutive, none skipped" "41" "$(psql_q "SELECT max(substring(cot from '[0-9]+$')::int) FROM cases")"

# Migrations: an applied migration edited afterwards is refused with a clear message.
mkdir -p "$T_TMP/share"
cp -r "$SRC/migrations" "$T_TMP/share/"
echo "-- edited" >> "$T_TMP/share/migrations/001_core.sql"
out=$(MINCA_SHARE="$T_TMP/share" "$MINCA" db migrate 2>&1); rc=$?
check_eq "an edited migration makes db migrate fail" "1" "$rc"
check_match "the message names the edited file" "001_core.sql was edited" "$out"
check "the untouched migrations still apply" "$MINCA" db migrate

# A step that needs what the insurer lacks (no catalog) waits for it instead of failing: the
# batch names the message without a finished case and exits 1; the job uses no attempt.
python3 "$SRC/tests/tools/gen_emails.py" 1 "$T_TMP/nocat" --rows 2 --prefix nocat
out=$(MINCA_INSURER=sincatalogo MINCA_MAX_ATTEMPTS=1 "$MINCA" batch "$T_TMP/nocat" 2>&1); rc=$?
check_eq "a batch whose codify step waits for a catalog exits 1" "1" "$rc"
check_match "the summary says a message has no finished case" "^unfinished \(1 message" "$out"
check_match "and names it with what it waits for" "nocat_00001.eml COT-.*codify step waits for the catalog" "$out"
check_no_match "nothing failed" "^failures:" "$out"
nocat_case="SELECT k.%s FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<nocat-%%'"
check_eq "the codify job waits with its attempts unused" "waiting:0" "$(psql_q "SELECT j.state || ':' || j.attempts FROM jobs j JOIN insurers i ON i.id = j.insurer_id WHERE i.slug = 'sincatalogo' AND j.kind = 'codify'")"
check_match "the case says it waits for a catalog" "waiting for the insurer's catalog" "$(psql_q "$(printf "$nocat_case" status_reason)")"
out=$(MINCA_INSURER=sincatalogo "$MINCA" batch "$T_TMP/nocat" 2>&1); rc=$?
check_eq "run again, it is still unfinished (exit 1)" "1" "$rc"
check_match "and reported as taken over, not as already ingested" "0 message\(s\) queued for sincatalogo, 0 already ingested before, 1 left unfinished by an earlier run \(resumed\)" "$out"

if have_shared; then
  out=$("$MINCA" batch --json "$SHARED/data/inbox_dev"); rc=$?
  expected=$(python3 -c "import json;print(sum(1 for m in json.load(open('$SHARED/data/inbox_dev/labels.json')) if m['expected_case']))")
  check_eq "inbox_dev: one case per quote request" "$expected" "$(psql_q "SELECT count(*) FROM cases c JOIN messages m ON m.id = c.message_id WHERE m.source_ref LIKE '%inbox_dev%'")"
  check_eq "inbox_dev: the duplicate delivery is stored once" "1" "$(printf '%s' "$out" | json_get 'sum(1 for i in d["items"] if i["outcome"] == "duplicate")')"
  check_eq "inbox_dev: every case has a distinct COT" "$expected" "$(printf '%s' "$out" | json_get 'len(set(c["cot"] for c in d["cases"]))')"
  check_match "inbox_dev: the truncated workbook is reported with a readable reason" "truncated or damaged" "$(printf '%s' "$out" | json_get 'd["failures"]')"
  check_eq "inbox_dev: batch exits 1 because some attachments failed" "1" "$rc"
  "$MINCA" batch "$SHARED/data/inbox_dev" >/dev/null 2>&1
  check_eq "inbox_dev: a second run creates nothing new" "$expected" "$(psql_q "SELECT count(*) FROM cases c JOIN messages m ON m.id = c.message_id WHERE m.source_ref LIKE '%inbox_dev%'")"
else
  skip "inbox_dev ingestion" "../shared/data is absent"
fi
finish
