/* Pipeline step 1: raw email -> message, blobs, attachments, case with COT number. */
#include "minca/assist.h"
#include "minca/engine.h"
#include "minca/config.h"
#include "minca/intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *nz(const char *s) { return (s && *s) ? s : NULL; }

static json_t *string_array(char **items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(items[i]));
    return arr;
}

/* A message opens a case when it names a client (by name or RFC) or carries a vehicle list;
 * a general question without either does not. */
static bool asks_for_quote(const intake_analysis *a)
{
    return a && (a->client_name || a->rfc || a->has_vehicle_source);
}

static int find_broker(PGconn *c, long long insurer_id, const char *domain, char *broker_id,
                       size_t len, minca_err *err)
{
    broker_id[0] = '\0';
    if (!domain)
        return 0;
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins, domain};
    PGresult *r = store_query(c, err, "SELECT broker_id FROM broker_domains WHERE insurer_id = $1::bigint AND domain = $2", 2, p);
    if (!r)
        return -1;
    if (PQntuples(r) > 0)
        snprintf(broker_id, len, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

static int insert_message(PGconn *c, const store_insurer *ins, const char *source, const char *source_name,
                          const char *origin, const char *data, size_t len, const intake_message *m,
                          const char *raw_sha, const char *broker_id,
                          const char *status, const char *error, json_t *problems,
                          engine_ingest_result *res, minca_err *err)
{
    char ins_id[32];
    snprintf(ins_id, sizeof ins_id, "%lld", ins->id);
    char synthetic_id[128];
    if (!m)
        snprintf(synthetic_id, sizeof synthetic_id, "<sha256-%s@minca.invalid>", raw_sha);
    const char *message_id = m ? m->message_id : synthetic_id;
    char content_sha[65];
    intake_content_sha256(data, len, content_sha);
    /* The same Message-ID with the same content (and so the same sender) is this message
     * again. With other content it is another message: stored, opening its own case, and
     * flagged. Rows stored before content hashes existed match by Message-ID and sender. */
    const char *pq[] = {ins_id, message_id, content_sha, m ? m->from_addr : NULL};
    PGresult *r = store_query(c, err,
                              "SELECT coalesce(bool_or(content_sha256 = $3 OR (content_sha256 IS NULL"
                              "                        AND from_addr IS NOT DISTINCT FROM $4)), false),"
                              "       (array_agg(coalesce(from_addr, '?') ORDER BY id))[1]"
                              "  FROM messages WHERE insurer_id = $1::bigint AND message_id = $2",
                              4, pq);
    if (!r)
        return minca_err_prefix(err, "cannot store message");
    if (strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
        res->duplicate = true;
        PQclear(r);
        return 0;
    }
    if (!PQgetisnull(r, 0, 1)) {
        char note[1200];
        snprintf(note, sizeof note, "Message-ID %s was already used by a different message (from %s): "
                 "stored as a new message, not as a duplicate", message_id, PQgetvalue(r, 0, 1));
        json_array_append_new(problems, json_string(note));
        res->message_id_reused = true;
        log_warn("%s: %s", origin, note);
    }
    PQclear(r);
    char *headers = m ? json_dumps(m->headers, JSON_COMPACT) : strdup("{}");
    char *probs = json_dumps(problems, JSON_COMPACT);
    char sent[64] = "";
    if (m && m->date_valid)
        snprintf(sent, sizeof sent, "%lld", (long long)m->date);
    const char *p[] = {
        ins_id, source, origin, message_id,
        (!m || m->message_id_synthetic) ? "t" : "f",
        m ? m->in_reply_to : NULL, m ? m->from_addr : NULL, m ? m->from_name : NULL,
        m ? m->sender_domain : NULL, m ? m->to : NULL, m ? m->subject : NULL, nz(sent),
        headers, m ? m->text_body : NULL, m ? m->html_body : NULL, raw_sha, nz(broker_id),
        status, error, probs, content_sha, source_name,
    };
    r = store_query(
        c, err,
        "INSERT INTO messages (insurer_id, source, source_ref, message_id, message_id_synthetic,"
        " in_reply_to, from_addr, from_name, sender_domain, to_addrs, subject, sent_at, headers,"
        " body_text, body_html, raw_sha256, broker_id, status, error, problems, content_sha256, source_name)"
        " VALUES ($1::bigint, $2, $3, $4, $5::boolean, $6, $7, $8, $9, $10, $11,"
        "         to_timestamp($12::double precision), $13::jsonb, $14, $15, $16, $17::bigint, $18,"
        "         $19, $20::jsonb, $21, $22)"
        " ON CONFLICT (insurer_id, message_id, content_sha256) DO NOTHING RETURNING id",
        22, p);
    free(headers);
    free(probs);
    if (!r)
        return minca_err_prefix(err, "cannot store message");
    if (PQntuples(r) == 0) {
        res->duplicate = true;
    } else {
        res->message_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    }
    PQclear(r);
    return 0;
}

static int insert_attachments(PGconn *c, const store_insurer *ins, const intake_message *m,
                              engine_ingest_result *res, minca_err *err)
{
    char ins_id[32], msg_id[32];
    snprintf(ins_id, sizeof ins_id, "%lld", ins->id);
    snprintf(msg_id, sizeof msg_id, "%lld", res->message_id);
    for (size_t i = 0; i < m->n_attachments; i++) {
        const intake_attachment *a = &m->attachments[i];
        char sha[65], ordinal[24], size[32];
        if (store_blob_put(c, a->data, a->size, sha, err) < 0)
            return minca_err_prefix(err, "attachment %s", a->filename);
        snprintf(ordinal, sizeof ordinal, "%zu", i + 1);
        snprintf(size, sizeof size, "%zu", a->size);
        const char *p[] = {ins_id, msg_id, ordinal, a->filename, a->content_type, a->container,
                           intake_role_name(a->role), sha, size};
        if (store_exec(c, err,
                       "INSERT INTO attachments (insurer_id, message_id, ordinal, filename, content_type,"
                       " container, role, sha256, size) VALUES ($1::bigint, $2::bigint, $3::int, $4, $5,"
                       " $6, $7, $8, $9::bigint) ON CONFLICT (message_id, ordinal) DO NOTHING",
                       9, p) < 0)
            return minca_err_prefix(err, "attachment %s", a->filename);
        res->n_attachments++;
    }
    return 0;
}

static int insert_case(PGconn *c, const store_insurer *ins, const intake_analysis *a, const json_t *suggested,
                       const char *broker_id, engine_ingest_result *res, minca_err *err)
{
    if (store_cot_next(c, ins->id, 0, res->cot, sizeof res->cot, err) < 0)
        return -1;
    char ins_id[32], msg_id[32];
    snprintf(ins_id, sizeof ins_id, "%lld", ins->id);
    snprintf(msg_id, sizeof msg_id, "%lld", res->message_id);
    json_t *contact = json_pack("{s:s?, s:s?, s:s?}", "name", a->contact_name, "phone",
                                a->contact_phone, "email", a->contact_email);
    char *contact_s = json_dumps(contact, JSON_COMPACT);
    json_t *missing = string_array(a->missing, a->n_missing);
    char *missing_s = json_dumps(missing, JSON_COMPACT);
    char *suggested_s = suggested ? json_dumps(suggested, JSON_COMPACT) : NULL;
    const char *p[] = {
        ins_id, res->cot, msg_id, nz(broker_id), a->client_name, a->rfc, contact_s, a->coverage,
        a->payment_terms, a->uso, a->vigencia_start, a->vigencia_end,
        a->n_missing ? "incomplete" : "complete", missing_s, nz(broker_id) ? "f" : "t",
        suggested_s ? suggested_s : "{}",
    };
    PGresult *r = store_query(
        c, err,
        "INSERT INTO cases (insurer_id, cot, message_id, broker_id, client_name, rfc, contact, coverage,"
        " payment_terms, uso, validity_start, validity_end, preanalysis_status, missing_requirements,"
        " needs_profile, suggested)"
        " VALUES ($1::bigint, $2, $3::bigint, $4::bigint, $5, $6, $7::jsonb, $8, $9, $10, $11::date,"
        "         $12::date, $13, $14::jsonb, $15::boolean, $16::jsonb) RETURNING id",
        16, p);
    free(suggested_s);
    free(contact_s);
    free(missing_s);
    json_decref(contact);
    json_decref(missing);
    if (!r)
        return minca_err_prefix(err, "cannot open case");
    res->case_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

int engine_ingest(PGconn *c, const store_insurer *ins, const char *source, const char *source_name, const char *origin,
                  const char *data, size_t len, engine_ingest_result *res, minca_err *err)
{
    memset(res, 0, sizeof *res);
    intake_message *m = NULL;
    intake_analysis *a = NULL;
    minca_err perr = {0};
    if (intake_parse(data, len, &m, &perr) < 0) {
        res->parse_failed = true;
        snprintf(res->error, sizeof res->error, "%s", perr.msg);
    } else if (intake_analyze(m, &a, &perr) < 0) {
        log_warn("%s: pre-analysis failed: %s", origin, perr.msg);
        a = NULL;
    }
    if (m) {
        snprintf(res->subject, sizeof res->subject, "%s", m->subject ? m->subject : "");
        snprintf(res->from, sizeof res->from, "%s", m->from_addr ? m->from_addr : "");
    }
    int rc = -1;
    char broker_id[32] = "";
    json_t *problems = m ? string_array(m->problems, m->n_problems) : json_array();
    if (m && !a && perr.msg[0]) {
        /* Kept on the message: it explains why no case was opened. */
        char note[1100];
        snprintf(note, sizeof note, "the body could not be pre-analysed: %s", perr.msg);
        json_array_append_new(problems, json_string(note));
    }
    /* Where the rules left body fields empty, the optional language model may suggest them. */
    json_t *suggested = NULL;
    if (m && a) {
        char *assist_note = NULL;
        assist_body(c, ins->id, m, a, &suggested, &assist_note);
        if (assist_note)
            json_array_append_new(problems, json_string(assist_note));
        free(assist_note);
    }
    res->n_problems = m ? (int)m->n_problems : 0;
    char raw_sha[65];
    if (store_blob_put(c, data, len, raw_sha, err) < 0)
        goto done;
    if (m && find_broker(c, ins->id, m->sender_domain, broker_id, sizeof broker_id, err) < 0)
        goto done;
    bool opens_case = m && asks_for_quote(a);
    const char *status = res->parse_failed ? "error" : (opens_case ? "processed" : "ignored");
    if (insert_message(c, ins, source, source_name, origin, data, len, m, raw_sha, broker_id, status,
                       res->parse_failed ? res->error : NULL, problems, res, err) < 0)
        goto done;
    if (res->duplicate) {
        rc = 0;
        goto done;
    }
    if (m && insert_attachments(c, ins, m, res, err) < 0)
        goto done;
    if (opens_case && insert_case(c, ins, a, suggested, broker_id, res, err) < 0)
        goto done;
    char msg_id[32];
    snprintf(msg_id, sizeof msg_id, "%lld", res->message_id);
    json_t *details = json_pack("{s:s, s:s, s:s?, s:s?, s:s?}", "origin", origin, "source", source, "source_name",
                                source_name, "cot", res->cot[0] ? res->cot : NULL, "error",
                                res->parse_failed ? res->error : NULL);
    int arc = store_audit(c, ins->id, config_get()->user, "ingest", "message", msg_id, details, err);
    json_decref(details);
    if (arc < 0)
        goto done;
    rc = 0;
done:
    json_decref(suggested);
    json_decref(problems);
    intake_analysis_free(a);
    intake_message_free(m);
    return rc;
}
