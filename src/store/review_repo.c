/* The review desk's statements: decisions on matches, their locks, corrections, undo and the
 * decisions held across a re-run. */
#include "minca/store_review.h"
#include "store_internal.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_value(char *dst, size_t len, PGresult *r, int row, int col)
{
    snprintf(dst, len, "%s", PQgetvalue(r, row, col));
}

/* 1 when the statement touched one row, 0 when none. */
static int one_row(PGresult *r)
{
    int n = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return n;
}

void store_review_row_clear(store_review_row *row)
{
    g_free(row->marca);
    g_free(row->submarca);
    g_free(row->description);
    memset(row, 0, sizeof *row);
}

/* Columns col.. of r: marca, submarca, year, description. */
static void row_fill(store_review_row *row, PGresult *r, int col)
{
    row->marca = g_strdup(PQgetvalue(r, 0, col));
    row->submarca = g_strdup(PQgetvalue(r, 0, col + 1));
    row->year = store_get_int(r, 0, col + 2);
    row->description = g_strdup(PQgetvalue(r, 0, col + 3));
}

/* ---- locks --------------------------------------------------------------------------------- */

int store_review_lock_case(PGconn *c, long long insurer_id, long long case_id, char *status, size_t status_len,
                           minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT status FROM cases WHERE insurer_id = $1::bigint AND id = $2::bigint"
                                " FOR NO KEY UPDATE",
                                &p);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return minca_err_set(err, "no case %lld", case_id);
    }
    if (status)
        copy_value(status, status_len, r, 0, 0);
    PQclear(r);
    return 0;
}

int store_review_lock_row(PGconn *c, long long insurer_id, long long case_id, long long row_id,
                          store_review_row *row, minca_err *err)
{
    if (row)
        memset(row, 0, sizeof *row);
    if (store_review_lock_case(c, insurer_id, case_id, NULL, 0, err) < 0)
        return -1;
    /* A statement of its own after the case's lock: a decision committed while we waited is
     * seen. */
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, row_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT v.case_id, v.marca, v.submarca, coalesce(v.year, 0), v.description,"
                                "       coalesce(k.broker_id, 0), coalesce(v.inciso, 0)"
                                "  FROM vehicle_rows v JOIN cases k ON k.id = v.case_id"
                                " WHERE v.insurer_id = $1::bigint AND v.id = $2::bigint FOR UPDATE OF v",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found && row) {
        row->id = row_id;
        row->case_id = store_get_ll(r, 0, 0);
        row_fill(row, r, 1);
        row->broker_id = store_get_ll(r, 0, 5);
        row->inciso = store_get_int(r, 0, 6);
    }
    PQclear(r);
    return found;
}

int store_review_lock_correction_key(PGconn *c, long long insurer_id, const char *norm_key, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, norm_key);
    return store_exec_p(c, err,
                        "SELECT pg_advisory_xact_lock(hashtext('minca.correction:' || $1 || ':' || $2)::bigint)", &p);
}

/* ---- rows and matches ---------------------------------------------------------------------- */

int store_review_row_get(PGconn *c, long long insurer_id, long long row_id, store_review_row *row, minca_err *err)
{
    memset(row, 0, sizeof *row);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, row_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT v.case_id, v.marca, v.submarca, coalesce(v.year, 0), v.description"
                                "  FROM vehicle_rows v WHERE v.insurer_id = $1::bigint AND v.id = $2::bigint",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        row->id = row_id;
        row->case_id = store_get_ll(r, 0, 0);
        row_fill(row, r, 1);
    }
    PQclear(r);
    return found;
}

int store_review_match_get(PGconn *c, long long row_id, bool lock, store_review_match *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, row_id);
    PGresult *r = store_query_p(c, err,
                                lock ? "SELECT coalesce(cvegs, ''), coalesce(year, 0), decision, coalesce(confidence::text, ''),"
                                       "       coalesce(reviewed_by, ''), coalesce(reviewed_at::text, ''),"
                                       "       coalesce(catalog_version_id, 0), " SQL_MATCH_VERSION("x") ","
                                       "       coalesce(to_char(reviewed_at, 'HH24:MI'), '')"
                                       "  FROM matches x WHERE vehicle_row_id = $1::bigint FOR UPDATE"
                                     : "SELECT coalesce(cvegs, ''), coalesce(year, 0), decision, coalesce(confidence::text, ''),"
                                       "       coalesce(reviewed_by, ''), coalesce(reviewed_at::text, ''),"
                                       "       coalesce(catalog_version_id, 0), " SQL_MATCH_VERSION("x") ","
                                       "       coalesce(to_char(reviewed_at, 'HH24:MI'), '')"
                                       "  FROM matches x WHERE vehicle_row_id = $1::bigint",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        copy_value(out->cvegs, sizeof out->cvegs, r, 0, 0);
        out->year = store_get_int(r, 0, 1);
        copy_value(out->decision, sizeof out->decision, r, 0, 2);
        copy_value(out->confidence, sizeof out->confidence, r, 0, 3);
        copy_value(out->reviewed_by, sizeof out->reviewed_by, r, 0, 4);
        copy_value(out->reviewed_at, sizeof out->reviewed_at, r, 0, 5);
        out->catalog_version_id = store_get_ll(r, 0, 6);
        copy_value(out->version, sizeof out->version, r, 0, 7);
        copy_value(out->reviewed_hm, sizeof out->reviewed_hm, r, 0, 8);
    }
    PQclear(r);
    return found;
}

