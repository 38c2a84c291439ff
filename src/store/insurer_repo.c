#include "minca/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fill(PGresult *r, store_insurer *out)
{
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    snprintf(out->slug, sizeof out->slug, "%s", PQgetvalue(r, 0, 1));
    snprintf(out->name, sizeof out->name, "%s", PQgetvalue(r, 0, 2));
    snprintf(out->cot_prefix, sizeof out->cot_prefix, "%s", PQgetvalue(r, 0, 3));
}

int store_insurer_find(PGconn *c, const char *slug, store_insurer *out, minca_err *err)
{
    const char *p[] = {slug};
    PGresult *r = store_query(c, err, "SELECT id, slug, name, cot_prefix FROM insurers WHERE slug = $1", 1, p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        fill(r, out);
    PQclear(r);
    return found;
}

int store_insurer_ensure(PGconn *c, const char *slug, store_insurer *out, minca_err *err)
{
    int found = store_insurer_find(c, slug, out, err);
    if (found != 0)
        return found < 0 ? -1 : 0;
    const char *p[] = {slug};
    PGresult *r = store_query(c, err,
                              "INSERT INTO insurers (slug, name) VALUES ($1, $1) "
                              "ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug "
                              "RETURNING id, slug, name, cot_prefix",
                              1, p);
    if (!r)
        return minca_err_prefix(err, "insurer '%s'", slug);
    fill(r, out);
    PQclear(r);
    log_info("created insurer %s", slug);
    return 0;
}
