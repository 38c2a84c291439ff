/* Jobs and workers: enqueue, claim with a lease, done / failed, janitor, batches, status. */
#include "minca/store_jobs.h"
#include "store_internal.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_COLUMNS "id, coalesce(insurer_id, 0), kind, payload::text, attempts, max_attempts, coalesce(batch_id, '')"

void store_job_clear(store_job *job)
{
    json_decref(job->payload);
    memset(job, 0, sizeof *job);
}

static void fill_job(PGresult *r, store_job *job)
{
    memset(job, 0, sizeof *job);
    job->id = store_get_ll(r, 0, 0);
    job->insurer_id = store_get_ll(r, 0, 1);
    snprintf(job->kind, sizeof job->kind, "%s", PQgetvalue(r, 0, 2));
    job->payload = json_loads(PQgetvalue(r, 0, 3), 0, NULL);
    if (!job->payload)
        job->payload = json_object();
    job->attempts = store_get_int(r, 0, 4);
    job->max_attempts = store_get_int(r, 0, 5);
    snprintf(job->batch_id, sizeof job->batch_id, "%s", PQgetvalue(r, 0, 6));
}

/* Runs a claiming UPDATE ... RETURNING JOB_COLUMNS: 1 claimed, 0 none, -1 error. */
static int claim_with(PGconn *c, const char *sql, const store_params *p, store_job *job, minca_err *err)
{
    PGresult *r = store_query_p(c, err, sql, p);
    if (!r)
        return -1;
    int claimed = PQntuples(r) > 0;
    if (claimed)
        fill_job(r, job);
    PQclear(r);
    return claimed;
}

int store_job_insert(PGconn *c, const store_job_new *j, long long *job_id, minca_err *err)
{
    json_t *empty = j->payload ? NULL : json_object();
    char *pl = json_dumps(j->payload ? j->payload : empty, JSON_COMPACT);
    json_decref(empty);
    store_params p = {0};
    store_param_id(&p, j->insurer_id);
    store_param_text(&p, j->kind);
    store_param_text(&p, pl);
    store_param_text(&p, j->idempotency_key);
    store_param_text(&p, j->batch_id);
    store_param_ll(&p, j->max_attempts);
    store_param_ll(&p, j->delay_seconds);
    store_param_bool(&p, j->revive_dead);
    store_param_id(&p, j->parent_id);
    /* A follow-up joins the batch its parent is in now, not the one the parent was claimed in:
     * a batch that took the parent over (store_jobs_adopt_message) waits for it too. */
    PGresult *r = store_query_p(c, err,
                                "INSERT INTO jobs (insurer_id, kind, payload, idempotency_key, batch_id, max_attempts, run_at)"
                                " VALUES ($1::bigint, $2, $3::jsonb, $4,"
                                "         coalesce($5, (SELECT batch_id FROM jobs WHERE id = $9::bigint)),"
                                "         $6::int, now() + make_interval(secs => $7::int))"
                                " ON CONFLICT (kind, idempotency_key) WHERE idempotency_key IS NOT NULL DO UPDATE"
                                " SET state = 'queued', attempts = 0, max_attempts = EXCLUDED.max_attempts,"
                                "     run_at = EXCLUDED.run_at, batch_id = EXCLUDED.batch_id, payload = EXCLUDED.payload,"
                                "     lease_until = NULL, worker = NULL, finished_at = NULL, result = NULL, wait_for = NULL,"
                                "     last_error = 'revived: ' || coalesce(jobs.last_error, ''), updated_at = now()"
                                " WHERE $8::boolean AND jobs.state = 'dead'"
                                " RETURNING id",
                                &p);
    free(pl);
    if (!r)
        return -1;
    if (job_id)
        *job_id = PQntuples(r) ? store_get_ll(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

int store_job_claim(PGconn *c, long long id, const char *worker, int lease_seconds, const char *kinds,
                    store_job *job, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, id);
    store_param_text(&p, worker);
    store_param_ll(&p, lease_seconds);
    store_param_text(&p, kinds);
    return claim_with(c,
                      "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = $2, backend_pid = pg_backend_pid(),"
                      " lease_until = now() + make_interval(secs => $3::int), updated_at = now()"
                      " WHERE id = $1::bigint AND state IN ('queued', 'failed') AND run_at <= now()"
                      "   AND ($4::text[] IS NULL OR kind = ANY($4::text[]))"
                      " RETURNING " JOB_COLUMNS,
                      &p, job, err);
}

int store_job_claim_next(PGconn *c, const char *worker, int lease_seconds, const char *kinds, const char *batch_id,
                         store_job *job, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, worker);
    store_param_ll(&p, lease_seconds);
    store_param_text(&p, kinds);
    store_param_text(&p, batch_id);
    return claim_with(c,
                      "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = $1, backend_pid = pg_backend_pid(),"
                      " lease_until = now() + make_interval(secs => $2::int), updated_at = now()"
                      " WHERE id = (SELECT id FROM jobs WHERE state IN ('queued', 'failed') AND run_at <= now()"
                      "               AND ($3::text[] IS NULL OR kind = ANY($3::text[]))"
                      "               AND ($4::text IS NULL OR batch_id = $4)"
                      "             ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                      " RETURNING " JOB_COLUMNS,
                      &p, job, err);
}

