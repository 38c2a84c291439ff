/* Review decisions: match update + correction + audit entry, one transaction each. */
#include "minca/assist.h"
#include "minca/access.h"
#include "minca/codify.h"
#include "minca/review.h"
#include "minca/steps.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct row_state {
    long long case_id;
    char cvegs[16];
    int year;
    char decision[24];
    char confidence[32];
    char reviewed_by[128];
    char reviewed_at[64];
    char norm_key[CODIFY_KEY_MAX];
    char broker_id[32];
    char catalog_version[32];
} row_state;

/* Every review change takes its locks in one order: the case row, then the vehicle row, then
 * the description's correction key. Deciders of one case take turns, `ready` waits for a
 * decision in flight (and the other way round), and two cases sharing a description agree on
 * the one correction in force. */
static int lock_case(PGconn *c, long long insurer_id, long long case_id, char *status, size_t status_len,
                     minca_err *err)
{
    char ins[32], cid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {ins, cid};
    PGresult *r = store_query(c, err,
                              "SELECT status FROM cases WHERE insurer_id = $1::bigint AND id = $2::bigint"
                              " FOR NO KEY UPDATE",
                              2, p);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return minca_err_set(err, "no case %lld", case_id);
    }
    if (status)
        snprintf(status, status_len, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

static int lock_correction_key(PGconn *c, long long insurer_id, const char *norm_key, minca_err *err)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins, norm_key};
    return store_exec(c, err, "SELECT pg_advisory_xact_lock(hashtext('minca.correction:' || $1 || ':' || $2)::bigint)",
                      2, p);
}

/* Locks the row's case and the row, then reads the row's match: the values read are the
 * ones in force once this transaction holds the locks (a statement of its own after the
 * locks, so a decision committed while we waited is seen). */
static int load_row(PGconn *c, long long insurer_id, long long row_id, row_state *st, minca_err *err)
{
    char ins[32], rid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(rid, sizeof rid, "%lld", row_id);
    const char *p[] = {ins, rid};
    PGresult *r = store_query(c, err, "SELECT case_id FROM vehicle_rows WHERE insurer_id = $1::bigint AND id = $2::bigint",
                              2, p);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return minca_err_set(err, "no vehicle row %lld", row_id);
    }
    memset(st, 0, sizeof *st);
    st->case_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    if (lock_case(c, insurer_id, st->case_id, NULL, 0, err) < 0)
        return -1;
    r = store_query(c, err,
                    "SELECT v.marca, v.submarca, coalesce(v.year, 0), v.description, coalesce(k.broker_id::text, '')"
                    "  FROM vehicle_rows v JOIN cases k ON k.id = v.case_id"
                    " WHERE v.insurer_id = $1::bigint AND v.id = $2::bigint FOR UPDATE OF v",
                    2, p);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return minca_err_set(err, "no vehicle row %lld", row_id);
    }
    codify_query q = {.marca = PQgetvalue(r, 0, 0), .submarca = PQgetvalue(r, 0, 1),
                      .anio = atoi(PQgetvalue(r, 0, 2)), .descripcion = PQgetvalue(r, 0, 3)};
    codify_correction_key(&q, st->norm_key);
    snprintf(st->broker_id, sizeof st->broker_id, "%s", PQgetvalue(r, 0, 4));
    PQclear(r);
    const char *pm[] = {rid};
    r = store_query(c, err,
                    "SELECT coalesce(cvegs, ''), coalesce(year, 0), decision, coalesce(confidence::text, ''),"
                    "       coalesce(reviewed_by, ''), coalesce(reviewed_at::text, ''),"
                    "       coalesce(catalog_version_id::text, '')"
                    "  FROM matches WHERE vehicle_row_id = $1::bigint FOR UPDATE",
                    1, pm);
    if (!r)
        return -1;
    if (PQntuples(r) > 0) {
        snprintf(st->cvegs, sizeof st->cvegs, "%s", PQgetvalue(r, 0, 0));
        st->year = atoi(PQgetvalue(r, 0, 1));
        snprintf(st->decision, sizeof st->decision, "%s", PQgetvalue(r, 0, 2));
        snprintf(st->confidence, sizeof st->confidence, "%s", PQgetvalue(r, 0, 3));
        snprintf(st->reviewed_by, sizeof st->reviewed_by, "%s", PQgetvalue(r, 0, 4));
        snprintf(st->reviewed_at, sizeof st->reviewed_at, "%s", PQgetvalue(r, 0, 5));
        snprintf(st->catalog_version, sizeof st->catalog_version, "%s", PQgetvalue(r, 0, 6));
    }
    PQclear(r);
    return 0;
}

static json_t *state_json(const row_state *st)
{
    return json_pack("{s:s?, s:i, s:s?, s:s?, s:s?, s:s?}", "cvegs", st->cvegs[0] ? st->cvegs : NULL, "year",
                     st->year, "decision", st->decision[0] ? st->decision : NULL, "confidence",
                     st->confidence[0] ? st->confidence : NULL, "reviewed_by",
                     st->reviewed_by[0] ? st->reviewed_by : NULL, "reviewed_at",
                     st->reviewed_at[0] ? st->reviewed_at : NULL);
}

