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
    free(row->marca);
    free(row->submarca);
    free(row->description);
    memset(row, 0, sizeof *row);
}

/* Columns col.. of r: marca, submarca, year, description. */
static void row_fill(store_review_row *row, PGresult *r, int col)
{
    row->marca = strdup(PQgetvalue(r, 0, col));
    row->submarca = strdup(PQgetvalue(r, 0, col + 1));
    row->year = store_get_int(r, 0, col + 2);
    row->description = strdup(PQgetvalue(r, 0, col + 3));
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

json_t *store_review_corrections_revoke_key(PGconn *c, long long insurer_id, const char *norm_key, const char *user,
                                            minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, norm_key);
    store_param_text(&p, user);
    PGresult *r = store_query_p(c, err,
                                "UPDATE corrections SET revoked_by = $3, revoked_at = now()"
                                " WHERE insurer_id = $1::bigint AND norm_key = $2 AND revoked_at IS NULL"
                                " RETURNING id",
                                &p);
    if (!r)
        return NULL;
    json_t *ids = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(ids, json_integer(store_get_ll(r, i, 0)));
    PQclear(r);
    return ids;
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
    char *list = ids ? json_dumps(ids, JSON_COMPACT) : strdup("[]");
    store_params p = {0};
    store_param_text(&p, list);
    int rc = store_exec_p(c, err,
                          "UPDATE corrections SET revoked_by = NULL, revoked_at = NULL"
                          " WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)",
                          &p);
    free(list);
    return rc;
}

