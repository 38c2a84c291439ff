#!/usr/bin/env bash
# Reviewing a case at the desk, driven through tmux: from a batch of the demo inbox (and of the
# dev inbox when it is there), open a case from the Cases pane, step through the rows needing
# review, pick a candidate from the ranked list, pick another key from the catalog search, mark
# a row no match, undo it, write a note, try to export and to mark ready too early; then check
# the database: decisions, reviewer, audit entries with the user, corrections.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "review at the desk" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "review at the desk" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_USER=revisora MINCA_CONFIG="$T_TMP/config.yaml"
printf 'export_dir: %s/exports\n' "$T_TMP" >"$MINCA_CONFIG"

# answer SESSION KEY DONE...: a decision on a row whose description other undecided rows share
# asks whether it is for all of them; KEY answers (o: only this row, y: all of them). Waits
# until the question shows or the decision is taken without one (the command DONE succeeds).
answer() {
  local s=$1 k=$2 i=0; shift 2
  while [ $i -lt $((50 * TUI_WAIT_SCALE)) ]; do
    if screen "$s" | tail -n 1 | grep -q "o:only"; then keys "$s" "$k"; return 0; fi
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1; i=$((i + 1))
  done
}
# on_screen SESSION REGEX
on_screen() { screen "$1" | grep -qE -- "$2"; }

