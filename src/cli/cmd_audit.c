/* minca audit list|verify: the audit trail and the check of its SHA-256 chains. */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/desk_review.h"
#include "minca/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int audit_run(int argc, char **argv);

CLI_COMMAND(audit_command, {
    .name = "audit",
    .summary = "the audit trail: list entries, verify that none was changed or deleted",
    .usage = "usage: minca audit list [--case COT] [--user LOGIN] [--since DATE] [--insurer SLUG] [--limit N] [--json]\n"
             "       minca audit verify [--json] [--heads FILE]\n\n"
             "Every change is written to an append-only audit log: review decisions and notes, exports,\n"
             "re-runs, profile saves, catalog imports, insurer settings, users and roles, logins to the\n"
             "desk. Each entry is chained to the previous one of its insurer by a SHA-256 over its\n"
             "content; verify recomputes every chain the user may read and reports each entry that was\n"
             "changed, deleted or taken out of order (exit status 1 when one is found). --json also prints\n"
             "each chain's head (last sequence number and hash): kept elsewhere and given back with\n"
             "--heads FILE, it shows a chain rewritten as a whole since then. list needs the reviewer\n"
             "role for the insurer, verify the admin role.\n",
    .run = audit_run,
})

static void print_entry(json_t *e)
{
    const char *os = json_string_value(json_object_get(e, "os_login"));
    const char *actor = json_string_value(json_object_get(e, "actor"));
    char *details = json_dumps(json_object_get(e, "details"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    printf("%6lld %s %-10s %-12s%s%s%s %-18s %s:%s %s\n", (long long)json_integer_value(json_object_get(e, "id")),
           json_string_value(json_object_get(e, "at")), json_string_value(json_object_get(e, "insurer")), actor,
           os && strcmp(os, actor) != 0 ? " (account " : "", os && strcmp(os, actor) != 0 ? os : "",
           os && strcmp(os, actor) != 0 ? ")" : "", json_string_value(json_object_get(e, "action")),
           json_string_value(json_object_get(e, "entity")),
           json_string_value(json_object_get(e, "entity_id")) ? json_string_value(json_object_get(e, "entity_id")) : "",
           details && strcmp(details, "{}") != 0 ? details : "");
    free(details);
}

static int audit_list(PGconn *c, int argc, char **argv, minca_err *err)
{
    const char *slug = NULL, *cot = NULL;
    store_audit_filter f = {0};
    bool json = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--case") == 0 && i + 1 < argc)
            cot = argv[++i];
        else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
            f.user = argv[++i];
        else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
            f.since = argv[++i];
        else if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            slug = argv[++i];
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            f.limit = atoi(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return minca_err_set(err, "unknown option '%s'", argv[i]);
    }
    /* A case belongs to one insurer: the default one unless --insurer says otherwise. */
    if (cot && !slug)
        slug = config_get()->insurer;
    if (slug) {
        store_insurer ins;
        int found = store_insurer_find(c, slug, &ins, err);
        if (found <= 0)
            return found == 0 ? minca_err_set(err, "no insurer %s", slug) : -1;
        if (access_require(c, ins.id, ACCESS_READ_AUDIT, err) < 0)
            return -1;
        f.insurer_id = ins.id;
        if (cot) {
            f.case_id = review_case_id(c, ins.id, cot, err);
            if (f.case_id <= 0)
                return f.case_id == 0 ? minca_err_set(err, "no case %s", cot) : -1;
        }
    } else if (access_require_slug(c, config_get()->insurer, ACCESS_READ_AUDIT, err) < 0) {
        return -1;
    }
    json_t *list = store_audit_list(c, &f, err);
    if (!list)
        return -1;
    if (json) {
        char *s = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
    } else if (json_array_size(list) == 0) {
        printf("no audit entries\n");
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) print_entry(e);
    }
    json_decref(list);
    return 0;
}

/* Heads saved from an earlier `verify --json` must still be entries of their chains. */
static int check_saved_heads(PGconn *c, const char *file, json_t *problems, minca_err *err)
{
    json_error_t jerr;
    json_t *saved = json_load_file(file, 0, &jerr);
    if (!saved)
        return minca_err_set(err, "%s: %s (line %d)", file, jerr.text, jerr.line);
    json_t *heads = json_object_get(saved, "heads");
    size_t i;
    json_t *h;
    int rc = 0;
    json_array_foreach(heads, i, h) {
        long long chain = json_integer_value(json_object_get(h, "chain"));
        long long seq = json_integer_value(json_object_get(h, "last_seq"));
        const char *hash = json_string_value(json_object_get(h, "last_hash"));
        if (!hash)
            continue;
        int same = store_audit_check_head(c, chain, seq, hash, err);
        if (same < 0) {
            rc = -1;
            break;
        }
        if (same != 1)
            json_array_append_new(problems,
                                  json_pack("{s:I, s:I, s:n, s:s}", "chain", (json_int_t)chain, "seq", (json_int_t)seq,
                                            "id", "problem",
                                            same == 0 ? "the entry recorded as this chain's head is gone"
                                                      : "the chain was rewritten since its head was recorded"));
    }
    json_decref(saved);
    return rc;
}

static int audit_verify(PGconn *c, int argc, char **argv, minca_err *err)
{
    bool json = false;
    const char *heads_file = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--heads") == 0 && i + 1 < argc)
            heads_file = argv[++i];
        else
            return minca_err_set(err, "unknown option '%s'", argv[i]);
    }
    if (!access_has_all(ACCESS_ADMIN) && access_require_slug(c, config_get()->insurer, ACCESS_VERIFY_AUDIT, err) < 0)
        return -1;
    json_t *res = store_audit_verify(c, err);
    if (!res)
        return -1;
    json_t *problems = json_object_get(res, "problems");
    if (heads_file && check_saved_heads(c, heads_file, problems, err) < 0) {
        json_decref(res);
        return -1;
    }
    size_t n = json_array_size(problems);
    if (json) {
        char *s = json_dumps(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
    } else {
        printf("%lld audit entries in %lld chain(s): %s\n", (long long)json_integer_value(json_object_get(res, "entries")),
               (long long)json_integer_value(json_object_get(res, "chains")),
               n ? "TAMPERED" : "every entry intact and in order");
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p) {
            json_t *id = json_object_get(p, "id");
            char idtext[48] = "";
            if (json_is_integer(id))
                snprintf(idtext, sizeof idtext, " (id %lld)", (long long)json_integer_value(id));
            printf("  chain %lld, entry %lld%s: %s\n", (long long)json_integer_value(json_object_get(p, "chain")),
                   (long long)json_integer_value(json_object_get(p, "seq")), idtext,
                   json_string_value(json_object_get(p, "problem")));
        }
    }
    json_decref(res);
    return n ? 1 : 0;
}

static int audit_run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&audit_command, "missing action (list or verify)");
    minca_err err = {0};
    PGconn *c = store_open(&err);
    int rc = -1;
    if (c && strcmp(argv[1], "list") == 0)
        rc = audit_list(c, argc, argv, &err);
    else if (c && strcmp(argv[1], "verify") == 0)
        rc = audit_verify(c, argc, argv, &err);
    else if (c) {
        PQfinish(c);
        return cli_usage_error(&audit_command, "unknown action '%s'", argv[1]);
    }
    if (rc < 0)
        fprintf(stderr, "minca audit: %s\n", err.msg);
    PQfinish(c);
    return rc < 0 ? 1 : rc;
}
