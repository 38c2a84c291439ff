/* Reading result columns for the repository files (store_internal.h). */
#include <glib.h>
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

long long store_get_ll(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

int store_get_int(const PGresult *r, int row, int col) { return (int)store_get_ll(r, row, col); }

double store_get_double(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0.0 : strtod(PQgetvalue(r, row, col), NULL);
}

bool store_get_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

char *store_get_dup(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    char *s = g_strdup(PQgetvalue(r, row, col));
    return s;
}
