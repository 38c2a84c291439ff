#!/usr/bin/env bash
# The desk's row detail (Enter on a row of a case) shows the source's columns the profile did
# not map but that hold text (OBSERVACIONES, CONDUCTOR), wrapped to the screen, after every
# vehicle field of the one field list under the staff's names (Año, Motor, Suma asegurada).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"
trap 'tmux_cleanup; rm -rf "$T_TMP"' EXIT

if ! command -v tmux >/dev/null; then skip "row extra columns" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "row extra columns" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_INSURER=demo MINCA_USER=revisora MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_row_extra || { not_ok "create test database"; finish; exit 1; }
check "demo catalog imported" "$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv"
csv=$(printf 'INCISO,MARCA,SUBMARCA,MODELO,DESCRIPCION,MOTOR,SUMA ASEGURADA,OBSERVACIONES,CONDUCTOR\r\n1,BYD,DOLPHIN,2024,MINI 5P HB ELECTRICO ABS BA AC EE AUT 4 OCUP,TZ180XSQ,"412,500",Rines especiales y torreta: revisar accesorios,Ana Núñez\r\n' | base64 -w 76)
mkdir -p "$T_TMP/in"
printf 'From: Corredor <ventas@corredor-prueba.mx>\r\nTo: cotizaciones@aseguradora.mx\r\nSubject: Cotizacion flotilla\r\nMessage-ID: <row-extra-1@corredor-prueba.mx>\r\nDate: Mon, 6 Oct 2025 09:14:00 -0600\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRazón social: TRANSPORTES PRUEBA, S.A. DE C.V.\r\nRFC: TPR010101AB8\r\nCobertura: amplia\r\n\r\n--b1\r\nContent-Type: text/csv; name="flotilla.csv"\r\nContent-Disposition: attachment; filename="flotilla.csv"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n' "$csv" >"$T_TMP/in/extra.eml"
"$MINCA" batch "$T_TMP/in" >"$T_TMP/batch.log" 2>&1
COT=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<row-extra-1@corredor-prueba.mx>'")
check_match "the email opened a case" '^COT-' "$COT"

start o
expect "the desk opens" o "Inbox" 15
keys o 2
keys o / "$COT" Enter
expect "the Cases filter finds the case" o "Cases 1/1"
keys o Enter
expect "the case opens" o "Matches"
keys o Enter
expect "Enter shows the row in full with the source's other columns" o "Other columns of the source"
expect "the observation" o "OBSERVACIONES: Rines especiales y torreta: revisar accesorios"
expect "the driver" o "CONDUCTOR: Ana Núñez"
# The row's fields come from the one field list, under the staff's names for them.
expect "the year under its name" o "Año +2024"
expect "the engine number, a field the desk listed by hand before" o "Motor +TZ180XSQ"
expect "the sum insured with two decimals" o "Suma asegurada +412500\.00"
keys o q
keys o : q Enter
expect ":q closes the case view" o "Cases 1/1"
keys o : q Enter
wait_exit o
check_eq "the desk quits" "0" "$(cat "$T_TMP/o.exit" 2>/dev/null)"
finish
