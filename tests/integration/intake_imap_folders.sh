#!/usr/bin/env bash
# IMAP against a real Dovecot: folder names outside ASCII in modified UTF-7 (RFC 3501 5.1.3)
# for `after: move:` and for the mailbox read, a failed move shown in status (not only in the
# log), and a message over max_message_mb skipped, recorded, and left where it is.
source "$(dirname "$0")/../lib.sh"
source "$SRC/tests/tools/dovecot.bash"
use_fresh_db t_intake_imap_folders || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
DV="$T_TMP/dovecot"
if ! dovecot_start "$DV" 2>"$T_TMP/dovecot.err"; then
  skip "IMAP folders against Dovecot" "Dovecot cannot run here: $(cat "$T_TMP/dovecot.err")"
  finish; exit 0
fi
trap 'dovecot_stop "$DV"' EXIT
export MINCA_TEST_IMAP_PASSWORD="$DOVECOT_PASS"
imap() { curl -s --ssl-reqd --cacert "$DOVECOT_CA" -u "$DOVECOT_USER:$DOVECOT_PASS" "$@"; }
U="imap://127.0.0.1:$DOVECOT_PORT"
conf() { # conf NAME URL AFTER
  cat <<CONF
insurer: demo
sources:
  $1:
    kind: imap
    url: $2
    user: $DOVECOT_USER
    password_env: MINCA_TEST_IMAP_PASSWORD
    ca_file: $DOVECOT_CA
    after: $3
    max_message_mb: 1
    poll_seconds: 3600
CONF
}
# "Año 2026" in modified UTF-7 is "A&APE-o 2026" (ñ is U+00F1).
imap "$U/" -X 'CREATE "A&APE-o 2026"' >/dev/null
check_match "the server knows the folder under its modified UTF-7 name" 'A&APE-o 2026' "$(imap "$U/" -X 'LIST "" "*"')"

for i in 1 2 3; do mk_eml "<fold-$i@corredor-prueba.mx>" "Carpeta $i" >"$T_TMP/m.eml"; dovecot_deliver "$T_TMP/m.eml" "f$i.test"; done
python3 - "$T_TMP/big.eml" <<'PY'
import base64, os, sys
b64 = base64.encodebytes(os.urandom(2 * 1024 * 1024)).decode().replace("\n", "\r\n")
open(sys.argv[1], "w", newline="").write(
    "From: Corredor <grande@corredor-prueba.mx>\r\nTo: cotiza@aseguradora.mx\r\nSubject: Muy grande\r\n"
    "Message-ID: <too-big@corredor-prueba.mx>\r\nDate: Mon, 6 Oct 2025 09:14:00 -0600\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nanexo\r\n--B\r\n"
    "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--B--\r\n")
PY
dovecot_deliver "$T_TMP/big.eml" big.test

conf corredores "$U/INBOX" "move:Año 2026" >"$T_TMP/move.yaml"
out=$(MINCA_CONFIG="$T_TMP/move.yaml" "$MINCA" intake run --once 2>&1); rc=$?
check_eq "a poll moving into \"Año 2026\" succeeds" "0" "$rc"
check_eq "the three messages are stored" "3" "$(psql_q "SELECT count(*) FROM messages")"
check_match "and moved into \"Año 2026\"" "MESSAGES 3\\)" "$(imap "$U/" -X 'STATUS "A&APE-o 2026" (MESSAGES)')"
check_match "the message over max_message_mb is recorded as skipped" "above the limit" "$(psql_q "SELECT coalesce(string_agg(error, ' '), '') FROM intake_seen")"
check_match "and left in the mailbox (never moved, it was not stored)" "MESSAGES 1\\)" "$(imap "$U/" -X 'STATUS INBOX (MESSAGES)')"

# The mailbox itself may have a non-ASCII name.
conf archivo "$U/A%C3%B1o%202026" "none" >"$T_TMP/read.yaml"
check_match "a source reading \"Año 2026\" finds its messages" "3 message\\(s\\) waiting" "$(MINCA_CONFIG="$T_TMP/read.yaml" "$MINCA" intake test archivo 2>&1)"

# A move that fails is an error in status, not only a log line.
mk_eml "<fold-4@corredor-prueba.mx>" "Carpeta 4" >"$T_TMP/m.eml"; dovecot_deliver "$T_TMP/m.eml" f4.test
conf corredores "$U/INBOX" "move:No Existe Ñ" >"$T_TMP/bad.yaml"
out=$(MINCA_CONFIG="$T_TMP/bad.yaml" "$MINCA" intake run --once 2>&1); rc=$?
check_eq "the message is stored all the same" "4" "$(psql_q "SELECT count(*) FROM messages")"
check_eq "a failed move makes intake run exit 1" "1" "$rc"
check_match "status shows the source failing with the move" "corredores .*FAILING" "$(MINCA_CONFIG="$T_TMP/bad.yaml" "$MINCA" status 2>&1)"
check_match "the error names the move" "stored, but .*move:No Existe" "$(psql_q "SELECT last_error FROM intake_sources WHERE name = 'corredores'")"
dovecot_stop "$DV"
finish
