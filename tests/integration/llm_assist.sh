#!/usr/bin/env bash
# The optional language model against a local stub of its API (tests/tools/llm_stub.py): with
# no model configured nothing is sent; a prose-only email becomes a case whose client fields are
# marked suggested until confirmed; the prompt that leaves holds no RFC, phone, e-mail or VIN of
# the mail; the same prompt is answered from the cache; every failure of the API (invalid JSON,
# schema violation, timeout, 429 with Retry-After, 500, an answer trying to inject instructions)
# falls back to the rules with a note; the insurer's setting turns the feature off.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_llm_assist || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_USER=revisora
unset MINCA_LLM_BASE_URL MINCA_LLM_MODEL
export MINCA_CONFIG="$T_TMP/config.yaml"
: > "$MINCA_CONFIG"

stub_log="$T_TMP/stub.log" mode_file="$T_TMP/mode" port_file="$T_TMP/port"
: > "$stub_log"
echo ok > "$mode_file"
python3 "$SRC/tests/tools/llm_stub.py" --port-file "$port_file" --log "$stub_log" --mode-file "$mode_file" &
stub_pid=$!
for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
port=$(cat "$port_file" 2>/dev/null)
[ -n "$port" ] || { not_ok "the stub started"; finish; exit 1; }
requests() { wc -l < "$stub_log" | tr -d ' '; }

# variant NAME: the prose fixture with its own Message-ID and a last line of its own (own prompt)
variant() {
  sed -e "s/<prosa-001@/<prosa-$1@/" -e "s/Quedo atenta, gracias\./Quedo atenta, gracias. Ref. $1/" \
    -e "s/^Quisieran algo/Domicilio: Insurgentes Sur 1234, Col. Del Valle. La CURP de Laura es PENJ800101HDFRXN09, la CLABE\n002180700123456789 y la tarjeta 4111 1111 1111 1111; las unidades se entregan en Calle Hidalgo 123.\n\nQuisieran algo/" \
    "$SRC/tests/fixtures/llm/prose_request.eml" > "$T_TMP/$1.eml"
  echo "$T_TMP/$1.eml"
}
case_of() { psql_q "SELECT coalesce(k.cot, '') FROM messages m LEFT JOIN cases k ON k.message_id = m.id WHERE m.message_id = '<prosa-$1@tdb-seguros.mx>'"; }
problems_of() { psql_q "SELECT problems::text FROM messages WHERE message_id = '<prosa-$1@tdb-seguros.mx>'"; }

# ---- no model configured: nothing changes, nothing is sent
"$MINCA" batch "$(variant none)" >/dev/null 2>&1
check_eq "without a model the prose email opens no case" "" "$(case_of none)"
check_eq "without a model no request is made" "0" "$(requests)"
check_match "minca config says no model" "llm: \(none" "$("$MINCA" config)"

# ---- with the stub
cat > "$MINCA_CONFIG" <<YAML
llm:
  base_url: http://127.0.0.1:$port/v1
  model: stub-model-$$
  timeout_seconds: 2
  max_retries: 2
  price_prompt: 1.5
  price_completion: 6
YAML
export MINCA_LLM_API_KEY=test-key-123
check_match "minca config shows the model, not the key" "model: stub-model-$$" "$("$MINCA" config)"
check_no_match "the key is never printed" "test-key-123" "$("$MINCA" config)"
# every row of the options table is printed with where its value came from
cfgout=$("$MINCA" config)
names=$("$MINCA" config --options | sed -n 's/^  \([a-z_.]*\) (.*/\1/p')
missing=""
for name in $names; do grep -q "^$name: " <<<"$cfgout" || missing="$missing $name"; done
check_eq "minca config --options lists the settings" "yes" "$([ "$(wc -w <<<"$names")" -gt 30 ] && echo yes)"
check_eq "minca config shows every setting of the options table" "" "$missing"
helpnames=$("$MINCA" config --help | sed -n 's/^  \([a-z_.]*\) (.*/\1/p')
check_eq "minca config --help lists the same settings" "$names" "$helpnames"
check_match "a value from the file says so" "(^|\n)llm.max_retries: 2  # file" "$cfgout"
check_match "a default says so" "(^|\n)max_attempts: 5  # default" "$cfgout"
check_match "the environment wins over the file" "llm.model: model-from-env  # env MINCA_LLM_MODEL" \
  "$(MINCA_LLM_MODEL=model-from-env "$MINCA" config)"

