#!/usr/bin/env bash
# minca mail add (typed in at the desk) and the source recorded for batch input.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_intake_manual || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
printf 'Buen día, solicito cotización.\n\nRazón social: TRANSPORTES DEL ESCRITORIO, S.A. DE C.V.\nRFC: TPR010101AB8\nCobertura: amplia\n' >"$T_TMP/body.txt"
printf 'MARCA,MODELO,AÑO,DESCRIPCION\nNISSAN,NP300,2020,NP300 PICKUP\n' >"$T_TMP/flotilla señor.csv"
out=$("$MINCA" mail add --from "Ana Pérez <ana@corredor-prueba.mx>" --subject "Cotización tecleada en el escritorio" \
      --body-file "$T_TMP/body.txt" --attach "$T_TMP/flotilla señor.csv" 2>&1); rc=$?
check_eq "mail add exits 0" "0" "$rc"
check_match "mail add prints the case it opened" "COT-[0-9]{4}-[0-9]{6}" "$out"
check_eq "the message is stored as manual from the desk" "manual|desk" "$(psql_q "SELECT source || '|' || source_name FROM messages")"
check_eq "the subject survives (UTF-8)" "Cotización tecleada en el escritorio" "$(psql_q "SELECT subject FROM messages")"
check_eq "the sender is read from the built message" "ana@corredor-prueba.mx" "$(psql_q "SELECT from_addr FROM messages")"
check_eq "the attachment keeps its name and type" "flotilla señor.csv|text/csv" "$(psql_q "SELECT filename || '|' || content_type FROM attachments")"
check_eq "the body's client opened the case" "TRANSPORTES DEL ESCRITORIO, S.A. DE C.V." "$(psql_q "SELECT client_name FROM cases")"
check_eq "the desk source counts it" "1" "$(psql_q "SELECT messages FROM intake_sources WHERE name = 'desk'")"
check_fails "mail add without --from is a usage error" "$MINCA" mail add --subject x
check_fails "mail add with a missing attachment fails" "$MINCA" mail add --from a@b.mx --subject x --attach /nonexistent/file.xlsx
check_eq "and stores nothing" "1" "$(psql_q "SELECT count(*) FROM messages")"
out=$(echo "cuerpo por stdin" | "$MINCA" mail add --from a@b.mx --subject "Sin caso" --body-file - --no-wait 2>&1)
check_match "mail add --no-wait only queues" "queued" "$out"

mkdir -p "$T_TMP/md/cur" "$T_TMP/md/new"
mk_eml "<maildir-1@corredor-prueba.mx>" "Desde Maildir" >"$T_TMP/md/new/1.host"
check "batch reads a Maildir" "$MINCA" batch "$T_TMP/md"
check_eq "a Maildir message is recorded as maildir" "maildir" "$(psql_q "SELECT source FROM messages WHERE message_id = '<maildir-1@corredor-prueba.mx>'")"
finish
