/* Pipeline step handlers: ingest -> extract -> codify (exporting a case is a desk service,
 * desk/export_case.c). Each runs inside the transaction the runner opened for its job (see
 * engine_run.h). */
#include "minca/engine_assist.h"
#include "minca/catalog.h"
#include "minca/core_config.h"
#include "minca/engine.h"
#include "minca/engine_run.h"
#include "minca/llm.h"
#include "minca/engine_steps.h"
#include "minca/store_case_flow.h"
#include "minca/store_catalog.h"
#include "minca/store_jobs.h"
#include "minca/store_vehicle.h"

#include <pthread.h>
#include <stddef.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- ingest --------------------------------------------------------------------------- */

static int step_ingest(engine_ctx *ctx, const void *payload, minca_err *err)
{
    const steps_ingest_job *p = payload;
    char *data = NULL;
    size_t len = 0;
    if (store_blob_get(ctx->pg, p->sha256, &data, &len, err) < 0)
        return ENGINE_FAILED;
    store_insurer ins = {.id = ctx->job->insurer_id};
    engine_ingest_result res;
    /* The source's notes travel as lines of one text field; the message keeps each as a problem. */
    json_t *notes = NULL;
    if (p->notes && *p->notes) {
        notes = json_array();
        gchar **lines = g_strsplit(p->notes, "\n", -1);
        for (gchar **l = lines; *l; l++)
            if (**l)
                json_array_append_new(notes, json_string(*l));
        g_strfreev(lines);
    }
    engine_ingest_hints hints = {.content_sha256 = p->content_sha256, .notes = notes};
    int rc = engine_ingest(ctx->pg, &ins, p->source ? p->source : "eml", p->source_name,
                           p->source_id ? p->source_id : p->origin ? p->origin : p->sha256, data, len, &hints, &res,
                           err);
    json_decref(notes);
    g_free(data);
    if (rc < 0)
        return ENGINE_FAILED;
    if (res.case_id && !res.joined) {
        char key[64];
        snprintf(key, sizeof key, "case:%lld", res.case_id);
        rc = engine_followup(ctx, &steps_extract, &(steps_case_job){.case_id = res.case_id}, key, err);
    } else if (res.joined && res.has_list) {
        char key[96];
        snprintf(key, sizeof key, "case:%lld:revise:%lld", res.case_id, res.message_id);
        rc = engine_followup(ctx, &steps_revise,
                             &(steps_revise_job){.case_id = res.case_id, .message_id = res.message_id}, key, err);
    }
    ctx->event = json_pack("{s:s?, s:s, s:b, s:b, s:b, s:s?, s:I, s:s?, s:I, s:s?}", "origin", p->origin, "outcome",
                           res.parse_failed ? "error" : res.duplicate ? "duplicate" : res.joined ? "joined"
                                                       : res.cot[0] ? "case" : "no_case",
                           "duplicate", res.duplicate, "message_id_reused", res.message_id_reused,
                           "parse_failed", res.parse_failed,
                           "cot", res.cot[0] ? res.cot : NULL, "case_id", (json_int_t)res.case_id,
                           "error", res.parse_failed ? res.error : NULL, "message_id", (json_int_t)res.message_id,
                           "joined_by", res.joined ? res.joined_by : NULL);
    return rc;
}

void steps_ingest_key(long long insurer_id, const char *sha256, char key[96])
{
    snprintf(key, 96, "%lld:%s", insurer_id, sha256);
}

int steps_enqueue_ingest(PGconn *c, long long insurer_id, const steps_ingest_job *job, const char *batch_id,
                         bool revive_dead, long long *job_id, minca_err *err)
{
    char key[96];
    steps_ingest_key(insurer_id, job->sha256, key);
    queue_enqueue_opts o = {.insurer_id = insurer_id, .idempotency_key = key, .batch_id = batch_id,
                             .revive_dead = revive_dead};
    return engine_enqueue(c, &steps_ingest, job, &o, job_id, err);
}

/* ---- codify --------------------------------------------------------------------------- */

typedef struct cached_index {
    long long insurer_id, version_id;
    codify_index *idx;
    int refs;
} cached_index;

static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;
static cached_index *index_cache[16];

static void index_release(cached_index *ci)
{
    pthread_mutex_lock(&index_lock);
    bool free_it = --ci->refs == 0;
    pthread_mutex_unlock(&index_lock);
    if (free_it) {
        codify_index_free(ci->idx);
        g_free(ci);
    }
}

