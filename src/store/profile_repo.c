/* Broker profiles in the database, the brokers and domains they bind, and re-running a case. */
#include <glib.h>
#include "minca/store_profile.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_profile_broker_ensure(PGconn *c, long long insurer_id, const char *name, long long *broker_id,
                                minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, name);
    PGresult *r = store_query_p(c, err,
                                "INSERT INTO brokers (insurer_id, name) VALUES ($1::bigint, $2)"
                                " ON CONFLICT (insurer_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                                &p);
    if (!r)
        return -1;
    *broker_id = store_get_ll(r, 0, 0);
    PQclear(r);
    return 0;
}

int store_profile_domain_bind(PGconn *c, long long insurer_id, const char *domain, long long broker_id,
                              minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, domain);
    store_param_ll(&p, broker_id);
    return store_exec_p(c, err,
                        "INSERT INTO broker_domains (insurer_id, domain, broker_id) VALUES ($1::bigint, $2, $3::bigint)"
                        " ON CONFLICT (insurer_id, domain) DO UPDATE SET broker_id = EXCLUDED.broker_id",
                        &p);
}

int store_profile_add_version(PGconn *c, long long insurer_id, long long broker_id, const char *name,
                              const char *yaml, const char *author, long long *id, int *version, minca_err *err)
{
    store_params pn = {0};
    store_param_ll(&pn, insurer_id);
    store_param_text(&pn, name);
    if (store_exec_p(c, err, "SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))", &pn) < 0 ||
        store_exec_p(c, err,
                     "UPDATE broker_profiles SET active = false WHERE insurer_id = $1::bigint AND name = $2 AND active",
                     &pn) < 0)
        return -1;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_id(&p, broker_id);
    store_param_text(&p, name);
    store_param_text(&p, yaml);
    store_param_text(&p, author);
    PGresult *r = store_query_p(c, err,
                                "INSERT INTO broker_profiles (insurer_id, broker_id, name, version, yaml, author, active)"
                                " SELECT $1::bigint, $2::bigint, $3, coalesce(max(version), 0) + 1, $4, $5, true"
                                "   FROM broker_profiles WHERE insurer_id = $1::bigint AND name = $3"
                                " RETURNING id, version",
                                &p);
    if (!r)
        return -1;
    *id = store_get_ll(r, 0, 0);
    *version = store_get_int(r, 0, 1);
    PQclear(r);
    return 0;
}

STORE_ROW_READER(store_profile_version, STORE_PROFILE_VERSION_COLUMNS)

int store_profile_list(PGconn *c, long long insurer_id, store_profile_version_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    return store_profile_version_list_query(c,
                              "SELECT p.id, p.name, p.version, p.active, p.author, b.name AS broker,"
                              "       to_char(p.created_at, 'YYYY-MM-DD HH24:MI') AS created_at,"
                              "       (SELECT string_agg(d.domain, ', ' ORDER BY d.domain) FROM broker_domains d"
                              "         WHERE d.broker_id = p.broker_id) AS domains"
                              "  FROM broker_profiles p LEFT JOIN brokers b ON b.id = p.broker_id"
                              " WHERE p.insurer_id = $1::bigint ORDER BY p.name, p.version DESC",
                              &p, out, err);
}

int store_profile_active(PGconn *c, long long insurer_id, const char *name, char **yaml, int *version,
                         minca_err *err)
{
    *yaml = NULL;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, name);
    PGresult *r = store_query_p(c, err,
                                "SELECT yaml, version FROM broker_profiles"
                                " WHERE insurer_id = $1::bigint AND name = $2 AND active",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        *yaml = g_strdup(PQgetvalue(r, 0, 0));
        if (version)
            *version = store_get_int(r, 0, 1);
    }
    PQclear(r);
    if (found && !*yaml)
        return minca_err_set(err, "out of memory");
    return found;
}

/* ---- re-running a case --------------------------------------------------------------------- */

int store_profile_rerun_lock_case(PGconn *c, long long insurer_id, long long case_id, bool *exported,
                                  long long *broker_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, case_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT CASE WHEN EXISTS (SELECT 1 FROM exports e WHERE e.case_id = k.id) THEN 'exported'"
                                "            ELSE k.status END, m.sender_domain, (SELECT d.broker_id FROM broker_domains d"
                                "   WHERE d.insurer_id = k.insurer_id AND d.domain = m.sender_domain)"
                                "  FROM cases k LEFT JOIN messages m ON m.id = k.message_id"
                                " WHERE k.insurer_id = $1::bigint AND k.id = $2::bigint FOR UPDATE OF k",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        *exported = strcmp(PQgetvalue(r, 0, 0), "exported") == 0;
        *broker_id = store_get_ll(r, 0, 2);
    }
    PQclear(r);
    return found;
}

int store_profile_rerun_reset(PGconn *c, long long case_id, long long broker_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_params pb = {0};
    store_param_ll(&pb, case_id);
    store_param_id(&pb, broker_id);
    /* Reviewers' decisions and notes are held, to come back on the rows that read the same
     * (restored by the codify step); a note counts when a person wrote it (audited). */
    if (store_exec_p(c, err,
                     "INSERT INTO review_carryover (insurer_id, case_id, attachment_id, source_sheet, source_row, content,"
                     " inciso, description, cvegs, year, decision, confidence, note, reviewed_by, reviewed_at)"
                     " SELECT v.insurer_id, v.case_id, v.attachment_id, v.source_sheet, v.source_row, minca_row_content(v),"
                     "        v.inciso, concat_ws(' ', v.marca, v.submarca, v.description),"
                     "        x.cvegs, x.year, CASE WHEN x.reviewed_by IS NOT NULL THEN x.decision END, x.confidence,"
                     "        CASE WHEN n.noted THEN x.note END, x.reviewed_by, x.reviewed_at"
                     "   FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"
                     "   CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM audit_log a WHERE a.entity = 'vehicle_row'"
                     "        AND a.entity_id = v.id::text AND a.action = 'review.note'"
                     "        OR a.entity = 'vehicle_row' AND a.entity_id = v.id::text AND a.action = 'review.kept'"
                     "           AND a.details->>'note' IS NOT NULL) AS noted) n"
                     "  WHERE v.case_id = $1::bigint AND (x.reviewed_by IS NOT NULL OR n.noted)",
                     &p) < 0 ||
        store_exec_p(c, err, "DELETE FROM vehicle_rows WHERE case_id = $1::bigint", &p) < 0 ||
        store_exec_p(c, err,
                     "UPDATE attachments SET status = 'stored', error = NULL, extraction = NULL"
                     " WHERE message_id = (SELECT coalesce(list_message_id, message_id) FROM cases WHERE id = $1::bigint)",
                     &p) < 0 ||
        store_exec_p(c, err,
                     "UPDATE cases SET status = 'extracting', status_reason = NULL, needs_profile = false,"
                     " broker_id = coalesce($2::bigint, broker_id), updated_at = now() WHERE id = $1::bigint",
                     &pb) < 0)
        return -1;
    return 0;
}
