/* minca tariff import | show: the insurer's tariff, kept as data with a version. */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/export.h"
#include "minca/store_tariff.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tariff_run(int argc, char **argv);

CLI_COMMAND(tariff_command, {
    .name = "tariff",
    .summary = "import an insurer's tariff (base rates, factors, derechos, recargos, IVA); show it",
    .usage = "usage: minca tariff import [--insurer SLUG] FILE\n"
             "       minca tariff show [--insurer SLUG] [--body]\n\n"
             "import  checks a tariff file (YAML; samples/tariff/demo.yaml documents every field)\n"
             "        and stores it as the insurer's next version, the active one: exports price\n"
             "        their cases with it. Needs the role that imports catalogs; audited.\n"
             "show    the active version, its name and where it came from; --body prints the file.\n",
    .run = tariff_run,
})

static int do_import(PGconn *c, const char *slug, const char *path)
{
    minca_err err = {0};
    store_insurer ins;
    char *body = NULL;
    size_t len = 0;
    export_tariff *t = NULL;
    int status = 1;
    if (access_require_slug(c, slug, ACCESS_IMPORT_CATALOG, &err) < 0 || store_insurer_ensure(c, slug, &ins, &err) < 0 ||
        core_read_file(path, (size_t)4 << 20, &body, &len, &err) < 0 ||
        export_tariff_parse(body, len, path, &t, &err) < 0)
        goto done;
    char sha[65];
    core_sha256_hex(body, len, sha);
    char *base = g_path_get_basename(path);
    int version = 0;
    int rc = store_tariff_import(c, ins.id, export_tariff_name(t), base, body, sha, config_get()->user, &version, &err);
    g_free(base);
    if (rc < 0)
        goto done;
    printf("tariff version %d of %s: %s, now active\n", version, ins.slug, export_tariff_name(t));
    status = 0;
done:
    if (status)
        fprintf(stderr, "minca tariff: %s\n", err.msg);
    export_tariff_free(t);
    g_free(body);
    return status;
}

static int do_show(PGconn *c, const char *slug, bool body)
{
    minca_err err = {0};
    store_insurer ins;
    int found = store_insurer_find(c, slug, &ins, &err);
    if (found <= 0 || access_require(c, ins.id, ACCESS_READ, &err) < 0) {
        fprintf(stderr, "minca tariff: %s\n", found == 0 ? cli_unknown_insurer(c, slug) : err.msg);
        return 1;
    }
    store_tariff_row t;
    found = store_tariff_active(c, ins.id, &t, &err);
    if (found < 0) {
        fprintf(stderr, "minca tariff: %s\n", err.msg);
        return 1;
    }
    if (!found) {
        printf("%s has no tariff: its quotes are exported unpriced (COTIZACIÓN PRELIMINAR)\n", ins.slug);
        return 0;
    }
    if (body)
        fputs(t.body, stdout);
    else
        printf("%s: tariff version %d, %s (from %s, sha256 %.12s, imported by %s on %s)\n", ins.slug, t.version,
               t.name, t.source_name ? t.source_name : "?", t.sha256, t.imported_by ? t.imported_by : "?",
               t.imported_at);
    store_tariff_row_clear(&t);
    return 0;
}

static int tariff_run(int argc, char **argv)
{
    const char *insurer = config_get()->insurer, *sub = NULL, *file = NULL;
    bool body = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            insurer = argv[++i];
        else if (strcmp(argv[i], "--body") == 0)
            body = true;
        else if (argv[i][0] == '-')
            return cli_usage_error(&tariff_command, "unknown option '%s'", argv[i]);
        else if (!sub)
            sub = argv[i];
        else if (!file)
            file = argv[i];
        else
            return cli_usage_error(&tariff_command, "unexpected argument '%s'", argv[i]);
    }
    if (!sub || (strcmp(sub, "import") && strcmp(sub, "show")))
        return cli_usage_error(&tariff_command, "import or show?");
    if (!strcmp(sub, "import") && !file)
        return cli_usage_error(&tariff_command, "import needs a FILE");
    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c) {
        fprintf(stderr, "minca tariff: %s\n", err.msg);
        return 1;
    }
    int rc = !strcmp(sub, "import") ? do_import(c, insurer, file) : do_show(c, insurer, body);
    PQfinish(c);
    return rc;
}