/* The index of the insurer's active catalog, rebuilt when a new version was imported. NULL
 * with *missing set when the insurer has no active catalog (err untouched), NULL alone on an
 * error. */
static cached_index *index_acquire(PGconn *c, long long insurer_id, bool *missing, minca_err *err)
{
    long long version = 0;
    *missing = false;
    int found = store_catalog_active_version(c, insurer_id, &version, err);
    if (found < 0)
        return NULL;
    if (!found) {
        *missing = true;
        return NULL;
    }
    pthread_mutex_lock(&index_lock);
    int slot = -1;
    for (int i = 0; i < 16; i++) {
        cached_index *ci = index_cache[i];
        if (ci && ci->insurer_id == insurer_id) {
            if (ci->version_id == version) {
                ci->refs++;
                pthread_mutex_unlock(&index_lock);
                return ci;
            }
            slot = i;
        }
        if (!ci && slot < 0)
            slot = i;
    }
    /* Built under the lock: concurrent jobs of a new catalog wait for one build. */
    cached_index *fresh = g_malloc0_n(1, sizeof *fresh);
    fresh->insurer_id = insurer_id;
    if (catalog_build_index(c, insurer_id, &fresh->idx, &fresh->version_id, err) < 0) {
        pthread_mutex_unlock(&index_lock);
        g_free(fresh);
        return NULL;
    }
    fresh->refs = 2; /* the cache's and the caller's */
    if (slot < 0)
        slot = 0;
    cached_index *old = index_cache[slot];
    index_cache[slot] = fresh;
    pthread_mutex_unlock(&index_lock);
    if (old)
        index_release(old);
    return fresh;
}

json_t *steps_candidates_json(const codify_result *res)
{
    json_t *arr = json_array();
    for (int i = 0; i < res->n_candidates; i++) {
        const codify_candidate *cd = &res->candidates[i];
        json_t *ev = json_array();
        for (int k = 0; k < cd->n_evidence; k++)
            json_array_append_new(ev, json_pack("{s:s, s:s, s:s, s:s}", "attr", codify_attr_name(cd->evidence[k].attr),
                                                "verdict", codify_verdict_name(cd->evidence[k].verdict),
                                                "query", cd->evidence[k].query_value, "catalog",
                                                cd->evidence[k].catalog_value));
        json_array_append_new(arr, json_pack("{s:s, s:i, s:f, s:s?, s:s?, s:s?, s:s, s:o}", "cvegs", cd->cvegs,
                                             "year", cd->year, "score", cd->score, "marca", cd->marca, "submarca",
                                             cd->submarca, "description", cd->description, "explanation",
                                             cd->explanation, "evidence", ev));
    }
    return arr;
}

/* A case is codified CODIFY_CHUNK rows per job: a large case is many short jobs (each with
 * its own lease and transaction) instead of one that holds thousands of rows at once. */
#define CODIFY_CHUNK 500

/* No active catalog: the job waits for one (the import wakes it). The check is made again
 * under the wait lock, held until the park commits, so an import cannot slip in between. 1:
 * parked (ENGINE_WAIT to return), 0: a catalog arrived meanwhile, -1: error. */
static int codify_wait_for_catalog(engine_ctx *ctx, long long case_id, minca_err *err)
{
    store_jobs_catalog_condition(ctx->job->insurer_id, ctx->wait_for);
    long long version = 0;
    if (store_jobs_wait_lock(ctx->pg, ctx->wait_for, err) < 0)
        return -1;
    int found = store_catalog_active_version(ctx->pg, ctx->job->insurer_id, &version, err);
    if (found != 0) {
        ctx->wait_for[0] = '\0';
        return found < 0 ? -1 : 0;
    }
    if (store_case_waiting(ctx->pg, case_id, "waiting for the insurer's catalog: import one with "
                                                 "'minca catalog import --insurer <slug> FILE'", err) < 0)
        return -1;
    ctx->event = json_pack("{s:I, s:s}", "case_id", (json_int_t)case_id, "waiting_for", ctx->wait_for);
    return 1;
}

