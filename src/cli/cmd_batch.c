/* minca batch: enqueue emails, run the pipeline in-process, wait, summarise. */
#include <glib.h>
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/engine_run.h"
#include "minca/desk_export_case.h"
#include "minca/intake.h"
#include "minca/queue.h"
#include "minca/servers.h"
#include "minca/engine_steps.h"
#include "minca/store.h"
#include "minca/store_jobs.h"
#include "minca/store_probe.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int batch_run(int argc, char **argv);

CLI_COMMAND(batch_command, {
    .name = "batch",
    .summary = "ingest emails headlessly: enqueue, run the pipeline, wait, summarise",
    .usage = "usage: minca batch [--insurer SLUG] [--export DIR] [--json] [--no-wait] [--threads N] PATH...\n\n"
             "Ingests every message under the paths (an .eml file, a directory of .eml files or a\n"
             "Maildir) through the job queue: each message is stored with its attachments, a case\n"
             "with a COT number is opened for each quote request, the vehicle rows are extracted\n"
             "from the spreadsheets and matched to the catalog. The same message twice (same\n"
             "Message-ID) is stored once; running the batch again creates nothing new, except\n"
             "that a message whose ingest job is dead (it failed every attempt) is queued again,\n"
             "and what an interrupted run left unfinished of these messages is finished now (its\n"
             "jobs are taken over; one still leased by a stopped process once its lease ends).\n"
             "A message is reported as already ingested only when it is in the database.\n\n"
             "  --insurer SLUG  tenant to ingest for (default: the configured insurer)\n"
             "  --export DIR    export each finished case's quote (workbook and PDF summary) into DIR\n"
             "  --json          print the summary as one JSON object\n"
             "  --no-wait       only enqueue: workers (minca worker, an open TUI) do the rest\n"
             "  --threads N     pipeline threads in this process (default: config workers)\n\n"
             "On a terminal a live progress line is shown. The summary lists every case with its\n"
             "COT, status and vehicle counts by decision, and every failure with its reason.\n"
             "Exit status: 0 when everything succeeded, 1 when any message, attachment or job\n"
             "failed or any message has no finished case (each one is named: for example its\n"
             "codify step waits for the insurer's catalog), or when the batch stopped because\n"
             "it cannot write (a full disk: ENOSPC), 2 on a usage error.\n",
    .run = batch_run,
})

typedef struct progress {
    atomic_long emails, vehicles, failures;
    atomic_bool disk_full;     /* a job failed because a disk is full: the batch stops */
    char disk_error[1024];     /* that job's error, written once before disk_full is set */
    atomic_flag disk_claimed;
} progress;

/* A write that failed for want of space, as the error text of a job says it (the database's
 * "could not extend file ...: No space left on device", a file's ENOSPC). */
static bool disk_full_error(const char *error)
{
    return error && (strstr(error, "No space left on device") || strstr(error, "ENOSPC") ||
                     strstr(error, "could not extend file"));
}

/* The reason a batch stops on a full disk, from the error that showed it: on one line, and
 * naming ENOSPC when the error does not (the database says "could not extend file"). */
static void disk_stop_reason(const char *error, char *why, size_t len)
{
    snprintf(why, len, "%s", error);
    for (char *p = why; *p; p++)
        if (*p == '\n')
            *p = ' ';
    size_t n = strlen(why);
    while (n && why[n - 1] == ' ')
        why[--n] = '\0';
    if (strstr(why, "ENOSPC"))
        return;
    if (strstr(why, strerror(ENOSPC)))
        snprintf(why + n, len - n, " (ENOSPC)");
    else
        snprintf(why + n, len - n, " (ENOSPC: %s)", strerror(ENOSPC));
}

static void on_job(const queue_job *job, bool ok, const char *error, json_t *event, void *user)
{
    progress *p = user;
    if (strcmp(job->kind, steps_ingest.name) == 0 && ok)
        atomic_fetch_add(&p->emails, 1);
    if (strcmp(job->kind, steps_extract.name) == 0 && ok)
        atomic_fetch_add(&p->vehicles, (long)json_integer_value(json_object_get(event, "rows")));
    if (!ok && job->attempts >= job->max_attempts)
        atomic_fetch_add(&p->failures, 1);
    if (!ok && disk_full_error(error) && !atomic_flag_test_and_set(&p->disk_claimed)) {
        char what[900];
        disk_stop_reason(error, what, sizeof what);
        snprintf(p->disk_error, sizeof p->disk_error, "job %lld (%s): %s", job->id, job->kind, what);
        atomic_store(&p->disk_full, true);
    }
}

