/* Tariffs of an insurer: versions of the file, the active one. */
#include <glib.h>
#include "minca/store_tariff.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_tariff_row_clear(store_tariff_row *t)
{
    g_free(t->name);
    g_free(t->source_name);
    g_free(t->sha256);
    g_free(t->body);
    g_free(t->imported_by);
    g_free(t->imported_at);
    memset(t, 0, sizeof *t);
}

int store_tariff_import(PGconn *c, long long insurer_id, const char *name, const char *source_name, const char *body,
                        const char *sha256, const char *actor, int *version, minca_err *err)
{
    *version = 0;
    if (store_begin(c, err) < 0)
        return -1;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT (SELECT coalesce(max(version), 0) + 1 FROM tariffs WHERE insurer_id = i.id)"
                                "  FROM insurers i WHERE i.id = $1::bigint FOR UPDATE",
                                &p);
    if (!r)
        goto fail;
    if (PQntuples(r) == 0) {
        PQclear(r);
        minca_err_set(err, "no insurer %lld", insurer_id);
        goto fail;
    }
    int v = store_get_int(r, 0, 0);
    PQclear(r);
    store_params q = {0};
    store_param_ll(&q, insurer_id);
    store_param_ll(&q, v);
    store_param_text(&q, name);
    store_param_text(&q, source_name);
    store_param_text(&q, body);
    store_param_text(&q, sha256);
    store_param_text(&q, actor);
    if (store_exec_p(c, err, "UPDATE tariffs SET active = false WHERE insurer_id = $1::bigint AND active", &p) < 0 ||
        store_exec_p(c, err,
                     "INSERT INTO tariffs (insurer_id, version, name, source_name, body, sha256, imported_by, active)"
                     " VALUES ($1::bigint, $2::int, $3, $4, $5, $6, $7, true)",
                     &q) < 0)
        goto fail;
    json_t *details = json_pack("{s:i, s:s?, s:s?, s:s?}", "version", v, "name", name, "source", source_name,
                                "sha256", sha256);
    char vid[16];
    snprintf(vid, sizeof vid, "%d", v);
    int rc = store_audit(c, insurer_id, actor, "tariff.import", "tariff", vid, details, err);
    json_decref(details);
    if (rc < 0 || store_commit(c, err) < 0)
        goto fail;
    *version = v;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

int store_tariff_active(PGconn *c, long long insurer_id, store_tariff_row *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT version, name, source_name, sha256, body, imported_by,"
                                "       to_char(imported_at, 'YYYY-MM-DD HH24:MI')"
                                "  FROM tariffs WHERE insurer_id = $1::bigint AND active",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->version = store_get_int(r, 0, 0);
        out->name = store_get_dup(r, 0, 1);
        out->source_name = store_get_dup(r, 0, 2);
        out->sha256 = store_get_dup(r, 0, 3);
        out->body = store_get_dup(r, 0, 4);
        out->imported_by = store_get_dup(r, 0, 5);
        out->imported_at = store_get_dup(r, 0, 6);
    }
    PQclear(r);
    return found;
}
