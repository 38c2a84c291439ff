#!/usr/bin/env bash
# One definition of a row that keeps a case from being ready: `n` visits the codifier's
# no-match rows as well as the rows to review, and `R` names the incisos still open.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"
trap 'tmux_cleanup; rm -rf "$T_TMP"' EXIT

if ! command -v tmux >/dev/null; then skip "open rows" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "open rows" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_INSURER=demo MINCA_USER=revisora MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_open_rows || { not_ok "create test database"; finish; exit 1; }
check "demo catalog imported" "$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv"
# Three rows: two the catalog knows in full, and between them one no catalog entry resembles.
csv=$(printf 'INCISO,MARCA,SUBMARCA,MODELO,DESCRIPCION\r\n1,BYD,DOLPHIN,2024,MINI 5P HB ELECTRICO ABS BA AC EE AUT 4 OCUP\r\n2,ZQXWV,TRAMBULADOR,2019,QWERTZ PLONK 9X9\r\n3,BYD,DOLPHIN,2025,MINI 5P HB ELECTRICO ABS BA AC EE AUT 4 OCUP\r\n' | base64 -w 76)
mkdir -p "$T_TMP/in"
printf 'From: Corredor <ventas@corredor-prueba.mx>\r\nTo: cotizaciones@aseguradora.mx\r\nSubject: Cotizacion flotilla abierta\r\nMessage-ID: <open-rows-1@corredor-prueba.mx>\r\nDate: Mon, 6 Oct 2025 09:14:00 -0600\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRazón social: TRANSPORTES PRUEBA, S.A. DE C.V.\r\nRFC: TPR010101AB8\r\nCobertura: amplia\r\n\r\n--b1\r\nContent-Type: text/csv; name="flotilla.csv"\r\nContent-Disposition: attachment; filename="flotilla.csv"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n' "$csv" >"$T_TMP/in/open.eml"
"$MINCA" batch "$T_TMP/in" >"$T_TMP/batch.log" 2>&1
COT=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<open-rows-1@corredor-prueba.mx>'")
check_match "the email opened a case" '^COT-' "$COT"
check_eq "the codifier found no key for inciso 2 alone" "2" \
  "$(psql_q "SELECT string_agg(v.inciso::text, ',') FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id JOIN cases k ON k.id = v.case_id
             WHERE k.cot = '$COT' AND x.decision = 'no_match'")"

start o
expect "the desk opens" o "Inbox" 15
keys o 2
keys o / "$COT" Enter
expect "the Cases filter finds the case" o "Cases 1/1"
keys o Enter
expect "the case opens with its no-match row" o "1 no match"
keys o R
expect "R names the inciso that blocks the case" o "still need a decision: inciso 2"
keys o 1
sleep 0.5
check_no_match "a message stays with its pane: the Inbox does not show it" "still need a decision" "$(screen o)"
keys o 2
expect "back in the Cases pane" o "Cases 1/1"
keys o Enter
expect "the case opens again" o "1 no match"
keys o g
sleep 0.2
keys o n
expect "n visits the codifier's no-match row" o "Matches 2/3"
keys o x
expect "x decides it" o "marked no match"
keys o R
expect "then R marks the case ready" o "is ready for export"
# vi's way out: :q closes the case view, then quits the desk
keys o : q Enter
expect ":q closes the case view" o "Cases 1/1"
keys o : q Enter
wait_exit o
check_eq ":q quits the desk" "0" "$(cat "$T_TMP/o.exit" 2>/dev/null)"
finish
