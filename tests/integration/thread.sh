#!/usr/bin/env bash
# A case is a conversation: a broker's reply joins the case it answers (In-Reply-To, an id of
# References, the COT in the subject or the body), never opens a second case, and the case
# lists its messages in order. Per insurer: a reply fed to another insurer joins nothing there;
# a COT mentioned by another broker joins nothing either.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_thread || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
python3 - "$T_TMP" <<'PY'
import sys, os, email.message, email.policy
out = sys.argv[1]
csv = "No.,MARCA,TIPO,DESCRIPCION,MODELO\n1,NISSAN,NP300,NP300 PICKUP DH,2020\n2,TOYOTA,HILUX,HILUX CHASIS,2021\n"

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
msg("1", "request", broker, "Cotización flotilla", "<req-1@cenzontle-seguros.mx>",
    "Buen día, solicito cotización de flotilla.\n\nRazón social: TRANSPORTES HILO, S.A. DE C.V.\n"
    "RFC: THI010101AB8\nCobertura: amplia\n", att=csv)
# The broker answers with In-Reply-To (and a client name that would open a case on its own).
msg("2", "reply", broker, "RE: Cotización flotilla", "<re-2@cenzontle-seguros.mx>",
    "La vigencia es del 01/11/2025 al 01/11/2026.\n\nRazón social: TRANSPORTES HILO, S.A. DE C.V.\n",
    irt="<req-1@cenzontle-seguros.mx>", refs="<req-1@cenzontle-seguros.mx>", date="Mon, 06 Oct 2025 11:00:00 -0600")
# A client whose In-Reply-To is unknown; References names the reply (the newest id known).
msg("3", "refs", broker, "RE: RE: Cotización flotilla", "<re-3@cenzontle-seguros.mx>",
    "Adjunto la lista corregida.\nRazón social: TRANSPORTES HILO, S.A. DE C.V.\n",
    irt="<lost@elsewhere.mx>", refs="<req-1@cenzontle-seguros.mx> <re-2@cenzontle-seguros.mx>",
    date="Mon, 06 Oct 2025 12:00:00 -0600")
PY
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
check "batch reads the request" "$MINCA" batch "$T_TMP/1"
cot=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<req-1@cenzontle-seguros.mx>'")
check_match "the request opens a case" "^COT-[0-9]{4}-[0-9]{6}$" "$cot"
out=$("$MINCA" batch "$T_TMP/2" 2>&1)
check_match "the batch says the reply joined its case" "1 joined their case" "$out"
check_eq "the reply (In-Reply-To) opens no second case" "1" "$(psql_q "SELECT count(*) FROM cases")"
joined() { psql_q "SELECT coalesce(k.cot, '-') || ' ' || coalesce(m.joined_by, '-') FROM messages m LEFT JOIN cases k ON k.id = m.case_id WHERE m.message_id = '$1'"; }
check_eq "the reply joined the request's case by In-Reply-To" "$cot in_reply_to" "$(joined '<re-2@cenzontle-seguros.mx>')"
check "batch reads the second reply" "$MINCA" batch "$T_TMP/3"
check_eq "an unknown In-Reply-To, then References: the case of the newest id known" "$cot references" "$(joined '<re-3@cenzontle-seguros.mx>')"

# The COT in the subject, in the body (no thread headers: a new email typed by the broker).
mkdir -p "$T_TMP/4" "$T_TMP/5" "$T_TMP/6" "$T_TMP/7"
lc=$(printf '%s' "$cot" | tr 'A-Z' 'a-z')
mk_eml "<subj-4@cenzontle-seguros.mx>" "Complemento $lc" "Razón social: TRANSPORTES HILO, S.A. DE C.V.\r\nForma de pago: anual" \
  | sed -e 's/ventas@corredor-prueba.mx/agente@cenzontle-seguros.mx/' -e 's/09:14:00/13:00:00/' >"$T_TMP/4/subject.eml"
mk_eml "<body-5@cenzontle-seguros.mx>" "Datos faltantes" "Sobre la cotización $cot: RFC THI010101AB8.\r\nRazón social: TRANSPORTES HILO, S.A. DE C.V." \
  | sed -e 's/ventas@corredor-prueba.mx/agente@cenzontle-seguros.mx/' -e 's/09:14:00/14:00:00/' >"$T_TMP/5/body.eml"
