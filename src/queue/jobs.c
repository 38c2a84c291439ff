/* Jobs in PostgreSQL: enqueue, claim with a lease, done/failed, janitor, retries. */
#include "minca/config.h"
#include "minca/queue.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_COLUMNS "id, coalesce(insurer_id, 0), kind, payload::text, attempts, max_attempts, coalesce(batch_id, '')"

int queue_enqueue(PGconn *c, const char *kind, json_t *payload, const queue_enqueue_opts *o,
                  long long *job_id, minca_err *err)
{
    queue_enqueue_opts defaults = {0};
    if (!o)
        o = &defaults;
    char ins[32], attempts[16], delay[16];
    snprintf(ins, sizeof ins, "%lld", o->insurer_id);
    snprintf(attempts, sizeof attempts, "%d", o->max_attempts > 0 ? o->max_attempts : config_get()->max_attempts);
    snprintf(delay, sizeof delay, "%d", o->delay_seconds);
    char *pl = json_dumps(payload ? payload : json_object(), JSON_COMPACT);
    const char *p[] = {o->insurer_id ? ins : NULL, kind, pl, o->idempotency_key, o->batch_id, attempts, delay,
                       o->revive_dead ? "t" : "f"};
    PGresult *r = store_query(c, err,
                              "INSERT INTO jobs (insurer_id, kind, payload, idempotency_key, batch_id, max_attempts, run_at)"
                              " VALUES ($1::bigint, $2, $3::jsonb, $4, $5, $6::int, now() + make_interval(secs => $7::int))"
                              " ON CONFLICT (kind, idempotency_key) WHERE idempotency_key IS NOT NULL DO UPDATE"
                              " SET state = 'queued', attempts = 0, max_attempts = EXCLUDED.max_attempts,"
                              "     run_at = EXCLUDED.run_at, batch_id = EXCLUDED.batch_id, payload = EXCLUDED.payload,"
                              "     lease_until = NULL, worker = NULL, finished_at = NULL, result = NULL,"
                              "     last_error = 'revived: ' || coalesce(jobs.last_error, ''), updated_at = now()"
                              " WHERE $8::boolean AND jobs.state = 'dead'"
                              " RETURNING id",
                              8, p);
    free(pl);
    if (!r)
        return minca_err_prefix(err, "cannot enqueue %s job", kind);
    if (job_id)
        *job_id = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return 0;
}

void queue_dispatch(redisContext *r, const long long *ids, int n)
{
    for (int i = 0; i < n && r && !r->err; i++) {
        if (ids[i] <= 0)
            continue;
        minca_err e = {0};
        /* The stream only carries wake-ups: trimmed so it never grows without bound. */
        redisReply *reply = queue_redis_cmd(r, &e, "XADD %s MAXLEN ~ %d * job %lld", QUEUE_STREAM, QUEUE_STREAM_MAXLEN,
                                            ids[i]);
        if (!reply) {
            log_warn("dispatch of job %lld deferred to the janitor: %s", ids[i], e.msg);
            return;
        }
        freeReplyObject(reply);
    }
}

static void fill_job(PGresult *r, queue_job *job)
{
    memset(job, 0, sizeof *job);
    job->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    job->insurer_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    snprintf(job->kind, sizeof job->kind, "%s", PQgetvalue(r, 0, 2));
    job->payload = json_loads(PQgetvalue(r, 0, 3), 0, NULL);
    if (!job->payload)
        job->payload = json_object();
    job->attempts = atoi(PQgetvalue(r, 0, 4));
    job->max_attempts = atoi(PQgetvalue(r, 0, 5));
    snprintf(job->batch_id, sizeof job->batch_id, "%s", PQgetvalue(r, 0, 6));
}

int queue_claim(PGconn *c, long long id, const char *worker, int lease_seconds, const char *kinds, queue_job *job,
                minca_err *err)
{
    char idb[32], lease[16];
    snprintf(idb, sizeof idb, "%lld", id);
    snprintf(lease, sizeof lease, "%d", lease_seconds);
    const char *p[] = {idb, worker, lease, kinds};
    PGresult *r = store_query(c, err,
                              "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = $2, backend_pid = pg_backend_pid(),"
                              " lease_until = now() + make_interval(secs => $3::int), updated_at = now()"
                              " WHERE id = $1::bigint AND state IN ('queued', 'failed') AND run_at <= now()"
                              "   AND ($4::text[] IS NULL OR kind = ANY($4::text[]))"
                              " RETURNING " JOB_COLUMNS,
                              4, p);
    if (!r)
        return -1;
    int claimed = PQntuples(r) > 0;
    if (claimed)
        fill_job(r, job);
    PQclear(r);
    return claimed;
}

int queue_claim_next(PGconn *c, const char *worker, int lease_seconds, const char *kinds, queue_job *job,
                     minca_err *err)
{
    char lease[16];
    snprintf(lease, sizeof lease, "%d", lease_seconds);
    const char *p[] = {worker, lease, kinds};
    PGresult *r = store_query(c, err,
                              "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = $1, backend_pid = pg_backend_pid(),"
                              " lease_until = now() + make_interval(secs => $2::int), updated_at = now()"
                              " WHERE id = (SELECT id FROM jobs WHERE state IN ('queued', 'failed') AND run_at <= now()"
                              "               AND ($3::text[] IS NULL OR kind = ANY($3::text[]))"
                              "             ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                              " RETURNING " JOB_COLUMNS,
                              3, p);
    if (!r)
        return -1;
    int claimed = PQntuples(r) > 0;
    if (claimed)
        fill_job(r, job);
    PQclear(r);
    return claimed;
}

