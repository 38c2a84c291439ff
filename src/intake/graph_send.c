/* Sending from a Microsoft 365 mailbox through Microsoft Graph, as Microsoft documents it:
 *
 *   reply    POST /users/{user}/messages/{id}/createReply          201, the draft
 *            PATCH /users/{user}/messages/{draft}                   200 (to, subject, body,
 *                                                                   internetMessageId)
 *            POST .../messages/{draft}/attachments                  201 (fileAttachment, base64)
 *            POST .../attachments/createUploadSession + PUT chunks  201 (a file over 3 MB)
 *            POST .../messages/{draft}/send                         202
 *   new      POST /users/{user}/sendMail                            202 (files inline), or
 *            POST /users/{user}/messages (201, the draft) and the steps above
 *
 * Only the final send can put a message in the broker's mailbox: every step before it may
 * fail and be tried again (the draft it left is deleted first); the send itself is tried again
 * only on the answers Microsoft documents as not processed (429, 503). */
#include "intake_internal.h"
#include "minca/core_config.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define UPLOAD_CHUNK (3 * 1024 * 1024)   /* under the 4 MB a PUT may carry */

static json_t *recipients_json(const char *to)
{
    json_t *arr = json_array();
    gchar **parts = g_strsplit(to ? to : "", ",", -1);
    for (gchar **p = parts; *p; p++) {
        char *a = g_strstrip(*p);
        const char *lt = strchr(a, '<'), *gt = lt ? strchr(lt, '>') : NULL;
        char *addr = lt && gt ? g_strndup(lt + 1, (size_t)(gt - lt - 1)) : g_strdup(a);
        if (*addr)
            json_array_append_new(arr, json_pack("{s:{s:s}}", "emailAddress", "address", addr));
        g_free(addr);
    }
    g_strfreev(parts);
    return arr;
}

/* The message's fields as Graph's message resource. */
static json_t *message_json(const intake_graph_outgoing *m, bool with_id)
{
    json_t *j = json_pack("{s:s, s:{s:s, s:s}, s:o}", "subject", m->subject ? m->subject : "", "body", "contentType",
                          "Text", "content", m->text_body ? m->text_body : "", "toRecipients", recipients_json(m->to));
    if (with_id && m->message_id)
        json_object_set_new(j, "internetMessageId", json_string(m->message_id));
    return j;
}

static size_t inline_max(const config_source *cfg)
{
    int kb = config_source_int(cfg, "attachment_inline_kb", 3 * 1024);
    return (size_t)(kb < 1 ? 1 : kb) * 1024;
}

static json_t *file_attachment(const intake_compose_attachment *a)
{
    gchar *b64 = g_base64_encode(a->data, a->size);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "@odata.type", "#microsoft.graph.fileAttachment", "name",
                          a->filename ? a->filename : "adjunto", "contentType",
                          a->content_type ? a->content_type : "application/octet-stream", "contentBytes", b64);
    g_free(b64);
    return j;
}

static int post_json(intake_graph_client *g, const char *rest, json_t *body, const char *what, minca_err *err)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc = intake_graph_request(g, "POST", rest, text, what, true, err);
    free(text);
    return rc;
}

static int upload_large(intake_graph_client *g, const char *draft_path, const intake_compose_attachment *a,
                        minca_err *err)
{
    char *rest = g_strdup_printf("%s/attachments/createUploadSession", draft_path);
    json_t *body = json_pack("{s:{s:s, s:s, s:I, s:s}}", "AttachmentItem", "attachmentType", "file", "name",
                             a->filename ? a->filename : "adjunto", "size", (json_int_t)a->size, "contentType",
                             a->content_type ? a->content_type : "application/octet-stream");
    int rc = post_json(g, rest, body, "an upload session", err);
    json_decref(body);
    g_free(rest);
    if (rc < 0)
        return -1;
    json_t *ans = intake_graph_answer(g);
    char *url = g_strdup(json_string_value(json_object_get(ans, "uploadUrl")));
    json_decref(ans);
    if (!url)
        return minca_err_set(err, "Graph opened an upload session without an uploadUrl");
    for (size_t off = 0; rc == 0 && off < a->size; off += UPLOAD_CHUNK) {
        size_t n = a->size - off < UPLOAD_CHUNK ? a->size - off : UPLOAD_CHUNK;
        rc = intake_graph_upload(g, url, (const char *)a->data + off, n, off, a->size, err);
    }
    g_free(url);
    return rc;
}

static int add_attachments(intake_graph_client *g, const config_source *cfg, const char *draft_path,
                           const intake_graph_outgoing *m, minca_err *err)
{
    for (size_t i = 0; i < m->n_attachments; i++) {
        const intake_compose_attachment *a = &m->attachments[i];
        int rc;
        if (a->size > inline_max(cfg)) {
            rc = upload_large(g, draft_path, a, err);
        } else {
            char *rest = g_strdup_printf("%s/attachments", draft_path);
            json_t *body = file_attachment(a);
            rc = post_json(g, rest, body, "an attachment", err);
            json_decref(body);
            g_free(rest);
        }
        if (rc < 0)
            return minca_err_prefix(err, "attaching %s", a->filename ? a->filename : "a file");
    }
    return 0;
}

