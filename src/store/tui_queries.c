/* Read queries for the terminal desk (see minca/store_tui.h). */
#include "minca/store_tui.h"
#include "minca/core_vehicle.h"
#include "store_internal.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the desk says about a row waiting for a person, shared by the case's rows and the
 * review queue (match alias x): the version the key is told apart from (the runner-up, or
 * the top one when the runner-up was picked) and the two scores. */
#define SQL_CANDIDATE_SUMMARY                                                                    \
    " CASE WHEN x.candidates->1->>'cvegs' = x.cvegs THEN x.candidates->0->>'description'"        \
    "      ELSE x.candidates->1->>'description' END AS other_description,"                        \
    " (x.candidates->0->>'score')::float8 AS top_score, (x.candidates->1->>'score')::float8 AS runner_score,"

bool store_tui_connected(PGconn *c) { return c && PQstatus(c) == CONNECTION_OK; }

int store_tui_reconnect(PGconn *c)
{
    if (!c)
        return -1;
    PQreset(c);
    return PQstatus(c) == CONNECTION_OK && store_session_apply(c, NULL) == 0 ? 0 : -1;
}

void store_tui_close(PGconn *c)
{
    if (c)
        PQfinish(c);
}

json_t *store_tui_message_show(PGconn *c, long long insurer_id, long long message_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, message_id);
    json_t *rows = store_query_json_p(
        c, err,
        "SELECT m.id, m.source, m.source_name, m.source_ref, m.message_id, m.from_addr, m.from_name, m.to_addrs,"
        "       m.subject, m.status, m.error, m.problems, m.sender_domain,"
        "       to_char(" STORE_SQL_RECEIVED("m") ", 'YYYY-MM-DD HH24:MI:SS') AS received,"
        "       to_char(" STORE_SQL_LOCAL("m.sent_at", "m.insurer_id") ", 'YYYY-MM-DD HH24:MI:SS') AS sent,"
        "       m.body_text, (m.body_html IS NOT NULL) AS has_html,"
        "       b.name AS broker, k.cot, k.status AS case_status"
        "  FROM messages m LEFT JOIN cases k ON k.id = m.case_id"
        "  LEFT JOIN brokers b ON b.id = m.broker_id"
        " WHERE m.insurer_id = $1::bigint AND m.id = $2::bigint",
        &p);
    if (!rows)
        return NULL;
    if (json_array_size(rows) == 0) {
        json_decref(rows);
        minca_err_set(err, "no message %lld", message_id);
        return NULL;
    }
    json_t *msg = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    json_t *atts = store_query_json_p(
        c, err,
        "SELECT a.ordinal, a.filename, a.content_type, a.container, a.role, a.size, a.status,"
        "       a.error, a.extraction"
        "  FROM attachments a WHERE a.insurer_id = $1::bigint AND a.message_id = $2::bigint"
        " ORDER BY a.ordinal",
        &p);
    if (!atts) {
        json_decref(msg);
        return NULL;
    }
    json_object_set_new(msg, "attachments", atts);
    return msg;
}

json_t *store_tui_profile_list(PGconn *c, long long insurer_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    return store_query_json_p(
        c, err,
        "SELECT p.id, p.name, p.version, b.name AS broker, p.author, p.active,"
        "       to_char(p.created_at, 'YYYY-MM-DD HH24:MI') AS created, p.yaml,"
        "       (SELECT k.cot FROM cases k WHERE k.insurer_id = p.insurer_id AND k.broker_id = p.broker_id"
        "         ORDER BY k.created_at DESC, k.id DESC LIMIT 1) AS latest_cot"
        "  FROM broker_profiles p LEFT JOIN brokers b ON b.id = p.broker_id"
        " WHERE p.insurer_id = $1::bigint ORDER BY p.name, p.version DESC",
        &p);
}