int store_review_catalog_version(PGconn *c, long long insurer_id, const char *cvegs, int year,
                                 long long *version_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cvegs);
    store_param_ll(&p, year);
    PGresult *r = store_query_p(c, err,
                                "SELECT e.catalog_version_id FROM catalog_entries e JOIN catalog_versions v"
                                "    ON v.id = e.catalog_version_id AND v.active"
                                " WHERE v.insurer_id = $1::bigint AND e.cvegs = $2 AND e.modelo = $3::int LIMIT 1",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        *version_id = store_get_ll(r, 0, 0);
    PQclear(r);
    return found;
}

int store_review_match_decide(PGconn *c, long long insurer_id, long long row_id, const char *cvegs, int year,
                              const char *decision, const char *user, long long catalog_version_id,
                              minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, row_id);
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cvegs);
    store_param_ll_if(&p, cvegs != NULL, year);
    store_param_text(&p, decision);
    store_param_text(&p, user);
    store_param_id(&p, catalog_version_id);
    return store_exec_p(c, err,
                        "INSERT INTO matches (vehicle_row_id, insurer_id, cvegs, year, decision, reviewed_by, reviewed_at,"
                        " catalog_version_id, confidence)"
                        " VALUES ($1::bigint, $2::bigint, $3::text, $4::int, $5, $6, now(), $7::bigint, NULL)"
                        " ON CONFLICT (vehicle_row_id) DO UPDATE SET cvegs = $3::text, year = $4::int, decision = $5,"
                        " reviewed_by = $6, reviewed_at = now(), updated_at = now(),"
                        " catalog_version_id = coalesce($7::bigint, matches.catalog_version_id),"
                        /* The codifier's confidence is kept beside who confirmed the key: it is the
                         * probability the codifier gave its own proposal, so it stays with that key
                         * (accepted, or picked again) and with a "no match"; another key has none (a
                         * candidate's score only ranks, it is no probability). */
                        " confidence = CASE WHEN $3::text IS NULL OR $5 = 'accepted'"
                        "   OR ($3::text = matches.cvegs AND $4::int = matches.year) THEN matches.confidence END",
                        &p);
}

static const char *or_null(const char *s) { return s && *s ? s : NULL; }

int store_review_match_restore(PGconn *c, long long row_id, const store_review_match *before, minca_err *err)
{
    const char *cvegs = or_null(before->cvegs), *by = or_null(before->reviewed_by);
    store_params p = {0};
    store_param_ll(&p, row_id);
    store_param_text(&p, cvegs);
    store_param_ll_if(&p, cvegs != NULL, before->year);
    store_param_text(&p, before->decision[0] ? before->decision : "needs_review");
    store_param_text(&p, or_null(before->confidence));
    store_param_text(&p, by);
    store_param_text(&p, by ? or_null(before->reviewed_at) : NULL);
    return store_exec_p(c, err,
                        "UPDATE matches SET cvegs = $2, year = $3::int, decision = $4, confidence = $5::float8,"
                        " reviewed_by = $6, reviewed_at = CASE WHEN $6::text IS NULL THEN NULL"
                        "                                      ELSE coalesce($7::timestamptz, now()) END,"
                        " updated_at = now() WHERE vehicle_row_id = $1::bigint",
                        &p);
}

int store_review_match_note(PGconn *c, long long insurer_id, long long row_id, const char *note, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, row_id);
    store_param_ll(&p, insurer_id);
    store_param_text(&p, note);
    PGresult *r = store_query_p(c, err,
                                "UPDATE matches SET note = $3, updated_at = now() WHERE vehicle_row_id = $1::bigint"
                                " AND insurer_id = $2::bigint",
                                &p);
    return r ? one_row(r) : -1;
}

int store_review_case_flag_changed(PGconn *c, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    return store_exec_p(c, err,
                        "UPDATE cases SET status_reason = 'changed after export v' ||"
                        " (SELECT max(version) FROM exports WHERE case_id = $1::bigint) || ': export again'"
                        " WHERE id = $1::bigint AND status = 'exported'",
                        &p);
}

