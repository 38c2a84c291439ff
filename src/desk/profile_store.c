/* Broker profiles in the database, and re-running a case with them. */
#include "minca/access.h"
#include "minca/profile.h"
#include "minca/profile_store.h"
#include "minca/queue.h"
#include "minca/steps.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bind_domain(PGconn *c, const char *ins, const char *broker_id, const char *domain, minca_err *err)
{
    char *lower = g_ascii_strdown(domain, -1);
    const char *p[] = {ins, lower, broker_id};
    int rc = store_exec(c, err,
                        "INSERT INTO broker_domains (insurer_id, domain, broker_id) VALUES ($1::bigint, $2, $3::bigint)"
                        " ON CONFLICT (insurer_id, domain) DO UPDATE SET broker_id = EXCLUDED.broker_id",
                        3, p);
    g_free(lower);
    return rc;
}

int profile_store_save(PGconn *c, long long insurer_id, const char *yaml, const char *domain, const char *author,
                       profile_saved *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    if (access_require(c, insurer_id, ACCESS_EDIT_PROFILE, err) < 0)
        return -1;
    memset(out, 0, sizeof *out);
    profile *pr = NULL;
    if (profile_load_string(yaml, strlen(yaml), "new profile", &pr, err) < 0)
        return -1;
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *name = profile_name(pr);
    const char *broker_name = *profile_description(pr) ? profile_description(pr) : name;
    const char *const *domains = NULL;
    int nd = profile_domains(pr, &domains);
    char broker_id[32] = "";
    int rc = -1;
    if (store_begin(c, err) < 0)
        goto done;
    if (nd > 0 || !core_str_empty(domain)) {
        const char *pb[] = {ins, broker_name};
        PGresult *r = store_query(c, err,
                                  "INSERT INTO brokers (insurer_id, name) VALUES ($1::bigint, $2)"
                                  " ON CONFLICT (insurer_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                                  2, pb);
        if (!r)
            goto fail;
        snprintf(broker_id, sizeof broker_id, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        for (int i = 0; i < nd; i++)
            if (bind_domain(c, ins, broker_id, domains[i], err) < 0)
                goto fail;
        if (!core_str_empty(domain) && bind_domain(c, ins, broker_id, domain, err) < 0)
            goto fail;
        out->broker_id = strtoll(broker_id, NULL, 10);
    }
    const char *pn[] = {ins, name};
    if (store_exec(c, err, "SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))", 2, pn) < 0 ||
        store_exec(c, err, "UPDATE broker_profiles SET active = false WHERE insurer_id = $1::bigint AND name = $2 AND active",
                   2, pn) < 0)
        goto fail;
    const char *pi[] = {ins, broker_id[0] ? broker_id : NULL, name, yaml, author};
    PGresult *r = store_query(c, err,
                              "INSERT INTO broker_profiles (insurer_id, broker_id, name, version, yaml, author, active)"
                              " SELECT $1::bigint, $2::bigint, $3, coalesce(max(version), 0) + 1, $4, $5, true"
                              "   FROM broker_profiles WHERE insurer_id = $1::bigint AND name = $3"
                              " RETURNING id, version",
                              5, pi);
    if (!r)
        goto fail;
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    out->version = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    char pid[32];
    snprintf(pid, sizeof pid, "%lld", out->id);
    json_t *details = json_pack("{s:s, s:i, s:s?}", "name", name, "version", out->version, "domain", domain);
    int arc = store_audit(c, insurer_id, author, "profile.save", "broker_profile", pid, details, err);
    json_decref(details);
    if (arc < 0 || store_commit(c, err) < 0)
        goto fail;
    rc = 0;
    goto done;
fail:
    store_rollback(c);
done:
    profile_free(pr);
    return rc;
}

json_t *profile_store_list(PGconn *c, long long insurer_id, minca_err *err)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins};
    return store_query_json(c, err,
                            "SELECT p.id, p.name, p.version, p.active, p.author, b.name AS broker,"
                            "       to_char(p.created_at, 'YYYY-MM-DD HH24:MI') AS created_at,"
                            "       (SELECT string_agg(d.domain, ', ' ORDER BY d.domain) FROM broker_domains d"
                            "         WHERE d.broker_id = p.broker_id) AS domains"
                            "  FROM broker_profiles p LEFT JOIN brokers b ON b.id = p.broker_id"
                            " WHERE p.insurer_id = $1::bigint ORDER BY p.name, p.version DESC",
                            1, p);
}