"$MINCA" batch "$(variant ok)" >/dev/null 2>&1
cot=$(case_of ok)
check_match "the prose email becomes a case" "^COT-" "$cot"
check_eq "one request was made" "1" "$(requests)"
kase() { psql_q "SELECT $1 FROM cases WHERE cot = '$cot'"; }
check_eq "client fields filled from the model" "Transportes del Bajío|TBA150312KJ4|AMPLIA|SEMESTRAL|CARGA|2025-11-01|2026-11-01" \
  "$(kase "concat_ws('|', client_name, rfc, coverage, payment_terms, uso, validity_start, validity_end)")"
check_eq "each is marked suggested by the model" "client_name coverage payment_terms rfc uso vigencia" \
  "$(kase "(SELECT string_agg(key, ' ' ORDER BY key) FROM jsonb_each(suggested) WHERE value->>'by' = 'model')")"
check_match "the suggestions wait for a person" "client_name \(suggested by the model\)" "$(kase "missing_requirements::text")"
check_eq "the pre-analysis is not complete" "incomplete" "$(kase preanalysis_status)"
check_match "the suggested RFC is checked like any other (its check digit fails)" "rfc_invalid" "$(kase "missing_requirements::text")"
show=$("$MINCA" case show "$cot")
check_match "case show marks the client as suggested" "client: +Transportes del Bajío +\(suggested by the model, to confirm\)" "$show"
check_eq "the API key is sent as a bearer token" "Bearer test-key-123" "$(head -n1 "$stub_log" | json_get 'd["auth"]')"
check_eq "the answer is constrained by a JSON schema" "json_schema body_fields" \
  "$(head -n1 "$stub_log" | json_get 'd["request"]["response_format"]["type"] + " " + d["request"]["response_format"]["json_schema"]["name"]')"