/* ---- corrections --------------------------------------------------------------------------- */

STORE_ROW_READER(store_review_id, STORE_REVIEW_ID_COLUMNS)
STORE_ROW_READER(store_review_correction, STORE_REVIEW_CORRECTION_COLUMNS)
STORE_ROW_READER(store_review_decision_entry, STORE_REVIEW_DECISION_ENTRY_COLUMNS)
STORE_ROW_READER(store_review_named_row, STORE_REVIEW_NAMED_ROW_COLUMNS)
STORE_ROW_READER(store_review_undecided, STORE_REVIEW_UNDECIDED_COLUMNS)
STORE_ROW_READER(store_review_carryover, STORE_REVIEW_CARRYOVER_COLUMNS)

int store_review_corrections_revoke_key(PGconn *c, long long insurer_id, const char *norm_key, const char *user,
                                        store_review_id_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, norm_key);
    store_param_text(&p, user);
    return store_review_id_list_query(c,
                                      "UPDATE corrections SET revoked_by = $3, revoked_at = now()"
                                      " WHERE insurer_id = $1::bigint AND norm_key = $2 AND revoked_at IS NULL"
                                      " RETURNING id",
                                      &p, out, err);
}

int store_review_correction_add(PGconn *c, long long insurer_id, const char *norm_key, const char *cvegs, int year,
                                long long source_row_id, const char *user, long long broker_id, long long *id,
                                minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, norm_key);
    store_param_text(&p, cvegs);
    store_param_ll_if(&p, cvegs != NULL, year);
    store_param_ll(&p, source_row_id);
    store_param_text(&p, user);
    store_param_id(&p, broker_id);
    /* Insurer setting corrections_per_broker: a correction then applies only to the broker
     * whose list it came from; by default it applies to every broker of the insurer. */
    PGresult *r = store_query_p(c, err,
                                "INSERT INTO corrections (insurer_id, norm_key, cvegs, year, source_vehicle_row_id, created_by,"
                                " broker_id)"
                                " SELECT $1::bigint, $2, $3, $4::int, $5::bigint, $6,"
                                "        CASE WHEN coalesce((i.settings->>'corrections_per_broker')::boolean, false)"
                                "             THEN $7::bigint END"
                                "   FROM insurers i WHERE i.id = $1::bigint RETURNING id",
                                &p);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return minca_err_set(err, "no insurer %lld", insurer_id);
    }
    *id = store_get_ll(r, 0, 0);
    PQclear(r);
    return 0;
}

int store_review_correction_key(PGconn *c, long long correction_id, char *key, size_t key_len, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, correction_id);
    PGresult *r = store_query_p(c, err, "SELECT norm_key FROM corrections WHERE id = $1::bigint", &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        copy_value(key, key_len, r, 0, 0);
    PQclear(r);
    return found;
}

int store_review_correction_revoke(PGconn *c, long long insurer_id, long long correction_id, const char *user,
                                   minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, correction_id);
    store_param_text(&p, user);
    PGresult *r = store_query_p(c, err,
                                "UPDATE corrections SET revoked_by = $3, revoked_at = now()"
                                " WHERE insurer_id = $1::bigint AND id = $2::bigint AND revoked_at IS NULL",
                                &p);
    return r ? one_row(r) : -1;
}

int store_review_corrections_restore(PGconn *c, json_t *ids, minca_err *err)
{
    char *list = ids ? json_dumps(ids, JSON_COMPACT) : g_strdup("[]");
    store_params p = {0};
    store_param_text(&p, list);
    int rc = store_exec_p(c, err,
                          "UPDATE corrections SET revoked_by = NULL, revoked_at = NULL"
                          " WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)",
                          &p);
    g_free(list);   /* json_dumps text or g_strdup: GLib allocates with malloc */
    return rc;
}

int store_review_corrections_list(PGconn *c, long long insurer_id, bool include_revoked,
                                  store_review_correction_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_bool(&p, include_revoked);
    return store_review_correction_list_query(c,
                              "SELECT id, norm_key, cvegs, year, created_by,"
                              "       to_char(created_at, 'YYYY-MM-DD HH24:MI') AS created_at, revoked_by,"
                              "       to_char(revoked_at, 'YYYY-MM-DD HH24:MI') AS revoked_at"
                              "  FROM corrections WHERE insurer_id = $1::bigint AND ($2::boolean OR revoked_at IS NULL)"
                              " ORDER BY id DESC",
                              &p, out, err);
}

/* ---- the audit entries of decisions, for undo ---------------------------------------------- */

