/* Pipeline step handlers: ingest -> extract -> codify (-> export). Each runs inside the
 * transaction the runner opened for its job (see engine_run.h). */
#include "minca/assist.h"
#include "minca/catalog.h"
#include "minca/config.h"
#include "minca/engine.h"
#include "minca/engine_run.h"
#include "minca/llm.h"
#include "minca/steps.h"

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
    char id[32];
    snprintf(id, sizeof id, "%lld", insurer_id);
    const char *p[] = {id};
    PGresult *r = store_query(c, err, "SELECT id FROM catalog_versions WHERE insurer_id = $1::bigint AND active", 1, p);
    if (!r)
        return NULL;
    if (PQntuples(r) == 0) {
        PQclear(r);
        minca_err_set(err, "the insurer has no active catalog; import one with "
                           "'minca catalog import --insurer <slug> FILE'");
        return NULL;
    }
    long long version = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
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
#define CODIFY_CHUNK_SQL "500"

/* A re-run of the case held its reviewers' decisions and notes (review_carryover): each
 * comes back on the row read again from the same source position with the same content,
 * over the codifier's fresh match. */
static int restore_carryover(PGconn *c, long long case_id, minca_err *err)
{
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {cid};
    return store_exec(c, err,
                      "WITH kept AS ("
                      "  UPDATE review_carryover r SET restored_at = now(), restored_row_id = v.id"
                      "    FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"
                      "   WHERE r.case_id = $1::bigint AND r.restored_at IS NULL AND r.discarded_at IS NULL"
                      "     AND v.case_id = r.case_id AND coalesce(v.attachment_id, 0) = coalesce(r.attachment_id, 0)"
                      "     AND coalesce(v.source_sheet, '') = coalesce(r.source_sheet, '')"
                      "     AND v.source_row = r.source_row AND minca_row_content(v) = r.content"
                      "  RETURNING r.*),"
                      " audited AS ("
                      "  INSERT INTO audit_log (insurer_id, actor, action, entity, entity_id, details)"
                      "  SELECT k.insurer_id, coalesce(k.reviewed_by, 'minca'), 'review.kept', 'vehicle_row',"
                      "         k.restored_row_id::text, jsonb_build_object('case_id', k.case_id, 'carryover_id', k.id,"
                      "         'decision', k.decision, 'cvegs', k.cvegs, 'year', k.year, 'note', k.note)"
                      "    FROM kept k)"
                      " UPDATE matches x SET"
                      "   cvegs = CASE WHEN k.decision IS NOT NULL THEN k.cvegs ELSE x.cvegs END,"
                      "   year = CASE WHEN k.decision IS NOT NULL THEN k.year ELSE x.year END,"
                      "   decision = coalesce(k.decision, x.decision),"
                      "   reviewed_by = CASE WHEN k.decision IS NOT NULL THEN k.reviewed_by ELSE x.reviewed_by END,"
                      "   reviewed_at = CASE WHEN k.decision IS NOT NULL THEN k.reviewed_at ELSE x.reviewed_at END,"
                      "   note = coalesce(k.note, x.note), updated_at = now()"
                      "  FROM kept k WHERE x.vehicle_row_id = k.restored_row_id",
                      1, p);
}

