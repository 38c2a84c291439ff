/* The job-running thread pool. */
#include <glib.h>
#include "minca/core_config.h"
#include "minca/engine_run.h"
#include "minca/store_jobs.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

typedef struct worker_thread {
    struct engine *eng;
    int index;
    char name[160];
    PGconn *pg;
    redisContext *redis;
    double redis_retry_at, pg_retry_at;
    int pg_backoff;
    atomic_llong current_job;   /* the job in hand (0: none): its lease is kept alive */
} worker_thread;

struct engine {
    engine_opts opts;
    char name[128];
    pthread_t threads[MAX_THREADS];
    worker_thread *workers[MAX_THREADS];   /* owned; freed after the threads are joined */
    int n_threads;
    pthread_t keeper;
    atomic_bool stop;
    atomic_bool registered;   /* the workers row exists (written at start, or by the keeper once
                               * PostgreSQL is reachable when it was not at start) */
    atomic_long done, failed, dead;
    char kinds[1024];   /* the job kinds of opts.kinds as a PostgreSQL array literal */
    char batch_id[128]; /* opts.batch_id copied ("" when none) */
};

static const engine_kind *kind_named(const engine *e, const char *name)
{
    for (const engine_kind *const *k = e->opts.kinds; *k; k++)
        if (strcmp((*k)->name, name) == 0)
            return *k;
    return NULL;
}

/* ---- payloads ----------------------------------------------------------------------------- */

json_t *engine_payload_pack(const engine_kind *kind, const void *payload)
{
    if (!payload)
        return NULL;
    json_t *o = json_object();
    for (const engine_field *f = kind->fields; f && f->name; f++) {
        const char *at = (const char *)payload + f->offset;
        if (f->type == ENGINE_FIELD_TEXT) {
            const char *v = *(const char *const *)(const void *)at;
            if (v)
                json_object_set_new(o, f->name, json_string(v));
        } else {
            long long v = *(const long long *)(const void *)at;
            if (v || f->required)
                json_object_set_new(o, f->name, json_integer((json_int_t)v));
        }
    }
    return o;
}

int engine_payload_unpack(const engine_kind *kind, json_t *json, void *out, minca_err *err)
{
    memset(out, 0, kind->payload_size);
    for (const engine_field *f = kind->fields; f && f->name; f++) {
        json_t *v = json_object_get(json, f->name);
        char *at = (char *)out + f->offset;
        if (!v || json_is_null(v)) {
            if (f->required)
                return minca_err_set(err, "%s job without %s in its payload", kind->name, f->name);
            continue;
        }
        if (f->type == ENGINE_FIELD_TEXT && json_is_string(v))
            *(const char **)(void *)at = json_string_value(v);
        else if (f->type == ENGINE_FIELD_INT && json_is_integer(v))
            *(long long *)(void *)at = (long long)json_integer_value(v);
        else
            return minca_err_set(err, "%s job: %s in its payload is not a %s", kind->name, f->name,
                                 f->type == ENGINE_FIELD_TEXT ? "string" : "whole number");
    }
    return 0;
}

