/* store_catalog: which catalog version of an insurer is active (catalog_repo.c), for the
 * codifier's index cache. Same conventions as store.h. */
#ifndef MINCA_STORE_CATALOG_H
#define MINCA_STORE_CATALOG_H

#include "minca/store.h"

/* *version receives the id of the insurer's active catalog version. 1 when there is one,
 * 0 when the insurer has none, -1 on error. */
int store_catalog_active_version(PGconn *c, long long insurer_id, long long *version, minca_err *err);

#endif
