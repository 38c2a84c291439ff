#!/usr/bin/env bash
# The optional language model at the desk, against the local API stub (tests/tools/llm_stub.py):
# the profile wizard shows the model's field for a column the automatic mapping was unsure of,
# beside the heuristic's, with its reason; the candidate list of a row that needs review shows
# the model's rank and one-line reason next to the codifier's order.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "language model at the desk" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "language model at the desk" "no test database (run through tests/run.sh)"; finish; exit; fi

stub_log="$T_TMP/stub.log" mode_file="$T_TMP/mode" port_file="$T_TMP/port"
: > "$stub_log"; echo ok > "$mode_file"
python3 "$SRC/tests/tools/llm_stub.py" --port-file "$port_file" --log "$stub_log" --mode-file "$mode_file" &
stub_pid=$!
for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
port=$(cat "$port_file" 2>/dev/null)
[ -n "$port" ] || { not_ok "the stub started"; finish; exit 1; }

export MINCA_USER=analista MINCA_INSURER=demo MINCA_CONFIG="$T_TMP/config.yaml"
unset MINCA_LLM_BASE_URL MINCA_LLM_MODEL
printf 'llm:\n  base_url: http://127.0.0.1:%s/v1\n  model: stub-desk-%s\n  timeout_seconds: 3\n' "$port" "$$" > "$MINCA_CONFIG"
use_fresh_db t_tui_llm || { not_ok "create test database"; finish; exit 1; }
check "catalog imported" "$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv"
"$MINCA" batch "$SRC/samples/inbox" "$SRC/tests/fixtures/llm/abbrev_sheet.eml" "$SRC/tests/fixtures/llm/prose_request.eml" \
  >"$T_TMP/batch.log" 2>&1

# ---- the wizard
cot=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<abrev-001@abreviados-seguros.mx>'")
check_match "the abbreviated sheet became a case" "^COT-" "$cot"
before=$(grep -c column_mapping "$stub_log")
TUI_COLS=160 start wiz
expect "the desk opens" wiz "Inbox" 15
keys wiz 2 / "$cot" Enter
expect "the case is listed" wiz "Cases 1/1"
keys wiz Enter
expect "the case view offers the wizard" wiz "no broker profile"
keys wiz W
expect "the wizard opens" wiz "step 1/3: review what was detected"
expect "the wizard has a column for the model's suggestions" wiz "Conf +Reason +Model +Samples"
expect "the wizard says the model made suggestions" wiz "language model suggestions in column Model"
expect "the unsure column shows the heuristic's field and the model's" wiz "DSC +description +0\.50 +unknown header 'DSC'.* description "
expect "the selected column shows the model's reason" wiz "language model: description, DSC reads as the vehicle description"
check_eq "only the unsure columns were asked about" "1" "$(( $(grep -c column_mapping "$stub_log") - before ))"
asked=$(grep column_mapping "$stub_log" | tail -n1)
check_match "the question names the unsure column" 'column 0 \\"DSC\\"' "$asked"
check_no_match "a column mapped with confidence is not asked about" 'column 1 \\"AMOD\\"' "$asked"
check_no_match "no VIN of the sheet was sent" "3N6AD33A5KK812345|3G1TA5AF0LL123456|3N1CN8AE1ML812377" "$asked"

# ---- the candidate list of a row that needs review
rcot=$(psql_q "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id JOIN matches x ON x.vehicle_row_id = v.id
               WHERE x.decision = 'needs_review' AND x.candidates->0 ? 'model_rank' GROUP BY k.cot ORDER BY k.cot LIMIT 1")
check_match "a case has rows ranked by the model" "^COT-" "$rcot"
start rev
expect "the desk opens again" rev "Inbox" 15
keys rev 2 / "$rcot" Enter
expect "the review case is listed" rev "Cases 1/1"
keys rev Enter
expect "the case opens" rev "Matches 1/"
keys_wait rev n
keys rev c
expect "c lists the candidates" rev "Candidates · inciso"
expect "the list has the model's rank and reason columns" rev "Description +AI +Model's reason"
expect "each candidate shows the model's reason" rev "the model reads the text as [0-9A-Z]+/[0-9]{4}"
expect "the selected one says it is only a suggestion" rev "language model: #[0-9]+, .*the codifier's decision"

# ---- the client fields the model suggested, confirmed at the desk
pcot=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<prosa-001@tdb-seguros.mx>'")
check_match "the prose email became a case" "^COT-" "$pcot"
start sug
expect "the desk opens a third time" sug "Inbox" 15
keys sug 2 / "$pcot" Enter
expect "the prose case is listed" sug "Cases 1/1"
keys sug Enter
expect "the case header counts the suggestions, with the confirm key" sug "6 fields suggested by the model \(C: confirm\)"
keys sug i
expect "the case in full marks each suggested field" sug "Client: +Transportes del Bajío +\(suggested by the model, to confirm\)"
keys sug q
keys sug C
expect "C confirms them" sug "6 field\(s\) suggested by the language model confirmed"
check_eq "the confirmation is saved with the user" "6" \
  "$(psql_q "SELECT count(*) FROM cases k, jsonb_each(k.suggested) s WHERE k.cot = '$pcot' AND s.value->>'confirmed_by' = 'analista'")"
finish