int store_tui_change_stamp(PGconn *c, long long insurer_id, const char *cot, char *out, size_t outlen,
                           minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cot);
    /* Each part uses an index (insurer_id leading, or the case's rows by case_id). */
    PGresult *r = store_query_p(
        c, err,
        "SELECT concat_ws('|',"
        "  (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || count(*) FILTER (WHERE status <> 'received')"
        "     FROM messages WHERE insurer_id = $1::bigint),"
        "  (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(max(updated_at)::text, '')"
        "     FROM cases WHERE insurer_id = $1::bigint),"
        "  (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || count(*) FILTER (WHERE active)"
        "     FROM broker_profiles WHERE insurer_id = $1::bigint),"
        "  (SELECT count(*) || ':' || coalesce(sum(attempts), 0) || ':' || count(*) FILTER (WHERE state = 'sent')"
        "          || ':' || count(*) FILTER (WHERE state IN ('failing', 'uncertain'))"
        "     FROM outbox WHERE insurer_id = $1::bigint),"
        "  (SELECT count(v.id) || ':' || coalesce(max(x.updated_at)::text, '')"
        "     FROM cases k JOIN vehicle_rows v ON v.case_id = k.id"
        "     LEFT JOIN matches x ON x.vehicle_row_id = v.id"
        "    WHERE $2::text IS NOT NULL AND k.insurer_id = $1::bigint AND k.cot = $2))",
        &p);
    if (!r)
        return minca_err_prefix(err, "cannot read the change stamp");
    snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

json_t *store_tui_case_head(PGconn *c, long long insurer_id, const char *cot, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cot);
    json_t *rows = store_query_json_p(
        c, err,
        "SELECT k.id, k.cot, k.status, k.status_reason, k.client_name, k.rfc, k.contact, k.coverage,"
        "       k.payment_terms, k.uso, k.validity_start::text, k.validity_end::text,"
        "       k.preanalysis_status, k.missing_requirements, k.needs_profile, k.suggested, b.name AS broker,"
        "       m.id AS message_db_id, m.from_addr, m.from_name, m.subject, m.sender_domain,"
        "       (SELECT bp.name FROM broker_profiles bp WHERE bp.broker_id = k.broker_id AND bp.active"
        "         ORDER BY bp.version DESC LIMIT 1) AS profile_name,"
        "       (SELECT coalesce(sum((a.extraction->'report'->>'ignored_with_data')::int), 0)"
        "          FROM attachments a WHERE a.message_id = k.message_id) AS ignored_with_data,"
        "       (SELECT string_agg(DISTINCT a.extraction->'report'->>'resembles', ', ')"
        "          FROM attachments a WHERE a.message_id = k.message_id) AS resembles,"
        "       to_char(" STORE_SQL_LOCAL("coalesce(m.sent_at, m.received_at, k.created_at)", "k.insurer_id")
        ", 'YYYY-MM-DD HH24:MI') AS received_at"
        "  FROM cases k LEFT JOIN messages m ON m.id = k.message_id"
        "  LEFT JOIN brokers b ON b.id = k.broker_id"
        " WHERE k.insurer_id = $1::bigint AND k.cot = $2",
        &p);
    if (!rows)
        return NULL;
    json_t *head = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    if (!head)
        minca_err_set(err, "no case %s", cot);
    return head;
}

/* Every vehicle field held on the row, from the one field list (core_vehicle.h). */
#define CASE_ROW_FIELD(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) VEHICLE_IF_HELD(KIND, "v." #name ", ")