int store_review_last_decision(PGconn *c, long long insurer_id, long long case_id, const char *user,
                               long long *audit_id, json_t **details, minca_err *err)
{
    *details = NULL;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    store_param_text(&p, user);
    PGresult *r = store_query_p(c, err,
                                "SELECT a.id, a.details::text FROM audit_log a"
                                " WHERE a.insurer_id = $1::bigint AND a.actor = $3"
                                "   AND a.action IN ('review.accept', 'review.pick', 'review.no_match')"
                                "   AND (a.details->>'case_id')::bigint = $2::bigint"
                                "   AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.action = 'review.undo'"
                                "                    AND (u.details->>'undoes')::bigint = a.id)"
                                " ORDER BY a.id DESC LIMIT 1",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        *audit_id = store_get_ll(r, 0, 0);
        *details = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
    }
    PQclear(r);
    return found;
}

int store_review_group_decisions(PGconn *c, long long insurer_id, const char *user, const char *group,
                                 store_review_decision_entry_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, user);
    store_param_text(&p, group);
    return store_review_decision_entry_list_query(c,
                              "SELECT a.id, a.details FROM audit_log a"
                              " WHERE a.insurer_id = $1::bigint AND a.actor = $2 AND a.details->>'group' = $3"
                              "   AND a.action IN ('review.accept', 'review.pick', 'review.no_match')"
                              "   AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.action = 'review.undo'"
                              "                    AND (u.details->>'undoes')::bigint = a.id)"
                              " ORDER BY a.id DESC",
                              &p, out, err);
}

int store_review_decided_since(PGconn *c, long long row_id, long long audit_id, char *actor, size_t actor_len,
                               minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, row_id);
    store_param_ll(&p, audit_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT actor FROM audit_log WHERE entity = 'vehicle_row' AND entity_id = $1"
                                " AND id > $2::bigint AND action IN ('review.accept', 'review.pick', 'review.no_match',"
                                " 'review.undo') ORDER BY id DESC LIMIT 1",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        copy_value(actor, actor_len, r, 0, 0);
    PQclear(r);
    return found;
}

/* ---- cases --------------------------------------------------------------------------------- */

int store_review_case_find(PGconn *c, long long insurer_id, const char *cot, long long *case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cot);
    PGresult *r = store_query_p(c, err, "SELECT id FROM cases WHERE insurer_id = $1::bigint AND cot = $2", &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        *case_id = store_get_ll(r, 0, 0);
    PQclear(r);
    return found;
}

int store_review_case_open_rows(PGconn *c, long long insurer_id, long long case_id, long *open, long *rows,
                                char **incisos, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT count(v.id) FILTER (WHERE x.decision IS NULL OR x.decision IN ('needs_review', 'no_match')),"
                                "       count(v.id),"
                                "       coalesce(array_to_string((array_agg(v.inciso ORDER BY v.inciso)"
                                "            FILTER (WHERE x.decision IS NULL OR x.decision IN ('needs_review', 'no_match')))[1:12], ', '), '')"
                                "  FROM vehicle_rows v LEFT JOIN matches x ON x.vehicle_row_id = v.id"
                                " WHERE v.case_id = $2::bigint AND v.insurer_id = $1::bigint",
                                &p);
    if (!r)
        return -1;
    *open = (long)store_get_ll(r, 0, 0);
    *rows = (long)store_get_ll(r, 0, 1);
    if (incisos)
        *incisos = store_get_dup(r, 0, 2);
    PQclear(r);
    return 0;
}

int store_review_case_set_ready(PGconn *c, long long insurer_id, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    return store_exec_p(c, err,
                        "UPDATE cases SET status = 'ready', status_reason = NULL, updated_at = now()"
                        " WHERE insurer_id = $1::bigint AND id = $2::bigint",
                        &p);
}

int store_review_case_suggestions(PGconn *c, long long insurer_id, long long case_id, json_t **suggested,
                                  json_t **missing, minca_err *err)
{
    *suggested = *missing = NULL;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT suggested::text, missing_requirements::text FROM cases"
                                " WHERE insurer_id = $1::bigint AND id = $2::bigint FOR UPDATE",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        *suggested = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
        *missing = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
    }
    PQclear(r);
    return found;
}

int store_review_case_set_suggestions(PGconn *c, long long insurer_id, long long case_id, json_t *suggested,
                                      json_t *missing, minca_err *err)
{
    char *sugg_s = json_dumps(suggested, JSON_COMPACT), *missing_s = json_dumps(missing, JSON_COMPACT);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    store_param_text(&p, sugg_s);
    store_param_text(&p, missing_s);
    int rc = store_exec_p(c, err,
                          "UPDATE cases SET suggested = $3::jsonb, missing_requirements = $4::jsonb, updated_at = now(),"
                          " preanalysis_status = CASE WHEN jsonb_array_length($4::jsonb) = 0 THEN 'complete' ELSE 'incomplete' END"
                          " WHERE insurer_id = $1::bigint AND id = $2::bigint",
                          &p);
    free(sugg_s);
    free(missing_s);
    return rc;
}