int engine_enqueue(PGconn *c, const engine_kind *kind, const void *payload, const queue_enqueue_opts *o,
                   long long *job_id, minca_err *err)
{
    json_t *json = engine_payload_pack(kind, payload);
    int rc = queue_enqueue(c, kind->name, json, o, job_id, err);
    json_decref(json);
    return rc;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Keeps pg connected; returns false while the server is unreachable (with backoff). */
static bool ensure_pg(worker_thread *w)
{
    if (w->pg && PQstatus(w->pg) == CONNECTION_OK)
        return true;
    if (core_now_seconds() < w->pg_retry_at)
        return false;
    minca_err err = {0};
    if (w->pg)
        PQfinish(w->pg);
    w->pg = store_connect(&err);
    if (!w->pg) {
        w->pg_backoff = w->pg_backoff ? (w->pg_backoff * 2 > 8000 ? 8000 : w->pg_backoff * 2) : 250;
        w->pg_retry_at = core_now_seconds() + w->pg_backoff / 1000.0;
        log_warn("%s: PostgreSQL unavailable, retrying in %d ms: %s", w->name, w->pg_backoff, err.msg);
        return false;
    }
    /* A statement stuck longer than this (a runaway query) fails the job instead of holding
     * its lease forever; a lock wait gives up after about a lease (the holder is then stalled,
     * and the janitor ends its session), and a transaction left idle for several leases (its
     * process stopped) is ended by the server itself. The session carries the thread's name,
     * which is how the janitor finds it. */
    int lease = w->eng->opts.lease_seconds > 0 ? w->eng->opts.lease_seconds : config_get()->lease_seconds;
    store_worker_session_setup(w->pg, w->name, lease + 2, lease * 4 > 120 ? lease * 4 : 120, NULL);
    if (w->pg_backoff)
        log_info("%s: reconnected to PostgreSQL", w->name);
    w->pg_backoff = 0;
    /* A job this thread had claimed when the connection broke is not in hand any more: give
     * it back now instead of waiting for its lease. */
    store_jobs_release_worker(w->pg, w->name, NULL);
    return true;
}

static void drop_redis(worker_thread *w, const char *why)
{
    if (w->redis) {
        log_warn("%s: Redis connection lost (%s); falling back to PostgreSQL polling", w->name, why);
        redisFree(w->redis);
    }
    w->redis = NULL;
    w->redis_retry_at = core_now_seconds() + 2.0;
}

static void ensure_redis(worker_thread *w)
{
    if (w->redis || core_now_seconds() < w->redis_retry_at)
        return;
    minca_err err = {0};
    w->redis = queue_redis_connect(&err);
    if (!w->redis || queue_redis_prepare(w->redis, &err) < 0) {
        if (w->redis)
            redisFree(w->redis);
        w->redis = NULL;
        w->redis_retry_at = core_now_seconds() + 2.0;
        log_debug("%s: Redis unavailable: %s", w->name, err.msg);
    }
}

int engine_followup(engine_ctx *ctx, const engine_kind *kind, const void *payload, const char *key, minca_err *err)
{
    /* The batch comes from the parent's row: a batch that took the parent over gets it too. */
    queue_enqueue_opts o = {
        .insurer_id = ctx->job->insurer_id,
        .idempotency_key = key,
        .parent_id = ctx->job->id,
    };
    long long id = 0;
    if (engine_enqueue(ctx->pg, kind, payload, &o, &id, err) < 0)
        return -1;
    if (id && ctx->n_followups < (int)(sizeof ctx->followups / sizeof ctx->followups[0]))
        ctx->followups[ctx->n_followups++] = id;
    return 0;
}

static void publish_event(worker_thread *w, const queue_job *job, bool ok, const char *error, json_t *event)
{
    engine *e = w->eng;
    if (e->opts.listener)
        e->opts.listener(job, ok, error, event, e->opts.listener_user);
    if (!w->redis)
        return;
    json_t *msg = json_pack("{s:I, s:s, s:b, s:s?, s:O?}", "job", (json_int_t)job->id, "kind", job->kind, "ok", ok,
                            "error", error, "data", event);
    char *s = json_dumps(msg, JSON_COMPACT);
    minca_err err = {0};
    char channel[QUEUE_EVENTS_CHANNEL_MAX];
    queue_events_channel(channel);
    redisReply *r = queue_redis_cmd(w->redis, &err, "PUBLISH %s %s", channel, s);
    if (r)
        freeReplyObject(r);
    free(s);
    json_decref(msg);
}

/* Runs the kind's handler in a transaction that also marks the job done (or parks it). */
static int run_handler(worker_thread *w, const engine_kind *kind, engine_ctx *ctx, minca_err *err)
{
    _Alignas(max_align_t) unsigned char payload[ENGINE_PAYLOAD_MAX];
    if (kind->payload_size > sizeof payload) {
        minca_err_set(err, "%s job: its payload struct is larger than ENGINE_PAYLOAD_MAX", kind->name);
        return ENGINE_FAILED_PERMANENT;
    }
    if (engine_payload_unpack(kind, ctx->job->payload, payload, err) < 0)
        return ENGINE_FAILED_PERMANENT;
    if (store_begin(w->pg, err) < 0)
        return ENGINE_FAILED;
    int rc = kind->run(ctx, payload, err);
    if (rc == ENGINE_WAIT && !ctx->wait_for[0])
        rc = minca_err_set(err, "%s job: its handler asked to wait without saying for what", kind->name);
    if (rc == ENGINE_WAIT && queue_job_wait(w->pg, ctx->job, w->name, ctx->wait_for, err) < 0)
        rc = ENGINE_FAILED;
    else if (rc == ENGINE_DONE && queue_job_done(w->pg, ctx->job, w->name, ctx->event, err) < 0)
        rc = ENGINE_FAILED;
    if ((rc == ENGINE_DONE || rc == ENGINE_WAIT) && store_commit(w->pg, err) < 0)
        rc = ENGINE_FAILED;
    if (rc < 0)
        store_rollback(w->pg);
    return rc;
}

/* A failed job: retried or dead by its retry class; the kind's hook runs on a dead one. */
static void job_failed(worker_thread *w, const engine_kind *kind, const queue_job *job, bool permanent,
                       const char *error)
{
    engine *e = w->eng;
    bool connected = PQstatus(w->pg) == CONNECTION_OK;
    permanent = permanent || !kind || kind->retry == ENGINE_RETRY_PERMANENT;
    log_warn("%s: job %lld (%s) attempt %d/%d failed%s: %s", w->name, job->id, job->kind, job->attempts,
             job->max_attempts, permanent ? " for good" : "", error);
    minca_err ferr = {0};
    int dead = connected ? queue_job_failed(w->pg, job, w->name, error, permanent, &ferr)
                         : (permanent || job->attempts >= job->max_attempts);
    if (dead < 0) {
        log_error("%s: cannot record the failure of job %lld: %s", w->name, job->id, ferr.msg);
        dead = permanent || job->attempts >= job->max_attempts;
    }
    if (!dead) {
        atomic_fetch_add(&e->failed, 1);
        return;
    }
    atomic_fetch_add(&e->dead, 1);
    if (!connected || !kind || !kind->on_dead)
        return;
    _Alignas(max_align_t) unsigned char payload[ENGINE_PAYLOAD_MAX];
    minca_err perr = {0};
    if (kind->payload_size <= sizeof payload && engine_payload_unpack(kind, job->payload, payload, &perr) == 0)
        kind->on_dead(w->pg, job, payload, error);
}

static void run_job(worker_thread *w, queue_job *job, const char *stream_entry)
{
    engine *e = w->eng;
    engine_ctx ctx = {.eng = e, .pg = w->pg, .redis = w->redis, .worker = w->name, .job = job};
    minca_err err = {0};
    const engine_kind *kind = kind_named(e, job->kind);
    json_t *cid = json_object_get(job->payload, "case_id"), *mid = json_object_get(job->payload, "message_id");
    log_set_ids(job->id, json_is_integer(cid) ? (long long)json_integer_value(cid) : 0,
                json_is_integer(mid) ? (long long)json_integer_value(mid) : 0);
    int rc = ENGINE_FAILED_PERMANENT;
    if (!kind)
        minca_err_set(&err, "no handler for job kind '%s'", job->kind);
    else
        rc = run_handler(w, kind, &ctx, &err);
    if (rc == ENGINE_DONE) {
        queue_dispatch(w->redis, ctx.followups, ctx.n_followups);
        atomic_fetch_add(&e->done, 1);
        publish_event(w, job, true, NULL, ctx.event);
    } else if (rc == ENGINE_WAIT) {
        log_info("%s: job %lld (%s) waits for the %s", w->name, job->id, job->kind, ctx.wait_for);
    } else {
        job_failed(w, kind, job, rc == ENGINE_FAILED_PERMANENT, err.msg);
        publish_event(w, job, false, err.msg, ctx.event);
    }
    json_decref(ctx.event);
    if (stream_entry && w->redis) {
        minca_err aerr = {0};
        redisReply *r = queue_redis_cmd(w->redis, &aerr, "XACK %s %s %s", QUEUE_STREAM, QUEUE_GROUP, stream_entry);
        if (r)
            freeReplyObject(r);
        else
            drop_redis(w, aerr.msg);
    }
    log_set_ids(0, 0, 0);
}

/* Waits up to wait_ms for a wake-up on the stream. Returns the job id (0: none) and copies the
 * stream entry id to entry. */
static long long read_stream(worker_thread *w, int wait_ms, char *entry, size_t entry_len)
{
    entry[0] = '\0';
    if (!w->redis)
        return 0;
    minca_err err = {0};
    redisReply *r = queue_redis_cmd(w->redis, &err, "XREADGROUP GROUP %s %s COUNT 1 BLOCK %d STREAMS %s >",
                                    QUEUE_GROUP, w->name, wait_ms, QUEUE_STREAM);
    if (!r) {
        if (strstr(err.msg, "NOGROUP")) {
            queue_redis_prepare(w->redis, NULL);
            return 0;
        }
        drop_redis(w, err.msg);
        return 0;
    }
    long long id = 0;
    /* [[stream, [[entry-id, [field, value]]]]] */
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
        redisReply *stream = r->element[0];
        if (stream->type == REDIS_REPLY_ARRAY && stream->elements == 2 && stream->element[1]->elements > 0) {
            redisReply *item = stream->element[1]->element[0];
            if (item->type == REDIS_REPLY_ARRAY && item->elements == 2) {
                snprintf(entry, entry_len, "%s", item->element[0]->str);
                redisReply *fields = item->element[1];
                for (size_t i = 0; i + 1 < fields->elements; i += 2)
                    if (strcmp(fields->element[i]->str, "job") == 0)
                        id = strtoll(fields->element[i + 1]->str, NULL, 10);
            }
        }
    }
    freeReplyObject(r);
    return id;
}

