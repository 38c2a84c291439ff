/* store_tariff: per-insurer tariffs (tariff_repo.c, table tariffs): the file the insurer edits,
 * stored whole with a version; the newest import is the active one. Same conventions as
 * store.h: parameterised queries, 0 / -1 with the reason in err.
 *
 * Ownership: strings filled into a store_tariff_row are g_malloc'd and belong to it
 * (store_tariff_row_clear frees them); arguments are borrowed for the call. */
#ifndef MINCA_STORE_TARIFF_H
#define MINCA_STORE_TARIFF_H

#include "minca/store.h"

typedef struct store_tariff_row {
    int version;
    char *name, *source_name, *sha256, *body, *imported_by, *imported_at;
} store_tariff_row;
void store_tariff_row_clear(store_tariff_row *t);

/* Stores body as the insurer's next version and makes it the active one, inside one
 * transaction of its own (the insurer row locked so versions never collide); the audit entry
 * goes in the same transaction. *version receives the new version. */
int store_tariff_import(PGconn *c, long long insurer_id, const char *name, const char *source_name, const char *body,
                        const char *sha256, const char *actor, int *version, minca_err *err);
/* The insurer's active tariff: 1 found (out filled), 0 none, -1 error. */
int store_tariff_active(PGconn *c, long long insurer_id, store_tariff_row *out, minca_err *err);

#endif