int queue_job_done(PGconn *c, const queue_job *job, const char *worker, json_t *result, minca_err *err)
{
    char idb[32];
    snprintf(idb, sizeof idb, "%lld", job->id);
    char *res = result ? json_dumps(result, JSON_COMPACT) : NULL;
    const char *p[] = {idb, worker, res};
    PGresult *r = store_query(c, err,
                              "UPDATE jobs SET state = 'done', finished_at = now(), updated_at = now(),"
                              " lease_until = NULL, last_error = NULL, result = $3::jsonb"
                              " WHERE id = $1::bigint AND worker = $2 AND state = 'running'",
                              3, p);
    free(res);
    if (!r)
        return -1;
    bool ok = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (!ok)
        return minca_err_set(err, "job %lld: lease lost (reclaimed by another worker); its effects are "
                                  "rolled back", job->id);
    return 0;
}

int queue_job_failed(PGconn *c, const queue_job *job, const char *worker, const char *error,
                     minca_err *err)
{
    char idb[32];
    snprintf(idb, sizeof idb, "%lld", job->id);
    const char *p[] = {idb, worker, error};
    /* Backoff: 2^attempts seconds (capped at 10 minutes) with up to 50% random jitter. */
    return store_exec(c, err,
                      "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END,"
                      " last_error = $3, lease_until = NULL, updated_at = now(),"
                      " finished_at = CASE WHEN attempts >= max_attempts THEN now() END,"
                      " run_at = now() + make_interval(secs => least(600, power(2, attempts))"
                      "                                 * (1 + random() * 0.5))"
                      " WHERE id = $1::bigint AND worker = $2 AND state = 'running'",
                      3, p);
}

void queue_job_clear(queue_job *job)
{
    json_decref(job->payload);
    memset(job, 0, sizeof *job);
}

int queue_heartbeat(PGconn *c, const char *worker, long long job_id, int lease_seconds, minca_err *err)
{
    char lease[16], id[32];
    snprintf(lease, sizeof lease, "%d", lease_seconds);
    snprintf(id, sizeof id, "%lld", job_id);
    const char *p[] = {worker, lease, id};
    return store_exec(c, err,
                      "UPDATE jobs SET lease_until = now() + make_interval(secs => $2::int)"
                      " WHERE id = $3::bigint AND worker = $1 AND state = 'running'",
                      3, p);
}

int queue_janitor(PGconn *c, redisContext *r, int stale_seconds, minca_err *err)
{
    char stale[16];
    snprintf(stale, sizeof stale, "%d", stale_seconds);
    const char *p[] = {stale};
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
    /* Due jobs nobody took for a while: Redis may have lost their wake-up. */
    res = store_query(c, err,
                      "SELECT id FROM jobs WHERE state IN ('queued', 'failed') AND run_at <= now()"
                      " AND updated_at < now() - make_interval(secs => $1::int) ORDER BY id LIMIT 1000",
                      1, p);
    if (!res)
        return -1;
    int n = PQntuples(res);
    if (r && n) {
        long long *ids = calloc((size_t)n, sizeof *ids);
        for (int i = 0; i < n; i++)
            ids[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        queue_dispatch(r, ids, n);
        /* Only the jobs just sent wait another round before being sent again. */
        GString *list = g_string_new("{");
        for (int i = 0; i < n; i++)
            g_string_append_printf(list, "%s%lld", i ? "," : "", ids[i]);
        g_string_append_c(list, '}');
        const char *pu[] = {list->str};
        store_exec(c, NULL, "UPDATE jobs SET updated_at = now() WHERE id = ANY($1::bigint[])", 1, pu);
        g_string_free(list, TRUE);
        free(ids);
    }
    PQclear(res);
    /* Metric deltas are folded by every scrape; this keeps them small where nobody scrapes. */
    store_exec(c, NULL, "SELECT minca_metrics_rollup()", 0, NULL);
    if (reclaimed)
        log_info("janitor: %d job(s) with expired leases re-queued", reclaimed);
    return reclaimed;
}

int queue_retry_dead(PGconn *c, long long id, minca_err *err)
{
    char idb[32];
    snprintf(idb, sizeof idb, "%lld", id);
    const char *p[] = {idb};
    PGresult *r = store_query(c, err,
                              "UPDATE jobs SET state = 'queued', attempts = 0, run_at = now(), updated_at = now(),"
                              " finished_at = NULL"
                              " WHERE state = 'dead' AND ($1::bigint = 0 OR id = $1::bigint)",
                              1, p);
    if (!r)
        return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n;
}

long queue_batch_pending(PGconn *c, const char *batch_id, minca_err *err)
{
    const char *p[] = {batch_id};
    PGresult *r = store_query(c, err,
                              "SELECT count(*) FROM jobs WHERE batch_id = $1 AND state IN ('queued', 'running', 'failed')",
                              1, p);
    if (!r)
        return -1;
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}
