/* Pipeline step: one message of the outbox goes out through SMTP, once.
 *
 * The send is marked in PostgreSQL before the server is spoken to and its end after, each on
 * a connection of its own that commits at once (the job's transaction may be lost with the
 * process): a send found marked and never ended is not repeated (uncertain, for a person to
 * check), so a message reaches the broker once at most; a refused or unreachable server leaves
 * it failing, retried with the runner's back-off. */
#include "minca/config.h"
#include "minca/engine_run.h"
#include "minca/intake.h"
#include "minca/steps.h"
#include "minca/store_outbox.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const config_source *src = intake_smtp_source(it.source_name);
    if (store_blob_get(ctx->pg, it.raw_sha256, &raw, &len, err) < 0) {
        rc = ENGINE_FAILED;
        snprintf(serr.msg, sizeof serr.msg, "%s", err->msg);
    } else if (!src) {
        rc = ENGINE_FAILED;
        minca_err_set(&serr, "no configured source has an SMTP server (smtp_url)");
    } else if (intake_smtp_send(src, it.from_addr, it.to_addr, raw, len, &serr) < 0) {
        rc = ENGINE_FAILED;
    }
    minca_err merr = {0};
    if (store_outbox_mark(mark, id, rc == ENGINE_DONE ? "sent" : "failing", rc == ENGINE_DONE ? NULL : serr.msg,
                          &merr) < 0)
        log_warn("outbox %lld: cannot record the send's end: %s", id, merr.msg);
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
    free(raw);
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
