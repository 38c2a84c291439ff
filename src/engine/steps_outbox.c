/* Pipeline step: one message of the outbox goes out through SMTP (or the case's Microsoft 365
 * mailbox through Graph), once.
 *
 * The send is marked in PostgreSQL before the server is spoken to and its end after, each on
 * a connection of its own that commits at once (the job's transaction may be lost with the
 * process): a send found marked and never ended is not repeated (uncertain, for a person to
 * check), so a message reaches the broker once at most; a refused or unreachable server leaves
 * it failing, retried with the runner's back-off. */
#include "minca/core_config.h"
#include "minca/engine_run.h"
#include "minca/intake.h"
#include "minca/engine_steps.h"
#include "minca/store_outbox.h"

#include <glib.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct draft_note {
    PGconn *mark;
    long long id;
} draft_note;

static void note_draft(void *user, const char *draft_id)
{
    draft_note *n = user;
    minca_err e = {0};
    if (store_outbox_set_draft(n->mark, n->id, draft_id, &e) < 0)
        log_warn("outbox %lld: cannot record the Graph draft: %s", n->id, e.msg);
}

/* Through the case's Microsoft 365 mailbox: the stored message's text and files, as a reply to
 * the Graph message it answers. 0 sent, -1 not sent, -2 asked without a definite answer. */
static int graph_send(const config_source *src, PGconn *mark, const store_outbox_item *it, long long id,
                      const char *raw, size_t len, minca_err *err)
{
    intake_message *msg = NULL;
    if (intake_parse(raw, len, &msg, err) < 0)
        return -1;
    intake_compose_attachment *atts = g_new0(intake_compose_attachment, msg->n_attachments + 1);
    for (size_t i = 0; i < msg->n_attachments; i++)
        atts[i] = (intake_compose_attachment){.filename = msg->attachments[i].filename,
                                              .content_type = msg->attachments[i].content_type,
                                              .data = msg->attachments[i].data,
                                              .size = msg->attachments[i].size};
    draft_note note = {mark, id};
    intake_graph_outgoing out = {.reply_to_id = it->reply_ref, .to = it->to_addr, .subject = it->subject,
                                 .text_body = msg->text_body, .message_id = it->message_id,
                                 .attachments = atts, .n_attachments = msg->n_attachments,
                                 .old_draft = it->remote_draft, .on_draft = note_draft, .user = &note};
    int rc = intake_graph_send(src, &out, err);
    g_free(atts);
    intake_message_free(msg);
    return rc;
}

static int outbox_send(engine_ctx *ctx, PGconn *mark, long long id, minca_err *err)
{
    store_outbox_item it;
    int found = store_outbox_claim(mark, id, &it, err);
    if (found <= 0)
        return found < 0 ? ENGINE_FAILED : ENGINE_DONE;
    int rc = ENGINE_DONE;
    if (strcmp(it.state, "uncertain") == 0) {
        log_warn("outbox %lld: a send began and never ended; not sent again (minca case outbox --resend)", id);
        ctx->event = json_pack("{s:I, s:s}", "outbox_id", (json_int_t)id, "state", "uncertain");
        store_outbox_item_clear(&it);
        return ENGINE_DONE;
    }
    char *raw = NULL;
    size_t len = 0;
    minca_err serr = {0};
    const config_source *own = it.source_name ? config_source_find(it.source_name) : NULL;
    bool graph = own && config_source_get(own, "kind") && strcmp(config_source_get(own, "kind"), "graph") == 0;
    const config_source *src = graph ? own : intake_smtp_source(it.source_name);
    bool unsure = false;
    if (store_blob_get(ctx->pg, it.raw_sha256, &raw, &len, err) < 0) {
        rc = ENGINE_FAILED;
        snprintf(serr.msg, sizeof serr.msg, "%s", err->msg);
    } else if (!src) {
        rc = ENGINE_FAILED;
        minca_err_set(&serr, "no configured source has an SMTP server (smtp_url)");
    } else if (graph) {
        int g = graph_send(src, mark, &it, id, raw, len, &serr);
        rc = g == 0 ? ENGINE_DONE : ENGINE_FAILED;
        unsure = g == -2;
    } else if (intake_smtp_send(src, it.from_addr, it.to_addr, raw, len, &serr) < 0) {
        rc = ENGINE_FAILED;
    }
    minca_err merr = {0};
    const char *end = rc == ENGINE_DONE ? "sent" : unsure ? "uncertain" : "failing";
    if (unsure)
        minca_err_prefix(&serr, "the send was asked and its answer never came: check the broker received it, "
                                "then resend or leave it");
    if (store_outbox_mark(mark, id, end, rc == ENGINE_DONE ? NULL : serr.msg, &merr) < 0)
        log_warn("outbox %lld: cannot record the send's end: %s", id, merr.msg);
    if (unsure) {
        log_warn("outbox %lld: %s", id, serr.msg);
        ctx->event = json_pack("{s:I, s:s}", "outbox_id", (json_int_t)id, "state", "uncertain");
        g_free(raw);
        store_outbox_item_clear(&it);
        return ENGINE_DONE;
    }
    if (rc == ENGINE_DONE) {
        char case_id[32];
        snprintf(case_id, sizeof case_id, "%lld", it.case_id);
        json_t *det = json_pack("{s:I, s:s, s:s, s:s}", "outbox_id", (json_int_t)id, "message_id", it.message_id, "to",
                                it.to_addr, "via", src->name);
        if (store_audit(ctx->pg, ctx->job->insurer_id, config_get()->user, "reply_sent", "case", case_id, det, err) < 0)
            log_warn("outbox %lld: sent; the audit entry failed: %s", id, err->msg);
        json_decref(det);
    } else {
        minca_err_set(err, "%s", serr.msg);
    }
    ctx->event = json_pack("{s:I, s:s, s:s?}", "outbox_id", (json_int_t)id, "state",
                           rc == ENGINE_DONE ? "sent" : "failing", "error", rc == ENGINE_DONE ? NULL : serr.msg);
    g_free(raw);
    store_outbox_item_clear(&it);
    return rc;
}

static int step_outbox(engine_ctx *ctx, const void *payload, minca_err *err)
{
    long long id = ((const steps_outbox_job *)payload)->outbox_id;
    PGconn *mark = store_connect(err);
    if (!mark)
        return ENGINE_FAILED;
    int rc = outbox_send(ctx, mark, id, err);
    PQfinish(mark);
    return rc;
}

#define FIELD(type, member, kind, required) {#member, ENGINE_FIELD_##kind, offsetof(type, member), required}
static const engine_field outbox_fields[] = {
    FIELD(steps_outbox_job, outbox_id, INT, true),
    {0},
};

const engine_kind steps_outbox = {"outbox", step_outbox, sizeof(steps_outbox_job), outbox_fields,
                                  ENGINE_RETRY_TRANSIENT, NULL};
