#include <glib.h>
#include "minca/store.h"
#include "minca/store_thread.h"
#include "minca/store_revision.h"
#include "minca/store_outbox.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_cot_next(PGconn *c, long long insurer_id, int year, char *out, size_t outlen, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, year);
    /* The upsert takes the counter row's lock until the surrounding transaction ends. */
    /* year 0: the current year where the insurer works (settings.timezone, default
     * America/Mexico_City), not UTC: mail of 31 December evening belongs to that year. */
    PGresult *r = store_query_p(c, err,
                              "WITH y AS (SELECT CASE WHEN $2::int > 0 THEN $2::int ELSE extract(year FROM now() AT TIME ZONE"
                              "             coalesce((SELECT settings->>'timezone' FROM insurers WHERE id = $1::bigint),"
                              "                      'America/Mexico_City'))::int END AS year),"
                              " n AS ("
                              "  INSERT INTO cot_counters (insurer_id, year, last_value) SELECT $1::bigint, y.year, 1 FROM y"
                              "  ON CONFLICT (insurer_id, year) DO UPDATE SET last_value = cot_counters.last_value + 1"
                              "  RETURNING last_value, year)"
                              " SELECT i.cot_prefix, n.last_value, n.year FROM n, insurers i WHERE i.id = $1::bigint",
                              &p);
    if (!r)
        return minca_err_prefix(err, "cannot allocate a COT number");
    snprintf(out, outlen, "%s-%s-%06d", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2), store_get_int(r, 0, 1));
    PQclear(r);
    return 0;
}

/* The columns of a case list. due_in_seconds: due_at less now (negative once past due);
 * clock_stopped: the quote is exported or sent, so the case can no longer be late (the
 * case_clock view says when, and whether the case is late). */
#define CASE_LIST_SELECT                                                                                         \
    "SELECT c.cot, c.client_name, c.rfc, b.name AS broker, c.status, c.status_reason,"                          \
    "       to_char(" STORE_SQL_LOCAL("coalesce(m.sent_at, m.received_at, c.created_at)", "c.insurer_id")         \
    ", 'YYYY-MM-DD HH24:MI') AS received,"                                                                      \
    "       m.subject, c.coverage, c.needs_profile, c.assignee, cc.late,"                      \
    "       to_char(" STORE_SQL_LOCAL("c.due_at", "c.insurer_id") ", 'YYYY-MM-DD HH24:MI') AS due,"               \
    "       floor(extract(epoch FROM c.due_at - now()))::bigint AS due_in_seconds,"                             \
    "       floor(extract(epoch FROM c.due_at))::bigint AS due_epoch,"                                          \
    "       extract(epoch FROM c.created_at) AS created_epoch,"                                                 \
    "       cc.clock_stopped,"                                                                                  \
    "       (SELECT count(*) FROM vehicle_rows v WHERE v.case_id = c.id) AS vehicles,"                          \
    "       (SELECT count(*) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"                     \
    "         WHERE v.case_id = c.id AND x.decision IN ('auto_accept')) AS auto,"                               \
    "       (SELECT count(*) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"                     \
    "         WHERE v.case_id = c.id AND x.decision = 'needs_review') AS review,"                               \
    "       (SELECT count(*) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"                     \
    "         WHERE v.case_id = c.id AND x.decision IN ('no_match', 'rejected')) AS no_match,"                  \
    "       (SELECT count(*) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"                     \
    "         WHERE v.case_id = c.id AND x.decision IN ('accepted', 'picked')) AS reviewed,"                    \
    "       (SELECT o.state FROM outbox o WHERE o.case_id = c.id ORDER BY o.id DESC LIMIT 1) AS outbox"        \
    "  FROM cases c LEFT JOIN messages m ON m.id = c.message_id"                                                \
    "  LEFT JOIN brokers b ON b.id = c.broker_id"                                                               \
    "  JOIN case_clock cc ON cc.id = c.id"                                                                      \
    " WHERE c.insurer_id = $1::bigint"

json_t *store_case_list(PGconn *c, long long insurer_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    return store_query_json_p(c, err, CASE_LIST_SELECT " ORDER BY c.created_at DESC, c.id DESC", &p);
}

