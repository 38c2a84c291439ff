/* What the desk sends to brokers. */
#include <glib.h>
#include "minca/store_outbox.h"
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

int store_outbox_insert(PGconn *c, const store_outbox_new *o, long long *id, minca_err *err)
{
    *id = 0;
    store_params p = {0};
    store_param_ll(&p, o->insurer_id);
    store_param_ll(&p, o->case_id);
    store_param_text(&p, o->kind);
    store_param_text(&p, o->message_id);
    store_param_text(&p, o->in_reply_to);
    store_param_text(&p, o->refs);
    store_param_text(&p, o->from_addr);
    store_param_text(&p, o->to_addr);
    store_param_text(&p, o->subject);
    store_param_text(&p, o->body);
    store_param_text(&p, o->raw_sha256);
    store_param_text(&p, o->source_name);
    store_param_text(&p, o->created_by);
    store_param_text(&p, o->reply_ref);
    PGresult *r = store_query_p(c, err,
                                "INSERT INTO outbox (insurer_id, case_id, kind, message_id, in_reply_to, refs, from_addr,"
                                " to_addr, subject, body, raw_sha256, source_name, created_by, reply_ref)"
                                " VALUES ($1::bigint, $2::bigint, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                                " RETURNING id",
                                &p);
    if (!r)
        return -1;
    *id = store_get_ll(r, 0, 0);
    PQclear(r);
    return 0;
}

int store_outbox_claim(PGconn *c, long long id, store_outbox_item *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, id);
    PGresult *r = store_query_p(c, err,
                                "UPDATE outbox SET state = CASE WHEN state = 'sending' THEN 'uncertain' ELSE 'sending' END,"
                                "       attempts = attempts + CASE WHEN state = 'sending' THEN 0 ELSE 1 END,"
                                "       last_error = CASE WHEN state = 'sending' THEN 'a send began and its end was never"
                                " recorded: check the broker received it, then resend or leave it' ELSE last_error END"
                                " WHERE id = $1::bigint AND state IN ('queued', 'failing', 'sending')"
                                " RETURNING state, from_addr, to_addr, raw_sha256, source_name, message_id, case_id, reply_ref,"
                                "           remote_draft, subject",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->state = store_get_dup(r, 0, 0);
        out->from_addr = store_get_dup(r, 0, 1);
        out->to_addr = store_get_dup(r, 0, 2);
        out->raw_sha256 = store_get_dup(r, 0, 3);
        out->source_name = store_get_dup(r, 0, 4);
        out->message_id = store_get_dup(r, 0, 5);
        out->case_id = store_get_ll(r, 0, 6);
        out->reply_ref = PQgetisnull(r, 0, 7) ? NULL : store_get_dup(r, 0, 7);
        out->remote_draft = PQgetisnull(r, 0, 8) ? NULL : store_get_dup(r, 0, 8);
        out->subject = store_get_dup(r, 0, 9);
    }
    PQclear(r);
    return found;
}

void store_outbox_item_clear(store_outbox_item *o)
{
    g_free(o->state);
    g_free(o->from_addr);
    g_free(o->to_addr);
    g_free(o->raw_sha256);
    g_free(o->source_name);
    g_free(o->message_id);
    g_free(o->reply_ref);
    g_free(o->remote_draft);
    g_free(o->subject);
    memset(o, 0, sizeof *o);
}

int store_outbox_set_draft(PGconn *c, long long id, const char *draft, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, id);
    store_param_text(&p, draft);
    return store_exec_p(c, err, "UPDATE outbox SET remote_draft = $2 WHERE id = $1::bigint", &p);
}

int store_outbox_mark(PGconn *c, long long id, const char *state, const char *error, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, id);
    store_param_text(&p, state);
    store_param_text(&p, error);
    return store_exec_p(c, err,
                        "UPDATE outbox SET state = $2, last_error = $3,"
                        " sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END WHERE id = $1::bigint",
                        &p);
}