/* The draft's id from Graph's answer (201 with the message). */
static char *draft_id_of_answer(intake_graph_client *g)
{
    json_t *ans = intake_graph_answer(g);
    char *id = g_strdup(json_string_value(json_object_get(ans, "id")));
    json_decref(ans);
    return id;
}

/* The final step. 0 sent, -1 refused (not sent), -2 asked without a definite answer. */
static int send_draft(intake_graph_client *g, const char *draft_path, minca_err *err)
{
    char *rest = g_strdup_printf("%s/send", draft_path);
    int rc = intake_graph_request(g, "POST", rest, NULL, "the send", false, err);
    g_free(rest);
    long st = intake_graph_status(g);
    if (rc < 0 && (st == 0 || st == 500 || st == 502 || st == 504))
        return -2;
    return rc;
}

static int send_as_draft(intake_graph_client *g, const config_source *cfg, const intake_graph_outgoing *m,
                         minca_err *err)
{
    int rc;
    if (m->reply_to_id) {
        char *id = intake_graph_escape(g, m->reply_to_id);
        char *rest = g_strdup_printf("/messages/%s/createReply", id);
        rc = intake_graph_request(g, "POST", rest, NULL, "the reply's draft (createReply)", true, err);
        g_free(rest);
        g_free(id);
    } else {
        json_t *body = message_json(m, true);
        rc = post_json(g, "/messages", body, "the message's draft", err);
        json_decref(body);
    }
    if (rc < 0)
        return -1;
    char *draft = draft_id_of_answer(g);
    if (!draft)
        return minca_err_set(err, "Graph created a draft without an id");
    if (m->on_draft)
        m->on_draft(m->user, draft);
    char *eid = intake_graph_escape(g, draft);
    char *path = g_strdup_printf("/messages/%s", eid);
    g_free(eid);
    if (m->reply_to_id) {
        /* createReply's draft quotes the original and answers its sender: the desk's text, to
         * the desk's recipient, under the desk's subject and Message-ID. */
        json_t *body = message_json(m, true);
        char *text = json_dumps(body, JSON_COMPACT);
        rc = intake_graph_request(g, "PATCH", path, text, "the reply's draft (PATCH)", true, err);
        free(text);
        json_decref(body);
    }
    if (rc == 0)
        rc = add_attachments(g, cfg, path, m, err);
    if (rc == 0)
        rc = send_draft(g, path, err);
    g_free(path);
    g_free(draft);
    return rc;
}

static int send_new(intake_graph_client *g, const intake_graph_outgoing *m, minca_err *err)
{
    json_t *msg = message_json(m, true);
    json_t *atts = json_array();
    for (size_t i = 0; i < m->n_attachments; i++)
        json_array_append_new(atts, file_attachment(&m->attachments[i]));
    json_object_set_new(msg, "attachments", atts);
    json_t *body = json_pack("{s:o, s:b}", "message", msg, "saveToSentItems", 1);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    int rc = intake_graph_request(g, "POST", "/sendMail", text, "sendMail", false, err);
    free(text);
    long st = intake_graph_status(g);
    if (rc < 0 && (st == 0 || st == 500 || st == 502 || st == 504))
        return -2;
    return rc;
}

int intake_graph_send(const config_source *cfg, const intake_graph_outgoing *m, minca_err *err)
{
    if (!cfg || !config_source_get(cfg, "kind") || strcmp(config_source_get(cfg, "kind"), "graph") != 0)
        return minca_err_set(err, "%s is not a graph source", cfg ? cfg->name : "(none)");
    intake_graph_client *g = NULL;
    if (intake_graph_client_open(cfg, cfg->name, &g, err) < 0)
        return -1;
    if (m->old_draft) {
        /* What an earlier attempt left: gone before the next, so the mailbox keeps one draft. */
        char *id = intake_graph_escape(g, m->old_draft);
        char *rest = g_strdup_printf("/messages/%s", id);
        minca_err derr = {0};
        if (intake_graph_request(g, "DELETE", rest, NULL, "the earlier draft", true, &derr) < 0 &&
            intake_graph_status(g) != 404)
            log_warn("%s: the draft an earlier attempt left stays: %s", cfg->name, derr.msg);
        g_free(rest);
        g_free(id);
    }
    bool large = false;
    for (size_t i = 0; i < m->n_attachments; i++)
        large = large || m->attachments[i].size > inline_max(cfg);
    int rc = m->reply_to_id || large ? send_as_draft(g, cfg, m, err) : send_new(g, m, err);
    intake_graph_client_close(g);
    return rc;
}
