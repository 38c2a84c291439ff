/* Read queries for the terminal desk (see minca/store_tui.h). */
#include "minca/store_tui.h"

#include <stdio.h>

json_t *store_tui_message_show(PGconn *c, long long insurer_id, long long message_id, minca_err *err)
{
    char ins[32], mid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(mid, sizeof mid, "%lld", message_id);
    const char *p[] = {ins, mid};
    json_t *rows = store_query_json(
        c, err,
        "SELECT m.id, m.source, m.source_ref, m.message_id, m.from_addr, m.from_name, m.to_addrs,"
        "       m.subject, m.status, m.error, m.problems, m.sender_domain,"
        "       to_char(m.received_at, 'YYYY-MM-DD HH24:MI:SS') AS received,"
        "       to_char(m.sent_at, 'YYYY-MM-DD HH24:MI:SS') AS sent,"
        "       m.body_text, (m.body_html IS NOT NULL) AS has_html,"
        "       b.name AS broker, k.cot, k.status AS case_status"
        "  FROM messages m LEFT JOIN cases k ON k.message_id = m.id"
        "  LEFT JOIN brokers b ON b.id = m.broker_id"
        " WHERE m.insurer_id = $1::bigint AND m.id = $2::bigint",
        2, p);
    if (!rows)
        return NULL;
    if (json_array_size(rows) == 0) {
        json_decref(rows);
        minca_err_set(err, "no message %lld", message_id);
        return NULL;
    }
    json_t *msg = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    json_t *atts = store_query_json(
        c, err,
        "SELECT a.ordinal, a.filename, a.content_type, a.container, a.role, a.size, a.status,"
        "       a.error, a.extraction"
        "  FROM attachments a WHERE a.insurer_id = $1::bigint AND a.message_id = $2::bigint"
        " ORDER BY a.ordinal",
        2, p);
    if (!atts) {
        json_decref(msg);
        return NULL;
    }
    json_object_set_new(msg, "attachments", atts);
    return msg;
}

json_t *store_tui_profile_list(PGconn *c, long long insurer_id, minca_err *err)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins};
    return store_query_json(
        c, err,
        "SELECT p.id, p.name, p.version, b.name AS broker, p.author, p.active,"
        "       to_char(p.created_at, 'YYYY-MM-DD HH24:MI') AS created, p.yaml"
        "  FROM broker_profiles p LEFT JOIN brokers b ON b.id = p.broker_id"
        " WHERE p.insurer_id = $1::bigint ORDER BY p.name, p.version DESC",
        1, p);
}

int store_tui_change_stamp(PGconn *c, long long insurer_id, const char *cot, char *out, size_t outlen,
                           minca_err *err)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins, cot};
    /* Each part uses an index (insurer_id leading, or the case's rows by case_id). */
    PGresult *r = store_query(
        c, err,
        "SELECT concat_ws('|',"
        "  (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || count(*) FILTER (WHERE status <> 'received')"
        "     FROM messages WHERE insurer_id = $1::bigint),"
        "  (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(max(updated_at)::text, '')"
        "     FROM cases WHERE insurer_id = $1::bigint),"
        "  (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || count(*) FILTER (WHERE active)"
        "     FROM broker_profiles WHERE insurer_id = $1::bigint),"
        "  (SELECT count(v.id) || ':' || coalesce(max(x.updated_at)::text, '')"
        "     FROM cases k JOIN vehicle_rows v ON v.case_id = k.id"
        "     LEFT JOIN matches x ON x.vehicle_row_id = v.id"
        "    WHERE $2::text IS NOT NULL AND k.insurer_id = $1::bigint AND k.cot = $2))",
        2, p);
    if (!r)
        return minca_err_prefix(err, "cannot read the change stamp");
    snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}
