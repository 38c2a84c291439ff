#!/usr/bin/env bash
# The terminal desk driven through tmux: the real binary on a private tmux server, data loaded
# with SQL into a database of its own, keys sent, the captured screen checked.
. "$(dirname "$0")/../lib.sh"

export LANG=C.UTF-8 LC_ALL=C.UTF-8
SOCK="minca-tui-$$"
TM() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
  TM kill-server >/dev/null 2>&1
  rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
  [ -n "${DB_NAME:-}" ] && psql "$ADMIN_URL" -X -q -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1
}
on_exit cleanup

if ! command -v tmux >/dev/null; then skip "tmux tests" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "tmux tests" "no test database (run through tests/run.sh)"; finish; exit; fi

# A database of our own on the test server, so other suites' rows do not show up here.
ADMIN_URL=$MINCA_DATABASE_URL
DB_NAME="minca_tui_$$"
if psql "$ADMIN_URL" -X -q -c "CREATE DATABASE $DB_NAME" >/dev/null 2>&1; then
  export MINCA_DATABASE_URL=$(printf '%s' "$ADMIN_URL" | sed -E "s#^(postgres[a-z]*://[^/?]*)/[^?]*#\1/$DB_NAME#")
else
  DB_NAME=""
  echo "# cannot create a private database; using the shared one" >&2
fi
check "schema migrated" "$MINCA" db migrate

psql_q "
INSERT INTO insurers (slug, name) VALUES ('demo', 'Seguros Demo'), ('vacia', 'Sin datos') ON CONFLICT DO NOTHING;
INSERT INTO brokers (insurer_id, name) SELECT id, 'Agente Peñafiel' FROM insurers WHERE slug = 'demo'
  ON CONFLICT DO NOTHING;
INSERT INTO blobs (sha256, size, data)
  SELECT encode(sha256('hoja'::bytea), 'hex'), 4, 'hoja'::bytea ON CONFLICT DO NOTHING;
INSERT INTO messages (insurer_id, source, message_id, from_addr, from_name, subject, body_text, broker_id, received_at)
  SELECT i.id, 'manual', '<tui-1@test>', 'ana@penafiel.mx', 'Ana Núñez',
         'Cotización flotilla Compañía Ñandú', E'Buenos días,\nadjunto la relación de unidades de Transportes Ñandú.',
         b.id, now() - interval '1 hour'
    FROM insurers i JOIN brokers b ON b.insurer_id = i.id WHERE i.slug = 'demo'
  ON CONFLICT DO NOTHING;
INSERT INTO messages (insurer_id, source, message_id, from_addr, from_name, subject, body_text, received_at)
  SELECT i.id, 'manual', '<tui-2@test>', 'luis@corredor.mx', 'Luis Pérez', 'Renovación pólizas', 'Hola',
         now() - interval '2 hours'
    FROM insurers i WHERE i.slug = 'demo'
  ON CONFLICT DO NOTHING;
INSERT INTO attachments (insurer_id, message_id, ordinal, filename, content_type, sha256, size)
  SELECT m.insurer_id, m.id, 1, 'relación_unidades.xlsx', 'application/vnd.ms-excel', encode(sha256('hoja'::bytea), 'hex'), 4
    FROM messages m WHERE m.message_id = '<tui-1@test>'
  ON CONFLICT DO NOTHING;
INSERT INTO cases (insurer_id, cot, message_id, broker_id, status, client_name, rfc)
  SELECT m.insurer_id, 'COT-2026-000001', m.id, m.broker_id, 'review', 'Transportes Ñandú SA de CV', 'TNA010101AB1'
    FROM messages m WHERE m.message_id = '<tui-1@test>'
  ON CONFLICT DO NOTHING;
INSERT INTO vehicle_rows (insurer_id, case_id, source_row, inciso, marca, submarca, year, description)
  SELECT c.insurer_id, c.id, g, g, 'NISSAN', 'NP300', 2020 + g % 4, 'NP300 ESTACAS DIÉSEL ' || g
    FROM cases c, generate_series(1, 3) g WHERE c.cot = 'COT-2026-000001'
  ON CONFLICT DO NOTHING;
INSERT INTO matches (vehicle_row_id, insurer_id, cvegs, year, confidence, decision)
  SELECT v.id, v.insurer_id, 'KEY' || v.inciso, v.year, 0.5 + v.inciso / 10.0,
         (ARRAY['auto_accept', 'needs_review', 'no_match'])[v.inciso]
    FROM vehicle_rows v JOIN cases c ON c.id = v.case_id WHERE c.cot = 'COT-2026-000001'
  ON CONFLICT DO NOTHING;
INSERT INTO broker_profiles (insurer_id, broker_id, name, version, yaml, author)
  SELECT b.insurer_id, b.id, 'peñafiel-flotillas', 2, 'name: peñafiel-flotillas', 'tester'
    FROM brokers b WHERE b.name = 'Agente Peñafiel'
  ON CONFLICT DO NOTHING;
