#!/usr/bin/env bash
# Roles at the desk, driven through tmux: a viewer opens the desk, sees the cases, opens one,
# and `a` on a row is refused with the role it needs; a reviewer's decision on the same row is
# saved and audited with their login, and H shows it in the case's audit trail.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "roles at the desk" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "roles at the desk" "no test database (run through tests/run.sh)"; finish; exit; fi

unset MINCA_USER
export MINCA_INSURER=demo MINCA_CONFIG="$T_TMP/config.yaml"
printf 'export_dir: %s/exports\n' "$T_TMP" >"$MINCA_CONFIG"
use_fresh_db t_tui_access || { not_ok "create test database"; finish; exit 1; }
me=$(id -un)
check "catalog imported" "$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv"
"$MINCA" batch "$SRC/samples/inbox" >"$T_TMP/batch.log" 2>&1
check "a viewer is added" "$MINCA" user add vista --role viewer --insurer demo
check "a reviewer is added" "$MINCA" user add revi --role reviewer --insurer demo
cot=$(psql_q "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id JOIN matches x ON x.vehicle_row_id = v.id
              WHERE x.decision = 'needs_review' GROUP BY k.cot ORDER BY count(*) DESC, k.cot LIMIT 1")
[ -n "$cot" ] && ok "a case has rows to review" || { not_ok "a case has rows to review"; finish; exit 1; }
ids=($(psql_q "SELECT v.id FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot'
               ORDER BY v.attachment_id NULLS FIRST, v.source_sheet, v.source_row, v.id"))
m() { psql_q "SELECT $1 FROM matches WHERE vehicle_row_id = $2"; }

# open_case SESSION: from the Cases pane, the case, then its next row needing review.
open_case() {
  keys "$1" 2
  expect "$1: the Cases pane lists the case" "$1" "$cot"
  keys "$1" / "$cot" Enter
  expect "$1: the filter keeps it" "$1" "Cases 1/1"
  keys "$1" Enter
  expect "$1: Enter opens the case" "$1" "Matches 1/"
  keys_wait "$1" n
}

MINCA_USER=vista start viewer
expect "viewer: the desk opens" viewer "Inbox" 15
expect "viewer: the status line names the user" viewer "vista@demo"
open_case viewer
p=$(position viewer Matches); row=${ids[$((p - 1))]:-0}
check_eq "viewer: n selects a row needing review" "needs_review" "$(m decision "$row")"
keys viewer a
expect "viewer: a is refused with the role it needs" viewer "deciding rows needs the reviewer role for insurer demo"
check_eq "viewer: the row is untouched" "needs_review" "$(m decision "$row")"
keys viewer e
expect "viewer: e is refused too" viewer "exporting needs the supervisor role for insurer demo"
keys viewer H
expect "viewer: so is the audit trail" viewer "reading the audit trail needs the reviewer role"
keys viewer q q
check_eq "the viewer's login to the desk is audited" "1" \
  "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'desk.login' AND actor = 'vista' AND os_login = '$me'")"

MINCA_USER=revi start reviewer
expect "reviewer: the desk opens" reviewer "Inbox" 15
open_case reviewer
p=$(position reviewer Matches); row=${ids[$((p - 1))]:-0}
keys reviewer a
db_eventually "reviewer: a accepts the row" "accepted revi" "SELECT decision || ' ' || reviewed_by FROM matches WHERE vehicle_row_id = $row"
check_eq "reviewer: the decision is audited with their login" "revi|$me" \
  "$(psql_q "SELECT actor || '|' || os_login FROM audit_log WHERE action = 'review.accept' AND entity_id = '$row'")"
keys reviewer H
expect "reviewer: H opens the case's audit trail" reviewer "Audit trail of $cot"
inciso=$(psql_q "SELECT inciso FROM vehicle_rows WHERE id = $row")
expect "reviewer: with the decision, the inciso and who took it" reviewer "revi +accept +$inciso +to review .*→ accepted"
keys reviewer q q q
check "the audit trail verifies" "$MINCA" audit verify
finish