char *profile_store_get(PGconn *c, long long insurer_id, const char *name, int *version, minca_err *err)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins, name};
    PGresult *r = store_query(c, err,
                              "SELECT yaml, version FROM broker_profiles WHERE insurer_id = $1::bigint AND name = $2 AND active",
                              2, p);
    if (!r)
        return NULL;
    char *yaml = NULL;
    if (PQntuples(r) == 0)
        minca_err_set(err, "no stored profile '%s'", name);
    else {
        yaml = strdup(PQgetvalue(r, 0, 0));
        if (version)
            *version = atoi(PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return yaml;
}

int profile_store_rerun_case(PGconn *c, long long insurer_id, long long case_id, const char *user,
                             const char *batch_id, long long *job_id, minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_RERUN, err) < 0)
        return -1;
    char ins[32], cid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {ins, cid};
    if (store_begin(c, err) < 0)
        return -1;
    PGresult *r = store_query(c, err,
                              "SELECT CASE WHEN EXISTS (SELECT 1 FROM exports e WHERE e.case_id = k.id) THEN 'exported'"
                              "            ELSE k.status END, m.sender_domain, (SELECT d.broker_id FROM broker_domains d"
                              "   WHERE d.insurer_id = k.insurer_id AND d.domain = m.sender_domain)"
                              "  FROM cases k LEFT JOIN messages m ON m.id = k.message_id"
                              " WHERE k.insurer_id = $1::bigint AND k.id = $2::bigint FOR UPDATE OF k",
                              2, p);
    if (!r)
        goto fail;
    if (PQntuples(r) == 0) {
        PQclear(r);
        minca_err_set(err, "no case %lld", case_id);
        goto fail;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "exported") == 0) {
        PQclear(r);
        minca_err_set(err, "the case was exported; its rows are kept as they were sent");
        goto fail;
    }
    char broker[32];
    snprintf(broker, sizeof broker, "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    const char *pb[] = {cid, broker[0] ? broker : NULL};
    /* Reviewers' decisions and notes are held, to come back on the rows that read the same
     * (restored by the codify step); a note counts when a person wrote it (audited). */
    if (store_exec(c, err,
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
                   1, p + 1) < 0 ||
        store_exec(c, err, "DELETE FROM vehicle_rows WHERE case_id = $1::bigint", 1, p + 1) < 0 ||
        store_exec(c, err,
                   "UPDATE attachments SET status = 'stored', error = NULL, extraction = NULL"
                   " WHERE message_id = (SELECT message_id FROM cases WHERE id = $1::bigint)",
                   1, p + 1) < 0 ||
        store_exec(c, err,
                   "UPDATE cases SET status = 'extracting', status_reason = NULL, needs_profile = false,"
                   " broker_id = coalesce($2::bigint, broker_id), updated_at = now() WHERE id = $1::bigint",
                   2, pb) < 0)
        goto fail;
    /* A fresh idempotency key per re-run: the earlier extract/codify jobs are done. */
    char key[96];
    snprintf(key, sizeof key, "case:%lld:rerun:%lld", case_id, (long long)g_get_real_time());
    json_t *payload = json_pack("{s:I}", "case_id", (json_int_t)case_id);
    queue_enqueue_opts o = {.insurer_id = insurer_id, .idempotency_key = key, .batch_id = batch_id};
    int rc = queue_enqueue(c, STEP_EXTRACT, payload, &o, job_id, err);
    json_decref(payload);
    if (rc == 0)
        rc = store_audit(c, insurer_id, user, "case.rerun", "case", cid, NULL, err);
    if (rc < 0 || store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}