" >/dev/null
check_eq "test data loaded" "2" "$(psql_q "SELECT count(*) FROM messages WHERE message_id LIKE '<tui-%'")"

# A config file with a remap, an unknown action and an unknown key: logged, not fatal.
CONFIG="$T_TMP/config.yaml"
printf 'keys:\n  reload: R\n  no-such-action: x\n  first: NoSuchKey\n  profiles: "4 P"\n' >"$CONFIG"

# start NAME INSURER [VAR=VALUE...]: runs minca in a new session; its exit status and the
# terminal settings afterwards land in $T_TMP/NAME.exit and $T_TMP/NAME.stty.
start() {
  local name=$1 insurer=$2; shift 2
  TM new-session -d -s "$name" -x 100 -y 30 \
    "trap : INT; env MINCA_HOME='$MINCA_HOME' MINCA_DATABASE_URL='$MINCA_DATABASE_URL' MINCA_REDIS_URL='${MINCA_REDIS_URL:-}' \
     MINCA_CONFIG='$CONFIG' MINCA_INSURER='$insurer' MINCA_USER=tester LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color $* \
     '$MINCA'; echo \$? >'$T_TMP/$name.exit'; stty -a >'$T_TMP/$name.stty' 2>&1; sleep 60"
}
screen() { TM capture-pane -p -t "$1"; }
keys() { local s=$1; shift; TM send-keys -t "$s" "$@"; }
# wait_for SESSION REGEX [SECONDS]: polls the screen until REGEX shows; prints the screen.
wait_for() {
  local s=$1 re=$2 limit=${3:-5} i=0 out
  while :; do
    out=$(screen "$s")
    if printf '%s' "$out" | grep -qE -- "$re"; then printf '%s' "$out"; return 0; fi
    i=$((i + 1)); [ "$i" -ge $((limit * 10)) ] && { printf '%s' "$out"; return 1; }
    sleep 0.1
  done
}
# expect NAME SESSION REGEX [SECONDS]
expect() { local out; out=$(wait_for "$2" "$3" "${4:-5}"); check_match "$1" "$3" "$out"; }
# expect_gone NAME SESSION REGEX: passes when REGEX disappears within a few seconds.
expect_gone() {
  local i=0
  while screen "$2" | grep -qE -- "$3"; do
    i=$((i + 1)); [ "$i" -ge 50 ] && { not_ok "$1"; echo "# $1: [$3] still on screen" >&2; return; }
    sleep 0.1
  done
  ok "$1"
}
# wait_exit NAME: waits until the session's shell has recorded minca's exit and stty.
wait_exit() {
  local i=0
  while { [ ! -s "$T_TMP/$1.exit" ] || [ ! -s "$T_TMP/$1.stty" ]; } && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  sleep 0.1 # stty may still be writing
}
# column LINE_REGEX TEXT: the display column where TEXT starts on the first line matching LINE_REGEX.
column() {
  local line prefix
  line=$(screen main | grep -m1 -E -- "$1")
  prefix=${line%%"$2"*}
  printf '%s' "${#prefix}"
}

start main demo
MAIN_SHELL=$(TM display-message -p -t main '#{pane_pid}')
expect "inbox opens with the messages" main "Ana Núñez" 15
expect "accents and Ñ render in the subject" main "Cotización flotilla Compañía Ñ"
expect "tab bar lists the four panes" main "1 Inbox +2 Cases +3 Matches +4 Profiles"
expect "status line shows pane, position, user and insurer" main "Inbox 1/2 .*tester@demo"
expect "inbox shows the case of a message" main "Ana Núñez.*COT-2026-000001"
check_eq "columns stay aligned after accented text" "$(column '^Received' 'Case')" "$(column 'Ana Núñez' 'COT-2026')"

keys main j
expect "j moves the selection down" main "Inbox 2/2"
# The default theme selects with a cyan background (SGR 46): only the selected row has it.
check_match "the highlight follows the selection" "(\[|;)46m" "$(TM capture-pane -e -p -t main | grep 'Luis Pérez')"
check_fails "the previous row is no longer highlighted" grep -qE "(\[|;)46m" <<<"$(TM capture-pane -e -p -t main | grep 'Ana Núñez')"
keys main k
expect "k moves it back up" main "Inbox 1/2"
keys main G
expect "G goes to the last line" main "Inbox 2/2"
keys main g
expect "g still works after an unusable remap of 'first'" main "Inbox 1/2"