int store_review_case_rows_named(PGconn *c, long long case_id, store_review_row_by by, const char *key,
                                 const char *file, store_review_named_row_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_text(&p, key);
    store_param_text(&p, by == STORE_REVIEW_ROW_BY_ID ? "id" : by == STORE_REVIEW_ROW_BY_FILE ? "file" : "inciso");
    store_param_text(&p, file ? file : "");
    return store_review_named_row_list_query(c,
                              "SELECT v.id, coalesce(a.filename, v.source_sheet, '?') AS file, a.ordinal"
                              "  FROM vehicle_rows v LEFT JOIN attachments a ON a.id = v.attachment_id"
                              " WHERE v.case_id = $1::bigint"
                              "   AND CASE $3 WHEN 'id' THEN v.id = $2::bigint"
                              "       ELSE v.inciso = $2::int AND ($3 = 'inciso' OR lower(a.filename) = lower($4)"
                              "            OR a.ordinal::text = $4 OR lower(v.source_sheet) = lower($4)) END"
                              " ORDER BY v.id LIMIT 20",
                              &p, out, err);
}

int store_review_undecided_rows(PGconn *c, long long insurer_id, long long row_id, long long case_id,
                                const char *norm_key, bool across_cases, store_review_undecided_list *out,
                                minca_err *err)
{
    /* Undecided: the codifier left it to a person (review, or no key) and nobody decided it.
     * Within the case every row is compared (rows codified before norm_key was kept too);
     * across cases the stored key finds them through its index. */
#define UNDECIDED_COLUMNS                                                                                   \
    "SELECT v.id, v.case_id, k.cot, coalesce(v.inciso, 0) AS inciso, v.marca, v.submarca,"                  \
    " coalesce(v.year, 0) AS year, v.description, " SQL_MATCH_VERSION("x") " AS version"
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    if (!across_cases) {
        store_param_ll(&p, row_id);
        return store_review_undecided_list_query(
            c,
            UNDECIDED_COLUMNS
            "  FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id JOIN cases k ON k.id = v.case_id"
            " WHERE v.insurer_id = $1::bigint AND v.case_id = $2::bigint AND v.id <> $3::bigint"
            "   AND x.decision IN ('needs_review', 'no_match') AND x.reviewed_by IS NULL"
            " ORDER BY v.id",
            &p, out, err);
    }
    store_param_text(&p, norm_key);
    return store_review_undecided_list_query(
        c,
        UNDECIDED_COLUMNS
        "  FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id"
        " WHERE x.insurer_id = $1::bigint AND x.norm_key = $3 AND v.case_id <> $2::bigint"
        "   AND x.decision IN ('needs_review', 'no_match') AND x.reviewed_by IS NULL"
        "   AND k.status NOT IN ('exported', 'error')"
        " ORDER BY v.case_id, v.id",
        &p, out, err);
#undef UNDECIDED_COLUMNS
}

/* ---- many rows in a few statements ----------------------------------------------------- */

static char *id_array_text(const long long *ids, size_t n)
{
    GString *list = g_string_new("{");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(list, "%s%lld", i ? "," : "", ids[i]);
    g_string_append_c(list, '}');
    return g_string_free(list, FALSE);
}

void store_review_locked_free(GArray *rows)
{
    if (!rows)
        return;
    for (guint i = 0; i < rows->len; i++)
        store_review_row_clear(&g_array_index(rows, store_review_locked, i).row);
    g_array_free(rows, TRUE);
}