static int step_codify(engine_ctx *ctx, const void *payload, minca_err *err)
{
    long long case_id = ((const steps_case_job *)payload)->case_id;
    store_codify_rows rows;
    if (store_vehicle_unmatched(ctx->pg, case_id, CODIFY_CHUNK, &rows, err) < 0)
        return ENGINE_FAILED;
    int rc = 0;
    cached_index *ci = NULL;
    codify_corrections *corr = NULL;
    if (rows.n > 0) {
        bool missing = false;
        ci = index_acquire(ctx->pg, ctx->job->insurer_id, &missing, err);
        if (missing) {
            int parked = codify_wait_for_catalog(ctx, case_id, err);
            if (parked != 0) {
                store_codify_rows_clear(&rows);
                return parked > 0 ? ENGINE_WAIT : ENGINE_FAILED;
            }
            ci = index_acquire(ctx->pg, ctx->job->insurer_id, &missing, err);
            if (missing)
                minca_err_set(err, "the insurer's catalog went away while codifying");
        }
        corr = ci ? catalog_corrections(ctx->pg, ctx->job->insurer_id, err) : NULL;
        if (!ci || !corr)
            rc = -1;
    }
    codify_options opts;
    codify_options_default(&opts);
    catalog_thresholds(ctx->pg, ctx->job->insurer_id, &opts.thresholds);
    opts.top_n = 5;
    opts.explain = true;
    opts.corrections = corr;
    codify_result *res = g_malloc(sizeof *res);
    /* The optional language model ranks the candidates of rows left for review. Its ranking
     * is shown to the reviewer only: the decision, the confidence and the calibration never
     * read it. */
    bool assist = rows.n > 0 && llm_available(ctx->pg, ctx->job->insurer_id);
    for (int i = 0; rc == 0 && i < rows.n; i++) {
        const store_codify_row *row = &rows.rows[i];
        codify_query q = {
            .marca = row->marca,
            .submarca = row->submarca,
            .anio = row->year,
            .descripcion = row->description,
            .vin = row->vin,
            .broker = row->broker,
        };
        if (codify_match(ci->idx, &q, &opts, res, err) < 0) {
            rc = -1;
            break;
        }
        /* A row read from an image waits for a person unless OCR was sure of every character
         * of its mapped cells (ocr_auto_accept): a misread digit would pass unseen. */
        char ocr_note[200] = "";
        if (row->ocr_confidence >= 0) {
            if (res->decision == CODIFY_AUTO_ACCEPT && row->ocr_confidence < config_get()->ocr_auto_accept)
                res->decision = CODIFY_NEEDS_REVIEW;
            snprintf(ocr_note, sizeof ocr_note, "read from an image (OCR confidence %.0f%%)%s%s",
                     row->ocr_confidence, res->reason[0] ? "; " : "", res->reason);
        }
        json_t *cands = steps_candidates_json(res);
        char *model_note = NULL;
        if (assist && res->decision == CODIFY_NEEDS_REVIEW)
            assist_rank(ctx->pg, ctx->job->insurer_id, q.descripcion, q.anio, q.vin, cands, &model_note);
        char *cands_s = json_dumps(cands, JSON_COMPACT);
        json_decref(cands);
        char norm_key[CODIFY_KEY_MAX];
        codify_correction_key(&q, norm_key);
        store_match_new m = {
            .vehicle_row_id = row->id,
            .insurer_id = ctx->job->insurer_id,
            .catalog_version_id = ci->version_id,
            .cvegs = res->cvegs,
            .year = res->year,
            .confidence = res->confidence,
            .decision = codify_decision_name(res->decision),
            .candidates_json = cands_s,
            .note = ocr_note[0] ? ocr_note : res->reason[0] ? res->reason : NULL,
            .model_note = model_note,
            .norm_key = norm_key,
        };
        rc = store_match_insert(ctx->pg, &m, err);
        g_free(model_note);
        free(cands_s);
    }
    g_free(res);
    codify_corrections_free(corr);
    if (ci)
        index_release(ci);
    int n_rows = rows.n;
    store_codify_rows_clear(&rows);
    /* A re-run of the case held its reviewers' decisions and notes (review_carryover): each
     * comes back on the row read again from the same source position with the same content,
     * over the codifier's fresh match. */
    if (rc == 0 && n_rows > 0)
        rc = store_match_restore_carryover(ctx->pg, case_id, err);
    if (rc < 0)
        return -1;
    ctx->event = json_pack("{s:I, s:i}", "case_id", (json_int_t)case_id, "rows", n_rows);
    if (n_rows == CODIFY_CHUNK) {
        /* More rows may wait: the next chunk is its own job (keyed by this one, so a retry of
         * this job does not enqueue it twice). The status is settled by the last chunk. */
        char key[96];
        snprintf(key, sizeof key, "case:%lld:codify-after:%lld", case_id, ctx->job->id);
        rc = engine_followup(ctx, &steps_codify, &(steps_case_job){.case_id = case_id}, key, err);
        if (rc == 0)
            rc = store_case_codify_progress(ctx->pg, case_id, err);
        return rc;
    }
    return steps_update_case_status(ctx->pg, case_id, err);
}

