/* store_probe: questions about the connection and the schema that any command may ask before
 * it does its work. Same conventions as store.h. */
#ifndef MINCA_STORE_PROBE_H
#define MINCA_STORE_PROBE_H

#include "minca/store.h"

/* Whether the server answers a statement on c now (a broken connection may only show on
 * the next statement after a server restart). */
bool store_ping(PGconn *c);
/* 1 when the table (an unqualified name, looked up on the search path) exists, 0 when not
 * (e.g. a schema not migrated yet), -1 on error. */
int store_table_exists(PGconn *c, const char *table, minca_err *err);

#endif