GArray *store_review_lock_rows(PGconn *c, long long insurer_id, const long long *ids, size_t n, minca_err *err)
{
    char *list = id_array_text(ids, n);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, list);
    /* The cases first, in id order, as every review change takes them; then the rows and
     * their matches, read once all are held. */
    int rc = store_exec_p(c, err,
                          "SELECT k.id FROM cases k WHERE k.insurer_id = $1::bigint AND k.id IN"
                          " (SELECT v.case_id FROM vehicle_rows v WHERE v.insurer_id = $1::bigint"
                          "   AND v.id = ANY($2::bigint[])) ORDER BY k.id FOR NO KEY UPDATE",
                          &p);
    PGresult *r = rc < 0 ? NULL
                         : store_query_p(c, err,
                                         "SELECT v.id, v.case_id, v.marca, v.submarca, coalesce(v.year, 0), v.description,"
                                         "       coalesce(k.broker_id, 0), coalesce(v.inciso, 0),"
                                         "       coalesce(x.cvegs, ''), coalesce(x.year, 0), coalesce(x.decision, ''),"
                                         "       coalesce(x.confidence::text, ''), coalesce(x.reviewed_by, ''),"
                                         "       coalesce(x.reviewed_at::text, ''), coalesce(x.catalog_version_id, 0),"
                                         "       CASE WHEN x.vehicle_row_id IS NULL THEN '' ELSE " SQL_MATCH_VERSION("x") " END,"
                                         "       coalesce(to_char(x.reviewed_at, 'HH24:MI'), '')"
                                         "  FROM vehicle_rows v JOIN cases k ON k.id = v.case_id"
                                         "  LEFT JOIN matches x ON x.vehicle_row_id = v.id"
                                         " WHERE v.insurer_id = $1::bigint AND v.id = ANY($2::bigint[])"
                                         " ORDER BY v.case_id, v.id FOR UPDATE OF v",
                                         &p);
    /* The matches, locked after their rows (FOR UPDATE OF x cannot lock an outer join's
     * nullable side). */
    PGresult *lock = r ? store_query_p(c, err,
                                       "SELECT 1 FROM matches x WHERE x.vehicle_row_id = ANY($2::bigint[])"
                                       "   AND x.insurer_id = $1::bigint ORDER BY x.vehicle_row_id FOR UPDATE",
                                       &p)
                       : NULL;
    g_free(list);
    if (!lock) {
        PQclear(r);
        return NULL;
    }
    PQclear(lock);
    GArray *out = g_array_sized_new(FALSE, TRUE, sizeof(store_review_locked), (guint)PQntuples(r));
    for (int i = 0; i < PQntuples(r); i++) {
        store_review_locked l;
        memset(&l, 0, sizeof l);
        l.row.id = store_get_ll(r, i, 0);
        l.row.case_id = store_get_ll(r, i, 1);
        l.row.marca = g_strdup(PQgetvalue(r, i, 2));
        l.row.submarca = g_strdup(PQgetvalue(r, i, 3));
        l.row.year = store_get_int(r, i, 4);
        l.row.description = g_strdup(PQgetvalue(r, i, 5));
        l.row.broker_id = store_get_ll(r, i, 6);
        l.row.inciso = store_get_int(r, i, 7);
        copy_value(l.match.cvegs, sizeof l.match.cvegs, r, i, 8);
        l.match.year = store_get_int(r, i, 9);
        copy_value(l.match.decision, sizeof l.match.decision, r, i, 10);
        copy_value(l.match.confidence, sizeof l.match.confidence, r, i, 11);
        copy_value(l.match.reviewed_by, sizeof l.match.reviewed_by, r, i, 12);
        copy_value(l.match.reviewed_at, sizeof l.match.reviewed_at, r, i, 13);
        l.match.catalog_version_id = store_get_ll(r, i, 14);
        copy_value(l.match.version, sizeof l.match.version, r, i, 15);
        copy_value(l.match.reviewed_hm, sizeof l.match.reviewed_hm, r, i, 16);
        g_array_append_val(out, l);
    }
    PQclear(r);
    return out;
}

/* The decisions as one JSON document for jsonb_to_recordset: ord keeps their order. */
static char *decisions_json(const store_review_decision *d, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:I, s:I, s:s, s:s?, s:i, s:s, s:I, s:I}", "ord", (json_int_t)i, "row_id",
                              (json_int_t)d[i].row_id, "norm_key", d[i].norm_key, "cvegs", d[i].cvegs, "year",
                              d[i].cvegs ? d[i].year : 0, "decision", d[i].decision, "catver",
                              (json_int_t)d[i].catalog_version_id, "broker_id", (json_int_t)d[i].broker_id);
        if (!d[i].cvegs)
            json_object_set_new(o, "year", json_null());
        json_array_append_new(a, o);
    }
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}

/* The corrections a batch of decisions revoked (in_force: norm_key -> JSON array of their ids)
 * and wrote (by_row: {row id, correction id} keyed by the row id, g_free each key). */
static void read_corrections(const PGresult *r, GHashTable *in_force, GHashTable *by_row)
{
    for (int i = 0; i < PQntuples(r); i++) {
        long long id = store_get_ll(r, i, 1);
        if (strcmp(PQgetvalue(r, i, 0), "old") == 0) {
            const char *key = PQgetvalue(r, i, 2);
            json_t *ids = g_hash_table_lookup(in_force, key);
            if (!ids)
                g_hash_table_insert(in_force, g_strdup(key), ids = json_array());
            json_array_append_new(ids, json_integer(id));
        } else {
            long long *row = g_new(long long, 2);
            row[0] = g_ascii_strtoll(PQgetvalue(r, i, 2), NULL, 10);
            row[1] = id;
            g_hash_table_insert(by_row, row, row);
        }
    }
}