json_t *store_review_corrections_list(PGconn *c, long long insurer_id, bool include_revoked, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_bool(&p, include_revoked);
    return store_query_json_p(c, err,
                              "SELECT id, norm_key, cvegs, year, created_by,"
                              "       to_char(created_at, 'YYYY-MM-DD HH24:MI') AS created_at, revoked_by,"
                              "       to_char(revoked_at, 'YYYY-MM-DD HH24:MI') AS revoked_at"
                              "  FROM corrections WHERE insurer_id = $1::bigint AND ($2::boolean OR revoked_at IS NULL)"
                              " ORDER BY id DESC",
                              &p);
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

json_t *store_review_group_decisions(PGconn *c, long long insurer_id, const char *user, const char *group,
                                     minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, user);
    store_param_text(&p, group);
    return store_query_json_p(c, err,
                              "SELECT a.id, a.details FROM audit_log a"
                              " WHERE a.insurer_id = $1::bigint AND a.actor = $2 AND a.details->>'group' = $3"
                              "   AND a.action IN ('review.accept', 'review.pick', 'review.no_match')"
                              "   AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.action = 'review.undo'"
                              "                    AND (u.details->>'undoes')::bigint = a.id)"
                              " ORDER BY a.id DESC",
                              &p);
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

json_t *store_review_case_rows_named(PGconn *c, long long case_id, store_review_row_by by, const char *key,
                                     const char *file, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_text(&p, key);
    store_param_text(&p, by == STORE_REVIEW_ROW_BY_ID ? "id" : by == STORE_REVIEW_ROW_BY_FILE ? "file" : "inciso");
    store_param_text(&p, file ? file : "");
    return store_query_json_p(c, err,
                              "SELECT v.id, coalesce(a.filename, v.source_sheet, '?') AS file, a.ordinal"
                              "  FROM vehicle_rows v LEFT JOIN attachments a ON a.id = v.attachment_id"
                              " WHERE v.case_id = $1::bigint"
                              "   AND CASE $3 WHEN 'id' THEN v.id = $2::bigint"
                              "       ELSE v.inciso = $2::int AND ($3 = 'inciso' OR lower(a.filename) = lower($4)"
                              "            OR a.ordinal::text = $4 OR lower(v.source_sheet) = lower($4)) END"
                              " ORDER BY v.id LIMIT 20",
                              &p);
}

json_t *store_review_undecided_rows(PGconn *c, long long insurer_id, long long row_id, long long case_id,
                                    const char *norm_key, bool across_cases, minca_err *err)
{
    /* Undecided: the codifier left it to a person (review, or no key) and nobody decided it.
     * Within the case every row is compared (rows codified before norm_key was kept too);
     * across cases the stored key finds them through its index. */
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r;
    if (!across_cases) {
        store_param_ll(&p, case_id);
        store_param_ll(&p, row_id);
        r = store_query_p(c, err,
                          "SELECT v.id, v.case_id, k.cot, coalesce(v.inciso, 0), v.marca, v.submarca, coalesce(v.year, 0),"
                          "       v.description, " SQL_MATCH_VERSION("x")
                          "  FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id JOIN cases k ON k.id = v.case_id"
                          " WHERE v.insurer_id = $1::bigint AND v.case_id = $2::bigint AND v.id <> $3::bigint"
                          "   AND x.decision IN ('needs_review', 'no_match') AND x.reviewed_by IS NULL"
                          " ORDER BY v.id",
                          &p);
    } else {
        store_param_ll(&p, case_id);
        store_param_text(&p, norm_key);
        r = store_query_p(c, err,
                          "SELECT v.id, v.case_id, k.cot, coalesce(v.inciso, 0), v.marca, v.submarca, coalesce(v.year, 0),"
                          "       v.description, " SQL_MATCH_VERSION("x")
                          "  FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id"
                          " WHERE x.insurer_id = $1::bigint AND x.norm_key = $3 AND v.case_id <> $2::bigint"
                          "   AND x.decision IN ('needs_review', 'no_match') AND x.reviewed_by IS NULL"
                          "   AND k.status NOT IN ('exported', 'error')"
                          " ORDER BY v.case_id, v.id",
                          &p);
    }
    if (!r)
        return NULL;
    json_t *out = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(out, json_pack("{s:I, s:I, s:s, s:i, s:s, s:s, s:i, s:s, s:s}", "id",
                                             (json_int_t)store_get_ll(r, i, 0), "case_id",
                                             (json_int_t)store_get_ll(r, i, 1), "cot", PQgetvalue(r, i, 2),
                                             "inciso", store_get_int(r, i, 3), "marca", PQgetvalue(r, i, 4),
                                             "submarca", PQgetvalue(r, i, 5), "year", store_get_int(r, i, 6),
                                             "description", PQgetvalue(r, i, 7), "version", PQgetvalue(r, i, 8)));
    PQclear(r);
    return out;
}

long long *store_review_rows_lock_order(PGconn *c, long long insurer_id, const long long *ids, size_t n, size_t *m,
                                        minca_err *err)
{
    *m = 0;
    GString *list = g_string_new("{");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(list, "%s%lld", i ? "," : "", ids[i]);
    g_string_append_c(list, '}');
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, list->str);
    PGresult *r = store_query_p(c, err,
                                "SELECT id FROM vehicle_rows WHERE insurer_id = $1::bigint AND id = ANY($2::bigint[])"
                                " ORDER BY case_id, id",
                                &p);
    g_string_free(list, TRUE);
    if (!r)
        return NULL;
    int rows = PQntuples(r);
    long long *order = malloc(sizeof *order * (size_t)(rows > 0 ? rows : 1));
    if (!order) {
        PQclear(r);
        minca_err_set(err, "out of memory");
        return NULL;
    }
    for (int i = 0; i < rows; i++)
        order[i] = store_get_ll(r, i, 0);
    *m = (size_t)rows;
    PQclear(r);
    return order;
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

json_t *store_review_carryover_pending(PGconn *c, long long insurer_id, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    /* Only once the case is read and codified again: before that every row is still coming. */
    return store_query_json_p(c, err,
                              "SELECT r.id, r.inciso, r.source_sheet, r.source_row, r.description, r.cvegs, r.year,"
                              "       r.decision, r.note, r.reviewed_by"
                              "  FROM review_carryover r JOIN cases k ON k.id = r.case_id"
                              " WHERE r.insurer_id = $1::bigint AND r.case_id = $2::bigint"
                              "   AND r.restored_at IS NULL AND r.discarded_at IS NULL"
                              "   AND k.status NOT IN ('extracting', 'codifying')"
                              " ORDER BY r.source_row, r.id",
                              &p);
}

json_t *store_review_carryover_discard(PGconn *c, long long insurer_id, long long case_id, const char *user,
                                       minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    store_param_text(&p, user);
    return store_query_json_p(c, err,
                              "UPDATE review_carryover SET discarded_at = now(), discarded_by = $3"
                              " WHERE insurer_id = $1::bigint AND case_id = $2::bigint"
                              "   AND restored_at IS NULL AND discarded_at IS NULL"
                              " RETURNING id, inciso, source_row, description, cvegs, year, decision, note, reviewed_by",
                              &p);
}
