/* The codifier's in-memory index built from the insurer's active catalog version. */
#include "minca/access.h"
#include "minca/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *nz(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int catalog_build_index(PGconn *c, long long insurer_id, codify_index **out, long long *version_id,
                        minca_err *err)
{
    *out = NULL;
    char id[32];
    snprintf(id, sizeof id, "%lld", insurer_id);
    const char *p[] = {id};
    PGresult *r = store_query(c, err,
                              "SELECT e.marca, e.submarca, e.cvegs, e.modelo, e.descveh, e.tipveh, e.transmision,"
                              "       v.id"
                              "  FROM catalog_versions v JOIN catalog_entries e ON e.catalog_version_id = v.id"
                              " WHERE v.insurer_id = $1::bigint AND v.active ORDER BY e.line_no",
                              1, p);
    if (!r)
        return minca_err_prefix(err, "cannot read the catalog");
    int n = PQntuples(r);
    if (n == 0) {
        PQclear(r);
        return minca_err_set(err, "the insurer has no active catalog; import one with "
                                  "'minca catalog import --insurer <slug> FILE'");
    }
    codify_entry *entries = calloc((size_t)n, sizeof *entries);
    for (int i = 0; i < n; i++) {
        entries[i].marca = PQgetvalue(r, i, 0);
        entries[i].submarca = PQgetvalue(r, i, 1);
        entries[i].cvegs = PQgetvalue(r, i, 2);
        entries[i].modelo = atoi(PQgetvalue(r, i, 3));
        entries[i].descveh = PQgetvalue(r, i, 4);
        entries[i].tipveh = nz(r, i, 5);
        entries[i].transmision = nz(r, i, 6);
    }
    if (version_id)
        *version_id = strtoll(PQgetvalue(r, 0, 7), NULL, 10);
    codify_aliases *aliases = NULL;
    int rc = -1;
    if (codify_aliases_load_default(&aliases, err) == 0) {
        *out = codify_index_build(entries, (size_t)n, aliases, err);
        rc = *out ? 0 : -1;
    }
    codify_aliases_free(aliases);
    free(entries);
    PQclear(r);
    return rc;
}

void catalog_thresholds(PGconn *c, long long insurer_id, codify_thresholds *t)
{
    *t = CODIFY_DEFAULT_THRESHOLDS;
    char id[32];
    snprintf(id, sizeof id, "%lld", insurer_id);
    const char *p[] = {id};
    PGresult *r = store_query(c, NULL,
                              /* a malformed setting is ignored (the default stays) rather than failing
                               * the caller's transaction */
                              "SELECT CASE WHEN settings->>'auto_accept' ~ '^[0-9]*\\.?[0-9]+$'"
                              "            THEN (settings->>'auto_accept')::float8 END,"
                              "       CASE WHEN settings->>'no_match' ~ '^[0-9]*\\.?[0-9]+$'"
                              "            THEN (settings->>'no_match')::float8 END"
                              " FROM insurers WHERE id = $1::bigint",
                              1, p);
    if (!r)
        return;
    if (PQntuples(r) && !PQgetisnull(r, 0, 0))
        t->auto_accept = strtod(PQgetvalue(r, 0, 0), NULL);
    if (PQntuples(r) && !PQgetisnull(r, 0, 1))
        t->no_match = strtod(PQgetvalue(r, 0, 1), NULL);
    PQclear(r);
}

codify_corrections *catalog_corrections(PGconn *c, long long insurer_id, minca_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", insurer_id);
    const char *p[] = {id};
    PGresult *r = store_query(c, err,
                              "SELECT norm_key, broker_id::text, coalesce(cvegs, ''), coalesce(year, 0)"
                              " FROM corrections WHERE insurer_id = $1::bigint AND revoked_at IS NULL ORDER BY id",
                              1, p);
    if (!r)
        return NULL;
    codify_corrections *corr = codify_corrections_new();
    for (int i = 0; i < PQntuples(r); i++)
        codify_corrections_add(corr, PQgetvalue(r, i, 0), PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1),
                               PQgetvalue(r, i, 2), atoi(PQgetvalue(r, i, 3)));
    PQclear(r);
    return corr;
}

int catalog_open_insurer_index(const char *slug, codify_index **idx, codify_thresholds *thresholds,
                               codify_corrections **corrections, minca_err *err)
{
    *idx = NULL;
    if (corrections)
        *corrections = NULL;
    PGconn *c = store_open(err);
    if (!c)
        return -1;
    store_insurer ins;
    int rc = -1;
    int found = store_insurer_find(c, slug, &ins, err);
    if (found == 0)
        minca_err_set(err, "no insurer '%s' (import its catalog with 'minca catalog import --insurer %s FILE')", slug, slug);
    if (found <= 0 || access_require(c, ins.id, ACCESS_READ, err) < 0)
        goto done;
    if (catalog_build_index(c, ins.id, idx, NULL, err) < 0)
        goto done;
    if (thresholds)
        catalog_thresholds(c, ins.id, thresholds);
    if (corrections && !(*corrections = catalog_corrections(c, ins.id, err))) {
        codify_index_free(*idx);
        *idx = NULL;
        goto done;
    }
    rc = 0;
done:
    PQfinish(c);
    return rc;
}
