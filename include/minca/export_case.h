/* export_case: export a stored case's quote workbook (load from PostgreSQL, write with the
 * export library, store the bytes as a blob with an `exports` row, mark the case exported). */
#ifndef MINCA_EXPORT_CASE_H
#define MINCA_EXPORT_CASE_H

#include "minca/core.h"
#include "minca/store.h"

typedef struct export_case_outcome {
    char path[1024];          /* file written */
    char sha256[65];
    int version;              /* 1 for the first export of the case, then 2, 3... */
    int n_rows, n_undecided;
    double seconds;
    char template_name[64], template_version[32];
} export_case_outcome;

/* Exports case COT of the insurer. out_path: the file to write (NULL: dir/COT-vN.xlsx, with
 * dir NULL = the configured export directory). template: NULL = gcotiza_v1. Without force,
 * a case with undecided rows is refused (err says how many). */
int export_case_run(PGconn *c, long long insurer_id, const char *cot, const char *dir, const char *out_path,
                    const char *template_name, bool force, export_case_outcome *out, minca_err *err);

#endif