json_t *store_tui_case_rows(PGconn *c, long long insurer_id, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    /* The key's catalog text comes from the version the match was made against, else the
     * active one; catalog_entries_key (version, cvegs, modelo) serves each lookup. */
    return store_query_json_p(
        c, err,
        "SELECT v.id, v.source_sheet, v.source_row, " VEHICLE_FIELDS(CASE_ROW_FIELD) " v.issues, v.extra_cells,"
        "       x.cvegs, x.year AS match_year, x.confidence, x.decision, x.note, x.reviewed_by,"
        "       to_char(x.reviewed_at, 'YYYY-MM-DD HH24:MI') AS reviewed_at,"
        "       " SQL_MATCH_VERSION("x") " AS version,"
        "       ce.marca AS key_marca, ce.submarca AS key_submarca, ce.descveh AS key_description,"
        /* What the review desk says about an open row: the top candidate's evidence, and the
         * version the key is told apart from (the runner-up, or the top one when the runner-up
         * was picked). */
        "       CASE WHEN x.reviewed_by IS NULL AND x.decision IN ('needs_review', 'no_match')"
        "            THEN x.candidates->0 END AS top_candidate,"
        SQL_CANDIDATE_SUMMARY
        "       jsonb_array_length(coalesce(x.candidates, '[]'::jsonb)) AS n_candidates,"
        "       a.filename AS source_file"
        "  FROM vehicle_rows v LEFT JOIN matches x ON x.vehicle_row_id = v.id"
        "  LEFT JOIN attachments a ON a.id = v.attachment_id"
        "  LEFT JOIN LATERAL (SELECT e.marca, e.submarca, e.descveh FROM catalog_entries e"
        "     WHERE e.catalog_version_id = coalesce(x.catalog_version_id,"
        "             (SELECT cv.id FROM catalog_versions cv WHERE cv.insurer_id = $1::bigint AND cv.active))"
        "       AND e.cvegs = x.cvegs AND e.modelo = x.year LIMIT 1) ce ON x.cvegs IS NOT NULL"
        " WHERE v.insurer_id = $1::bigint AND v.case_id = $2::bigint"
        " ORDER BY v.attachment_id NULLS FIRST, v.source_sheet, v.source_row, v.id",
        &p);
}

json_t *store_tui_row_candidates(PGconn *c, long long insurer_id, long long row_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, row_id);
    json_t *rows = store_query_json_p(
        c, err,
        "SELECT v.id, v.inciso, v.marca, v.submarca, v.year, v.description, x.cvegs, x.year AS match_year,"
        "       x.decision, x.confidence, x.reviewed_by, coalesce(x.candidates, '[]'::jsonb) AS candidates, x.model_note,"
        "       " SQL_MATCH_VERSION("x") " AS version"
        "  FROM vehicle_rows v LEFT JOIN matches x ON x.vehicle_row_id = v.id"
        " WHERE v.insurer_id = $1::bigint AND v.id = $2::bigint",
        &p);
    if (!rows)
        return NULL;
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    if (!row)
        minca_err_set(err, "no vehicle row %lld", row_id);
    return row;
}

/* Words of the query for LIKE, upper-cased: LIKE's own characters escaped, a year word apart. */
static char *search_words(const char *query, char *year, size_t yearlen)
{
    GString *words = g_string_new(NULL);
    year[0] = '\0';
    gchar **parts = g_strsplit_set(query, " \t", -1);
    for (gchar **w = parts; *w; w++) {
        if (!**w)
            continue;
        size_t n = strlen(*w);
        if (n == 4 && g_ascii_isdigit((*w)[0]) && g_ascii_isdigit((*w)[1]) && g_ascii_isdigit((*w)[2]) &&
            g_ascii_isdigit((*w)[3]) && vehicle_year_valid(atoi(*w)) && !year[0]) {
            snprintf(year, yearlen, "%s", *w);
            continue;
        }
        if (words->len)
            g_string_append_c(words, '\n');
        gchar *upper = g_utf8_strup(*w, -1); /* compared with the upper-cased catalog text */
        for (const char *q = upper; *q; q++) {
            if (*q == '%' || *q == '_' || *q == '\\')
                g_string_append_c(words, '\\');
            g_string_append_c(words, *q);
        }
        g_free(upper);
    }
    g_strfreev(parts);
    return g_string_free(words, FALSE);
}

