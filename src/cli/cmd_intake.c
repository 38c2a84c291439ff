/* minca intake run | list | test: the configured mail sources (config `sources:`). */
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/engine_run.h"
#include "minca/intake.h"
#include "minca/engine_intake_poll.h"
#include "minca/queue.h"
#include "minca/engine_steps.h"
#include "minca/store_jobs.h"
#include "minca/store_source.h"

#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int intake_main(int argc, char **argv);

/* The source kinds, from the sources' own table, each with an example entry. */
static void intake_more_help(FILE *out)
{
    fputs("source kinds (config `sources:`, one entry a mailbox; NAME: {...}):\n", out);
    for (const intake_source_ops *const *k = intake_source_ops_all(); *k; k++)
        fprintf(out, "  %-8s %s\n           e.g. %s\n", (*k)->kind, (*k)->summary, (*k)->example ? (*k)->example : "");
}

CLI_COMMAND(intake_command, {
    .more_help = intake_more_help,
    .name = "intake",
    .summary = "poll the configured mailboxes (IMAP, Microsoft 365, Maildir); their state",
    .usage = "usage: minca intake run [--once] [--source NAME]... [--threads N] [--no-process]\n"
             "       minca intake list|status [--json]\n"
             "       minca intake test NAME\n"
             "       minca intake webhook --listen ADDR:PORT\n"
             "       minca intake subscribe [NAME]\n\n"
             "run      polls every configured source (config `sources:`) as it falls due, until\n"
             "         SIGTERM/SIGINT; each message is stored once and the source's cursor moves in\n"
             "         the same transaction. The pipeline runs in this process too (--threads N,\n"
             "         default config workers) unless --no-process leaves it to `minca worker`.\n"
             "         --once polls each source once and runs the pipeline for what these sources\n"
             "         handed in (also what an interrupted run of them left unfinished) until it\n"
             "         is done; other jobs in the queue are left to the workers. A step waiting\n"
             "         for something (the insurer's catalog) is not waited for. Exits 1 when a\n"
             "         source failed.\n"
             "list     each source: kind, insurer, last poll, cursor, messages, last error.\n"
             "test     connects to a source and says how many messages wait past its cursor,\n"
             "         storing nothing.\n"
             "webhook  receives Microsoft Graph change notifications (the validationToken\n"
             "         handshake; clientState checked against the source's client_state_env or\n"
             "         client_state_file); a notification only wakes its source's delta poll;\n"
             "         lifecycle notifications (reauthorizationRequired, subscriptionRemoved,\n"
             "         missed) are kept on the source and acted on by its next poll at once.\n"
             "subscribe creates or renews the Graph subscription of each graph source with a\n"
             "         notification_url (or of NAME); Graph validates it by calling the webhook,\n"
             "         which must be listening. `intake run` renews it before it expires.\n",
    .run = intake_main,
})

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* `intake run --once` runs the pipeline until its own jobs are done (the ones it queued and
 * those an interrupted run of the same sources left, taken over first) or a stop is asked; a
 * failed check reconnects and keeps waiting. */
static bool drain_until_stopped(PGconn *c, void *user) { return !stop_requested; }
static bool drain_reconnect(const minca_err *err, void *user)
{
    PQreset((PGconn *)user);
    return true;
}

typedef struct run_report {
    bool quiet;
    int failed;
} run_report;

static void on_poll(const char *name, const intake_poll_stats *st, void *user)
{
    run_report *rep = user;
    if (st->source_failed || (st->error[0] && !st->handed)) {
        rep->failed++;
        fprintf(stderr, "minca intake: %s: FAILED: %s\n", name, st->error);
        return;
    }
    if (!rep->quiet || st->handed || st->failed)
        printf("%s: %ld message(s) new, %ld already stored, %ld unreadable\n", name, st->stored, st->known, st->failed);
    fflush(stdout);
}

/* What an interrupted `intake run --once` of these sources (NULL: all) left unfinished joins
 * this run's batch, so this run finishes it. */
static void adopt_leftovers(PGconn *c, const char *const *only, const char *batch_id)
{
    const minca_config *cfg = config_get();
    for (int i = 0; i < cfg->n_sources; i++) {
        const config_source *s = &cfg->sources[i];
        bool wanted = !only;
        for (size_t k = 0; only && only[k]; k++)
            wanted = wanted || strcmp(only[k], s->name) == 0;
        const char *slug = config_source_get(s, "insurer");
        store_insurer ins;
        minca_err err = {0};
        if (!wanted || store_insurer_find(c, slug ? slug : cfg->insurer, &ins, &err) != 1)
            continue;
        long n = store_jobs_adopt_source(c, ins.id, s->name, batch_id, &err);
        if (n < 0)
            log_warn("intake %s: cannot take over what an earlier run left: %s", s->name, err.msg);
        else if (n > 0)
            log_info("intake %s: %ld unfinished job(s) of an earlier run taken over", s->name, n);
    }
}