keys main / p e r e z
expect "/ filters as you type, ignoring case and accents" main "Inbox 1/1"
expect_gone "the filtered-out message is hidden" main "Ana Núñez"
keys main Escape
expect "Esc clears the filter" main "Ana Núñez"
expect "both messages are back after Esc, selection kept" main "Inbox 2/2"
keys main k
keys main / e z
expect "a filter matching both keeps both" main "Inbox 1/2"
keys main Down
expect "arrows move while the filter prompt is open" main "Inbox 2/2"
keys main Up
keys main Escape
keys main / Ñ A N D U Enter
expect "the filter matches Ñ typed as a key" main "Inbox 1/1 of 2 \[/ÑANDU\]"
keys main / e z Enter
expect "a new / starts empty: it does not add to the previous filter" main "\[/ez\]"
keys main Escape
expect "Esc clears an accepted filter" main "Inbox 1/2"

keys main o
expect "o sorts by the first column" main "Received▲"
out=$(screen main)
check_match "the oldest message comes first" "^[0-9-]+ [0-9:]+ +Luis Pérez" "$(printf '%s\n' "$out" | sed -n 3p)"
check_match "the selection stays on the same message" "Inbox 2/2" "$out"
keys main O
expect "O reverses the order" main "Received▼"
keys main O
expect "O again sorts ascending" main "Received▲"
for _ in 1 2 3 4 5 6; do keys main o; done
expect_gone "o past the last column restores the original order" main "[▲▼]"
keys main g
expect "back at the first line" main "Inbox 1/2"
keys main : c a s e s Enter
expect ":cases runs the action by name" main "COT-2026-000001 +Transportes"
keys main : n o p e Enter
expect "an unknown command is reported" main "unknown command: nope"
keys main 1

keys main Enter
expect "Enter opens the message detail" main "adjunto la relación de unidades"
expect "the detail shows the whole subject" main "Message: Cotización flotilla Compañía Ñandú"
expect "the detail lists the attachment" main "relación_unidades.xlsx"
keys main Escape
expect "Esc goes back to the pane" main "Inbox 1/2"

keys main 2
expect "2 shows the cases" main "COT-2026-000001 +Transportes Ñandú"
expect "cases show the counts by decision" main "3 +1/1/1 +review"
keys main Enter
expect "Enter opens the case" main "TNA010101AB1"
keys main q
expect "q closes the case detail" main "Cases 1/1"

keys main 3
expect "3 shows the matches of the selected case" main "NP300 ESTACAS DIÉSEL 2"
expect "matches show key, confidence (a percentage rounded down) and why the row waits" main "KEY2 +70\.0 +low confidence"
keys main n
expect "n jumps to the row needing review" main "Matches 2/3"
keys main n
expect "n goes on to the codifier's no-match row (it blocks ready too)" main "Matches 3/3"
keys main n
expect "n wraps round to the row to review" main "Matches 2/3"
keys main 4
expect "4 shows the profiles" main "peñafiel-flotillas +db +2 +Agente Peñafiel"
keys main 1
keys main P
expect "a second key from the config shows the profiles too" main "Profiles 1/"
keys main Tab
expect "Tab goes on to the Dashboard" main "^ Dashboard "
keys main Tab
expect "Tab goes on to the review Queue" main "Review queue · "
keys main Tab
expect "Tab wraps to the Inbox" main "Inbox 1/2"
keys main BTab
keys main BTab
keys main BTab
expect "Shift-Tab goes back to Profiles" main "Profiles 1/"
keys main 1

# Live refresh: a message stored by someone else shows up without a key press.
psql_q "INSERT INTO messages (insurer_id, source, message_id, from_addr, from_name, subject)
        SELECT id, 'manual', '<tui-3@test>', 'eva@otro.mx', 'Eva Ibáñez', 'Alta de unidades'
          FROM insurers WHERE slug = 'demo'" >/dev/null
expect "new mail appears without pressing a key" main "Eva Ibáñez" 10
expect "the selection stays on the same message" main "Inbox 2/3"
psql_q "DELETE FROM messages WHERE message_id = '<tui-3@test>'" >/dev/null
expect_gone "and goes away when it is deleted" main "Eva Ibáñez"
expect "position follows" main "Inbox 1/2"

keys main '?'
expect "? opens the help generated from the key table" main "move down one line"
keys main G
expect "help shows the remapped reload key" main "R, F5 +reload"
keys main q
expect "q closes the help" main "Inbox 1/2"
keys main : r e l o a d Enter
expect ":reload runs the remapped action by its name" main "reloaded"
keys main : n o p e Enter
expect "a new message replaces it" main "unknown command: nope"
keys main R
expect "the remapped key reloads" main "reloaded"
keys main : s o r t Space s u b Space d e s c Enter
expect ":sort with an argument sorts by the column it names" main "Subject▼"
keys main : s o r t Enter
expect ":sort alone names the columns" main "sort by what\? columns: Received"
keys main : 9 9 Enter
expect ":NUMBER without such an inciso says so" main "no inciso 99 here"
keys main 2 '?'
expect "? in Cases lists the desk's actions" main "Everywhere:"
keys main G
expect "and then the Cases' own, with their keys" main "In Cases:"
check_match "the status filter is a Cases action" "f +status-filter" "$(screen main)"
check_no_match "Matches' actions are not listed in Cases" "next-review" "$(screen main)"
keys main q 1