int store_job_done(PGconn *c, long long id, const char *worker, json_t *result, minca_err *err)
{
    char *res = result ? json_dumps(result, JSON_COMPACT) : NULL;
    store_params p = {0};
    store_param_ll(&p, id);
    store_param_text(&p, worker);
    store_param_text(&p, res);
    PGresult *r = store_query_p(c, err,
                                "UPDATE jobs SET state = 'done', finished_at = now(), updated_at = now(),"
                                " lease_until = NULL, last_error = NULL, result = $3::jsonb"
                                " WHERE id = $1::bigint AND worker = $2 AND state = 'running'",
                                &p);
    free(res);
    if (!r)
        return -1;
    int marked = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return marked;
}

int store_job_failed(PGconn *c, long long id, const char *worker, const char *error, bool permanent,
                     minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, id);
    store_param_text(&p, worker);
    store_param_text(&p, error);
    store_param_bool(&p, permanent);
    /* Backoff: 2^attempts seconds (capped at 10 minutes) with up to 50% random jitter. */
    PGresult *r = store_query_p(c, err,
                                "UPDATE jobs SET state = CASE WHEN $4::boolean OR attempts >= max_attempts"
                                "                             THEN 'dead' ELSE 'failed' END,"
                                " last_error = $3, lease_until = NULL, updated_at = now(),"
                                " finished_at = CASE WHEN $4::boolean OR attempts >= max_attempts THEN now() END,"
                                " run_at = now() + make_interval(secs => least(600, power(2, attempts))"
                                "                                 * (1 + random() * 0.5))"
                                " WHERE id = $1::bigint AND worker = $2 AND state = 'running'"
                                " RETURNING state",
                                &p);
    if (!r)
        return -1;
    int dead = PQntuples(r) > 0 && strcmp(PQgetvalue(r, 0, 0), "dead") == 0;
    PQclear(r);
    return dead;
}

int store_job_wait(PGconn *c, long long id, const char *worker, const char *condition, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, id);
    store_param_text(&p, worker);
    store_param_text(&p, condition);
    PGresult *r = store_query_p(c, err,
                                "UPDATE jobs SET state = 'waiting', wait_for = $3, attempts = greatest(attempts - 1, 0),"
                                " lease_until = NULL, updated_at = now(), last_error = 'waiting for ' || $3"
                                " WHERE id = $1::bigint AND worker = $2 AND state = 'running'",
                                &p);
    if (!r)
        return -1;
    int marked = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return marked;
}

static int wait_lock(PGconn *c, const char *condition, bool exclusive, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, condition);
    return store_exec_p(c, err,
                        exclusive ? "SELECT pg_advisory_xact_lock(hashtextextended('minca-wait:' || $1, 0))"
                                  : "SELECT pg_advisory_xact_lock_shared(hashtextextended('minca-wait:' || $1, 0))",
                        &p);
}

int store_jobs_wait_lock(PGconn *c, const char *condition, minca_err *err)
{
    return wait_lock(c, condition, false, err);
}

int store_jobs_wake(PGconn *c, const char *condition, minca_err *err)
{
    if (wait_lock(c, condition, true, err) < 0)
        return -1;
    store_params p = {0};
    store_param_text(&p, condition);
    PGresult *r = store_query_p(c, err,
                                "UPDATE jobs SET state = 'queued', wait_for = NULL, run_at = now(), updated_at = now(),"
                                " last_error = NULL WHERE state = 'waiting' AND wait_for = $1",
                                &p);
    if (!r)
        return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n;
}

void store_jobs_catalog_condition(long long insurer_id, char out[64])
{
    snprintf(out, 64, "catalog of insurer %lld", insurer_id);
}

