/* minca worker | status | jobs */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/engine_run.h"
#include "minca/metrics.h"
#include "minca/llm.h"
#include "minca/engine_intake_poll.h"
#include "minca/queue.h"
#include "minca/servers.h"
#include "minca/engine_steps.h"
#include "minca/store_jobs.h"
#include "minca/store_probe.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int worker_run(int argc, char **argv);
static int status_run(int argc, char **argv);
static int jobs_run(int argc, char **argv);

CLI_COMMAND(worker_command, {
    .name = "worker",
    .summary = "run pipeline jobs headlessly (scale out: one per host or more)",
    .usage = "usage: minca worker [--threads N] [--intake] [--metrics-listen HOST:PORT]\n\n"
             "Takes jobs from the shared queue and runs them until SIGTERM or SIGINT, then\n"
             "finishes the jobs in hand and exits. Run as many workers as you like, on any host\n"
             "that reaches the same PostgreSQL and Redis (MINCA_DATABASE_URL, MINCA_REDIS_URL).\n"
             "--intake also polls the configured mail sources (as `minca intake run`); several\n"
             "workers may poll the same source, each message is still stored once.\n"
             "--metrics-listen (or metrics_listen in the config) also serves /metrics, /healthz and\n"
             "/readyz there, as 'minca metrics serve' does.\n",
    .run = worker_run,
})

CLI_COMMAND(status_command, {
    .name = "status",
    .summary = "servers, queue, workers, throughput and dead jobs",
    .usage = "usage: minca status [--json]\n",
    .run = status_run,
})

CLI_COMMAND(jobs_command, {
    .name = "jobs",
    .summary = "retry dead jobs; enqueue a probe job",
    .usage = "usage: minca jobs retry ID | retry --dead\n"
             "       minca jobs probe [--fail TEXT [--permanent]] [--sleep MS] [--attempts N]\n\n"
             "retry  puts a dead job (or every dead job) back in the queue with fresh attempts.\n"
             "probe  enqueues a diagnostic job that sleeps and/or fails on purpose, to check\n"
             "       that workers run and that failures end up visible in 'minca status'.\n"
             "       A failure is retried with backoff; --permanent makes it dead at once.\n",
    .run = jobs_run,
})

static void *intake_thread(void *unused)
{
    (void)unused;
    intake_runner_opts o = {.stop = &stop_requested};
    minca_err err = {0};
    if (intake_runner(&o, &err) < 0)
        log_error("worker intake: %s", err.msg);
    return NULL;
}

static int worker_run(int argc, char **argv)
{
    int threads = 0;
    const char *metrics_listen = config_get()->metrics_listen;
    bool intake = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--metrics-listen") == 0 && i + 1 < argc)
            metrics_listen = argv[++i];
        else if (strcmp(argv[i], "--intake") == 0)
            intake = true;
        else
            return cli_usage_error(&worker_command, "unknown argument '%s'", argv[i]);
    }
    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c || access_require(c, 0, ACCESS_RUN_PIPELINE, &err) < 0) {
        fprintf(stderr, "minca worker: %s\n", err.msg);
        PQfinish(c);
        return 1;
    }
    PQfinish(c);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    engine_opts o = {.threads = threads, .name = "worker", .kinds = steps_kinds};
    engine *e = engine_start(&o, &err);
    if (!e) {
        fprintf(stderr, "minca worker: %s\n", err.msg);
        return 1;
    }
    metrics_server *metrics = NULL;
    if (metrics_listen && *metrics_listen) {
        signal(SIGPIPE, SIG_IGN);
        metrics = metrics_server_start(metrics_listen, &err);
        if (!metrics) {
            fprintf(stderr, "minca worker: %s\n", err.msg);
            engine_stop(e);
            return 1;
        }
        fprintf(stderr, "minca worker: metrics on %s (port %d)\n", metrics_listen, metrics_server_port(metrics));
    }
    pthread_t poller;
    bool polling = intake && config_get()->n_sources && pthread_create(&poller, NULL, intake_thread, NULL) == 0;
    if (intake && !config_get()->n_sources)
        fprintf(stderr, "minca worker: --intake given but no sources are configured\n");
    fprintf(stderr, "minca worker: running with %d thread(s)%s; Ctrl-C or SIGTERM stops it\n",
            threads > 0 ? threads : config_get()->workers, polling ? " and polling the mail sources" : "");
    while (!stop_requested)
        pause();
    if (polling)
        pthread_join(poller, NULL);
    metrics_server_stop(metrics);
    fprintf(stderr, "minca worker: stopping (finishing jobs in hand)...\n");
    engine_event_counts n = engine_counts(e);
    engine_stop(e);
    fprintf(stderr, "minca worker: stopped; %ld job(s) done, %ld failed, %ld dead\n", n.done, n.failed, n.dead);
    return 0;
}