check "batch reads the COT mentions" "$MINCA" batch "$T_TMP/4"
check "batch reads the COT in a body" "$MINCA" batch "$T_TMP/5"
check_eq "the COT in the subject (any case) joins" "$cot cot_subject" "$(joined '<subj-4@cenzontle-seguros.mx>')"
check_eq "the COT in the body joins" "$cot cot_body" "$(joined '<body-5@cenzontle-seguros.mx>')"
check_eq "still one case" "1" "$(psql_q "SELECT count(*) FROM cases")"

# Another broker mentioning the COT: a case of its own, with a note; never joined.
psql_q "INSERT INTO brokers (insurer_id, name) SELECT id, 'Golfo' FROM insurers WHERE slug = 'demo';
        INSERT INTO broker_domains (insurer_id, domain, broker_id) SELECT b.insurer_id, 'apgolfo.com.mx', b.id FROM brokers b WHERE b.name = 'Golfo'" >/dev/null
mk_eml "<golfo-6@apgolfo.com.mx>" "Cotización como la $cot" "Razón social: FLETES GOLFO, S.A. DE C.V.\r\nRFC: FGO010101AB8" \
  | sed 's/ventas@corredor-prueba.mx/ventas@apgolfo.com.mx/' >"$T_TMP/6/golfo.eml"
check "batch reads another broker's mention" "$MINCA" batch "$T_TMP/6"
check_eq "another broker's mention of the COT opens its own case" "2" "$(psql_q "SELECT count(*) FROM cases")"
check_eq "and is not joined to the mentioned case" "f" \
  "$(psql_q "SELECT m.case_id = k.id FROM messages m, cases k WHERE m.message_id = '<golfo-6@apgolfo.com.mx>' AND k.cot = '$cot'")"
check_match "the message says why" "a case of another broker" \
  "$(psql_q "SELECT problems::text FROM messages WHERE message_id = '<golfo-6@apgolfo.com.mx>'")"

# Per insurer: the same reply fed to another insurer finds no thread there.
check "the reply fed to another insurer" "$MINCA" batch --insurer otra "$T_TMP/2"
check_eq "it joins nothing of the first insurer" "0" \
  "$(psql_q "SELECT count(*) FROM messages m JOIN insurers i ON i.id = m.insurer_id JOIN cases k ON k.id = m.case_id WHERE i.slug = 'otra' AND k.insurer_id <> m.insurer_id")"
check_eq "it opens a case of its own there" "1" \
  "$(psql_q "SELECT count(*) FROM cases k JOIN insurers i ON i.id = k.insurer_id WHERE i.slug = 'otra'")"

# The same reply again: a duplicate, joined once.
check "the reply again" "$MINCA" batch "$T_TMP/2"
check_eq "the reply is stored once" "1" "$(psql_q "SELECT count(*) FROM messages m JOIN insurers i ON i.id = m.insurer_id WHERE i.slug = 'demo' AND m.message_id = '<re-2@cenzontle-seguros.mx>'")"

# The case lists its messages in order (of their Date).
show=$("$MINCA" case show "$cot" 2>&1)
check_match "case show lists the conversation" "messages: 5" "$show"
order=$(printf '%s\n' "$show" | grep -E '^    [0-9]\. ' | grep -oE '\((opened the case|joined by [a-z_]+)\)' | tr '\n' ' ')
check_eq "in order, each with how it joined" "(opened the case) (joined by in_reply_to) (joined by references) (joined by cot_subject) (joined by cot_body) " "$order"
check_eq "case show --json carries the messages" "5" "$("$MINCA" case show "$cot" --json | json_get 'len(d["messages"])')"
check_eq "the inbox names the case of a reply" "$cot" "$(psql_q "SELECT k.cot FROM messages m JOIN cases k ON k.id = m.case_id WHERE m.message_id = '<re-3@cenzontle-seguros.mx>'")"
check_eq "the ingest audit names how it joined" "in_reply_to" \
  "$(psql_q "SELECT a.details->>'joined_by' FROM audit_log a JOIN messages m ON a.entity_id = m.id::text WHERE a.action = 'ingest' AND m.message_id = '<re-2@cenzontle-seguros.mx>' ORDER BY a.id LIMIT 1")"
finish
