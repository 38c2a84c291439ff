/* minca case list | show COT */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/config.h"
#include "minca/engine_run.h"
#include "minca/profile.h"
#include "minca/profile_store.h"
#include "minca/queue.h"
#include "minca/review.h"
#include "minca/steps.h"
#include "minca/store.h"
#include "minca/store_jobs.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int case_run(int argc, char **argv);

CLI_COMMAND(case_command, {
    .name = "case",
    .summary = "list cases or show one case with its vehicles and matches",
    .usage = "usage: minca case list [--insurer SLUG] [--json]\n"
             "       minca case show COT [--insurer SLUG] [--json]\n"
             "       minca case rerun COT [--insurer SLUG]\n"
             "       minca case confirm COT [FIELD] [--insurer SLUG]\n\n"
             "confirm accepts the client fields the language model suggested (all, or one FIELD:\n"
             "client_name, rfc, coverage, payment_terms, vigencia, uso); until then they are listed\n"
             "as missing and the export refuses them.\n"
             "rerun discards the case's extracted vehicles and their matches and runs extraction and\n"
             "codification again with the broker's current profile (after saving a new one).\n",
    .run = case_run,
})

static const char *str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static long long num(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(s);
    free(s);
}

static void print_list(json_t *cases)
{
    if (json_array_size(cases) == 0) {
        printf("no cases yet (ingest mail with 'minca batch PATH')\n");
        return;
    }
    printf("%-18s %-11s %-32s %-22s %5s %5s %5s %5s\n", "COT", "STATUS", "CLIENT", "BROKER", "VEH",
           "AUTO", "REV", "NOMA");
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        printf("%-18s %-11s %s %s %5lld %5lld %5lld %5lld\n", str(c, "cot"), str(c, "status"),
               cli_fit(str(c, "client_name"), 32), cli_fit(str(c, "broker"), 22), num(c, "vehicles"), num(c, "auto"),
               num(c, "review"), num(c, "no_match"));
    }
}

/* "  (suggested by the model, to confirm)" after a field the language model filled. */
static const char *suggested_mark(json_t *sugg, const char *field)
{
    json_t *s = json_object_get(sugg, field);
    if (!s)
        return "";
    return json_object_get(s, "confirmed_by") ? "  (suggested by the model, confirmed)"
                                              : "  (suggested by the model, to confirm)";
}

static void print_case(json_t *k)
{
    printf("%s  [%s]%s%s\n", str(k, "cot"), str(k, "status"), *str(k, "status_reason") ? "  " : "",
           str(k, "status_reason"));
    json_t *sugg = json_object_get(k, "suggested");
    printf("  client:    %s%s\n  RFC:       %s%s\n  broker:    %s\n  coverage:  %s%s\n  payment:   %s%s\n",
           str(k, "client_name"), suggested_mark(sugg, "client_name"), str(k, "rfc"), suggested_mark(sugg, "rfc"),
           str(k, "broker"), str(k, "coverage"), suggested_mark(sugg, "coverage"), str(k, "payment_terms"),
           suggested_mark(sugg, "payment_terms"));
    printf("  vigencia:  %s .. %s%s\n", str(k, "validity_start"), str(k, "validity_end"), suggested_mark(sugg, "vigencia"));
    if (json_object_get(sugg, "uso"))
        printf("  use:       %s%s\n", str(k, "uso"), suggested_mark(sugg, "uso"));
    else if (*str(k, "uso_stated"))
        printf("  use:       %s (stated: \"%s\")\n", *str(k, "uso") ? str(k, "uso") : "no category fits",
               str(k, "uso_stated"));
    if (num(k, "revision") > 1) {
        char *diff = review_revision_summary(json_object_get(k, "revision_diff"), "    ");
        printf("  revision:  %lld of the vehicle list\n%s", num(k, "revision"), diff);
        g_free(diff);
    }
    printf("  message:   %s  from %s  (%s)\n", str(k, "subject"), str(k, "from_addr"), str(k, "received_at"));
    if (json_is_true(json_object_get(k, "needs_profile")))
        printf("  profile:   none saved for this broker; flagged for the profile wizard (W in the case view)\n");
    json_t *missing = json_object_get(k, "missing_requirements");
    if (json_array_size(missing)) {
        printf("  missing:  ");
        size_t i;
        json_t *m;
        json_array_foreach(missing, i, m) printf(" %s", json_string_value(m));
        printf("\n");
    }
    json_t *msgs = json_object_get(k, "messages");
    size_t i;
    json_t *a;
    if (json_array_size(msgs) > 1) {
        printf("  messages: %zu\n", json_array_size(msgs));
        json_array_foreach(msgs, i, a)
            printf("    %zu. %s  %s  %s  (%s%s)\n", i + 1, str(a, "received"), str(a, "from_addr"),
                   cli_fit(str(a, "subject"), 40), *str(a, "joined_by") ? "joined by " : "opened the case",
                   str(a, "joined_by"));
    }
    json_t *atts = json_object_get(k, "attachments");
    printf("  attachments: %zu\n", json_array_size(atts));
    json_array_foreach(atts, i, a) {
        printf("    %lld. %s (%s, %lld bytes) %s%s%s\n", num(a, "ordinal"), str(a, "filename"),
               str(a, "content_type"), num(a, "size"), str(a, "status"), *str(a, "error") ? ": " : "",
               str(a, "error"));
        json_t *ex = json_object_get(a, "extraction");
        if (json_is_object(ex)) {
            char *summary = profile_report_summary(ex, "       ");
            fputs(summary, stdout);
            free(summary);
        }
    }
    json_t *rows = json_object_get(k, "vehicles");
    printf("  vehicles: %zu\n", json_array_size(rows));
    json_t *v;
    json_array_foreach(rows, i, v) {
        printf("    %3lld %s %4lld %-17s %-6s %-12s #%lld\n", num(v, "inciso"), cli_fit(str(v, "description"), 40),
               num(v, "year"), str(v, "vin"), str(v, "cvegs"), str(v, "decision"), num(v, "id"));
    }
}

