/* queue: jobs whose truth is the PostgreSQL `jobs` table, dispatched through a Redis Stream.
 *
 *   enqueue (inside the caller's transaction) -> commit -> queue_dispatch (XADD the ids)
 *   worker: XREADGROUP (or, when Redis is away or idle, a due job from PostgreSQL with
 *   FOR UPDATE SKIP LOCKED) -> claim in PostgreSQL (lease) -> handler -> queue_job_done in
 *   the handler's own transaction -> commit -> XACK.
 *
 * Redis only carries wake-ups: losing it delays work, never loses it. A job whose lease
 * expires (its worker died) is reclaimed by the janitor; a failing job is retried with
 * exponential backoff and jitter until max_attempts, then it is dead with its error kept. */
#ifndef MINCA_QUEUE_H
#define MINCA_QUEUE_H

#include "minca/core.h"
#include "minca/store.h"
#include "minca/store_jobs.h"

#include <hiredis.h>

#define QUEUE_STREAM "minca:jobs"
#define QUEUE_GROUP "minca-workers"
#define QUEUE_STREAM_MAXLEN 100000   /* wake-ups kept in the stream (older ones are trimmed) */

/* ---- Redis connections (redis.c) ---- */
/* Connects to servers_redis_url() ("unix:///path[?db=N]" or "redis://[:pass@]host[:port][/db]").
 * Caller owns the context (redisFree). */
redisContext *queue_redis_connect(minca_err *err);
/* The channel job events are published on: "minca:events:<db>" for the configured database
 * number. Pub/sub channels are shared by every database of a server, so the number keeps
 * installations (or test runs) that share one Redis from waking each other's desks. */
#define QUEUE_EVENTS_CHANNEL_MAX 48
void queue_events_channel(char out[QUEUE_EVENTS_CHANNEL_MAX]);
/* Runs a command; NULL and err when Redis fails (the context is then unusable). */
redisReply *queue_redis_cmd(redisContext *r, minca_err *err, const char *fmt, ...);
/* Creates the stream's consumer group if missing. */
int queue_redis_prepare(redisContext *r, minca_err *err);

/* ---- jobs (jobs.c; the statements are in store/job_repo.c) ---- */
/* Attempts of a job whose enqueuer named none (the engine passes the configured max_attempts). */
#define QUEUE_MAX_ATTEMPTS 5
/* A claimed job: the store's row (store_jobs.h); payload owned, freed by queue_job_clear(). */
typedef store_job queue_job;

typedef struct queue_enqueue_opts {
    long long insurer_id;        /* 0: none */
    const char *idempotency_key; /* NULL: none; same kind + key is enqueued once */
    const char *batch_id;        /* NULL: none; follow-on jobs inherit it */
    int max_attempts;            /* the caller's (the configured max_attempts); 0: QUEUE_MAX_ATTEMPTS */
    int delay_seconds;
    /* A job with the same kind and key that is dead is queued again (attempts reset, moved to
     * this batch) instead of being reported as already there: enqueuing the same work again is
     * how a re-run asks for it. */
    bool revive_dead;
    long long parent_id;         /* 0: none; the job enqueuing this one (its batch is inherited
                                  * when batch_id is NULL) */
} queue_enqueue_opts;

/* Inserts a job inside the caller's open transaction. *job_id receives the id, or 0 when
 * a job with the same kind and idempotency key already existed (and was not revived).
 * The payload is the kind's, packed by engine_enqueue (engine_run.h), the one function the
 * rest of the program enqueues with. */
int queue_enqueue(PGconn *c, const char *kind, json_t *payload, const queue_enqueue_opts *o,
                  long long *job_id, minca_err *err);
/* After commit: publish job ids on the stream. Failure is logged, not fatal (the janitor and
 * the PostgreSQL fallback pick the jobs up). r may be NULL. */
void queue_dispatch(redisContext *r, const long long *ids, int n);

/* kinds: the job kinds this worker can run, as a PostgreSQL array literal ("{ingest,codify}");
 * other kinds are left for workers that know them (a rolling upgrade adds kinds). */
/* Claims job id for worker (lease seconds). 1 claimed (job filled), 0 not claimable now
 * (done, leased by another, not due), -1 error. */
int queue_claim(PGconn *c, long long id, const char *worker, int lease_seconds, const char *kinds, queue_job *job,
                minca_err *err);
/* Claims the oldest due job straight from PostgreSQL (no Redis), of batch_id only unless it
 * is NULL. 1 / 0 none / -1. */
int queue_claim_next(PGconn *c, const char *worker, int lease_seconds, const char *kinds, const char *batch_id,
                     queue_job *job, minca_err *err);
/* Marks the job done inside the handler's open transaction, keeping result (may be NULL).
 * Returns -1 with err when the lease was lost (another worker reclaimed it): the caller must
 * roll back its effects. */
int queue_job_done(PGconn *c, const queue_job *job, const char *worker, json_t *result, minca_err *err);
/* Records a failure (own transaction): retried after a backoff, or dead after max_attempts
 * or at once when permanent. 1 dead, 0 retried later, -1 error. */
int queue_job_failed(PGconn *c, const queue_job *job, const char *worker, const char *error, bool permanent,
                     minca_err *err);
/* Parks the job until condition is met, inside the handler's open transaction (no attempt
 * used); -1 with err when the lease was lost. */
int queue_job_wait(PGconn *c, const queue_job *job, const char *worker, const char *condition, minca_err *err);
void queue_job_clear(queue_job *job);

/* Extends the lease of the job a worker thread has in hand. */
int queue_heartbeat(PGconn *c, const char *worker, long long job_id, int lease_seconds, minca_err *err);
/* Janitor: jobs whose lease expired go back to the queue; returns how many (and their ids
 * are re-dispatched when r is given), plus due queued jobs idle longer than stale_seconds. */
int queue_janitor(PGconn *c, redisContext *r, int stale_seconds, minca_err *err);
/* Re-queues dead jobs (id > 0: that one; id == 0: all dead). Returns how many, -1 on error. */
int queue_retry_dead(PGconn *c, long long id, minca_err *err);
/* Jobs of a batch not yet finished (queued, running or failed-awaiting-retry). */
long queue_batch_pending(PGconn *c, const char *batch_id, minca_err *err);

#endif
