#include <glib.h>
#include "minca/core_config.h"
#include "minca/servers.h"
#include "store_internal.h"
#include "minca/store.h"
#include "minca/store_bootstrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PQerrorMessage without its trailing newline (thread-local copy). */
static const char *pq_message(PGconn *c)
{
    static __thread char buf[1024];
    snprintf(buf, sizeof buf, "%s", c ? PQerrorMessage(c) : "out of memory");
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return buf;
}

/* Server notices (warnings) go to the log: the TUI owns the terminal. */
static void log_notice(void *arg, const char *message)
{
    (void)arg;
    log_debug("postgresql: %.*s", (int)strcspn(message, "\n"), message);
}

/* ---- the session of the logged-in user --------------------------------------------------- */

static char session_scope[8192];
static bool session_scoped;
static char audit_os_login[256];
static store_login_fn login_hook;

void store_set_session_scope(const char *insurer_ids)
{
    session_scoped = insurer_ids != NULL;
    snprintf(session_scope, sizeof session_scope, "%s", insurer_ids ? insurer_ids : "");
}

void store_set_login_hook(store_login_fn fn) { login_hook = fn; }

void store_set_audit_os_login(const char *login)
{
    snprintf(audit_os_login, sizeof audit_os_login, "%s", login ? login : "");
}

const char *store_audit_os_login(void) { return audit_os_login[0] ? audit_os_login : NULL; }

int store_session_apply(PGconn *c, minca_err *err)
{
    if (!session_scoped)
        return 0;
    const char *p[] = {session_scope};
    /* The application role, when this login may take it (the owner, or a member of it): the
     * session then has minca_app's rights only and row-level security applies. */
    PGresult *r = store_query(c, err,
                              "SELECT set_config('minca.insurer_ids', $1, false),"
                              "       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'minca_app')"
                              "       AND current_user <> 'minca_app' AND pg_has_role('minca_app', 'MEMBER')",
                              1, p);
    if (!r)
        return -1;
    bool switch_role = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
    PQclear(r);
    if (switch_role && store_exec(c, err, "SET ROLE minca_app", 0, NULL) < 0)
        return -1;
    return 0;
}

/* Connects to url: the owner's (servers_database_url) or the application's login. */
static PGconn *connect_plain(const char *url, minca_err *err)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        char *masked = config_mask_url(url);
        minca_err_set(err, "cannot connect to PostgreSQL at %s: %s", masked,
                      pq_message(c));
        g_free(masked);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, log_notice, NULL);
    PGresult *r = PQexec(c, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    PQclear(r);
    return c;
}

/* Once a user is logged in, connections use the application's login; before (migrations,
 * the login check) and in processes that log no one in, the owner's. */
static const char *session_url(void)
{
    return session_scoped ? servers_app_database_url() : servers_database_url();
}

PGconn *store_connect(minca_err *err)
{
    PGconn *c = connect_plain(session_url(), err);
    if (c && store_session_apply(c, err) < 0) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

PGconn *store_connect_timeout(int timeout_seconds, minca_err *err)
{
    const char *url = session_url();
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", timeout_seconds > 0 ? timeout_seconds : 1);
    const char *keys[] = {"dbname", "connect_timeout", NULL};
    const char *values[] = {url, timeout, NULL};
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        char *masked = config_mask_url(url);
        minca_err_set(err, "cannot connect to PostgreSQL at %s: %s", masked, pq_message(c));
        g_free(masked);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, log_notice, NULL);
    PGresult *r = PQexec(c, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    PQclear(r);
    if (store_session_apply(c, err) < 0) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

PGconn *store_events_listen(minca_err *err)
{
    PGconn *c = store_connect(err);
    if (c && store_exec(c, err, "LISTEN minca_events", 0, NULL) < 0) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

int store_events_drain(PGconn *c)
{
    if (!PQconsumeInput(c))
        return -1;
    int n = 0;
    PGnotify *note;
    while ((note = PQnotifies(c))) {
        n++;
        PQfreemem(note);
    }
    return n;
}

PGconn *store_open(minca_err *err)
{
    if (store_servers_ensure(err) < 0)
        return NULL;
    PGconn *c = connect_plain(servers_database_url(), err);
    if (!c)
        return NULL;
    int rc = 0;
    if (!config_team_staff()) {
        /* A team desk's schema is the service account's: it migrates at minca service start. */
        char *dir = core_path_join(config_share_dir(), "migrations");
        rc = store_migrate(c, dir, NULL, err);
        g_free(dir);
    }
    if (rc == 0 && login_hook)
        rc = login_hook(c, err);
    if (rc == 0 && session_scoped && strcmp(servers_app_database_url(), servers_database_url()) != 0) {
        /* The rest of the command talks as the application's login, not the owner's. */
        PQfinish(c);
        return store_connect(err);
    }
    if (rc == 0)
        rc = store_session_apply(c, err);
    if (rc < 0) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

PGresult *store_query(PGconn *c, minca_err *err, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    /* The server's primary message (and detail), without the "ERROR:" framing. */
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    if (primary)
        minca_err_set(err, "%s%s%s%s", primary, detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
    else
        minca_err_set(err, "%s", pq_message(c));
    PQclear(r);
    return NULL;
}

int store_exec(PGconn *c, minca_err *err, const char *sql, int n, const char *const *params)
{
    PGresult *r = store_query(c, err, sql, n, params);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

int store_begin(PGconn *c, minca_err *err) { return store_exec(c, err, "BEGIN", 0, NULL); }
int store_commit(PGconn *c, minca_err *err) { return store_exec(c, err, "COMMIT", 0, NULL); }

void store_rollback(PGconn *c)
{
    PGresult *r = PQexec(c, "ROLLBACK");
    PQclear(r);
}

static json_t *value_json(PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return json_null();
    const char *v = PQgetvalue(r, row, col);
    switch (PQftype(r, col)) {
    case 16: /* bool */
        return json_boolean(v[0] == 't');
    case 20: case 21: case 23: /* int8, int2, int4 */
        return json_integer(strtoll(v, NULL, 10));
    case 700: case 701: case 1700: /* float4, float8, numeric */
        return json_real(strtod(v, NULL));
    case 114: case 3802: { /* json, jsonb */
        json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
        return j ? j : json_string(v);
    }
    default:
        return json_string(v);
    }
}

json_t *store_result_json(PGresult *r)
{
    json_t *arr = json_array();
    int rows = PQntuples(r), cols = PQnfields(r);
    for (int i = 0; i < rows; i++) {
        json_t *obj = json_object();
        for (int j = 0; j < cols; j++)
            json_object_set_new(obj, PQfname(r, j), value_json(r, i, j));
        json_array_append_new(arr, obj);
    }
    return arr;
}

json_t *store_query_json(PGconn *c, minca_err *err, const char *sql, int n, const char *const *params)
{
    PGresult *r = store_query(c, err, sql, n, params);
    if (!r)
        return NULL;
    json_t *j = store_result_json(r);
    PQclear(r);
    return j;
}
