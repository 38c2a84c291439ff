#!/usr/bin/env bash
# IMAP UTF8=ACCEPT (RFC 6855) against a small IMAP server started here (tests/tools/
# imap_utf8_server.py on 127.0.0.1, plain since loopback) that enforces the RFC's rules: where
# the server offers UTF8=ACCEPT, minca enables it and sends folder names as UTF-8 quoted strings
# (`after: move:Procesadas/Año 2026`), reads an RFC 6532 message (raw UTF-8 Subject and From)
# with its spreadsheet; where the server does not offer it, the names go in modified UTF-7.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_intake_imap_utf8 || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
export IMAP_TEST_PASS="imap-$RANDOM$RANDOM" MINCA_TEST_IMAP_PASSWORD
MINCA_TEST_IMAP_PASSWORD=$IMAP_TEST_PASS
FOLDER="Procesadas/Año 2026"

# An RFC 6532 message: UTF-8 in the headers as it is, no encoded words; an xlsx of 5 vehicles.
python3 "$SRC/tests/tools/gen_fleet_xlsx.py" 5 "$T_TMP/unidades.xlsx" >/dev/null
mk_utf8() { # mk_utf8 N OUT
  python3 - "$1" "$T_TMP/unidades.xlsx" "$2" <<'PY'
import base64, sys
n, xlsx, out = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3]
b64 = base64.encodebytes(xlsx).decode().replace("\n", "\r\n")
msg = (f"From: José Núñez Peña <ventas@corredor-utf8.mx>\r\nTo: cotiza@aseguradora.mx\r\n"
       f"Subject: Cotización flotilla {n} — Ñandú Logística, año 2026\r\n"
       f"Message-ID: <utf8-{n}@corredor-utf8.mx>\r\nDate: Mon, 6 Oct 2025 09:14:00 -0600\r\nMIME-Version: 1.0\r\n"
       "Content-Type: multipart/mixed; boundary=\"U8\"\r\n\r\n--U8\r\n"
       "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
       "Buen día, les envío la flotilla.\r\nRazón social: ÑANDÚ LOGÍSTICA SA DE CV\r\n\r\n--U8\r\n"
       "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
       "Content-Disposition: attachment; filename=\"Unidades año 2026.xlsx\"\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--U8--\r\n")
open(out, "wb").write(msg.encode("utf-8"))
PY
}
start_server() { # start_server DIR [OPTION...] MESSAGE: sets PORT
  mkdir -p "$1"
  local dir=$1; shift
  python3 "$SRC/tests/tools/imap_utf8_server.py" "$dir" --folder "$FOLDER" --message "${@: -1}" "${@:1:$#-1}" 2>"$dir/stderr" &
  t_track $!
  for _ in $(seq 1 100); do [ -f "$dir/port" ] && break; sleep 0.05; done
  PORT=$(cat "$dir/port" 2>/dev/null)
}
conf() { # conf NAME PORT MAILBOX(url-encoded) AFTER
  cat <<CONF
insurer: demo
sources:
  $1:
    kind: imap
    url: imap://127.0.0.1:$2/$3
    user: cotiza
    password_env: MINCA_TEST_IMAP_PASSWORD
    tls: none
    after: $4
    poll_seconds: 3600
CONF
}
box() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d.get(sys.argv[2], [])))' "$1/state.json" "$2"; }
# raw DIR PORT: a few raw commands, one answer line per command ("tag OK|NO|BAD ...", "* ENABLED ...").
raw() {
  python3 - "$2" <<'PY'
import socket, sys, os
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
f.readline()
def cmd(tag, line):
    s.sendall(f"{tag} {line}\r\n".encode("utf-8"))
    while True:
        r = f.readline().decode("utf-8", "replace").rstrip("\r\n")
        if r.startswith("* ENABLED"):
            print(r)
        if r.startswith(tag + " "):
            print(r)
            return
cmd("a1", "LOGIN cotiza " + os.environ["IMAP_TEST_PASS"])
cmd("a2", 'STATUS "Procesadas/Año 2026" (MESSAGES)')
cmd("a3", "ENABLE UTF8=ACCEPT")
cmd("a4", 'STATUS "Procesadas/A&APE-o 2026" (MESSAGES)')
cmd("a5", 'STATUS "Procesadas/Año 2026" (MESSAGES)')
cmd("a6", "LOGOUT")
PY
}