int store_job_heartbeat(PGconn *c, long long id, const char *worker, int lease_seconds, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, worker);
    store_param_ll(&p, lease_seconds);
    store_param_ll(&p, id);
    return store_exec_p(c, err,
                        "UPDATE jobs SET lease_until = now() + make_interval(secs => $2::int)"
                        " WHERE id = $3::bigint AND worker = $1 AND state = 'running'",
                        &p);
}

int store_jobs_release_worker(PGconn *c, const char *worker, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, worker);
    return store_exec_p(c, err,
                        "UPDATE jobs SET state = 'queued', run_at = now(), lease_until = NULL, updated_at = now(),"
                        " last_error = 'interrupted: the worker lost its database connection'"
                        " WHERE worker = $1 AND state = 'running'",
                        &p);
}

int store_jobs_reclaim_expired(PGconn *c, minca_err *err)
{
    /* Expired leases: the worker died or hung. The attempt stays counted. A worker that is
     * stopped (not dead) still has its transaction open, holding row locks such as the COT
     * counter's: its backend is ended, so its work rolls back and the locks go. The backend
     * is the one that claimed the job only if it still carries the worker's name and started
     * before the claim (a pid can be reused). */
    PGresult *res = store_query(c, err,
                                "WITH expired AS ("
                                "  UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,"
                                "  last_error = 'lease expired: worker ' || coalesce(worker, '?') || ' stopped responding',"
                                "  lease_until = NULL, run_at = now(), updated_at = now()"
                                "  WHERE state = 'running' AND lease_until < now()"
                                "  RETURNING id, backend_pid AS pid, worker)"
                                " SELECT e.id, CASE WHEN e.pid IS NOT NULL"
                                "                   THEN minca_end_worker_session(e.pid::int, coalesce(e.worker, '')) END"
                                "   FROM expired e",
                                0, NULL);
    if (!res)
        return -1;
    int reclaimed = PQntuples(res);
    for (int i = 0; i < reclaimed; i++)
        if (strcmp(PQgetvalue(res, i, 1), "t") == 0)
            log_warn("janitor: job %s: ended the database session of its stalled worker", PQgetvalue(res, i, 0));
    PQclear(res);
    return reclaimed;
}

int store_jobs_stale(PGconn *c, int stale_seconds, int limit, long long **ids, minca_err *err)
{
    *ids = NULL;
    store_params p = {0};
    store_param_ll(&p, stale_seconds);
    store_param_ll(&p, limit);
    PGresult *res = store_query_p(c, err,
                                  "SELECT id FROM jobs WHERE state IN ('queued', 'failed') AND run_at <= now()"
                                  " AND updated_at < now() - make_interval(secs => $1::int) ORDER BY id LIMIT $2::int",
                                  &p);
    if (!res)
        return -1;
    int n = PQntuples(res);
    if (n) {
        *ids = g_malloc0_n((size_t)n, sizeof **ids);
        for (int i = 0; i < n; i++)
            (*ids)[i] = store_get_ll(res, i, 0);
    }
    PQclear(res);
    return n;
}

int store_jobs_touch(PGconn *c, const long long *ids, int n, minca_err *err)
{
    GString *list = g_string_new("{");
    for (int i = 0; i < n; i++)
        g_string_append_printf(list, "%s%lld", i ? "," : "", ids[i]);
    g_string_append_c(list, '}');
    store_params p = {0};
    store_param_text(&p, list->str);
    int rc = store_exec_p(c, err, "UPDATE jobs SET updated_at = now() WHERE id = ANY($1::bigint[])", &p);
    g_string_free(list, TRUE);
    return rc;
}

int store_metrics_rollup(PGconn *c, minca_err *err)
{
    return store_exec(c, err, "SELECT minca_metrics_rollup()", 0, NULL);
}

int store_jobs_retry_dead(PGconn *c, long long id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, id); /* 0 (not NULL) means every dead job */
    PGresult *r = store_query_p(c, err,
                                "UPDATE jobs SET state = 'queued', attempts = 0, run_at = now(), updated_at = now(),"
                                " finished_at = NULL, wait_for = NULL"
                                " WHERE state = 'dead' AND ($1::bigint = 0 OR id = $1::bigint)",
                                &p);
    if (!r)
        return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n;
}

/* ---- batches ---- */

