/* The conversation of a case: the case a message answers, the messages of a case. */
#include "minca/store_thread.h"
#include "store_internal.h"

#include <glib.h>
#include <string.h>

/* One text of the ids a line each (an id never holds a line break: intake_thread_ids). */
static GString *ids_text(const char *const *ids, size_t n)
{
    GString *lines = g_string_new(NULL);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(lines, "%s%s", i ? "\n" : "", ids[i]);
    return lines;
}

int store_thread_lock(PGconn *c, long long insurer_id, const char *const *ids, size_t n, minca_err *err)
{
    if (n == 0)
        return 0;
    GString *lines = ids_text(ids, n);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, lines->str);
    /* Transaction-level advisory locks on a hash of insurer and id, taken in ascending order
     * so that two messages naming the same ids never wait for each other in a cycle (the
     * outer ORDER BY: a volatile select-list function runs after the sort of its own query). */
    int rc = store_exec_p(c, err,
                          "SELECT pg_advisory_xact_lock(k) FROM ("
                          "  SELECT DISTINCT hashtextextended('minca_thread ' || $1::text || ' ' || id, 0) AS k"
                          "    FROM unnest(string_to_array($2, E'\\n')) AS id) s ORDER BY k",
                          &p);
    g_string_free(lines, TRUE);
    return rc;
}

int store_thread_case_by_ids(PGconn *c, long long insurer_id, const char *const *ids, size_t n, long long *case_id,
                             char cot[64], size_t *matched, minca_err *err)
{
    *case_id = 0;
    cot[0] = '\0';
    *matched = 0;
    if (n == 0)
        return 0;
    GString *lines = ids_text(ids, n);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, lines->str);
    PGresult *r = store_query_p(c, err,
                                "SELECT m.case_id, r.ord - 1, k.cot"
                                "  FROM unnest(string_to_array($2, E'\\n')) WITH ORDINALITY AS r(id, ord)"
                                "  JOIN (SELECT case_id, message_id, id FROM messages WHERE insurer_id = $1::bigint"
                                "        UNION ALL SELECT case_id, message_id, id FROM outbox"
                                "         WHERE insurer_id = $1::bigint) m ON m.message_id = r.id"
                                "  JOIN cases k ON k.id = m.case_id AND k.insurer_id = $1::bigint"
                                " ORDER BY r.ord, m.id LIMIT 1",
                                &p);
    g_string_free(lines, TRUE);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        *case_id = store_get_ll(r, 0, 0);
        *matched = (size_t)store_get_ll(r, 0, 1);
        g_strlcpy(cot, PQgetvalue(r, 0, 2), 64);
    }
    PQclear(r);
    return found;
}

int store_thread_case_by_cot(PGconn *c, long long insurer_id, const char *cot, long long *case_id,
                             long long *broker_id, minca_err *err)
{
    *case_id = 0;
    *broker_id = 0;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cot);
    PGresult *r = store_query_p(c, err,
                                "SELECT id, coalesce(broker_id, 0) FROM cases WHERE insurer_id = $1::bigint AND cot = $2",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        *case_id = store_get_ll(r, 0, 0);
        *broker_id = store_get_ll(r, 0, 1);
    }
    PQclear(r);
    return found;
}

int store_thread_cot_prefix(PGconn *c, long long insurer_id, char prefix[32], minca_err *err)
{
    prefix[0] = '\0';
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err, "SELECT cot_prefix FROM insurers WHERE id = $1::bigint", &p);
    if (!r)
        return -1;
    if (PQntuples(r) > 0)
        g_strlcpy(prefix, PQgetvalue(r, 0, 0), 32);
    PQclear(r);
    return 0;
}

int store_thread_join(PGconn *c, long long message_id, long long case_id, const char *how, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, message_id);
    store_param_ll(&p, case_id);
    store_param_text(&p, how);
    return store_exec_p(c, err,
                        "UPDATE messages SET case_id = $2::bigint, joined_by = $3,"
                        "       status = CASE WHEN status = 'ignored' THEN 'processed' ELSE status END"
                        " WHERE id = $1::bigint",
                        &p);
}

int store_thread_case_answering(PGconn *c, long long insurer_id, const char *message_id, long long *case_id,
                                char cot[64], minca_err *err)
{
    *case_id = 0;
    cot[0] = '\0';
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, message_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT m.case_id, k.cot FROM messages m JOIN cases k ON k.id = m.case_id"
                                " WHERE m.insurer_id = $1::bigint AND m.thread_refs @> ARRAY[$2::text]"
                                " ORDER BY m.id LIMIT 1",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        *case_id = store_get_ll(r, 0, 0);
        g_strlcpy(cot, PQgetvalue(r, 0, 1), 64);
    }
    PQclear(r);
    return found;
}

STORE_ROW_READER(store_thread_orphan, STORE_THREAD_ORPHAN_COLUMNS)
STORE_ROW_READER(store_thread_message, STORE_THREAD_MESSAGE_COLUMNS)

int store_thread_orphans(PGconn *c, long long insurer_id, const char *message_id, store_thread_orphan_list *out,
                         minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, message_id);
    return store_thread_orphan_list_query(c,
                              "SELECT m.id, m.raw_sha256, m.in_reply_to = $2 AS direct FROM messages m"
                              " WHERE m.insurer_id = $1::bigint AND m.case_id IS NULL AND m.status <> 'error'"
                              "   AND m.thread_refs @> ARRAY[$2::text] AND m.raw_sha256 IS NOT NULL"
                              " ORDER BY coalesce(m.sent_at, m.received_at), m.id LIMIT 64",
                              &p, out, err);
}

int store_thread_messages(PGconn *c, long long case_id, store_thread_message_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    return store_thread_message_list_query(
        c,
        "SELECT m.id, m.message_id, m.from_addr, m.subject, m.joined_by,"
        "       to_char(" STORE_SQL_RECEIVED("m") ", 'YYYY-MM-DD HH24:MI:SS') AS received,"
        "       (SELECT count(*) FROM attachments a WHERE a.message_id = m.id) AS attachments"
        "  FROM messages m WHERE m.case_id = $1::bigint"
        " ORDER BY coalesce(m.sent_at, m.received_at), m.id",
        &p, out, err);
}