/* Queues the case's extraction again and runs it in this process until it is done. */
static int rerun(PGconn *c, long long insurer_id, const char *cot)
{
    minca_err err = {0};
    long long case_id = review_case_id(c, insurer_id, cot, &err);
    if (case_id <= 0) {
        fprintf(stderr, "minca case: %s\n", case_id == 0 ? "no such case" : err.msg);
        return 1;
    }
    char batch[64];
    snprintf(batch, sizeof batch, "rerun-%s-%d", cot, (int)getpid());
    long long job = 0;
    if (profile_store_rerun_case(c, insurer_id, case_id, config_get()->user, batch, &job, &err) < 0) {
        fprintf(stderr, "minca case: %s\n", err.msg);
        return 1;
    }
    redisContext *r = queue_redis_connect(&err);
    queue_dispatch(r, &job, 1);
    if (r)
        redisFree(r);
    engine_opts o = {.threads = 1, .name = "rerun", .kinds = steps_kinds, .batch_id = batch};
    engine *e = engine_start(&o, &err);
    if (!e) {
        fprintf(stderr, "minca case: %s (the re-run stays queued for the workers)\n", err.msg);
        return 1;
    }
    engine_drain_opts wait = {.poll_ms = 100};
    int drained = engine_drain(e, c, batch, &wait, &err);
    engine_stop(e);
    if (drained < 0) {
        fprintf(stderr, "minca case: %s\n", err.msg);
        return 1;
    }
    char kind[32], *reason = NULL;
    if (store_jobs_batch_dead(c, batch, kind, &reason, &err) > 0) {
        fprintf(stderr, "minca case: the %s step failed: %s\n", kind, reason);
        free(reason);
        return 1;
    }
    json_t *k = store_case_show(c, insurer_id, cot, &err);
    if (!k) {
        fprintf(stderr, "minca case: %s\n", err.msg);
        return 1;
    }
    printf("%s re-run: %zu vehicle(s), status %s\n", cot, json_array_size(json_object_get(k, "vehicles")), str(k, "status"));
    json_decref(k);
    return 0;
}

static int case_run(int argc, char **argv)
{
    const char *insurer = config_get()->insurer;
    bool json = false;
    const char *action = NULL, *cot = NULL, *field = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            insurer = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-')
            return cli_usage_error(&case_command, "unknown option '%s'", argv[i]);
        else if (!action)
            action = argv[i];
        else if (!cot)
            cot = argv[i];
        else if (!field && action && strcmp(action, "confirm") == 0)
            field = argv[i];
        else
            return cli_usage_error(&case_command, "unexpected argument '%s'", argv[i]);
    }
    if (!action || (strcmp(action, "list") != 0 && strcmp(action, "show") != 0 && strcmp(action, "rerun") != 0 &&
                    strcmp(action, "confirm") != 0))
        return cli_usage_error(&case_command, "expected 'list', 'show COT', 'rerun COT' or 'confirm COT'");
    if (strcmp(action, "list") != 0 && !cot)
        return cli_usage_error(&case_command, "'%s' needs a COT number", action);

    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c) {
        fprintf(stderr, "minca case: %s\n", err.msg);
        return 1;
    }
    int status = 0;
    store_insurer ins;
    int found = store_insurer_find(c, insurer, &ins, &err);
    if (found <= 0) {
        if (found == 0)
            fprintf(stderr, "minca case: no insurer '%s' (ingest mail for it first)\n", insurer);
        else
            fprintf(stderr, "minca case: %s\n", err.msg);
        PQfinish(c);
        return 1;
    }
    if (access_require(c, ins.id, ACCESS_READ, &err) < 0) {
        fprintf(stderr, "minca case: %s\n", err.msg);
        PQfinish(c);
        return 1;
    }
    if (strcmp(action, "confirm") == 0) {
        long long case_id = review_case_id(c, ins.id, cot, &err);
        int n = 0;
        if (case_id <= 0 || review_confirm_suggested(c, ins.id, case_id, field, config_get()->user, &n, &err) < 0) {
            fprintf(stderr, "minca case: %s\n", case_id == 0 ? "no such case" : err.msg);
            status = 1;
        } else {
            printf("%s: %d suggested field(s) confirmed\n", cot, n);
        }
        PQfinish(c);
        return status;
    }
    if (strcmp(action, "rerun") == 0) {
        status = rerun(c, ins.id, cot);
        PQfinish(c);
        return status;
    }
    json_t *j = strcmp(action, "list") == 0 ? store_case_list(c, ins.id, &err)
                                            : store_case_show(c, ins.id, cot, &err);
    if (!j) {
        fprintf(stderr, "minca case: %s\n", err.msg);
        status = 1;
    } else if (json) {
        print_json(j);
    } else if (strcmp(action, "list") == 0) {
        print_list(j);
    } else {
        print_case(j);
    }
    json_decref(j);
    PQfinish(c);
    return status;
}