/* Applies a decision: match row, correction (previous ones for the key revoked), audit.
 * accept_proposed: the key is the row's proposed one, read under the row's lock. */
/* Inside the caller's transaction. group (may be NULL) ties the decisions one reviewer took
 * at once (an undo takes them back together). */
static int decide_tx(PGconn *c, long long insurer_id, long long row_id, const char *decision, const char *cvegs,
                     int year, bool accept_proposed, const char *user, const char *action, const char *group,
                     minca_err *err)
{
    row_state st;
    char ins[32], rid[32], yr[16], cid[32], proposed[16];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(rid, sizeof rid, "%lld", row_id);
    if (load_row(c, insurer_id, row_id, &st, err) < 0)
        goto fail;
    /* Accepting another row's key for this one: an accept when it is this row's proposal
     * too, a pick otherwise. */
    if (!accept_proposed && cvegs && strcmp(decision, "accepted") == 0 &&
        (strcmp(st.cvegs, cvegs) != 0 || st.year != year)) {
        decision = "picked";
        action = "review.pick";
    }
    if (accept_proposed) {
        if (!st.cvegs[0]) {
            minca_err_set(err, "row %lld has no proposed key to accept: pick a candidate or search the catalog", row_id);
            goto fail;
        }
        snprintf(proposed, sizeof proposed, "%s", st.cvegs);
        cvegs = proposed;
        year = st.year;
    }
    snprintf(yr, sizeof yr, "%d", year);
    snprintf(cid, sizeof cid, "%lld", st.case_id);
    if (lock_correction_key(c, insurer_id, st.norm_key, err) < 0)
        goto fail;
    if (cvegs) {
        /* The chosen key must exist in the insurer's active catalog for that year. */
        const char *pk[] = {ins, cvegs, yr};
        PGresult *r = store_query(c, err,
                                  "SELECT e.catalog_version_id FROM catalog_entries e JOIN catalog_versions v"
                                  "    ON v.id = e.catalog_version_id AND v.active"
                                  " WHERE v.insurer_id = $1::bigint AND e.cvegs = $2 AND e.modelo = $3::int LIMIT 1",
                                  3, pk);
        if (!r)
            goto fail;
        if (PQntuples(r) == 0) {
            PQclear(r);
            minca_err_set(err, "key %s %d is not in the active catalog", cvegs, year);
            goto fail;
        }
        snprintf(st.catalog_version, sizeof st.catalog_version, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    const char *pm[] = {rid, ins, cvegs, cvegs ? yr : NULL, decision, user, st.catalog_version[0] ? st.catalog_version : NULL};
    if (store_exec(c, err,
                   "INSERT INTO matches (vehicle_row_id, insurer_id, cvegs, year, decision, reviewed_by, reviewed_at,"
                   " catalog_version_id, confidence)"
                   " VALUES ($1::bigint, $2::bigint, $3::text, $4::int, $5, $6, now(), $7::bigint, NULL)"
                   " ON CONFLICT (vehicle_row_id) DO UPDATE SET cvegs = $3::text, year = $4::int, decision = $5,"
                   " reviewed_by = $6, reviewed_at = now(), updated_at = now(),"
                   " catalog_version_id = coalesce($7::bigint, matches.catalog_version_id),"
                   /* The codifier's confidence is kept beside who confirmed the key: it is the
                    * probability the codifier gave its own proposal, so it stays with that key
                    * (accepted, or picked again) and with a "no match"; another key has none (a
                    * candidate's score only ranks, it is no probability). */
                   " confidence = CASE WHEN $3::text IS NULL OR $5 = 'accepted'"
                   "   OR ($3::text = matches.cvegs AND $4::int = matches.year) THEN matches.confidence END",
                   7, pm) < 0)
        goto fail;
    /* The corrections this decision replaces are revoked; an undo brings them back. */
    const char *pr[] = {ins, st.norm_key, user};
    json_t *replaced = store_query_json(c, err,
                                        "UPDATE corrections SET revoked_by = $3, revoked_at = now()"
                                        " WHERE insurer_id = $1::bigint AND norm_key = $2 AND revoked_at IS NULL"
                                        " RETURNING id",
                                        3, pr);
    if (!replaced)
        goto fail;
    /* Insurer setting corrections_per_broker: a correction then applies only to the broker
     * whose list it came from; by default it applies to every broker of the insurer. */
    const char *pc[] = {ins, st.norm_key, cvegs, cvegs ? yr : NULL, rid, user, st.broker_id[0] ? st.broker_id : NULL};
    PGresult *r = store_query(c, err,
                              "INSERT INTO corrections (insurer_id, norm_key, cvegs, year, source_vehicle_row_id, created_by,"
                              " broker_id)"
                              " SELECT $1::bigint, $2, $3, $4::int, $5::bigint, $6,"
                              "        CASE WHEN coalesce((i.settings->>'corrections_per_broker')::boolean, false)"
                              "             THEN $7::bigint END"
                              "   FROM insurers i WHERE i.id = $1::bigint RETURNING id",
                              7, pc);
    if (!r) {
        json_decref(replaced);
        goto fail;
    }
    long long correction_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    json_t *replaced_ids = json_array();
    size_t k;
    json_t *it;
    json_array_foreach(replaced, k, it) json_array_append(replaced_ids, json_object_get(it, "id"));
    json_decref(replaced);
    json_t *details = json_pack("{s:I, s:I, s:o, s:{s:s?, s:i, s:s}, s:I, s:o}", "case_id", (json_int_t)st.case_id,
                                "vehicle_row_id", (json_int_t)row_id, "before", state_json(&st), "after", "cvegs",
                                cvegs, "year", cvegs ? year : 0, "decision", decision, "correction_id",
                                (json_int_t)correction_id, "replaced_corrections", replaced_ids);
    /* a group decision names its group in each row's entry (the audit log is append-only) */
    if (group)
        json_object_set_new(details, "group", json_string(group));
    int arc = store_audit(c, insurer_id, user, action, "vehicle_row", rid, details, err);
    json_decref(details);
    if (arc < 0 || steps_update_case_status(c, st.case_id, err) < 0)
        goto fail;
    /* An exported case keeps its status, but says that the workbook no longer matches. */
    const char *pe[] = {cid};
    if (store_exec(c, err,
                   "UPDATE cases SET status_reason = 'changed after export v' ||"
                   " (SELECT max(version) FROM exports WHERE case_id = $1::bigint) || ': export again'"
                   " WHERE id = $1::bigint AND status = 'exported'",
                   1, pe) < 0)
        goto fail;
    return 0;
fail:
    return -1;
}

static int decide(PGconn *c, long long insurer_id, long long row_id, const char *decision, const char *cvegs, int year,
                  bool accept_proposed, const char *user, const char *action, minca_err *err)
{
    if (store_begin(c, err) < 0)
        return -1;
    if (decide_tx(c, insurer_id, row_id, decision, cvegs, year, accept_proposed, user, action, NULL, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return 0;
}

int review_accept(PGconn *c, long long insurer_id, long long row_id, const char *user, minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_DECIDE, err) < 0)
        return -1;
    return decide(c, insurer_id, row_id, "accepted", NULL, 0, true, user, "review.accept", err);
}

int review_pick(PGconn *c, long long insurer_id, long long row_id, const char *cvegs, int year, const char *user,
                minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_DECIDE, err) < 0)
        return -1;
    if (core_str_empty(cvegs) || year < 1900)
        return minca_err_set(err, "a key and a model year are needed");
    return decide(c, insurer_id, row_id, "picked", cvegs, year, false, user, "review.pick", err);
}

