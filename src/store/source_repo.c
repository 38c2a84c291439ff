/* Mail source state: cursors, counts, failures and back-off, and the messages handed in. */
#include <glib.h>
#include "minca/store_source.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void id_text(long long id, char *buf, size_t len) { snprintf(buf, len, "%lld", id); }

int store_source_ensure(PGconn *c, long long insurer_id, const char *name, const char *kind, store_source *out,
                        minca_err *err)
{
    memset(out, 0, sizeof *out);
    char ins[32];
    id_text(insurer_id, ins, sizeof ins);
    const char *p[] = {ins, name, kind};
    PGresult *r = store_query(c, err,
                              "INSERT INTO intake_sources (insurer_id, name, kind) VALUES ($1::bigint, $2, $3)"
                              " ON CONFLICT (insurer_id, name) DO UPDATE SET kind = EXCLUDED.kind"
                              " RETURNING id, cursor",
                              3, p);
    if (!r)
        return minca_err_prefix(err, "source %s", name);
    out->id = store_get_ll(r, 0, 0);
    out->insurer_id = insurer_id;
    out->cursor = PQgetisnull(r, 0, 1) ? NULL : g_strdup(PQgetvalue(r, 0, 1));
    PQclear(r);
    return 0;
}

void store_source_clear(store_source *s)
{
    if (!s)
        return;
    g_free(s->cursor);
    memset(s, 0, sizeof *s);
}

int store_source_seen(PGconn *c, long long source_id, const char *ext_id, minca_err *err)
{
    char id[32];
    id_text(source_id, id, sizeof id);
    const char *p[] = {id, ext_id};
    PGresult *r = store_query(c, err, "SELECT 1 FROM intake_seen WHERE source_id = $1::bigint AND ext_id = $2", 2, p);
    if (!r)
        return -1;
    int seen = PQntuples(r) > 0;
    PQclear(r);
    return seen;
}

int store_source_claim(PGconn *c, long long source_id, const char *ext_id, const char *sha, const char *error,
                       minca_err *err)
{
    char id[32];
    id_text(source_id, id, sizeof id);
    const char *p[] = {id, ext_id, sha, error};
    PGresult *r = store_query(c, err,
                              "INSERT INTO intake_seen (source_id, ext_id, raw_sha256, error)"
                              " VALUES ($1::bigint, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
                              4, p);
    if (!r)
        return -1;
    int fresh = PQntuples(r) > 0;
    PQclear(r);
    if (fresh && error && store_exec(c, err, "UPDATE intake_sources SET failed = failed + 1 WHERE id = $1::bigint", 1, p) < 0)
        return -1;
    return fresh;
}

int store_source_stored(PGconn *c, long long source_id, const char *ext_id, long long job_id, minca_err *err)
{
    char id[32], job[32];
    id_text(source_id, id, sizeof id);
    id_text(job_id, job, sizeof job);
    const char *p[] = {id, ext_id, job_id ? job : NULL};
    if (store_exec(c, err, "UPDATE intake_seen SET job_id = $3::bigint WHERE source_id = $1::bigint AND ext_id = $2", 3,
                   p) < 0)
        return -1;
    return store_exec(c, err, "UPDATE intake_sources SET messages = messages + 1 WHERE id = $1::bigint", 1, p);
}

int store_source_set_cursor(PGconn *c, long long source_id, const char *cursor, minca_err *err)
{
    if (!cursor)
        return 0;
    char id[32];
    id_text(source_id, id, sizeof id);
    const char *p[] = {id, cursor};
    return store_exec(c, err, "UPDATE intake_sources SET cursor = $2 WHERE id = $1::bigint", 2, p);
}

int store_source_poll_done(PGconn *c, long long source_id, const char *error, int interval_seconds, minca_err *err)
{
    char id[32], iv[32];
    id_text(source_id, id, sizeof id);
    snprintf(iv, sizeof iv, "%d", interval_seconds > 0 ? interval_seconds : 60);
    const char *p[] = {id, error, iv};
    return store_exec(
        c, err,
        "UPDATE intake_sources SET polls = polls + 1, last_poll_at = now(),"
        "       last_ok_at = CASE WHEN $2::text IS NULL THEN now() ELSE last_ok_at END,"
        "       last_error = $2::text,"
        "       failures = CASE WHEN $2::text IS NULL THEN 0 ELSE failures + 1 END,"
        "       failing_since = CASE WHEN $2::text IS NULL THEN NULL ELSE coalesce(failing_since, now()) END,"
        "       next_poll_at = now() + make_interval(secs => CASE WHEN $2::text IS NULL THEN $3::int"
        "            ELSE least(900, $3::int * power(2, least(failures, 10))) END)"
        " WHERE id = $1::bigint",
        3, p);
}

