#!/usr/bin/env bash
# minca intake against a real Dovecot (started here in a throwaway directory on a loopback
# port, STARTTLS with a test certificate): N delivered -> N stored, a 10 MB attachment, broken
# MIME, a restart in the middle of a poll, a UIDVALIDITY change, \Seen after ingest, a wrong
# password failing loudly, and the password never shown.
source "$(dirname "$0")/../lib.sh"
source "$SRC/tests/tools/dovecot.bash"
use_fresh_db t_intake_imap || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
DV="$T_TMP/dovecot"
if ! dovecot_start "$DV" 2>"$T_TMP/dovecot.err"; then
  skip "IMAP intake against Dovecot" "Dovecot cannot run here: $(cat "$T_TMP/dovecot.err")"
  finish; exit 0
fi
on_exit 'dovecot_stop "$DV"'
export MINCA_TEST_IMAP_PASSWORD="$DOVECOT_PASS"
cat >"$T_TMP/config.yaml" <<CONF
insurer: demo
sources:
  corredores:
    kind: imap
    insurer: demo
    url: imap://127.0.0.1:$DOVECOT_PORT/INBOX
    user: $DOVECOT_USER
    password_env: MINCA_TEST_IMAP_PASSWORD
    ca_file: $DOVECOT_CA
    after: seen
    poll_seconds: 1
CONF
export MINCA_CONFIG="$T_TMP/config.yaml"
imap() { curl -s --ssl-reqd --cacert "$DOVECOT_CA" -u "$DOVECOT_USER:$DOVECOT_PASS" "$@"; }

N=40
for i in $(seq 1 $N); do mk_eml "<imap-$i@corredor-prueba.mx>" "Cotización $i" >"$T_TMP/m.eml"; dovecot_deliver "$T_TMP/m.eml" "m$i.test"; done
# A 10 MB attachment and a broken multipart.
python3 - "$T_TMP/big.eml" <<'PY'
import base64, os, sys
data = os.urandom(10 * 1024 * 1024)
b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
msg = ("From: Corredor Grande <grande@corredor-prueba.mx>\r\nTo: cotizaciones@aseguradora.mx\r\n"
       "Subject: Flotilla con anexo grande\r\nMessage-ID: <big-attachment@corredor-prueba.mx>\r\n"
       "Date: Mon, 6 Oct 2025 09:14:00 -0600\r\nMIME-Version: 1.0\r\n"
       "Content-Type: multipart/mixed; boundary=\"BIG\"\r\n\r\n--BIG\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
       "Razón social: GRANDES FLOTAS SA DE CV\r\n\r\n--BIG\r\nContent-Type: application/octet-stream\r\n"
       "Content-Disposition: attachment; filename=\"anexo.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
       + b64 + "\r\n--BIG--\r\n")
open(sys.argv[1], "w", newline="").write(msg)
PY
dovecot_deliver "$T_TMP/big.eml" big.test
dovecot_deliver "$SRC/tests/fixtures/mail/truncated_multipart.eml" broken.test
TOTAL=$((N + 2))

out=$("$MINCA" intake test corredores 2>&1)
check_match "intake test reaches the mailbox and counts what waits" "$TOTAL message\(s\) waiting" "$out"
check_eq "intake test stores nothing" "0" "$(psql_q "SELECT count(*) FROM messages")"

