/* minca review COT ACTION ... and minca correction list|revoke: review decisions from the
 * command line (the same operations the TUI's matches pane uses). */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/desk_review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int review_run(int argc, char **argv);
static int correction_run(int argc, char **argv);

CLI_COMMAND(review_command, {
    .name = "review",
    .summary = "decide vehicle matches of a case (accept, pick, no match, undo, note, ready)",
    .usage = "usage: minca review COT accept ROW\n"
             "       minca review COT pick ROW CVEGS YEAR\n"
             "       minca review COT nomatch ROW\n"
             "       minca review COT note ROW TEXT\n"
             "       minca review COT undo\n"
             "       minca review COT ready\n"
             "       minca review queue [--json]\n"
             "  [--insurer SLUG]\n\n"
             "ROW is the vehicle's inciso, FILE:INCISO when the case has several files that repeat\n"
             "incisos (FILE is the attachment's name or number), or #ROWID (shown by minca case\n"
             "show).\n\n"
             "Each decision is saved at once, written to the audit log with the acting user and\n"
             "kept as a correction the codifier applies to the same description from then on.\n"
             "undo reverts your last decision on the case; ready marks the case ready for export\n"
             "once every vehicle has a decision.\n\n"
             "queue lists the rows waiting for a person in the insurer's open cases, one line per\n"
             "description as the codifier reads it (the desk's Queue pane): rows, cases, the\n"
             "proposed key and the description of one of its rows.\n",
    .run = review_run,
})

CLI_COMMAND(correction_command, {
    .name = "correction",
    .summary = "list or revoke the reviewer corrections the codifier learns from",
    .usage = "usage: minca correction list [--all] [--json] [--insurer SLUG]\n"
             "       minca correction revoke ID [--insurer SLUG]\n",
    .run = correction_run,
})

static PGconn *open_insurer(const char *slug, store_insurer *ins, const char *who)
{
    minca_err err = {0};
    PGconn *c = store_open(&err);
    int found = c ? store_insurer_find(c, slug, ins, &err) : -1;
    if (found <= 0) {
        fprintf(stderr, "minca %s: %s\n", who, found == 0 ? cli_unknown_insurer(c, slug) : err.msg);
        PQfinish(c);
        return NULL;
    }
    if (access_require(c, ins->id, ACCESS_READ, &err) < 0) {
        fprintf(stderr, "minca %s: %s\n", who, err.msg);
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Strips --insurer SLUG from argv in place; returns the new argc. */
static int take_insurer(int argc, char **argv, const char **slug)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            *slug = argv[++i];
        else
            argv[n++] = argv[i];
    }
    return n;
}

static void print_queue(json_t *lines)
{
    long long rows = 0;
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l) {
        long long n = json_integer_value(json_object_get(l, "n_rows"));
        const char *cvegs = json_string_value(json_object_get(l, "cvegs"));
        rows += n;
        printf("%5lld %5lld  %-8s %s\n", n, (long long)json_integer_value(json_object_get(l, "n_cases")),
               cvegs && *cvegs ? cvegs : "-", cli_fit(json_string_value(json_object_get(l, "description")), 70));
    }
    printf("%lld row%s to review in %zu line%s\n", rows, rows == 1 ? "" : "s", json_array_size(lines),
           json_array_size(lines) == 1 ? "" : "s");
}

static int review_queue_run(const char *slug, int argc, char **argv)
{
    bool json = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") != 0)
            return cli_usage_error(&review_command, "unknown option '%s'", argv[i]);
        json = true;
    }
    store_insurer ins;
    PGconn *c = open_insurer(slug, &ins, "review");
    if (!c)
        return 1;
    minca_err err = {0};
    json_t *lines = review_queue(c, ins.id, config_get()->user, 0, &err);
    PQfinish(c);
    if (!lines) {
        fprintf(stderr, "minca review: %s\n", err.msg);
        return 1;
    }
    if (json) {
        char *s = json_dumps(lines, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
    } else {
        print_queue(lines);
    }
    json_decref(lines);
    return 0;
}