int review_no_match(PGconn *c, long long insurer_id, long long row_id, const char *user, minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_DECIDE, err) < 0)
        return -1;
    return decide(c, insurer_id, row_id, "rejected", NULL, 0, false, user, "review.no_match", err);
}

int review_note(PGconn *c, long long insurer_id, long long row_id, const char *note, const char *user, minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_DECIDE, err) < 0)
        return -1;
    char ins[32], rid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(rid, sizeof rid, "%lld", row_id);
    if (store_begin(c, err) < 0)
        return -1;
    const char *p[] = {rid, ins, note};
    PGresult *r = store_query(c, err,
                              "UPDATE matches SET note = $3, updated_at = now() WHERE vehicle_row_id = $1::bigint"
                              " AND insurer_id = $2::bigint",
                              3, p);
    if (!r)
        goto fail;
    bool found = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (!found) {
        minca_err_set(err, "no match for vehicle row %lld", row_id);
        goto fail;
    }
    json_t *details = json_pack("{s:s}", "note", note ? note : "");
    int arc = store_audit(c, insurer_id, user, "review.note", "vehicle_row", rid, details, err);
    json_decref(details);
    if (arc < 0 || store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

/* Undoes one decision (audit entry audit_id with its details d), inside the caller's
 * transaction. */
static int undo_entry(PGconn *c, long long insurer_id, const char *user, const char *audit_id, json_t *d,
                      long long *row_id, minca_err *err)
{
    long long case_id = json_integer_value(json_object_get(d, "case_id"));
    PGresult *r;
    if (lock_case(c, insurer_id, case_id, NULL, 0, err) < 0)
        return -1;
    json_t *before = json_object_get(d, "before");
    char rid[32], year[16], corr[32];
    snprintf(rid, sizeof rid, "%lld", (long long)json_integer_value(json_object_get(d, "vehicle_row_id")));
    const char *pl[] = {rid};
    if (store_exec(c, err, "SELECT 1 FROM vehicle_rows WHERE id = $1::bigint FOR UPDATE", 1, pl) < 0)
        return -1;
    /* Someone decided the row again after this decision: undoing it would silently overwrite
     * their work. */
    const char *pn[] = {rid, audit_id};
    PGresult *newer = store_query(c, err,
                                  "SELECT actor FROM audit_log WHERE entity = 'vehicle_row' AND entity_id = $1"
                                  " AND id > $2::bigint AND action IN ('review.accept', 'review.pick', 'review.no_match',"
                                  " 'review.undo') ORDER BY id DESC LIMIT 1",
                                  2, pn);
    if (!newer)
        return -1;
    if (PQntuples(newer) > 0) {
        minca_err_set(err, "the row was decided again since by %s; undo refused (decide it again instead)",
                      PQgetvalue(newer, 0, 0));
        PQclear(newer);
        return -1;
    }
    PQclear(newer);
    snprintf(year, sizeof year, "%lld", (long long)json_integer_value(json_object_get(before, "year")));
    snprintf(corr, sizeof corr, "%lld", (long long)json_integer_value(json_object_get(d, "correction_id")));
    const char *bc = json_string_value(json_object_get(before, "cvegs"));
    const char *bd = json_string_value(json_object_get(before, "decision"));
    const char *bconf = json_string_value(json_object_get(before, "confidence"));
    /* The state before the decision comes back whole, with the colleague who had decided it. */
    const char *bby = json_string_value(json_object_get(before, "reviewed_by"));
    const char *bat = json_string_value(json_object_get(before, "reviewed_at"));
    const char *pm[] = {rid, bc, bc ? year : NULL, bd ? bd : "needs_review", bconf, bby, bby ? bat : NULL};
    int rc = store_exec(c, err,
                        "UPDATE matches SET cvegs = $2, year = $3::int, decision = $4, confidence = $5::float8,"
                        " reviewed_by = $6, reviewed_at = CASE WHEN $6::text IS NULL THEN NULL"
                        "                                      ELSE coalesce($7::timestamptz, now()) END,"
                        " updated_at = now() WHERE vehicle_row_id = $1::bigint",
                        7, pm);
    /* The decision's correction is revoked; the ones it had replaced come back only if it was
     * still the one in force (a later decision on the same description stands). */
    const char *pk[] = {corr};
    r = rc == 0 ? store_query(c, err, "SELECT norm_key FROM corrections WHERE id = $1::bigint", 1, pk) : NULL;
    if (!r)
        return -1;
    if (PQntuples(r) > 0)
        rc = lock_correction_key(c, insurer_id, PQgetvalue(r, 0, 0), err);
    PQclear(r);
    const char *pc[] = {corr, user};
    r = rc == 0 ? store_query(c, err, "UPDATE corrections SET revoked_by = $2, revoked_at = now() WHERE id = $1::bigint"
                                      " AND revoked_at IS NULL RETURNING id", 2, pc) : NULL;
    if (!r)
        return -1;
    bool was_in_force = PQntuples(r) > 0;
    PQclear(r);
    json_t *replaced_ids = json_object_get(d, "replaced_corrections");
    char *replaced = replaced_ids ? json_dumps(replaced_ids, JSON_COMPACT) : strdup("[]");
    const char *prs[] = {replaced};
    if (was_in_force)
        rc = store_exec(c, err,
                        "UPDATE corrections SET revoked_by = NULL, revoked_at = NULL"
                        " WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)",
                        1, prs);
    free(replaced);
    json_t *details = json_pack("{s:I, s:I, s:I}", "undoes", (json_int_t)strtoll(audit_id, NULL, 10), "case_id",
                                (json_int_t)case_id, "vehicle_row_id", (json_int_t)strtoll(rid, NULL, 10));
    if (rc == 0)
        rc = store_audit(c, insurer_id, user, "review.undo", "vehicle_row", rid, details, err);
    json_decref(details);
    if (rc < 0 || steps_update_case_status(c, case_id, err) < 0)
        return -1;
    if (row_id)
        *row_id = strtoll(rid, NULL, 10);
    return 0;
}

int review_undo(PGconn *c, long long insurer_id, long long case_id, const char *user, long long *row_id,
                minca_err *err)
{
    return review_undo_n(c, insurer_id, case_id, user, row_id, NULL, err);
}

int review_undo_n(PGconn *c, long long insurer_id, long long case_id, const char *user, long long *row_id,
                  int *n_undone, minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_DECIDE, err) < 0)
        return -1;
    char ins[32], cid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(cid, sizeof cid, "%lld", case_id);
    json_t *d = NULL;
    if (store_begin(c, err) < 0)
        return -1;
    if (lock_case(c, insurer_id, case_id, NULL, 0, err) < 0)
        goto fail;
    const char *p[] = {ins, cid, user};
    /* The newest decision of this user on the case that no undo refers to yet. */
    PGresult *r = store_query(c, err,
                              "SELECT a.id, a.details::text FROM audit_log a"
                              " WHERE a.insurer_id = $1::bigint AND a.actor = $3"
                              "   AND a.action IN ('review.accept', 'review.pick', 'review.no_match')"
                              "   AND (a.details->>'case_id')::bigint = $2::bigint"
                              "   AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.action = 'review.undo'"
                              "                    AND (u.details->>'undoes')::bigint = a.id)"
                              " ORDER BY a.id DESC LIMIT 1",
                              3, p);
    if (!r)
        goto fail;
    if (PQntuples(r) == 0) {
        PQclear(r);
        minca_err_set(err, "nothing to undo on this case");
        goto fail;
    }
    char audit_id[32];
    snprintf(audit_id, sizeof audit_id, "%s", PQgetvalue(r, 0, 0));
    d = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
    PQclear(r);
    const char *group = json_string_value(json_object_get(d, "group"));
    if (group) {
        /* A decision taken for several rows at once is taken back at once, newest first. */
        const char *pg[] = {ins, user, group};
        r = store_query(c, err,
                        "SELECT a.id, a.details::text FROM audit_log a"
                        " WHERE a.insurer_id = $1::bigint AND a.actor = $2 AND a.details->>'group' = $3"
                        "   AND a.action IN ('review.accept', 'review.pick', 'review.no_match')"
                        "   AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.action = 'review.undo'"
                        "                    AND (u.details->>'undoes')::bigint = a.id)"
                        " ORDER BY a.id DESC",
                        3, pg);
        if (!r)
            goto fail;
        int n = PQntuples(r);
        for (int i = 0; i < n; i++) {
            json_t *gd = json_loads(PQgetvalue(r, i, 1), 0, NULL);
            int rc = gd ? undo_entry(c, insurer_id, user, PQgetvalue(r, i, 0), gd, row_id, err) : -1;
            json_decref(gd);
            if (rc < 0) {
                PQclear(r);
                goto fail;
            }
        }
        PQclear(r);
        if (store_commit(c, err) < 0)
            goto fail;
        json_decref(d);
        if (n_undone)
            *n_undone = n;
        return 0;
    }
    if (undo_entry(c, insurer_id, user, audit_id, d, row_id, err) < 0 || store_commit(c, err) < 0)
        goto fail;
    json_decref(d);
    if (n_undone)
        *n_undone = 1;
    return 0;
