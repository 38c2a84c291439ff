/* Queue throughput: jobs per second through the engine (PostgreSQL truth + Redis Stream
 * dispatch, leases, acknowledgements) with 1 and 2 worker threads, beside a baseline in the
 * same run: the same jobs claimed by a plain `SELECT ... FOR UPDATE SKIP LOCKED` loop in
 * PostgreSQL alone. Needs MINCA_DATABASE_URL and MINCA_REDIS_URL (tests/bench/run.sh starts
 * throwaway servers). */
#include "minca/core_config.h"
#include "minca/engine_run.h"
#include "minca/queue.h"
#include "minca/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_JOBS 2000

static atomic_long finished;

static int bench_handler(engine_ctx *ctx, const void *payload, minca_err *err)
{
    (void)ctx;
    (void)payload;
    (void)err;
    return ENGINE_DONE;
}

static const engine_field bench_fields[] = {{0}};
static const engine_kind bench_kind = {"bench", bench_handler, 0, bench_fields, ENGINE_RETRY_TRANSIENT, NULL};
static const engine_kind *const bench_kinds[] = {&bench_kind, NULL};

static void on_done(const queue_job *job, bool ok, const char *error, json_t *event, void *user)
{
    (void)job; (void)ok; (void)error; (void)event; (void)user;
    atomic_fetch_add(&finished, 1);
}

static void die(const char *what, const minca_err *err)
{
    fprintf(stderr, "bench_queue: %s: %s\n", what, err->msg);
    exit(1);
}

/* Inserts N jobs of kind in one transaction; returns their ids (malloc'd). */
static long long *enqueue_jobs(PGconn *c, const char *kind)
{
    minca_err err = {0};
    long long *ids = g_malloc(sizeof *ids * N_JOBS);
    if (store_exec(c, &err, "DELETE FROM jobs WHERE kind LIKE 'bench%'", 0, NULL) < 0 || store_begin(c, &err) < 0)
        die("prepare", &err);
    for (int i = 0; i < N_JOBS; i++)
        if (queue_enqueue(c, kind, NULL, NULL, &ids[i], &err) < 0)   /* the baseline's kind has no row */
            die("enqueue", &err);
    if (store_commit(c, &err) < 0)
        die("commit", &err);
    return ids;
}

static double run_engine(PGconn *c, redisContext *r, int threads)
{
    long long *ids = enqueue_jobs(c, "bench");
    atomic_store(&finished, 0);
    double t0 = core_now_seconds();
    queue_dispatch(r, ids, N_JOBS);
    minca_err err = {0};
    engine_opts o = {.threads = threads, .name = "bench", .listener = on_done, .kinds = bench_kinds};
    engine *e = engine_start(&o, &err);
    if (!e)
        die("engine", &err);
    while (atomic_load(&finished) < N_JOBS)
        usleep(1000);
    double elapsed = core_now_seconds() - t0;
    engine_stop(e);
    g_free(ids);
    return N_JOBS / elapsed;
}

typedef struct baseline_arg {
    atomic_long *done;
} baseline_arg;

static void *baseline_thread(void *arg)
{
    baseline_arg *a = arg;
    minca_err err = {0};
    PGconn *c = store_connect(&err);
    if (!c)
        die("connect", &err);
    for (;;) {
        PGresult *res = store_query(c, &err,
                                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = 'baseline'"
                                    " WHERE id = (SELECT id FROM jobs WHERE kind = 'bench_base' AND state = 'queued'"
                                    "             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
                                    0, NULL);
        if (!res)
            die("claim", &err);
        if (PQntuples(res) == 0) {
            PQclear(res);
            break;
        }
        const char *p[] = {PQgetvalue(res, 0, 0)};
        if (store_begin(c, &err) < 0 ||
            store_exec(c, &err, "UPDATE jobs SET state = 'done', finished_at = now() WHERE id = $1::bigint", 1, p) < 0 ||
            store_commit(c, &err) < 0)
            die("done", &err);
        PQclear(res);
        atomic_fetch_add(a->done, 1);
    }
    PQfinish(c);
    return NULL;
}

static double run_baseline(PGconn *c, int threads)
{
    g_free(enqueue_jobs(c, "bench_base"));
    atomic_long done = 0;
    baseline_arg a = {&done};
    pthread_t t[8];
    double t0 = core_now_seconds();
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, baseline_thread, &a);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double elapsed = core_now_seconds() - t0;
    if (atomic_load(&done) != N_JOBS)
        fprintf(stderr, "bench_queue: baseline finished %ld of %d jobs\n", atomic_load(&done), N_JOBS);
    return N_JOBS / elapsed;
}

int main(void)
{
    minca_err err = {0};
    if (config_load(&err) < 0)
        die("config", &err);
    log_set_level(LOG_WARN);
    if (!config_get()->database_url || !config_get()->redis_url) {
        printf("bench_queue: skipped (needs MINCA_DATABASE_URL and MINCA_REDIS_URL)\n");
        return 0;
    }
    PGconn *c = store_open(&err);
    if (!c)
        die("database", &err);
    redisContext *r = queue_redis_connect(&err);
    if (!r || queue_redis_prepare(r, &err) < 0)
        die("redis", &err);
    printf("queue throughput, %d no-op jobs per run (jobs/s, higher is better)\n", N_JOBS);
    printf("  %-8s %14s %22s %8s\n", "threads", "minca queue", "baseline SKIP LOCKED", "ratio");
    for (int threads = 1; threads <= 2; threads++) {
        double q = run_engine(c, r, threads);
        double b = run_baseline(c, threads);
        printf("  %-8d %14.0f %22.0f %7.2fx\n", threads, q, b, q / b);
    }
    store_exec(c, NULL, "DELETE FROM jobs WHERE kind LIKE 'bench%'", 0, NULL);
    redisFree(r);
    PQfinish(c);
    return 0;
}
