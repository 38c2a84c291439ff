/* Pipeline step handlers: ingest -> extract -> codify (exporting a case is a desk service,
 * desk/export_case.c). Each runs inside the transaction the runner opened for its job (see
 * engine_run.h). */
#include "minca/assist.h"
#include "minca/catalog.h"
#include "minca/config.h"
#include "minca/engine.h"
#include "minca/engine_run.h"
#include "minca/llm.h"
#include "minca/steps.h"
#include "minca/store_case_flow.h"
#include "minca/store_catalog.h"
#include "minca/store_vehicle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- ingest --------------------------------------------------------------------------- */

static int step_ingest(engine_ctx *ctx, minca_err *err)
{
    json_t *p = ctx->job->payload;
    const char *sha = json_string_value(json_object_get(p, "sha256"));
    const char *origin = json_string_value(json_object_get(p, "origin"));
    const char *source = json_string_value(json_object_get(p, "source"));
    const char *source_name = json_string_value(json_object_get(p, "source_name"));
    const char *source_id = json_string_value(json_object_get(p, "source_id"));
    if (!sha)
        return minca_err_set(err, "ingest job without sha256");
    char *data = NULL;
    size_t len = 0;
    if (store_blob_get(ctx->pg, sha, &data, &len, err) < 0)
        return -1;
    store_insurer ins = {.id = ctx->job->insurer_id};
    engine_ingest_result res;
    int rc = engine_ingest(ctx->pg, &ins, source ? source : "eml", source_name,
                           source_id ? source_id : origin ? origin : sha, data, len, &res, err);
    free(data);
    if (rc < 0)
        return -1;
    if (res.case_id) {
        char key[64];
        snprintf(key, sizeof key, "case:%lld", res.case_id);
        json_t *next = json_pack("{s:I}", "case_id", (json_int_t)res.case_id);
        rc = engine_followup(ctx, STEP_EXTRACT, next, key, err);
        json_decref(next);
    }
    ctx->event = json_pack("{s:s?, s:s, s:b, s:b, s:b, s:s?, s:I, s:s?, s:I}", "origin", origin, "outcome",
                           res.parse_failed ? "error" : res.duplicate ? "duplicate" : res.cot[0] ? "case" : "no_case",
                           "duplicate", res.duplicate, "message_id_reused", res.message_id_reused,
                           "parse_failed", res.parse_failed,
                           "cot", res.cot[0] ? res.cot : NULL, "case_id", (json_int_t)res.case_id,
                           "error", res.parse_failed ? res.error : NULL, "message_id", (json_int_t)res.message_id);
    return rc;
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
        free(ci);
    }
}

/* The index of the insurer's active catalog, rebuilt when a new version was imported. */
static cached_index *index_acquire(PGconn *c, long long insurer_id, minca_err *err)
{
    long long version = 0;
    int found = store_catalog_active_version(c, insurer_id, &version, err);
    if (found < 0)
        return NULL;
    if (!found) {
        minca_err_set(err, "the insurer has no active catalog; import one with "
                           "'minca catalog import --insurer <slug> FILE'");
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
    cached_index *fresh = calloc(1, sizeof *fresh);
    fresh->insurer_id = insurer_id;
    if (catalog_build_index(c, insurer_id, &fresh->idx, &fresh->version_id, err) < 0) {
        pthread_mutex_unlock(&index_lock);
        free(fresh);
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

static int step_codify(engine_ctx *ctx, minca_err *err)
{
    json_int_t case_id = json_integer_value(json_object_get(ctx->job->payload, "case_id"));
    store_codify_rows rows;
    if (store_vehicle_unmatched(ctx->pg, case_id, CODIFY_CHUNK, &rows, err) < 0)
        return -1;
    int rc = 0;
    cached_index *ci = NULL;
    codify_corrections *corr = NULL;
    if (rows.n > 0) {
        ci = index_acquire(ctx->pg, ctx->job->insurer_id, err);
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
    codify_result *res = malloc(sizeof *res);
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
        free(model_note);
        free(cands_s);
    }
    free(res);
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
        snprintf(key, sizeof key, "case:%lld:codify-after:%lld", (long long)case_id, ctx->job->id);
        json_t *next = json_pack("{s:I}", "case_id", case_id);
        rc = engine_followup(ctx, STEP_CODIFY, next, key, err);
        json_decref(next);
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

void steps_job_dead(PGconn *c, const queue_job *job, const char *error)
{
    json_t *case_id = json_object_get(job->payload, "case_id");
    if (!json_is_integer(case_id))
        return;
    long long cid = json_integer_value(case_id);
    char reason[1200];
    snprintf(reason, sizeof reason, "the %s step failed after %d attempts: %s (minca jobs retry %lld)", job->kind,
             job->attempts, error ? error : "?", job->id);
    minca_err err = {0};
    if (store_case_mark_failed(c, cid, reason, &err) < 0)
        log_warn("case %lld: cannot record the failed step: %s", cid, err.msg);
}

/* ---- probe: diagnostics for operators (minca jobs probe) ----------------------------- */

static int step_probe(engine_ctx *ctx, minca_err *err)
{
    json_t *p = ctx->job->payload;
    json_int_t sleep_ms = json_integer_value(json_object_get(p, "sleep_ms"));
    if (sleep_ms > 0)
        usleep((useconds_t)(sleep_ms > 60000 ? 60000 : sleep_ms) * 1000);
    const char *fail = json_string_value(json_object_get(p, "fail"));
    if (fail)
        return minca_err_set(err, "probe failure requested: %s", fail);
    return 0;
}

/* ---- the table of job kinds ------------------------------------------------------------ */

static const engine_handler step_ingest_entry = {STEP_INGEST, step_ingest};
static const engine_handler step_codify_entry = {STEP_CODIFY, step_codify};
static const engine_handler step_probe_entry = {STEP_PROBE, step_probe};

const engine_handler *const steps_handlers[] = {
    &step_ingest_entry,
    &step_codify_entry,
    &step_probe_entry,
    &steps_extract_entry,
    NULL,
};