/* Why the batch must stop now (a disk it writes to is full), into why; false when it may go on. */
static bool must_stop(progress *p, char *why, size_t len)
{
    int e = log_write_error();
    if (e) {
        snprintf(why, len, "cannot write the log file %s: %s (%s)", log_path(), strerror(e), core_errno_name(e));
        return true;
    }
    if (atomic_load(&p->disk_full)) {
        snprintf(why, len, "%s", p->disk_error);
        return true;
    }
    return false;
}

static void make_batch_id(char *out, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, len, "b%lx-%x-%lx", (long)ts.tv_sec, (unsigned)getpid(), (long)ts.tv_nsec);
}

/* What enqueuing one message found. */
typedef enum enqueued_as {
    ENQUEUED_NEW,        /* its ingest job is new (or a dead one queued again) */
    ENQUEUED_RESUMED,    /* an earlier run left its jobs unfinished: this batch took them over */
    ENQUEUED_KNOWN,      /* already ingested: the message is in the database, nothing left to run */
    ENQUEUED_LOST,       /* its ingest job is done but the message is not in the database */
} enqueued_as;

/* Stores the raw bytes and enqueues their ingest job in one transaction; when the message's
 * job exists already, takes over what is left of it. */
static int enqueue_message(PGconn *c, long long insurer_id, const char *batch_id, const intake_item *item,
                           long long *job_id, enqueued_as *as, minca_err *err)
{
    char sha[65], key[96];
    *as = ENQUEUED_NEW;
    if (store_begin(c, err) < 0)
        return -1;
    if (store_blob_put(c, item->data, item->len, sha, err) < 0)
        goto fail;
    steps_ingest_job job = {.sha256 = sha, .origin = item->origin, .source = item->source ? item->source : "eml"};
    if (steps_enqueue_ingest(c, insurer_id, &job, batch_id, true, job_id, err) < 0)
        goto fail;
    if (!*job_id) {
        steps_ingest_key(insurer_id, sha, key);
        store_job_adoption a;
        if (store_jobs_adopt_message(c, steps_ingest.name, key, batch_id, &a, err) < 0)
            goto fail;
        *as = a.moved > 0 ? ENQUEUED_RESUMED : a.message_stored ? ENQUEUED_KNOWN : ENQUEUED_LOST;
        if (*as == ENQUEUED_RESUMED)
            *job_id = a.ingest_id;
    }
    if (store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

static const char *js(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void print_summary(json_t *sum, const char *insurer, double elapsed)
{
    json_t *items = json_object_get(sum, "items"), *cases = json_object_get(sum, "cases"),
           *failures = json_object_get(sum, "failures");
    size_t i;
    json_t *it;
    int n_case = 0, n_joined = 0, n_dup = 0, n_none = 0, n_err = 0, n_failed = 0;
    json_array_foreach(items, i, it) {
        const char *o = js(it, "outcome");
        n_case += strcmp(o, "case") == 0;
        n_joined += strcmp(o, "joined") == 0;
        n_dup += strcmp(o, "duplicate") == 0;
        n_none += strcmp(o, "no_case") == 0;
        /* error: the bytes are not an email; failed: the ingest job died (storing failed) */
        n_err += strcmp(o, "error") == 0;
        n_failed += strcmp(o, "failed") == 0;
    }
    printf("\n%zu message(s) for %s: %d case(s) opened, ", json_array_size(items), insurer, n_case);
    if (n_joined)
        printf("%d joined their case, ", n_joined);
    printf("%d duplicate(s), %d without a case, %d unreadable", n_dup, n_none, n_err);
    if (n_failed)
        printf(", %d could not be stored (see failures; run the batch again to retry)", n_failed);
    printf(" (%.1f s)\n", elapsed);
    if (json_array_size(cases)) {
        printf("\n%-18s %-10s %-34s %5s %5s %6s %5s\n", "COT", "STATUS", "CLIENT", "VEH", "AUTO", "REVIEW", "NOMA");
        json_array_foreach(cases, i, it) {
            printf("%-18s %-10s %s %5lld %5lld %6lld %5lld%s\n", js(it, "cot"), js(it, "status"),
                   cli_fit(js(it, "client_name"), 34), (long long)json_integer_value(json_object_get(it, "vehicles")),
                   (long long)json_integer_value(json_object_get(it, "auto_accept")),
                   (long long)json_integer_value(json_object_get(it, "needs_review")),
                   (long long)json_integer_value(json_object_get(it, "no_match")),
                   json_is_true(json_object_get(it, "needs_profile")) ? "  (no broker profile yet)" : "");
        }
    }
    bool head = false;
    json_array_foreach(cases, i, it) {
        const char *why = json_string_value(json_object_get(it, "export_refused"));
        if (!why)
            continue;
        if (!head)
            printf("\nnot exported (the case is not complete; export it with --force or complete it):\n");
        head = true;
        printf("  %s: %s\n", js(it, "cot"), why);
    }
    if (json_array_size(failures)) {
        printf("\nfailures:\n");
        json_array_foreach(failures, i, it)
            printf("  %-10s %s: %s\n", js(it, "kind"), js(it, "subject"), js(it, "error"));
    }
    json_t *unfinished = json_object_get(sum, "unfinished");
    if (json_array_size(unfinished)) {
        printf("\nunfinished (%zu message(s) without a finished case; run the batch again, or let workers finish "
               "them):\n", json_array_size(unfinished));
        json_array_foreach(unfinished, i, it)
            printf("  %s%s%s: %s\n", js(it, "file"), *js(it, "cot") ? " " : "", js(it, "cot"), js(it, "why"));
    }
}

static int export_cases(PGconn *c, json_t *sum, long long insurer_id, const char *dir, json_t *failures)
{
    size_t i;
    json_t *it;
    int bad = 0;
    json_array_foreach(json_object_get(sum, "cases"), i, it) {
        if (strcmp(js(it, "status"), "ready") != 0)
            continue;
        minca_err err = {0};
        export_case_outcome out;
        int rc = export_case_run(c, insurer_id, js(it, "cot"), dir, NULL, NULL, EXPORT_FORMAT_BOTH, false, &out, &err);
        if (rc < 0 && out.refused) {
            /* the case is not complete (e.g. the request lacks the RFC): not a failure of the batch */
            json_object_set_new(it, "export_refused", json_string(err.msg));
        } else if (rc < 0) {
            json_array_append_new(failures, json_pack("{s:s, s:s, s:s}", "kind", "export", "subject", js(it, "cot"),
                                                      "error", err.msg));
            bad++;
        } else {
            json_object_set_new(it, "export", json_string(out.path));
            json_object_set_new(it, "export_pdf", json_string(out.pdf_path));
        }
    }
    return bad;
}

#define RECONNECT_GIVE_UP 300.0

/* Why reconnect() gave up before its window ended ("" when it did not). */
static char reconnect_stop[1200];

/* The embedded PostgreSQL cannot come back while its disk is full: it is not waited for. */
static bool embedded_pg_disk_full(void)
{
    servers_status st;
    if (servers_status_get(&st, NULL) < 0 || !st.pg_embedded || !core_disk_full(st.pg_data))
        return false;
    snprintf(reconnect_stop, sizeof reconnect_stop, "PostgreSQL is unreachable and the filesystem of its data "
             "directory %s is full: %s (ENOSPC)", st.pg_data, strerror(ENOSPC));
    return true;
}

/* Keeps the batch's own connection alive across a server restart: true while connected or
 * still within the give-up window (then the caller retries after a pause). */
static bool reconnect(PGconn *c, double *down_since)
{
    while (PQstatus(c) != CONNECTION_OK) {
        if (*down_since == 0)
            *down_since = core_now_seconds();
        if (core_now_seconds() - *down_since > RECONNECT_GIVE_UP || embedded_pg_disk_full())
            return false;
        usleep(500 * 1000);
        PQreset(c);
        if (PQstatus(c) == CONNECTION_OK)
            (void)store_session_apply(c, NULL); /* a failure shows in the next statement */
    }
    *down_since = 0;
    return true;
}

/* Enqueues one message; when the connection broke (a server restart) it reconnects and tries
 * again, within the same give-up window as the wait below. */
static int enqueue_with_reconnect(PGconn *c, long long insurer_id, const char *batch_id, const intake_item *item,
                                  long long *job_id, enqueued_as *as, minca_err *err)
{
    double down_since = 0;
    for (;;) {
        if (enqueue_message(c, insurer_id, batch_id, item, job_id, as, err) == 0)
            return 0;
        /* The failure may only show on the next statement after a restart: probe once. */
        if (PQstatus(c) == CONNECTION_OK && store_ping(c))
            return -1;
        log_warn("batch: PostgreSQL connection lost while enqueuing %s (%s); reconnecting", item->origin, err->msg);
        if (!reconnect(c, &down_since)) {
            if (reconnect_stop[0])
                minca_err_set(err, "%s", reconnect_stop);
            return -1;
        }
    }
}

/* What the wait for the batch shows and keeps. */
typedef struct wait_view {
    progress *prog;
    long enqueued;
    double started;
    double down_since;
    char stop[1200];     /* why the wait was given up early ("" while it was not) */
} wait_view;

static bool wait_connected(PGconn *c, void *user)
{
    wait_view *v = user;
    if (must_stop(v->prog, v->stop, sizeof v->stop))
        return false;
    if (reconnect(c, &v->down_since))
        return true;
    if (reconnect_stop[0])
        snprintf(v->stop, sizeof v->stop, "%s", reconnect_stop);
    return false;
}

static void wait_progress(engine *e, long pending, void *user)
{
    (void)e;
    (void)pending;
    wait_view *v = user;
    double el = core_now_seconds() - v->started;
    long emails = atomic_load(&v->prog->emails);
    printf("\r  %ld/%ld emails  %ld vehicles  %.1f emails/s  %.0fs elapsed  %ld failed   ", emails, v->enqueued,
           atomic_load(&v->prog->vehicles), el > 0 ? emails / el : 0.0, el, atomic_load(&v->prog->failures));
    fflush(stdout);
}

static bool wait_failed(const minca_err *err, void *user)
{
    (void)user;
    log_warn("batch: %s", err->msg);
    return true;
}

/* What one run of minca batch carries from stage to stage. */
typedef struct batch_state {
    PGconn *c;
    store_insurer ins;
    redisContext *redis;
    char batch_id[64];
    json_t *read_failures;     /* paths and messages that could not be read or queued */
    long enqueued, resumed, known;
    bool json, tty;
    double started;
    progress prog;
    char stop[1200];           /* why the batch stopped early ("" while it did not) */
} batch_state;

static void add_failure(batch_state *st, const char *kind, const char *subject, const char *error)
{
    json_array_append_new(st->read_failures, json_pack("{s:s, s:s?, s:s}", "kind", kind, "subject", subject,
                                                       "error", error));
}

/* Stage 1: every message under the paths stored as an ingest job of this batch. */
static void enqueue_paths(batch_state *st, char **paths, int n_paths)
{
    minca_err err = {0};
    for (int i = 0; i < n_paths && !st->stop[0]; i++) {
        intake_source *src = NULL;
        if (intake_source_open(paths[i], NULL, &src, &err) < 0) {
            add_failure(st, "read", paths[i], err.msg);
            continue;
        }
        intake_item item = {0};
        int r;
        while (!must_stop(&st->prog, st->stop, sizeof st->stop) && (r = intake_source_next(src, &item, &err)) != 0) {
            long long id = 0;
            enqueued_as as = ENQUEUED_NEW;
            if (r == -2) {
                add_failure(st, "read", paths[i], err.msg);
                intake_item_clear(&item);
                break;
            }
            if (r < 0)
                add_failure(st, "read", item.origin, err.msg);
            else if (enqueue_with_reconnect(st->c, st->ins.id, st->batch_id, &item, &id, &as, &err) < 0) {
                add_failure(st, "enqueue", item.origin, err.msg);
                if (disk_full_error(err.msg))
                    disk_stop_reason(err.msg, st->stop, sizeof st->stop);
            } else if (as == ENQUEUED_NEW) {
                st->enqueued++;
                queue_dispatch(st->redis, &id, 1);
            } else if (as == ENQUEUED_RESUMED) {
                st->resumed++;
                queue_dispatch(st->redis, &id, 1);
            } else if (as == ENQUEUED_KNOWN) {
                st->known++;
            } else {
                add_failure(st, "enqueue", item.origin, "its ingest job is done but the message is not in the database");
            }
            intake_item_clear(&item);
        }
        intake_source_close(src);
    }
}

/* The summary of a batch that only queued (--no-wait) or stopped while queueing. */
static int report_queued(batch_state *st)
{
    int status = json_array_size(st->read_failures) ? 1 : 0;
    if (st->stop[0]) {
        fprintf(stderr, "minca batch: stopped: %s; what is queued stays queued (run the batch again once "
                        "there is space)\n", st->stop);
        status = 1;
    }
    if (st->json) {
        json_t *out = json_pack("{s:s, s:s, s:I, s:I, s:I, s:O, s:s?}", "insurer", st->ins.slug, "batch", st->batch_id,
                                "queued", (json_int_t)st->enqueued, "resumed", (json_int_t)st->resumed,
                                "already_ingested", (json_int_t)st->known, "failures", st->read_failures, "stopped",
                                st->stop[0] ? st->stop : NULL);
        char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(out);
    }
    return status;
}

/* Stage 2: the pipeline run in this process until the batch's jobs are done; 1 when it stopped early. */
static int run_pipeline(batch_state *st, int threads)
{
    minca_err err = {0};
    int status = 0;
    engine_opts eo = {.threads = threads, .name = "batch", .listener = on_job, .listener_user = &st->prog,
                      .kinds = steps_kinds};
    engine *eng = engine_start(&eo, &err);
    if (!eng) {
        fprintf(stderr, "minca batch: cannot start the pipeline: %s\n", err.msg);
        return 1;
    }
    wait_view view = {.prog = &st->prog, .enqueued = st->enqueued + st->resumed, .started = st->started};
    engine_drain_opts wait = {.poll_ms = 200, .ready = wait_connected, .progress = st->tty ? wait_progress : NULL,
                              .failed = wait_failed, .user = &view};
    if (engine_drain(eng, st->c, st->batch_id, &wait, &err) != 0) {
        if (view.stop[0])
            snprintf(st->stop, sizeof st->stop, "%s", view.stop);
        else
            fprintf(stderr, "minca batch: PostgreSQL has been unreachable for %.0f s; giving up waiting "
                            "(the jobs stay queued for any worker)\n", RECONNECT_GIVE_UP);
        status = 1;
    }
    if (st->tty)
        printf("\r%80s\r", "");
    engine_stop(eng);
    /* A disk that filled while the last jobs ran. */
    if (!st->stop[0] && must_stop(&st->prog, st->stop, sizeof st->stop))
        status = 1;
    return status;
}

/* Stage 3: the batch's cases and failures read back, exported into export_dir (NULL: none) and
 * printed; 1 when anything failed or is unfinished. */
static int report_results(batch_state *st, const char *export_dir)
{
    minca_err err = {0};
    int status = 0;
    double down_since = 0;
    json_t *sum = NULL;
    store_batch_summary read = {0};
    /* A server restart may only show on the next query: retry once the connection is back. */
    int rrc = -1;
    while (reconnect(st->c, &down_since) && (rrc = store_jobs_batch_summary(st->c, st->batch_id, &read, &err)) < 0 &&
           PQstatus(st->c) != CONNECTION_OK)
        ;
    if (rrc == 0)
        sum = json_pack("{s:o, s:o, s:o, s:o}", "items", store_batch_item_list_json(&read.items), "cases",
                        store_batch_case_list_json(&read.cases), "failures",
                        store_batch_failure_list_json(&read.failures), "unfinished",
                        store_batch_unfinished_list_json(&read.unfinished));
    store_batch_summary_clear(&read);
    if (!sum) {
        fprintf(stderr, "minca batch: cannot read the results: %s\n", err.msg);
        return 1;
    }
    json_t *failures = json_object_get(sum, "failures");
    json_array_extend(failures, st->read_failures);
    if (export_dir && !st->stop[0])
        export_cases(st->c, sum, st->ins.id, export_dir, failures);
    if (json_array_size(failures) || json_array_size(json_object_get(sum, "unfinished")))
        status = 1;
    double elapsed = core_now_seconds() - st->started;
    if (st->json) {
        json_object_set_new(sum, "insurer", json_string(st->ins.slug));
        json_object_set_new(sum, "batch", json_string(st->batch_id));
        json_object_set_new(sum, "queued", json_integer(st->enqueued));
        json_object_set_new(sum, "resumed", json_integer(st->resumed));
        json_object_set_new(sum, "already_ingested", json_integer(st->known));
        json_object_set_new(sum, "elapsed_seconds", json_real(elapsed));
        if (st->stop[0])
            json_object_set_new(sum, "stopped", json_string(st->stop));
        char *s = json_dumps(sum, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
    } else {
        print_summary(sum, st->ins.slug, elapsed);
    }
    json_decref(sum);
    return status;
}

/* The connection and the insurer the batch ingests for (created when new); -1 with the reason printed. */
static int batch_open(batch_state *st, const char *insurer)
{
    minca_err err = {0};
    st->c = store_open(&err);
    if (st->c && access_require_slug(st->c, insurer, ACCESS_INGEST, &err) < 0) {
        fprintf(stderr, "minca batch: %s\n", err.msg);
        return -1;
    }
    if (st->c && store_insurer_find(st->c, insurer, &st->ins, NULL) == 0)
        fprintf(stderr, "minca batch: '%s' is a new insurer; it is created now (import its catalog with "
                        "'minca catalog import --insurer %s FILE')\n", insurer, insurer);
    if (!st->c || store_insurer_ensure(st->c, insurer, &st->ins, &err) < 0) {
        fprintf(stderr, "minca batch: %s\n", err.msg);
        return -1;
    }
    st->redis = queue_redis_connect(&err);
    if (!st->redis)
        log_warn("batch: %s (jobs will be picked up from PostgreSQL)", err.msg);
    else
        queue_redis_prepare(st->redis, NULL);
    return 0;
}

static int batch_run(int argc, char **argv)
{
    const char *insurer = config_get()->insurer, *export_dir = NULL;
    bool json = false, no_wait = false;
    int threads = 0;
    char **paths = g_new0(char *, argc);
    int n_paths = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            insurer = argv[++i];
        else if (strcmp(argv[i], "--export") == 0 && i + 1 < argc)
            export_dir = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--no-wait") == 0)
            no_wait = true;
        else if (argv[i][0] == '-' && argv[i][1]) {
            g_free(paths);
            return cli_usage_error(&batch_command, "unknown option '%s'", argv[i]);
        } else
            paths[n_paths++] = argv[i];
    }
    if (!n_paths) {
        g_free(paths);
        return cli_usage_error(&batch_command, "no PATH given");
    }

    batch_state st = {.prog = {.disk_claimed = ATOMIC_FLAG_INIT}, .json = json};
    int status = 1;
    if (batch_open(&st, insurer) < 0)
        goto done;
    make_batch_id(st.batch_id, sizeof st.batch_id);
    st.read_failures = json_array();
    st.tty = isatty(STDOUT_FILENO) && !json;
    st.started = core_now_seconds();
    enqueue_paths(&st, paths, n_paths);
    if (!json)
        printf("minca batch: %ld message(s) queued for %s, %ld already ingested before, %ld left unfinished by an "
               "earlier run (resumed)%s\n", st.enqueued, st.ins.slug, st.known, st.resumed,
               no_wait || st.stop[0] ? "" : "; processing...");
    if (no_wait || st.stop[0]) {
        status = report_queued(&st);
        goto done;
    }
    status = json_array_size(st.read_failures) ? 1 : 0;
    status |= run_pipeline(&st, threads);
    if (st.stop[0])
        fprintf(stderr, "minca batch: stopped: %s; the unfinished jobs stay queued (run the batch again once "
                        "there is space)\n", st.stop);
    status |= report_results(&st, export_dir);
    if (must_stop(&st.prog, st.stop, sizeof st.stop) && status == 0)
        status = 1;
done:
    json_decref(st.read_failures);
    if (st.redis)
        redisFree(st.redis);
    PQfinish(st.c);
    g_free(paths);
    return status;
}
