#!/usr/bin/env bash
# Who may do what, for which insurer: two insurers, four users (one per role) on the first, a
# reviewer on the second. Every command is allowed or refused by role, with the role it needs
# named; cross-tenant reads and writes are refused in C and by row-level security in the
# database (connecting the way the application does); the audit chain shows an entry a
# superuser changed or deleted behind the application's back.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_access || { not_ok "create test database"; finish; exit 1; }
unset MINCA_USER
export MINCA_INSURER=qualitas MINCA_CONFIG="$T_TMP/config.yaml"
printf 'export_dir: %s/exports\n' "$T_TMP" >"$MINCA_CONFIG"
me=$(id -un)
as() { local u=$1; shift; MINCA_USER=$u "$MINCA" "$@"; }
# refused NAME REGEX COMMAND...: the command fails and its message matches REGEX.
refused() {
  local name=$1 re=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ $rc -ne 0 ] && printf '%s' "$out" | grep -qE -- "$re"; then ok "$name"; else
    not_ok "$name"; echo "# $name: exit $rc, [$re] not in: $out" >&2; fi
}

# ---- setup as the first account, which becomes the admin of every insurer -------------------
check "the first account can import qualitas' catalog" "$MINCA" catalog import --insurer qualitas "$SRC/samples/catalog/demo_catver.csv"
check_eq "the first account became the admin of every insurer" "$me|admin|" \
  "$(psql_q "SELECT u.login || '|' || r.role || '|' || coalesce(r.insurer_id::text, '') FROM users u JOIN user_roles r ON r.user_id = u.id")"
check "and gnp's" "$MINCA" catalog import --insurer gnp "$SRC/samples/catalog/demo_catver.csv"
"$MINCA" batch --insurer qualitas "$SRC/samples/inbox" >/dev/null 2>&1
"$MINCA" batch --insurer gnp "$SRC/samples/inbox" >/dev/null 2>&1
qid=$(psql_q "SELECT id FROM insurers WHERE slug = 'qualitas'")
gid=$(psql_q "SELECT id FROM insurers WHERE slug = 'gnp'")
nq=$(psql_q "SELECT count(*) FROM cases WHERE insurer_id = $qid")
ng=$(psql_q "SELECT count(*) FROM cases WHERE insurer_id = $gid")
[ "$nq" -gt 0 ] && [ "$ng" -gt 0 ] && ok "both insurers have cases" || not_ok "both insurers have cases"

check "add a viewer" "$MINCA" user add ver --name "Vera Vista" --role viewer --insurer qualitas
check "add a reviewer" "$MINCA" user add rev --role reviewer --insurer qualitas
check "add a supervisor" "$MINCA" user add sup --role supervisor --insurer qualitas
check "add an admin of qualitas" "$MINCA" user add adm --role admin --insurer qualitas
check "add a reviewer of gnp" "$MINCA" user add otro --role reviewer --insurer gnp
out=$("$MINCA" user list)
check_match "user list shows the roles" "ver +Vera Vista +yes +qualitas=viewer" "$out"
check_eq "every role change is audited" "5" "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'user.grant'")"

