/* Cases as the pipeline opens and moves them. */
#include <glib.h>
#include "minca/store_case_flow.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int store_case_open(PGconn *c, const store_case_new *k, long long *case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, k->insurer_id);
    store_param_text(&p, k->cot);
    store_param_ll(&p, k->message_id);
    store_param_id(&p, k->broker_id);
    store_param_text(&p, k->client_name);
    store_param_text(&p, k->rfc);
    store_param_text(&p, k->contact_json);
    store_param_text(&p, k->coverage);
    store_param_text(&p, k->payment_terms);
    store_param_text(&p, k->uso);
    store_param_text(&p, k->validity_start);
    store_param_text(&p, k->validity_end);
    store_param_text(&p, k->preanalysis_status);
    store_param_text(&p, k->missing_json);
    store_param_bool(&p, k->needs_profile);
    store_param_text(&p, k->suggested_json);
    store_param_text(&p, k->uso_stated);
    PGresult *r = store_query_p(
        c, err,
        "INSERT INTO cases (insurer_id, cot, message_id, broker_id, client_name, rfc, contact, coverage,"
        " payment_terms, uso, validity_start, validity_end, preanalysis_status, missing_requirements,"
        " needs_profile, suggested, uso_stated, due_at, assignee, auto_assigned)"
        " SELECT $1::bigint, $2, $3::bigint, $4::bigint, $5, $6, $7::jsonb, $8, $9, $10, $11::date,"
        "        $12::date, $13, $14::jsonb, $15::boolean, $16::jsonb, $17,"
        "        minca_due_at($1::bigint, coalesce((SELECT coalesce(m.sent_at, m.received_at) FROM messages m"
        "                                            WHERE m.id = $3::bigint), now())),"
        "        a.who, a.who IS NOT NULL"
        "   FROM (SELECT minca_next_assignee($1::bigint) AS who) a RETURNING id, assignee, auto_assigned",
        &p);
    if (!r)
        return -1;
    *case_id = store_get_ll(r, 0, 0);
    char *who = store_get_dup(r, 0, 1);
    bool auto_assigned = !PQgetisnull(r, 0, 2) && PQgetvalue(r, 0, 2)[0] == 't';
    PQclear(r);
    /* An owner given by the insurer's rule is audited as the system's decision, in the
     * transaction that opens the case. */
    int rc = 0;
    if (auto_assigned && who) {
        char id[32];
        snprintf(id, sizeof id, "%lld", *case_id);
        json_t *det = json_pack("{s:s, s:I, s:s, s:s, s:s}", "cot", k->cot, "case_id", (json_int_t)*case_id,
                                "assignee", who, "rule", "round_robin", "by", STORE_AUDIT_SYSTEM);
        rc = store_audit(c, k->insurer_id, STORE_AUDIT_SYSTEM, "case_assigned", "case", id, det, err);
        json_decref(det);
    }
    g_free(who);
    if (rc < 0)
        return minca_err_prefix(err, "cannot audit the case's assignment");
    /* The opening message names the case (trigger cases_opening_message, migration 075): it
     * is the first of the case's conversation. Its due time counts the insurer's business
     * hours and its owner is the next reviewer in turn (migration 089). */
    return 0;
}

int store_case_lock(PGconn *c, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    return store_exec_p(c, err, "SELECT 1 FROM cases WHERE id = $1::bigint FOR UPDATE", &p);
}

int store_case_source_get(PGconn *c, long long case_id, store_case_source *out, minca_err *err)
{
    return store_case_source_of(c, case_id, 0, out, err);
}

int store_case_source_of(PGconn *c, long long case_id, long long message_id, store_case_source *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_id(&p, message_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT m.id, m.sender_domain, m.body_html,"
                                "       (SELECT bp.yaml FROM broker_profiles bp WHERE bp.broker_id = k.broker_id AND bp.active"
                                "         ORDER BY bp.version DESC LIMIT 1),"
                                "       (SELECT bp.name || ' v' || bp.version FROM broker_profiles bp"
                                "         WHERE bp.broker_id = k.broker_id AND bp.active ORDER BY bp.version DESC LIMIT 1),"
                                "       lower(substring(m.forwarded_from from '@([^@]+)$'))"
                                "  FROM cases k JOIN messages m"
                                "    ON m.id = coalesce($2::bigint, k.list_message_id, k.message_id)"
                                " WHERE k.id = $1::bigint AND ($2::bigint IS NULL OR m.case_id = k.id)",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->message_id = store_get_ll(r, 0, 0);
        out->sender_domain = store_get_dup(r, 0, 1);
        out->body_html = store_get_dup(r, 0, 2);
        out->profile_yaml = store_get_dup(r, 0, 3);
        out->profile_origin = store_get_dup(r, 0, 4);
        out->forwarded_domain = store_get_dup(r, 0, 5);
    }
    PQclear(r);
    return found;
}