/* The status document (--json); *q receives the queue as read (the caller clears it). */
static json_t *status_json(PGconn *c, store_queue_status *q, minca_err *err)
{
    if (store_jobs_status(c, q, err) < 0)
        return NULL;
    json_t *sources = intake_sources_state(c, err);
    if (!sources)
        return NULL;
    json_t *out = json_pack("{s:o, s:o, s:f, s:o, s:I, s:o}", "sources", sources, "jobs",
                            store_job_count_list_json(&q->jobs), "oldest_queued_seconds", q->oldest_queued_seconds,
                            "workers", store_worker_live_list_json(&q->workers), "done_last_minute",
                            (json_int_t)q->done_last_minute, "dead", store_job_dead_list_json(&q->dead));
    /* The language model's usage this month; absent before the schema has it. */
    minca_err lerr = {0};
    json_t *llm = llm_usage_json(c, &lerr);
    json_object_set_new(out, "llm", json_pack("{s:b, s:s?, s:f, s:o}", "configured", llm_enabled(), "model",
                                              llm_settings_get()->model, "monthly_budget", llm_settings_get()->monthly_budget,
                                              "this_month", llm ? llm : json_array()));
    return out;
}

static int status_run(int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    minca_err err = {0};
    servers_status st;
    servers_status_get(&st, &err);
    PGconn *c = store_connect(&err);
    /* Only a user of the desk sees the queue, and only their insurers' jobs (a schema not yet
     * migrated has no users: status still tells what runs). */
    bool users_exist = c && store_table_exists(c, "users", NULL) == 1;
    if (c && users_exist && (access_login(c, &err) < 0 || store_session_apply(c, &err) < 0)) {
        fprintf(stderr, "minca status: %s\n", err.msg);
        PQfinish(c);
        return 1;
    }
    bool pg_ok = c != NULL;
    redisContext *r = queue_redis_connect(&err);
    bool redis_ok = r != NULL;
    if (r)
        redisFree(r);
    store_queue_status q = {0};
    json_t *s = pg_ok ? status_json(c, &q, &err) : NULL;
    if (json) {
        json_t *out = json_pack("{s:{s:b, s:b}}", "servers", "postgresql", pg_ok, "redis", redis_ok);
        if (s)
            json_object_update(out, s);
        char *txt = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(txt);
        free(txt);
        json_decref(out);
    } else {
        printf("postgresql: %s\nredis:      %s\n", pg_ok ? "reachable" : "UNREACHABLE", redis_ok ? "reachable" : "UNREACHABLE");
        if (s) {
            size_t i;
            json_t *it;
            json_t *sources = json_object_get(s, "sources");
            if (json_array_size(sources)) {
                printf("\nmail sources:\n");
                json_array_foreach(sources, i, it) {
                    printf("  %-20s %-8s %-10s", json_string_value(json_object_get(it, "name")),
                           json_string_value(json_object_get(it, "kind")) ? json_string_value(json_object_get(it, "kind")) : "?",
                           json_string_value(json_object_get(it, "insurer")));
                    if (!json_object_get(it, "polls"))
                        printf(" never polled\n");
                    else if (intake_source_state_failing(it))
                        printf(" FAILING since %s (%lld poll(s) in a row): %s\n",
                               json_string_value(json_object_get(it, "failing_since")),
                               (long long)json_integer_value(json_object_get(it, "failures")),
                               json_string_value(json_object_get(it, "last_error")));
                    else {
                        long long failed = (long long)json_integer_value(json_object_get(it, "failed"));
                        printf(" ok, %lld message(s)", (long long)json_integer_value(json_object_get(it, "messages")));
                        if (failed)
                            printf(", %lld unreadable", failed);
                        printf(", last poll %s\n", json_string_value(json_object_get(it, "last_poll"))
                                                        ? json_string_value(json_object_get(it, "last_poll")) : "-");
                    }
                    const char *sub = json_string_value(json_object_get(it, "subscription_id"));
                    const char *sub_err = json_string_value(json_object_get(it, "subscription_error"));
                    const char *event = json_string_value(json_object_get(it, "lifecycle_event"));
                    if (sub_err)
                        printf("  %-20s subscription FAILING: %s\n", "", sub_err);
                    else if (sub)
                        printf("  %-20s subscription until %s\n", "",
                               json_string_value(json_object_get(it, "subscription_expires")));
                    if (event)
                        printf("  %-20s lifecycle %s at %s%s\n", "", event,
                               json_string_value(json_object_get(it, "lifecycle_at")),
                               json_is_true(json_object_get(it, "lifecycle_pending")) ? " (pending)" : " (acted on)");
                }
            }
            printf("\njobs:\n");
            for (size_t k = 0; k < q.jobs.n; k++)
                printf("  %-10s %-8s %6lld\n", q.jobs.items[k].kind, q.jobs.items[k].state, q.jobs.items[k].jobs);
            printf("oldest queued job: %.0f s\n", q.oldest_queued_seconds);
            printf("done in the last minute: %lld\n", q.done_last_minute);
            printf("\nlive workers: %zu\n", q.workers.n);
            for (size_t k = 0; k < q.workers.n; k++)
                printf("  %-40s %d thread(s), heartbeat %.0f s ago\n", q.workers.items[k].name, q.workers.items[k].threads,
                       q.workers.items[k].heartbeat_age);
            printf("\ndead jobs: %zu%s\n", q.dead.n, q.dead.n ? " (minca jobs retry --dead)" : "");
            for (size_t k = 0; k < q.dead.n; k++)
                printf("  #%lld %-8s after %d attempt(s): %s\n", q.dead.items[k].id, q.dead.items[k].kind,
                       q.dead.items[k].attempts, q.dead.items[k].last_error ? q.dead.items[k].last_error : "(null)");
            json_t *llm = json_object_get(s, "llm");
            json_t *months = json_object_get(llm, "this_month");
            if (!json_is_true(json_object_get(llm, "configured")))
                printf("\nlanguage model: none configured (rules only)\n");
            else
                printf("\nlanguage model: %s, budget %s this month\n", json_string_value(json_object_get(llm, "model")),
                       json_real_value(json_object_get(llm, "monthly_budget")) > 0 ? "set" : "unlimited");
            if (json_array_size(months))
                printf("  %-12s %-8s %8s %7s %7s %12s %12s %10s\n", "insurer", "purpose", "requests", "cached", "failed",
                       "prompt tok", "answer tok", "cost");
            json_array_foreach(months, i, it)
                printf("  %-12s %-8s %8lld %7lld %7lld %12lld %12lld %10.4f\n",
                       json_string_value(json_object_get(it, "insurer")), json_string_value(json_object_get(it, "purpose")),
                       (long long)json_integer_value(json_object_get(it, "requests")),
                       (long long)json_integer_value(json_object_get(it, "cached")),
                       (long long)json_integer_value(json_object_get(it, "failed")),
                       (long long)json_integer_value(json_object_get(it, "prompt_tokens")),
                       (long long)json_integer_value(json_object_get(it, "completion_tokens")),
                       json_number_value(json_object_get(it, "cost")));
        } else if (pg_ok) {
            printf("cannot read the queue: %s\n", err.msg);
        }
    }
    bool sources_ok = true;
    size_t si;
    json_t *sit;
    json_array_foreach(json_object_get(s, "sources"), si, sit)
        sources_ok = sources_ok && !intake_source_state_failing(sit);
    json_decref(s);
    store_queue_status_clear(&q);
    PQfinish(c);
    return pg_ok && redis_ok && s && sources_ok ? 0 : 1;
}

