#!/usr/bin/env bash
# Owners and clocks as the insurer's data: with reviewers and assign round_robin, new cases go
# to the reviewers in turn; with business_hours, business_days and holidays, the turnaround
# counts only working hours on the insurer's clock. Settings that do not read are refused by
# `minca insurer set`.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_case_owner || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
set_ok() { check "insurer set $1 $2" "$MINCA" insurer set demo "$1" "$2"; }
set_ok reviewers "ana, luis"
set_ok assign round_robin
set_ok turnaround_hours 4
set_ok business_hours "09:00-18:00"
set_ok holidays "2025-10-07"
set_ok timezone America/Mexico_City
check_fails "business hours that end before they start are refused" "$MINCA" insurer set demo business_hours "18:00-09:00"
check_fails "a day that is no date is refused" "$MINCA" insurer set demo holidays "2025-02-30"
check_fails "a weekday 8 is refused" "$MINCA" insurer set demo business_days "1,8"
check_fails "assign takes round_robin or none" "$MINCA" insurer set demo assign everyone

mkdir -p "$T_TMP/in"
for i in 1 2 3; do
  mk_eml "<pedido-$i@corredor-prueba.mx>" "Cotización flotilla $i" \
    "Solicito cotización.\r\n\r\nRazón social: TRANSPORTES TURNO $i, S.A. DE C.V.\r\nRFC: TPR010101AB8\r\nCobertura: amplia" \
    | sed 's/^Date: .*/Date: Mon, 6 Oct 2025 17:00:00 -0600/' >"$T_TMP/in/$i.eml"
done
check "three requests" "$MINCA" batch --threads 1 "$T_TMP/in"
check_eq "assigned to the reviewers in turn" "ana luis ana" \
  "$(psql_q "SELECT string_agg(c.assignee, ' ' ORDER BY c.id) FROM cases c")"
check_eq "recorded as assigned by turn" "3" "$(psql_q "SELECT count(*) FROM cases WHERE auto_assigned")"
# Monday 17:00 + 4 working hours: 1 on Monday, Tuesday is a holiday, 3 on Wednesday from 09:00.
check_eq "due after 4 working hours, over the holiday" "2025-10-08 12:00" \
  "$(psql_q "SELECT DISTINCT to_char(due_at AT TIME ZONE 'America/Mexico_City', 'YYYY-MM-DD HH24:MI') FROM cases")"
check_match "case show gives the owner and the due time" "owner: +ana.*" "$("$MINCA" case show "$(psql_q "SELECT cot FROM cases ORDER BY id LIMIT 1")" 2>&1 | tr '\n' ' ')"
# Each assignment by turn is audited: the system gave the case to whom, by which rule.
check_eq "an audit entry per case assigned by turn" "system:ana:round_robin system:luis:round_robin system:ana:round_robin" \
  "$(psql_q "SELECT string_agg(a.actor || ':' || (a.details->>'assignee') || ':' || (a.details->>'rule'), ' ' ORDER BY a.entity_id::bigint)
               FROM audit_log a WHERE a.action = 'case_assigned' AND a.entity = 'case'")"
cot2=$(psql_q "SELECT cot FROM cases ORDER BY id OFFSET 1 LIMIT 1")
check_match "minca audit lists it for the case" "system .*case_assigned +case:[0-9]+ .*\"rule\":\"round_robin\".*\"assignee\":\"luis\"" \
  "$("$MINCA" audit list --case "$cot2" 2>&1)"
check_match "case show says the system assigned it by the rule" "owner: +luis +assigned by system on [0-9-]+ [0-9:]+ \(round_robin\)" \
  "$("$MINCA" case show "$cot2" 2>&1)"
# A person's assignment is audited the same way: the case by its id, in the same transaction.
check "a person gives the case to ana" "$MINCA" case assign "$cot2" ana
check_match "minca audit lists the person's assignment for the case" "case_assigned +case:[0-9]+ .*\"assignee\":\"ana\"" \
  "$("$MINCA" audit list --case "$cot2" 2>&1)"
check_match "case show names who assigned it last" "owner: +ana +assigned by [a-z]+ on [0-9-]+ [0-9:]+$" \
  "$("$MINCA" case show "$cot2" 2>&1 | grep "owner:")"
check "the audit chain still verifies" "$MINCA" audit verify
check_eq "a Saturday request waits for Monday (Fri 17:30 + 4h = Mon 12:30)" "2025-10-13 12:30" \
  "$(psql_q "SELECT to_char(minca_due_at(id, '2025-10-10 17:30-06') AT TIME ZONE 'America/Mexico_City', 'YYYY-MM-DD HH24:MI') FROM insurers WHERE slug = 'demo'")"
# Settings written behind the CLI's back that do not read: calendar hours, never a refused case.
psql_q "UPDATE insurers SET settings = settings || '{\"business_hours\": \"soon\"}'::jsonb WHERE slug = 'demo'" >/dev/null
check_eq "unreadable business hours fall back to calendar hours" "2025-10-06 21:00" \
  "$(psql_q "SELECT to_char(minca_due_at(id, '2025-10-06 17:00-06') AT TIME ZONE 'America/Mexico_City', 'YYYY-MM-DD HH24:MI') FROM insurers WHERE slug = 'demo'" 2>/dev/null)"
check "insurer unset assign" "$MINCA" insurer unset demo assign
mk_eml "<pedido-4@corredor-prueba.mx>" "Cotización flotilla 4" >"$T_TMP/4.eml"
check "a fourth request" "$MINCA" batch "$T_TMP/4.eml"
check_eq "without round_robin nobody is assigned" "" "$(psql_q "SELECT coalesce(assignee, '') FROM cases ORDER BY id DESC LIMIT 1")"
finish
