/* `minca mail parse PATH... [--json]`: parses messages without storing anything and shows what
 * intake read (headers, bodies, attachments, problems) and the body pre-analysis. A debugging
 * aid for broker emails that do not come out as expected.
 * `minca mail add`: an email typed in at the desk, built as a real MIME message and handed to
 * the pipeline through the manual source, like mail from any other source. */
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/engine_run.h"
#include "minca/intake.h"
#include "minca/engine_intake_poll.h"
#include "minca/queue.h"
#include "minca/engine_steps.h"
#include "minca/store_mail.h"

#include <unistd.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_human(const char *origin, const intake_message *m, const intake_analysis *a)
{
    printf("== %s\n", origin);
    printf("Message-ID: %s%s\n", m->message_id, m->message_id_synthetic ? " (synthetic)" : "");
    printf("From:       %s <%s>\n", m->from_name ? m->from_name : "", m->from_addr ? m->from_addr : "");
    printf("Subject:    %s\n", m->subject ? m->subject : "");
    printf("Date:       %s\n", m->date_iso ? m->date_iso : "(none)");
    printf("Bodies:     text %zu bytes, html %zu bytes, %zu forwarded message(s)\n",
           m->text_body ? strlen(m->text_body) : 0, m->html_body ? strlen(m->html_body) : 0, m->n_forwarded);
    for (size_t i = 0; i < m->n_attachments; i++) {
        const intake_attachment *at = &m->attachments[i];
        printf("Attachment: %s (%s, %zu bytes, %s)%s%s\n", at->filename, at->content_type, at->size,
               intake_role_name(at->role), at->container ? " in " : "", at->container ? at->container : "");
    }
    for (size_t i = 0; i < m->n_problems; i++)
        printf("Problem:    %s\n", m->problems[i]);
    printf("Client:     %s\n", a->client_name ? a->client_name : "-");
    printf("RFC:        %s%s\n", a->rfc ? a->rfc : "-", a->rfc && !a->rfc_valid ? " (INVALID)" : "");
    printf("Contact:    %s / %s / %s\n", a->contact_name ? a->contact_name : "-",
           a->contact_phone ? a->contact_phone : "-", a->contact_email ? a->contact_email : "-");
    printf("Coverage:   %s   Payment: %s   Uso: %s\n", a->coverage ? a->coverage : "-",
           a->payment_terms ? a->payment_terms : "-", a->uso ? a->uso : "-");
    printf("Vigencia:   %s to %s%s\n", a->vigencia_start ? a->vigencia_start : "-",
           a->vigencia_end ? a->vigencia_end : "-", a->vigencia_end_implicit ? " (implicit)" : "");
    if (a->loss_history)
        printf("Losses:     %s\n", a->loss_history);
    for (size_t i = 0; i < a->n_missing; i++)
        printf("Missing:    %s\n", a->missing[i]);
    for (size_t i = 0; i < a->n_notes; i++)
        printf("Note:       %s\n", a->notes[i]);
}

static int cmd_mail_run(int argc, char **argv);

CLI_COMMAND(cmd_mail, {
    .name = "mail",
    .summary = "type an email in at the desk (add); parse emails without storing them (parse)",
    .usage = "usage: minca mail add --from ADDR --subject S [--to ADDR] [--body-file F | --body TEXT]\n"
             "                      [--attach FILE]... [--insurer SLUG] [--no-wait] [--json]\n"
             "       minca mail parse [--json] PATH...\n\n"
             "add    builds a MIME message (UTF-8 body, the files attached) and feeds it to the\n"
             "       pipeline as the desk's manual source; waits for its case unless --no-wait\n"
             "       and prints the COT. --body-file - reads the body from stdin.\n"
             "parse  PATH is an .eml file, a directory of .eml files or a Maildir. Prints the\n"
             "       parsed message and the body pre-analysis; --json prints one JSON object per\n"
             "       message (attachment bytes omitted).\n",
    .run = cmd_mail_run,
})

static int mail_add(int argc, char **argv);

