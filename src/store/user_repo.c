/* Users and their roles per insurer. */
#include "minca/store.h"
#include "store_internal.h"
#include "minca/store_user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_user_find(PGconn *c, const char *login, store_user *out, minca_err *err)
{
    const char *p[] = {login};
    PGresult *r = store_query(c, err, "SELECT id, login, display_name, active FROM users WHERE login = $1", 1, p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->id = store_get_ll(r, 0, 0);
        snprintf(out->login, sizeof out->login, "%s", PQgetvalue(r, 0, 1));
        snprintf(out->display_name, sizeof out->display_name, "%s", PQgetvalue(r, 0, 2));
        out->active = PQgetvalue(r, 0, 3)[0] == 't';
    }
    PQclear(r);
    return found;
}

long store_user_count(PGconn *c, minca_err *err)
{
    PGresult *r = store_query(c, err, "SELECT count(*) FROM users", 0, NULL);
    if (!r)
        return -1;
    long n = (long)store_get_ll(r, 0, 0);
    PQclear(r);
    return n;
}

int store_user_add(PGconn *c, const char *login, const char *display_name, const char *by, long long audit_insurer,
                   long long *id_out, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, login);
    store_param_text(&p, display_name ? display_name : "");
    store_param_text(&p, by);
    store_param_text(&p, store_audit_os_login());
    store_param_id(&p, audit_insurer);
    PGresult *r = store_query_p(c, err, "SELECT minca_user_add($1, $2, $3, $4, $5::bigint)", &p);
    if (!r)
        return -1;
    if (id_out)
        *id_out = store_get_ll(r, 0, 0);
    PQclear(r);
    return 0;
}

int store_user_set_active(PGconn *c, long long user_id, bool active, const char *by, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, user_id);
    store_param_bool(&p, active);
    store_param_text(&p, by);
    store_param_text(&p, store_audit_os_login());
    return store_exec_p(c, err, "SELECT minca_user_set_active($1::bigint, $2::boolean, $3, $4)", &p);
}

int store_user_grant(PGconn *c, long long user_id, long long insurer_id, const char *role, const char *by,
                     char *old_role, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, user_id);
    store_param_id(&p, insurer_id);
    store_param_text(&p, role);
    store_param_text(&p, by);
    store_param_text(&p, store_audit_os_login());
    PGresult *r = store_query_p(c, err, "SELECT minca_user_grant($1::bigint, $2::bigint, $3, $4, $5)", &p);
    if (!r)
        return -1;
    if (old_role)
        snprintf(old_role, 32, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int store_user_revoke(PGconn *c, long long user_id, long long insurer_id, const char *by, char *old_role,
                      minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, user_id);
    store_param_id(&p, insurer_id);
    store_param_text(&p, by);
    store_param_text(&p, store_audit_os_login());
    PGresult *r = store_query_p(c, err, "SELECT minca_user_revoke($1::bigint, $2::bigint, $3, $4)", &p);
    if (!r)
        return -1;
    int had = !PQgetisnull(r, 0, 0);
    if (old_role)
        snprintf(old_role, 32, "%s", had ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return had;
}

json_t *store_user_roles(PGconn *c, long long user_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, user_id);
    return store_query_json_p(c, err,
                              "SELECT r.insurer_id, coalesce(i.slug, '*') AS insurer, r.role"
                              "  FROM user_roles r LEFT JOIN insurers i ON i.id = r.insurer_id"
                              " WHERE r.user_id = $1::bigint ORDER BY r.insurer_id NULLS FIRST",
                              &p);
}

json_t *store_user_list(PGconn *c, minca_err *err)
{
    return store_query_json(c, err,
                            "SELECT u.login, u.display_name, u.active, u.created_at::text AS created_at,"
                            "       coalesce((SELECT json_agg(json_build_object('insurer', coalesce(i.slug, '*'),"
                            "                                                   'role', r.role)"
                            "                          ORDER BY r.insurer_id NULLS FIRST)"
                            "                   FROM user_roles r LEFT JOIN insurers i ON i.id = r.insurer_id"
                            "                  WHERE r.user_id = u.id), '[]'::json) AS roles"
                            "  FROM users u ORDER BY u.login",
                            0, NULL);
}

int store_user_bootstrap(PGconn *c, const char *login, minca_err *err)
{
    if (store_begin(c, err) < 0)
        return -1;
    const char *p[] = {login};
    PGresult *r = NULL;
    if (store_exec(c, err, "SELECT pg_advisory_xact_lock(727710050)", 0, NULL) < 0 ||
        !(r = store_query(c, err,
                          "WITH u AS (INSERT INTO users (login, display_name, created_by)"
                          "           SELECT $1, $1, $1 WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING id)"
                          " INSERT INTO user_roles (user_id, insurer_id, role, granted_by)"
                          " SELECT id, NULL, 'admin', $1 FROM u RETURNING user_id",
                          1, p))) {
        store_rollback(c);
        return -1;
    }
    int created = PQntuples(r) > 0;
    PQclear(r);
    if (created) {
        json_t *d = json_pack("{s:s, s:s}", "role", "admin", "insurer", "*");
        int arc = store_audit(c, 0, login, "user.bootstrap", "user", login, d, err);
        json_decref(d);
        if (arc < 0) {
            store_rollback(c);
            return -1;
        }
    }
    if (store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return created;
}

int store_session_describe(PGconn *c, store_session_info *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    PGresult *r = store_query(c, err, "SELECT session_user, current_user, current_setting('minca.insurer_ids', true)",
                              0, NULL);
    if (!r)
        return -1;
    snprintf(out->login, sizeof out->login, "%s", PQgetvalue(r, 0, 0));
    snprintf(out->acting_as, sizeof out->acting_as, "%s", PQgetvalue(r, 0, 1));
    snprintf(out->insurers, sizeof out->insurers, "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    return 0;
}