static void *worker_main(void *arg)
{
    worker_thread *w = arg;
    engine *e = w->eng;
    int lease = e->opts.lease_seconds;
    while (!atomic_load(&e->stop)) {
        if (!ensure_pg(w)) {
            sleep_ms(200);
            continue;
        }
        ensure_redis(w);
        char entry[64];
        queue_job job;
        int claimed = 0;
        minca_err err = {0};
        /* An engine of one batch leaves the shared stream's wake-ups to the workers. */
        long long id = e->batch_id[0] ? 0 : read_stream(w, 500, entry, sizeof entry);
        if (atomic_load(&e->stop))
            break;
        if (id > 0) {
            claimed = queue_claim(w->pg, id, w->name, lease, e->kinds, &job, &err);
            if (claimed == 0 && w->redis) {
                /* Done, leased elsewhere or not due: PostgreSQL decides; drop the wake-up. */
                redisReply *r = queue_redis_cmd(w->redis, NULL, "XACK %s %s %s", QUEUE_STREAM, QUEUE_GROUP, entry);
                if (r)
                    freeReplyObject(r);
            }
        } else {
            claimed = queue_claim_next(w->pg, w->name, lease, e->kinds, e->batch_id[0] ? e->batch_id : NULL, &job,
                                       &err);
            entry[0] = '\0';
            if (claimed == 0 && (!w->redis || e->batch_id[0]))
                sleep_ms(e->batch_id[0] ? 100 : 300);
        }
        if (claimed < 0) {
            log_warn("%s: claim failed: %s", w->name, err.msg);
            sleep_ms(200);
            continue;
        }
        if (claimed == 1) {
            atomic_store(&w->current_job, job.id);
            run_job(w, &job, entry[0] ? entry : NULL);
            atomic_store(&w->current_job, 0);
            queue_job_clear(&job);
        }
    }
    if (w->redis)
        redisFree(w->redis);
    if (w->pg)
        PQfinish(w->pg);
    return NULL;
}