static int cmd_mail_run(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
        return mail_add(argc - 1, argv + 1);
    if (argc < 3 || strcmp(argv[1], "parse") != 0)
        return cli_usage_error(&cmd_mail, "expected: mail add ... or mail parse [--json] PATH...");
    bool json = false;
    int status = 0, paths = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
            continue;
        }
        paths++;
        minca_err err = {0};
        intake_source *src = NULL;
        if (intake_source_open(argv[i], NULL, &src, &err) != 0) {
            fprintf(stderr, "minca mail: %s\n", err.msg);
            status = 1;
            continue;
        }
        intake_item item;
        int r;
        while ((r = intake_source_next(src, &item, &err)) != 0) {
            if (r < 0) {
                fprintf(stderr, "minca mail: %s\n", err.msg);
                status = 1;
                intake_item_clear(&item);
                continue;
            }
            intake_message *m = NULL;
            intake_analysis *a = NULL;
            if (intake_parse(item.data, item.len, &m, &err) != 0) {
                fprintf(stderr, "minca mail: %s: %s\n", item.origin, err.msg);
                status = 1;
            } else if (intake_analyze(m, &a, &err) != 0) {
                fprintf(stderr, "minca mail: %s: %s\n", item.origin, err.msg);
                status = 1;
            } else if (json) {
                json_t *o = intake_message_to_json(m);
                json_object_set_new(o, "origin", json_string(item.origin));
                json_object_set_new(o, "analysis", intake_analysis_to_json(a));
                char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                if (s)
                    puts(s);
                free(s);
                json_decref(o);
            } else {
                print_human(item.origin, m, a);
            }
            intake_analysis_free(a);
            intake_message_free(m);
            intake_item_clear(&item);
        }
        intake_source_close(src);
    }
    if (!paths)
        return cli_usage_error(&cmd_mail, "no PATH given");
    return status;
}

static char *read_body(const char *path, minca_err *err)
{
    if (strcmp(path, "-") == 0) {
        GString *b = g_string_new(NULL);
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
            g_string_append_len(b, buf, (gssize)n);
        return g_string_free(b, FALSE);
    }
    char *data = NULL;
    size_t len = 0;
    if (core_read_file(path, INTAKE_DEFAULT_MAX_MESSAGE_BYTES, &data, &len, err) < 0)
        return NULL;
    return data;
}

/* Waits for the message's ingest job (and the steps it starts) and prints its outcome. */
/* `mail add` waits up to two minutes for the message it queued to be read. */
static bool drain_within_window(PGconn *c, void *user)
{
    return core_now_seconds() - *(const double *)user < 120;
}