# what left the machine holds no personal data of the mail. The stub logs JSON (accents as
# \u00e9 escapes): every request is decoded and its strings searched as the model reads them.
decoded() { /usr/bin/python3 -c '
import json, sys
def walk(v):
    if isinstance(v, str): print(v)
    elif isinstance(v, dict): [walk(x) for x in v.values()]
    elif isinstance(v, list): [walk(x) for x in v]
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip(): walk(json.loads(line))' "$1"; }
PII=("TBA 150312 KJ4" "TBA150312KJ4" "150312" "442 123 4567" "123 4567" "laura.mendez@tdb.com.mx" "laura.mendez"
     "3N6AD33A5KK812345" "Laura Méndez Ruiz" "Laura Mendez Ruiz" "Méndez" "PENJ800101HDFRXN09" "70012345678"
     "4111 1111" "1111 1111" "Insurgentes Sur" "Hidalgo 123")
# leaks FILE: the personal data found in the decoded requests of a stub log, one per line
leaks() { local text; text=$(decoded "$1"); for pii in "${PII[@]}"; do grep -qF -- "$pii" <<<"$text" && echo "$pii"; done; }
# the check itself is shown to catch a leak planted in an escaped request
/usr/bin/python3 -c 'import json,sys; print(json.dumps({"request": {"messages": [{"role": "user", "content": "contacto Laura Méndez Ruiz"}]}}))' >"$T_TMP/planted.log"
check_match "a name with accents planted in an escaped request is caught" "Méndez" "$(leaks "$T_TMP/planted.log")"
check_no_match "(the raw log would not have shown it)" "Méndez" "$(cat "$T_TMP/planted.log")"
check_eq "the prompt sent holds no personal data" "" "$(leaks "$stub_log")"
sent=$(decoded "$stub_log")
check_match "the prompt carries placeholders instead" "\[RFC_1\].*\[VIN_1\]|\[PHONE_1\]" "$sent"
logged=$(psql_q "SELECT masked_prompt FROM llm_requests WHERE purpose = 'body' ORDER BY id LIMIT 1")
check_match "the masked prompt is logged for audit" "\[EMAIL_1\]" "$logged"
check_no_match "the logged prompt holds no RFC or VIN" "150312|3N6AD33A5KK812345|laura.mendez" "$logged"
check_match "tokens and cost are counted" "^[1-9][0-9]*\|[1-9][0-9]*\|0\.0" \
  "$(psql_q "SELECT prompt_tokens || '|' || completion_tokens || '|' || cost FROM llm_requests WHERE purpose = 'body' ORDER BY id LIMIT 1")"

# the same prompt again: answered from the cache, no request
cp "$T_TMP/ok.eml" "$T_TMP/again.eml"
sed -i 's/<prosa-ok@/<prosa-again@/' "$T_TMP/again.eml"
"$MINCA" batch "$T_TMP/again.eml" >/dev/null 2>&1
check_match "the repeated prompt still makes a case" "^COT-" "$(case_of again)"
check_eq "the repeated prompt made no request" "1" "$(requests)"
check_eq "the cached answer is recorded as such" "1" "$(psql_q "SELECT count(*) FROM llm_requests WHERE cached")"
status=$("$MINCA" status)
check_match "minca status shows the model's usage" "demo +body +2 +1 +0" "$status"

audit=$("$MINCA" llm log --prompts)
check_match "minca llm log lists the questions, the cached one marked" "body +ok +\(cache\)" "$audit"
check_match "minca llm log --prompts shows the masked prompt" "\[RFC_1\]" "$audit"
check_no_match "and no personal data" "150312|laura.mendez|3N6AD33A5KK812345" "$audit"

# a person confirms: the export no longer refuses for that reason
out=$("$MINCA" export "$cot" 2>&1)
check_match "the export refuses unconfirmed suggestions" "suggested by the language model" "$out"
check "confirm the suggestions" "$MINCA" case confirm "$cot"
check_eq "nothing waits for confirmation" "0" "$(kase "(SELECT count(*) FROM jsonb_each(suggested) WHERE value->'confirmed_by' IS NULL)")"
check_no_match "the suggestions are no longer missing" "suggested by the model" "$(kase "missing_requirements::text")"
check_match "case show says confirmed" "\(suggested by the model, confirmed\)" "$("$MINCA" case show "$cot")"
check_no_match "the export no longer names the suggestions" "suggested by the language model" "$("$MINCA" export "$cot" 2>&1)"
check_eq "the confirmation is audited" "1" "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'case.confirm_suggested' AND actor = 'revisora'")"
check_fails "confirming twice is refused" "$MINCA" case confirm "$cot"

# ---- review: the model ranks the candidates of rows that need review, and decides nothing
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch "$SRC/samples/inbox" >/dev/null 2>&1
ranked=$(psql_q "SELECT count(*) FROM matches WHERE candidates->0 ? 'model_rank'")
check_match "rows that need review got the model's ranking" "^[1-9]" "$ranked"
check_eq "only rows that need review are ranked" "0" \
  "$(psql_q "SELECT count(*) FROM matches WHERE decision <> 'needs_review' AND candidates::text LIKE '%model_rank%'")"
check_eq "the ranking decides nothing: every ranked row keeps the codifier's proposal and stays in review" "0" \
  "$(psql_q "SELECT count(*) FROM matches WHERE candidates->0 ? 'model_rank' AND (decision <> 'needs_review' OR cvegs IS DISTINCT FROM candidates->0->>'cvegs')")"
check_match "the model's order differs from the codifier's where it said so" "^[1-9]" \
  "$(psql_q "SELECT count(*) FROM matches WHERE (candidates->0->>'model_rank')::int > 1")"
check_match "each ranked candidate has a one-line reason" "^the model reads the text as [0-9A-Z]+/[0-9]{4}$" \
  "$(psql_q "SELECT candidates->0->>'model_reason' FROM matches WHERE candidates->0 ? 'model_rank' LIMIT 1")"