# 1. A server offering UTF8=ACCEPT.
S1="$T_TMP/utf8"
mk_utf8 1 "$T_TMP/m1.eml"
start_server "$S1" "$T_TMP/m1.eml"
if [ -z "$PORT" ]; then not_ok "the test IMAP server starts: $(cat "$S1/stderr")"; finish; exit 1; fi
r=$(raw "$S1" "$PORT")
check_match "the server refuses a UTF-8 name before ENABLE with BAD" "^a2 BAD" "$r"
check_match "it enables UTF8=ACCEPT" "^\* ENABLED UTF8=ACCEPT" "$r"
check_match "after ENABLE a modified UTF-7 name is taken literally (no such folder)" "^a4 NO" "$r"
check_match "and the UTF-8 name is the folder" "^a5 OK" "$r"
: >"$S1/commands.log"

conf corredores "$PORT" INBOX "move:$FOLDER" >"$T_TMP/c1.yaml"
out=$(MINCA_CONFIG="$T_TMP/c1.yaml" "$MINCA" intake run --once 2>&1); rc=$?
check_eq "a poll moving into \"$FOLDER\" succeeds" "0" "$rc"
[ "$rc" = 0 ] || echo "# $out" >&2
log=$(cat "$S1/commands.log")
check_match "minca enables UTF8=ACCEPT after login" "^[A-Za-z0-9]+ ENABLE UTF8=ACCEPT" "$log"
check_match "and moves with the folder as a UTF-8 quoted string" "UID MOVE 1 \"Procesadas/Año 2026\"" "$log"
check_no_match "never in modified UTF-7 once enabled" "A&APE-o" "$log"
check_match "status shows the source ok" "corredores .* ok, " "$(MINCA_CONFIG="$T_TMP/c1.yaml" "$MINCA" status 2>&1)"
check_eq "the message is stored with its UTF-8 subject" "Cotización flotilla 1 — Ñandú Logística, año 2026" \
  "$(psql_q "SELECT subject FROM messages WHERE message_id = '<utf8-1@corredor-utf8.mx>'")"
check_eq "and its UTF-8 sender name" "José Núñez Peña|ventas@corredor-utf8.mx" \
  "$(psql_q "SELECT from_name || '|' || from_addr FROM messages WHERE message_id = '<utf8-1@corredor-utf8.mx>'")"
check_eq "the spreadsheet keeps its UTF-8 name" "Unidades año 2026.xlsx" \
  "$(psql_q "SELECT a.filename FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = '<utf8-1@corredor-utf8.mx>' AND a.filename LIKE '%.xlsx'")"
check_eq "its vehicles are extracted" "5" \
  "$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<utf8-1@corredor-utf8.mx>'")"
check_eq "the message is in \"$FOLDER\" on the server" "1" "$(box "$S1" "$FOLDER")"
check_eq "and no longer in INBOX" "0" "$(box "$S1" INBOX)"
check_match "a source reading \"$FOLDER\" itself finds the message" "1 message\\(s\\) waiting" \
  "$(conf archivo "$PORT" "Procesadas%2FA%C3%B1o%202026" none >"$T_TMP/c1r.yaml"; MINCA_CONFIG="$T_TMP/c1r.yaml" "$MINCA" intake test archivo 2>&1)"
check_match "selected by its UTF-8 name" "SELECT \"Procesadas/Año 2026\"" "$(cat "$S1/commands.log")"

