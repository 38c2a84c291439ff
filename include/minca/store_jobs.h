/* store_jobs: the `jobs` table (the queue's truth) and the `workers` table (live engine
 * processes). Every statement on them is here; queue/jobs.c adds the Redis dispatch, the
 * engine and the CLI call these functions. Same conventions as store.h: parameterised
 * queries, 0 / -1 with the reason in err.
 *
 * kinds (claims): the job kinds the caller can run as a PostgreSQL array literal
 * ("{ingest,codify}"); NULL: any kind. */
#ifndef MINCA_STORE_JOBS_H
#define MINCA_STORE_JOBS_H

#include "minca/store.h"
#include "minca/store_rows.h"

/* One job as claimed by a worker. */
typedef struct store_job {
    long long id;
    long long insurer_id;        /* 0 when none */
    char kind[32];
    json_t *payload;             /* owned; freed by store_job_clear() */
    int attempts, max_attempts;
    char batch_id[64];
} store_job;
/* Frees the payload and zeroes the job. */
void store_job_clear(store_job *job);

/* A job to insert. Every pointer is borrowed for the call only. */
typedef struct store_job_new {
    const char *kind;
    json_t *payload;             /* NULL: {} */
    long long insurer_id;        /* 0: none */
    const char *idempotency_key; /* NULL: none; same kind + key is inserted once */
    const char *batch_id;        /* NULL: none */
    int max_attempts;
    int delay_seconds;
    bool revive_dead;            /* a dead job with the same kind and key is queued again */
    long long parent_id;         /* 0: none; the job that enqueues this one: with batch_id NULL, the
                                  * new job joins the batch the parent's row is in now (a batch that
                                  * took the parent over also gets what it starts) */
} store_job_new;

/* Inserts the job (inside the caller's transaction, if any). *job_id (may be NULL) receives
 * its id, or 0 when a job with the same kind and key already existed and was not revived. */
int store_job_insert(PGconn *c, const store_job_new *j, long long *job_id, minca_err *err);

/* Claims job id for worker with a lease of lease_seconds: 1 claimed (job filled; the caller
 * store_job_clear()s it), 0 not claimable now (done, leased by another, not due, or of a
 * kind not in kinds), -1 error. */
int store_job_claim(PGconn *c, long long id, const char *worker, int lease_seconds, const char *kinds,
                    store_job *job, minca_err *err);
/* Same for the oldest due job (FOR UPDATE SKIP LOCKED), of batch_id only unless it is NULL:
 * 1 / 0 none / -1. */
int store_job_claim_next(PGconn *c, const char *worker, int lease_seconds, const char *kinds, const char *batch_id,
                         store_job *job, minca_err *err);
/* Marks a running job of worker done, keeping result (may be NULL; not stolen). Returns 1
 * when it was marked, 0 when the worker no longer holds it (lease lost), -1 on error. */
int store_job_done(PGconn *c, long long id, const char *worker, json_t *result, minca_err *err);
/* Records a failure of a running job of worker: failed (retried after an exponential
 * backoff with jitter), or dead once it used max_attempts or at once when permanent. Returns
 * 1 when the job is now dead, 0 when it will be retried (or the worker no longer held it),
 * -1 on error. */
int store_job_failed(PGconn *c, long long id, const char *worker, const char *error, bool permanent,
                     minca_err *err);
/* Parks a running job of worker until condition is met (state waiting, wait_for condition):
 * the attempt it was claimed with is given back. Inside the caller's transaction. 1 parked,
 * 0 the worker no longer holds it, -1 on error. */
int store_job_wait(PGconn *c, long long id, const char *worker, const char *condition, minca_err *err);
/* The lock that orders parking on condition with waking it (transaction-scoped advisory
 * locks): a job that found the condition unmet takes it (shared), checks again and parks in
 * the same transaction; store_jobs_wake takes it exclusively after the condition is met and
 * before its commit. So a wake never runs between a check and its park: either the check sees
 * the condition met, or the wake sees the parked job. */
int store_jobs_wait_lock(PGconn *c, const char *condition, minca_err *err);
/* Jobs waiting for condition go back to the queue (due now), inside the caller's transaction
 * that met the condition. Takes the wait lock exclusively. Returns how many, -1 on error. */