static int intake_run(int argc, char **argv)
{
    bool once = false, no_process = false;
    int threads = 0;
    GPtrArray *only = g_ptr_array_new();
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0)
            once = true;
        else if (strcmp(argv[i], "--no-process") == 0)
            no_process = true;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
            const char *name = argv[++i];
            if (!config_source_find(name)) {
                g_ptr_array_free(only, TRUE);
                return cli_usage_error(&intake_command, "no source '%s' in %s", name, config_get()->config_path);
            }
            g_ptr_array_add(only, (gpointer)name);
        } else {
            g_ptr_array_free(only, TRUE);
            return cli_usage_error(&intake_command, "unknown argument '%s'", argv[i]);
        }
    }
    if (!config_get()->n_sources) {
        g_ptr_array_free(only, TRUE);
        fprintf(stderr, "minca intake: no sources configured in %s (see `sources:` in the README)\n",
                config_get()->config_path);
        return 1;
    }
    g_ptr_array_add(only, NULL);
    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c) {
        fprintf(stderr, "minca intake: %s\n", err.msg);
        g_ptr_array_free(only, TRUE);
        return 1;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    char batch_id[64];
    snprintf(batch_id, sizeof batch_id, "intake-%d-%.0f", (int)getpid(), core_now_seconds() * 1000);
    if (once && !no_process)
        adopt_leftovers(c, only->len > 1 ? (const char *const *)only->pdata : NULL, batch_id);
    engine *eng = NULL;
    if (!no_process) {
        engine_opts eo = {.threads = threads, .name = "intake", .kinds = steps_kinds, .batch_id = once ? batch_id : NULL};
        if (!(eng = engine_start(&eo, &err)))
            fprintf(stderr, "minca intake: cannot start the pipeline (%s); messages stay queued for workers\n", err.msg);
    }
    run_report rep = {.quiet = !once};
    intake_runner_opts o = {
        .once = once,
        .only = only->len > 1 ? (const char *const *)only->pdata : NULL,
        .batch_id = once ? batch_id : NULL,
        .stop = &stop_requested,
        .on_poll = on_poll,
        .user = &rep,
    };
    if (!once)
        fprintf(stderr, "minca intake: polling %d source(s); Ctrl-C or SIGTERM stops\n", config_get()->n_sources);
    int rc = intake_runner(&o, &err);
    if (once && eng) {
        engine_drain_opts d = {.poll_ms = 100, .ready = drain_until_stopped, .failed = drain_reconnect, .user = c};
        engine_drain(eng, c, batch_id, &d, &err);
    }
    if (eng)
        engine_stop(eng);
    PQfinish(c);
    g_ptr_array_free(only, TRUE);
    return rc < 0 || rep.failed ? 1 : 0;
}