static int review_run(int argc, char **argv)
{
    const char *slug = config_get()->insurer;
    argc = take_insurer(argc, argv, &slug);
    if (argc >= 2 && strcmp(argv[1], "queue") == 0)
        return review_queue_run(slug, argc, argv);
    if (argc < 3)
        return cli_usage_error(&review_command, "need COT and ACTION");
    const char *cot = argv[1], *action = argv[2];
    store_insurer ins;
    PGconn *c = open_insurer(slug, &ins, "review");
    if (!c)
        return 1;
    const char *user = config_get()->user;   /* as the login check resolved it */
    minca_err err = {0};
    int rc = -1;
    long long case_id = review_case_id(c, ins.id, cot, &err);
    long long row_id = 0;
    if (case_id == 0)
        minca_err_set(&err, "no case %s", cot);
    if (case_id <= 0)
        goto done;
    bool needs_row = strcmp(action, "undo") != 0 && strcmp(action, "ready") != 0;
    if (needs_row) {
        if (argc < 4) {
            PQfinish(c);
            return cli_usage_error(&review_command, "%s needs a ROW (INCISO, FILE:INCISO or #ROWID)", action);
        }
        row_id = review_row_find(c, case_id, argv[3], &err);
        if (row_id <= 0)
            goto done;
    }
    if (strcmp(action, "accept") == 0)
        rc = review_accept(c, ins.id, row_id, user, &err);
    else if (strcmp(action, "pick") == 0 && argc >= 6)
        rc = review_pick(c, ins.id, row_id, argv[4], atoi(argv[5]), user, &err);
    else if (strcmp(action, "nomatch") == 0)
        rc = review_no_match(c, ins.id, row_id, user, &err);
    else if (strcmp(action, "note") == 0 && argc >= 5)
        rc = review_note(c, ins.id, row_id, argv[4], user, &err);
    else if (strcmp(action, "undo") == 0)
        rc = review_undo(c, ins.id, case_id, user, &row_id, &err);
    else if (strcmp(action, "ready") == 0)
        rc = review_mark_ready(c, ins.id, case_id, user, &err);
    else {
        PQfinish(c);
        return cli_usage_error(&review_command, "unknown or incomplete action '%s'", action);
    }
    if (rc == 0)
        printf("%s: %s done\n", cot, action);
done:
    if (rc < 0)
        fprintf(stderr, "minca review: %s\n", err.msg);
    PQfinish(c);
    return rc < 0 ? 1 : 0;
}

static int correction_run(int argc, char **argv)
{
    const char *slug = config_get()->insurer;
    argc = take_insurer(argc, argv, &slug);
    if (argc < 2)
        return cli_usage_error(&correction_command, "missing action");
    store_insurer ins;
    PGconn *c = open_insurer(slug, &ins, "correction");
    if (!c)
        return 1;
    minca_err err = {0};
    int status = 0;
    if (strcmp(argv[1], "list") == 0) {
        bool all = false, json = false;
        for (int i = 2; i < argc; i++) {
            all |= strcmp(argv[i], "--all") == 0;
            json |= strcmp(argv[i], "--json") == 0;
        }
        store_review_correction_list list;
        if (review_corrections(c, ins.id, all, &list, &err) < 0) {
            fprintf(stderr, "minca correction: %s\n", err.msg);
            status = 1;
        } else if (json) {
            json_t *js = store_review_correction_list_json(&list);
            char *s = json_dumps(js, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            puts(s);
            free(s);
            json_decref(js);
        } else if (list.n == 0) {
            printf("no corrections%s\n", all ? "" : " in force");
        } else {
            for (size_t i = 0; i < list.n; i++) {
                const store_review_correction *it = &list.items[i];
                printf("%5lld  %-8s %4d  %s  by %s %s%s%s\n", it->id, it->cvegs ? it->cvegs : "NO MATCH", it->year,
                       cli_fit(it->norm_key, 60), it->created_by, it->created_at, it->revoked_at ? "  REVOKED " : "",
                       it->revoked_at ? it->revoked_at : "");
            }
        }
        store_review_correction_list_clear(&list);
    } else if (strcmp(argv[1], "revoke") == 0 && argc >= 3) {
        if (review_revoke_correction(c, ins.id, atoll(argv[2]), config_get()->user, &err) < 0) {
            fprintf(stderr, "minca correction: %s\n", err.msg);
            status = 1;
        } else {
            printf("correction %s revoked\n", argv[2]);
        }
    } else {
        status = cli_usage_error(&correction_command, "unknown action '%s'", argv[1]);
    }
    PQfinish(c);
    return status;
}