# 2. A server without UTF8=ACCEPT (as Debian's Dovecot 2.3): modified UTF-7.
S2="$T_TMP/plain"
mk_utf8 2 "$T_TMP/m2.eml"
start_server "$S2" --no-utf8 "$T_TMP/m2.eml"
conf clasico "$PORT" INBOX "move:$FOLDER" >"$T_TMP/c2.yaml"
out=$(MINCA_CONFIG="$T_TMP/c2.yaml" "$MINCA" intake run --once 2>&1); rc=$?
check_eq "without UTF8=ACCEPT the poll succeeds too" "0" "$rc"
[ "$rc" = 0 ] || echo "# $out" >&2
log=$(cat "$S2/commands.log")
check_no_match "minca does not ask to enable what is not offered" "ENABLE" "$log"
check_match "the folder goes in modified UTF-7" "UID MOVE 1 \"Procesadas/A&APE-o 2026\"" "$log"
check_eq "the second message is stored with its subject" "Cotización flotilla 2 — Ñandú Logística, año 2026" \
  "$(psql_q "SELECT subject FROM messages WHERE message_id = '<utf8-2@corredor-utf8.mx>'")"
check_eq "and moved into \"$FOLDER\"" "1|0" "$(box "$S2" "$FOLDER")|$(box "$S2" INBOX)"

# 3. A move to a folder the server does not have fails, and the error names the folders the
# server has, read from LIST in UTF-8 (enabled) or decoded from modified UTF-7 (not offered).
n=3
for mode in "" --no-utf8; do
  S="$T_TMP/missing$n"
  mk_utf8 $n "$T_TMP/m$n.eml"
  start_server "$S" $mode "$T_TMP/m$n.eml"
  conf "falta$n" "$PORT" INBOX "move:Procesadas/Año 2025" >"$T_TMP/c$n.yaml"
  out=$(MINCA_CONFIG="$T_TMP/c$n.yaml" "$MINCA" intake run --once 2>&1); rc=$?
  what=$([ -z "$mode" ] && echo "UTF-8 LIST" || echo "modified UTF-7 LIST")
  check_eq "a move to a missing folder fails the poll ($what)" "1" "$rc"
  check_match "the error names the folders the server has ($what)" \
    "move:Procesadas/Año 2025 of UID 1: .*TRYCREATE.*the server's folders: INBOX, Procesadas, Procesadas/Año 2026" \
    "$(psql_q "SELECT last_error FROM intake_sources WHERE name = 'falta$n'")"
  check_eq "the message stays in INBOX ($what)" "1" "$(box "$S" INBOX)"
  n=$((n + 1))
done

# 4. The server drops the connection at the move (a restart): minca connects again, enables
# UTF8=ACCEPT again, selects the mailbox again and moves.
S="$T_TMP/drop"
mk_utf8 5 "$T_TMP/m5.eml"
start_server "$S" --drop-once "UID MOVE" "$T_TMP/m5.eml"
conf cortado "$PORT" INBOX "move:$FOLDER" >"$T_TMP/c5.yaml"
out=$(MINCA_CONFIG="$T_TMP/c5.yaml" "$MINCA" intake run --once 2>&1); rc=$?
check_eq "a connection lost at the move: the poll still succeeds" "0" "$rc"
[ "$rc" = 0 ] || echo "# $out" >&2
log=$(cat "$S/commands.log")
check_eq "it logged in twice and enabled UTF8=ACCEPT twice" "2|2" \
  "$(grep -c ' LOGIN ' <<<"$log")|$(grep -c 'ENABLE UTF8=ACCEPT' <<<"$log")"
check_eq "the move was sent again on the new connection" "2" "$(grep -c 'UID MOVE 1 "Procesadas/Año 2026"' <<<"$log")"
check_eq "the message is moved" "1|0" "$(box "$S" "$FOLDER")|$(box "$S" INBOX)"
finish
