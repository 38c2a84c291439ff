/* The codifier's in-memory index built from the insurer's active catalog version. */
#include <glib.h>
#include "minca/access.h"
#include "minca/catalog.h"
#include "minca/store_catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int catalog_build_index(PGconn *c, long long insurer_id, codify_index **out, long long *version_id,
                        minca_err *err)
{
    *out = NULL;
    store_catalog_entries rows;
    if (store_catalog_active_entries(c, insurer_id, &rows, err) < 0) {
        store_catalog_entries_clear(&rows);
        return minca_err_prefix(err, "cannot read the catalog");
    }
    if (rows.n == 0) {
        store_catalog_entries_clear(&rows);
        return minca_err_set(err, "the insurer has no active catalog; import one with "
                                  "'minca catalog import --insurer <slug> FILE'");
    }
    codify_entry *entries = g_malloc0_n(rows.n, sizeof *entries);
    for (size_t i = 0; i < rows.n; i++) {
        const store_catalog_entry *e = &rows.items[i];
        entries[i].marca = e->marca;
        entries[i].submarca = e->submarca;
        entries[i].cvegs = e->cvegs;
        entries[i].modelo = e->modelo;
        entries[i].descveh = e->descveh;
        entries[i].tipveh = e->tipveh;
        entries[i].transmision = e->transmision;
    }
    if (version_id)
        *version_id = rows.version_id;
    codify_aliases *aliases = NULL;
    int rc = -1;
    if (codify_aliases_load_default(&aliases, err) == 0) {
        *out = codify_index_build(entries, rows.n, aliases, err);
        rc = *out ? 0 : -1;
    }
    codify_aliases_free(aliases);
    g_free(entries);
    store_catalog_entries_clear(&rows);
    return rc;
}

void catalog_thresholds(PGconn *c, long long insurer_id, codify_thresholds *t)
{
    *t = CODIFY_DEFAULT_THRESHOLDS;
    bool has_auto, has_no_match;
    double auto_accept = 0, no_match = 0;
    if (store_catalog_thresholds(c, insurer_id, &has_auto, &auto_accept, &has_no_match, &no_match, NULL) < 0)
        return;
    if (has_auto)
        t->auto_accept = auto_accept;
    if (has_no_match)
        t->no_match = no_match;
}

static void add_correction(const char *norm_key, const char *broker_id, const char *cvegs, int year, void *user)
{
    codify_corrections_add(user, norm_key, broker_id, cvegs, year);
}

codify_corrections *catalog_corrections(PGconn *c, long long insurer_id, minca_err *err)
{
    codify_corrections *corr = codify_corrections_new();
    if (store_catalog_corrections_each(c, insurer_id, add_correction, corr, err) < 0) {
        codify_corrections_free(corr);
        return NULL;
    }
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