fail:
    json_decref(d);
    store_rollback(c);
    return -1;
}

int review_mark_ready(PGconn *c, long long insurer_id, long long case_id, const char *user, minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_MARK_READY, err) < 0)
        return -1;
    char ins[32], cid[32], status[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {ins, cid};
    /* Counted under the case's lock, inside the transaction that sets the status: a decision
     * or undo in flight either commits first (and is counted) or waits for us. */
    if (store_begin(c, err) < 0)
        return -1;
    if (lock_case(c, insurer_id, case_id, status, sizeof status, err) < 0)
        goto fail;
    if (strcmp(status, "exported") == 0) {
        minca_err_set(err, "the case was exported; it stays exported (decisions made since are flagged on it; "
                           "export it again)");
        goto fail;
    }
    PGresult *r = store_query(c, err,
                              "SELECT count(v.id) FILTER (WHERE x.decision IS NULL OR x.decision IN ('needs_review', 'no_match')),"
                              "       count(v.id)"
                              "  FROM vehicle_rows v LEFT JOIN matches x ON x.vehicle_row_id = v.id"
                              " WHERE v.case_id = $2::bigint AND v.insurer_id = $1::bigint",
                              2, p);
    if (!r)
        goto fail;
    long open = atol(PQgetvalue(r, 0, 0)), rows = atol(PQgetvalue(r, 0, 1));
    PQclear(r);
    if (rows == 0) {
        minca_err_set(err, "the case has no vehicle rows");
        goto fail;
    }
    if (open > 0) {
        minca_err_set(err, "%ld of %ld vehicle(s) still need a decision", open, rows);
        goto fail;
    }
    int rc = store_exec(c, err, "UPDATE cases SET status = 'ready', status_reason = NULL, updated_at = now()"
                                " WHERE insurer_id = $1::bigint AND id = $2::bigint", 2, p);
    if (rc == 0)
        rc = store_audit(c, insurer_id, user, "case.ready", "case", cid, NULL, err);
    if (rc < 0 || store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

int review_confirm_suggested(PGconn *c, long long insurer_id, long long case_id, const char *field,
                             const char *user, int *n, minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_DECIDE, err) < 0)
        return -1;
    char ins[32], cid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {ins, cid};
    if (n)
        *n = 0;
    if (store_begin(c, err) < 0)
        return -1;
    int rc = -1, count = 0;
    json_t *sugg = NULL, *missing = NULL, *kept = json_array(), *done_fields = json_array();
    PGresult *r = store_query(c, err,
                              "SELECT suggested::text, missing_requirements::text FROM cases"
                              " WHERE insurer_id = $1::bigint AND id = $2::bigint FOR UPDATE",
                              2, p);
    if (!r)
        goto done;
    if (PQntuples(r) == 0) {
        minca_err_set(err, "no such case");
        goto done;
    }
    sugg = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    missing = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
    const char *key;
    json_t *s;
    json_object_foreach(sugg, key, s) {
        if ((field && strcmp(field, key) != 0) || json_object_get(s, "confirmed_by"))
            continue;
        json_object_set_new(s, "confirmed_by", json_string(user));
        json_array_append_new(done_fields, json_string(key));
        count++;
    }
    if (count == 0) {
        minca_err_set(err, field ? "the model suggested no unconfirmed '%s' on this case"
                                 : "%sthe case has no unconfirmed suggestion of the model", field ? field : "");
        goto done;
    }
    size_t i, j;
    json_t *m, *f;
    json_array_foreach(missing, i, m) {
        bool confirmed = false;
        json_array_foreach(done_fields, j, f) {
            char *code = core_strdup_printf("%s" ASSIST_SUGGESTED_SUFFIX, json_string_value(f));
            confirmed = confirmed || (json_is_string(m) && strcmp(json_string_value(m), code) == 0);
            free(code);
        }
        if (!confirmed)
            json_array_append(kept, m);
    }
    char *sugg_s = json_dumps(sugg, JSON_COMPACT), *kept_s = json_dumps(kept, JSON_COMPACT);
    const char *u[] = {ins, cid, sugg_s, kept_s};
    rc = store_exec(c, err,
                    "UPDATE cases SET suggested = $3::jsonb, missing_requirements = $4::jsonb, updated_at = now(),"
                    " preanalysis_status = CASE WHEN jsonb_array_length($4::jsonb) = 0 THEN 'complete' ELSE 'incomplete' END"
                    " WHERE insurer_id = $1::bigint AND id = $2::bigint",
                    4, u);
    free(sugg_s);
    free(kept_s);
    if (rc == 0) {
        json_t *details = json_pack("{s:O}", "fields", done_fields);
        rc = store_audit(c, insurer_id, user, "case.confirm_suggested", "case", cid, details, err);
        json_decref(details);
    }
done:
    PQclear(r);
    json_decref(sugg);
    json_decref(missing);
    json_decref(kept);
    json_decref(done_fields);
    if (rc < 0 || store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (n)
        *n = count;
    return 0;
}

json_t *review_corrections(PGconn *c, long long insurer_id, bool include_revoked, minca_err *err)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins, include_revoked ? "t" : "f"};
    return store_query_json(c, err,
                            "SELECT id, norm_key, cvegs, year, created_by,"
                            "       to_char(created_at, 'YYYY-MM-DD HH24:MI') AS created_at, revoked_by,"
                            "       to_char(revoked_at, 'YYYY-MM-DD HH24:MI') AS revoked_at"
                            "  FROM corrections WHERE insurer_id = $1::bigint AND ($2::boolean OR revoked_at IS NULL)"
                            " ORDER BY id DESC",
                            2, p);
}