# review_inbox INSURER DIR: batch DIR for INSURER, then review one of its cases at the desk.
review_inbox() {
  local ins=$1 dir=$2 catalog=$3
  export MINCA_INSURER=$ins
  use_fresh_db "t_tui_review_$ins" || { not_ok "$ins: create test database"; return; }
  check "$ins: catalog imported" "$MINCA" catalog import "$catalog"
  "$MINCA" batch "$dir" >"$T_TMP/batch-$ins.log" 2>&1
  local cot
  cot=$(psql_q "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id JOIN matches x ON x.vehicle_row_id = v.id
                 WHERE x.decision = 'needs_review' AND jsonb_array_length(x.candidates) >= 2
                 GROUP BY k.cot HAVING count(*) >= 3 ORDER BY count(*) DESC, k.cot LIMIT 1")
  if [ -z "$cot" ]; then not_ok "$ins: the batch left a case with three rows to review"; return; fi
  ok "$ins: the batch left case $cot with rows to review"
  local rfc
  rfc=$(psql_q "SELECT coalesce(rfc, '') FROM cases WHERE cot = '$cot'")
  # Row ids in the order the desk lists them; the p-th line on screen is ids[p-1].
  local ids
  ids=($(psql_q "SELECT v.id FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot'
                 ORDER BY v.attachment_id NULLS FIRST, v.source_sheet, v.source_row, v.id"))
  m() { psql_q "SELECT $1 FROM matches WHERE vehicle_row_id = $2"; }

  start "$ins"
  expect "$ins: the desk opens" "$ins" "Inbox" 15
  keys "$ins" / "$cot" Enter
  expect "$ins: the Inbox filter finds the case's message" "$ins" "Inbox 1/1 of"
  keys "$ins" Enter
  expect "$ins: Enter shows the message with its attachments" "$ins" "Attachments \([1-9][0-9]*\):"
  expect "$ins: and what extraction read from them" "$ins" "read: .*header row [0-9]+, [0-9]+ rows"
  keys "$ins" q Escape
  keys "$ins" 2
  expect "$ins: the Cases pane lists the case" "$ins" "$cot"
  keys "$ins" / "$cot" Enter
  expect "$ins: the filter keeps that case" "$ins" "Cases 1/1"
  keys "$ins" Enter
  expect "$ins: Enter opens the case with its client header" "$ins" "$cot · .*RFC ${rfc:-—}"
  expect "$ins: the header counts rows to review" "$ins" "[0-9]+ to review"
  expect "$ins: the rows list inciso, year, key, decision" "$ins" "Inc +Description +Year +VIN +Key +Catalog +Conf% +Decision"
  keys "$ins" i
  expect "$ins: i shows the case in full with its attachments" "$ins" "Attachments \([0-9]+\):"
  keys "$ins" q
  expect "$ins: q goes back to the case" "$ins" "Matches 1/"

  # Tags: t tags a row (the header counts them) and ; asks what to do with the tagged rows:
  # x proposes no match for them (Esc decides nothing); a key other than a or x cancels.
  keys "$ins" t
  expect "$ins: t tags the row" "$ins" " · 1 tagged"
  keys "$ins" '\;'
  expect "$ins: ; asks for a decision on the tagged rows" "$ins" "1 tagged rows: a accepts"
  keys "$ins" j
  expect "$ins: another key cancels it" "$ins" "tag prefix cancelled"
  keys "$ins" '\;' x
  expect "$ins: ; x asks about no match for the tagged rows" "$ins" "no match for 1 row \(the tagged rows\)"
  keys "$ins" Escape
  expect "$ins: Esc decides nothing" "$ins" "cancelled"
  keys "$ins" k t
  local i=0
  while screen "$ins" | grep -q " · 1 tagged" && [ $i -lt $((50 * TUI_WAIT_SCALE)) ]; do sleep 0.1; i=$((i + 1)); done
  check_no_match "$ins: t again untags it" " · 1 tagged" "$(screen "$ins")"
  keys "$ins" g
  expect "$ins: back on the first row" "$ins" "Matches 1/"

  # 1. the next row needing review; pick the second-ranked candidate from the list
  local p1 r1 before
  before=$(position "$ins" Matches)
  keys "$ins" n
  p1=$(moved_from "$ins" Matches "$before"); r1=${ids[$((p1 - 1))]:-0}
  check_eq "$ins: n selects a row needing review" "needs_review" "$(m decision "$r1")"
  keys "$ins" c
  expect "$ins: c lists the ranked candidates" "$ins" "Candidates · inciso"
  expect "$ins: the list shows the explanation of the selected one" "$ins" "agrees: "
  local want1
  want1=$(m "candidates->1->>'cvegs'" "$r1")
  keys "$ins" j Enter
  answer "$ins" o on_screen "$ins" "picked $want1"
  expect "$ins: Enter picks the candidate" "$ins" "picked $want1"
  check_eq "$ins: the pick is saved at once" "picked $want1 revisora" "$(m "decision || ' ' || cvegs || ' ' || reviewed_by" "$r1")"

  # 2. the next row: pick a key found by catalog search (a third candidate's key and year)
  local p2 r2 before
  before=$(position "$ins" Matches)
  keys "$ins" n
  p2=$(moved_from "$ins" Matches "$before"); r2=${ids[$((p2 - 1))]:-0}
  check_eq "$ins: n moves on to another row needing review" "needs_review" "$(m decision "$r2")"
  local key2 year2
  read -r key2 year2 <<<"$(psql_q "SELECT e.cvegs || ' ' || e.modelo FROM catalog_entries e JOIN catalog_versions cv ON cv.id = e.catalog_version_id
        WHERE cv.active AND e.cvegs <> coalesce((SELECT cvegs FROM matches WHERE vehicle_row_id = $r2), '')
        ORDER BY e.line_no LIMIT 1")"
  keys "$ins" s
  expect "$ins: s opens the catalog search" "$ins" "search: "
  keys "$ins" C-u
  keys "$ins" -l "$key2 $year2"
  expect "$ins: the search finds the key typed" "$ins" "^$key2 +$year2 "
  keys "$ins" Enter
  answer "$ins" o on_screen "$ins" "picked $key2 $year2"
  expect "$ins: Enter picks it from the catalog" "$ins" "picked $key2 $year2 \\(catalog\\)"
  check_eq "$ins: the searched key is saved" "picked $key2 $year2" "$(m "decision || ' ' || cvegs || ' ' || year" "$r2")"

  # 3. a third row: no match, then undo
  local p3 r3 before
  before=$(position "$ins" Matches)
  keys "$ins" n
  p3=$(moved_from "$ins" Matches "$before"); r3=${ids[$((p3 - 1))]:-0}
  keys "$ins" x
  answer "$ins" o on_screen "$ins" "marked no match"
  expect "$ins: x marks the row no match" "$ins" "marked no match"
  check_eq "$ins: no match is saved" "rejected" "$(m decision "$r3")"
  keys "$ins" u
  expect "$ins: u undoes the last decision" "$ins" "last decision undone"
  check_eq "$ins: the row is back to review" "needs_review" "$(m decision "$r3")"
  check_eq "$ins: the other decisions stay" "picked picked" "$(m decision "$r1") $(m decision "$r2")"

  # 4. a note, and the refusals while rows are open
  keys "$ins" N
  expect "$ins: N asks for a note" "$ins" "note: "
  keys "$ins" -l "verificar versión con el corredor"
  keys "$ins" Enter
  expect "$ins: the note is saved" "$ins" "note saved"
  check_eq "$ins: the note is on the row" "verificar versión con el corredor" "$(m note "$r3")"
  keys "$ins" e
  expect "$ins: export is refused while rows are undecided" "$ins" "not exported: "
  keys "$ins" R
  expect "$ins: ready is refused while rows are open" "$ins" "not ready: "

  # the database afterwards
  check_eq "$ins: audit entries by the user" "review.no_match review.note review.pick review.pick review.undo" \
    "$(psql_q "SELECT string_agg(action, ' ' ORDER BY action) FROM audit_log WHERE actor = 'revisora' AND action IN
               ('review.no_match', 'review.note', 'review.pick', 'review.undo')")"
  check_eq "$ins: each audit entry names the row and has a time" "t" \
    "$(psql_q "SELECT bool_and(entity = 'vehicle_row' AND entity_id IS NOT NULL AND at IS NOT NULL) FROM audit_log WHERE actor = 'revisora' AND action LIKE 'review.%'")"
  # One correction per decision, by the user (a later decision on rows with the same text
  # supersedes an earlier one, so "in force" depends on the rows picked).
  check_eq "$ins: a correction per decision, by the user" "3 revisora" \
    "$(psql_q "SELECT count(*) || ' ' || coalesce(string_agg(DISTINCT created_by, ','), '') FROM corrections")"
  check_eq "$ins: the corrections hold the picked keys" "$want1 $key2 " \
    "$(psql_q "SELECT coalesce(cvegs, '-') FROM corrections WHERE source_vehicle_row_id IN ($r1, $r2) ORDER BY source_vehicle_row_id = $r2" | tr '\n' ' ')"
  check_eq "$ins: the undone decision's correction is revoked" "1" \
    "$(psql_q "SELECT count(*) FROM corrections WHERE revoked_at IS NOT NULL AND source_vehicle_row_id = $r3")"

  # 5. decide every other row (accept the proposals), then ready and export
  if [ "${FINISH_CASE:-}" = 1 ]; then
    local open i
    open_rows() { psql_q "SELECT count(*) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id
                          WHERE k.cot = '$cot' AND x.decision IN ('needs_review', 'no_match')"; }
    open_below() { [ "$(open_rows)" -lt "$1" ]; }
    for ((i = 0; i < 40; i++)); do
      open=$(open_rows)
      [ "$open" = 0 ] && break
      keys_wait "$ins" n
      keys "$ins" a
      answer "$ins" y open_below "$open"
      wait_until 5 open_below "$open"
    done
    expect "$ins: a accepts row after row until none is left to review" "$ins" " 0 to review"
    keys "$ins" R
    expect "$ins: R marks the case ready" "$ins" "$cot is ready for export"
    check_eq "$ins: the case is ready in the database" "ready" "$(psql_q "SELECT status FROM cases WHERE cot = '$cot'")"
    # a quote needs the client's name and RFC (the demo's requests do not all state them)
    psql_q "UPDATE cases SET client_name = coalesce(client_name, 'Cliente de Prueba, S.A.'),
                             rfc = coalesce(rfc, 'CPR010101AB1') WHERE cot = '$cot'" >/dev/null
    keys "$ins" e
    expect "$ins: e exports and says its price and where the file went" "$ins" "exported $cot v1 \([0-9]+ rows, (unpriced|prima total [^)]+)\) to /"
    local path
    path=$(psql_q "SELECT x.path FROM exports x JOIN cases k ON k.id = x.case_id WHERE k.cot = '$cot' AND x.exported_by = 'revisora' AND x.format = 'xlsx'")
    check "$ins: the workbook is on disk" test -s "$path"
    check "$ins: e also writes the PDF quote summary beside it" test -s "${path%.xlsx}.pdf"
    check_eq "$ins: both files are stored under the same version" "pdf xlsx" \
      "$(psql_q "SELECT string_agg(x.format, ' ' ORDER BY x.format) FROM exports x JOIN cases k ON k.id = x.case_id WHERE k.cot = '$cot' AND x.version = 1")"
    check_match "$ins: in the configured export directory" "^$T_TMP/exports/" "$path"
  fi

  # the Cases pane follows: Esc back to the list, which shows the new counts
  keys "$ins" Escape
  expect "$ins: Esc goes back to the Cases pane" "$ins" "Cases 1/1"
  keys "$ins" q
  wait_exit "$ins"
  check_eq "$ins: q quits" "0" "$(cat "$T_TMP/$ins.exit" 2>/dev/null)"
}

BASE_URL=$MINCA_DATABASE_URL
FINISH_CASE=1 review_inbox demo "$SRC/samples/inbox" "$SRC/samples/catalog/demo_catver.csv"

# The mouse, when asked for: a click on a tab label, a double click on a case.
click() { keys "$1" -l "$(printf '\033[<0;%d;%dM\033[<0;%d;%dm' "$2" "$3" "$2" "$3")"; }
# Both clicks in one write: sent apart, a loaded machine can space them wider than a double click.
double_click() { keys "$1" -l "$(printf '\033[<0;%d;%dM\033[<0;%d;%dm\033[<0;%d;%dM\033[<0;%d;%dm' "$2" "$3" "$2" "$3" "$2" "$3" "$2" "$3")"; }
start mouse MINCA_TUI_MOUSE=1
expect "mouse: the desk opens" mouse "Inbox 1/" 15
click mouse 20 1
expect "mouse: a click on a tab label switches panes" mouse "Cases 1/"
double_click mouse 3 5
expect "mouse: a double click opens the case" mouse "Matches 1/"
keys mouse q q
if have_shared && [ -d "$SHARED/data/inbox_dev" ] && [ -f "$SHARED/data/catalog/catver_qualitas.csv" ]; then
  MINCA_DATABASE_URL=$BASE_URL
  # at the smallest supported size
  TUI_COLS=80 TUI_LINES=24 review_inbox dev "$SHARED/data/inbox_dev" "$SHARED/data/catalog/catver_qualitas.csv"
else
  skip "review of a dev inbox case" "no ../shared/data/inbox_dev"
fi
finish
