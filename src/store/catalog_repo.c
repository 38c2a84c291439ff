/* Catalog versions as the pipeline reads them. */
#include "minca/store_catalog.h"

#include <stdlib.h>

int store_catalog_active_version(PGconn *c, long long insurer_id, long long *version, minca_err *err)
{
    *version = 0;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err, "SELECT id FROM catalog_versions WHERE insurer_id = $1::bigint AND active", &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        *version = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return found;
}
