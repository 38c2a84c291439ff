#!/usr/bin/env bash
# Typing an email in at the desk, driven through tmux: `m` in the Inbox opens the compose
# form, the sender, subject and body are typed, a fleet spreadsheet is attached by path, the
# form is sent, and the message and its case appear in the Inbox, read by the desk's engine
# like mail from any other source. Then the body written in $EDITOR.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "compose at the desk" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "compose at the desk" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_USER=analista MINCA_INSURER=demo MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_compose || { not_ok "create test database"; finish; exit 1; }
check "catalog imported" "$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv"
printf 'INCISO,MARCA,SUBMARCA,DESCRIPCION,MODELO\n1,NISSAN,VERSA,SENSE 4P L4 1.6L STD,2020\n2,CHEVROLET,AVEO,LS 4P L4 1.5L STD,2022\n' >"$T_TMP/flotilla.csv"

start desk VISUAL= EDITOR=
expect "the desk opens on the Inbox" desk "No messages yet" 10
keys desk m
expect "m opens the compose form" desk "New email typed in at the desk" 5
keys_wait desk Enter
keys_wait desk -l "ana.perez@corredor-escritorio.mx"; keys_wait desk Enter
keys_wait desk j j Enter
keys_wait desk -l "Cotización flotilla tecleada"; keys_wait desk Enter
keys_wait desk j Enter
keys_wait desk -l "Buen día, cotizar las unidades adjuntas."; keys_wait desk Enter
keys_wait desk -l "Razón social: TECLEADOS DEL NORTE, S.A. DE C.V."; keys_wait desk Enter
keys_wait desk -l "RFC: TPR010101AB8"; keys_wait desk Enter
keys_wait desk Enter
expect "the body shows its lines" desk "Body +3 line\(s\): Buen día" 5
keys_wait desk a
keys desk -l "$T_TMP/flotilla.csv"; keys desk Enter
expect "the file is attached" desk "Attached +.*flotilla.csv \([0-9]+ bytes\)" 5
keys desk S
expect "sending says where it went" desk "sent to the pipeline; its case appears here" 5
expect "the message appears in the Inbox" desk "Cotización flotilla tecleada" 10
expect "with its case" desk "Cotización flotilla tecl.*COT-[0-9]{4}-[0-9]{6}" 20
keys desk Enter
expect "the message detail says it was typed in at the desk" desk "Source: +manual desk, <.*@desk.minca.invalid>" 5
keys desk Escape
db_eventually "stored as the desk's manual source" "manual|desk" "SELECT source || '|' || source_name FROM messages"
db_eventually "the attachment was extracted into vehicle rows" "2" "SELECT count(*) FROM vehicle_rows" 20
check_eq "the case has the client typed in" "TECLEADOS DEL NORTE, S.A. DE C.V." "$(psql_q "SELECT client_name FROM cases")"

# The body in $EDITOR: a script stands in for the user's editor.
cat >"$T_TMP/editor.sh" <<'SH'
#!/bin/sh
printf 'Escrito en el editor.\nRazón social: EDITORES UNIDOS, S.A. DE C.V.\n' >"$1"
SH
chmod +x "$T_TMP/editor.sh"
keys desk q
wait_exit desk
start desk2 EDITOR="$T_TMP/editor.sh" VISUAL=
expect "the desk opens again" desk2 "Cotización flotilla tecleada" 10
keys desk2 m
wait_for desk2 "New email typed in at the desk" 5 >/dev/null
keys_wait desk2 Enter; keys_wait desk2 -l "luis@corredor-escritorio.mx"; keys_wait desk2 Enter
keys_wait desk2 j j Enter; keys_wait desk2 -l "Desde el editor"; keys_wait desk2 Enter
keys desk2 j Enter
expect "the editor's text becomes the body" desk2 "Body +2 line\(s\): Escrito en el editor" 5
keys desk2 S
expect "the second message arrives with its case" desk2 "Desde el editor.*COT-" 20
check_eq "its client came from the editor's text" "EDITORES UNIDOS, S.A. DE C.V." "$(psql_q "SELECT client_name FROM cases c JOIN messages m ON m.id = c.message_id WHERE m.subject = 'Desde el editor'")"
keys desk2 q
finish
