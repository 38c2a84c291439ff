#!/usr/bin/env bash
# The review Queue reads descriptions the way the codifier does: rows of one version written
# with other punctuation, spacing, word order, a colour, an equipment word or without the
# doors share one line, and one decision settles them all; a version the text tells apart
# keeps its own line. `s` searches the catalog for a line, and the key chosen there decides
# all its rows. H shows the case's audit trail as a table: time, who, action, inciso,
# before → after. After `/`, n and N go to the next and previous line with the text in a list
# other than Matches; ? lists every key.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"
trap 'tmux_cleanup; rm -rf "$T_TMP"' EXIT

if ! command -v tmux >/dev/null; then skip "review queue" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "review queue" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_INSURER=demo MINCA_USER=revisora MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_queue || { not_ok "create test database"; finish; exit 1; }
# Two models of two versions each that differ only in transmission and drive: a row that says
# neither waits for a person.
python3 "$SRC/tests/tools/gen_doubtful.py" "$T_TMP/gen" --rows 1 --descriptions 2 --copies 1 --cases 1 --prefix q
check "catalog with versions the rows cannot tell apart" "$MINCA" catalog import "$T_TMP/gen/catalog.csv"
csv=$(printf '%s\r\n' 'INCISO,MARCA,SUBMARCA,MODELO,DESCRIPCION' \
  '1,ANAHUAC,TERRANO,2024,SUV 5P LIMITED' \
  '2,Anáhuac,Terrano,2024,"S.U.V. 5 PTAS, LIMITED"' \
  '3,ANAHUAC,TERRANO,2024,limited suv 5p blanco' \
  '4,ANAHUAC,TERRANO,2024,SUV 5P LIMITED A/C QC' \
  '5,ANAHUAC,ANAHUAC TERRANO,2024,SUV LIMITED' \
  '6,ANAHUAC,VALLEJO,2024,SUV 5P LIMITED' \
  '7,ANAHUAC,VALLEJO,2024,suv-5p limited' | base64 -w 76)
mkdir -p "$T_TMP/in"
printf 'From: Corredor <ventas@corredor-prueba.mx>\r\nTo: cotizaciones@aseguradora.mx\r\nSubject: Cotizacion flotilla queue\r\nMessage-ID: <queue-1@corredor-prueba.mx>\r\nDate: Mon, 6 Oct 2025 09:14:00 -0600\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRazón social: TRANSPORTES PRUEBA, S.A. DE C.V.\r\nRFC: TPR010101AB8\r\nCobertura: amplia\r\n\r\n--b1\r\nContent-Type: text/csv; name="flotilla.csv"\r\nContent-Disposition: attachment; filename="flotilla.csv"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n' "$csv" >"$T_TMP/in/queue.eml"
"$MINCA" batch "$T_TMP/in" >"$T_TMP/batch.log" 2>&1
open_q="SELECT count(*) FROM matches x WHERE x.decision = 'needs_review' AND x.reviewed_by IS NULL"
check_eq "the seven rows wait for a person" 7 "$(psql_q "$open_q")"
check_eq "under seven stored description keys" 7 "$(psql_q "SELECT count(DISTINCT norm_key) FROM matches WHERE decision = 'needs_review'")"
check_match "minca review queue: two lines" "7 rows to review in 2 lines" "$("$MINCA" review queue)"

start o
expect "the desk opens" o "Inbox" 15
keys o 6
expect "the Queue gathers the five ways of writing one version on one line" o "7 rows to review in 2 descriptions"
check_match "the first line holds five rows" "^ +5 +1 +[A-Z]" "$(screen o)"
keys o g Enter
expect "Enter asks once for the line's five rows" o "for 5 rows in 1 case\? y"
keys o y
expect "y decides them" o "5 rows accepted"
check_eq "the other model's two rows are left" "VALLEJO VALLEJO" \
  "$(psql_q "SELECT string_agg(v.submarca, ' ') FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id WHERE x.decision = 'needs_review' AND x.reviewed_by IS NULL")"

