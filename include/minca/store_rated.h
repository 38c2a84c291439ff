/* store_rated: premiums imported from the insurer's rating system (rated_repo.c, tables
 * rated_imports and rated_premiums, migration 085): the Gcotiza workbook returned with its
 * PRIMA column filled, stored per case with a version; the newest import is the active one.
 * Same conventions as store.h: parameterised queries, 0 / -1 with the reason in err.
 *
 * Ownership: arguments are borrowed for the call. A store_rated_row's strings and premium
 * array are g_malloc'd and belong to it (store_rated_row_clear frees them). */
#ifndef MINCA_STORE_RATED_H
#define MINCA_STORE_RATED_H

#include "minca/store.h"

typedef struct store_rated_premium {
    int inciso;                /* the unit's number in the quote */
    const char *cvegs, *vin;   /* the unit as it was priced (may be NULL) */
    long long cents;           /* prima neta, >= 0 */
} store_rated_premium;

typedef struct store_rated_import {
    long long insurer_id, case_id;
    int export_version;        /* the export the returned workbook was written by */
    int revision;              /* the case's vehicle list it prices */
    const char *source_name, *sha256, *actor;
    const store_rated_premium *premiums;
    int n_premiums;
} store_rated_import;

/* 1 when the case has an export of that version, 0 when not, -1 error. */
int store_rated_export_exists(PGconn *c, long long case_id, int export_version, minca_err *err);

/* Stores the premiums as the case's next import version and makes it the active one, audited
 * (export.import_rated) in the same transaction of its own, the case row locked.
 * *version receives the new version. */
int store_rated_save(PGconn *c, const store_rated_import *imp, int *version, minca_err *err);

typedef struct store_rated_row {
    int version, export_version, revision;
    char *source_name, *imported_by, *imported_at;   /* imported_at "YYYY-MM-DD HH:MM" */
    int n;
    int *inciso;
    long long *cents;
    char **cvegs;                                    /* NULL entries when absent */
} store_rated_row;
void store_rated_row_clear(store_rated_row *r);

/* The case's active import: 1 found (out filled), 0 none, -1 error. */
int store_rated_active(PGconn *c, long long case_id, store_rated_row *out, minca_err *err);

#endif
