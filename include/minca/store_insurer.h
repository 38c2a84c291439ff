/* store_insurer: insurer look-ups beside those in store.h (insurer_repo.c). Same conventions
 * as store.h: 0 / -1 with err. */
#ifndef MINCA_STORE_INSURER_H
#define MINCA_STORE_INSURER_H

#include "minca/store.h"

/* The slug of insurer_id into out. Returns 1 found, 0 no such insurer (out untouched), -1 on
 * error. */
int store_insurer_slug(PGconn *c, long long insurer_id, char *out, size_t outlen, minca_err *err);

#endif