review_sent=$(grep candidate_ranking "$stub_log")
check_match "ranking questions were sent" "candidate_ranking" "$review_sent"
leaked=0
for vin in $(psql_q "SELECT DISTINCT vin FROM vehicle_rows WHERE length(vin) = 17"); do
  printf '%s' "$review_sent" | grep -q "$vin" && leaked=$((leaked + 1))
done
check_eq "no VIN of the vehicle rows was sent" "0" "$leaked"

# ---- failures fall back to the rules with a note, never a crash or a wrong value
for m in invalid schema timeout 500 inject; do
  echo "$m" > "$mode_file"
  before=$(requests)
  "$MINCA" batch "$(variant "$m")" >/dev/null 2>"$T_TMP/$m.err"
  rc=$?
  check "batch survives a '$m' answer (exit $rc)" test "$rc" -le 1
  check_eq "'$m': the rules' result stands (no case from nothing)" "" "$(case_of "$m")"
  check_match "'$m': the message says why the model was not used" "language model" "$(problems_of "$m")"
  check_eq "'$m': the failure is recorded" "failed" "$(psql_q "SELECT outcome FROM llm_requests ORDER BY id DESC LIMIT 1")"
  [ "$m" = 500 ] && check_eq "'500' is retried (1 + max_retries requests)" "3" "$(( $(requests) - before ))"
done
check_match "invalid JSON is named" "not valid JSON" "$(problems_of invalid)"
check_match "a schema violation is named" "does not follow the schema" "$(problems_of schema)"
check_match "a timeout is named" "did not answer in time" "$(problems_of timeout)"
check_match "an injection is refused" "reads like instructions" "$(problems_of inject)"

echo 429 > "$mode_file"
before=$(requests)
t0=$(date +%s.%N)
"$MINCA" batch "$(variant 429)" >/dev/null 2>&1
t1=$(date +%s.%N)
check_match "after a 429 the retry succeeds" "^COT-" "$(case_of 429)"
check_eq "429 then success: two requests" "2" "$(( $(requests) - before ))"
check "the retry waited for Retry-After" python3 -c "import sys; sys.exit(0 if $t1 - $t0 >= 1.0 else 1)"

echo fenced > "$mode_file"
"$MINCA" batch "$(variant fenced)" >/dev/null 2>&1
check_match "an answer inside a Markdown code fence is still read" "^COT-" "$(case_of fenced)"

# ---- the API key from a file, and the monthly budget
echo ok > "$mode_file"
printf 'key-from-file-456\n' > "$T_TMP/api.key"
sed -i "s|^  price_prompt:.*|  api_key_file: $T_TMP/api.key\n  price_prompt: 1.5|" "$MINCA_CONFIG"
( unset MINCA_LLM_API_KEY; "$MINCA" batch "$(variant keyfile)" >/dev/null 2>&1 )
check_eq "without the variable the key file is used" "Bearer key-from-file-456" "$(tail -n1 "$stub_log" | json_get 'd["auth"]')"
spent=$(psql_q "SELECT sum(cost) > 0 FROM llm_requests WHERE at >= date_trunc('month', now())")
check_eq "this month's cost is counted" "t" "$spent"
printf '  monthly_budget: 0.000001\n' >> "$MINCA_CONFIG"
before=$(requests)
"$MINCA" batch "$(variant budget)" >/dev/null 2>&1
check_eq "over budget: no request" "$before" "$(requests)"
check_match "over budget: the message says so" "budget" "$(problems_of budget)"
check_eq "over budget: recorded as refused" "refused" "$(psql_q "SELECT outcome FROM llm_requests ORDER BY id DESC LIMIT 1")"
sed -i '/monthly_budget/d' "$MINCA_CONFIG"

# ---- the insurer turns it off
echo ok > "$mode_file"
psql_q "UPDATE insurers SET settings = settings || '{\"llm\": false}' WHERE slug = 'demo'" >/dev/null
before=$(requests)
"$MINCA" batch "$(variant off)" >/dev/null 2>&1
check_eq "turned off: no request" "$before" "$(requests)"
check_eq "turned off: the rules alone decide" "" "$(case_of off)"
finish
