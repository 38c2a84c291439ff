/* store_savepoint: savepoints inside the caller's transaction (savepoint.c), so that one
 * part of a job's work can be undone without the rest. Same conventions as store.h.
 * name is a constant SQL identifier of the caller's ([a-z_]+; anything else is refused). */
#ifndef MINCA_STORE_SAVEPOINT_H
#define MINCA_STORE_SAVEPOINT_H

#include "minca/store.h"

int store_savepoint(PGconn *c, const char *name, minca_err *err);
/* Keeps what was done since the savepoint. */
int store_savepoint_release(PGconn *c, const char *name, minca_err *err);
/* Undoes what was done since the savepoint; the transaction goes on. */
int store_savepoint_rollback(PGconn *c, const char *name, minca_err *err);

#endif
