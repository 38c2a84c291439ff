/* engine runner: a pool of threads taking jobs from the queue and running the handlers of
 * the job kinds it was started with. Runs inside the TUI, `minca batch`, `minca worker` and
 * the other commands that process what they queued. Each thread owns its own PostgreSQL and
 * Redis connections and reconnects with backoff when a server goes away.
 *
 * Job kinds are a table, each kind described once (the way redis describes a command): one
 * engine_kind row carries its name, its handler, its payload (a struct per kind, packed to and
 * unpacked from the job's JSON by the field list, so no caller builds JSON by hand), its retry
 * class and its on-dead hook. The pipeline's rows are in steps.c (steps_kinds, engine_steps.h).
 * Everything is enqueued through engine_enqueue(); a handler starts follow-ups with
 * engine_followup().
 *
 * Ownership: engine_start() returns an engine the caller ends with engine_stop(), which frees
 * it; the kind list and the listener's user pointer are borrowed and must outlive it. */
#ifndef MINCA_ENGINE_RUN_H
#define MINCA_ENGINE_RUN_H

#include "minca/core.h"
#include "minca/queue.h"

typedef struct engine engine;

/* What a handler sees. The runner has opened a transaction on pg; the handler does its
 * effects in it and enqueues follow-up jobs with engine_followup(). The runner then marks
 * the job done in the same transaction, commits, dispatches the follow-ups and publishes
 * an event. A handler returning -1 (err set) has its transaction rolled back and the job
 * is retried later or ends dead. */
typedef struct engine_ctx {
    engine *eng;
    PGconn *pg;
    redisContext *redis;      /* may be NULL while Redis is away */
    const char *worker;       /* this thread's worker name */
    const queue_job *job;
    long long followups[16];
    int n_followups;
    json_t *event;            /* the handler may fill it: published after commit (owned) */
    char wait_for[128];       /* with ENGINE_WAIT: the condition the job waits for */
} engine_ctx;

/* What a handler returns. */
enum {
    ENGINE_DONE = 0,              /* the runner marks the job done in the handler's transaction */
    ENGINE_FAILED = -1,           /* err set; rolled back; retried or dead as the kind's retry class says */
    ENGINE_FAILED_PERMANENT = -2, /* err set; rolled back; dead at once (retrying cannot help) */
    ENGINE_WAIT = 1,              /* ctx->wait_for set: a condition the job needs is not met. The
                                   * runner parks the job in the handler's transaction (what the
                                   * handler did so far is committed with it, and a wait lock it
                                   * took holds until then) with no attempt used; whatever meets
                                   * the condition wakes it (store_jobs_wake). */
};

/* What an ordinary failure (ENGINE_FAILED) of a kind is. */
typedef enum engine_retry {
    ENGINE_RETRY_TRANSIENT = 0,   /* retried with exponential backoff until max_attempts */
    ENGINE_RETRY_PERMANENT,       /* dead at once with its reason */
} engine_retry;

/* One field of a kind's payload struct. TEXT fields are `const char *` (NULL: absent; after
 * unpacking they point into the job's payload and live as long as the job); INT fields are
 * `long long` (0: absent). */
typedef enum engine_field_type { ENGINE_FIELD_TEXT, ENGINE_FIELD_INT } engine_field_type;
typedef struct engine_field {
    const char *name;
    engine_field_type type;
    size_t offset;                /* offsetof(payload struct, field) */
    bool required;                /* unpacking a payload without it fails (permanently) */
} engine_field;
#define ENGINE_PAYLOAD_MAX 256    /* the largest payload struct */

typedef struct engine_kind engine_kind;
/* payload: the kind's struct, unpacked from the job. */
typedef int (*engine_handler_fn)(engine_ctx *ctx, const void *payload, minca_err *err);
/* Called after the job ended dead (its own transaction is over; c is usable). */
typedef void (*engine_dead_fn)(PGconn *c, const queue_job *job, const void *payload, const char *error);