json_t *store_tui_catalog_search(PGconn *c, long long insurer_id, const char *query, int limit, minca_err *err)
{
    char year[8];
    char *words = search_words(query ? query : "", year, sizeof year);
    if (!*words && !*year) {
        g_free(words);
        return json_array();
    }
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, *year ? year : NULL);
    store_param_text(&p, words);
    store_param_ll(&p, limit > 0 ? limit : 200);
    /* The active version's rows only (its id leads the primary key and the year index of
     * migration 004, so a typed year narrows through the index); each word is a plain LIKE
     * on the upper-cased text, no trigram index needed at catalog sizes (tens of thousands
     * of rows). Entries whose brand starts with the first word come first. */
    json_t *rows = store_query_json_p(
        c, err,
        "WITH w AS (SELECT coalesce(array_agg('%' || t || '%'), '{}') AS pats, (array_agg(t))[1] AS first"
        "             FROM unnest(string_to_array($3, E'\\n')) t WHERE t <> '')"
        " SELECT e.cvegs, e.modelo AS year, e.marca, e.submarca, e.descveh"
        "   FROM catalog_entries e, w"
        "  WHERE e.catalog_version_id = (SELECT cv.id FROM catalog_versions cv"
        "                                 WHERE cv.insurer_id = $1::bigint AND cv.active)"
        "    AND ($2::int IS NULL OR e.modelo = $2::int)"
        "    AND upper(e.marca || ' ' || e.submarca || ' ' || e.descveh || ' ' || e.cvegs) LIKE ALL (w.pats)"
        "  ORDER BY (upper(e.marca) LIKE w.first || '%') DESC NULLS LAST,"
        "           e.marca, e.submarca, e.modelo DESC, e.descveh, e.cvegs"
        "  LIMIT $4::int",
        &p);
    g_free(words);
    return rows;
}

json_t *store_tui_case_sheets(PGconn *c, long long insurer_id, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    return store_query_json_p(
        c, err,
        "SELECT a.id, a.ordinal, a.filename, a.sha256, a.status, a.error"
        "  FROM attachments a JOIN cases k ON coalesce(k.list_message_id, k.message_id) = a.message_id"
        " WHERE k.insurer_id = $1::bigint AND k.id = $2::bigint AND a.role IS DISTINCT FROM 'inline_signature_image'"
        " ORDER BY a.ordinal",
        &p);
}

json_t *store_tui_review_keys(PGconn *c, long long insurer_id, const char *user, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, user ? user : "");
    /* One line per stored key (matches_review_queue serves the scan): the rows a decision
     * would settle and how many of them have each proposal. */
    return store_query_json_p(
        c, err,
        "WITH open AS ("
        "  SELECT x.vehicle_row_id, x.norm_key, x.cvegs || '/' || x.year AS proposal, x.confidence, v.case_id,"
        "         k.assignee, k.due_at"
        "    FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id"
        "   WHERE x.insurer_id = $1::bigint AND x.decision = 'needs_review' AND x.reviewed_by IS NULL"
        "     AND x.norm_key IS NOT NULL AND k.status NOT IN ('exported', 'error')),"
        " by_key AS ("
        "  SELECT norm_key, jsonb_object_agg(proposal, n) AS proposals FROM ("
        "    SELECT norm_key, proposal, count(*) AS n FROM open WHERE proposal IS NOT NULL"
        "     GROUP BY norm_key, proposal) b GROUP BY norm_key),"
        " lines AS ("
        "  SELECT o.norm_key, count(*) AS n_rows, to_jsonb(array_agg(DISTINCT o.case_id)) AS case_ids,"
        "         min(o.vehicle_row_id) AS sample_row_id, min(o.confidence) AS min_conf, max(o.confidence) AS max_conf,"
        "         coalesce(bool_or(o.assignee = $2), false) AS mine,"
        "         extract(epoch FROM min(o.due_at))::float8 AS due_epoch"
        "    FROM open o GROUP BY o.norm_key)"
        /* the proposals per key joined once, not looked up per line in the rows of every key */
        " SELECT l.norm_key, l.n_rows, l.case_ids, l.sample_row_id, l.min_conf, l.max_conf,"
        "        coalesce(k.proposals, '{}') AS proposals, l.mine, l.due_epoch"
        "   FROM lines l LEFT JOIN by_key k ON k.norm_key = l.norm_key ORDER BY l.norm_key",
        &p);
}

