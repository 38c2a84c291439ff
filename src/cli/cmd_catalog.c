/* minca catalog import | list */
#include "minca/access.h"
#include "minca/catalog.h"
#include "minca/cli.h"
#include "minca/core_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int catalog_run(int argc, char **argv);

CLI_COMMAND(catalog_command, {
    .name = "catalog",
    .summary = "import an insurer's AMIS CATVER catalog; list catalog versions",
    .usage = "usage: minca catalog import [--insurer SLUG] FILE\n"
             "       minca catalog list [--insurer SLUG] [--json]\n\n"
             "import  loads a CATVER file (CSV or XLSX; the 15 AMIS columns, header names in any\n"
             "        case and with or without accents) as a new catalog version of the insurer\n"
             "        (created if new) and makes it the active one in one transaction; earlier\n"
             "        versions are kept. Rows that cannot be used are skipped and reported with\n"
             "        their line numbers.\n"
             "list    shows the versions with their row counts; * marks the active one.\n",
    .run = catalog_run,
})

static void show_progress(long rows, void *user)
{
    (void)user;
    fprintf(stderr, "\r  %ld rows...", rows);
    fflush(stderr);
}

static int do_import(PGconn *c, const char *slug, const char *path)
{
    minca_err err = {0};
    store_insurer ins;
    if (access_require_slug(c, slug, ACCESS_IMPORT_CATALOG, &err) < 0 || store_insurer_ensure(c, slug, &ins, &err) < 0) {
        fprintf(stderr, "minca catalog: %s\n", err.msg);
        return 1;
    }
    catalog_import_result res;
    bool tty = isatty(STDERR_FILENO);
    if (catalog_import(c, &ins, path, config_get()->user, tty ? show_progress : NULL, NULL, &res, &err) < 0) {
        if (tty)
            fprintf(stderr, "\r");
        fprintf(stderr, "minca catalog: %s\n", err.msg);
        for (long i = 0; i < res.bad_rows && i < CATALOG_MAX_BAD_ROWS_REPORTED; i++)
            fprintf(stderr, "  line %ld: %s\n", res.bad[i].line, res.bad[i].reason);
        return 1;
    }
    if (tty)
        fprintf(stderr, "\r                         \r");
    printf("catalog version %lld of %s: %ld rows imported in %.2f s, now active\n", res.version_id, ins.slug,
           res.rows, res.seconds);
    if (res.bad_rows) {
        printf("%ld row(s) skipped:\n", res.bad_rows);
        for (long i = 0; i < res.bad_rows && i < CATALOG_MAX_BAD_ROWS_REPORTED; i++)
            printf("  line %ld: %s\n", res.bad[i].line, res.bad[i].reason);
        if (res.bad_rows > CATALOG_MAX_BAD_ROWS_REPORTED)
            printf("  ... and %ld more\n", res.bad_rows - CATALOG_MAX_BAD_ROWS_REPORTED);
    }
    return 0;
}

static int do_list(PGconn *c, const char *slug, bool json)
{
    minca_err err = {0};
    store_insurer ins;
    int found = store_insurer_find(c, slug, &ins, &err);
    if (found <= 0) {
        fprintf(stderr, "minca catalog: %s\n", found < 0 ? err.msg : cli_unknown_insurer(c, slug));
        return 1;
    }
    if (access_require(c, ins.id, ACCESS_READ, &err) < 0) {
        fprintf(stderr, "minca catalog: %s\n", err.msg);
        return 1;
    }
    store_catalog_version_row_list v;
    if (catalog_versions(c, ins.id, &v, &err) < 0) {
        fprintf(stderr, "minca catalog: %s\n", err.msg);
        store_catalog_version_row_list_clear(&v);
        return 1;
    }
    if (json) {
        json_t *js = store_catalog_version_row_list_json(&v);
        char *s = json_dumps(js, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(js);
    } else if (v.n == 0) {
        printf("%s has no catalog yet: minca catalog import --insurer %s FILE\n", ins.slug, ins.slug);
    } else {
        printf("  %-6s %-19s %8s  %-30s %s\n", "VER", "IMPORTED", "ROWS", "SOURCE", "BY");
        for (size_t i = 0; i < v.n; i++) {
            const store_catalog_version_row *row = &v.items[i];
            printf("%s %-6lld %-19s %8lld  %-30.30s %s\n", row->active ? "*" : " ", row->id, row->imported_at,
                   row->row_count, row->source_name ? row->source_name : "",
                   row->imported_by ? row->imported_by : "");
        }
    }
    store_catalog_version_row_list_clear(&v);
    return 0;
}

static int catalog_run(int argc, char **argv)
{
    const char *slug = config_get()->insurer, *action = NULL, *path = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            slug = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-')
            return cli_usage_error(&catalog_command, "unknown option '%s'", argv[i]);
        else if (!action)
            action = argv[i];
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error(&catalog_command, "unexpected argument '%s'", argv[i]);
    }
    if (!action)
        return cli_usage_error(&catalog_command, "missing action");
    bool import = strcmp(action, "import") == 0;
    if (!import && strcmp(action, "list") != 0)
        return cli_usage_error(&catalog_command, "unknown action '%s'", action);
    if (import && !path)
        return cli_usage_error(&catalog_command, "import needs a FILE");
    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c) {
        fprintf(stderr, "minca catalog: %s\n", err.msg);
        return 1;
    }
    int status = import ? do_import(c, slug, path) : do_list(c, slug, json);
    PQfinish(c);
    return status;
}