# s: the catalog search for the line, its brand, model and year typed in
expect "the Queue shows the line left" o "2 rows to review in 1 descriptions"
keys o g s
expect "s opens the catalog search with the line's brand, model and year" o "search: ANAHUAC VALLEJO 2024"
expect "both versions are listed" o "2 found"
keys o " std"
expect "a word more narrows the list to one version" o "1 found"
keys o Enter
expect "Enter asks once for the line's rows" o "pick 40004 2024 for 2 rows in 1 case\? y"
keys o n
expect "another key decides nothing" o "nothing decided"
keys o Enter
expect "Enter asks again" o "pick 40004 2024 for 2 rows in 1 case\? y"
keys o y
expect "y gives the line's rows the key chosen" o "2 rows given 40004 2024 \(catalog\)"
expect "and closes the search: the Queue is empty" o "No row of any open case waits for review"
check_eq "both rows have the key, decided by the reviewer" "40004 40004 revisora" \
  "$(psql_q "SELECT string_agg(x.cvegs, ' ') || ' ' || string_agg(DISTINCT x.reviewed_by, ',') FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id WHERE v.submarca = 'VALLEJO'")"

# H: the decisions of the case, one line each, in words
keys o 2
expect "the Cases pane" o "Cases 1/1"
keys o Enter
expect "the case opens" o "Matches 1/7"
keys o H
expect "H shows the audit trail as a table" o "Time +Who +Action +Inciso +Before → after"
expect "a Queue decision names the inciso, the state before and after" o \
  "revisora +accept +1 +to review → accepted 4000[12] 2024 \(group\)"
expect "the catalog pick of the last row too" o "revisora +pick +7 +to review (40003 2024 )?→ picked 40004 2024"
check_no_match "no row is named by its database id" "vehicle_row" "$(screen o)"
keys o Enter
expect "Enter shows the entry in full" o "Audit entry [0-9]+"
keys o Escape Escape Escape

# The same table in an 80x24 terminal: the columns shrink, the decision still reads whole.
TUI_COLS=80 TUI_LINES=24 start small
expect "80x24: the desk opens" small "Inbox" 15
keys small 2
expect "80x24: the Cases pane" small "Cases 1/1"
keys small Enter
expect "80x24: the case opens" small "Matches 1/7"
keys small H
expect "80x24: H shows the table's header" small "Time +Who +Action +Inciso +Before → after"
expect "80x24: a decision's before and after fit" small "accept +1 +to review → accepted 4000[12] 2024 \(group\)"
expect "80x24: the pick reads whole too" small "pick +7 +to review (40003 2024 )?→ picked 40004 2024"
keys small Escape Escape Escape q
wait_exit small

# n and N after /, in the help screen (a list like the others)
keys o "?"
expect "? lists search-next and search-prev" o "search-prev"
check_match "and what n means outside Matches" "n +search-next" "$(screen o)"
all=$(screen o | tail -n 1 | sed -nE 's/^ *Detail 1\/([0-9]+).*/\1/p')
keys o / case Enter
expect "the filter keeps the lines with the text" o "Detail 1/[0-9]"
keys o Escape
expect "Esc clears the filter: every line is back" o "Detail [0-9]+/$all "
keys o g
p0=$(moved_from o Detail x)
keys o n
p1=$(moved_from o Detail "$p0")
keys o n
p2=$(moved_from o Detail "$p1")
check_match "n goes down to a line with the text" "^[0-9]+$" "$p1"
[ -n "$p1" ] && [ -n "$p2" ] && [ "$p2" -gt "$p1" ] && [ "$p1" -gt "$p0" ] && ok "and n again further down ($p0 → $p1 → $p2)" || not_ok "and n again further down ($p0 → $p1 → $p2)"
keys o N
check_eq "N goes back to the previous one" "$p1" "$(moved_from o Detail "$p2")"
expect "the text searched is on the status line" o "/case"
keys o Escape
keys o q
wait_exit o
finish