void store_case_source_clear(store_case_source *s)
{
    g_free(s->sender_domain);
    g_free(s->forwarded_domain);
    g_free(s->body_html);
    g_free(s->profile_yaml);
    g_free(s->profile_origin);
    memset(s, 0, sizeof *s);
}

int store_case_extracted(PGconn *c, long long case_id, const char *status, const char *reason, bool needs_profile,
                         minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_text(&p, status);
    store_param_text(&p, reason);
    store_param_bool(&p, needs_profile);
    return store_exec_p(c, err,
                        "UPDATE cases SET status = $2, status_reason = $3, needs_profile = (needs_profile AND $4::boolean)"
                        " OR $4::boolean, updated_at = now() WHERE id = $1::bigint",
                        &p);
}

int store_case_codify_progress(PGconn *c, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    return store_exec_p(c, err,
                        "UPDATE cases k SET status_reason = 'codifying: ' ||"
                        " (SELECT count(*) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"
                        "   WHERE v.case_id = k.id) || ' of ' ||"
                        " (SELECT count(*) FROM vehicle_rows v WHERE v.case_id = k.id) || ' vehicle(s) done',"
                        " updated_at = now() WHERE k.id = $1::bigint AND k.status <> 'exported'",
                        &p);
}

int store_case_settle_status(PGconn *c, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    return store_exec_p(c, err,
                        "UPDATE cases k SET updated_at = now(),"
                        " status = CASE"
                        "   WHEN s.rows = 0 THEN 'review'"
                        "   WHEN s.open > 0 OR s.lost > 0 THEN 'review' ELSE 'ready' END,"
                        " status_reason = CASE WHEN s.rows = 0 THEN 'no vehicle rows were extracted'"
                        "   WHEN s.open > 0 THEN s.open || ' of ' || s.rows || ' vehicle(s) need review'"
                        "   WHEN s.lost > 0 THEN s.lost || ' of ' || s.rows || ' vehicle(s) have no sum insured"
                        " although the sheet has amounts: check the sum insured column' END"
                        " FROM (SELECT count(v.id) AS rows,"
                        "              count(v.id) FILTER (WHERE x.decision IS NULL OR x.decision IN ('needs_review', 'no_match')) AS open,"
                        "              count(v.id) FILTER (WHERE jsonb_path_exists(v.issues, '$[*] ? (@.field == \"insured_amount\""
                        " && @.message starts with \"sin suma asegurada, pero\")')) AS lost"
                        "         FROM vehicle_rows v LEFT JOIN matches x ON x.vehicle_row_id = v.id"
                        "        WHERE v.case_id = $1::bigint) s"
                        " WHERE k.id = $1::bigint AND k.status <> 'exported'",
                        &p);
}

int store_case_waiting(PGconn *c, long long case_id, const char *reason, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_text(&p, reason);
    return store_exec_p(c, err,
                        "UPDATE cases SET status_reason = $2, updated_at = now()"
                        " WHERE id = $1::bigint AND status <> 'exported'",
                        &p);
}

int store_case_mark_failed(PGconn *c, long long case_id, const char *reason, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_text(&p, reason);
    return store_exec_p(c, err,
                        "UPDATE cases SET status = 'error', status_reason = $2, updated_at = now()"
                        " WHERE id = $1::bigint AND status <> 'exported'",
                        &p);
}

int store_case_set_broker(PGconn *c, long long case_id, long long broker_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, broker_id);
    store_param_ll(&p, case_id);
    if (store_exec_p(c, err, "UPDATE cases SET broker_id = $1::bigint WHERE id = $2::bigint AND broker_id IS NULL", &p) < 0)
        return -1;
    return store_exec_p(c, err,
                        "UPDATE messages SET broker_id = $1::bigint WHERE id = (SELECT message_id FROM cases WHERE id = $2::bigint)"
                        " AND broker_id IS NULL",
                        &p);
}
