/* engine runner: a pool of threads taking jobs from the queue and running the pipeline
 * step handlers. Runs inside the TUI, `minca batch` and `minca worker`. Each thread owns its
 * own PostgreSQL and Redis connections and reconnects with backoff when a server goes away. */
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

typedef int (*engine_handler)(engine_ctx *ctx, minca_err *err);

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
} engine_opts;

engine *engine_start(const engine_opts *o, minca_err *err);
/* Asks the threads to stop after their current job and waits for them. Frees the engine. */
void engine_stop(engine *e);
engine_event_counts engine_counts(engine *e);

/* Handler registry (steps.c registers the pipeline's). */
void engine_register(const char *kind, engine_handler fn);
engine_handler engine_handler_for(const char *kind);

#endif
