/* Pipeline step 1: raw email -> message, blobs, attachments, case with COT number. */
#include "minca/engine_assist.h"
#include "minca/engine.h"
#include "minca/core_config.h"
#include "minca/intake.h"
#include "minca/store_broker.h"
#include "minca/store_case_flow.h"
#include "minca/store_message.h"
#include "minca/store_revision.h"
#include "minca/store_thread.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static int insert_message(PGconn *c, const store_insurer *ins, const char *source, const char *source_name,
                          const char *origin, const char *data, size_t len, const intake_message *m,
                          const char *raw_sha, const char *source_content_sha, long long broker_id,
                          const char *forwarded_from, const char *thread_refs, const char *status, const char *error,
                          json_t *problems, engine_ingest_result *res, minca_err *err)
{
    char synthetic_id[128];
    if (!m)
        snprintf(synthetic_id, sizeof synthetic_id, "<sha256-%s@minca.invalid>", raw_sha);
    const char *message_id = m ? m->message_id : synthetic_id;
    char content_sha[65];
    if (source_content_sha && strlen(source_content_sha) == 64)
        g_strlcpy(content_sha, source_content_sha, sizeof content_sha);
    else
        intake_content_sha256(data, len, content_sha);
    /* The same Message-ID with the same content (and so the same sender) is this message
     * again. With other content it is another message: stored, opening its own case, and
     * flagged. Rows stored before content hashes existed match by Message-ID and sender. */
    bool duplicate = false;
    char *reused_from = NULL;
    if (store_message_prior(c, ins->id, message_id, content_sha, m ? m->from_addr : NULL, &duplicate, &reused_from,
                            err) < 0)
        return minca_err_prefix(err, "cannot store message");
    if (duplicate) {
        res->duplicate = true;
        return 0;
    }
    if (reused_from) {
        char note[1200];
        snprintf(note, sizeof note, "Message-ID %s was already used by a different message (from %s): "
                 "stored as a new message, not as a duplicate", message_id, reused_from);
        json_array_append_new(problems, json_string(note));
        res->message_id_reused = true;
        log_warn("%s: %s", origin, note);
        g_free(reused_from);
    }
    char *headers = m ? json_dumps(m->headers, JSON_COMPACT) : g_strdup("{}");
    char *probs = json_dumps(problems, JSON_COMPACT);
    store_message_new row = {
        .insurer_id = ins->id,
        .source = source,
        .source_ref = origin,
        .source_name = source_name,
        .message_id = message_id,
        .message_id_synthetic = !m || m->message_id_synthetic,
        .in_reply_to = m ? m->in_reply_to : NULL,
        .from_addr = m ? m->from_addr : NULL,
        .from_name = m ? m->from_name : NULL,
        .sender_domain = m ? m->sender_domain : NULL,
        .to_addrs = m ? m->to : NULL,
        .subject = m ? m->subject : NULL,
        .has_sent_at = m && m->date_valid,
        .sent_at = m ? (long long)m->date : 0,
        .headers_json = headers,
        .body_text = m ? m->text_body : NULL,
        .body_html = m ? m->html_body : NULL,
        .raw_sha256 = raw_sha,
        .content_sha256 = content_sha,
        .broker_id = broker_id,
        .forwarded_from = forwarded_from,
        .thread_refs = thread_refs,
        .status = status,
        .error = error,
        .problems_json = probs,
    };
    long long id = 0;
    int rc = store_message_insert(c, &row, &id, err);
    g_free(headers);   /* json_dumps text or g_strdup: GLib allocates with malloc */
    free(probs);
    if (rc < 0)
        return minca_err_prefix(err, "cannot store message");
    if (id == 0)
        res->duplicate = true;
    else
        res->message_id = id;
    return 0;
}

static int insert_attachments(PGconn *c, const store_insurer *ins, const intake_message *m,
                              engine_ingest_result *res, minca_err *err)
{
    for (size_t i = 0; i < m->n_attachments; i++) {
        const intake_attachment *a = &m->attachments[i];
        char sha[65];
        if (store_blob_put(c, a->data, a->size, sha, err) < 0)
            return minca_err_prefix(err, "attachment %s", a->filename);
        store_attachment_new row = {
            .insurer_id = ins->id,
            .message_id = res->message_id,
            .ordinal = (int)i + 1,
            .filename = a->filename,
            .content_type = a->content_type,
            .container = a->container,
            .role = intake_role_name(a->role),
            .sha256 = sha,
            .size = a->size,
        };
        if (store_attachment_insert(c, &row, err) < 0)
            return minca_err_prefix(err, "attachment %s", a->filename);
        res->n_attachments++;
    }
    return 0;
}