static int step_codify(engine_ctx *ctx, minca_err *err)
{
    json_int_t case_id = json_integer_value(json_object_get(ctx->job->payload, "case_id"));
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    const char *p[] = {cid};
    PGresult *rows = store_query(ctx->pg, err,
                                 "SELECT v.id, v.marca, v.submarca, v.year, v.description, v.vin, k.broker_id::text"
                                 "  FROM vehicle_rows v JOIN cases k ON k.id = v.case_id"
                                 "  LEFT JOIN matches x ON x.vehicle_row_id = v.id"
                                 " WHERE v.case_id = $1::bigint AND x.vehicle_row_id IS NULL ORDER BY v.id"
                                 " LIMIT " CODIFY_CHUNK_SQL,
                                 1, p);
    if (!rows)
        return -1;
    int rc = 0;
    cached_index *ci = NULL;
    codify_corrections *corr = NULL;
    if (PQntuples(rows) > 0) {
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
    char ins[32], ver[32];
    snprintf(ins, sizeof ins, "%lld", ctx->job->insurer_id);
    snprintf(ver, sizeof ver, "%lld", ci ? ci->version_id : 0);
    codify_result *res = malloc(sizeof *res);
    /* The optional language model ranks the candidates of rows left for review. Its ranking
     * is shown to the reviewer only: the decision, the confidence and the calibration never
     * read it. */
    bool assist = PQntuples(rows) > 0 && llm_available(ctx->pg, ctx->job->insurer_id);
    for (int i = 0; rc == 0 && i < PQntuples(rows); i++) {
        codify_query q = {
            .marca = PQgetvalue(rows, i, 1),
            .submarca = PQgetvalue(rows, i, 2),
            .anio = atoi(PQgetvalue(rows, i, 3)),
            .descripcion = PQgetvalue(rows, i, 4),
            .vin = PQgetisnull(rows, i, 5) ? NULL : PQgetvalue(rows, i, 5),
            .broker = PQgetisnull(rows, i, 6) ? NULL : PQgetvalue(rows, i, 6),
        };
        if (codify_match(ci->idx, &q, &opts, res, err) < 0) {
            rc = -1;
            break;
        }
        json_t *cands = steps_candidates_json(res);
        char *model_note = NULL;
        if (assist && res->decision == CODIFY_NEEDS_REVIEW)
            assist_rank(ctx->pg, ctx->job->insurer_id, q.descripcion, q.anio, q.vin, cands, &model_note);
        char *cands_s = json_dumps(cands, JSON_COMPACT);
        json_decref(cands);
        char year[16], conf[32];
        snprintf(year, sizeof year, "%d", res->year);
        snprintf(conf, sizeof conf, "%.6f", res->confidence);
        char norm_key[CODIFY_KEY_MAX];
        codify_correction_key(&q, norm_key);
        const char *mp[] = {PQgetvalue(rows, i, 0), ins, ver, res->cvegs[0] ? res->cvegs : NULL,
                            res->cvegs[0] ? year : NULL, conf, codify_decision_name(res->decision), cands_s,
                            res->reason[0] ? res->reason : NULL, model_note, norm_key};
        rc = store_exec(ctx->pg, err,
                        "INSERT INTO matches (vehicle_row_id, insurer_id, catalog_version_id, cvegs, year, confidence,"
                        " decision, candidates, note, model_note, norm_key) VALUES ($1::bigint, $2::bigint, $3::bigint, $4,"
                        " $5::int, $6::float8, $7, $8::jsonb, $9, $10, $11) ON CONFLICT (vehicle_row_id) DO NOTHING",
                        11, mp);
        free(model_note);
        free(cands_s);
    }
    free(res);
    codify_corrections_free(corr);
    if (ci)
        index_release(ci);
    int n_rows = PQntuples(rows);
    PQclear(rows);
    if (rc == 0 && n_rows > 0)
        rc = restore_carryover(ctx->pg, case_id, err);
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
            rc = store_exec(ctx->pg, err,
                            "UPDATE cases k SET status_reason = 'codifying: ' ||"
                            " (SELECT count(*) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"
                            "   WHERE v.case_id = k.id) || ' of ' ||"
                            " (SELECT count(*) FROM vehicle_rows v WHERE v.case_id = k.id) || ' vehicle(s) done',"
                            " updated_at = now() WHERE k.id = $1::bigint AND k.status <> 'exported'",
                            1, p);
        return rc;
    }
    return steps_update_case_status(ctx->pg, case_id, err);
}

int steps_update_case_status(PGconn *c, long long case_id, minca_err *err)
{
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {cid};
    /* review: some row still needs a person; ready: every row has a decided key. An exported
     * case stays exported. */
    return store_exec(c, err,
                      "UPDATE cases k SET updated_at = now(),"
                      " status = CASE"
                      "   WHEN s.rows = 0 THEN 'review'"
                      "   WHEN s.open > 0 THEN 'review' ELSE 'ready' END,"
                      " status_reason = CASE WHEN s.rows = 0 THEN 'no vehicle rows were extracted'"
                      "   WHEN s.open > 0 THEN s.open || ' of ' || s.rows || ' vehicle(s) need review' END"
                      " FROM (SELECT count(v.id) AS rows,"
                      "              count(v.id) FILTER (WHERE x.decision IS NULL OR x.decision IN ('needs_review', 'no_match')) AS open"
                      "         FROM vehicle_rows v LEFT JOIN matches x ON x.vehicle_row_id = v.id"
                      "        WHERE v.case_id = $1::bigint) s"
                      " WHERE k.id = $1::bigint AND k.status <> 'exported'",
                      1, p);
}

void steps_job_dead(PGconn *c, const queue_job *job, const char *error)
{
    json_t *case_id = json_object_get(job->payload, "case_id");
    if (!json_is_integer(case_id))
        return;
    char cid[32], reason[1200];
    snprintf(cid, sizeof cid, "%lld", (long long)json_integer_value(case_id));
    snprintf(reason, sizeof reason, "the %s step failed after %d attempts: %s (minca jobs retry %lld)", job->kind,
             job->attempts, error ? error : "?", job->id);
    const char *p[] = {cid, reason};
    minca_err err = {0};
    if (store_exec(c, &err,
                   "UPDATE cases SET status = 'error', status_reason = $2, updated_at = now()"
                   " WHERE id = $1::bigint AND status <> 'exported'",
                   2, p) < 0)
        log_warn("case %s: cannot record the failed step: %s", cid, err.msg);
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