long store_jobs_batch_pending(PGconn *c, const char *batch_id, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, batch_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT count(*) FROM jobs WHERE batch_id = $1 AND state IN ('queued', 'running', 'failed')",
                                &p);
    if (!r)
        return -1;
    long n = (long)store_get_ll(r, 0, 0);
    PQclear(r);
    return n;
}

int store_jobs_adopt_message(PGconn *c, const char *kind, const char *key, const char *batch_id,
                             store_job_adoption *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_text(&p, kind);
    store_param_text(&p, key);
    store_param_text(&p, batch_id);
    PGresult *r = store_query_p(
        c, err,
        "WITH ing AS (SELECT id, insurer_id, state, (result->>'case_id')::bigint AS case_id,"
        "                    (result->>'message_id')::bigint AS message_id"
        "               FROM jobs WHERE kind = $1 AND idempotency_key = $2),"
        " steps AS (UPDATE jobs j SET batch_id = $3, updated_at = now() FROM ing"
        "            WHERE j.state IN ('queued', 'failed', 'running', 'waiting') AND ing.case_id > 0"
        "              AND j.id <> ing.id AND j.insurer_id IS NOT DISTINCT FROM ing.insurer_id"
        "              AND j.payload->>'case_id' = ing.case_id::text"
        "            RETURNING j.id),"
        " own AS (UPDATE jobs j SET batch_id = $3, updated_at = now() FROM ing"
        "          WHERE j.id = ing.id AND (ing.state IN ('queued', 'failed', 'running', 'waiting')"
        "                                   OR EXISTS (SELECT 1 FROM steps))"
        "          RETURNING j.id, ing.state)"
        " SELECT ing.id, ing.state, EXISTS (SELECT 1 FROM messages m WHERE m.id = ing.message_id),"
        "        (SELECT count(*) FROM steps) + (SELECT count(*) FROM own WHERE own.state <> 'done')"
        "   FROM ing",
        &p);
    if (!r)
        return -1;
    if (PQntuples(r)) {
        out->ingest_id = store_get_ll(r, 0, 0);
        snprintf(out->state, sizeof out->state, "%s", PQgetvalue(r, 0, 1));
        out->message_stored = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
        out->moved = (long)store_get_ll(r, 0, 3);
    }
    PQclear(r);
    return 0;
}

long store_jobs_adopt_source(PGconn *c, long long insurer_id, const char *source_name, const char *batch_id,
                             minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, source_name);
    store_param_text(&p, batch_id);
    PGresult *r = store_query_p(
        c, err,
        "UPDATE jobs j SET batch_id = $3, updated_at = now()"
        " WHERE j.state IN ('queued', 'failed', 'running', 'waiting') AND j.insurer_id = $1::bigint"
        "   AND j.batch_id IS DISTINCT FROM $3"
        "   AND ((j.kind = 'ingest' AND j.payload->>'source_name' = $2)"
        "        OR EXISTS (SELECT 1 FROM cases k JOIN messages m ON m.id = k.message_id"
        "                    WHERE j.payload ? 'case_id' AND k.id = (j.payload->>'case_id')::bigint"
        "                      AND m.source_name = $2))",
        &p);
    if (!r)
        return -1;
    long n = atol(PQcmdTuples(r));
    PQclear(r);
    return n;
}

long store_jobs_unfinished(PGconn *c, minca_err *err)
{
    PGresult *r = store_query(c, err, "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'failed')", 0, NULL);
    if (!r)
        return -1;
    long n = (long)store_get_ll(r, 0, 0);
    PQclear(r);
    return n;
}