static int insert_case(PGconn *c, const store_insurer *ins, const intake_analysis *a, const json_t *suggested,
                       long long broker_id, engine_ingest_result *res, minca_err *err)
{
    if (store_cot_next(c, ins->id, 0, res->cot, sizeof res->cot, err) < 0)
        return -1;
    json_t *contact = json_pack("{s:s?, s:s?, s:s?}", "name", a->contact_name, "phone",
                                a->contact_phone, "email", a->contact_email);
    char *contact_s = json_dumps(contact, JSON_COMPACT);
    json_t *missing = string_array(a->missing, a->n_missing);
    char *missing_s = json_dumps(missing, JSON_COMPACT);
    char *suggested_s = suggested ? json_dumps(suggested, JSON_COMPACT) : NULL;
    store_case_new k = {
        .insurer_id = ins->id,
        .message_id = res->message_id,
        .broker_id = broker_id,
        .cot = res->cot,
        .client_name = a->client_name,
        .rfc = a->rfc,
        .contact_json = contact_s,
        .coverage = a->coverage,
        .payment_terms = a->payment_terms,
        .uso = a->uso,
        .uso_stated = a->uso_raw,
        .validity_start = a->vigencia_start,
        .validity_end = a->vigencia_end,
        .preanalysis_status = a->n_missing ? "incomplete" : "complete",
        .missing_json = missing_s,
        .needs_profile = broker_id <= 0,
        .suggested_json = suggested_s ? suggested_s : "{}",
    };
    int rc = store_case_open(c, &k, &res->case_id, err);
    free(suggested_s);
    free(contact_s);
    free(missing_s);
    json_decref(contact);
    json_decref(missing);
    if (rc < 0)
        return minca_err_prefix(err, "cannot open case");
    return 0;
}

/* The broker of the sender's domain; for a colleague's forward, the broker who wrote the
 * forwarded email (its From, or the From line of the forwarded header block). */
static int find_broker(PGconn *c, const store_insurer *ins, const intake_message *m, intake_analysis *a,
                       long long *broker_id, char **forwarded_from, minca_err *err)
{
    *forwarded_from = NULL;
    if (store_broker_by_domain(c, ins->id, m->sender_domain, broker_id, err) < 0)
        return -1;
    if (*broker_id)
        return 0;
    size_t n = 0;
    char **senders = intake_forwarded_senders(m, &n);
    int rc = 0;
    /* The first author from outside the forwarder's domain, unless a known broker comes later. */
    for (size_t i = 0; i < n && !*forwarded_from; i++) {
        const char *at = strrchr(senders[i], '@');
        if (at && (!m->sender_domain || g_ascii_strcasecmp(at + 1, m->sender_domain) != 0))
            *forwarded_from = g_strdup(senders[i]);
    }
    for (size_t i = 0; i < n && !*broker_id; i++) {
        const char *at = strrchr(senders[i], '@');
        if (!at || store_broker_by_domain(c, ins->id, at + 1, broker_id, err) < 0) {
            rc = at ? -1 : 0;
            if (rc < 0)
                break;
            continue;
        }
        if (!*broker_id)
            continue;
        g_free(*forwarded_from);
        *forwarded_from = g_strdup(senders[i]);
        char note[600];
        snprintf(note, sizeof note, "broker recognised from the forwarded email of %s", senders[i]);
        if (a) {
            intake_analysis_note(a, note);
            if (!a->contact_email)
                a->contact_email = g_strdup(senders[i]);
        }
    }
    g_strfreev(senders);
    return rc;
}

/* A reply states what the case lacked (the vigencia, the RFC...): it fills those fields, each
 * recorded with the message it came from and audited. */
static int fill_from_reply(PGconn *c, const store_insurer *ins, const intake_analysis *a, engine_ingest_result *res,
                           minca_err *err)
{
    res->has_list = a && a->has_vehicle_source;
    if (!a)
        return 0;
    store_case_fill_in f = {
        .client_name = a->client_name,
        .rfc = a->rfc && a->rfc_valid ? a->rfc : NULL,
        .coverage = a->coverage,
        .payment_terms = a->payment_terms,
        .uso = a->uso,
        .validity_start = a->vigencia_start,
        .validity_end = a->vigencia_end,
        .has_list = a->has_vehicle_source,
    };
    char *filled = NULL;
    if (store_case_fill(c, res->case_id, res->message_id, &f, &filled, err) < 0)
        return minca_err_prefix(err, "cannot fill the case from the reply");
    int rc = 0;
    if (*filled) {
        char case_id[32];
        snprintf(case_id, sizeof case_id, "%lld", res->case_id);
        json_t *details = json_pack("{s:s, s:I, s:s}", "cot", res->cot, "message_id", (json_int_t)res->message_id,
                                    "fields", filled);
        rc = store_audit(c, ins->id, config_get()->user, "case_filled", "case", case_id, details, err);
        json_decref(details);
    }
    g_free(filled);
    return rc;
}