static int wait_for_case(PGconn *c, const char *batch_id, const char *message_id, bool json)
{
    minca_err err = {0};
    /* Only this message's jobs: the rest of the queue is the workers'. */
    engine_opts eo = {.threads = 1, .name = "mail-add", .kinds = steps_kinds, .batch_id = batch_id};
    engine *eng = engine_start(&eo, &err);
    if (!eng) {
        fprintf(stderr, "minca mail: cannot start the pipeline: %s\n", err.msg);
        return 1;
    }
    double start = core_now_seconds();
    engine_drain_opts d = {.poll_ms = 100, .ready = drain_within_window, .user = &start};
    engine_drain(eng, c, batch_id, &d, &err);
    engine_stop(eng);
    store_mail_outcome_row row;
    int found = store_mail_outcome(c, message_id, &row, &err);
    int status = 0;
    if (found <= 0) {
        fprintf(stderr, "minca mail: the message was queued but is not stored yet%s%s\n", err.msg[0] ? ": " : "", err.msg);
        status = 1;
    } else if (json) {
        json_t *js = store_mail_outcome_row_json(&row);
        json_object_set_new(js, "message_id_header", json_string(message_id));
        char *s = json_dumps(js, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(js);
    } else if (row.cot) {
        printf("%s %s (%s)\n", message_id, row.cot, row.case_status ? row.case_status : "");
    } else {
        printf("%s stored without a case (%s)\n", message_id, row.status);
    }
    store_mail_outcome_row_clear(&row);
    return status;
}

/* Hands one composed message to the pipeline through the desk's manual source. */
static int mail_submit(const char *insurer, const char *raw, size_t len, const char *mid, bool no_wait, bool json,
                       PGconn **conn)
{
    minca_err err = {0};
    PGconn *c = *conn = store_open(&err);
    if (!c) {
        fprintf(stderr, "minca mail: %s\n", err.msg);
        return 1;
    }
    redisContext *r = queue_redis_connect(&err);
    char batch_id[96];
    snprintf(batch_id, sizeof batch_id, "desk-%d-%.0f", (int)getpid(), core_now_seconds() * 1000);
    intake_item item = {.origin = (char *)"desk", .data = (char *)raw, .len = len, .source_id = (char *)mid};
    intake_poll_target t = {.name = "desk", .kind = "manual", .insurer = insurer, .items = &item, .n_items = 1,
                            .batch_id = batch_id};
    intake_poll_stats st;
    int rc = intake_poll_once(c, r, &t, &st, &err);
    if (r)
        redisFree(r);
    if (rc < 0) {
        fprintf(stderr, "minca mail: %s\n", st.error[0] ? st.error : err.msg);
        return 1;
    }
    if (no_wait || !st.stored) {
        if (json)
            printf("{\"message_id_header\": \"%s\", \"queued\": %s}\n", mid, st.stored ? "true" : "false");
        else
            printf("%s %s\n", mid, st.stored ? "queued" : "already stored");
        return 0;
    }
    return wait_for_case(c, batch_id, mid, json);
}

static int mail_add(int argc, char **argv)
{
    const char *from = NULL, *subject = NULL, *to = NULL, *body_file = NULL, *body = NULL;
    const char *insurer = config_get()->insurer;
    bool no_wait = false, json = false;
    GArray *atts = g_array_new(FALSE, TRUE, sizeof(intake_compose_attachment));
    for (int i = 1; i < argc; i++) {
        bool more = i + 1 < argc;
        if (strcmp(argv[i], "--from") == 0 && more)
            from = argv[++i];
        else if (strcmp(argv[i], "--subject") == 0 && more)
            subject = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && more)
            to = argv[++i];
        else if (strcmp(argv[i], "--body-file") == 0 && more)
            body_file = argv[++i];
        else if (strcmp(argv[i], "--body") == 0 && more)
            body = argv[++i];
        else if (strcmp(argv[i], "--insurer") == 0 && more)
            insurer = argv[++i];
        else if (strcmp(argv[i], "--attach") == 0 && more) {
            intake_compose_attachment a = {.path = argv[++i]};
            g_array_append_val(atts, a);
        } else if (strcmp(argv[i], "--no-wait") == 0)
            no_wait = true;
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else {
            g_array_free(atts, TRUE);
            return cli_usage_error(&cmd_mail, "mail add: unknown argument '%s'", argv[i]);
        }
    }
    if (!from || !subject) {
        g_array_free(atts, TRUE);
        return cli_usage_error(&cmd_mail, "mail add needs --from ADDR and --subject S");
    }
    minca_err err = {0};
    char *body_text = body ? g_strdup(body) : body_file ? read_body(body_file, &err) : g_strdup("");
    int status = 1;
    char *raw = NULL, *mid = NULL;
    size_t len = 0;
    PGconn *c = NULL;
    if (!body_text) {
        fprintf(stderr, "minca mail: %s\n", err.msg);
        goto done;
    }
    intake_compose comp = {.from = from, .to = to, .subject = subject, .text_body = body_text,
                           .attachments = (intake_compose_attachment *)(void *)atts->data, .n_attachments = atts->len};
    if (intake_compose_build(&comp, &raw, &len, &mid, &err) < 0) {
        fprintf(stderr, "minca mail: %s\n", err.msg);
        goto done;
    }
    status = mail_submit(insurer, raw, len, mid, no_wait, json, &c);
done:
    g_free(body_text);
    g_free(raw);
    g_free(mid);
    PQfinish(c);
    g_array_free(atts, TRUE);
    return status;
}
