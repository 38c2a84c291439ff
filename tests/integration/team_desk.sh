#!/usr/bin/env bash
# A desk for a team on one host, attacked by its own staff: real operating-system accounts (a
# service account, an admin, a reviewer of insurer A, a viewer of A, a reviewer of B) on a desk
# set up by `minca service init`. Each person is the database role peer authentication gives
# their account: by the CLI, by psql on the service's socket, by set_config, through every
# table, with an LD_PRELOAD identity shim, they see and change only what their roles allow;
# users, roles, insurers and the audit trail change only through the database's functions; a
# disabled person is refused at once; Redis answers the service account alone. Where an
# attack works on the single-person path (minca_app with a client-set scope) it is shown to.
# Needs root (CI runs as root): it creates accounts and removes them when it ends.
source "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" -ne 0 ]; then
  skip "team desk" "needs root: it creates operating-system accounts (CI runs as root)"
  finish; exit 0
fi
for prog in useradd userdel groupdel gpasswd runuser psql redis-cli cc; do
  if ! command -v "$prog" >/dev/null; then skip "team desk" "$prog is not installed"; finish; exit 0; fi
done

P="mt$(printf '%05d' $(($$ % 100000)))"
SVC=${P}svc
GRP=${SVC}-staff
ADM=${P}adm REVA=${P}reva VIEW=${P}view REVB=${P}revb
PEOPLE=("$ADM" "$REVA" "$VIEW" "$REVB")
H=$T_TMP/h
CONF=$T_TMP/etc/config.yaml
SOCK=$H/pg/run
mkdir -p "$T_TMP/people" && chmod 755 "$T_TMP/people"

cleanup() {
  env -u MINCA_DATABASE_URL -u MINCA_REDIS_URL -u MINCA_HOME MINCA_CONFIG="$CONF" "$MINCA" service stop >/dev/null 2>&1
  for u in "${PEOPLE[@]}" "$SVC"; do
    pkill -KILL -u "$u" 2>/dev/null
    userdel "$u" >/dev/null 2>&1
  done
  groupdel "$GRP" >/dev/null 2>&1
  rm -rf "$H"
}
on_exit cleanup

# Commands as an account, with nothing of the test's own servers in the environment.
clean_env=(env -u MINCA_DATABASE_URL -u MINCA_REDIS_URL -u MINCA_APP_DATABASE_URL -u MINCA_HOME -u MINCA_USER
           -u PGUSER -u PGHOST -u PGDATABASE MINCA_CONFIG="$CONF")
as() { local u=$1; shift; runuser -u "$u" -- "${clean_env[@]}" HOME="$T_TMP/people/$u" MINCA_INSURER=qualitas "$MINCA" "$@"; }
assvc() { runuser -u "$SVC" -- "${clean_env[@]}" HOME="$H" MINCA_INSURER=qualitas "$MINCA" "$@"; }
# psql as an account on the service's socket: the role is the one peer authentication gives.
sql() { local u=$1; shift; runuser -u "$u" -- env -u PGUSER psql "host=$SOCK port=5432 dbname=minca" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
# refused NAME REGEX COMMAND...: the command fails and its message matches REGEX.
refused() {
  local name=$1 re=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ $rc -ne 0 ] && printf '%s' "$out" | grep -qE -- "$re"; then ok "$name"; else
    not_ok "$name"; echo "# $name: exit $rc, [$re] not in: $out" >&2; fi
}

# ---- set-up: the service, its servers, two insurers with cases -------------------------------
out=$(env -u MINCA_DATABASE_URL -u MINCA_REDIS_URL -u MINCA_HOME -u MINCA_USER MINCA_CONFIG="$CONF" \
      "$MINCA" service init --home "$H" --account "$SVC" --config "$CONF" 2>&1)