static int jobs_run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&jobs_command, "missing action");
    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c || access_require(c, 0, ACCESS_RUN_PIPELINE, &err) < 0) {
        fprintf(stderr, "minca jobs: %s\n", err.msg);
        PQfinish(c);
        return 1;
    }
    int status = 0;
    if (strcmp(argv[1], "retry") == 0 && argc == 3) {
        long long id = strcmp(argv[2], "--dead") == 0 ? 0 : atoll(argv[2]);
        if (id == 0 && strcmp(argv[2], "--dead") != 0) {
            PQfinish(c);
            return cli_usage_error(&jobs_command, "retry needs a job ID or --dead");
        }
        int n = queue_retry_dead(c, id, &err);
        if (n < 0) {
            fprintf(stderr, "minca jobs: %s\n", err.msg);
            status = 1;
        } else if (n == 0 && id) {
            fprintf(stderr, "minca jobs: job %lld is not dead\n", id);
            status = 1;
        } else {
            printf("%d job(s) queued again\n", n);
        }
    } else if (strcmp(argv[1], "probe") == 0) {
        steps_probe_job probe = {0};
        int attempts = 0;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--fail") == 0 && i + 1 < argc)
                probe.fail = argv[++i];
            else if (strcmp(argv[i], "--sleep") == 0 && i + 1 < argc)
                probe.sleep_ms = atoi(argv[++i]);
            else if (strcmp(argv[i], "--attempts") == 0 && i + 1 < argc)
                attempts = atoi(argv[++i]);
            else if (strcmp(argv[i], "--permanent") == 0)
                probe.permanent = 1;
        }
        queue_enqueue_opts o = {.max_attempts = attempts};
        long long id = 0;
        if (store_begin(c, &err) < 0 || engine_enqueue(c, &steps_probe, &probe, &o, &id, &err) < 0 ||
            store_commit(c, &err) < 0) {
            fprintf(stderr, "minca jobs: %s\n", err.msg);
            status = 1;
        } else {
            redisContext *r = queue_redis_connect(&err);
            queue_dispatch(r, &id, 1);
            if (r)
                redisFree(r);
            printf("probe job %lld queued\n", id);
        }
    } else {
        status = cli_usage_error(&jobs_command, "unknown action '%s'", argv[1]);
    }
    PQfinish(c);
    return status;
}