int store_jobs_wake(PGconn *c, const char *condition, minca_err *err);
/* The condition text of "the insurer has an active catalog" (jobs.wait_for), into out. */
void store_jobs_catalog_condition(long long insurer_id, char out[64]);
/* Extends the lease of a running job of worker. */
int store_job_heartbeat(PGconn *c, long long id, const char *worker, int lease_seconds, minca_err *err);
/* Puts the running jobs of worker back in the queue at once (its connection broke, so it
 * does not hold them any more). */
int store_jobs_release_worker(PGconn *c, const char *worker, minca_err *err);

/* Janitor: running jobs whose lease expired go back to the queue (dead after max_attempts),
 * and the database session of their stalled worker is ended. Returns how many, -1 on error. */
int store_jobs_reclaim_expired(PGconn *c, minca_err *err);
/* Due queued or failed jobs not touched for stale_seconds (at most limit, by id): *ids is
 * the caller g_free()s it; NULL when none). Returns how many, -1 on error. */
int store_jobs_stale(PGconn *c, int stale_seconds, int limit, long long **ids, minca_err *err);
/* Marks the jobs as just touched (a stale job waits another round before being sent again). */
int store_jobs_touch(PGconn *c, const long long *ids, int n, minca_err *err);
/* Folds pending metric deltas into the totals (the janitor keeps them small where nobody
 * scrapes /metrics). */
int store_metrics_rollup(PGconn *c, minca_err *err);
/* Re-queues dead jobs with fresh attempts (id > 0: that one; 0: every dead job). Returns how
 * many, -1 on error. */
int store_jobs_retry_dead(PGconn *c, long long id, minca_err *err);

/* ---- batches ---- */
/* Jobs of the batch not yet finished (queued, running or failed awaiting retry; not those
 * waiting for a condition); -1 on error. */
long store_jobs_batch_pending(PGconn *c, const char *batch_id, minca_err *err);

/* What an earlier run left of one message (its ingest job found by kind and idempotency key). */
typedef struct store_job_adoption {
    long long ingest_id;   /* 0: no such job */
    char state[16];        /* the ingest job's state */
    bool message_stored;   /* its message is in the database */
    long moved;            /* unfinished jobs of the message (its ingest, its case's steps) now in the batch */
} store_job_adoption;
/* Takes over into batch_id the unfinished jobs (queued, failed, running, waiting) of the
 * message whose ingest job is (kind, key): the ingest job itself and the jobs of the case it
 * opened; the ingest job moves too when any of them did, so the batch reports the message.
 * A running job is still run by whoever holds its lease (or, once the lease expires, by the
 * janitor's next taker). Inside the caller's transaction, if any. */
int store_jobs_adopt_message(PGconn *c, const char *kind, const char *key, const char *batch_id,
                             store_job_adoption *out, minca_err *err);
/* Takes over into batch_id the unfinished jobs of the insurer's messages from source
 * source_name (their ingest jobs and the jobs of their cases): what an interrupted run of the
 * source left. Returns how many, -1 on error. */
long store_jobs_adopt_source(PGconn *c, long long insurer_id, const char *source_name, const char *batch_id,
                             minca_err *err);
/* Unfinished jobs of every batch and insurer (the desk's status line), through the
 * jobs_unfinished partial index; -1 on error. */
long store_jobs_unfinished(PGconn *c, minca_err *err);
/* The first dead job of the batch: 1 found (its kind copied into kind, 32 bytes; *error is
 * its last error, the caller g_free()s it), 0 none, -1 on error. */
int store_jobs_batch_dead(PGconn *c, const char *batch_id, char kind[32], char **error, minca_err *err);
/* What a batch of ingest jobs did: one item per ingest job, by id (file its origin, outcome
 * case / joined / duplicate / no_case / error / failed or its state, cot and error from its
 * result; NULL when none). */
#define STORE_BATCH_ITEM_COLUMNS(X)                                                               \
    X(file, OPT_TEXT) X(state, TEXT) X(last_error, OPT_TEXT) X(outcome, TEXT) X(cot, OPT_TEXT) X(error, OPT_TEXT)
