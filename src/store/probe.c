/* Connection and schema probes. */
#include "minca/store_probe.h"

bool store_ping(PGconn *c)
{
    PGresult *r = store_query(c, NULL, "SELECT 1", 0, NULL);
    bool alive = r != NULL;
    PQclear(r);
    return alive;
}

int store_table_exists(PGconn *c, const char *table, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, table);
    PGresult *r = store_query_p(c, err, "SELECT to_regclass($1) IS NOT NULL", &p);
    if (!r)
        return -1;
    int exists = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return exists;
}