# a case of each insurer with rows to review, and one of qualitas that is ready
case_with() { psql_q "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id JOIN matches x ON x.vehicle_row_id = v.id
                      WHERE k.insurer_id = $1 AND x.decision = 'needs_review' GROUP BY k.cot ORDER BY count(*) DESC, k.cot LIMIT 1"; }
qcot=$(case_with "$qid"); gcot=$(case_with "$gid")
qrow=$(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id
               WHERE k.cot = '$qcot' AND k.insurer_id = $qid AND x.decision = 'needs_review' ORDER BY v.inciso LIMIT 1")
grow=$(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id
               WHERE k.cot = '$gcot' AND k.insurer_id = $gid AND x.decision = 'needs_review' ORDER BY v.inciso LIMIT 1")
ready=$(psql_q "SELECT cot FROM cases WHERE insurer_id = $qid AND status = 'ready' ORDER BY cot LIMIT 1")

# ---- viewer ------------------------------------------------------------------------------
check "a viewer lists the cases" as ver case list
check "a viewer shows a case" as ver case show "$qcot"
refused "a viewer may not decide a row" "deciding rows needs the reviewer role for insurer qualitas \(ver is a viewer there\)" \
  as ver review "$qcot" accept "$qrow"
refused "a viewer may not write a note" "needs the reviewer role for insurer qualitas" as ver review "$qcot" note "$qrow" hola
refused "a viewer may not export" "exporting needs the supervisor role for insurer qualitas" as ver export "$ready"
refused "a viewer may not read the audit trail" "needs the reviewer role for insurer qualitas" as ver audit list --case "$qcot"
refused "a viewer sees nothing of gnp" "needs the viewer role for insurer gnp \(ver has no role there\)" \
  as ver case list --insurer gnp

# ---- reviewer ----------------------------------------------------------------------------
check "a reviewer decides a row" as rev review "$qcot" accept "$qrow"
check_eq "the decision is audited with the reviewer's login and the real account" "rev|$me" \
  "$(psql_q "SELECT actor || '|' || os_login FROM audit_log WHERE action = 'review.accept' ORDER BY id DESC LIMIT 1")"
check "a reviewer writes a note" as rev review "$qcot" note "$qrow" "revisado"
refused "a reviewer may not export" "exporting needs the supervisor role for insurer qualitas \(rev is a reviewer there\)" \
  as rev export "$ready"
refused "a reviewer may not re-run a case" "re-running a case needs the supervisor role" as rev case rerun "$qcot"
refused "a reviewer may not revoke a correction" "revoking a correction needs the supervisor role" \
  as rev correction revoke "$(psql_q "SELECT max(id) FROM corrections")"
out=$(as rev audit list --case "$qcot")
check_match "a reviewer reads the case's audit trail" "rev .*review.accept" "$out"
refused "a reviewer of qualitas may not decide a gnp row" "needs the viewer role for insurer gnp" \
  as rev review "$gcot" accept "$grow" --insurer gnp
check_eq "the gnp row is untouched" "needs_review" \
  "$(psql_q "SELECT x.decision FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id
             WHERE k.cot = '$gcot' AND k.insurer_id = $gid AND v.inciso = $grow")"
check "the gnp reviewer decides it" as otro review "$gcot" accept "$grow" --insurer gnp
refused "the gnp reviewer may not read qualitas" "needs the viewer role for insurer qualitas" as otro case show "$qcot"

# ---- supervisor --------------------------------------------------------------------------
check "a supervisor exports" as sup export "$ready"
check_eq "the export is audited with the supervisor" "sup" \
  "$(psql_q "SELECT actor FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1")"
xpath=$(psql_q "SELECT path FROM exports WHERE insurer_id = $qid ORDER BY id DESC LIMIT 1")
check_eq "the exported workbook is readable by its owner and group only" "640" "$(stat -c %a "$xpath" 2>&1)"
check_eq "so is the log" "640" "$(stat -c %a "$MINCA_HOME/log/minca.log" 2>&1)"
refused "a supervisor of qualitas may not export a gnp case" "exporting needs|needs the viewer role for insurer gnp" \
  as sup export "$gcot" --insurer gnp --force
check_eq "nothing of gnp was exported" "0" "$(psql_q "SELECT count(*) FROM exports WHERE insurer_id = $gid")"
refused "a supervisor may not import a catalog" "importing a catalog needs the admin role for insurer qualitas" \
  as sup catalog import --insurer qualitas "$SRC/samples/catalog/demo_catver.csv"
refused "a supervisor may not change thresholds" "changing insurer settings needs the admin role" \
  as sup insurer set qualitas auto_accept 0.97
refused "a supervisor may not manage users" "managing users needs the admin role" as sup user grant ver reviewer --insurer qualitas
refused "a supervisor may not ingest mail" "ingesting mail needs the admin role" as sup batch --insurer qualitas "$SRC/samples/inbox"

# ---- admin of qualitas -------------------------------------------------------------------
check "an admin sets a threshold" as adm insurer set qualitas auto_accept 0.97
check_eq "the change is audited with old and new value" "adm|auto_accept|null|0.97" \
  "$(psql_q "SELECT actor || '|' || (details->>'key') || '|' || coalesce(details->>'old', 'null') || '|' || (details->>'new')
             FROM audit_log WHERE action = 'insurer.set' ORDER BY id DESC LIMIT 1")"
check "a second change" as adm insurer set qualitas auto_accept 0.98
check_eq "records the previous value" "0.97|0.98" \
  "$(psql_q "SELECT (details->>'old') || '|' || (details->>'new') FROM audit_log WHERE action = 'insurer.set' ORDER BY id DESC LIMIT 1")"
refused "no_match must stay below auto_accept" "must stay below auto_accept" as adm insurer set qualitas no_match 0.99
refused "a threshold is a fraction" "between 0 and 1" as adm insurer set qualitas no_match 7
check "an admin sets the export template" as adm insurer set qualitas export_template gcotiza_v1
out=$(as ver insurer show qualitas)
check_match "insurer show lists the settings" "auto_accept +0.98" "$out"
check_match "and the template" "export_template +\"gcotiza_v1\"" "$out"
check "an admin imports a catalog" as adm catalog import --insurer qualitas "$SRC/samples/catalog/demo_catver.csv"
check "an admin grants a role on their insurer" as adm user grant ver reviewer --insurer qualitas
check "and takes it back" as adm user grant ver viewer --insurer qualitas
refused "an admin of qualitas may not grant on gnp" "managing users needs the admin role for insurer gnp" \
  as adm user grant ver viewer --insurer gnp
refused "nor on every insurer" "needs the admin role for every insurer" as adm user grant ver viewer --all
refused "nor change gnp's thresholds" "needs the admin role for insurer gnp" as adm insurer set gnp auto_accept 0.5
out=$(as ver user whoami)
check_match "MINCA_USER by an admin of every insurer acts as that user, and says so" "ver \(account $me, acting through MINCA_USER\)" "$out"
check_match "with that user's roles" "roles: qualitas=viewer" "$out"

check_match "a viewer sees the queue's status" "jobs" "$(as ver status 2>&1)"
check "disable a user" "$MINCA" user disable ver
refused "a disabled user is refused" "ver is disabled" as ver case list
refused "also by status" "ver is disabled" as ver status
check "enable again" "$MINCA" user enable ver

# ---- the identity is the account, not the environment ------------------------------------
if [ "$(id -u)" = 0 ] && id minca >/dev/null 2>&1 && command -v runuser >/dev/null; then
  out=$(cd / && runuser -u minca -- env MINCA_HOME="$T_TMP/minca-home" MINCA_DATABASE_URL="$MINCA_DATABASE_URL" \
        MINCA_REDIS_URL="${MINCA_REDIS_URL:-}" MINCA_USER="$me" MINCA_CONFIG=/dev/null "$MINCA" case list 2>&1); rc=$?
  if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q "the account minca is not a minca user"; then
    ok "another account naming an admin in MINCA_USER is refused"
  else not_ok "another account naming an admin in MINCA_USER is refused"; echo "# exit $rc: $out" >&2; fi
else
  skip "another account naming an admin in MINCA_USER is refused" "needs root and the minca system user"
fi

# ---- isolation in the database, connecting the way the application does ------------------
app() { psql "$MINCA_DATABASE_URL" -X -A -t -q -v ON_ERROR_STOP=1 \
          -c "SET ROLE minca_app" -c "SELECT set_config('minca.insurer_ids', '$1', false)" -c "$2" 2>&1 | sed 1d; }
check_eq "a query without WHERE sees only qualitas' cases" "$nq" "$(app "$qid" "SELECT count(*) FROM cases")"
check_eq "and only its vehicle rows" "$(psql_q "SELECT count(*) FROM vehicle_rows WHERE insurer_id = $qid")" \
  "$(app "$qid" "SELECT count(*) FROM vehicle_rows")"
check_eq "no message of gnp" "0" "$(app "$qid" "SELECT count(*) FROM messages WHERE insurer_id = $gid")"
check_eq "no audit entry of gnp" "0" "$(app "$qid" "SELECT count(*) FROM audit_log WHERE insurer_id = $gid")"
check_eq "an update of gnp's cases changes nothing" "" \
  "$(app "$qid" "UPDATE cases SET client_name = 'X' WHERE insurer_id = $gid RETURNING id")"
check_eq "gnp's clients are unchanged" "0" "$(psql_q "SELECT count(*) FROM cases WHERE client_name = 'X'")"
out=$(app "$qid" "INSERT INTO corrections (insurer_id, norm_key, created_by) VALUES ($gid, 'x', 'rev')")
check_match "inserting a gnp row is refused" "row-level security" "$out"
check_eq "a session without a scope sees nothing" "0" "$(app "" "SELECT count(*) FROM cases")"
check_eq "a session of both sees both" "$((nq + ng))" "$(app "$qid,$gid" "SELECT count(*) FROM cases")"
out=$(app "*" "UPDATE audit_log SET actor = 'x'")
check_match "the application may not change the audit log" "permission denied" "$out"
out=$(app "*" "DELETE FROM audit_log")
check_match "nor delete from it" "permission denied" "$out"
out=$(app "*" "CREATE TABLE intruder (x int)")
check_match "the application role owns nothing and creates nothing" "permission denied" "$out"
check_match "a configured server's session acts as the application role" "acting as minca_app, insurers \\*" "$("$MINCA" user whoami)"
check_match "a user's session is scoped to their insurers" "acting as minca_app, insurers $qid\$" "$(as rev user whoami)"
check_eq "the application role is no superuser" "false|false" "$(psql_q "SELECT rolsuper || '|' || rolbypassrls FROM pg_roles WHERE rolname = 'minca_app'")"

# ---- the audit chain -----------------------------------------------------------------------
out=$("$MINCA" audit verify); rc=$?
check_eq "the untouched audit trail verifies" "0" "$rc"
check_match "verify counts the entries" "audit entries in [0-9]+ chain\(s\): every entry intact" "$out"
out=$("$MINCA" audit list --user rev)
check_match "audit list --user filters by login" "review.accept" "$out"
check_no_match "and shows no one else" " sup | adm " "$out"
check_match "audit list --since" "review.accept" "$("$MINCA" audit list --since 2000-01-01 --insurer qualitas)"
"$MINCA" audit verify --json >"$T_TMP/heads.json"
check_match "verify --json gives each chain's head" '"last_hash": "[0-9a-f]{64}"' "$(cat "$T_TMP/heads.json")"
victim=$(psql_q "SELECT id FROM audit_log WHERE action = 'review.accept' AND actor = 'rev' ORDER BY id LIMIT 1")
refused "even the owner cannot change an entry while the guard is on" "append-only" \
  psql "$MINCA_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "UPDATE audit_log SET actor = 'ver' WHERE id = $victim"
psql "$MINCA_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica" \
  -c "UPDATE audit_log SET actor = 'ver' WHERE id = $victim" >/dev/null
out=$("$MINCA" audit verify); rc=$?
check_eq "verify fails after a superuser changed an entry" "1" "$rc"
check_match "and names the entry" "id $victim\): entry was changed" "$out"
psql "$MINCA_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica" \
  -c "UPDATE audit_log SET actor = 'rev' WHERE id = $victim" >/dev/null
check "restoring it makes the chain whole again" "$MINCA" audit verify
# a superuser rewriting a whole chain consistently (recomputing every hash) is caught by a
# head recorded earlier
psql "$MINCA_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica" -c "
  DO \$\$ DECLARE e record; prev text := repeat('0', 64); h text; BEGIN
    UPDATE audit_log SET actor = 'ver' WHERE id = $victim;
    FOR e IN SELECT * FROM audit_log WHERE chain = $qid ORDER BY seq LOOP
      h := minca_audit_hash(prev, e.chain, e.seq, e.insurer_id, e.at, e.actor, e.os_login, e.action, e.entity, e.entity_id, e.details);
      UPDATE audit_log SET prev_hash = prev, hash = h WHERE id = e.id;
      prev := h;
    END LOOP;
    UPDATE audit_chain_heads SET last_hash = prev WHERE chain = $qid;
  END \$\$" >/dev/null
check "a chain rewritten as a whole passes on its own" "$MINCA" audit verify
out=$("$MINCA" audit verify --heads "$T_TMP/heads.json"); rc=$?
check_eq "but not against the heads recorded before" "1" "$rc"
check_match "which says so" "the chain was rewritten since its head was recorded" "$out"
mid=$(psql_q "SELECT id FROM audit_log WHERE insurer_id = $qid ORDER BY seq OFFSET 2 LIMIT 1")
psql "$MINCA_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica" \
  -c "DELETE FROM audit_log WHERE id = $mid" >/dev/null
out=$("$MINCA" audit verify); rc=$?
check_eq "verify fails after a deleted entry" "1" "$rc"
check_match "and says one is missing" "1 entry missing before this one \(deleted\)" "$out"
last=$(psql_q "SELECT id FROM audit_log WHERE insurer_id = $gid ORDER BY seq DESC LIMIT 1")
psql "$MINCA_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica" \
  -c "DELETE FROM audit_log WHERE id = $last" >/dev/null
out=$("$MINCA" audit verify)
check_match "deleting the last entry of a chain shows too" "entries missing at the end" "$out"
refused "verifying needs the admin role" "verifying the audit trail needs the admin role" as sup audit verify

finish