json_t *store_case_list_by_due(PGconn *c, long long insurer_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    /* Late cases first (the longest overdue first), then the running clocks by due time, then
     * the cases with no clock (no due time, or the quote gone out), newest first. */
    return store_query_json_p(c, err,
                              "SELECT * FROM (" CASE_LIST_SELECT ") s"
                              " ORDER BY NOT s.late, (s.clock_stopped OR s.due_epoch IS NULL),"
                              "   CASE WHEN NOT (s.clock_stopped OR s.due_epoch IS NULL) THEN s.due_epoch END,"
                              "   s.created_epoch DESC, s.cot DESC",
                              &p);
}

json_t *store_case_show(PGconn *c, long long insurer_id, const char *cot, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cot);
    json_t *cases = store_query_json_p(
        c, err,
        "SELECT c.id, c.cot, c.revision, c.filled_from, c.status, c.status_reason, c.assignee,"
        "       (SELECT concat_ws(' ', 'by', a.actor, 'on', to_char(" STORE_SQL_LOCAL("a.at", "c.insurer_id") ","
        "                          'YYYY-MM-DD HH24:MI'), CASE WHEN a.details ? 'rule' THEN '(' || (a.details->>'rule') || ')' END)"
        "          FROM audit_log a WHERE a.insurer_id = c.insurer_id AND a.entity = 'case'"
        "           AND a.action = 'case_assigned' AND a.entity_id IN (c.id::text, c.cot)"
        "         ORDER BY a.id DESC LIMIT 1) AS assigned,"
        "       minca_case_late(c) AS late,"
        "       to_char(" STORE_SQL_LOCAL("c.due_at", "c.insurer_id") ", 'YYYY-MM-DD HH24:MI') AS due,"
        "       c.client_name, c.rfc, c.contact, c.coverage,"
        "       c.payment_terms, c.uso, c.uso_stated, c.validity_start::text, c.validity_end::text,"
        "       c.preanalysis_status, c.missing_requirements, c.needs_profile, c.suggested, b.name AS broker,"
        "       to_char(c.created_at, 'YYYY-MM-DD HH24:MI:SS') AS created_at,"
        "       m.message_id, m.from_addr, m.from_name, m.subject,"
        "       to_char(" STORE_SQL_RECEIVED("m") ", 'YYYY-MM-DD HH24:MI:SS') AS received_at"
        "  FROM cases c LEFT JOIN messages m ON m.id = c.message_id"
        "  LEFT JOIN brokers b ON b.id = c.broker_id"
        " WHERE c.insurer_id = $1::bigint AND c.cot = $2",
        &p);
    if (!cases)
        return NULL;
    if (json_array_size(cases) == 0) {
        json_decref(cases);
        minca_err_set(err, "no case %s", cot);
        return NULL;
    }
    json_t *kase = json_incref(json_array_get(cases, 0));
    json_decref(cases);
    store_params q = {0};
    store_param_ll(&q, (long long)json_integer_value(json_object_get(kase, "id")));
    json_t *atts = store_query_json_p(
        c, err,
        "SELECT a.ordinal, a.filename, a.content_type, a.container, a.role, a.size, a.status, a.error,"
        "       a.extraction"
        "  FROM attachments a JOIN cases k ON coalesce(k.list_message_id, k.message_id) = a.message_id"
        " WHERE k.id = $1::bigint ORDER BY a.ordinal",
        &q);
    json_t *rows = atts ? store_query_json_p(
        c, err,
        "SELECT v.id, v.inciso, v.source_sheet, v.source_row, v.marca, v.submarca, v.year,"
        "       v.description, v.vin, v.plates, v.use, v.coverage, v.insured_amount, v.issues, v.extra_cells,"
        "       x.cvegs, x.year AS match_year, x.confidence, x.decision, x.reviewed_by"
        "  FROM vehicle_rows v LEFT JOIN matches x ON x.vehicle_row_id = v.id"
        " WHERE v.case_id = $1::bigint ORDER BY v.attachment_id NULLS FIRST, v.source_sheet, v.source_row",
        &q) : NULL;
    long long case_id = json_integer_value(json_object_get(kase, "id"));
    store_thread_message_list thread = {0};
    json_t *msgs = rows && store_thread_messages(c, case_id, &thread, err) == 0 ? store_thread_message_list_json(&thread)
                                                                                : NULL;
    store_thread_message_list_clear(&thread);
    store_revision_row rev = {0};
    bool rev_ok = msgs && store_revision_latest(c, case_id, &rev, err) == 0;
    store_outbox_entry_list outbox = {0};
    json_t *sent = rev_ok && store_outbox_of_case(c, case_id, &outbox, err) == 0 ? store_outbox_entry_list_json(&outbox) : NULL;
    store_outbox_entry_list_clear(&outbox);
    if (!atts || !rows || !msgs || !rev_ok || !sent) {
        store_revision_row_clear(&rev);
        json_decref(atts);
        json_decref(rows);
        json_decref(msgs);
        json_decref(kase);
        return NULL;
    }
    json_object_set_new(kase, "messages", msgs);
    json_object_set_new(kase, "outbox", sent);
    json_object_set_new(kase, "revision_diff", rev.diff ? json_incref(rev.diff) : json_object());
    store_revision_row_clear(&rev);
    json_object_set_new(kase, "attachments", atts);
    json_object_set_new(kase, "vehicles", rows);
    return kase;
}

