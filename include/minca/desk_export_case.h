/* export_case (module desk, src/desk/export_case.c): export a stored case's quote workbook
 * (load from PostgreSQL, write with the export library, store the bytes as a blob with an
 * `exports` row, mark the case exported). A desk service: the TUI and the CLI call it; it is
 * not a pipeline step.
 *
 * Ownership: nothing returned here is allocated for the caller. export_case_run() fills the
 * caller's export_case_outcome (fixed-size arrays, nothing to free) and borrows every string
 * argument for the duration of the call; the connection stays the caller's. */
#ifndef MINCA_DESK_EXPORT_CASE_H
#define MINCA_DESK_EXPORT_CASE_H

#include "minca/core.h"
#include "minca/store.h"

struct export_case;   /* minca/export.h */

#include <stdbool.h>

enum {
    EXPORT_FORMAT_XLSX = 1,   /* the Gcotiza workbook */
    EXPORT_FORMAT_PDF = 2,    /* the PDF quote summary for the broker */
    EXPORT_FORMAT_BOTH = 3,
};

/* "xlsx", "pdf" or "both" -> EXPORT_FORMAT_*; -1 otherwise. */
int export_format_parse(const char *text);

typedef struct export_case_outcome {
    char path[1024];          /* workbook written ("" when not asked for) */
    char sha256[65];
    char pdf_path[1024];      /* PDF written ("" when not asked for) */
    char pdf_sha256[65];
    int version;              /* 1 for the first export of the case, then 2, 3...; the workbook
                               * and the PDF of one run share it */
    int n_rows, n_undecided, n_missing;
    bool forced;              /* --force overrode a rule (undecided rows, missing requirements,
                               * no vehicles, case in error) */
    bool status_kept;         /* the case stayed as it was (in error, or no vehicles) */
    bool refused;             /* the export rules refused the case (undecided rows, missing
                               * requirements, no vehicles); err says why */
    char price[96];           /* "prima total $1,234.56, 2 referidas", "" when unpriced */
    char warnings[512];       /* what the quote warns about, "; "-separated ("" when nothing):
                               * a vigencia that began before the issue date, incisos renumbered */
    double seconds;
    char template_name[64], template_version[32];
} export_case_outcome;

/* Exports case COT of the insurer in `formats` (EXPORT_FORMAT_*; 0 = xlsx). out_path: the
 * file to write (with both formats, its stem names the pair FILE.xlsx and FILE.pdf; NULL:
 * dir/COT_vN.xlsx and .pdf, with dir NULL = the configured export directory). template:
 * NULL = gcotiza_v1. Without force, a case in error, without vehicles, with undecided rows or
 * missing requirements (client name, RFC, coverage, vigencia, payment terms) is refused and err says why. With
 * force it is written and recorded as forced, but a case in error or without vehicles keeps
 * its status. Each file is stored as a blob with an exports row, and audited. */
int export_case_run(PGconn *c, long long insurer_id, const char *cot, const char *dir, const char *out_path,
                    const char *template_name, int formats, bool force, export_case_outcome *out,
                    minca_err *err);

/* Loads case cot of the insurer into ec (header and rows, as an export reads them; the
 * caller's export_case_init'd ec owns what is filled, export_case_clear frees it). */
int export_case_load(PGconn *c, long long insurer_id, const char *cot, struct export_case *ec, long long *case_id,
                     minca_err *err);

/* ---- premiums from the insurer's rating system (rated_import.c) -------------------------- */

typedef struct export_rated_outcome {
    int version;              /* the case's import version (1, 2, ...) */
    int export_version;       /* the export the workbook was written by */
    int revision;             /* of the vehicle list it prices */
    int n_units;
    long long neta_cents;     /* sum of the imported prima neta */
} export_rated_outcome;

/* Imports the workbook at path (the case's Gcotiza workbook returned by the insurer's rating
 * system with its PRIMA column filled) into case cot: the Cliente sheet's COT and version must
 * be an export of this case and its revision the case's; every unit row is matched by inciso
 * (the template's columns for row.inciso, row.premium, match.cvegs and row.vin) and checked:
 * an unknown or repeated inciso, another unit (key or serie changed), a missing, negative or
 * non-numeric premium, a unit without a row each refuse the whole file, err naming the rows.
 * The insurer needs a tariff (derecho, recargo, IVA and receipts follow it). Stored as the
 * case's next import version, audited (export.import_rated). */
int export_rated_import(PGconn *c, long long insurer_id, const char *cot, const char *path,
                        export_rated_outcome *out, minca_err *err);

/* Puts the case's active imported premiums on ec's rows (rated_cents, matched by the quote's
 * inciso and key) and sets ec->rated_source. 1 applied, 0 none (or, with warning set, an
 * import for an older revision of the list, left out), -1 error. */
int export_rated_apply(PGconn *c, long long case_id, struct export_case *ec, char *warning, size_t warning_len,
                       minca_err *err);

#endif
