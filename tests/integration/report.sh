#!/usr/bin/env bash
# minca report: a batch with known reviews (an auto-accepted row changed to another key, one
# confirmed, a doubtful row accepted, one marked no match); every figure of --json checked
# against the database; --by splits add up to the totals; --csv and --since.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_report || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo MINCA_USER=revisora
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch "$SRC/samples/inbox" >/dev/null 2>&1
auto=$(psql_q "SELECT count(*) FROM matches WHERE decision = 'auto_accept'")
review=$(psql_q "SELECT count(*) FROM matches WHERE decision = 'needs_review'")
nomatch=$(psql_q "SELECT count(*) FROM matches WHERE decision = 'no_match'")
[ "$auto" -gt 2 ] && [ "$review" -ge 2 ] || { not_ok "the demo inbox has auto-accepted and doubtful rows"; finish; exit 1; }

# row_of DECISION: "COT INCISO" of the first row with that decision (with a second candidate)
row_of() { psql_q "SELECT k.cot || ' ' || v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id
                   WHERE x.decision = '$1' AND jsonb_array_length(x.candidates) > 1 ORDER BY k.cot, v.inciso LIMIT 1"; }
read -r cot1 i1 <<<"$(row_of auto_accept)"
second=$(psql_q "SELECT x.candidates->1->>'cvegs' || ' ' || (x.candidates->1->>'year') FROM vehicle_rows v JOIN cases k ON k.id = v.case_id
                 JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot1' AND v.inciso = $i1")
check "an auto-accepted row is changed to another key" "$MINCA" review "$cot1" pick "$i1" $second
read -r cot2 i2 <<<"$(row_of auto_accept)"
check "another auto-accepted row is confirmed" "$MINCA" review "$cot2" accept "$i2"
read -r cot3 i3 <<<"$(row_of needs_review)"
check "a doubtful row is accepted" "$MINCA" review "$cot3" accept "$i3"
read -r cot4 i4 <<<"$(row_of needs_review)"
check "a doubtful row is marked no match" "$MINCA" review "$cot4" nomatch "$i4"

out=$("$MINCA" report --json)
check "report --json is JSON" sh -c "printf '%s' '$out' | python3 -m json.tool >/dev/null"
t() { printf '%s' "$out" | json_get "d['totals']['$1']"; }
check_eq "cases opened" "$(psql_q "SELECT count(*) FROM cases")" "$(t cases_opened)"
check_eq "cases ready" "$(psql_q "SELECT count(*) FROM cases WHERE status IN ('ready', 'exported')")" "$(t cases_ready)"
check_eq "cases exported" "$(psql_q "SELECT count(DISTINCT case_id) FROM exports")" "$(t cases_exported)"
check_eq "vehicles" "$(psql_q "SELECT count(*) FROM vehicle_rows")" "$(t vehicles)"
check_eq "auto-accepted rows are the codifier's, before the reviews" "$auto" "$(t auto_accepted)"
check_eq "rows sent to review" "$review" "$(t sent_to_review)"
check_eq "no-match rows" "$nomatch" "$(t no_match)"
check_eq "auto-accept rate" "$(psql_q "SELECT round($auto::numeric / count(*), 4)::float8 FROM vehicle_rows")" "$(t auto_accept_rate)"
check_eq "review rate" "$(psql_q "SELECT round($review::numeric / count(*), 4)::float8 FROM vehicle_rows")" "$(t review_rate)"
check_eq "one auto-accepted row was changed by a reviewer (the confirmed one is not)" "1" "$(t auto_accepted_changed)"
check_eq "its share of the auto-accepted rows" "$(psql_q "SELECT round(1::numeric / $auto, 4)::float8")" "$(t auto_accepted_changed_rate)"
check_eq "median time from email to ready" \
  "$(psql_q "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM k.ready_at - m.received_at))::numeric, 1)::float8
             FROM cases k JOIN messages m ON m.id = k.message_id WHERE k.ready_at IS NOT NULL")" "$(t median_seconds_to_ready)"
check_eq "one reviewer" "revisora 4 4" "$(printf '%s' "$out" | json_get "' '.join(str(r[k]) for r in d['reviewers'] for k in ('user', 'decisions', 'rows_reviewed'))")"
hours=$(psql_q "SELECT count(DISTINCT date_trunc('hour', at)) FROM audit_log WHERE action IN ('review.accept', 'review.pick', 'review.no_match')")
check_eq "rows reviewed per person per hour" "$(psql_q "SELECT round(4::numeric / $hours, 1)")" "$(printf '%s' "$out" | json_get "d['rows_reviewed_per_person_hour']")"
check_eq "brokers needing the wizard" "$(psql_q "SELECT count(*) FROM cases WHERE needs_profile")" \
  "$(printf '%s' "$out" | json_get "sum(b['needed_wizard'] for b in d['wizard_brokers'])")"

by=$("$MINCA" report --by broker --json)
check_eq "--by broker: the groups add up to the totals" "$(t cases_opened) $(t vehicles)" \
  "$(printf '%s' "$by" | json_get "'%d %d' % (sum(g['cases_opened'] for g in d['groups']), sum(g['vehicles'] for g in d['groups']))")"
check_eq "--by broker: one group per broker" "$(psql_q "SELECT count(DISTINCT coalesce(broker_id, 0)) FROM cases")" \
  "$(printf '%s' "$by" | json_get "len(d['groups'])")"
check_eq "--by day: today holds every case" "$(t cases_opened)" "$("$MINCA" report --by day --json | json_get "sum(g['cases_opened'] for g in d['groups'])")"
check_eq "--by user lists the reviewers" "revisora" "$("$MINCA" report --by user --json | json_get "d['groups'][0]['user']")"
csv=$("$MINCA" report --by week --csv)
check_match "--csv has a header" '^group,cases_opened,cases_ready' "$csv"
check_eq "--csv has one line per week" "2" "$(printf '%s\n' "$csv" | wc -l)"
check_eq "--since a future date counts nothing" "0" "$("$MINCA" report --since 2999-01-01 --json | json_get "d['totals']['cases_opened']")"
check_fails "--since refuses a non-date" "$MINCA" report --since yesterdayish
check_fails "--by refuses an unknown split" "$MINCA" report --by insurer
text=$("$MINCA" report)
check_match "the text report names the codifier's precision" "auto-accepted rows a reviewer changed" "$text"
finish