/* The case a message answers, per insurer: the first of the ids it answers (In-Reply-To, then
 * References newest first) that names a message of a case, else a COT number of the insurer in
 * its subject, else in its body. A COT of a case whose broker is another than the message's
 * joins nothing (noted on the message). *refs receives the ids a line each (caller frees). */
static int find_thread(PGconn *c, const store_insurer *ins, const intake_message *m, long long broker_id,
                       json_t *problems, engine_ingest_result *res, char **refs, minca_err *err)
{
    size_t n = 0;
    char **ids = intake_thread_ids(m, &n);
    *refs = n ? g_strjoinv("\n", ids) : NULL;
    size_t matched = 0;
    int found = store_thread_case_by_ids(c, ins->id, (const char *const *)ids, n, &res->case_id, res->cot, &matched,
                                         err);
    if (found > 0)
        g_strlcpy(res->joined_by, m->in_reply_to && strcmp(ids[matched], m->in_reply_to) == 0 ? "in_reply_to"
                                                                                               : "references",
                  sizeof res->joined_by);
    g_strfreev(ids);
    if (found != 0)
        return found < 0 ? -1 : 0;
    char prefix[32];
    if (store_thread_cot_prefix(c, ins->id, prefix, err) < 0)
        return -1;
    char *body = intake_message_text(m);
    const char *texts[2] = {m->subject, body};
    const char *how[2] = {"cot_subject", "cot_body"};
    int rc = 0;
    for (int t = 0; t < 2 && rc == 0 && !res->case_id; t++) {
        char **cots = intake_cot_mentions(texts[t], prefix, &n);
        for (size_t i = 0; i < n && rc == 0 && !res->case_id; i++) {
            long long case_id = 0, case_broker = 0;
            found = store_thread_case_by_cot(c, ins->id, cots[i], &case_id, &case_broker, err);
            if (found < 0) {
                rc = -1;
            } else if (found && broker_id && case_broker && broker_id != case_broker) {
                char note[200];
                snprintf(note, sizeof note, "mentions %s, a case of another broker: not joined to it", cots[i]);
                json_array_append_new(problems, json_string(note));
            } else if (found) {
                res->case_id = case_id;
                g_strlcpy(res->cot, cots[i], sizeof res->cot);
                g_strlcpy(res->joined_by, how[t], sizeof res->joined_by);
            }
        }
        g_strfreev(cots);
    }
    g_free(body);
    return rc;
}

/* Locks the message's own id and the ids it answers (store_thread_lock). */
static int lock_thread(PGconn *c, const store_insurer *ins, const intake_message *m, minca_err *err)
{
    size_t n = 0;
    char **ids = intake_thread_ids(m, &n);
    GPtrArray *all = g_ptr_array_new();
    if (m->message_id && *m->message_id)
        g_ptr_array_add(all, m->message_id);
    for (size_t i = 0; i < n; i++)
        g_ptr_array_add(all, ids[i]);
    int rc = store_thread_lock(c, ins->id, (const char *const *)all->pdata, all->len, err);
    g_ptr_array_free(all, TRUE);
    g_strfreev(ids);
    return rc < 0 ? minca_err_prefix(err, "cannot lock the message's thread") : 0;
}

/* Answers that came before this message (files read out of order) and found no case: they
 * join the case now and fill what it lacks, as if they had come after. */
static int adopt_answers(PGconn *c, const store_insurer *ins, const intake_message *m, long long case_id,
                         const char *cot, minca_err *err)
{
    store_thread_orphan_list orphans;
    int rc = store_thread_orphans(c, ins->id, m->message_id, &orphans, err);
    for (size_t i = 0; rc == 0 && i < orphans.n; i++) {
        const store_thread_orphan *o = &orphans.items[i];
        long long id = o->id;
        char *raw = NULL;
        size_t len = 0;
        intake_message *om = NULL;
        intake_analysis *oa = NULL;
        minca_err perr = {0};
        rc = store_blob_get(c, o->raw_sha256, &raw, &len, err);
        if (rc == 0 && intake_parse(raw, len, &om, &perr) == 0 && intake_analyze(om, &oa, &perr) < 0)
            oa = NULL;
        const char *how = o->direct ? "in_reply_to" : "references";
        if (rc == 0)
            rc = store_thread_join(c, id, case_id, how, err);
        engine_ingest_result ores = {.case_id = case_id, .message_id = id};
        g_strlcpy(ores.cot, cot, sizeof ores.cot);
        if (rc == 0)
            rc = fill_from_reply(c, ins, oa, &ores, err);
        if (rc == 0)
            log_info("message %lld answered %s, which came after it: joined %s", id, m->message_id, cot);
        intake_analysis_free(oa);
        intake_message_free(om);
        g_free(raw);
    }
    store_thread_orphan_list_clear(&orphans);
    return rc;
}