int store_jobs_batch_dead(PGconn *c, const char *batch_id, char kind[32], char **error, minca_err *err)
{
    *error = NULL;
    store_params p = {0};
    store_param_text(&p, batch_id);
    PGresult *r = store_query_p(c, err, "SELECT kind, last_error FROM jobs WHERE batch_id = $1 AND state = 'dead'", &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        snprintf(kind, 32, "%s", PQgetvalue(r, 0, 0));
        *error = g_strdup(PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return found;
}

STORE_ROW_READER(store_batch_item, STORE_BATCH_ITEM_COLUMNS)
STORE_ROW_READER(store_batch_case, STORE_BATCH_CASE_COLUMNS)
STORE_ROW_READER(store_batch_failure, STORE_BATCH_FAILURE_COLUMNS)
STORE_ROW_READER(store_batch_unfinished, STORE_BATCH_UNFINISHED_COLUMNS)

void store_batch_summary_clear(store_batch_summary *s)
{
    if (!s)
        return;
    store_batch_item_list_clear(&s->items);
    store_batch_case_list_clear(&s->cases);
    store_batch_failure_list_clear(&s->failures);
    store_batch_unfinished_list_clear(&s->unfinished);
    memset(s, 0, sizeof *s);
}

int store_jobs_batch_summary(PGconn *c, const char *batch_id, store_batch_summary *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_text(&p, batch_id);
    if (store_batch_item_list_query(
        c,
        "SELECT j.payload->>'origin' AS file, j.state, j.last_error,"
        "       coalesce(j.result->>'outcome', CASE WHEN j.state = 'dead' THEN 'failed' ELSE j.state END) AS outcome,"
        "       j.result->>'cot' AS cot, j.result->>'error' AS error"
        "  FROM jobs j WHERE j.batch_id = $1 AND j.kind = 'ingest' ORDER BY j.id",
        &p, &out->items, err) < 0)
        goto fail;
    if (store_batch_case_list_query(
        c,
        "SELECT k.cot, k.status, k.status_reason, k.client_name, k.needs_profile,"
        "       count(v.id) AS vehicles,"
        "       count(v.id) FILTER (WHERE x.decision = 'auto_accept') AS auto_accept,"
        "       count(v.id) FILTER (WHERE x.decision = 'needs_review') AS needs_review,"
        "       count(v.id) FILTER (WHERE x.decision = 'no_match') AS no_match"
        "  FROM cases k LEFT JOIN vehicle_rows v ON v.case_id = k.id"
        "  LEFT JOIN matches x ON x.vehicle_row_id = v.id"
        " WHERE k.id IN (SELECT (result->>'case_id')::bigint FROM jobs"
        "                 WHERE batch_id = $1 AND kind = 'ingest' AND (result->>'case_id')::bigint > 0)"
        " GROUP BY k.id ORDER BY k.cot",
        &p, &out->cases, err) < 0)
        goto fail;
    if (store_batch_failure_list_query(
        c,
        "SELECT j.kind, coalesce(j.payload->>'origin', k.cot) AS subject, j.last_error AS error"
        "  FROM jobs j LEFT JOIN cases k ON k.id = (j.payload->>'case_id')::bigint"
        " WHERE j.batch_id = $1 AND j.state = 'dead'"
        " UNION ALL"
        " SELECT 'ingest', j.payload->>'origin', j.result->>'error' FROM jobs j"
        "  WHERE j.batch_id = $1 AND j.kind = 'ingest' AND (j.result->>'parse_failed')::boolean"
        " UNION ALL"
        " SELECT 'attachment', k.cot || ' ' || a.filename, a.error"
        "  FROM jobs j JOIN cases k ON k.id = (j.result->>'case_id')::bigint"
        "  JOIN attachments a ON a.message_id = k.message_id"
        " WHERE j.batch_id = $1 AND j.kind = 'ingest' AND a.status = 'error'",
        &p, &out->failures, err) < 0)
        goto fail;
    /* A message is finished when its ingest job is done and its case (if it opened one) has
     * no step left to run: no job of the case unfinished or waiting, status past codifying. */
    if (store_batch_unfinished_list_query(
        c,
        "SELECT coalesce(j.payload->>'origin', j.payload->>'source_id', j.payload->>'sha256') AS file,"
        "       k.cot,"
        "       CASE WHEN j.state <> 'done' THEN 'its ingest job is ' || j.state"
        "                 || coalesce(' (' || j.last_error || ')', '')"
        "            WHEN w.wait_for IS NOT NULL THEN 'its ' || w.kind || ' step waits for the ' || w.wait_for"
        "            WHEN s.kind IS NOT NULL THEN 'its ' || s.kind || ' step is ' || s.state"
        "            ELSE 'its case is still ' || k.status END AS why"
        "  FROM jobs j LEFT JOIN cases k ON k.id = (j.result->>'case_id')::bigint"
        "  LEFT JOIN LATERAL (SELECT x.kind, x.wait_for FROM jobs x WHERE x.state = 'waiting'"
        "                       AND x.payload->>'case_id' = k.id::text ORDER BY x.id LIMIT 1) w ON true"
        "  LEFT JOIN LATERAL (SELECT x.kind, x.state FROM jobs x WHERE x.state IN ('queued', 'running', 'failed')"
        "                       AND x.payload->>'case_id' = k.id::text ORDER BY x.id LIMIT 1) s ON true"
        " WHERE j.batch_id = $1 AND j.kind = 'ingest'"
        "   AND (j.state <> 'done' OR w.kind IS NOT NULL OR s.kind IS NOT NULL"
        "        OR k.status IN ('new', 'extracting', 'codifying'))"
        " ORDER BY j.id",
        &p, &out->unfinished, err) < 0)
        goto fail;
    return 0;
fail:
    store_batch_summary_clear(out);
    return -1;
}

/* ---- the queue at a glance ---- */

STORE_ROW_READER(store_job_count, STORE_JOB_COUNT_COLUMNS)
STORE_ROW_READER(store_worker_live, STORE_WORKER_LIVE_COLUMNS)
STORE_ROW_READER(store_job_dead, STORE_JOB_DEAD_COLUMNS)

void store_queue_status_clear(store_queue_status *s)
{
    if (!s)
        return;
    store_job_count_list_clear(&s->jobs);
    store_worker_live_list_clear(&s->workers);
    store_job_dead_list_clear(&s->dead);
    memset(s, 0, sizeof *s);
}

/* The first column of the first row of a one-row statement, as a number. */
static int query_number(PGconn *c, const char *sql, double *out, minca_err *err)
{
    PGresult *r = store_query(c, err, sql, 0, NULL);
    if (!r)
        return -1;
    *out = PQntuples(r) > 0 ? store_get_double(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

int store_jobs_status(PGconn *c, store_queue_status *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    double done = 0;
    if (store_job_count_list_query(c, "SELECT kind, state, count(*) AS jobs FROM jobs GROUP BY kind, state ORDER BY kind, state",
                                   NULL, &out->jobs, err) < 0 ||
        query_number(c,
                     "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 FROM jobs WHERE state = 'queued'",
                     &out->oldest_queued_seconds, err) < 0 ||
        store_worker_live_list_query(c,
                                     "SELECT name, host, pid, threads,"
                                     "       extract(epoch FROM now() - heartbeat_at)::float8 AS heartbeat_age"
                                     "  FROM workers WHERE heartbeat_at > now() - interval '60 seconds' ORDER BY name",
                                     NULL, &out->workers, err) < 0 ||
        query_number(c,
                     "SELECT count(*) FROM jobs WHERE state = 'done' AND finished_at > now() - interval '1 minute'",
                     &done, err) < 0 ||
        store_job_dead_list_query(c,
                                  "SELECT id, kind, attempts, last_error, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS') AS at"
                                  "  FROM jobs WHERE state = 'dead' ORDER BY id DESC LIMIT 50",
                                  NULL, &out->dead, err) < 0) {
        store_queue_status_clear(out);
        return -1;
    }
    out->done_last_minute = (long long)done;
    return 0;
}

/* ---- workers ---- */

int store_worker_register(PGconn *c, const char *name, const char *host, int pid, int threads, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, name);
    store_param_text(&p, host);
    store_param_ll(&p, pid);
    store_param_ll(&p, threads);
    return store_exec_p(c, err,
                        "INSERT INTO workers (name, host, pid, threads) VALUES ($1, $2, $3::int, $4::int)"
                        " ON CONFLICT (name) DO UPDATE SET heartbeat_at = now(), started_at = now(),"
                        " threads = EXCLUDED.threads",
                        &p);
}

int store_worker_heartbeat(PGconn *c, const char *name, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, name);
    return store_exec_p(c, err, "UPDATE workers SET heartbeat_at = now() WHERE name = $1", &p);
}

int store_worker_remove(PGconn *c, const char *name, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, name);
    return store_exec_p(c, err, "DELETE FROM workers WHERE name = $1", &p);
}

int store_worker_session_setup(PGconn *c, const char *app_name, int lock_timeout_seconds, int idle_timeout_seconds,
                               minca_err *err)
{
    char app[64], lock_timeout[32], idle_timeout[32];
    snprintf(app, sizeof app, "%.63s", app_name);
    snprintf(lock_timeout, sizeof lock_timeout, "%ds", lock_timeout_seconds);
    snprintf(idle_timeout, sizeof idle_timeout, "%ds", idle_timeout_seconds);
    store_params p = {0};
    store_param_text(&p, app);
    store_param_text(&p, lock_timeout);
    store_param_text(&p, idle_timeout);
    return store_exec_p(c, err,
                        "SELECT set_config('statement_timeout', '5min', false), set_config('application_name', $1, false),"
                        " set_config('lock_timeout', $2, false), set_config('idle_in_transaction_session_timeout', $3, false)",
                        &p);
}