int review_revoke_correction(PGconn *c, long long insurer_id, long long correction_id, const char *user,
                             minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_REVOKE_CORRECTION, err) < 0)
        return -1;
    char ins[32], id[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(id, sizeof id, "%lld", correction_id);
    if (store_begin(c, err) < 0)
        return -1;
    const char *p[] = {ins, id, user};
    PGresult *r = store_query(c, err,
                              "UPDATE corrections SET revoked_by = $3, revoked_at = now()"
                              " WHERE insurer_id = $1::bigint AND id = $2::bigint AND revoked_at IS NULL",
                              3, p);
    if (!r) {
        store_rollback(c);
        return -1;
    }
    bool done = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (!done) {
        store_rollback(c);
        return minca_err_set(err, "no correction %lld in force", correction_id);
    }
    if (store_audit(c, insurer_id, user, "correction.revoke", "correction", id, NULL, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return 0;
}

long long review_case_id(PGconn *c, long long insurer_id, const char *cot, minca_err *err)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins, cot};
    PGresult *r = store_query(c, err, "SELECT id FROM cases WHERE insurer_id = $1::bigint AND cot = $2", 2, p);
    if (!r)
        return -1;
    long long id = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return id;
}

static bool all_digits(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

long long review_row_find(PGconn *c, long long case_id, const char *spec, minca_err *err)
{
    char cid[32], key[256] = "", file[256] = "";
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *id = NULL;
    if (spec[0] == '#')
        id = spec + 1;
    else if (strncmp(spec, "id:", 3) == 0)
        id = spec + 3;
    const char *colon = id ? NULL : strrchr(spec, ':');
    if (colon) {
        snprintf(file, sizeof file, "%.*s", (int)(colon - spec), spec);
        snprintf(key, sizeof key, "%s", colon + 1);
    } else {
        snprintf(key, sizeof key, "%s", id ? id : spec);
    }
    if (!all_digits(key) || strlen(key) > 9) {
        minca_err_set(err, "'%s' names no vehicle row: use INCISO, FILE:INCISO or #ROWID", spec);
        return 0;
    }
    const char *p[] = {cid, key, id ? "id" : colon ? "file" : "inciso", file};
    PGresult *r = store_query(c, err,
                              "SELECT v.id, coalesce(a.filename, v.source_sheet, '?'), a.ordinal"
                              "  FROM vehicle_rows v LEFT JOIN attachments a ON a.id = v.attachment_id"
                              " WHERE v.case_id = $1::bigint"
                              "   AND CASE $3 WHEN 'id' THEN v.id = $2::bigint"
                              "       ELSE v.inciso = $2::int AND ($3 = 'inciso' OR lower(a.filename) = lower($4)"
                              "            OR a.ordinal::text = $4 OR lower(v.source_sheet) = lower($4)) END"
                              " ORDER BY v.id LIMIT 20",
                              4, p);
    if (!r)
        return -1;
    long long row = 0;
    int n = PQntuples(r);
    if (n == 1) {
        row = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    } else if (n == 0) {
        minca_err_set(err, "the case has no vehicle row %s", spec);
    } else {
        GString *ways = g_string_new(NULL);
        for (int i = 0; i < n && i < 5; i++)
            g_string_append_printf(ways, "%s%s:%s (#%s)", i ? ", " : "", PQgetvalue(r, i, 1), key, PQgetvalue(r, i, 0));
        minca_err_set(err, "inciso %s is on %d rows of the case (it has several files): name one as %s", key, n,
                      ways->str);
        g_string_free(ways, TRUE);
    }
    PQclear(r);
    return row;
}

/* ---- decisions for many rows at once -------------------------------------------------------- */

static void row_norm_key(PGresult *r, int i, int col, char key[CODIFY_KEY_MAX])
{
    codify_query q = {.marca = PQgetvalue(r, i, col), .submarca = PQgetvalue(r, i, col + 1),
                      .anio = atoi(PQgetvalue(r, i, col + 2)), .descripcion = PQgetvalue(r, i, col + 3)};
    codify_correction_key(&q, key);
}

json_t *review_similar_rows(PGconn *c, long long insurer_id, long long row_id, review_scope scope, minca_err *err)
{
    char ins[32], rid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(rid, sizeof rid, "%lld", row_id);
    const char *p[] = {ins, rid};
    PGresult *r = store_query(c, err,
                              "SELECT v.case_id, v.marca, v.submarca, coalesce(v.year, 0), v.description"
                              "  FROM vehicle_rows v WHERE v.insurer_id = $1::bigint AND v.id = $2::bigint",
                              2, p);
    if (!r)
        return NULL;
    if (PQntuples(r) == 0) {
        PQclear(r);
        minca_err_set(err, "no vehicle row %lld", row_id);
        return NULL;
    }
    char key[CODIFY_KEY_MAX], cid[32];
    row_norm_key(r, 0, 1, key);
    snprintf(cid, sizeof cid, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *pq[] = {ins, rid, cid, key};
    /* Undecided: the codifier left it to a person (review, or no key) and nobody decided it.
     * Within the case every row is compared (rows codified before norm_key was kept too);
     * across cases the stored key finds them through its index. */
    if (scope == REVIEW_SCOPE_CASE)
        r = store_query(c, err,
                        "SELECT v.id, v.case_id, k.cot, coalesce(v.inciso, 0), v.marca, v.submarca, coalesce(v.year, 0),"
                        "       v.description"
                        "  FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id JOIN cases k ON k.id = v.case_id"
                        " WHERE v.insurer_id = $1::bigint AND v.case_id = $3::bigint AND v.id <> $2::bigint"
                        "   AND x.decision IN ('needs_review', 'no_match') AND x.reviewed_by IS NULL"
                        "   AND $4::text IS NOT NULL"
                        " ORDER BY v.id",
                        4, pq);
    else
        r = store_query(c, err,
                        "SELECT v.id, v.case_id, k.cot, coalesce(v.inciso, 0), v.marca, v.submarca, coalesce(v.year, 0),"
                        "       v.description"
                        "  FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id"
                        " WHERE x.insurer_id = $1::bigint AND x.norm_key = $4 AND v.case_id <> $3::bigint"
                        "   AND x.decision IN ('needs_review', 'no_match') AND x.reviewed_by IS NULL"
                        "   AND k.status NOT IN ('exported', 'error') AND $2::bigint IS NOT NULL"
                        " ORDER BY v.case_id, v.id",
                        4, pq);
    if (!r)
        return NULL;
    json_t *out = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        char other[CODIFY_KEY_MAX];
        row_norm_key(r, i, 4, other);
        if (strcmp(other, key) != 0)
            continue;
        json_array_append_new(out, json_pack("{s:I, s:I, s:s, s:i}", "id", (json_int_t)strtoll(PQgetvalue(r, i, 0), NULL, 10),
                                             "case_id", (json_int_t)strtoll(PQgetvalue(r, i, 1), NULL, 10), "cot",
                                             PQgetvalue(r, i, 2), "inciso", atoi(PQgetvalue(r, i, 3))));
    }
    PQclear(r);
    return out;
}

int review_decide_rows(PGconn *c, long long insurer_id, const long long *row_ids, size_t n, review_kind kind,
                       const char *cvegs, int year, const char *user, int *n_done, minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_DECIDE, err) < 0)
        return -1;
    *n_done = 0;
    if (n == 0)
        return 0;
    if (kind == REVIEW_PICK && (core_str_empty(cvegs) || year < 1900))
        return minca_err_set(err, "a key and a model year are needed");
    /* Locks go case by case, then row by row, as every review change takes them. */
    GString *ids = g_string_new("{");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(ids, "%s%lld", i ? "," : "", row_ids[i]);
    g_string_append_c(ids, '}');
    char ins[32], group[96];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(group, sizeof group, "%s:%lld:%lld", user, (long long)g_get_real_time(), row_ids[0]);
    const char *p[] = {ins, ids->str};
    PGresult *r = store_query(c, err,
                              "SELECT id FROM vehicle_rows WHERE insurer_id = $1::bigint AND id = ANY($2::bigint[])"
                              " ORDER BY case_id, id",
                              2, p);
    g_string_free(ids, TRUE);
    if (!r)
        return -1;
    int m = PQntuples(r);
    long long *order = g_new(long long, m > 0 ? m : 1);
    for (int i = 0; i < m; i++)
        order[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    PQclear(r);
    int rc = store_begin(c, err);
    for (int i = 0; rc == 0 && i < m; i++) {
        /* A row a colleague decided meanwhile keeps their decision. */
        char rid[32];
        snprintf(rid, sizeof rid, "%lld", order[i]);
        const char *pr[] = {rid};
        PGresult *s = store_query(c, err,
                                  "SELECT coalesce(reviewed_by, ''), coalesce(cvegs, '') FROM matches"
                                  " WHERE vehicle_row_id = $1::bigint",
                                  1, pr);
        if (!s) {
            rc = -1;
            break;
        }
        bool skip = PQntuples(s) == 0 || *PQgetvalue(s, 0, 0) ||
                    (kind == REVIEW_ACCEPT && !cvegs && !*PQgetvalue(s, 0, 1));
        PQclear(s);
        if (skip)
            continue;
        const char *group_tag = n > 1 ? group : NULL;
        if (kind == REVIEW_ACCEPT)
            rc = decide_tx(c, insurer_id, order[i], "accepted", cvegs, year, cvegs == NULL, user, "review.accept",
                           group_tag, err);
        else if (kind == REVIEW_PICK)
            rc = decide_tx(c, insurer_id, order[i], "picked", cvegs, year, false, user, "review.pick", group_tag, err);
        else
            rc = decide_tx(c, insurer_id, order[i], "rejected", NULL, 0, false, user, "review.no_match", group_tag, err);
        if (rc == 0)
            (*n_done)++;
    }
    g_free(order);
    if (rc == 0)
        rc = store_commit(c, err);
    if (rc < 0) {
        store_rollback(c);
        *n_done = 0;
        return -1;
    }
    return 0;
}

