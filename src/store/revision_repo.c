/* Revisions of a case's vehicle list; client fields a later message fills. */
#include "minca/store_revision.h"
#include "store_internal.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define UNIT_COLUMN(f) ", coalesce(v." #f "::text, '')"

int store_units_of_case(PGconn *c, long long case_id, long long after_id, long long upto_id, store_units *out,
                        minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_ll(&p, after_id);
    store_param_ll(&p, upto_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT v.id, coalesce(v.inciso::text, '')" STORE_UNIT_FIELDS(UNIT_COLUMN)
                                ", coalesce(x.decision, '')"
                                "  FROM vehicle_rows v LEFT JOIN matches x ON x.vehicle_row_id = v.id"
                                " WHERE v.case_id = $1::bigint AND v.id > $2::bigint AND v.id <= $3::bigint"
                                " ORDER BY v.attachment_id NULLS FIRST, v.source_sheet, v.source_row, v.id",
                                &p);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->items = g_new0(store_unit, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        store_unit *u = &out->items[i];
        int col = 0;
        u->id = store_get_ll(r, i, col++);
        u->inciso = store_get_dup(r, i, col++);
#define UNIT_READ(f) u->f = store_get_dup(r, i, col++);
        STORE_UNIT_FIELDS(UNIT_READ)
#undef UNIT_READ
        u->decision = store_get_dup(r, i, col++);
    }
    out->n = n;
    PQclear(r);
    return 0;
}

void store_units_clear(store_units *u)
{
    for (int i = 0; i < u->n; i++) {
        store_unit *x = &u->items[i];
        g_free(x->inciso);
#define UNIT_FREE(f) g_free(x->f);
        STORE_UNIT_FIELDS(UNIT_FREE)
#undef UNIT_FREE
        g_free(x->decision);
    }
    g_free(u->items);
    memset(u, 0, sizeof *u);
}

int store_units_last_id(PGconn *c, long long case_id, long long *last_id, minca_err *err)
{
    *last_id = 0;
    store_params p = {0};
    store_param_ll(&p, case_id);
    PGresult *r = store_query_p(c, err, "SELECT coalesce(max(id), 0) FROM vehicle_rows WHERE case_id = $1::bigint", &p);
    if (!r)
        return -1;
    *last_id = store_get_ll(r, 0, 0);
    PQclear(r);
    return 0;
}

int store_units_drop_after(PGconn *c, long long case_id, long long after_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_ll(&p, after_id);
    return store_exec_p(c, err, "DELETE FROM vehicle_rows WHERE case_id = $1::bigint AND id > $2::bigint", &p);
}

int store_unit_keep_match(PGconn *c, long long from_id, long long to_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, from_id);
    store_param_ll(&p, to_id);
    return store_exec_p(c, err,
                        "INSERT INTO matches (vehicle_row_id, insurer_id, catalog_version_id, cvegs, year, confidence,"
                        " decision, candidates, note, reviewed_by, reviewed_at, model_note, norm_key)"
                        " SELECT $2::bigint, insurer_id, catalog_version_id, cvegs, year, confidence, decision,"
                        "        candidates, note, reviewed_by, reviewed_at, model_note, norm_key"
                        "   FROM matches WHERE vehicle_row_id = $1::bigint"
                        " ON CONFLICT (vehicle_row_id) DO NOTHING",
                        &p);
}

int store_revision_record(PGconn *c, long long case_id, long long message_id, long long last_old_id,
                          const char *diff_json, int *revision, minca_err *err)
{
    *revision = 0;
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_ll(&p, message_id);
    store_param_ll(&p, last_old_id);
    store_param_text(&p, diff_json);
    /* Revision 1 (the opening list) is recorded when the first revision replaces it. */
    PGresult *r = store_query_p(
        c, err,
        "WITH prev AS (SELECT coalesce(jsonb_agg(jsonb_build_object("
        "                 'inciso', v.inciso, 'marca', v.marca, 'submarca', v.submarca, 'year', v.year,"
        "                 'description', v.description, 'vin', v.vin, 'plates', v.plates,"
        "                 'insured_amount', v.insured_amount, 'cvegs', x.cvegs, 'match_year', x.year,"
        "                 'decision', x.decision, 'reviewed_by', x.reviewed_by, 'note', x.note)"
        "                 ORDER BY v.id), '[]'::jsonb) AS units"
        "                FROM vehicle_rows v LEFT JOIN matches x ON x.vehicle_row_id = v.id"
        "               WHERE v.case_id = $1::bigint AND v.id <= $3::bigint),"
        " first AS (INSERT INTO case_revisions (insurer_id, case_id, revision, message_id)"
        "           SELECT insurer_id, id, 1, message_id FROM cases WHERE id = $1::bigint AND revision = 1"
        "           ON CONFLICT (case_id, revision) DO NOTHING),"
        " k AS (UPDATE cases SET revision = revision + 1, list_message_id = $2::bigint, updated_at = now()"
        "        WHERE id = $1::bigint RETURNING insurer_id, revision)"
        " INSERT INTO case_revisions (insurer_id, case_id, revision, message_id, diff, previous_units)"
        " SELECT k.insurer_id, $1::bigint, k.revision, $2::bigint, $4::jsonb, prev.units FROM k, prev"
        " RETURNING revision",
        &p);
    if (!r)
        return -1;
    *revision = PQntuples(r) ? store_get_int(r, 0, 0) : 0;
    PQclear(r);
    store_params q = {0};
    store_param_ll(&q, case_id);
    store_param_ll(&q, last_old_id);
    return store_exec_p(c, err, "DELETE FROM vehicle_rows WHERE case_id = $1::bigint AND id <= $2::bigint", &q);
}