check "intake run --once polls the mailbox" "$MINCA" intake run --once
check_eq "N delivered -> N stored" "$TOTAL" "$(psql_q "SELECT count(*) FROM messages")"
check_eq "each recorded as imap from the configured source" "$TOTAL" "$(psql_q "SELECT count(*) FROM messages WHERE source = 'imap' AND source_name = 'corredores' AND source_ref ~ '^[0-9]+:[0-9]+$'")"
check_eq "the 10 MB attachment is stored whole" "10485760" "$(psql_q "SELECT a.size FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = '<big-attachment@corredor-prueba.mx>'")"
check_match "the broken MIME message is stored with its problems" "[1-9]" "$(psql_q "SELECT jsonb_array_length(problems) FROM messages WHERE message_id = '<truncated-fixture@corredor-ejemplo.mx>'")"
validity=$(imap "imap://127.0.0.1:$DOVECOT_PORT/" -X 'STATUS INBOX (UIDVALIDITY)' | sed -E 's/.*UIDVALIDITY ([0-9]+).*/\1/' | tr -d '\r\n')
check_eq "the cursor is UIDVALIDITY:last UID" "$validity:$TOTAL" "$(psql_q "SELECT cursor FROM intake_sources WHERE name = 'corredores'")"
check_match "ingested messages are flagged \\Seen on the server" 'SEARCH( [0-9]+){'"$TOTAL"'}' "$(imap "imap://127.0.0.1:$DOVECOT_PORT/INBOX" -X 'UID SEARCH SEEN')"

out=$("$MINCA" intake run --once 2>&1)
check_match "a second poll finds nothing new" "0 message\(s\) new" "$out"
check_eq "still N messages" "$TOTAL" "$(psql_q "SELECT count(*) FROM messages")"

# Restart in the middle of a poll: kill -9, poll again; every message once.
M=300
for i in $(seq 1 $M); do mk_eml "<imap-r$i@corredor-prueba.mx>" "Reinicio $i" >"$T_TMP/m.eml"; dovecot_deliver "$T_TMP/m.eml" "r$i.test"; done
"$MINCA" intake run --once --no-process >"$T_TMP/killed.out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  n=$(psql_q "SELECT count(*) FROM intake_seen")
  [ "$n" -gt $((TOTAL + 20)) ] && break
  sleep 0.05
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
mid=$(psql_q "SELECT count(*) FROM intake_seen")
if [ "$mid" -lt $((TOTAL + M)) ]; then ok "the poll was killed in the middle ($((mid - TOTAL)) of $M handed in)"; else skip "kill in the middle of a poll" "the poll finished before it could be killed"; fi
check "the next poll resumes from the cursor" "$MINCA" intake run --once
ALL=$((TOTAL + M))
check_eq "restart mid-poll: still every message" "$ALL" "$(psql_q "SELECT count(*) FROM messages")"
check_eq "none twice (Message-ID)" "0" "$(psql_q "SELECT count(*) FROM (SELECT message_id FROM messages GROUP BY message_id HAVING count(*) > 1) d")"
check_eq "none twice (ingest jobs)" "$ALL" "$(psql_q "SELECT count(*) FROM jobs WHERE kind = 'ingest'")"
check_eq "the source counts every message once" "$ALL" "$(psql_q "SELECT messages FROM intake_sources WHERE name = 'corredores'")"

# UIDVALIDITY changes (the server rebuilt its index): read again, store nothing twice.
dovecot_stop "$DV"
rm -f "$DOVECOT_MAILDIR"/dovecot-uidlist "$DOVECOT_MAILDIR"/dovecot.index*
dovecot_restart "$DV"
mk_eml "<imap-after-rebuild@corredor-prueba.mx>" "Después" >"$T_TMP/m.eml"; dovecot_deliver "$T_TMP/m.eml" after.test
check "poll after a UIDVALIDITY change" "$MINCA" intake run --once
check_eq "only the new message is added" "$((ALL + 1))" "$(psql_q "SELECT count(*) FROM messages")"
newv=$(imap "imap://127.0.0.1:$DOVECOT_PORT/" -X 'STATUS INBOX (UIDVALIDITY)' | sed -E 's/.*UIDVALIDITY ([0-9]+).*/\1/' | tr -d '\r\n')
check_match "the cursor follows the new UIDVALIDITY" "^$newv:" "$(psql_q "SELECT cursor FROM intake_sources WHERE name = 'corredores'")"

