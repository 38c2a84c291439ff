#!/usr/bin/env bash
# A reply read before its original (the files of one batch in another order than they were
# written) still ends in one case: a reply that opened no case joins the original's case when
# the original comes in and fills what the case lacked; a reply that opened a case of its own
# takes the original in (joined_by answered_by), and the reply's list stays the case's list.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_thread_order || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
python3 - "$T_TMP" <<'PY'
import sys, os, email.message, email.policy
out = sys.argv[1]
csv = "No.,MARCA,TIPO,DESCRIPCION,MODELO\n1,NISSAN,NP300,NP300 PICKUP DH,2020\n2,TOYOTA,HILUX,HILUX CHASIS,2021\n"
csv3 = csv + "3,NISSAN,VERSA,SENSE 4P L4 1.6L STD,2020\n"

def msg(d, name, frm, subject, mid, text, irt=None, refs=None, att=None, date="Mon, 06 Oct 2025 10:00:00 -0600"):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"], m["To"], m["Subject"], m["Message-ID"], m["Date"] = frm, "cotiza@aseguradora.mx", subject, mid, date
    if irt: m["In-Reply-To"] = irt
    if refs: m["References"] = refs
    m.set_content(text)
    if att: m.add_attachment(att.encode(), maintype="text", subtype="csv", filename="unidades.csv")
    os.makedirs(f"{out}/{d}", exist_ok=True)
    open(f"{out}/{d}/{name}.eml", "wb").write(m.as_bytes())

broker = "Agente Cenzontle <agente@cenzontle-seguros.mx>"
# Batch A: the answer (only the vigencia, opens no case by itself) sorts before its original.
msg("a", "1-respuesta", broker, "RE: Cotización flotilla", "<re-a@cenzontle-seguros.mx>",
    "La vigencia es del 01/11/2025 al 01/11/2026.\n", irt="<req-a@cenzontle-seguros.mx>",
    refs="<req-a@cenzontle-seguros.mx>", date="Mon, 06 Oct 2025 11:00:00 -0600")
msg("a", "2-pedido", broker, "Cotización flotilla", "<req-a@cenzontle-seguros.mx>",
    "Solicito cotización de flotilla.\n\nRazón social: TRANSPORTES ORDEN, S.A. DE C.V.\nRFC: TOR010101AB8\n"
    "Cobertura: amplia\n", att=csv)
# Batch B: the answer carries a corrected list and the client (a case on its own) and comes first.
msg("b", "1-respuesta", broker, "RE: Cotización flotilla B", "<re-b@cenzontle-seguros.mx>",
    "Lista corregida.\n\nRazón social: TRANSPORTES DESORDEN, S.A. DE C.V.\n", irt="<req-b@cenzontle-seguros.mx>",
    refs="<req-b@cenzontle-seguros.mx>", att=csv3, date="Mon, 06 Oct 2025 11:00:00 -0600")
msg("b", "2-pedido", broker, "Cotización flotilla B", "<req-b@cenzontle-seguros.mx>",
    "Solicito cotización de flotilla.\n\nRazón social: TRANSPORTES DESORDEN, S.A. DE C.V.\nRFC: TPR010101AB8\n",
    att=csv)
PY
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
case_of() { psql_q "SELECT coalesce(k.cot, '-') FROM messages m LEFT JOIN cases k ON k.id = m.case_id WHERE m.message_id = '$1'"; }

check "batch A (answer first)" "$MINCA" batch --threads 1 "$T_TMP/a"
check_eq "one case for the conversation" "1" "$(psql_q "SELECT count(*) FROM cases")"
check_match "the original opened it" "^[A-Z]+-[0-9]{4}-[0-9]+$" "$(case_of '<req-a@cenzontle-seguros.mx>')"
check_eq "the answer read before it joined it" "$(case_of '<req-a@cenzontle-seguros.mx>')" "$(case_of '<re-a@cenzontle-seguros.mx>')"
check_eq "through its In-Reply-To" "in_reply_to processed" "$(psql_q "SELECT joined_by || ' ' || status FROM messages WHERE message_id = '<re-a@cenzontle-seguros.mx>'")"
check_eq "and filled the vigencia the case lacked" "2025-11-01" "$(psql_q "SELECT validity_start FROM cases")"
check_match "case show lists both messages" "RE: Cotización flotilla +\(joined by in_reply_to\)" "$("$MINCA" case show "$(case_of '<req-a@cenzontle-seguros.mx>')" 2>&1)"

check "batch B (an answer that opens a case, first)" "$MINCA" batch --threads 1 "$T_TMP/b"
check_eq "still one case for that conversation" "2" "$(psql_q "SELECT count(*) FROM cases")"
cotb=$(case_of '<re-b@cenzontle-seguros.mx>')
check_eq "the original joined the answer's case" "$cotb answered_by" \
  "$(psql_q "SELECT k.cot || ' ' || m.joined_by FROM messages m JOIN cases k ON k.id = m.case_id WHERE m.message_id = '<req-b@cenzontle-seguros.mx>'")"
check_eq "the answer's (newer) list stays the case's list" "3 1" \
  "$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cotb'") $(psql_q "SELECT revision FROM cases WHERE cot = '$cotb'")"
check_eq "the original filled the RFC the answer lacked" "TPR010101AB8" "$(psql_q "SELECT rfc FROM cases WHERE cot = '$cotb'")"
finish
