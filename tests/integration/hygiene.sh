#!/usr/bin/env bash
# Terminal and log hygiene: a mail whose subject, client name, body, cells and file name carry
# OSC 52 (clipboard write), OSC 0 (window title), ESC[2J (clear screen) and OSC 8 (hyperlink)
# is shown by `case show`, `mail parse` and `case list` with every escape made visible: no ESC
# byte reaches stdout or stderr. A newline in a webhook subscriptionId forges no log line, and
# a flood of wrong-clientState notifications is counted in the log, not written out.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_hygiene || { not_ok "create test database"; finish; exit 1; }
unset MINCA_USER
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
IN="$T_TMP/in"; mkdir -p "$IN"
/usr/bin/python3 - "$IN" <<'PY'
import base64, os, sys
E = "\x1b"
osc52 = E + "]52;c;ZWNobyBwd25lZA==" + "\x07"
osc0 = E + "]0;pwned title" + "\x07"
cls = E + "[2J"
osc8 = E + "]8;;http://evil.example/" + E + "\\" + "click" + E + "]8;;" + E + "\\"
evil = osc52 + osc0 + cls + osc8
b = "hb"
subject = "Cotización " + evil
client = ("Razón social: TRANSPORTES " + osc0 + cls + " SA DE CV\r\nRFC: THO010101AB3\r\n"
          "Cobertura: Amplia\r\nNota: " + osc52 + osc8 + "\r\n")
csv = ("INCISO,MARCA,SUBMARCA,MODELO,DESCRIPCION\r\n1,NISSAN,VERSA,2020,SENSE " + osc52 + cls + " 4P\r\n")
fname = "flotilla" + osc0 + ".csv"
msg = (f"From: Corredor {cls}Hostil <ventas@hostil.mx>\r\nTo: cotizaciones@aseguradora.mx\r\n"
       f"Subject: {subject}\r\nMessage-ID: <esc@hostil.mx>\r\nDate: Mon, 1 Dec 2025 09:00:00 -0600\r\n"
       f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n").encode()
msg += f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode()
msg += ("Buen día\r\n" + client).encode() + b"\r\n"
msg += (f"--{b}\r\nContent-Type: text/csv; name=\"{fname}\"\r\nContent-Disposition: attachment; filename=\"{fname}\"\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(csv.encode()) + b"\r\n"
msg += f"--{b}--\r\n".encode()
open(os.path.join(sys.argv[1], "escapes.eml"), "wb").write(msg)
PY
# no_esc NAME FILE: the file holds no ESC (nor BEL) byte, and holds the escapes made visible
no_esc() {
  if LC_ALL=C grep -q $'[\x1b\x07]' "$2"; then not_ok "$1"; echo "# $1: raw escape bytes in: $(head -c 600 "$2" | od -c | head -5)" >&2
  else ok "$1"; fi
}
"$MINCA" batch "$IN" >"$T_TMP/batch.out" 2>&1
cot=$(psql_q "SELECT cot FROM cases ORDER BY id LIMIT 1")
check_match "the mail made a case" "^COT" "$cot"
"$MINCA" case show "$cot" >"$T_TMP/show.out" 2>"$T_TMP/show.err"
no_esc "case show writes no ESC byte to stdout" "$T_TMP/show.out"
no_esc "nor to stderr" "$T_TMP/show.err"
check_match "the subject's OSC 52 is shown escaped" '\\e\]52;c;ZWNobyBwd25lZA==\\a' "$(cat "$T_TMP/show.out")"
check_match "ESC[2J is shown escaped" '\\e\[2J' "$(cat "$T_TMP/show.out")"
check_match "OSC 8 is shown escaped" '\\e\]8;;http://evil.example/' "$(cat "$T_TMP/show.out")"
"$MINCA" mail parse "$IN/escapes.eml" >"$T_TMP/parse.out" 2>&1
no_esc "mail parse writes no ESC byte" "$T_TMP/parse.out"
check_match "and shows the title escape" '\\e\]0;pwned title\\a' "$(cat "$T_TMP/parse.out")"
"$MINCA" case list >"$T_TMP/list.out" 2>&1
no_esc "case list writes no ESC byte" "$T_TMP/list.out"
"$MINCA" mail parse "$IN/nonexistent"$'\x1b]0;x\x07'".eml" >"$T_TMP/missing.out" 2>&1
no_esc "a file name in an error message is escaped too" "$T_TMP/missing.out"
"$MINCA" case show "$cot" --json >"$T_TMP/show.json" 2>&1
check "--json still parses" /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T_TMP/show.json"
check_match "accents pass untouched" "Cotización \\\\e" "$(cat "$T_TMP/show.out" "$T_TMP/parse.out")"

# ---- the log ----------------------------------------------------------------------------------
export MINCA_CONFIG="$T_TMP/config.yaml" MINCA_TEST_CLIENT_STATE="state-$RANDOM-$RANDOM"
cat >"$MINCA_CONFIG" <<YAML
sources:
  nube:
    kind: graph
    tenant: contoso-test
    client_id: minca-test-app
    client_secret_env: MINCA_TEST_GRAPH_SECRET
    client_state_env: MINCA_TEST_CLIENT_STATE
    user: cotiza@aseguradora.mx
    folder: inbox
YAML
LOG="$MINCA_HOME/log/minca.log"
HP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$MINCA" intake webhook --listen "127.0.0.1:$HP" 2>"$T_TMP/hook.err" &
hookpid=$!
wait_until 20 curl -s -o /dev/null "http://127.0.0.1:$HP/"
before=$(wc -l <"$LOG")
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d '{"value":[{"subscriptionId":"sub-1\n2026-01-01 00:00:00 [1] ERROR forged: admin password reset","clientState":"wrong"}]}' \
  "http://127.0.0.1:$HP/notify"
wait_until 10 grep -q "dropped" "$LOG"
check_eq "a newline in a subscriptionId writes one log line, not two" "1" "$(( $(wc -l <"$LOG") - before ))"
check_no_match "no forged line starts in the log" "^2026-01-01 00:00:00 \[1\] ERROR forged" "$(cat "$LOG")"
/usr/bin/python3 - "$T_TMP/flood.json" <<'PY'
import json, sys
n = [{"subscriptionId": "sub-%06d" % i, "clientState": "wrong-state", "changeType": "created",
      "resource": "Users/x/Messages/%d" % i} for i in range(7500)]
open(sys.argv[1], "w").write(json.dumps({"value": n}))
PY
size0=$(stat -c %s "$LOG")
for _ in 1 2 3 4 5 6 7 8; do
  curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "@$T_TMP/flood.json" "http://127.0.0.1:$HP/notify"
done
grown=$(( $(stat -c %s "$LOG") - size0 ))
check_match "8 POSTs of 7500 refused notifications ($(stat -c %s "$T_TMP/flood.json") bytes each) write under 4 KB of log" "^[0-9]{1,3}$|^[0-3][0-9]{3}$" "$grown"
kill "$hookpid"; wait "$hookpid" 2>/dev/null
finish
