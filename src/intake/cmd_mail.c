/* `minca mail parse PATH... [--json]`: parses messages without storing anything and shows what
 * intake read (headers, bodies, attachments, problems) and the body pre-analysis. A debugging
 * aid for broker emails that do not come out as expected. */
#include "minca/cli.h"
#include "minca/intake.h"

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
    .summary = "parse emails without storing them (debugging aid)",
    .usage = "usage: minca mail parse [--json] PATH...\n"
             "  PATH is an .eml file, a directory of .eml files or a Maildir.\n"
             "  Prints the parsed message and the body pre-analysis; --json prints one JSON\n"
             "  object per message (attachment bytes omitted).\n",
    .run = cmd_mail_run,
})

static int cmd_mail_run(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(cmd_mail.usage, stdout);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "parse") != 0)
        return cli_usage_error(&cmd_mail, "expected: mail parse [--json] PATH...");
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