int steps_update_case_status(PGconn *c, long long case_id, minca_err *err)
{
    /* review: some row still needs a person; ready: every row has a decided key. An exported
     * case stays exported. */
    return store_case_settle_status(c, case_id, err);
}

/* A job of a case ended dead: the case shows status error with the reason, so it does not
 * sit in an intermediate status (retrying the job runs the step again). */
static void case_step_dead(PGconn *c, const queue_job *job, const void *payload, const char *error)
{
    long long cid = ((const steps_case_job *)payload)->case_id;
    char reason[1200];
    snprintf(reason, sizeof reason, "the %s step failed after %d attempts: %s (minca jobs retry %lld)", job->kind,
             job->attempts, error ? error : "?", job->id);
    minca_err err = {0};
    if (store_case_mark_failed(c, cid, reason, &err) < 0)
        log_warn("case %lld: cannot record the failed step: %s", cid, err.msg);
}

/* ---- probe: diagnostics for operators (minca jobs probe) ----------------------------- */

static int step_probe(engine_ctx *ctx, const void *payload, minca_err *err)
{
    (void)ctx;
    const steps_probe_job *p = payload;
    if (p->sleep_ms > 0)
        usleep((useconds_t)(p->sleep_ms > 60000 ? 60000 : p->sleep_ms) * 1000);
    if (p->fail) {
        minca_err_set(err, "probe failure requested: %s", p->fail);
        return p->permanent ? ENGINE_FAILED_PERMANENT : ENGINE_FAILED;
    }
    return ENGINE_DONE;
}

/* ---- the table of job kinds ------------------------------------------------------------ */

#define FIELD(type, member, kind, required) {#member, ENGINE_FIELD_##kind, offsetof(type, member), required}

static const engine_field ingest_fields[] = {
    FIELD(steps_ingest_job, sha256, TEXT, true),
    FIELD(steps_ingest_job, origin, TEXT, false),
    FIELD(steps_ingest_job, source, TEXT, false),
    FIELD(steps_ingest_job, source_name, TEXT, false),
    FIELD(steps_ingest_job, source_id, TEXT, false),
    FIELD(steps_ingest_job, content_sha256, TEXT, false),
    FIELD(steps_ingest_job, notes, TEXT, false),
    {0},
};
static const engine_field case_fields[] = {
    FIELD(steps_case_job, case_id, INT, true),
    {0},
};
static const engine_field revise_fields[] = {
    FIELD(steps_revise_job, case_id, INT, true),
    FIELD(steps_revise_job, message_id, INT, true),
    {0},
};
static const engine_field probe_fields[] = {
    FIELD(steps_probe_job, sleep_ms, INT, false),
    FIELD(steps_probe_job, fail, TEXT, false),
    FIELD(steps_probe_job, permanent, INT, false),
    {0},
};

const engine_kind steps_ingest = {"ingest", step_ingest, sizeof(steps_ingest_job), ingest_fields,
                                  ENGINE_RETRY_TRANSIENT, NULL};
const engine_kind steps_extract = {"extract", steps_extract_run, sizeof(steps_case_job), case_fields,
                                   ENGINE_RETRY_TRANSIENT, case_step_dead};
const engine_kind steps_codify = {"codify", step_codify, sizeof(steps_case_job), case_fields,
                                  ENGINE_RETRY_TRANSIENT, case_step_dead};
const engine_kind steps_revise = {"revise", steps_revise_run, sizeof(steps_revise_job), revise_fields,
                                  ENGINE_RETRY_TRANSIENT, case_step_dead};
const engine_kind steps_probe = {"probe", step_probe, sizeof(steps_probe_job), probe_fields,
                                 ENGINE_RETRY_TRANSIENT, NULL};

const engine_kind *const steps_kinds[] = {
    &steps_ingest,
    &steps_extract,
    &steps_codify,
    &steps_revise,
    &steps_outbox,
    &steps_probe,
    NULL,
};