int store_source_due_in(PGconn *c, long long insurer_id, const char *name, double *seconds, minca_err *err)
{
    char ins[32];
    id_text(insurer_id, ins, sizeof ins);
    const char *p[] = {ins, name};
    PGresult *r = store_query(c, err,
                              "SELECT extract(epoch FROM next_poll_at - now())::float8 FROM intake_sources"
                              " WHERE insurer_id = $1::bigint AND name = $2",
                              2, p);
    if (!r)
        return -1;
    *seconds = PQntuples(r) ? store_get_double(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

/* Keys above every other advisory lock the schema uses (migrations take a small constant). */
#define SOURCE_LOCK_BASE "7310000000000000000"

int store_source_try_lock(PGconn *c, long long source_id, minca_err *err)
{
    char id[32];
    id_text(source_id, id, sizeof id);
    const char *p[] = {id};
    PGresult *r = store_query(c, err, "SELECT pg_try_advisory_lock(" SOURCE_LOCK_BASE " + $1::bigint)", 1, p);
    if (!r)
        return -1;
    int got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return got;
}

void store_source_unlock(PGconn *c, long long source_id)
{
    char id[32];
    id_text(source_id, id, sizeof id);
    const char *p[] = {id};
    store_exec(c, NULL, "SELECT pg_advisory_unlock(" SOURCE_LOCK_BASE " + $1::bigint)", 1, p);
}

int store_source_wake(PGconn *c, const char *name, minca_err *err)
{
    const char *p[] = {name};
    PGresult *r = store_query(c, err, "UPDATE intake_sources SET next_poll_at = now() WHERE name = $1 RETURNING 1", 1, p);
    if (!r)
        return -1;
    int n = PQntuples(r);
    PQclear(r);
    return n;
}

int store_source_subscription_get(PGconn *c, long long source_id, store_source_subscription *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    char id[32];
    id_text(source_id, id, sizeof id);
    const char *p[] = {id};
    PGresult *r = store_query(c, err,
                              "SELECT subscription_id,"
                              "       coalesce(extract(epoch FROM subscription_expires_at - now()), 0)::float8,"
                              "       lifecycle_event, lifecycle_pending"
                              "  FROM intake_sources WHERE id = $1::bigint",
                              1, p);
    if (!r)
        return -1;
    if (PQntuples(r)) {
        out->id = PQgetisnull(r, 0, 0) ? NULL : g_strdup(PQgetvalue(r, 0, 0));
        out->expires_in = store_get_double(r, 0, 1);
        out->event = PQgetisnull(r, 0, 2) ? NULL : g_strdup(PQgetvalue(r, 0, 2));
        out->pending = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
    }
    PQclear(r);
    return 0;
}

void store_source_subscription_clear(store_source_subscription *s)
{
    if (!s)
        return;
    g_free(s->id);
    g_free(s->event);
    memset(s, 0, sizeof *s);
}

int store_source_subscription_set(PGconn *c, long long source_id, const char *id, int64_t expires, minca_err *err)
{
    char sid[32], exp[32];
    id_text(source_id, sid, sizeof sid);
    snprintf(exp, sizeof exp, "%lld", (long long)expires);
    const char *p[] = {sid, id, exp};
    return store_exec(c, err,
                      "UPDATE intake_sources SET subscription_id = $2, subscription_expires_at = to_timestamp($3::bigint),"
                      "       subscription_error = NULL, lifecycle_pending = false WHERE id = $1::bigint",
                      3, p);
}

int store_source_subscription_failed(PGconn *c, long long source_id, const char *error, minca_err *err)
{
    char sid[32];
    id_text(source_id, sid, sizeof sid);
    const char *p[] = {sid, error};
    return store_exec(c, err, "UPDATE intake_sources SET subscription_error = $2 WHERE id = $1::bigint", 2, p);
}

int store_source_lifecycle(PGconn *c, const char *name, const char *subscription_id, const char *event,
                           minca_err *err)
{
    const char *p[] = {name, subscription_id, event};
    PGresult *r = store_query(c, err,
                              "UPDATE intake_sources SET lifecycle_event = $3, lifecycle_at = now(),"
                              "       lifecycle_pending = true, next_poll_at = now()"
                              " WHERE name = $1 AND ($2::text IS NULL OR subscription_id IS NULL OR subscription_id = $2)"
                              " RETURNING 1",
                              3, p);
    if (!r)
        return -1;
    int n = PQntuples(r);
    PQclear(r);
    return n;
}

int store_source_lifecycle_done(PGconn *c, long long source_id, const char *event, minca_err *err)
{
    char sid[32];
    id_text(source_id, sid, sizeof sid);
    const char *p[] = {sid, event};
    return store_exec(c, err,
                      "UPDATE intake_sources SET lifecycle_pending = false"
                      " WHERE id = $1::bigint AND ($2::text IS NULL OR lifecycle_event = $2)",
                      2, p);
}

STORE_ROW_READER(store_source_row, STORE_SOURCE_ROW_COLUMNS)

int store_source_list(PGconn *c, store_source_row_list *out, minca_err *err)
{
    return store_source_row_list_query(
        c,
        "SELECT s.name, i.slug AS insurer, s.kind, s.cursor, s.messages, s.failed, s.polls,"
        "       to_char(s.last_poll_at, 'YYYY-MM-DD HH24:MI:SS') AS last_poll,"
        "       to_char(s.last_ok_at, 'YYYY-MM-DD HH24:MI:SS') AS last_ok, s.last_error, s.failures,"
        "       to_char(s.failing_since, 'YYYY-MM-DD HH24:MI:SS') AS failing_since,"
        "       extract(epoch FROM s.next_poll_at - now())::float8 AS next_poll_in,"
        "       s.subscription_id, to_char(s.subscription_expires_at, 'YYYY-MM-DD HH24:MI:SS') AS subscription_expires,"
        "       s.subscription_error, s.lifecycle_event,"
        "       to_char(s.lifecycle_at, 'YYYY-MM-DD HH24:MI:SS') AS lifecycle_at, s.lifecycle_pending"
        "  FROM intake_sources s JOIN insurers i ON i.id = s.insurer_id ORDER BY s.name, i.slug",
        NULL, out, err);
}