json_t *store_tui_review_samples(PGconn *c, long long insurer_id, json_t *samples, minca_err *err)
{
    char *list = json_dumps(samples, JSON_COMPACT);
    if (!list) {
        minca_err_set(err, "cannot list the queue's lines");
        return NULL;
    }
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, list);
    json_t *out = store_query_json_p(
        c, err,
        "SELECT s.ord, coalesce(nullif(v.description, ''), concat_ws(' ', v.marca, v.submarca)) AS description,"
        "       v.marca, v.submarca, v.year AS row_year, k.cot AS sample_cot, x.candidates->0 AS top_candidate,"
        SQL_CANDIDATE_SUMMARY
        "       jsonb_array_length(x.candidates) AS n_candidates,"
        "       (SELECT concat_ws(' ', e.marca, e.submarca, e.descveh) FROM catalog_entries e"
        "         WHERE e.catalog_version_id = x.catalog_version_id AND e.cvegs = s.cvegs AND e.modelo = s.year"
        "         LIMIT 1) AS key_text"
        "  FROM jsonb_to_recordset($2::jsonb) AS s(ord int, row_id bigint, cvegs text, year int)"
        "  JOIN vehicle_rows v ON v.id = s.row_id JOIN matches x ON x.vehicle_row_id = v.id"
        "  JOIN cases k ON k.id = v.case_id"
        " WHERE v.insurer_id = $1::bigint ORDER BY s.ord",
        &p);
    free(list);
    return out;
}

json_t *store_tui_review_group_rows(PGconn *c, long long insurer_id, json_t *norm_keys, minca_err *err)
{
    char *list = json_dumps(norm_keys, JSON_COMPACT);
    if (!list) {
        minca_err_set(err, "cannot list the line's descriptions");
        return NULL;
    }
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, list);
    json_t *out = store_query_json_p(
        c, err,
        "SELECT x.vehicle_row_id AS id, v.case_id, " SQL_MATCH_VERSION("x") " AS version FROM matches x"
        "  JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id"
        " WHERE x.insurer_id = $1::bigint AND x.norm_key IN (SELECT jsonb_array_elements_text($2::jsonb))"
        "   AND x.decision = 'needs_review' AND x.reviewed_by IS NULL AND k.status NOT IN ('exported', 'error')"
        " ORDER BY v.case_id, x.vehicle_row_id",
        &p);
    free(list);
    return out;
}

char *store_tui_insurer_slugs(PGconn *c, minca_err *err)
{
    PGresult *r = store_query(c, err, "SELECT coalesce(string_agg(slug, ', ' ORDER BY slug), '') FROM insurers", 0, NULL);
    if (!r)
        return NULL;
    char *out = g_strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

json_t *store_tui_broker_open_cases(PGconn *c, long long insurer_id, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    return store_query_json_p(c, err,
                            "SELECT o.id, o.cot FROM cases k JOIN cases o ON o.insurer_id = k.insurer_id"
                            "   AND o.broker_id = k.broker_id AND o.id <> k.id"
                            " WHERE k.insurer_id = $1::bigint AND k.id = $2::bigint"
                            "   AND o.status IN ('review', 'ready', 'error')"
                            "   AND NOT EXISTS (SELECT 1 FROM exports e WHERE e.case_id = o.id)"
                            " ORDER BY o.id",
                            &p);
}