/* ---- decisions held across a re-run ------------------------------------------------------ */

int review_case_reviewed(PGconn *c, long long insurer_id, long long case_id, int *decisions, int *notes, int *rows,
                         minca_err *err)
{
    char ins[32], cid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {ins, cid};
    PGresult *r = store_query(c, err,
                              "SELECT count(*) FILTER (WHERE x.reviewed_by IS NOT NULL),"
                              "       count(*) FILTER (WHERE x.note IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log a"
                              "          WHERE a.entity = 'vehicle_row' AND a.entity_id = v.id::text"
                              "            AND a.action IN ('review.note', 'review.kept'))) AS noted,"
                              "       count(*) FILTER (WHERE x.reviewed_by IS NOT NULL OR x.note IS NOT NULL AND EXISTS"
                              "         (SELECT 1 FROM audit_log a WHERE a.entity = 'vehicle_row' AND a.entity_id = v.id::text"
                              "            AND a.action IN ('review.note', 'review.kept')))"
                              "  FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"
                              " WHERE v.insurer_id = $1::bigint AND v.case_id = $2::bigint",
                              2, p);
    if (!r)
        return -1;
    *decisions = atoi(PQgetvalue(r, 0, 0));
    *notes = atoi(PQgetvalue(r, 0, 1));
    *rows = atoi(PQgetvalue(r, 0, 2));
    PQclear(r);
    return 0;
}

