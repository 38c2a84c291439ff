/* minca case list | show COT */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/engine_run.h"
#include "minca/profile.h"
#include "minca/desk_profile_store.h"
#include "minca/queue.h"
#include "minca/desk_reply.h"
#include "minca/desk_review.h"
#include "minca/engine_steps.h"
#include "minca/store.h"
#include "minca/store_jobs.h"
#include "minca/store_outbox.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int case_run(int argc, char **argv);

CLI_COMMAND(case_command, {
    .name = "case",
    .summary = "list cases or show one case with its vehicles and matches",
    .usage = "usage: minca case list [--insurer SLUG] [--json]\n"
             "       minca case show COT [--insurer SLUG] [--json]\n"
             "       minca case rerun COT [--insurer SLUG]\n"
             "       minca case confirm COT [FIELD] [--insurer SLUG]\n"
             "       minca case reply COT --missing|--quote [--to ADDR] [--no-edit] [--wait S] [--insurer SLUG]\n"
             "       minca case outbox COT [--resend ID] [--wait S] [--insurer SLUG]\n"
             "       minca case assign COT USER|--me|--nobody [--insurer SLUG]\n\n"
             "reply drafts an answer to the case's broker from the templates in templates/reply/ (the\n"
             "missing data, or the quote with the latest export's files attached), opens it in\n"
             "$VISUAL/$EDITOR (--no-edit: as drafted), queues it in the outbox and sends it through the\n"
             "source's SMTP server (smtp_url, smtp_from, smtp_user, smtp_password_env), threaded with\n"
             "the conversation and the COT in the subject; it waits up to S seconds (default 30) for\n"
             "the send. outbox lists what was sent and its state; --resend sends a failing or\n"
             "uncertain message again.\n"
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
        printf("%-18s %-11s %s %s %5lld %5lld %5lld %5lld%s%s%s\n", str(c, "cot"), str(c, "status"),
               cli_fit(str(c, "client_name"), 32), cli_fit(str(c, "broker"), 22), num(c, "vehicles"), num(c, "auto"),
               num(c, "review"), num(c, "no_match"), json_is_true(json_object_get(c, "late")) ? "  LATE" : "",
               *str(c, "assignee") ? "  @" : "", str(c, "assignee"));
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
    /* The owner with the audited assignment that gave it: who (a person, or the system by a
     * rule) and when. */
    printf("  owner:     %s%s%s\n  due:       %s%s\n", *str(k, "assignee") ? str(k, "assignee") : "nobody",
           *str(k, "assignee") && *str(k, "assigned") ? "  assigned " : "", *str(k, "assignee") ? str(k, "assigned") : "",
           str(k, "due"), json_is_true(json_object_get(k, "late")) ? "  LATE" : "");
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
    json_t *sent = json_object_get(k, "outbox");
    if (json_array_size(sent)) {
        printf("  outbox: %zu\n", json_array_size(sent));
        json_array_foreach(sent, i, a)
            printf("    #%lld %-8s %-9s to %s  %s%s%s\n", num(a, "id"), str(a, "kind"), str(a, "state"),
                   str(a, "to_addr"), cli_fit(str(a, "subject"), 40), *str(a, "last_error") ? "  " : "",
                   str(a, "last_error"));
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
            g_free(summary);
        }
    }
    json_t *rows = json_object_get(k, "vehicles");
    printf("  vehicles: %zu\n", json_array_size(rows));
    json_t *v;
    json_array_foreach(rows, i, v) {
        printf("    %3lld %s %4lld %-17s %-6s %-12s #%lld\n", num(v, "inciso"), cli_fit(str(v, "description"), 40),
               num(v, "year"), str(v, "vin"), str(v, "cvegs"), str(v, "decision"), num(v, "id"));
        /* the source's columns the profile did not map that hold text (observaciones ...) */
        const char *h;
        json_t *x;
        json_object_foreach(json_object_get(v, "extra_cells"), h, x)
            printf("        %s: %s\n", h, json_string_value(x) ? json_string_value(x) : "");
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
        g_free(reason);
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


/* The draft opened in $VISUAL or $EDITOR; the text as saved. NULL when the editor fails. */
static char *edit_draft(const char *text)
{
    const char *editor = getenv("VISUAL");
    if (!editor || !*editor)
        editor = getenv("EDITOR");
    if (!editor || !*editor)
        return g_strdup(text);
    char *path = NULL;
    int fd = g_file_open_tmp("minca-reply-XXXXXX.txt", &path, NULL);
    if (fd < 0)
        return NULL;
    close(fd);
    char *out = NULL;
    if (g_file_set_contents(path, text, -1, NULL)) {
        char *quoted = g_shell_quote(path);
        char *cmd = g_strdup_printf("%s %s", editor, quoted);
        int st = system(cmd);
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            g_file_get_contents(path, &out, NULL, NULL);
        g_free(cmd);
        g_free(quoted);
    }
    unlink(path);
    g_free(path);
    return out;
}

/* Runs the batch's send job in this process until the message leaves the queue (sent or
 * failing) or wait_s pass; prints its state. */
static int send_now(PGconn *c, long long case_id, long long outbox_id, long long job, const char *batch, int wait_s)
{
    minca_err err = {0};
    redisContext *r = queue_redis_connect(&err);
    queue_dispatch(r, &job, 1);
    if (r)
        redisFree(r);
    engine_opts o = {.threads = 1, .name = "reply", .kinds = steps_kinds, .batch_id = batch};
    engine *e = engine_start(&o, &err);
    if (!e) {
        fprintf(stderr, "minca case: %s (the message stays in the outbox for the workers)\n", err.msg);
        return 1;
    }
    store_outbox_entry_list all = {0};
    const store_outbox_entry *row = NULL;
    const char *state = "queued";
    for (int waited = 0; waited <= wait_s * 10; waited++) {
        row = NULL;
        store_outbox_entry_list_clear(&all);
        if (store_outbox_of_case(c, case_id, &all, &err) == 0)
            for (size_t i = 0; i < all.n; i++)
                if (all.items[i].id == outbox_id)
                    row = &all.items[i];
        state = row ? row->state : "?";
        if (strcmp(state, "queued") != 0 && strcmp(state, "sending") != 0)
            break;
        usleep(100000);
    }
    engine_stop(e);
    const char *why = row && row->last_error ? row->last_error : "";
    printf("outbox #%lld: %s%s%s\n", outbox_id, state, *why ? ": " : "", why);
    int rc = strcmp(state, "sent") == 0 ? 0 : 1;
    store_outbox_entry_list_clear(&all);
    return rc;
}

static int reply(PGconn *c, long long insurer_id, const char *cot, const char *kind, const char *to, bool no_edit,
                 int wait_s)
{
    minca_err err = {0};
    if (access_require(c, insurer_id, ACCESS_DECIDE, &err) < 0) {
        fprintf(stderr, "minca case: %s\n", err.msg);
        return 1;
    }
    reply_draft d;
    if (reply_draft_make(c, insurer_id, cot, kind, to, config_get()->sources, config_get()->n_sources, &d, &err) < 0) {
        fprintf(stderr, "minca case: %s\n", err.msg);
        return 1;
    }
    int rc = 1;
    char *text = reply_draft_text(&d);
    char *edited = no_edit ? g_strdup(text) : edit_draft(text);
    if (!edited) {
        fprintf(stderr, "minca case: the editor failed; nothing sent\n");
    } else if (strcmp(edited, text) != 0 && reply_draft_parse(&d, edited, &err) < 0) {
        fprintf(stderr, "minca case: %s\n", err.msg);
    } else {
        char batch[64];
        snprintf(batch, sizeof batch, "reply-%s-%d", cot, (int)getpid());
        long long outbox_id = 0, job = 0;
        if (reply_queue(c, insurer_id, &d, config_get()->user, batch, &outbox_id, &job, &err) < 0) {
            fprintf(stderr, "minca case: %s\n", err.msg);
        } else {
            printf("%s: \"%s\" to %s queued (outbox #%lld)\n", cot, d.subject, d.to_addr, outbox_id);
            rc = send_now(c, d.case_id, outbox_id, job, batch, wait_s);
        }
    }
    g_free(edited);
    g_free(text);
    reply_draft_clear(&d);
    return rc;
}

static int outbox(PGconn *c, long long insurer_id, const char *cot, long long resend, int wait_s)
{
    minca_err err = {0};
    long long case_id = review_case_id(c, insurer_id, cot, &err);
    if (case_id <= 0) {
        fprintf(stderr, "minca case: %s\n", case_id == 0 ? "no such case" : err.msg);
        return 1;
    }
    if (resend) {
        if (access_require(c, insurer_id, ACCESS_DECIDE, &err) < 0) {
            fprintf(stderr, "minca case: %s\n", err.msg);
            return 1;
        }
        char batch[64];
        snprintf(batch, sizeof batch, "resend-%lld-%d", resend, (int)getpid());
        int n = store_outbox_requeue(c, insurer_id, resend, batch, &err);
        if (n <= 0) {
            fprintf(stderr, "minca case: %s\n", n == 0 ? "no failing or uncertain message with that number" : err.msg);
            return 1;
        }
        char id[32];
        snprintf(id, sizeof id, "%lld", case_id);
        json_t *det = json_pack("{s:s, s:I}", "cot", cot, "outbox_id", (json_int_t)resend);
        store_audit(c, insurer_id, config_get()->user, "reply_resend", "case", id, det, &err);
        json_decref(det);
        return send_now(c, case_id, resend, 0, batch, wait_s);
    }
    store_outbox_entry_list rows;
    if (store_outbox_of_case(c, case_id, &rows, &err) < 0) {
        fprintf(stderr, "minca case: %s\n", err.msg);
        store_outbox_entry_list_clear(&rows);
        return 1;
    }
    for (size_t i = 0; i < rows.n; i++) {
        const store_outbox_entry *a = &rows.items[i];
        const char *why = a->last_error ? a->last_error : "";
        printf("#%lld %-8s %-9s attempts %d  to %s  %s  %s%s%s\n", a->id, a->kind, a->state, a->attempts, a->to_addr,
               a->subject, a->message_id, *why ? "  " : "", why);
    }
    if (rows.n == 0)
        printf("nothing sent for %s yet ('minca case reply %s --missing')\n", cot, cot);
    store_outbox_entry_list_clear(&rows);
    return 0;
}

/* minca case confirm COT [FIELD]: the suggested client fields accepted. */
static int case_confirm(PGconn *c, long long insurer_id, const char *cot, const char *field)
{
    minca_err err = {0};
    long long case_id = review_case_id(c, insurer_id, cot, &err);
    int n = 0;
    if (case_id <= 0 || review_confirm_suggested(c, insurer_id, case_id, field, config_get()->user, &n, &err) < 0) {
        fprintf(stderr, "minca case: %s\n", case_id == 0 ? "no such case" : err.msg);
        return 1;
    }
    printf("%s: %d suggested field(s) confirmed\n", cot, n);
    return 0;
}

/* minca case assign COT USER|--me|--nobody (USER "" for nobody). */
static int case_assign(PGconn *c, long long insurer_id, const char *cot, const char *user)
{
    minca_err err = {0};
    if (!user)
        return cli_usage_error(&case_command, "assign needs a USER, --me or --nobody");
    int n = access_require(c, insurer_id, ACCESS_DECIDE, &err) < 0 ? -1
            : store_case_assign(c, insurer_id, cot, *user ? user : NULL, config_get()->user, &err);
    if (n <= 0) {
        fprintf(stderr, "minca case: %s\n", n == 0 ? "no such case" : err.msg);
        return 1;
    }
    printf("%s: %s\n", cot, *user ? user : "unassigned");
    return 0;
}

static int case_run(int argc, char **argv)
{
    const char *insurer = config_get()->insurer;
    bool json = false, no_edit = false;
    const char *action = NULL, *cot = NULL, *field = NULL, *kind = NULL, *to = NULL;
    long long resend = 0;
    int wait_s = 30;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            insurer = argv[++i];
        else if (strcmp(argv[i], "--missing") == 0 || strcmp(argv[i], "--quote") == 0)
            kind = argv[i] + 2;
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            to = argv[++i];
        else if (strcmp(argv[i], "--me") == 0 && !field)
            field = config_get()->user;
        else if (strcmp(argv[i], "--nobody") == 0 && !field)
            field = "";
        else if (strcmp(argv[i], "--no-edit") == 0)
            no_edit = true;
        else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
            wait_s = atoi(argv[++i]);
        else if (strcmp(argv[i], "--resend") == 0 && i + 1 < argc)
            resend = atoll(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-')
            return cli_usage_error(&case_command, "unknown option '%s'", argv[i]);
        else if (!action)
            action = argv[i];
        else if (!cot)
            cot = argv[i];
        else if (!field && action && (strcmp(action, "confirm") == 0 || strcmp(action, "assign") == 0))
            field = argv[i];
        else
            return cli_usage_error(&case_command, "unexpected argument '%s'", argv[i]);
    }
    if (!action || (strcmp(action, "list") != 0 && strcmp(action, "show") != 0 && strcmp(action, "rerun") != 0 &&
                    strcmp(action, "confirm") != 0 && strcmp(action, "reply") != 0 && strcmp(action, "outbox") != 0 &&
                    strcmp(action, "assign") != 0))
        return cli_usage_error(&case_command, "expected 'list', 'show COT', 'rerun COT', 'confirm COT', 'reply COT' or "
                                              "'outbox COT'");
    if (strcmp(action, "reply") == 0 && !kind)
        return cli_usage_error(&case_command, "reply needs --missing or --quote");
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
            fprintf(stderr, "minca case: %s\n", cli_unknown_insurer(c, insurer));
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
    if (strcmp(action, "confirm") == 0 || strcmp(action, "assign") == 0) {
        status = strcmp(action, "confirm") == 0 ? case_confirm(c, ins.id, cot, field) : case_assign(c, ins.id, cot, field);
        PQfinish(c);
        return status;
    }
    if (strcmp(action, "reply") == 0 || strcmp(action, "outbox") == 0) {
        status = strcmp(action, "reply") == 0 ? reply(c, ins.id, cot, kind, to, no_edit, wait_s)
                                              : outbox(c, ins.id, cot, resend, wait_s);
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