/* The audit entries of the decisions into audit, each with its correction (corr[i]) and the
 * corrections it replaced; -1 with err set when a row got no correction. */
static int audit_decisions(const store_review_decision *d, size_t n, const char *group, GHashTable *by_row,
                           GHashTable *in_force, long long *corr, json_t *audit, minca_err *err)
{
    /* Row by row, as single decisions would: the first row of a description replaces the
     * corrections found in force for it, each later row the one of the row before it; all
     * but the last of a description are revoked. */
    GHashTable *last = g_hash_table_new(g_str_hash, g_str_equal);   /* norm_key -> index + 1 */
    for (size_t i = 0; i < n; i++) {
        long long *hit = g_hash_table_lookup(by_row, &d[i].row_id);
        if (!hit) {
            g_hash_table_destroy(last);
            return minca_err_set(err, "no correction was written for vehicle row %lld", d[i].row_id);
        }
        corr[i] = hit[1];
        size_t before = GPOINTER_TO_SIZE(g_hash_table_lookup(last, d[i].norm_key));
        json_t *replaced;
        if (before) {
            replaced = json_array();
            json_array_append_new(replaced, json_integer(corr[before - 1]));
        } else {
            json_t *found = g_hash_table_lookup(in_force, d[i].norm_key);
            replaced = found ? json_deep_copy(found) : json_array();
        }
        g_hash_table_insert(last, (gpointer)d[i].norm_key, GSIZE_TO_POINTER(i + 1));
        json_t *details = json_pack("{s:I, s:I, s:O, s:{s:s?, s:i, s:s}, s:I, s:o}", "case_id",
                                    (json_int_t)d[i].case_id, "vehicle_row_id", (json_int_t)d[i].row_id, "before",
                                    d[i].before, "after", "cvegs", d[i].cvegs, "year", d[i].cvegs ? d[i].year : 0,
                                    "decision", d[i].decision, "correction_id", (json_int_t)corr[i],
                                    "replaced_corrections", replaced);
        if (group)
            json_object_set_new(details, "group", json_string(group));
        char rid[32];
        snprintf(rid, sizeof rid, "%lld", d[i].row_id);
        json_array_append_new(audit, json_pack("{s:s, s:s, s:o}", "action", d[i].action, "entity_id", rid, "details",
                                               details));
    }
    g_hash_table_destroy(last);
    return 0;
}

/* The audit entries written in one statement, in their order. */
static int write_audit(PGconn *c, long long insurer_id, const char *user, const json_t *audit, minca_err *err)
{
    char *audit_text = json_dumps(audit, JSON_COMPACT);
    store_params a = {0};
    store_param_ll(&a, insurer_id);
    store_param_text(&a, user);
    store_param_text(&a, audit_text);
    store_param_text(&a, store_audit_os_login());
    int rc = store_exec_p(c, err,
                          "INSERT INTO audit_log (insurer_id, actor, action, entity, entity_id, details, os_login)"
                          " SELECT $1::bigint, $2, e.value->>'action', 'vehicle_row', e.value->>'entity_id',"
                          "        e.value->'details', $4"
                          "   FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(value, ord) ORDER BY e.ord",
                          &a);
    free(audit_text);
    return rc;
}