STORE_ROW_READER(store_revision_row, STORE_REVISION_COLUMNS)

int store_revision_latest(PGconn *c, long long case_id, store_revision_row *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    return store_revision_row_query_one(
        c,
        "SELECT k.revision, r.diff, m.message_id, m.from_addr, m.subject,"
        "       to_char(r.created_at, 'YYYY-MM-DD HH24:MI:SS') AS created_at"
        "  FROM cases k LEFT JOIN case_revisions r ON r.case_id = k.id AND r.revision = k.revision"
        "  LEFT JOIN messages m ON m.id = r.message_id"
        " WHERE k.id = $1::bigint",
        &p, out, err) < 0 ? -1 : 0;
}

int store_case_fill(PGconn *c, long long case_id, long long message_id, const store_case_fill_in *f, char **filled,
                    minca_err *err)
{
    *filled = NULL;
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_ll(&p, message_id);
    store_param_text(&p, f->client_name);
    store_param_text(&p, f->rfc);
    store_param_text(&p, f->coverage);
    store_param_text(&p, f->payment_terms);
    store_param_text(&p, f->uso);
    store_param_text(&p, f->validity_start);
    store_param_text(&p, f->validity_end);
    store_param_bool(&p, f->has_list);
    PGresult *r = store_query_p(
        c, err,
        "WITH old AS (SELECT * FROM cases WHERE id = $1::bigint FOR UPDATE),"
        " f AS (SELECT array_remove(ARRAY["
        "         CASE WHEN old.client_name IS NULL AND $3::text IS NOT NULL THEN 'client_name' END,"
        "         CASE WHEN old.rfc IS NULL AND $4::text IS NOT NULL THEN 'rfc' END,"
        "         CASE WHEN old.coverage IS NULL AND $5::text IS NOT NULL THEN 'coverage' END,"
        "         CASE WHEN old.payment_terms IS NULL AND $6::text IS NOT NULL THEN 'payment_terms' END,"
        "         CASE WHEN old.uso IS NULL AND $7::text IS NOT NULL THEN 'uso' END,"
        "         CASE WHEN old.validity_start IS NULL AND $8::text IS NOT NULL THEN 'vigencia' END,"
        "         CASE WHEN $10::boolean AND old.missing_requirements ? 'vehicle_list' THEN 'vehicle_list' END],"
        "         NULL) AS names FROM old)"
        " UPDATE cases k SET client_name = coalesce(k.client_name, $3), rfc = coalesce(k.rfc, $4),"
        "        coverage = coalesce(k.coverage, $5), payment_terms = coalesce(k.payment_terms, $6),"
        "        uso = coalesce(k.uso, $7),"
        "        validity_end = CASE WHEN k.validity_start IS NULL AND $8::text IS NOT NULL THEN $9::date"
        "                            ELSE k.validity_end END,"
        "        validity_start = coalesce(k.validity_start, $8::date),"
        "        missing_requirements = (SELECT coalesce(jsonb_agg(e), '[]'::jsonb)"
        "                                  FROM jsonb_array_elements_text(old.missing_requirements) e"
        "                                 WHERE e <> ALL (f.names)),"
        "        preanalysis_status = CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(old.missing_requirements) e"
        "                                                WHERE e <> ALL (f.names)) THEN k.preanalysis_status"
        "                                  ELSE 'complete' END,"
        "        filled_from = k.filled_from || (SELECT coalesce(jsonb_object_agg(n, $2::bigint), '{}'::jsonb)"
        "                                          FROM unnest(f.names) n),"
        "        updated_at = CASE WHEN cardinality(f.names) > 0 THEN now() ELSE k.updated_at END"
        "   FROM old, f WHERE k.id = old.id"
        " RETURNING array_to_string(f.names, ',')",
        &p);
    if (!r)
        return -1;
    *filled = g_strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return 0;
}