TM resize-window -t main -x 80 -y 24
expect "resize to 80x24 redraws the tab bar" main "^ Minca +1 Inbox"
out=$(wait_for main "tester@demo" 5)
check_eq "the status line sits on the last line at 80x24" "24" "$(printf '%s\n' "$out" | grep -n 'tester@demo' | cut -d: -f1)"
check_match "rows are still drawn at 80x24" "Ana Núñez" "$out"
TM resize-window -t main -x 60 -y 20
expect "below 80x24 a notice replaces the desk" main "Terminal too small: 60x20"
TM resize-window -t main -x 100 -y 30
expect "growing again brings the desk back" main "Luis Pérez"

keys main q
wait_exit main
check_eq "q exits with status 0" "0" "$(cat "$T_TMP/main.exit" 2>/dev/null)"
check_match "the terminal is sane afterwards" "(^| )icanon .*(^| )echo " "$(tr '\n;' '  ' <"$T_TMP/main.stty" 2>/dev/null)"
check_eq "the minca process is gone" "" "$(pgrep -P "$MAIN_SHELL" -f -- "$MINCA")"

# An insurer with no data: friendly hints instead of empty panes.
start empty vacia TERM=xterm MINCA_THEME=light MINCA_TUI_POLL=60
expect "an empty inbox says how to load mail" empty "No messages yet" 15
keys empty 2
expect "empty cases say how to get some" empty "No cases yet"
keys empty 3
expect "matches without a case say what to do" empty "No case selected"
# Live-update events: with polling slowed to a minute, an engine event on Redis makes new
# mail show at once.
if command -v redis-cli >/dev/null && [[ "${MINCA_REDIS_URL:-}" == unix://* ]]; then
  keys empty 1
  expect "back on the empty inbox" empty "No messages yet"
  psql_q "INSERT INTO messages (insurer_id, source, message_id, from_addr, from_name, subject)
          SELECT id, 'manual', '<tui-4@test>', 'ivan@otro.mx', 'Iván Muñoz', 'Flotilla nueva'
            FROM insurers WHERE slug = 'vacia'" >/dev/null
  sock=${MINCA_REDIS_URL#unix://}; sock=${sock%%\?*}
  db=0; [[ "$MINCA_REDIS_URL" == *\?db=* ]] && db=${MINCA_REDIS_URL##*\?db=}
  # Channels are shared by every database of a Redis server: an event of an installation on
  # another database number is not ours.
  redis-cli -s "$sock" PUBLISH "minca:events:$((db + 1))" '{"job":0,"kind":"ingest","ok":true}' >/dev/null
  sleep 2
  check_no_match "an event on another database's channel does not refresh the pane" "Iván Muñoz" "$(screen empty)"
  redis-cli -s "$sock" PUBLISH "minca:events:$db" '{"job":0,"kind":"ingest","ok":true}' >/dev/null
  expect "an engine event refreshes the pane at once" empty "Iván Muñoz" 3
else
  skip "an engine event refreshes the pane at once" "needs redis-cli and a unix-socket Redis"
fi
keys empty C-c
wait_exit empty
check_eq "Ctrl-C leaves cleanly with the status of an interrupted program" "130" "$(cat "$T_TMP/empty.exit" 2>/dev/null)"
check_match "the terminal is sane after Ctrl-C" "(^| )icanon .*(^| )echo " "$(tr '\n;' '  ' <"$T_TMP/empty.stty" 2>/dev/null)"

# The database is down: the error is on screen, the desk keeps running and quits cleanly.
start down demo "MINCA_DATABASE_URL='postgresql:///nowhere?host=$T_TMP/no-such-dir'" MINCA_THEME=no-such-theme
expect "a database that is down is reported" down "database unavailable" 15
expect "the pane explains it and names the remapped retry key" down "Press R to try again"
keys down 2
expect "switching panes still works" down "Cases 0/0"
keys down q
wait_exit down
check_eq "quits cleanly with the database down" "0" "$(cat "$T_TMP/down.exit" 2>/dev/null)"

log="$MINCA_HOME/log/minca.log"
if [ -f "$log" ]; then
  check_match "unknown action in keys: is logged" "unknown action 'no-such-action'" "$(cat "$log")"
  check_match "a missing theme is logged" "theme 'no-such-theme' not usable" "$(cat "$log")"
else
  skip "unknown action in keys: is logged" "no log file at $log"
  skip "a missing theme is logged" "no log file at $log"
fi

finish