int store_review_decide_many(PGconn *c, long long insurer_id, const char *user, const char *group,
                             const store_review_decision *d, size_t n, minca_err *err)
{
    if (n == 0)
        return 0;
    int rc = -1;
    char *doc = decisions_json(d, n);
    PGresult *r = NULL;
    GHashTable *by_row = g_hash_table_new(g_int64_hash, g_int64_equal);    /* row -> its correction id */
    GHashTable *in_force = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_decref);
    json_t *audit = json_array();
    long long *corr = g_new0(long long, n);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, doc);
    store_param_text(&p, user);
    /* The matches, as store_review_match_decide writes one. */
    if (store_exec_p(c, err,
                     "UPDATE matches x SET cvegs = d.cvegs, year = d.year, decision = d.decision, reviewed_by = $3,"
                     "       reviewed_at = now(), updated_at = now(),"
                     "       catalog_version_id = coalesce(nullif(d.catver, 0), x.catalog_version_id),"
                     "       confidence = CASE WHEN d.cvegs IS NULL OR d.decision = 'accepted'"
                     "         OR (d.cvegs = x.cvegs AND d.year = x.year) THEN x.confidence END"
                     "  FROM jsonb_to_recordset($2::jsonb) AS d(row_id bigint, cvegs text, year int, decision text,"
                     "       catver bigint)"
                     " WHERE x.vehicle_row_id = d.row_id AND x.insurer_id = $1::bigint",
                     &p) < 0)
        goto done;
    /* The corrections in force for the descriptions go, and one correction a row comes, in the
     * rows' order (ids follow it). */
    r = store_query_p(c, err,
                      "WITH d AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS d(ord int, row_id bigint, norm_key text,"
                      "                 cvegs text, year int, broker_id bigint)),"
                      " old AS (UPDATE corrections SET revoked_by = $3, revoked_at = now()"
                      "          WHERE insurer_id = $1::bigint AND revoked_at IS NULL"
                      "            AND norm_key IN (SELECT norm_key FROM d) RETURNING id, norm_key),"
                      /* one in force per description: the last row's; the others are written
                       * revoked, as the row after each revoked it */
                      " new AS (INSERT INTO corrections (insurer_id, norm_key, cvegs, year, source_vehicle_row_id,"
                      "          created_by, broker_id, revoked_by, revoked_at)"
                      "         SELECT $1::bigint, d.norm_key, d.cvegs, d.year, d.row_id, $3,"
                      "                CASE WHEN coalesce((i.settings->>'corrections_per_broker')::boolean, false)"
                      "                     THEN nullif(d.broker_id, 0) END,"
                      "                CASE WHEN NOT d.last THEN $3 END, CASE WHEN NOT d.last THEN now() END"
                      "           FROM (SELECT d.*, d.ord = max(d.ord) OVER (PARTITION BY d.norm_key) AS last FROM d) d"
                      "           JOIN insurers i ON i.id = $1::bigint ORDER BY d.ord"
                      "         RETURNING id, source_vehicle_row_id)"
                      " SELECT 'old', id, norm_key FROM old UNION ALL SELECT 'new', id, source_vehicle_row_id::text FROM new"
                      " ORDER BY 1, 2",
                      &p);
    if (!r)
        goto done;
    read_corrections(r, in_force, by_row);
    if (audit_decisions(d, n, group, by_row, in_force, corr, audit, err) < 0)
        goto done;
    rc = write_audit(c, insurer_id, user, audit, err);
done:
    PQclear(r);
    g_free(doc);
    g_free(corr);
    json_decref(audit);
    g_hash_table_destroy(in_force);
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, by_row);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_free(k);
    g_hash_table_destroy(by_row);
    return rc;
}

/* ---- decisions held across a re-run -------------------------------------------------------- */

int store_review_case_reviewed(PGconn *c, long long insurer_id, long long case_id, int *decisions, int *notes,
                               int *rows, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT count(*) FILTER (WHERE x.reviewed_by IS NOT NULL),"
                                "       count(*) FILTER (WHERE x.note IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log a"
                                "          WHERE a.entity = 'vehicle_row' AND a.entity_id = v.id::text"
                                "            AND a.action IN ('review.note', 'review.kept'))) AS noted,"
                                "       count(*) FILTER (WHERE x.reviewed_by IS NOT NULL OR x.note IS NOT NULL AND EXISTS"
                                "         (SELECT 1 FROM audit_log a WHERE a.entity = 'vehicle_row' AND a.entity_id = v.id::text"
                                "            AND a.action IN ('review.note', 'review.kept')))"
                                "  FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"
                                " WHERE v.insurer_id = $1::bigint AND v.case_id = $2::bigint",
                                &p);
    if (!r)
        return -1;
    *decisions = store_get_int(r, 0, 0);
    *notes = store_get_int(r, 0, 1);
    *rows = store_get_int(r, 0, 2);
    PQclear(r);
    return 0;
}

int store_review_carryover_pending(PGconn *c, long long insurer_id, long long case_id,
                                   store_review_carryover_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    /* Only once the case is read and codified again: before that every row is still coming. */
    return store_review_carryover_list_query(c,
                              "SELECT r.id, r.inciso, r.source_sheet, r.source_row, r.description, r.cvegs, r.year,"
                              "       r.decision, r.note, r.reviewed_by"
                              "  FROM review_carryover r JOIN cases k ON k.id = r.case_id"
                              " WHERE r.insurer_id = $1::bigint AND r.case_id = $2::bigint"
                              "   AND r.restored_at IS NULL AND r.discarded_at IS NULL"
                              "   AND k.status NOT IN ('extracting', 'codifying')"
                              " ORDER BY r.source_row, r.id",
                              &p, out, err);
}

int store_review_carryover_discard(PGconn *c, long long insurer_id, long long case_id, const char *user,
                                   store_review_carryover_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    store_param_text(&p, user);
    return store_review_carryover_list_query(c,
                              "UPDATE review_carryover SET discarded_at = now(), discarded_by = $3"
                              " WHERE insurer_id = $1::bigint AND case_id = $2::bigint"
                              "   AND restored_at IS NULL AND discarded_at IS NULL"
                              " RETURNING id, inciso, source_sheet, source_row, description, cvegs, year, decision, note,"
                              "           reviewed_by",
                              &p, out, err);
}