json_t *review_carryover_pending(PGconn *c, long long insurer_id, long long case_id, minca_err *err)
{
    char ins[32], cid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {ins, cid};
    /* Only once the case is read and codified again: before that every row is still coming. */
    return store_query_json(c, err,
                            "SELECT r.id, r.inciso, r.source_sheet, r.source_row, r.description, r.cvegs, r.year,"
                            "       r.decision, r.note, r.reviewed_by"
                            "  FROM review_carryover r JOIN cases k ON k.id = r.case_id"
                            " WHERE r.insurer_id = $1::bigint AND r.case_id = $2::bigint"
                            "   AND r.restored_at IS NULL AND r.discarded_at IS NULL"
                            "   AND k.status NOT IN ('extracting', 'codifying')"
                            " ORDER BY r.source_row, r.id",
                            2, p);
}

int review_carryover_discard(PGconn *c, long long insurer_id, long long case_id, const char *user, int *n,
                             minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_DECIDE, err) < 0)
        return -1;
    char ins[32], cid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {ins, cid, user};
    if (store_begin(c, err) < 0)
        return -1;
    json_t *gone = store_query_json(c, err,
                                    "UPDATE review_carryover SET discarded_at = now(), discarded_by = $3"
                                    " WHERE insurer_id = $1::bigint AND case_id = $2::bigint"
                                    "   AND restored_at IS NULL AND discarded_at IS NULL"
                                    " RETURNING id, inciso, source_row, description, cvegs, year, decision, note, reviewed_by",
                                    3, p);
    if (!gone)
        goto fail;
    *n = (int)json_array_size(gone);
    json_t *details = json_pack("{s:o}", "discarded", gone);
    int rc = *n ? store_audit(c, insurer_id, user, "review.discard_carryover", "case", cid, details, err) : 0;
    json_decref(details);
    if (rc < 0 || store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}
