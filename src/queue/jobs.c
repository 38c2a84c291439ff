/* Jobs: the rows in PostgreSQL (store/job_repo.c) and their wake-ups on the Redis Stream. */
#include <glib.h>
#include "minca/core_config.h"
#include "minca/queue.h"

#include <stdlib.h>

int queue_enqueue(PGconn *c, const char *kind, json_t *payload, const queue_enqueue_opts *o,
                  long long *job_id, minca_err *err)
{
    queue_enqueue_opts defaults = {0};
    if (!o)
        o = &defaults;
    store_job_new j = {
        .kind = kind,
        .payload = payload,
        .insurer_id = o->insurer_id,
        .idempotency_key = o->idempotency_key,
        .batch_id = o->batch_id,
        .max_attempts = o->max_attempts > 0 ? o->max_attempts : config_get()->max_attempts,
        .delay_seconds = o->delay_seconds,
        .revive_dead = o->revive_dead,
        .parent_id = o->parent_id,
    };
    if (store_job_insert(c, &j, job_id, err) < 0)
        return minca_err_prefix(err, "cannot enqueue %s job", kind);
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

int queue_claim(PGconn *c, long long id, const char *worker, int lease_seconds, const char *kinds, queue_job *job,
                minca_err *err)
{
    return store_job_claim(c, id, worker, lease_seconds, kinds, job, err);
}

int queue_claim_next(PGconn *c, const char *worker, int lease_seconds, const char *kinds, const char *batch_id,
                     queue_job *job, minca_err *err)
{
    return store_job_claim_next(c, worker, lease_seconds, kinds, batch_id, job, err);
}

int queue_job_done(PGconn *c, const queue_job *job, const char *worker, json_t *result, minca_err *err)
{
    int marked = store_job_done(c, job->id, worker, result, err);
    if (marked < 0)
        return -1;
    if (!marked)
        return minca_err_set(err, "job %lld: lease lost (reclaimed by another worker); its effects are "
                                  "rolled back", job->id);
    return 0;
}

int queue_job_failed(PGconn *c, const queue_job *job, const char *worker, const char *error, bool permanent,
                     minca_err *err)
{
    return store_job_failed(c, job->id, worker, error, permanent, err);
}

int queue_job_wait(PGconn *c, const queue_job *job, const char *worker, const char *condition, minca_err *err)
{
    int marked = store_job_wait(c, job->id, worker, condition, err);
    if (marked < 0)
        return -1;
    if (!marked)
        return minca_err_set(err, "job %lld: lease lost (reclaimed by another worker) before it could wait", job->id);
    return 0;
}

void queue_job_clear(queue_job *job)
{
    store_job_clear(job);
}

int queue_heartbeat(PGconn *c, const char *worker, long long job_id, int lease_seconds, minca_err *err)
{
    return store_job_heartbeat(c, job_id, worker, lease_seconds, err);
}

int queue_janitor(PGconn *c, redisContext *r, int stale_seconds, minca_err *err)
{
    int reclaimed = store_jobs_reclaim_expired(c, err);
    if (reclaimed < 0)
        return -1;
    /* Due jobs nobody took for a while: Redis may have lost their wake-up. */
    long long *ids = NULL;
    int n = store_jobs_stale(c, stale_seconds, 1000, &ids, err);
    if (n < 0)
        return -1;
    if (r && n) {
        queue_dispatch(r, ids, n);
        /* Only the jobs just sent wait another round before being sent again. */
        store_jobs_touch(c, ids, n, NULL);
    }
    g_free(ids);
    /* Metric deltas are folded by every scrape; this keeps them small where nobody scrapes. */
    store_metrics_rollup(c, NULL);
    if (reclaimed)
        log_info("janitor: %d job(s) with expired leases re-queued", reclaimed);
    return reclaimed;
}

int queue_retry_dead(PGconn *c, long long id, minca_err *err)
{
    return store_jobs_retry_dead(c, id, err);
}

long queue_batch_pending(PGconn *c, const char *batch_id, minca_err *err)
{
    return store_jobs_batch_pending(c, batch_id, err);
}
