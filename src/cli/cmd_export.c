/* minca export COT */
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/export.h"
#include "minca/desk_export_case.h"

#include <stdio.h>
#include <string.h>

static int export_run(int argc, char **argv);

CLI_COMMAND(export_command, {
    .name = "export",
    .summary = "write a case's quote: the Gcotiza workbook and the PDF summary",
    .usage = "usage: minca export COT [--insurer SLUG] [--format xlsx|pdf|both] [--template NAME]\n"
             "                        [--out FILE] [--force]\n"
             "       minca export import-rated COT FILE [--insurer SLUG]\n\n"
             "Writes the case's quote workbook (sheets COTIZACION, Cliente, Resumen, Incidencias)\n"
             "and/or the PDF quote summary for the broker (--format, default xlsx; both writes\n"
             "FILE.xlsx and FILE.pdf) to FILE (default: <export_dir>/COT_vN.xlsx / .pdf), stores\n"
             "each with its SHA-256 under one version and marks the case exported. Exporting again\n"
             "makes a new version. A case exports only when every vehicle is decided (a key\n"
             "accepted or confirmed, or \"no match\" decided by a person) and the request states\n"
             "coverage, vigencia and payment terms; --force exports anyway and flags what is\n"
             "missing, but a case in error or without vehicles keeps its status.\n\n"
             "import-rated reads the case's workbook as the insurer's rating system returned it, its\n"
             "PRIMA column filled: the COT and version on its Cliente sheet must be an export of\n"
             "the case and of its current vehicle list; each row is matched by INCISO and checked\n"
             "(the unit's key and serie unchanged, the premium a number >= 0, every unit present).\n"
             "One wrong row refuses the file and nothing is imported. The premiums are stored as\n"
             "the case's next import version (audited) and replace the tariff's prima neta in the\n"
             "next export, which says where they came from; derecho, recargo and IVA follow the\n"
             "insurer's tariff.\n",
    .run = export_run,
})

static int import_rated(int argc, char **argv)
{
    const char *insurer = config_get()->insurer, *cot = NULL, *file = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            insurer = argv[++i];
        else if (argv[i][0] == '-')
            return cli_usage_error(&export_command, "unknown option '%s'", argv[i]);
        else if (!cot)
            cot = argv[i];
        else if (!file)
            file = argv[i];
        else
            return cli_usage_error(&export_command, "unexpected argument '%s'", argv[i]);
    }
    if (!cot || !file)
        return cli_usage_error(&export_command, "import-rated takes COT FILE");
    minca_err err = {0};
    PGconn *c = store_open(&err);
    store_insurer ins;
    int found = c ? store_insurer_find(c, insurer, &ins, &err) : -1;
    export_rated_outcome out;
    int status = 1;
    if (found <= 0)
        fprintf(stderr, "minca export: %s\n", found == 0 ? "no such insurer" : err.msg);
    else if (export_rated_import(c, ins.id, cot, file, &out, &err) < 0)
        fprintf(stderr, "minca export: %s\n", err.msg);
    else {
        char neta[48];
        export_money_cents(out.neta_cents, neta, sizeof neta);
        printf("%s: premiums of %d unit(s) imported as version %d (from export version %d, list revision %d), "
               "prima neta %s; the next export shows them\n",
               cot, out.n_units, out.version, out.export_version, out.revision, neta);
        status = 0;
    }
    PQfinish(c);
    return status;
}

static int export_run(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "import-rated") == 0)
        return import_rated(argc, argv);
    const char *insurer = config_get()->insurer, *cot = NULL, *tpl = NULL, *out_path = NULL;
    bool force = false;
    int formats = EXPORT_FORMAT_XLSX;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            insurer = argv[++i];
        else if (strcmp(argv[i], "--template") == 0 && i + 1 < argc)
            tpl = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if ((formats = export_format_parse(argv[++i])) < 0)
                return cli_usage_error(&export_command, "--format takes xlsx, pdf or both, not '%s'", argv[i]);
        } else if (strcmp(argv[i], "--force") == 0)
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
        fprintf(stderr, "minca export: %s\n", found == 0 ? cli_unknown_insurer(c, insurer) : err.msg);
        PQfinish(c);
        return 1;
    }
    export_case_outcome out;
    int status = 0;
    if (export_case_run(c, ins.id, cot, NULL, out_path, tpl, formats, force, &out, &err) < 0) {
        fprintf(stderr, "minca export: %s\n", err.msg);
        status = 1;
    } else {
        printf("%s: version %d written to %s%s%s (%d vehicle(s)%s%s, %s %s, %.0f ms)\n", cot, out.version,
               out.path[0] ? out.path : out.pdf_path, out.path[0] && out.pdf_path[0] ? " and " : "",
               out.path[0] ? out.pdf_path : "", out.n_rows,
               out.n_undecided ? ", undecided rows highlighted" : "",
               out.n_missing ? ", missing requirements flagged" : "", out.template_name, out.template_version,
               out.seconds * 1000);
        printf("%s: %s\n", cot, out.price[0] ? out.price : "unpriced (no tariff): COTIZACIÓN PRELIMINAR");
        if (out.warnings[0])
            printf("%s: warning: %s\n", cot, out.warnings);
        if (out.status_kept)
            printf("%s: forced export stored; the case keeps its status (in error or without vehicles)\n", cot);
    }
    PQfinish(c);
    return status;
}