/* Heartbeat, lease extension and janitor, once per process. */
static void *keeper_main(void *arg)
{
    engine *e = arg;
    worker_thread w = {.eng = e};
    snprintf(w.name, sizeof w.name, "%s/keeper", e->name);
    double next_janitor = 0;
    while (!atomic_load(&e->stop)) {
        if (ensure_pg(&w)) {
            ensure_redis(&w);
            minca_err err = {0};
            for (int i = 0; i < e->n_threads; i++) {
                long long job = atomic_load(&e->workers[i]->current_job);
                if (job && queue_heartbeat(w.pg, e->workers[i]->name, job, e->opts.lease_seconds, &err) < 0)
                    log_warn("heartbeat: %s", err.msg);
            }
            if (!atomic_load(&e->registered)) {
                char host[128] = "localhost";
                gethostname(host, sizeof host - 1);
                if (store_worker_register(w.pg, e->name, host, (int)getpid(), e->n_threads, &err) == 0)
                    atomic_store(&e->registered, true);
                else
                    log_warn("%s: cannot register: %s", w.name, err.msg);
            }
            store_worker_heartbeat(w.pg, e->name, NULL);
            if (core_now_seconds() >= next_janitor) {
                if (queue_janitor(w.pg, w.redis, 30, &err) < 0)
                    log_warn("janitor: %s", err.msg);
                next_janitor = core_now_seconds() + 2.0;
            }
        }
        for (int i = 0; i < 10 && !atomic_load(&e->stop); i++)
            sleep_ms(100);
    }
    if (w.redis)
        redisFree(w.redis);
    if (w.pg) {
        store_worker_remove(w.pg, e->name, NULL);
        PQfinish(w.pg);
    }
    return NULL;
}

