/* engine runner: a pool of threads taking jobs from the queue and running the handlers of
 * the job kinds it was started with. Runs inside the TUI, `minca batch`, `minca worker` and
 * the other commands that process what they queued. Each thread owns its own PostgreSQL and
 * Redis connections and reconnects with backoff when a server goes away.
 *
 * Job kinds are a table: each kind is one engine_handler entry (its name and its function),
 * defined in the file that implements it, and one row in the list given to engine_start()
 * (the pipeline's is steps_handlers, steps.h). Adding a kind is one file and one row.
 *
 * Ownership: engine_start() returns an engine the caller ends with engine_stop(), which frees
 * it; the handler list and the listener's user pointer are borrowed and must outlive it. */
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
} engine_ctx;

typedef int (*engine_handler_fn)(engine_ctx *ctx, minca_err *err);

/* One job kind: jobs whose kind is `kind` are run by `run`. */
typedef struct engine_handler {
    const char *kind;
    engine_handler_fn run;
} engine_handler;

/* Enqueues a follow-up job in the handler's transaction (inherits insurer and batch). */
int engine_followup(engine_ctx *ctx, const char *kind, json_t *payload, const char *idempotency_key,
                    minca_err *err);

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
    const engine_handler *const *handlers;
} engine_opts;

/* Registers the process in `workers` and starts the threads. NULL with err when it cannot
 * (no handlers, or the database refuses the registration). */
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
 * has no unfinished job (queued, running or failed awaiting retry) while e (and any other
 * worker) runs them. o may be NULL. Returns 0 when
 * the batch is finished, 1 when o->ready gave up, -1 when a check failed (err). Does not stop
 * the engine. */
int engine_drain(engine *e, PGconn *c, const char *batch_id, const engine_drain_opts *o, minca_err *err);

#endif