# A wrong password fails loudly, keeps failing in status, and never shows a secret.
export MINCA_TEST_IMAP_PASSWORD="wrong-$DOVECOT_PASS"
out=$("$MINCA" intake run --once 2>&1); rc=$?
check_eq "a refused login makes intake run exit 1" "1" "$rc"
check_match "and says the login was refused" "refused the login" "$out"
"$MINCA" intake run --once >/dev/null 2>&1
st=$("$MINCA" status 2>&1); rc=$?
check_match "minca status shows the source failing" "corredores .*FAILING since .*2 poll\(s\) in a row" "$st"
check_eq "minca status exits 1 while a source fails" "1" "$rc"
check_match "intake list shows the last error" "FAILING.*refused the login" "$("$MINCA" intake list)"
check_match "the failed source backs off" "^[0-9]" "$(psql_q "SELECT round(extract(epoch FROM next_poll_at - last_poll_at)) FROM intake_sources WHERE name = 'corredores'")"
export MINCA_TEST_IMAP_PASSWORD="$DOVECOT_PASS"
"$MINCA" intake run --once >/dev/null 2>&1
check_match "after the fix the source is ok again" "corredores .* ok, " "$("$MINCA" status 2>&1)"

cfgout=$("$MINCA" config)
check_match "minca config lists the source" "password_env: MINCA_TEST_IMAP_PASSWORD" "$cfgout"
all_text="$cfgout$st$out$(cat "$MINCA_HOME/log/minca.log" 2>/dev/null)$(psql_q "SELECT coalesce(string_agg(coalesce(last_error,'') || coalesce(cursor,''), ' '), '') FROM intake_sources")$(psql_q "SELECT coalesce(string_agg(error, ' '), '') FROM intake_seen")"
check_no_match "the password is in no config output, status, log, error or table" "$DOVECOT_PASS" "$all_text"

# A secret written in the config file is refused; a credential file must be private.
printf '%s\n' "$DOVECOT_PASS" >"$T_TMP/pw"; chmod 644 "$T_TMP/pw"
sed -e 's/password_env: MINCA_TEST_IMAP_PASSWORD/password_file: '"${T_TMP//\//\\/}"'\/pw/' "$T_TMP/config.yaml" >"$T_TMP/file.yaml"
out=$(MINCA_CONFIG="$T_TMP/file.yaml" "$MINCA" intake test corredores 2>&1)
check_match "a credential file readable by others is refused" "readable by others" "$out"
chmod 600 "$T_TMP/pw"
check_match "a private credential file works" "reachable" "$(MINCA_CONFIG="$T_TMP/file.yaml" "$MINCA" intake test corredores 2>&1)"
sed -e 's/password_env: MINCA_TEST_IMAP_PASSWORD/password: '"$DOVECOT_PASS"'/' "$T_TMP/config.yaml" >"$T_TMP/clear.yaml"
out=$(MINCA_CONFIG="$T_TMP/clear.yaml" "$MINCA" -vv config 2>&1)
check_no_match "a password written in the config is neither used nor shown" "$DOVECOT_PASS" "$out"
check_match "and the config says why it is ignored" "never kept in the config file" "$out"

# after: move:FOLDER moves each stored message out of the mailbox (UID MOVE).
imap "imap://127.0.0.1:$DOVECOT_PORT/" -X 'CREATE Procesados' >/dev/null
sed -e 's/^  corredores:/  movidos:/' -e 's/after: seen/after: move:Procesados/' "$T_TMP/config.yaml" >"$T_TMP/move.yaml"
mk_eml "<imap-to-move@corredor-prueba.mx>" "Para mover" >"$T_TMP/m.eml"; dovecot_deliver "$T_TMP/m.eml" move.test
check "a source that moves what it stored" env MINCA_CONFIG="$T_TMP/move.yaml" "$MINCA" intake run --once
check_eq "the one new message is stored, nothing twice" "$((ALL + 2))" "$(psql_q "SELECT count(*) FROM messages")"
check_match "the mailbox is empty afterwards" "MESSAGES 0\\)" "$(imap "imap://127.0.0.1:$DOVECOT_PORT/" -X 'STATUS INBOX (MESSAGES)')"
check_match "everything is in the folder" "MESSAGES $((ALL + 2))\\)" "$(imap "imap://127.0.0.1:$DOVECOT_PORT/" -X 'STATUS Procesados (MESSAGES)')"

finish