check_match "service init sets up the desk" "team desk ready" "$out"
check "the service account exists" id "$SVC"
check_eq "the home is the account's, 0750, group staff" "750 $SVC $GRP" "$(stat -c '%a %U %G' "$H")"
check_eq "the config file is world-readable" "644" "$(stat -c '%a' "$CONF")"
check_fails "the config file holds no password" grep -qiE "password *[:=]|secret *[:=]|://[^ ]*:[^ ]*@" "$CONF"
check_eq "PostgreSQL runs as the service account" "$SVC" "$(ps -o user= -p "$(head -1 "$H/pg/data/postmaster.pid")" | tr -d ' ')"
check_eq "Redis runs as the service account" "$SVC" "$(ps -o user= -p "$(cat "$H/run/redis.pid")" | tr -d ' ')"
check_eq "PostgreSQL listens on no TCP port" "" "$(runuser -u "$SVC" -- psql "host=$SOCK port=5432 user=minca dbname=minca" -XAtqc "SHOW listen_addresses" 2>&1)"
out=$(env -u MINCA_DATABASE_URL MINCA_CONFIG="$CONF" "$MINCA" service status 2>&1)
check_match "service status says it runs" "postgresql: running" "$out"

check "the service imports insurer A's catalog" assvc catalog import --insurer qualitas "$SRC/samples/catalog/demo_catver.csv"
check "and B's" assvc catalog import --insurer gnp "$SRC/samples/catalog/demo_catver.csv"
assvc batch --insurer qualitas "$SRC/samples/inbox" >/dev/null 2>&1
assvc batch --insurer gnp "$SRC/samples/inbox" >/dev/null 2>&1
# One mail only B received: its bytes are B's alone.
mkdir -p "$T_TMP/onlyb" && chmod 755 "$T_TMP/onlyb"
mk_eml "<solo-b-$P@corredor>" "Cotizacion solo B $P" >"$T_TMP/onlyb/b.eml"
assvc batch --insurer gnp "$T_TMP/onlyb" >/dev/null 2>&1
owner() { runuser -u "$SVC" -- psql "host=$SOCK port=5432 user=minca dbname=minca" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
qid=$(owner "SELECT id FROM insurers WHERE slug = 'qualitas'")
gid=$(owner "SELECT id FROM insurers WHERE slug = 'gnp'")
nb=$(owner "SELECT count(*) FROM cases WHERE insurer_id = $gid")
[ "${nb:-0}" -gt 0 ] && [ "$(owner "SELECT count(*) FROM cases WHERE insurer_id = $qid")" -gt 0 ] \
  && ok "both insurers have cases" || not_ok "both insurers have cases"

for u in "${PEOPLE[@]}"; do
  useradd --create-home --home-dir "$T_TMP/people/$u" --shell /bin/bash "$u" >/dev/null 2>&1
  gpasswd -a "$u" "$GRP" >/dev/null 2>&1
done
check "the service adds an admin of every insurer" assvc user add "$ADM" --role admin --all
check "the admin adds a reviewer of A" as "$ADM" user add "$REVA" --role reviewer --insurer qualitas
check "a viewer of A" as "$ADM" user add "$VIEW" --role viewer --insurer qualitas
check "a reviewer of B" as "$ADM" user add "$REVB" --role reviewer --insurer gnp
check_eq "each person is a login role in the staff group" "4" \
  "$(owner "SELECT count(*) FROM pg_roles r WHERE r.rolcanlogin AND pg_has_role(r.oid, 'minca_staff', 'MEMBER') AND r.rolname LIKE '$P%'")"
check_eq "the user changes are audited with the admin's role" "3" \
  "$(owner "SELECT count(*) FROM audit_log WHERE action = 'user.add' AND actor = '$ADM' AND os_login = '$ADM'")"

# ---- the CLI ---------------------------------------------------------------------------------
out=$(as "$REVA" case list --insurer qualitas 2>&1)
check_match "reviewer A lists A's cases" "COT" "$out"
refused "reviewer A may not list B's cases" "needs the viewer role for insurer gnp|no insurer '?gnp" as "$REVA" case list --insurer gnp
out=$(as "$REVA" service status 2>&1)
check_match "a person's service status says whom the desk takes them for" "you log in as the database role $REVA" "$out"
refused "MINCA_USER is not honoured for a person" "not honoured on a team desk" \
  runuser -u "$REVA" -- "${clean_env[@]}" HOME="$T_TMP/people/$REVA" MINCA_USER="$ADM" "$MINCA" case list
gcot=$(owner "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id WHERE k.insurer_id = $gid ORDER BY k.cot LIMIT 1")
grow=$(owner "SELECT min(v.inciso) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$gcot' AND k.insurer_id = $gid")
refused "reviewer A may not note a row of B" "gnp|not found|no case|no such insurer" as "$REVA" review "$gcot" note "$grow" hola --insurer gnp

# ---- psql on the service socket, set_config, every table -------------------------------------
check_eq "reviewer A's psql session is their own role" "$REVA|$REVA" "$(sql "$REVA" "SELECT session_user || '|' || current_user")"
check_eq "reviewer A sees none of B's cases by psql" "0" "$(sql "$REVA" "SELECT count(*) FROM cases WHERE insurer_id = $gid")"
check_eq "nor after set_config('minca.insurer_ids', '*')" "0" \
  "$(sql "$REVA" "SELECT count(*) FROM (SELECT set_config('minca.insurer_ids', '*', false)) s, cases WHERE insurer_id = $gid")"
check_eq "the application role's scope is what set_config says (the single-person path: widened)" "t" \
  "$(owner "SET ROLE minca_app; SELECT set_config('minca.insurer_ids', '$qid', false); SELECT count(*) = 0 FROM cases WHERE insurer_id = $gid; SELECT set_config('minca.insurer_ids', '*', false); SELECT count(*) > 0 FROM cases WHERE insurer_id = $gid" | tail -1)"
leaks=""
for t in $(owner "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'insurer_id'
                  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"); do
  n=$(sql "$REVA" "SELECT count(*) FROM (SELECT set_config('minca.insurer_ids', '*', false)) s, $t WHERE insurer_id = $gid")
  [ "$n" = "0" ] || leaks="$leaks $t=$n"
done
check_eq "no table shows reviewer A a row of B" "" "$leaks"
check_eq "nor an insurer row of B" "0" "$(sql "$REVA" "SELECT count(*) FROM insurers WHERE id = $gid")"
bsha=$(owner "SELECT m.raw_sha256 FROM messages m WHERE m.insurer_id = $gid AND m.subject LIKE 'Cotizacion solo B%' LIMIT 1")
[ -n "$bsha" ] && ok "B's own mail has raw bytes" || not_ok "B's own mail has raw bytes"
check_eq "nor the bytes of B's mail" "0" "$(sql "$REVA" "SELECT count(*) FROM blobs WHERE sha256 = '$bsha'")"
check_eq "reviewer B reads them" "1" "$(sql "$REVB" "SELECT count(*) FROM blobs WHERE sha256 = '$bsha'")"
check_eq "an update of B's cases changes nothing" "" "$(sql "$REVA" "UPDATE cases SET status = status WHERE insurer_id = $gid")"
check_eq "B's rows unchanged (no update reached them)" "0" \
  "$(owner "SELECT count(*) FROM audit_log WHERE actor = '$REVA' AND insurer_id = $gid")"
refused "reviewer A may not insert a case of B" "row-level security|permission denied" \
  sql "$REVA" "INSERT INTO cases (insurer_id, cot, status) VALUES ($gid, 'X-$P', 'new')"
refused "a viewer may not change A's rows by psql" "row-level security|permission denied" \
  sql "$VIEW" "INSERT INTO cases (insurer_id, cot, status) VALUES ($qid, 'Y-$P', 'new')"
check_eq "a viewer's update of A's matches touches nothing" "0" \
  "$(sql "$VIEW" "WITH u AS (UPDATE matches SET decision = decision WHERE insurer_id = $qid RETURNING 1) SELECT count(*) FROM u")"

# ---- users, roles, insurers, audit: only through the functions -------------------------------
for u in "$ADM" "$REVA" "$VIEW"; do
  refused "$u may not write user_roles directly" "permission denied" \
    sql "$u" "INSERT INTO user_roles (user_id, insurer_id, role, granted_by) SELECT id, NULL, 'admin', 'x' FROM users WHERE login = '$u'"
  refused "$u may not change an insurer directly" "permission denied" sql "$u" "UPDATE insurers SET settings = '{}' WHERE id = $qid"
  refused "$u may not write the audit log directly" "permission denied" \
    sql "$u" "INSERT INTO audit_log (insurer_id, actor, action, entity) VALUES ($qid, 'someone', 'forged', 'x')"
  refused "$u may not delete audit entries" "permission denied" sql "$u" "DELETE FROM audit_log"
  refused "$u may not disable the append-only trigger" "must be owner|permission denied" \
    sql "$u" "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"
done
check "on the single-person path (minca_app) the same insert into user_roles goes through" \
  owner "BEGIN; SET ROLE minca_app; INSERT INTO user_roles (user_id, insurer_id, role, granted_by)
         SELECT id, NULL, 'admin', 'x' FROM users WHERE login = '$VIEW'; ROLLBACK"
refused "a viewer may not grant itself admin through the function" "needs the admin role" \
  sql "$VIEW" "SELECT minca_user_grant((SELECT id FROM users WHERE login = '$VIEW'), NULL, 'admin', 'x', 'x')"
refused "nor by the CLI" "needs the admin role|managing users" as "$VIEW" user grant "$VIEW" admin --all
refused "a viewer may not create roles" "permission denied|must be superuser" sql "$VIEW" "CREATE ROLE ${P}evil SUPERUSER"
refused "not even plain ones" "permission denied" sql "$VIEW" "CREATE ROLE ${P}evil"
refused "nor take the staff group's or another person's role" "permission denied|must have|not permitted" \
  sql "$VIEW" "SET ROLE $ADM"
refused "a reviewer may not change insurer settings through the function" "needs the admin role" \
  sql "$REVA" "SELECT minca_insurer_set($qid, 'auto_accept', '0.1', 'x', 'x')"
sql "$REVA" "SELECT minca_audit_add($qid, '$ADM', 'forged.entry', 'case', '1', '{}', '$ADM')" >/dev/null
check_eq "an audit entry a person writes names the session's role, whatever it claims" "$REVA|$REVA" \
  "$(owner "SELECT actor || '|' || os_login FROM audit_log WHERE action = 'forged.entry' ORDER BY id DESC LIMIT 1")"
refused "a reviewer of A may not write an audit entry of B" "needs a role" \
  sql "$REVA" "SELECT minca_audit_add($gid, 'x', 'forged', 'case', '1', '{}', 'x')"
refused "minca_app's audit entries stay within its scope, as before" "outside the session's insurers" \
  owner "SET ROLE minca_app; SELECT set_config('minca.insurer_ids', '$qid', false); SELECT minca_audit_add($gid, 'x', 'forged', 'case', '1', '{}', 'x')"
out=$(as "$ADM" audit verify 2>&1)
check_match "the audit chains verify" "intact" "$out"

# ---- an identity shim --------------------------------------------------------------------------
cat >"$T_TMP/shim.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pwd.h>
#include <stdlib.h>
struct passwd *getpwuid(uid_t uid)
{
    (void)uid;
    struct passwd *(*byname)(const char *) = (struct passwd *(*)(const char *))dlsym(RTLD_NEXT, "getpwnam");
    return byname(getenv("SHIM_AS"));
}
int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **out)
{
    (void)uid;
    int (*byname)(const char *, struct passwd *, char *, size_t, struct passwd **) =
        (int (*)(const char *, struct passwd *, char *, size_t, struct passwd **))dlsym(RTLD_NEXT, "getpwnam_r");
    return byname(getenv("SHIM_AS"), pw, buf, len, out);
}
EOF
cc -shared -fPIC -o "$T_TMP/shim.so" "$T_TMP/shim.c" -ldl && chmod 755 "$T_TMP/shim.so"
# A sanitizer build insists on its runtime coming first among preloaded libraries; the shim is
# preloaded on purpose, so that check is turned off for these runs (no other effect).
SHIM_PRELOAD=(LD_PRELOAD="$T_TMP/shim.so" SHIM_AS="$ADM" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
check_eq "the shim works: whoami says the admin" "$ADM" \
  "$(runuser -u "$VIEW" -- env LD_PRELOAD="$T_TMP/shim.so" SHIM_AS="$ADM" whoami 2>/dev/null)"
shim() { local u=$1; shift; runuser -u "$u" -- "${clean_env[@]}" HOME="$T_TMP/people/$u" MINCA_INSURER=qualitas \
           "${SHIM_PRELOAD[@]}" "$@" "$MINCA" "${SHIM_ARGS[@]}"; }
SHIM_ARGS=(case list --insurer gnp)
refused "under the shim the viewer is still refused B (peer authentication decides the role)" "authentication failed|gnp" shim "$VIEW"
qcot=$(owner "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id WHERE k.insurer_id = $qid ORDER BY k.cot LIMIT 1")
qrow=$(owner "SELECT min(v.inciso) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$qcot' AND k.insurer_id = $qid")
SHIM_ARGS=(review "$qcot" note "$qrow" "shim $P")
runuser -u "$REVA" -- "${clean_env[@]}" HOME="$T_TMP/people/$REVA" MINCA_INSURER=qualitas PGUSER="$REVA" \
  "${SHIM_PRELOAD[@]}" "$MINCA" review "$qcot" note "$qrow" "shim $P" >/dev/null 2>&1
check_eq "under the shim the audit names the session's role" "$REVA|$REVA" \
  "$(owner "SELECT actor || '|' || coalesce(os_login, '') FROM audit_log WHERE details::text LIKE '%shim $P%' OR (action LIKE 'review.%' AND actor IN ('$REVA', '$ADM')) ORDER BY id DESC LIMIT 1")"
refused "under the shim the viewer still may not decide" "needs the reviewer role|authentication failed" \
  runuser -u "$VIEW" -- "${clean_env[@]}" HOME="$T_TMP/people/$VIEW" MINCA_INSURER=qualitas PGUSER="$VIEW" \
  "${SHIM_PRELOAD[@]}" "$MINCA" review "$qcot" accept "$qrow"

# ---- Redis is the service's --------------------------------------------------------------------
check_eq "the service account reaches Redis" "PONG" "$(runuser -u "$SVC" -- redis-cli -s "$H/run/redis.sock" ping 2>&1)"
refused "a person cannot reach Redis" "denied|Could not connect|No such" runuser -u "$REVA" -- redis-cli -s "$H/run/redis.sock" ping
check_fails "not even the admin" runuser -u "$ADM" -- sh -c "redis-cli -s '$H/run/redis.sock' ping | grep -q PONG"

# ---- live updates without Redis: PostgreSQL notifies a person's desk -----------------------------
jid=$(owner "SELECT id FROM jobs WHERE insurer_id = $qid ORDER BY id LIMIT 1")
( echo "LISTEN minca_events;"; sleep 3; echo "SELECT 1;" ) |
  runuser -u "$REVA" -- psql "host=$SOCK port=5432 dbname=minca" -X >"$T_TMP/listen.out" 2>&1 &
lp=$!
sleep 1
owner "UPDATE jobs SET state = 'failed' WHERE id = $jid; UPDATE jobs SET state = 'done' WHERE id = $jid" >/dev/null
wait "$lp"
check_match "a finished job notifies a person's desk through PostgreSQL" 'notification "minca_events"' "$(cat "$T_TMP/listen.out")"

# ---- disabling a person ----------------------------------------------------------------------
runuser -u "$REVB" -- psql "host=$SOCK port=5432 dbname=minca" -XAtqc "SELECT pg_sleep(60)" >/dev/null 2>&1 &
held=$!
for _ in $(seq 50); do [ "$(owner "SELECT count(*) FROM pg_stat_activity WHERE usename = '$REVB'")" -gt 0 ] && break; sleep 0.1; done
check "the admin disables reviewer B" as "$ADM" user disable "$REVB"
for _ in $(seq 50); do kill -0 "$held" 2>/dev/null || break; sleep 0.1; done
kill -0 "$held" 2>/dev/null && { not_ok "B's open session ended at once"; kill "$held"; } || ok "B's open session ended at once"
wait "$held" 2>/dev/null
refused "a disabled person's minca is refused" "not permitted to log in|disabled" as "$REVB" case list --insurer gnp
refused "and their psql" "not permitted to log in" sql "$REVB" "SELECT 1"
check "the admin enables them again" as "$ADM" user enable "$REVB"
check_eq "and they log in" "1" "$(sql "$REVB" "SELECT 1")"

# ---- a person's desk in a terminal ------------------------------------------------------------
# The desk itself, run by reviewer A's account in tmux with nothing of the test's servers in its
# environment: it finds the team's database from the config file, names the person, lists A's
# cases and never B's, and refuses to switch to B.
if command -v tmux >/dev/null; then
  TMS="team-desk-$$"
  tm() { tmux -L "$TMS" -f /dev/null "$@"; }
  on_exit "tmux -L $TMS kill-server"
  bcot=$(owner "SELECT cot FROM cases WHERE insurer_id = $gid ORDER BY cot DESC LIMIT 1")
  qcot1=$(owner "SELECT cot FROM cases WHERE insurer_id = $qid ORDER BY cot LIMIT 1")
  printf -v desk_cmd '%q ' runuser -u "$REVA" -- "${clean_env[@]}" HOME="$T_TMP/people/$REVA" MINCA_INSURER=qualitas \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color "$MINCA"
  tm new-session -d -s reva -x 100 -y 30 "$desk_cmd; sleep 60"
  desk_wait() { local i=0 out; while :; do out=$(tm capture-pane -p -t reva); printf '%s' "$out" | grep -qE -- "$1" && break
                i=$((i + 1)); [ $i -ge 100 ] && break; sleep 0.1; done; printf '%s' "$out"; }
  out=$(desk_wait "$REVA@qualitas")
  check_match "reviewer A's desk opens as reviewer A of insurer A" "$REVA@qualitas" "$out"
  tm send-keys -t reva 2
  out=$(desk_wait "$qcot1")
  check_match "the desk's Cases pane lists A's cases" "$qcot1" "$out"
  check_no_match "and not B's" "$bcot" "$out"
  tm send-keys -t reva : "insurer gnp" Enter
  out=$(desk_wait "no insurer 'gnp'")
  check_match "the desk does not know B for reviewer A" "no insurer 'gnp'; known: qualitas" "$out"
  check_no_match "switching to B does not show B's cases" "$bcot" "$out"
  check_no_match "nor names the person a user of B" "$REVA@gnp" "$out"
  tm kill-server >/dev/null 2>&1
else
  skip "a person's desk in a terminal" "tmux is not installed"
fi

# ---- an account that is no person ----------------------------------------------------------------
useradd --no-create-home --shell /bin/bash "${P}out" >/dev/null 2>&1 && PEOPLE+=("${P}out")
refused "an account the admin never added has no way in" "authentication failed|no pg_hba|not permitted|Permission denied|does not exist" \
  runuser -u "${P}out" -- psql "host=$SOCK port=5432 dbname=minca" -XAtqc "SELECT 1"

out=$(env -u MINCA_DATABASE_URL MINCA_CONFIG="$CONF" "$MINCA" service stop 2>&1)
check_match "service stop stops the servers" "stopped" "$out"
finish
