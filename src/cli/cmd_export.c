/* minca export COT */
#include "minca/cli.h"
#include "minca/config.h"
#include "minca/export_case.h"

#include <stdio.h>
#include <string.h>

static int export_run(int argc, char **argv);

CLI_COMMAND(export_command, {
    .name = "export",
    .summary = "write a case's quote workbook (Gcotiza format)",
    .usage = "usage: minca export COT [--insurer SLUG] [--template NAME] [--out FILE] [--force]\n\n"
             "Writes the case's quote workbook (sheets COTIZACION, Resumen, Incidencias) to FILE\n"
             "(default: <export_dir>/COT-vN.xlsx), stores it with its SHA-256 and marks the case\n"
             "exported. Exporting again makes a new version. By default a case exports only when\n"
             "every vehicle has a decided catalog key; --force exports anyway and highlights the\n"
             "undecided rows.\n",
    .run = export_run,
})

static int export_run(int argc, char **argv)
{
    const char *insurer = config_get()->insurer, *cot = NULL, *tpl = NULL, *out_path = NULL;
    bool force = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            insurer = argv[++i];
        else if (strcmp(argv[i], "--template") == 0 && i + 1 < argc)
            tpl = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (strcmp(argv[i], "--force") == 0)
            force = true;
        else if (argv[i][0] == '-')
            return cli_usage_error(&export_command, "unknown option '%s'", argv[i]);
        else if (!cot)
            cot = argv[i];
        else
            return cli_usage_error(&export_command, "unexpected argument '%s'", argv[i]);
    }
    if (!cot)
        return cli_usage_error(&export_command, "missing COT");
    minca_err err = {0};
    PGconn *c = store_open(&err);
    store_insurer ins;
    int found = c ? store_insurer_find(c, insurer, &ins, &err) : -1;
    if (found <= 0) {
        fprintf(stderr, "minca export: %s\n", found == 0 ? "no such insurer" : err.msg);
        PQfinish(c);
        return 1;
    }
    export_case_outcome out;
    int status = 0;
    if (export_case_run(c, ins.id, cot, NULL, out_path, tpl, force, &out, &err) < 0) {
        fprintf(stderr, "minca export: %s\n", err.msg);
        status = 1;
    } else {
        printf("%s: version %d written to %s (%d vehicle(s)%s, %s %s, %.0f ms)\n", cot, out.version, out.path,
               out.n_rows, out.n_undecided ? ", undecided rows highlighted" : "", out.template_name,
               out.template_version, out.seconds * 1000);
    }
    PQfinish(c);
    return status;
}