int store_case_assign(PGconn *c, long long insurer_id, const char *cot, const char *assignee, const char *actor,
                      minca_err *err)
{
    if (store_begin(c, err) < 0)
        return -1;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cot);
    store_param_text(&p, assignee);
    PGresult *r = store_query_p(c, err,
                                "UPDATE cases SET assignee = $3, updated_at = now()"
                                " WHERE insurer_id = $1::bigint AND cot = $2 RETURNING id",
                                &p);
    if (!r) {
        store_rollback(c);
        return -1;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        store_rollback(c);
        return 0;
    }
    long long id = store_get_ll(r, 0, 0);
    PQclear(r);
    /* Audited as the round-robin rule's assignments are: the case by its id, in the same
     * transaction as the change. */
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", id);
    json_t *det = json_pack("{s:s, s:I, s:s?}", "cot", cot, "case_id", (json_int_t)id, "assignee", assignee);
    int rc = store_audit(c, insurer_id, actor, "case_assigned", "case", idtext, det, err);
    json_decref(det);
    if (rc < 0 || store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return 1;
}

json_t *store_message_list(PGconn *c, long long insurer_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    return store_query_json_p(
        c, err,
        "SELECT m.id, m.from_addr, m.from_name, m.subject, m.status, m.error,"
        "       to_char(" STORE_SQL_RECEIVED("m") ", 'YYYY-MM-DD HH24:MI') AS received,"
        "       to_char(" STORE_SQL_LOCAL("m.sent_at", "m.insurer_id") ", 'YYYY-MM-DD HH24:MI') AS sent,"
        "       b.name AS broker, k.cot,"
        "       (SELECT count(*) FROM attachments a WHERE a.message_id = m.id) AS attachments"
        "  FROM messages m LEFT JOIN cases k ON k.id = m.case_id"
        "  LEFT JOIN brokers b ON b.id = m.broker_id"
        " WHERE m.insurer_id = $1::bigint ORDER BY coalesce(m.sent_at, m.received_at) DESC, m.id DESC",
        &p);
}

int store_audit(PGconn *c, long long insurer_id, const char *actor, const char *action,
                const char *entity, const char *entity_id, json_t *details, minca_err *err)
{
    char *det = details ? json_dumps(details, JSON_COMPACT) : g_strdup("{}");
    store_params p = {0};
    store_param_id(&p, insurer_id);
    store_param_text(&p, actor);
    store_param_text(&p, action);
    store_param_text(&p, entity);
    store_param_text(&p, entity_id);
    store_param_text(&p, det);
    store_param_text(&p, store_audit_os_login());
    /* Through the database's function: a team desk person's entry names the session's role. */
    int rc = store_exec_p(c, err, "SELECT minca_audit_add($1::bigint, $2, $3, $4, $5, $6::jsonb, $7)", &p);
    g_free(det);   /* json_dumps text or g_strdup: GLib allocates with malloc */
    return rc;
}
