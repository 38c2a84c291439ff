/* catalog: AMIS CATVER files (CSV or XLSX) into versioned per-insurer catalogs in PostgreSQL.
 * An import creates a new version and makes it the active one atomically; earlier versions
 * are kept. */
#ifndef MINCA_CATALOG_H
#define MINCA_CATALOG_H

#include "minca/codify.h"
#include "minca/core.h"
#include "minca/store.h"
#include "minca/store_catalog.h"

#define CATALOG_MAX_BAD_ROWS_REPORTED 20

typedef struct catalog_bad_row {
    long line;             /* 1-based line (CSV) or sheet row (XLSX) */
    char reason[200];
} catalog_bad_row;

typedef struct catalog_import_result {
    long long version_id;
    long rows;             /* rows stored */
    long bad_rows;         /* rows refused (not stored) */
    catalog_bad_row bad[CATALOG_MAX_BAD_ROWS_REPORTED];   /* the first ones */
    char sha256[65];
    double seconds;
} catalog_import_result;

/* Called every few thousand rows (may be NULL). */
typedef void (*catalog_progress_fn)(long rows, void *user);

/* Reads the CATVER file at path (format sniffed from the bytes) and stores it as the active
 * catalog of the insurer. Fails without changing anything when the file cannot be read, a
 * required column (MARCA, SUBMARCA, MODELO, CVEGS, DESCVEH) is missing, or no row is valid.
 * Individual bad rows are skipped and reported in res. */
int catalog_import(PGconn *c, const store_insurer *ins, const char *path, const char *user,
                   catalog_progress_fn progress, void *progress_user, catalog_import_result *res,
                   minca_err *err);

/* Versions of an insurer's catalog, newest first, into *out (store_catalog.h's rows; the
 * caller clears it with store_catalog_version_row_list_clear, also on error). */
int catalog_versions(PGconn *c, long long insurer_id, store_catalog_version_row_list *out, minca_err *err);

/* ---- the codifier's index from the active catalog (index.c) ---- */

/* Builds the codifier index of the insurer's active catalog (aliases from the data
 * directory). *version_id (may be NULL) receives the catalog version used. Fails with a clear
 * message when the insurer has no catalog yet. Caller frees with codify_index_free. */
int catalog_build_index(PGconn *c, long long insurer_id, codify_index **out, long long *version_id,
                        minca_err *err);
/* Decision thresholds of the insurer (settings auto_accept / no_match), defaults otherwise. */
void catalog_thresholds(PGconn *c, long long insurer_id, codify_thresholds *out);
/* The insurer's reviewer corrections in force, for the matcher. Caller frees. */
codify_corrections *catalog_corrections(PGconn *c, long long insurer_id, minca_err *err);
/* For commands: opens the store and builds the insurer's index, thresholds and (when
 * corrections is non-NULL) corrections. */
int catalog_open_insurer_index(const char *slug, codify_index **idx, codify_thresholds *thresholds,
                               codify_corrections **corrections, minca_err *err);

#endif