/* Writes the engine's workers row. PostgreSQL out of reach (a restart under way) is not an
 * error: the threads wait for it like for any outage, and the keeper registers the engine once
 * it is back. A server that answers but refuses the row is. */
static int register_worker(engine *e, minca_err *err)
{
    minca_err why = {0};
    PGconn *c = store_connect(&why);
    if (!c) {
        log_warn("engine %s: PostgreSQL is out of reach at start (%s); its threads wait for it", e->name, why.msg);
        return 0;
    }
    char host[128] = "localhost";
    gethostname(host, sizeof host - 1);
    int rc = store_worker_register(c, e->name, host, (int)getpid(), e->n_threads, err);
    PQfinish(c);
    if (rc == 0)
        atomic_store(&e->registered, true);
    return rc;
}

engine *engine_start(const engine_opts *o, minca_err *err)
{
    if (!o || !o->kinds || !o->kinds[0]) {
        minca_err_set(err, "the engine was given no job kinds to run");
        return NULL;
    }
    engine *e = g_malloc0_n(1, sizeof *e);
    e->opts = *o;
    if (e->opts.threads <= 0)
        e->opts.threads = config_get()->workers;
    if (e->opts.threads > MAX_THREADS)
        e->opts.threads = MAX_THREADS;
    if (e->opts.lease_seconds <= 0)
        e->opts.lease_seconds = config_get()->lease_seconds;
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(e->name, sizeof e->name, "%s%s%s:%d", e->opts.name ? e->opts.name : "", e->opts.name ? "@" : "",
             host, (int)getpid());
    e->n_threads = e->opts.threads;
    snprintf(e->batch_id, sizeof e->batch_id, "%s", e->opts.batch_id ? e->opts.batch_id : "");
    e->opts.batch_id = NULL;   /* borrowed: the copy is used */
    size_t used = (size_t)snprintf(e->kinds, sizeof e->kinds, "{");
    for (const engine_kind *const *k = e->opts.kinds; *k && used < sizeof e->kinds; k++)
        used += (size_t)snprintf(e->kinds + used, sizeof e->kinds - used, "%s%s", k == e->opts.kinds ? "" : ",",
                                 (*k)->name);
    if (used < sizeof e->kinds)
        snprintf(e->kinds + used, sizeof e->kinds - used, "}");
    if (register_worker(e, err) < 0) {
        g_free(e);
        return NULL;
    }
    for (int i = 0; i < e->n_threads; i++) {
        worker_thread *w = g_malloc0_n(1, sizeof *w);
        e->workers[i] = w;
        w->eng = e;
        w->index = i;
        snprintf(w->name, sizeof w->name, "%s/%d", e->name, i);
        pthread_create(&e->threads[i], NULL, worker_main, w);
    }
    pthread_create(&e->keeper, NULL, keeper_main, e);
    log_info("engine %s started with %d thread(s)", e->name, e->n_threads);
    return e;
}

void engine_stop(engine *e)
{
    if (!e)
        return;
    atomic_store(&e->stop, true);
    for (int i = 0; i < e->n_threads; i++)
        pthread_join(e->threads[i], NULL);
    pthread_join(e->keeper, NULL);
    for (int i = 0; i < e->n_threads; i++)
        g_free(e->workers[i]);
    log_info("engine %s stopped (%ld done, %ld failed, %ld dead)", e->name, atomic_load(&e->done),
             atomic_load(&e->failed), atomic_load(&e->dead));
    g_free(e);
}

engine_event_counts engine_counts(engine *e)
{
    engine_event_counts c = {atomic_load(&e->done), atomic_load(&e->failed), atomic_load(&e->dead)};
    return c;
}

int engine_drain(engine *e, PGconn *c, const char *batch_id, const engine_drain_opts *o, minca_err *err)
{
    engine_drain_opts defaults = {0};
    if (!o)
        o = &defaults;
    long pause_ms = o->poll_ms > 0 ? o->poll_ms : 200;
    for (;;) {
        if (o->ready && !o->ready(c, o->user))
            return 1;
        long pending = batch_id ? queue_batch_pending(c, batch_id, err) : store_jobs_unfinished(c, err);
        if (pending == 0)
            return 0;
        if (pending < 0) {
            if (!o->failed || !o->failed(err, o->user))
                return -1;
        } else if (o->progress) {
            o->progress(e, pending, o->user);
        }
        sleep_ms(pause_ms);
    }
}
