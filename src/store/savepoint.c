/* Savepoints. PostgreSQL takes no parameter for an identifier, so the statement is composed
 * from the caller's constant name, checked to be a plain identifier first. */
#include "minca/store_savepoint.h"

#include <stdio.h>

static int savepoint_stmt(PGconn *c, const char *verb, const char *name, minca_err *err)
{
    if (!name || !*name)
        return minca_err_set(err, "savepoint without a name");
    for (const char *s = name; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
            return minca_err_set(err, "savepoint name '%s' is not a plain identifier", name);
    char sql[128];
    if (snprintf(sql, sizeof sql, "%s%s", verb, name) >= (int)sizeof sql)
        return minca_err_set(err, "savepoint name '%s' is too long", name);
    return store_exec(c, err, sql, 0, NULL);
}

int store_savepoint(PGconn *c, const char *name, minca_err *err)
{
    return savepoint_stmt(c, "SAVEPOINT ", name, err);
}

int store_savepoint_release(PGconn *c, const char *name, minca_err *err)
{
    return savepoint_stmt(c, "RELEASE SAVEPOINT ", name, err);
}

int store_savepoint_rollback(PGconn *c, const char *name, minca_err *err)
{
    return savepoint_stmt(c, "ROLLBACK TO SAVEPOINT ", name, err);
}
