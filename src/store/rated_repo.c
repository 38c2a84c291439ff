/* Premiums imported from the insurer's rating system: versions per case, the active one. */
#include "minca/store_rated.h"
#include "store_internal.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_rated_export_exists(PGconn *c, long long case_id, int export_version, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_ll(&p, export_version);
    PGresult *r = store_query_p(c, err, "SELECT 1 FROM exports WHERE case_id = $1::bigint AND version = $2::int LIMIT 1",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found;
}

static json_t *premiums_json(const store_rated_import *imp, long long *total)
{
    json_t *a = json_array();
    *total = 0;
    for (int i = 0; i < imp->n_premiums; i++) {
        const store_rated_premium *pr = &imp->premiums[i];
        json_array_append_new(a, json_pack("{s:i, s:s?, s:s?, s:I}", "inciso", pr->inciso, "cvegs", pr->cvegs, "vin",
                                           pr->vin, "cents", (json_int_t)pr->cents));
        *total += pr->cents;
    }
    return a;
}

int store_rated_save(PGconn *c, const store_rated_import *imp, int *version, minca_err *err)
{
    *version = 0;
    long long total = 0;
    json_t *rows = premiums_json(imp, &total);
    char *rows_text = json_dumps(rows, JSON_COMPACT);
    json_decref(rows);
    int rc = -1;
    if (store_begin(c, err) < 0)
        goto done;
    store_params p = {0};
    store_param_ll(&p, imp->case_id);
    store_param_ll(&p, imp->insurer_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT (SELECT coalesce(max(version), 0) + 1 FROM rated_imports WHERE case_id = k.id)"
                                "  FROM cases k WHERE k.id = $1::bigint AND k.insurer_id = $2::bigint FOR UPDATE",
                                &p);
    if (!r)
        goto fail;
    if (PQntuples(r) == 0) {
        PQclear(r);
        minca_err_set(err, "no case %lld", imp->case_id);
        goto fail;
    }
    int v = store_get_int(r, 0, 0);
    PQclear(r);
    store_params q = {0};
    store_param_ll(&q, imp->insurer_id);
    store_param_ll(&q, imp->case_id);
    store_param_ll(&q, v);
    store_param_ll(&q, imp->export_version);
    store_param_ll(&q, imp->revision);
    store_param_text(&q, imp->source_name);
    store_param_text(&q, imp->sha256);
    store_param_ll(&q, total);
    store_param_text(&q, imp->actor);
    store_param_text(&q, rows_text);
    store_params one = {0};
    store_param_ll(&one, imp->case_id);
    if (store_exec_p(c, err, "UPDATE rated_imports SET active = false WHERE case_id = $1::bigint AND active", &one) < 0 ||
        store_exec_p(c, err,
                     "WITH i AS (INSERT INTO rated_imports (insurer_id, case_id, version, export_version, revision,"
                     "                                      source_name, sha256, total_cents, imported_by, active)"
                     "           VALUES ($1::bigint, $2::bigint, $3::int, $4::int, $5::int, $6, $7, $8::bigint, $9, true)"
                     "           RETURNING id)"
                     " INSERT INTO rated_premiums (import_id, insurer_id, inciso, cvegs, vin, cents)"
                     " SELECT i.id, $1::bigint, x.inciso, x.cvegs, x.vin, x.cents"
                     "   FROM i, jsonb_to_recordset($10::jsonb) AS x(inciso int, cvegs text, vin text, cents bigint)",
                     &q) < 0)
        goto fail;
    json_t *details = json_pack("{s:i, s:i, s:i, s:s?, s:s?, s:i, s:I}", "version", v, "export_version",
                                imp->export_version, "revision", imp->revision, "source", imp->source_name, "sha256",
                                imp->sha256, "units", imp->n_premiums, "prima_neta_cents", (json_int_t)total);
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", imp->case_id);
    int arc = store_audit(c, imp->insurer_id, imp->actor, "export.import_rated", "case", cid, details, err);
    json_decref(details);
    if (arc < 0 || store_commit(c, err) < 0)
        goto fail;
    *version = v;
    rc = 0;
    goto done;
fail:
    store_rollback(c);
done:
    free(rows_text);
    return rc;
}

void store_rated_row_clear(store_rated_row *r)
{
    g_free(r->source_name);
    g_free(r->imported_by);
    g_free(r->imported_at);
    for (int i = 0; i < r->n; i++)
        g_free(r->cvegs[i]);
    g_free(r->cvegs);
    g_free(r->inciso);
    g_free(r->cents);
    memset(r, 0, sizeof *r);
}

int store_rated_active(PGconn *c, long long case_id, store_rated_row *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, case_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT i.version, i.export_version, i.revision, i.source_name, i.imported_by,"
                                "       to_char(i.imported_at, 'YYYY-MM-DD HH24:MI'), p.inciso, p.cents, p.cvegs"
                                "  FROM rated_imports i JOIN rated_premiums p ON p.import_id = i.id"
                                " WHERE i.case_id = $1::bigint AND i.active ORDER BY p.inciso",
                                &p);
    if (!r)
        return -1;
    int n = PQntuples(r);
    if (n > 0) {
        out->version = store_get_int(r, 0, 0);
        out->export_version = store_get_int(r, 0, 1);
        out->revision = store_get_int(r, 0, 2);
        out->source_name = store_get_dup(r, 0, 3);
        out->imported_by = store_get_dup(r, 0, 4);
        out->imported_at = store_get_dup(r, 0, 5);
        out->n = n;
        out->inciso = g_new0(int, n);
        out->cents = g_new0(long long, n);
        out->cvegs = g_new0(char *, n);
        for (int i = 0; i < n; i++) {
            out->inciso[i] = store_get_int(r, i, 6);
            out->cents[i] = store_get_ll(r, i, 7);
            out->cvegs[i] = store_get_dup(r, i, 8);
        }
    }
    PQclear(r);
    return n > 0;
}
