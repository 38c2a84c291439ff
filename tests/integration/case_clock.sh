#!/usr/bin/env bash
# Owners and clocks: a case is due at its request's received time plus the insurer's
# turnaround (settings.turnaround_hours); past due and neither exported nor sent, it shows LATE
# in case list and case show and counts in /metrics; minca case assign gives it an owner.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_case_clock || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
psql_q "UPDATE insurers SET settings = settings || '{\"turnaround_hours\": 2}'::jsonb WHERE slug = 'demo'" >/dev/null
mkdir -p "$T_TMP/in"
# One request of last year (long past due), one dated an hour from now (due in three hours).
python3 - "$T_TMP/in/1.eml" <<'PY'
import sys, email.message, email.policy
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"], m["Subject"] = "Agente Cenzontle <agente@cenzontle-seguros.mx>", "cotiza@aseguradora.mx", "Cotización vieja"
m["Message-ID"], m["Date"] = "<viejo@corredor-prueba.mx>", "Mon, 06 Oct 2025 09:14:00 -0600"
m.set_content("Solicito cotización de flotilla.\n\nRazón social: TRANSPORTES TARDE, S.A. DE C.V.\nRFC: TTA010101AB8\n")
m.add_attachment(b"No.,MARCA,TIPO,DESCRIPCION,MODELO\n1,NISSAN,NP300,NP300 PICKUP DH,2020\n", maintype="text", subtype="csv", filename="unidades.csv")
open(sys.argv[1], "wb").write(m.as_bytes())
PY
soon=$(date -R -d '+1 hour')
mk_eml "<nuevo@corredor-prueba.mx>" "Cotización nueva" | sed "s/^Date: .*/Date: $soon\r/" >"$T_TMP/in/2.eml"
check "batch" "$MINCA" batch "$T_TMP/in"
old=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<viejo@corredor-prueba.mx>'")
new=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<nuevo@corredor-prueba.mx>'")
check_eq "due: received time plus the turnaround" "2 hours" \
  "$(psql_q "SELECT (k.due_at - m.sent_at)::text FROM cases k JOIN messages m ON m.id = k.message_id WHERE k.cot = '$old'" | sed 's/02:00:00/2 hours/')"
list=$("$MINCA" case list)
check_match "case list marks the late case" "$old .*LATE" "$list"
check_no_match "and not the one still in time" "$new .*LATE" "$list"
check_match "case show gives the due time and LATE" "due: +2025-10-06 .*LATE" "$("$MINCA" case show "$old")"
m=$("$MINCA" metrics show 2>&1)
check_match "/metrics counts the cases past due" 'minca_cases_past_due\{insurer="demo"\} 1' "$m"
check_match "/metrics shows the outbox by state" 'minca_outbox_messages\{state="failing"\} 0' "$m"
check "assign a case" "$MINCA" case assign "$old" ana
check_match "case show names the owner" "owner: +ana" "$("$MINCA" case show "$old")"
check_match "case list too" "$old .*@ana" "$("$MINCA" case list)"
check_eq "the assignment is audited" "ana" "$(psql_q "SELECT details->>'assignee' FROM audit_log WHERE action = 'case_assigned'")"
"$MINCA" export "$old" --force --out "$T_TMP/q" >/dev/null 2>&1
check_match "an exported case is no longer late" 'minca_cases_past_due\{insurer="demo"\} 0' "$("$MINCA" metrics show 2>&1)"
finish
