/* Messages and attachments as the pipeline writes and reads them. */
#include <glib.h>
#include "minca/store_message.h"
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

int store_message_prior(PGconn *c, long long insurer_id, const char *message_id, const char *content_sha,
                        const char *from_addr, bool *duplicate, char **reused_from, minca_err *err)
{
    *duplicate = false;
    *reused_from = NULL;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, message_id);
    store_param_text(&p, content_sha);
    store_param_text(&p, from_addr);
    PGresult *r = store_query_p(c, err,
                                "SELECT coalesce(bool_or(content_sha256 = $3 OR (content_sha256 IS NULL"
                                "                        AND from_addr IS NOT DISTINCT FROM $4)), false),"
                                "       (array_agg(coalesce(from_addr, '?') ORDER BY id))[1]"
                                "  FROM messages WHERE insurer_id = $1::bigint AND message_id = $2",
                                &p);
    if (!r)
        return -1;
    if (strcmp(PQgetvalue(r, 0, 0), "t") == 0)
        *duplicate = true;
    else if (!PQgetisnull(r, 0, 1))
        *reused_from = g_strdup(PQgetvalue(r, 0, 1));
    PQclear(r);
    return 0;
}

int store_message_insert(PGconn *c, const store_message_new *m, long long *id, minca_err *err)
{
    *id = 0;
    store_params p = {0};
    store_param_ll(&p, m->insurer_id);
    store_param_text(&p, m->source);
    store_param_text(&p, m->source_ref);
    store_param_text(&p, m->message_id);
    store_param_bool(&p, m->message_id_synthetic);
    store_param_text(&p, m->in_reply_to);
    store_param_text(&p, m->from_addr);
    store_param_text(&p, m->from_name);
    store_param_text(&p, m->sender_domain);
    store_param_text(&p, m->to_addrs);
    store_param_text(&p, m->subject);
    store_param_ll_if(&p, m->has_sent_at, m->sent_at);
    store_param_text(&p, m->headers_json);
    store_param_text(&p, m->body_text);
    store_param_text(&p, m->body_html);
    store_param_text(&p, m->raw_sha256);
    store_param_id(&p, m->broker_id);
    store_param_text(&p, m->status);
    store_param_text(&p, m->error);
    store_param_text(&p, m->problems_json);
    store_param_text(&p, m->content_sha256);
    store_param_text(&p, m->source_name);
    store_param_text(&p, m->forwarded_from);
    store_param_text(&p, m->thread_refs);
    PGresult *r = store_query_p(
        c, err,
        "INSERT INTO messages (insurer_id, source, source_ref, message_id, message_id_synthetic,"
        " in_reply_to, from_addr, from_name, sender_domain, to_addrs, subject, sent_at, headers,"
        " body_text, body_html, raw_sha256, broker_id, status, error, problems, content_sha256, source_name,"
        " forwarded_from, thread_refs)"
        " VALUES ($1::bigint, $2, $3, $4, $5::boolean, $6, $7, $8, $9, $10, $11,"
        "         to_timestamp($12::double precision), $13::jsonb, $14, $15, $16, $17::bigint, $18,"
        "         $19, $20::jsonb, $21, $22, $23, coalesce(string_to_array($24, E'\\n'), '{}'))"
        " ON CONFLICT (insurer_id, message_id, content_sha256) DO NOTHING RETURNING id",
        &p);
    if (!r)
        return -1;
    if (PQntuples(r) > 0)
        *id = store_get_ll(r, 0, 0);
    PQclear(r);
    return 0;
}

int store_attachment_insert(PGconn *c, const store_attachment_new *a, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, a->insurer_id);
    store_param_ll(&p, a->message_id);
    store_param_ll(&p, a->ordinal);
    store_param_text(&p, a->filename);
    store_param_text(&p, a->content_type);
    store_param_text(&p, a->container);
    store_param_text(&p, a->role);
    store_param_text(&p, a->sha256);
    store_param_ll(&p, (long long)a->size);
    return store_exec_p(c, err,
                        "INSERT INTO attachments (insurer_id, message_id, ordinal, filename, content_type,"
                        " container, role, sha256, size) VALUES ($1::bigint, $2::bigint, $3::int, $4, $5,"
                        " $6, $7, $8, $9::bigint) ON CONFLICT (message_id, ordinal) DO NOTHING",
                        &p);
}

int store_attachments_of_message(PGconn *c, long long message_id, store_attachment_list *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, message_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT id, filename, sha256, role FROM attachments WHERE message_id = $1::bigint"
                                " ORDER BY ordinal",
                                &p);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->items = g_malloc0_n(n > 0 ? (size_t)n : 1, sizeof *out->items);
    for (int i = 0; i < n; i++) {
        out->items[i].id = store_get_ll(r, i, 0);
        out->items[i].filename = g_strdup(PQgetvalue(r, i, 1));
        out->items[i].sha256 = g_strdup(PQgetvalue(r, i, 2));
        out->items[i].role = g_strdup(PQgetvalue(r, i, 3));
    }
    out->n = n;
    PQclear(r);
    return 0;
}

void store_attachment_list_clear(store_attachment_list *l)
{
    for (int i = 0; i < l->n; i++) {
        g_free(l->items[i].filename);
        g_free(l->items[i].sha256);
        g_free(l->items[i].role);
    }
    g_free(l->items);
    memset(l, 0, sizeof *l);
}

int store_attachment_set_result(PGconn *c, long long attachment_id, const char *status, const char *error,
                                const char *extraction_json, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, attachment_id);
    store_param_text(&p, status);
    store_param_text(&p, error);
    store_param_text(&p, extraction_json);
    return store_exec_p(c, err,
                        "UPDATE attachments SET status = $2, error = $3, extraction = $4::jsonb WHERE id = $1::bigint",
                        &p);
}