int engine_ingest(PGconn *c, const store_insurer *ins, const char *source, const char *source_name, const char *origin,
                  const char *data, size_t len, const engine_ingest_hints *hints, engine_ingest_result *res,
                  minca_err *err)
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
    long long broker_id = 0;
    char *forwarded_from = NULL, *thread_refs = NULL;
    json_t *problems = m ? string_array(m->problems, m->n_problems) : json_array();
    size_t ni;
    json_t *note_v;
    if (hints && json_is_array(hints->notes))
        json_array_foreach(hints->notes, ni, note_v)
            if (json_is_string(note_v))
                json_array_append(problems, note_v);
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
        g_free(assist_note);
    }
    res->n_problems = m ? (int)m->n_problems : 0;
    char raw_sha[65];
    if (store_blob_put(c, data, len, raw_sha, err) < 0)
        goto done;
    if (m && find_broker(c, ins, m, a, &broker_id, &forwarded_from, err) < 0)
        goto done;
    /* A message and its answer read at once (two workers, or threads of one batch) would each
     * find no case of the other, uncommitted, and open two: the ids they share are locked
     * first, so the second waits for the first's commit and threads onto its case. */
    if (m && lock_thread(c, ins, m, err) < 0)
        goto done;
    /* A reply joins the case it answers and never opens a second one. */
    if (m && find_thread(c, ins, m, broker_id, problems, res, &thread_refs, err) < 0)
        goto done;
    /* An original whose answer was read first joins the case the answer opened. */
    if (m && !res->case_id && !m->message_id_synthetic) {
        int found = store_thread_case_answering(c, ins->id, m->message_id, &res->case_id, res->cot, err);
        if (found < 0)
            goto done;
        if (found)
            g_strlcpy(res->joined_by, "answered_by", sizeof res->joined_by);
    }
    bool joins = res->case_id > 0;
    bool opens_case = m && !joins && asks_for_quote(a);
    const char *status = res->parse_failed ? "error" : (opens_case || joins ? "processed" : "ignored");
    if (insert_message(c, ins, source, source_name, origin, data, len, m, raw_sha,
                       hints ? hints->content_sha256 : NULL, broker_id, forwarded_from, thread_refs, status,
                       res->parse_failed ? res->error : NULL, problems, res, err) < 0)
        goto done;
    if (res->duplicate) {
        /* The same message again: it joins nothing anew. */
        res->case_id = 0;
        res->cot[0] = res->joined_by[0] = '\0';
        rc = 0;
        goto done;
    }
    if (m && insert_attachments(c, ins, m, res, err) < 0)
        goto done;
    if (joins) {
        res->joined = true;
        if (store_thread_join(c, res->message_id, res->case_id, res->joined_by, err) < 0 ||
            fill_from_reply(c, ins, a, res, err) < 0)
            goto done;
        /* An original read after its answer: the answer's list is the newer one; the
         * original's stays with its message and is no revision. */
        if (strcmp(res->joined_by, "answered_by") == 0)
            res->has_list = false;
    } else if (opens_case && insert_case(c, ins, a, suggested, broker_id, res, err) < 0) {
        goto done;
    }
    if (m && res->case_id && !m->message_id_synthetic && adopt_answers(c, ins, m, res->case_id, res->cot, err) < 0)
        goto done;
    char msg_id[32];
    snprintf(msg_id, sizeof msg_id, "%lld", res->message_id);
    json_t *details = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "origin", origin, "source", source,
                                "source_name", source_name, "cot", res->cot[0] ? res->cot : NULL, "joined_by",
                                res->joined ? res->joined_by : NULL, "error", res->parse_failed ? res->error : NULL);
    int arc = store_audit(c, ins->id, config_get()->user, "ingest", "message", msg_id, details, err);
    json_decref(details);
    if (arc < 0)
        goto done;
    rc = 0;
done:
    g_free(forwarded_from);
    g_free(thread_refs);
    json_decref(suggested);
    json_decref(problems);
    intake_analysis_free(a);
    intake_message_free(m);
    return rc;
}