static const char *js(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void print_source(json_t *s)
{
    printf("%-20s %-8s %-10s", js(s, "name"), js(s, "kind"), js(s, "insurer"));
    if (!json_object_get(s, "polls")) {
        printf(" never polled\n");
        return;
    }
    printf(" %6lld msg  last poll %s", (long long)json_integer_value(json_object_get(s, "messages")),
           *js(s, "last_poll") ? js(s, "last_poll") : "never");
    if (json_integer_value(json_object_get(s, "failed")))
        printf("  %lld unreadable", (long long)json_integer_value(json_object_get(s, "failed")));
    printf("\n");
    if (*js(s, "cursor"))
        printf("%20s cursor %s\n", "", cli_fit(js(s, "cursor"), 60));
    if (*js(s, "subscription_id"))
        printf("%20s subscription %s until %s UTC\n", "", js(s, "subscription_id"), js(s, "subscription_expires"));
    if (*js(s, "subscription_error"))
        printf("%20s SUBSCRIPTION FAILING: %s\n", "", js(s, "subscription_error"));
    if (*js(s, "lifecycle_event"))
        printf("%20s lifecycle %s at %s%s\n", "", js(s, "lifecycle_event"), js(s, "lifecycle_at"),
               json_is_true(json_object_get(s, "lifecycle_pending")) ? " (pending)" : " (acted on)");
    if (intake_source_state_failing(s))
        printf("%20s FAILING since %s (%lld poll(s) in a row): %s\n", "", js(s, "failing_since"),
               (long long)json_integer_value(json_object_get(s, "failures")), js(s, "last_error"));
    else if (json_is_true(json_object_get(s, "configured")))
        printf("%20s next poll in %.0f s\n", "", json_number_value(json_object_get(s, "next_poll_in")) > 0
                                                    ? json_number_value(json_object_get(s, "next_poll_in")) : 0.0);
}

static int intake_list(int argc, char **argv)
{
    bool json = argc > 2 && strcmp(argv[2], "--json") == 0;
    minca_err err = {0};
    PGconn *c = store_open(&err);
    json_t *list = c ? intake_sources_state(c, &err) : NULL;
    PQfinish(c);
    if (!list) {
        fprintf(stderr, "minca intake: %s\n", err.msg);
        return 1;
    }
    if (json) {
        char *s = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
    } else {
        if (!json_array_size(list))
            printf("no mail sources configured (config `sources:`); `minca mail add` types one in at the desk\n");
        size_t i;
        json_t *s;
        json_array_foreach(list, i, s)
            print_source(s);
    }
    json_decref(list);
    return 0;
}

static int intake_test(int argc, char **argv)
{
    if (argc < 3)
        return cli_usage_error(&intake_command, "test needs a source NAME");
    const config_source *cfg = config_source_find(argv[2]);
    if (!cfg) {
        fprintf(stderr, "minca intake: no source '%s' in %s\n", argv[2], config_get()->config_path);
        return 1;
    }
    minca_err err = {0};
    char *cursor = NULL;
    PGconn *c = store_open(&err);
    json_t *state = c ? intake_sources_state(c, &err) : NULL;
    size_t si;
    json_t *sit;
    json_array_foreach(state, si, sit)
        if (strcmp(js(sit, "name"), cfg->name) == 0)
            print_source(sit);
    json_decref(state);
    if (c) {
        store_insurer ins;
        const char *slug = config_source_get(cfg, "insurer");
        store_source src;
        if (store_insurer_find(c, slug ? slug : config_get()->insurer, &ins, NULL) == 1 &&
            store_source_ensure(c, ins.id, cfg->name, config_source_get(cfg, "kind") ? config_source_get(cfg, "kind") : "?",
                                &src, NULL) == 0) {
            cursor = src.cursor ? g_strdup(src.cursor) : NULL;
            store_source_clear(&src);
        }
        PQfinish(c);
    }
    intake_source_args a = {.name = cfg->name, .cfg = cfg, .cursor = cursor};
    intake_source *s = NULL;
    double t0 = core_now_seconds();
    int status = 0;
    if (intake_source_open_kind(config_source_get(cfg, "kind"), &a, &s, &err) < 0) {
        printf("%s: FAILED: %s\n", cfg->name, err.msg);
        status = 1;
    } else {
        long n = intake_source_pending(s);
        if (n >= 0)
            printf("%s: %s source reachable in %.2f s; %ld message(s) waiting past cursor %s\n", cfg->name,
                   intake_source_kind(s), core_now_seconds() - t0, n, cursor ? cursor : "(start)");
        else
            printf("%s: %s source reachable in %.2f s (signed in); reading from %s\n", cfg->name,
                   intake_source_kind(s), core_now_seconds() - t0, cursor ? "the stored cursor" : "the start");
        intake_source_close(s);
    }
    g_free(cursor);
    return status;
}

static int intake_subscribe(int argc, char **argv)
{
    const minca_config *cfg = config_get();
    const char *only = argc > 2 ? argv[2] : NULL;
    if (only && !config_source_find(only))
        return cli_usage_error(&intake_command, "no source '%s' in %s", only, cfg->config_path);
    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c) {
        fprintf(stderr, "minca intake: %s\n", err.msg);
        return 1;
    }
    int status = 0, done = 0;
    for (int i = 0; i < cfg->n_sources; i++) {
        const config_source *s = &cfg->sources[i];
        const char *kind = config_source_get(s, "kind");
        if ((only && strcmp(only, s->name) != 0) || !kind || strcmp(kind, "graph") != 0)
            continue;
        if (!config_source_get(s, "notification_url")) {
            if (only) {
                fprintf(stderr, "minca intake: %s has no notification_url to subscribe\n", s->name);
                status = 1;
            }
            continue;
        }
        const char *slug = config_source_get(s, "insurer");
        store_insurer ins;
        store_source src;
        int rc = -1;
        if (store_insurer_ensure(c, slug ? slug : cfg->insurer, &ins, &err) == 0 &&
            store_source_ensure(c, ins.id, s->name, kind, &src, &err) == 0) {
            rc = intake_subscription_keep(c, s, src.id, true, &err);
            store_source_clear(&src);
        }
        done++;
        if (rc < 0) {
            fprintf(stderr, "minca intake: %s: subscription FAILED: %s\n", s->name, err.msg);
            status = 1;
            minca_err_clear(&err);
            continue;
        }
        json_t *state = intake_sources_state(c, &err);
        size_t k;
        json_t *row;
        json_array_foreach(state, k, row)
            if (strcmp(js(row, "name"), s->name) == 0)
                printf("%s: subscription %s %s, expires %s UTC\n", s->name, js(row, "subscription_id"),
                       rc == 2 ? "created" : "renewed", js(row, "subscription_expires"));
        json_decref(state);
    }
    if (!done && !only) {
        fprintf(stderr, "minca intake: no graph source has a notification_url to subscribe\n");
        status = 1;
    }
    PQfinish(c);
    return status;
}

int intake_webhook_main(int argc, char **argv);

static int intake_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(intake_command.usage, stdout);
        return 2;
    }
    if (strcmp(argv[1], "run") == 0)
        return intake_run(argc, argv);
    if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "status") == 0)
        return intake_list(argc, argv);
    if (strcmp(argv[1], "test") == 0)
        return intake_test(argc, argv);
    if (strcmp(argv[1], "subscribe") == 0)
        return intake_subscribe(argc, argv);
    if (strcmp(argv[1], "webhook") == 0)
        return intake_webhook_main(argc, argv);
    return cli_usage_error(&intake_command, "unknown action '%s'", argv[1]);
}