int store_outbox_requeue(PGconn *c, long long insurer_id, long long id, const char *batch_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, id);
    store_param_text(&p, batch_id);
    /* The row and its one send job, due now, in the caller's batch. */
    PGresult *r = store_query_p(
        c, err,
        "WITH o AS (UPDATE outbox SET state = 'queued' WHERE insurer_id = $1::bigint AND id = $2::bigint"
        "             AND state IN ('uncertain', 'failing') RETURNING id)"
        " UPDATE jobs j SET state = 'queued', attempts = 0, run_at = now(), batch_id = $3, last_error = NULL,"
        "        lease_until = NULL, finished_at = NULL, updated_at = now()"
        "   FROM o WHERE j.kind = 'outbox' AND j.idempotency_key = 'outbox:' || o.id"
        "    AND j.state IN ('failed', 'dead', 'done', 'queued')"
        " RETURNING j.id",
        &p);
    if (!r)
        return -1;
    int n = PQntuples(r);
    PQclear(r);
    return n > 0;
}

STORE_ROW_READER(store_outbox_entry, STORE_OUTBOX_ENTRY_COLUMNS)
STORE_ROW_READER(store_reply_context_row, STORE_REPLY_CONTEXT_COLUMNS)
STORE_ROW_READER(store_reply_file, STORE_REPLY_FILE_COLUMNS)

int store_outbox_of_case(PGconn *c, long long case_id, store_outbox_entry_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    return store_outbox_entry_list_query(c,
                                         "SELECT id, kind, to_addr, subject, state, attempts, last_error, message_id,"
                                         "       to_char(created_at, 'YYYY-MM-DD HH24:MI:SS') AS created_at,"
                                         "       to_char(sent_at, 'YYYY-MM-DD HH24:MI:SS') AS sent_at"
                                         "  FROM outbox WHERE case_id = $1::bigint ORDER BY id",
                                         &p, out, err);
}

int store_reply_context(PGconn *c, long long insurer_id, const char *cot, store_reply_context_row *out,
                        store_reply_file_list *files, minca_err *err)
{
    memset(files, 0, sizeof *files);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cot);
    /* To: the newest message of the case from outside (its author, or the broker a colleague
     * forwarded); References: the ids of the conversation, received and sent, oldest first. */
    int found = store_reply_context_row_query_one(
        c,
        "SELECT k.id AS case_id, k.cot, k.client_name, k.missing_requirements, b.name AS broker,"
        "       i.name AS insurer_name, i.slug AS insurer, first.source_name, first.subject AS first_subject,"
        "       last.message_id AS in_reply_to, coalesce(last.forwarded_from, last.from_addr) AS to_addr,"
        "       CASE WHEN last.source = 'graph' THEN last.source_ref END AS in_reply_to_ref,"
        "       last.source_name AS in_reply_to_source,"
        "       CASE WHEN last.forwarded_from IS NULL THEN last.from_name END AS to_name,"
        "       (SELECT string_agg(t.mid, ' ' ORDER BY t.at, t.mid) FROM ("
        "          SELECT m.message_id AS mid, coalesce(m.sent_at, m.received_at) AS at FROM messages m"
        "           WHERE m.case_id = k.id AND NOT m.message_id_synthetic"
        "          UNION ALL SELECT o.message_id, o.created_at FROM outbox o"
        "           WHERE o.case_id = k.id AND o.state = 'sent') t) AS refs"
        "  FROM cases k JOIN insurers i ON i.id = k.insurer_id"
        "  LEFT JOIN brokers b ON b.id = k.broker_id"
        "  LEFT JOIN messages first ON first.id = k.message_id"
        "  LEFT JOIN LATERAL (SELECT * FROM messages m WHERE m.case_id = k.id"
        "                      ORDER BY coalesce(m.sent_at, m.received_at) DESC, m.id DESC LIMIT 1) last ON true"
        " WHERE k.insurer_id = $1::bigint AND k.cot = $2",
        &p, out, err);
    if (found <= 0)
        return found < 0 ? -1 : minca_err_set(err, "no case %s", cot);
    store_params q = {0};
    store_param_ll(&q, out->case_id);
    return store_reply_file_list_query(c,
                                       "SELECT e.format, e.sha256, e.version FROM exports e WHERE e.case_id = $1::bigint"
                                       "   AND e.version = (SELECT max(version) FROM exports WHERE case_id = $1::bigint)"
                                       " ORDER BY e.id",
                                       &q, files, err);
}
