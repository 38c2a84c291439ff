/* store_catalog: per-insurer catalog versions and their entries (catalog_versions,
 * catalog_entries), the bulk load of a new version, and what the matcher reads with the
 * catalog (decision thresholds, reviewer corrections). Same conventions as store.h:
 * parameterised queries, 0 / -1 with err, JSON results owned by the caller. */
#ifndef MINCA_STORE_CATALOG_H
#define MINCA_STORE_CATALOG_H

#include "minca/store.h"
#include "minca/store_rows.h"

/* ---- versions ---- */
/* Inside the caller's transaction: locks the insurer's row (two imports for one insurer take
 * turns) and creates a new, inactive version labelled with the current time. */
int store_catalog_version_create(PGconn *c, long long insurer_id, const char *source_name, const char *sha256,
                                 const char *imported_by, long long *version_id, minca_err *err);
/* Inside the caller's transaction: makes version_id (holding rows entries) the insurer's only
 * active version, and wakes the jobs waiting for the insurer's catalog (store_jobs_wake). */
int store_catalog_version_activate(PGconn *c, long long insurer_id, long long version_id, long rows,
                                   minca_err *err);
/* A catalog version: imported_at "YYYY-MM-DD HH24:MI"; label, source_name and imported_by NULL
 * when not known. */
#define STORE_CATALOG_VERSION_COLUMNS(X)                                                          \
    X(id, LL) X(label, OPT_TEXT) X(source_name, OPT_TEXT) X(row_count, LL) X(active, BOOL)          \
    X(imported_by, OPT_TEXT) X(imported_at, TEXT)
STORE_ROW_TYPES(store_catalog_version_row, STORE_CATALOG_VERSION_COLUMNS)
/* Versions of an insurer, newest first, into *out (zeroed first; the caller clears it with
 * store_catalog_version_row_list_clear, also on error). */
int store_catalog_version_list(PGconn *c, long long insurer_id, store_catalog_version_row_list *out, minca_err *err);

/* ---- the bulk load of a version's entries (COPY) ---- */
/* One CATVER row. Text fields are borrowed for the call; NULL or "" stores SQL NULL. */
typedef struct store_catalog_row {
    long line_no;
    const char *marca, *submarca, *numver, *ramo, *cvemarc, *cvesubm, *martip, *cvesegm;
    int modelo;
    const char *cvegs, *descveh, *idperiod, *sumabas, *tipveh, *transmision;
} store_catalog_row;
typedef struct store_catalog_load store_catalog_load;
/* Inside the caller's transaction: starts loading entries of version_id. Returns the load
 * (finished and freed by store_catalog_load_end) or NULL with err. */
store_catalog_load *store_catalog_load_begin(PGconn *c, long long version_id, long long insurer_id, minca_err *err);
/* Queues one row (sent in large chunks). -1 with err when sending failed; then end the load
 * with ok = false. */
int store_catalog_load_row(store_catalog_load *ld, const store_catalog_row *row, minca_err *err);
/* ok: sends the rest and stores every row in catalog_entries; !ok: aborts the load (nothing
 * is stored; err keeps the caller's reason unless the abort itself fails). Frees ld. Returns
 * 0, or -1 with err (always -1 when !ok). */
int store_catalog_load_end(store_catalog_load *ld, bool ok, minca_err *err);

/* ---- the active catalog, for the codifier's index ---- */
/* *version receives the id of the insurer's active catalog version (the codifier's index
 * cache key). 1 when there is one, 0 when the insurer has none, -1 on error. */
int store_catalog_active_version(PGconn *c, long long insurer_id, long long *version, minca_err *err);

typedef struct store_catalog_entry {
    const char *marca, *submarca, *cvegs;
    int modelo;
    const char *descveh;
    const char *tipveh, *transmision;   /* NULL when not given */
} store_catalog_entry;
typedef struct store_catalog_entries {
    size_t n;
    store_catalog_entry *items;         /* in file order; strings live until ..._clear */
    long long version_id;               /* the active version (0 when n == 0) */
    void *priv;
} store_catalog_entries;
/* Every entry of the insurer's active version (n == 0 when there is none). Clear with
 * store_catalog_entries_clear even on error. */
int store_catalog_active_entries(PGconn *c, long long insurer_id, store_catalog_entries *out, minca_err *err);
void store_catalog_entries_clear(store_catalog_entries *e);

/* ---- what the matcher reads besides the catalog ---- */
/* The insurer's settings auto_accept / no_match when set to a plain non-negative number;
 * *has_* false otherwise (a malformed setting is ignored rather than failing the caller's
 * transaction). */
int store_catalog_thresholds(PGconn *c, long long insurer_id, bool *has_auto_accept, double *auto_accept,
                             bool *has_no_match, double *no_match, minca_err *err);
/* Called for each reviewer correction in force, oldest first. broker_id is NULL for a
 * correction that holds for every broker; cvegs is "" and year 0 when not given. Strings are
 * borrowed for the call. */
typedef void (*store_correction_fn)(const char *norm_key, const char *broker_id, const char *cvegs, int year,
                                    void *user);
int store_catalog_corrections_each(PGconn *c, long long insurer_id, store_correction_fn fn, void *user,
                                   minca_err *err);

#endif