/* One job kind. */
struct engine_kind {
    const char *name;
    engine_handler_fn run;
    size_t payload_size;          /* sizeof the payload struct, at most ENGINE_PAYLOAD_MAX */
    const engine_field *fields;   /* the struct's fields, ended by a row with name NULL */
    engine_retry retry;
    engine_dead_fn on_dead;       /* NULL: nothing to do */
};

/* Packs payload (the kind's struct) and enqueues a job of the kind inside the caller's open
 * transaction: queue_enqueue with the options o (may be NULL). *job_id: the id, or 0 when a job
 * with the same kind and idempotency key already existed. The caller commits, then
 * queue_dispatch()es the id. */
int engine_enqueue(PGconn *c, const engine_kind *kind, const void *payload, const queue_enqueue_opts *o,
                   long long *job_id, minca_err *err);
/* Enqueues a follow-up job in the handler's transaction: it inherits the insurer and the
 * batch the running job is in, and is dispatched after the commit. */
int engine_followup(engine_ctx *ctx, const engine_kind *kind, const void *payload, const char *idempotency_key,
                    minca_err *err);
/* The kind's payload as a new JSON object (NULL: payload was NULL). */
json_t *engine_payload_pack(const engine_kind *kind, const void *payload);
/* Fills out (payload_size bytes) from a job's JSON payload; -1 with err when a required field
 * is missing or a field has the wrong type. Text fields point into json. */
int engine_payload_unpack(const engine_kind *kind, json_t *json, void *out, minca_err *err);

typedef struct engine_event_counts {
    long done, failed, dead;
} engine_event_counts;

/* Called (from engine threads) after each job finishes; must be quick and thread-safe. */
typedef void (*engine_listener)(const queue_job *job, bool ok, const char *error, json_t *event, void *user);

typedef struct engine_opts {
    int threads;              /* default: config workers */
    int lease_seconds;        /* default 30 */
    const char *name;         /* worker name prefix; default host:pid */
    engine_listener listener;
    void *listener_user;
    /* The job kinds this engine runs, NULL-terminated (required; borrowed). Jobs of other
     * kinds are left in the queue for processes that know them. */
    const engine_kind *const *kinds;
    /* NULL: any job. Otherwise only the jobs of this batch (a command running its own work):
     * they are taken from PostgreSQL, and the shared stream's wake-ups are left to the workers. */
    const char *batch_id;
} engine_opts;

/* Registers the process in `workers` and starts the threads. NULL with err when it cannot
 * (no handlers, or the database refuses the registration). PostgreSQL out of reach is not a
 * failure: the threads wait for it and the engine registers once it answers. */
engine *engine_start(const engine_opts *o, minca_err *err);
/* Asks the threads to stop after their current job and waits for them. Frees the engine. */
void engine_stop(engine *e);
engine_event_counts engine_counts(engine *e);

/* ---- waiting for a batch (engine_drain) ---- */
typedef struct engine_drain_opts {
    int poll_ms;              /* pause between checks; default 200 */
    /* Before each check: false gives up waiting (engine_drain returns 1). For example
     * reconnects c after a server restart, within a give-up window. NULL: none. */
    bool (*ready)(PGconn *c, void *user);
    /* After a check that found pending (> 0) jobs, before the pause. NULL: none. */
    void (*progress)(engine *e, long pending, void *user);
    /* A check that failed: true keeps waiting (after a pause), false ends the wait with -1
     * and the reason in err. NULL: the first failure ends the wait. */
    bool (*failed)(const minca_err *err, void *user);
    void *user;
} engine_drain_opts;

/* Waits, checking through c, until batch_id (NULL: the whole queue, every batch and insurer)
 * has no unfinished job (queued, running or failed awaiting retry; a job waiting for a
 * condition is not waited for) while e (and any other worker) runs them. o may be NULL. Returns 0 when
 * the batch is finished, 1 when o->ready gave up, -1 when a check failed (err). Does not stop
 * the engine. */
int engine_drain(engine *e, PGconn *c, const char *batch_id, const engine_drain_opts *o, minca_err *err);

#endif
