/* minca batch: ingest .eml files, directories or Maildirs headlessly and summarise. */
#include "minca/cli.h"
#include "minca/config.h"
#include "minca/engine.h"
#include "minca/intake.h"
#include "minca/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int batch_run(int argc, char **argv);

CLI_COMMAND(batch_command, {
    .name = "batch",
    .summary = "ingest emails (.eml files, directories, Maildirs) headlessly",
    .usage = "usage: minca batch [--insurer SLUG] [--json] PATH...\n\n"
             "Ingests every message under the paths (an .eml file, a directory of .eml files or a\n"
             "Maildir): stores the message and its attachments, opens a case with a COT number\n"
             "for each quote request, and prints a summary (one JSON object with --json).\n"
             "The same message twice (same Message-ID) is stored once. A message that cannot\n"
             "be read is recorded with its error and the batch goes on; the exit status is 1\n"
             "when any message failed.\n\n"
             "  --insurer SLUG  tenant to ingest for (default: the configured insurer)\n"
             "  --json          print the summary as one JSON object\n",
    .run = batch_run,
})

typedef struct batch_totals {
    int messages, duplicates, failed, cases, ignored;
} batch_totals;

static void report_item(const engine_ingest_result *res, const char *origin, bool json, json_t *items)
{
    const char *outcome = res->parse_failed ? "error" : res->duplicate ? "duplicate"
                          : res->cot[0] ? "case" : "no_case";
    if (json) {
        json_array_append_new(items, json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:i, s:s?}", "file", origin,
                                               "outcome", outcome, "cot", res->cot[0] ? res->cot : NULL,
                                               "subject", res->subject[0] ? res->subject : NULL,
                                               "from", res->from[0] ? res->from : NULL,
                                               "attachments", res->n_attachments,
                                               "error", res->parse_failed ? res->error : NULL));
        return;
    }
    const char *base = strrchr(origin, '/');
    base = base ? base + 1 : origin;
    if (res->parse_failed)
        printf("  %-28s ERROR      %s\n", base, res->error);
    else if (res->duplicate)
        printf("  %-28s duplicate  (Message-ID already stored)\n", base);
    else if (res->cot[0])
        printf("  %-28s %-18s %d attachment(s)  %.60s\n", base, res->cot, res->n_attachments, res->subject);
    else
        printf("  %-28s no case    %.60s\n", base, res->subject);
}

static int batch_run(int argc, char **argv)
{
    const char *insurer = config_get()->insurer;
    bool json = false;
    int first_path = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            insurer = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(&batch_command, "unknown option '%s'", argv[i]);
        else if (!first_path)
            first_path = i;
    }
    if (!first_path)
        return cli_usage_error(&batch_command, "no PATH given");

    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c) {
        fprintf(stderr, "minca batch: %s\n", err.msg);
        return 1;
    }
    store_insurer ins;
    if (store_insurer_ensure(c, insurer, &ins, &err) < 0) {
        fprintf(stderr, "minca batch: %s\n", err.msg);
        PQfinish(c);
        return 1;
    }
    batch_totals t = {0};
    json_t *items = json_array();
    json_t *failures = json_array();
    double started = core_now_seconds();
    int status = 0;
    if (!json)
        printf("minca batch: insurer %s\n", ins.slug);
    for (int i = first_path; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            if (strcmp(argv[i], "--insurer") == 0)
                i++;
            continue;
        }
        intake_source *src = NULL;
        if (intake_source_open(argv[i], NULL, &src, &err) < 0) {
            if (!json)
                printf("  %-28s ERROR      %s\n", argv[i], err.msg);
            json_array_append_new(failures, json_pack("{s:s, s:s}", "file", argv[i], "error", err.msg));
            t.failed++;
            continue;
        }
        intake_item item = {0};
        int r;
        while ((r = intake_source_next(src, &item, &err)) != 0) {
            if (r < 0) {
                if (!json)
                    printf("  %-28s ERROR      %s\n", item.origin ? item.origin : "?", err.msg);
                json_array_append_new(failures, json_pack("{s:s?, s:s}", "file", item.origin, "error", err.msg));
                t.failed++;
                intake_item_clear(&item);
                continue;
            }
            engine_ingest_result res;
            if (engine_ingest(c, &ins, "eml", item.origin, item.data, item.len, &res, &err) < 0) {
                fprintf(stderr, "minca batch: %s: %s\n", item.origin, err.msg);
                json_array_append_new(failures, json_pack("{s:s, s:s}", "file", item.origin, "error", err.msg));
                t.failed++;
                status = 1;
                intake_item_clear(&item);
                if (PQstatus(c) != CONNECTION_OK)
                    break;
                continue;
            }
            t.messages++;
            if (res.duplicate)
                t.duplicates++;
            else if (res.parse_failed) {
                t.failed++;
                json_array_append_new(failures, json_pack("{s:s, s:s}", "file", item.origin, "error", res.error));
            } else if (res.cot[0])
                t.cases++;
            else
                t.ignored++;
            report_item(&res, item.origin, json, items);
            intake_item_clear(&item);
        }
        intake_source_close(src);
    }
    if (t.failed)
        status = 1;
    double elapsed = core_now_seconds() - started;
    if (json) {
        json_t *out = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:f, s:o, s:o}", "insurer", ins.slug,
                                "messages", t.messages, "cases_opened", t.cases, "duplicates", t.duplicates,
                                "without_case", t.ignored, "failed", t.failed, "elapsed_seconds", elapsed,
                                "items", items, "failures", failures);
        char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(out);
    } else {
        printf("\n%d message(s): %d case(s) opened, %d duplicate(s), %d without a case, %d failed (%.1f s)\n",
               t.messages, t.cases, t.duplicates, t.ignored, t.failed, elapsed);
        json_decref(items);
        json_decref(failures);
    }
    PQfinish(c);
    return status;
}
