#!/usr/bin/env bash
# Every table has row-level security and a policy for the staff group role (migration 080): a
# table a later migration adds without them is named here. A person of a team desk (a member
# of minca_staff) then sees nothing of it rather than all of it.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_team_rls || { not_ok "create test database"; finish; exit 1; }
unset MINCA_USER
check "the migrations apply" "$MINCA" db migrate
# Tables without row-level security, and tables with it but no policy for the staff group.
unguarded() {
  psql_q "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
             AND (NOT c.relrowsecurity
                  OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
                                    AND (SELECT oid FROM pg_roles WHERE rolname = 'minca_staff') = ANY (p.polroles)))"
}
check_eq "every table has row-level security and a staff policy" "" "$(unguarded)"
check_eq "no staff grant on who-may-do-what or the audit trail" "" \
  "$(psql_q "SELECT string_agg(table_name || ':' || privilege_type, ' ' ORDER BY 1) FROM information_schema.role_table_grants
              WHERE grantee = 'minca_staff' AND privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
                AND table_name IN ('users', 'user_roles', 'insurers', 'audit_log', 'audit_chain_heads', 'schema_migrations')")"
check_eq "the staff group role logs nobody in and bypasses nothing" "false|false|false" \
  "$(psql_q "SELECT rolcanlogin || '|' || rolbypassrls || '|' || rolsuper FROM pg_roles WHERE rolname = 'minca_staff'")"
# The check finds what it is for: a table added without them.
psql_q "CREATE TABLE planted_without_rls (id int)"
check_eq "a table without row-level security is named" "planted_without_rls" "$(unguarded)"
psql_q "ALTER TABLE planted_without_rls ENABLE ROW LEVEL SECURITY"
check_eq "and one with no staff policy" "planted_without_rls" "$(unguarded)"
psql_q "DROP TABLE planted_without_rls"
finish