STORE_ROW_TYPES(store_batch_item, STORE_BATCH_ITEM_COLUMNS)
/* A case the batch opened, with its rows counted by the codifier's decision. */
#define STORE_BATCH_CASE_COLUMNS(X)                                                               \
    X(cot, TEXT) X(status, TEXT) X(status_reason, OPT_TEXT) X(client_name, OPT_TEXT) X(needs_profile, BOOL) \
    X(vehicles, LL) X(auto_accept, LL) X(needs_review, LL) X(no_match, LL)
STORE_ROW_TYPES(store_batch_case, STORE_BATCH_CASE_COLUMNS)
/* A failure: a dead job, an unreadable message or a failed attachment (kind says which). */
#define STORE_BATCH_FAILURE_COLUMNS(X) X(kind, TEXT) X(subject, OPT_TEXT) X(error, OPT_TEXT)
STORE_ROW_TYPES(store_batch_failure, STORE_BATCH_FAILURE_COLUMNS)
/* A message of the batch without a finished case: the ingest job not done, or the case still
 * new, extracting or codifying (why says which, and names the condition a waiting job waits
 * for). */
#define STORE_BATCH_UNFINISHED_COLUMNS(X) X(file, OPT_TEXT) X(cot, OPT_TEXT) X(why, OPT_TEXT)
STORE_ROW_TYPES(store_batch_unfinished, STORE_BATCH_UNFINISHED_COLUMNS)
typedef struct store_batch_summary {
    store_batch_item_list items;
    store_batch_case_list cases;             /* by COT */
    store_batch_failure_list failures;
    store_batch_unfinished_list unfinished;  /* by job id */
} store_batch_summary;
/* Fills *out (zeroed first; clear it with store_batch_summary_clear, also on error). */
int store_jobs_batch_summary(PGconn *c, const char *batch_id, store_batch_summary *out, minca_err *err);
void store_batch_summary_clear(store_batch_summary *s);

/* ---- the queue at a glance (minca status) ---- */
/* Jobs by kind and state. */
#define STORE_JOB_COUNT_COLUMNS(X) X(kind, TEXT) X(state, TEXT) X(jobs, LL)
STORE_ROW_TYPES(store_job_count, STORE_JOB_COUNT_COLUMNS)
/* A worker alive in the last minute; heartbeat_age in seconds. */
#define STORE_WORKER_LIVE_COLUMNS(X) X(name, TEXT) X(host, TEXT) X(pid, INT) X(threads, INT) X(heartbeat_age, DOUBLE)
STORE_ROW_TYPES(store_worker_live, STORE_WORKER_LIVE_COLUMNS)
/* A dead job: at is when it died ("YYYY-MM-DD HH24:MI:SS"), last_error NULL when none. */
#define STORE_JOB_DEAD_COLUMNS(X) X(id, LL) X(kind, TEXT) X(attempts, INT) X(last_error, OPT_TEXT) X(at, TEXT)
STORE_ROW_TYPES(store_job_dead, STORE_JOB_DEAD_COLUMNS)
typedef struct store_queue_status {
    store_job_count_list jobs;
    double oldest_queued_seconds;   /* 0 when none is queued */
    store_worker_live_list workers; /* by name */
    long long done_last_minute;
    store_job_dead_list dead;       /* the newest 50, newest first */
} store_queue_status;
/* Fills *out (zeroed first; clear it with store_queue_status_clear, also on error). */
int store_jobs_status(PGconn *c, store_queue_status *out, minca_err *err);
void store_queue_status_clear(store_queue_status *s);

/* ---- workers ---- */
/* Records (or refreshes) the engine process name running threads job threads. */
int store_worker_register(PGconn *c, const char *name, const char *host, int pid, int threads, minca_err *err);
int store_worker_heartbeat(PGconn *c, const char *name, minca_err *err);
int store_worker_remove(PGconn *c, const char *name, minca_err *err);
/* Session settings of a worker thread's connection: its application_name (the janitor finds
 * a stalled worker's session by it), a 5-minute statement timeout, and lock and
 * idle-in-transaction timeouts in seconds. */
int store_worker_session_setup(PGconn *c, const char *app_name, int lock_timeout_seconds, int idle_timeout_seconds,
                               minca_err *err);

#endif
