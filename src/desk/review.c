/* Review decisions: match update + correction + audit entry, one transaction each. The
 * statements are in store_review.h (src/store/review_repo.c). */
#include "minca/engine_assist.h"
#include "minca/access.h"
#include "minca/codify.h"
#include "minca/desk_review.h"
#include "minca/engine_steps.h"
#include "minca/store_review.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct row_state {
    long long case_id;
    long long broker_id;        /* the case's broker, 0 when none */
    store_review_match match;   /* all "" while the row has no match */
    char norm_key[CODIFY_KEY_MAX];
} row_state;

static void correction_key(const char *marca, const char *submarca, int year, const char *description,
                           char key[CODIFY_KEY_MAX])
{
    codify_query q = {.marca = marca, .submarca = submarca, .anio = year, .descripcion = description};
    codify_correction_key(&q, key);
}

/* Every review change takes its locks in one order: the case row, then the vehicle row, then
 * the description's correction key (store_review_lock_case, store_review_lock_row,
 * store_review_lock_correction_key). Deciders of one case take turns, `ready` waits for a
 * decision in flight (and the other way round), and two cases sharing a description agree on
 * the one correction in force. */

/* Locks the row's case and the row, then reads the row's match: the values read are the
 * ones in force once this transaction holds the locks. */
static int load_row(PGconn *c, long long insurer_id, long long row_id, row_state *st, int *inciso, minca_err *err)
{
    memset(st, 0, sizeof *st);
    store_review_row row = {0};
    int rc = -1;
    int found = store_review_row_get(c, insurer_id, row_id, &row, err);
    if (found <= 0)
        goto missing;
    st->case_id = row.case_id;
    store_review_row_clear(&row);
    found = store_review_lock_row(c, insurer_id, st->case_id, row_id, &row, err);
    if (found <= 0)
        goto missing;
    correction_key(row.marca, row.submarca, row.year, row.description, st->norm_key);
    st->broker_id = row.broker_id;
    if (inciso)
        *inciso = row.inciso;
    if (store_review_match_get(c, row_id, true, &st->match, err) < 0)
        goto done;
    rc = 0;
    goto done;
missing:
    if (found == 0)
        minca_err_set(err, "no vehicle row %lld", row_id);
done:
    store_review_row_clear(&row);
    return rc;
}

static const char *or_null(const char *s) { return s[0] ? s : NULL; }

/* The match as the audit entry's "before" (undo puts it back from there). */
static json_t *state_json(const store_review_match *m)
{
    return json_pack("{s:s?, s:i, s:s?, s:s?, s:s?, s:s?}", "cvegs", or_null(m->cvegs), "year", m->year, "decision",
                     or_null(m->decision), "confidence", or_null(m->confidence), "reviewed_by",
                     or_null(m->reviewed_by), "reviewed_at", or_null(m->reviewed_at));
}

static void state_field(json_t *before, const char *name, char *dst, size_t len)
{
    const char *v = json_string_value(json_object_get(before, name));
    snprintf(dst, len, "%s", v ? v : "");
}

static void state_from_json(json_t *before, store_review_match *m)
{
    memset(m, 0, sizeof *m);
    state_field(before, "cvegs", m->cvegs, sizeof m->cvegs);
    m->year = (int)json_integer_value(json_object_get(before, "year"));
    state_field(before, "decision", m->decision, sizeof m->decision);
    state_field(before, "confidence", m->confidence, sizeof m->confidence);
    state_field(before, "reviewed_by", m->reviewed_by, sizeof m->reviewed_by);
    state_field(before, "reviewed_at", m->reviewed_at, sizeof m->reviewed_at);
}

/* The case's status after its rows changed; an exported case keeps its status, but says that
 * the workbook no longer matches. Inside the caller's transaction. */
static int settle_case(PGconn *c, long long case_id, minca_err *err)
{
    if (steps_update_case_status(c, case_id, err) < 0)
        return -1;
    return store_review_case_flag_changed(c, case_id, err);
}

/* What a group decision asks of each row before deciding it (decide_tx). */
typedef struct row_check {
    const char *version;      /* the version the person saw; NULL or "": undecided by a person */
    review_refusal *refusal;  /* filled when the row changed since */
} row_check;

enum { DECIDED = 0, REFUSED = 1, LEFT = 2 };

static void describe_state(const store_review_match *m, char *out, size_t len)
{
    if (strcmp(m->decision, "accepted") == 0 || strcmp(m->decision, "picked") == 0 ||
        strcmp(m->decision, "auto_accepted") == 0)
        snprintf(out, len, "%s %s %d", m->decision, m->cvegs, m->year);
    else if (strcmp(m->decision, "rejected") == 0 || strcmp(m->decision, "no_match") == 0)
        snprintf(out, len, "no match");
    else
        snprintf(out, len, "to review%s%s", m->cvegs[0] ? ", proposed " : "", m->cvegs);
}

/* Whether the row, as this transaction holds it, is still the one the person saw. */
static int check_row(const row_state *st, int inciso, long long row_id, const row_check *check)
{
    bool seen_given = check->version && check->version[0];
    bool changed = seen_given ? strcmp(st->match.version, check->version) != 0 : st->match.reviewed_by[0] != 0;
    if (!changed)
        return DECIDED;
    review_refusal *r = check->refusal;
    memset(r, 0, sizeof *r);
    r->row_id = row_id;
    r->inciso = inciso;
    snprintf(r->by, sizeof r->by, "%s", st->match.reviewed_by);
    snprintf(r->at, sizeof r->at, "%s", st->match.reviewed_hm);
    describe_state(&st->match, r->now, sizeof r->now);
    return REFUSED;
}

/* Applies a decision: match row, correction (previous ones for the key revoked), audit.
 * accept_proposed: the key is the row's proposed one, read under the row's lock. */
/* Inside the caller's transaction. A decision on several rows goes through
 * review_decide_targets instead. */
static int decide_tx(PGconn *c, long long insurer_id, long long row_id, const char *decision, const char *cvegs,
                     int year, bool accept_proposed, const char *user, const char *action, minca_err *err)
{
    row_state st;
    char rid[32], proposed[16];
    snprintf(rid, sizeof rid, "%lld", row_id);
    if (load_row(c, insurer_id, row_id, &st, NULL, err) < 0)
        return -1;
    /* Accepting another row's key for this one: an accept when it is this row's proposal
     * too, a pick otherwise. */
    if (!accept_proposed && cvegs && strcmp(decision, "accepted") == 0 &&
        (strcmp(st.match.cvegs, cvegs) != 0 || st.match.year != year)) {
        decision = "picked";
        action = "review.pick";
    }
    if (accept_proposed) {
        if (!st.match.cvegs[0])
            return minca_err_set(err, "row %lld has no proposed key to accept: pick a candidate or search the catalog",
                                 row_id);
        snprintf(proposed, sizeof proposed, "%s", st.match.cvegs);
        cvegs = proposed;
        year = st.match.year;
    }
    if (store_review_lock_correction_key(c, insurer_id, st.norm_key, err) < 0)
        return -1;
    long long catalog_version_id = st.match.catalog_version_id;
    if (cvegs) {
        /* The chosen key must exist in the insurer's active catalog for that year. */
        int found = store_review_catalog_version(c, insurer_id, cvegs, year, &catalog_version_id, err);
        if (found < 0)
            return -1;
        if (found == 0)
            return minca_err_set(err, "key %s %d is not in the active catalog", cvegs, year);
    }
    if (store_review_match_decide(c, insurer_id, row_id, cvegs, year, decision, user, catalog_version_id, err) < 0)
        return -1;
    /* The corrections this decision replaces are revoked; an undo brings them back. */
    store_review_id_list replaced;
    if (store_review_corrections_revoke_key(c, insurer_id, st.norm_key, user, &replaced, err) < 0) {
        store_review_id_list_clear(&replaced);
        return -1;
    }
    json_t *replaced_ids = json_array();
    for (size_t i = 0; i < replaced.n; i++)
        json_array_append_new(replaced_ids, json_integer(replaced.items[i].id));
    store_review_id_list_clear(&replaced);
    long long correction_id = 0;
    if (store_review_correction_add(c, insurer_id, st.norm_key, cvegs, year, row_id, user, st.broker_id,
                                    &correction_id, err) < 0) {
        json_decref(replaced_ids);
        return -1;
    }
    json_t *details = json_pack("{s:I, s:I, s:o, s:{s:s?, s:i, s:s}, s:I, s:o}", "case_id", (json_int_t)st.case_id,
                                "vehicle_row_id", (json_int_t)row_id, "before", state_json(&st.match), "after",
                                "cvegs", cvegs, "year", cvegs ? year : 0, "decision", decision, "correction_id",
                                (json_int_t)correction_id, "replaced_corrections", replaced_ids);
    int arc = store_audit(c, insurer_id, user, action, "vehicle_row", rid, details, err);
    json_decref(details);
    if (arc < 0)
        return -1;
    return settle_case(c, st.case_id, err);
}

static int decide(PGconn *c, long long insurer_id, long long row_id, const char *decision, const char *cvegs, int year,
                  bool accept_proposed, const char *user, const char *action, minca_err *err)
{
    if (store_begin(c, err) < 0)
        return -1;
    if (decide_tx(c, insurer_id, row_id, decision, cvegs, year, accept_proposed, user, action, err) < 0 ||
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

bool review_decision_open(const char *decision)
{
    return !decision || !*decision || strcmp(decision, "needs_review") == 0 || strcmp(decision, "no_match") == 0;
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
    char rid[32];
    snprintf(rid, sizeof rid, "%lld", row_id);
    if (store_begin(c, err) < 0)
        return -1;
    int found = store_review_match_note(c, insurer_id, row_id, note, err);
    if (found < 0)
        goto fail;
    if (found == 0) {
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
static int undo_entry(PGconn *c, long long insurer_id, const char *user, long long audit_id, json_t *d,
                      bool settle, long long *row_id, minca_err *err)
{
    long long case_id = json_integer_value(json_object_get(d, "case_id"));
    long long rid = json_integer_value(json_object_get(d, "vehicle_row_id"));
    /* A row a re-run discarded since is no error: its decision's correction is undone all the same. */
    if (store_review_lock_row(c, insurer_id, case_id, rid, NULL, err) < 0)
        return -1;
    /* Someone decided the row again after this decision: undoing it would silently overwrite
     * their work. */
    char actor[256];
    int newer = store_review_decided_since(c, rid, audit_id, actor, sizeof actor, err);
    if (newer < 0)
        return -1;
    if (newer)
        return minca_err_set(err, "the row was decided again since by %s; undo refused (decide it again instead)",
                             actor);
    /* The state before the decision comes back whole, with the colleague who had decided it. */
    store_review_match before;
    state_from_json(json_object_get(d, "before"), &before);
    if (store_review_match_restore(c, rid, &before, err) < 0)
        return -1;
    /* The decision's correction is revoked; the ones it had replaced come back only if it was
     * still the one in force (a later decision on the same description stands). */
    long long correction_id = json_integer_value(json_object_get(d, "correction_id"));
    char key[CODIFY_KEY_MAX];
    int found = store_review_correction_key(c, correction_id, key, sizeof key, err);
    if (found < 0 || (found && store_review_lock_correction_key(c, insurer_id, key, err) < 0))
        return -1;
    int was_in_force = store_review_correction_revoke(c, insurer_id, correction_id, user, err);
    if (was_in_force < 0 ||
        (was_in_force && store_review_corrections_restore(c, json_object_get(d, "replaced_corrections"), err) < 0))
        return -1;
    char rid_s[32];
    snprintf(rid_s, sizeof rid_s, "%lld", rid);
    json_t *details = json_pack("{s:I, s:I, s:I}", "undoes", (json_int_t)audit_id, "case_id", (json_int_t)case_id,
                                "vehicle_row_id", (json_int_t)rid);
    int rc = store_audit(c, insurer_id, user, "review.undo", "vehicle_row", rid_s, details, err);
    json_decref(details);
    if (rc < 0 || (settle && steps_update_case_status(c, case_id, err) < 0))
        return -1;
    if (row_id)
        *row_id = rid;
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
    json_t *d = NULL;
    store_review_decision_entry_list group_rows = {0};
    int rc = -1, n = 0;
    if (store_begin(c, err) < 0)
        return -1;
    if (store_review_lock_case(c, insurer_id, case_id, NULL, 0, err) < 0)
        goto done;
    /* The newest decision of this user on the case that no undo refers to yet. */
    long long audit_id = 0;
    int found = store_review_last_decision(c, insurer_id, case_id, user, &audit_id, &d, err);
    if (found < 0)
        goto done;
    if (found == 0) {
        minca_err_set(err, "nothing to undo on this case");
        goto done;
    }
    const char *group = json_string_value(json_object_get(d, "group"));
    if (group) {
        /* A decision taken for several rows at once is taken back at once, newest first. */
        if (store_review_group_decisions(c, insurer_id, user, group, &group_rows, err) < 0)
            goto done;
        for (size_t i = 0; i < group_rows.n; i++) {
            const store_review_decision_entry *e = &group_rows.items[i];
            if (!e->details || undo_entry(c, insurer_id, user, e->id, e->details, false, row_id, err) < 0)
                goto done;
        }
        /* The status of each case of the group, counted once. */
        GHashTable *cases = g_hash_table_new(g_int64_hash, g_int64_equal);
        GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
        for (size_t i = 0; i < group_rows.n; i++) {
            gint64 cid = json_integer_value(json_object_get(group_rows.items[i].details, "case_id"));
            g_array_append_val(ids, cid);
        }
        int src = 0;
        for (guint k = 0; src == 0 && k < ids->len; k++)
            if (g_hash_table_add(cases, &g_array_index(ids, gint64, k)))
                src = steps_update_case_status(c, g_array_index(ids, gint64, k), err);
        g_hash_table_destroy(cases);
        g_array_free(ids, TRUE);
        if (src < 0)
            goto done;
        n = (int)group_rows.n;
    } else {
        if (undo_entry(c, insurer_id, user, audit_id, d, true, row_id, err) < 0)
            goto done;
        n = 1;
    }
    if (store_commit(c, err) < 0)
        goto done;
    rc = 0;
    if (n_undone)
        *n_undone = n;
done:
    if (rc < 0)
        store_rollback(c);
    store_review_decision_entry_list_clear(&group_rows);
    json_decref(d);
    return rc;
}

int review_mark_ready(PGconn *c, long long insurer_id, long long case_id, const char *user, minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_MARK_READY, err) < 0)
        return -1;
    char cid[32], status[32];
    snprintf(cid, sizeof cid, "%lld", case_id);
    /* Counted under the case's lock, inside the transaction that sets the status: a decision
     * or undo in flight either commits first (and is counted) or waits for us. */
    if (store_begin(c, err) < 0)
        return -1;
    if (store_review_lock_case(c, insurer_id, case_id, status, sizeof status, err) < 0)
        goto fail;
    if (strcmp(status, "exported") == 0) {
        minca_err_set(err, "the case was exported; it stays exported (decisions made since are flagged on it; "
                           "export it again)");
        goto fail;
    }
    long open = 0, rows = 0;
    char *incisos = NULL;
    if (store_review_case_open_rows(c, insurer_id, case_id, &open, &rows, &incisos, err) < 0)
        goto fail;
    if (rows == 0) {
        g_free(incisos);
        minca_err_set(err, "the case has no vehicle rows");
        goto fail;
    }
    if (open > 0) {
        minca_err_set(err, "%ld of %ld vehicle(s) still need a decision: inciso%s %s%s", open, rows, open == 1 ? "" : "s",
                      incisos ? incisos : "", open > 12 ? ", ..." : "");
        g_free(incisos);
        goto fail;
    }
    g_free(incisos);
    int rc = store_review_case_set_ready(c, insurer_id, case_id, err);
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
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", case_id);
    if (n)
        *n = 0;
    if (store_begin(c, err) < 0)
        return -1;
    int rc = -1, count = 0;
    json_t *sugg = NULL, *missing = NULL, *kept = json_array(), *done_fields = json_array();
    int found = store_review_case_suggestions(c, insurer_id, case_id, &sugg, &missing, err);
    if (found < 0)
        goto done;
    if (found == 0) {
        minca_err_set(err, "no such case");
        goto done;
    }
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
            g_free(code);
        }
        if (!confirmed)
            json_array_append(kept, m);
    }
    rc = store_review_case_set_suggestions(c, insurer_id, case_id, sugg, kept, err);
    if (rc == 0) {
        json_t *details = json_pack("{s:O}", "fields", done_fields);
        rc = store_audit(c, insurer_id, user, "case.confirm_suggested", "case", cid, details, err);
        json_decref(details);
    }
done:
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

int review_corrections(PGconn *c, long long insurer_id, bool include_revoked, store_review_correction_list *out,
                       minca_err *err)
{
    return store_review_corrections_list(c, insurer_id, include_revoked, out, err);
}

int review_revoke_correction(PGconn *c, long long insurer_id, long long correction_id, const char *user,
                             minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_REVOKE_CORRECTION, err) < 0)
        return -1;
    char id[32];
    snprintf(id, sizeof id, "%lld", correction_id);
    if (store_begin(c, err) < 0)
        return -1;
    int done = store_review_correction_revoke(c, insurer_id, correction_id, user, err);
    if (done < 0) {
        store_rollback(c);
        return -1;
    }
    if (done == 0) {
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
    long long id = 0;
    return store_review_case_find(c, insurer_id, cot, &id, err) < 0 ? -1 : id;
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
    char key[256] = "", file[256] = "";
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
    store_review_row_by by = id ? STORE_REVIEW_ROW_BY_ID : colon ? STORE_REVIEW_ROW_BY_FILE : STORE_REVIEW_ROW_BY_INCISO;
    store_review_named_row_list rows;
    if (store_review_case_rows_named(c, case_id, by, key, file, &rows, err) < 0) {
        store_review_named_row_list_clear(&rows);
        return -1;
    }
    long long row = 0;
    size_t n = rows.n;
    if (n == 1) {
        row = rows.items[0].id;
    } else if (n == 0) {
        minca_err_set(err, "the case has no vehicle row %s", spec);
    } else {
        GString *ways = g_string_new(NULL);
        for (size_t i = 0; i < n && i < 5; i++)
            g_string_append_printf(ways, "%s%s:%s (#%lld)", i ? ", " : "", rows.items[i].file, key, rows.items[i].id);
        minca_err_set(err, "inciso %s is on %zu rows of the case (it has several files): name one as %s", key, n,
                      ways->str);
        g_string_free(ways, TRUE);
    }
    store_review_named_row_list_clear(&rows);
    return row;
}

/* ---- decisions for many rows at once -------------------------------------------------------- */

json_t *review_similar_rows(PGconn *c, long long insurer_id, long long row_id, review_scope scope, minca_err *err)
{
    store_review_row row;
    int found = store_review_row_get(c, insurer_id, row_id, &row, err);
    if (found < 0)
        return NULL;
    if (found == 0) {
        minca_err_set(err, "no vehicle row %lld", row_id);
        return NULL;
    }
    char key[CODIFY_KEY_MAX];
    correction_key(row.marca, row.submarca, row.year, row.description, key);
    long long case_id = row.case_id;
    store_review_row_clear(&row);
    store_review_undecided_list rows;
    if (store_review_undecided_rows(c, insurer_id, row_id, case_id, key, scope != REVIEW_SCOPE_CASE, &rows, err) < 0) {
        store_review_undecided_list_clear(&rows);
        return NULL;
    }
    json_t *out = json_array();
    for (size_t i = 0; i < rows.n; i++) {
        const store_review_undecided *r = &rows.items[i];
        char other[CODIFY_KEY_MAX];
        correction_key(r->marca, r->submarca, r->year, r->description, other);
        if (strcmp(other, key) != 0)
            continue;
        json_array_append_new(out, json_pack("{s:I, s:I, s:s, s:i, s:s}", "id", (json_int_t)r->id, "case_id",
                                             (json_int_t)r->case_id, "cot", r->cot, "inciso", r->inciso, "version",
                                             r->version));
    }
    store_review_undecided_list_clear(&rows);
    return out;
}

void review_outcome_clear(review_outcome *out)
{
    if (out->refused)
        g_array_free(out->refused, TRUE);
    memset(out, 0, sizeof *out);
}

char *review_refusal_text(const review_refusal *r)
{
    if (!r->by[0])
        return g_strdup_printf("inciso %d changed since it was shown (now: %s)", r->inciso, r->now);
    return g_strdup_printf("inciso %d changed by %s at %s (now: %s)", r->inciso, r->by, r->at, r->now);
}

static const char *target_version(GHashTable *seen, long long id)
{
    return g_hash_table_lookup(seen, &id);
}

/* The catalog version holding key cvegs for year, looked up once per key in a decision. */
static int catalog_version_cached(PGconn *c, long long insurer_id, GHashTable *cache, const char *cvegs, int year,
                                  long long *version_id, minca_err *err)
{
    char *k = g_strdup_printf("%s|%d", cvegs, year);
    long long *hit = g_hash_table_lookup(cache, k);
    if (hit) {
        *version_id = *hit;
        g_free(k);
        return 0;
    }
    int found = store_review_catalog_version(c, insurer_id, cvegs, year, version_id, err);
    if (found <= 0) {
        g_free(k);
        return found < 0 ? -1 : minca_err_set(err, "key %s %d is not in the active catalog", cvegs, year);
    }
    g_hash_table_insert(cache, k, g_memdup2(version_id, sizeof *version_id));
    return 0;
}

/* What one row of a group decision becomes, read under its locks: LEFT (nothing to decide),
 * REFUSED (changed since shown; *refusal filled) or DECIDED (*d filled; key and befores
 * point into st and the caller's buffers). */
static int plan_row(PGconn *c, long long insurer_id, const store_review_locked *l, const char *seen,
                    review_kind kind, const char *cvegs, int year, GHashTable *catalog, char key[CODIFY_KEY_MAX],
                    store_review_decision *d, review_refusal *refusal, minca_err *err)
{
    const store_review_match *m = &l->match;
    bool accept_proposed = kind == REVIEW_ACCEPT && !cvegs;
    if (!m->decision[0] || (accept_proposed && !m->cvegs[0]))
        return LEFT;
    row_state st = {.case_id = l->row.case_id, .broker_id = l->row.broker_id, .match = *m};
    row_check check = {.version = seen, .refusal = refusal};
    if (check_row(&st, l->row.inciso, l->row.id, &check) == REFUSED)
        return REFUSED;
    correction_key(l->row.marca, l->row.submarca, l->row.year, l->row.description, key);
    memset(d, 0, sizeof *d);
    d->row_id = l->row.id;
    d->case_id = l->row.case_id;
    d->broker_id = l->row.broker_id;
    d->norm_key = key;
    d->catalog_version_id = m->catalog_version_id;
    if (kind == REVIEW_NO_MATCH) {
        d->decision = "rejected";
        d->action = "review.no_match";
        return DECIDED;
    }
    d->cvegs = accept_proposed ? m->cvegs : cvegs;
    d->year = accept_proposed ? m->year : year;
    /* Another row's key for this one: an accept when it is this row's proposal too, a pick
     * otherwise. */
    bool own = strcmp(m->cvegs, d->cvegs) == 0 && m->year == d->year;
    d->decision = kind == REVIEW_ACCEPT && own ? "accepted" : "picked";
    d->action = kind == REVIEW_ACCEPT && own ? "review.accept" : "review.pick";
    if (catalog_version_cached(c, insurer_id, catalog, d->cvegs, d->year, &d->catalog_version_id, err) < 0)
        return -1;
    return DECIDED;
}

static gint compare_keys(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The correction keys of the decisions, each locked once, in one order. */
static int lock_keys(PGconn *c, long long insurer_id, const store_review_decision *d, size_t n, minca_err *err)
{
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *keys = g_ptr_array_new();
    for (size_t i = 0; i < n; i++)
        if (g_hash_table_add(seen, (gpointer)d[i].norm_key))
            g_ptr_array_add(keys, (gpointer)d[i].norm_key);
    g_ptr_array_sort(keys, compare_keys);
    int rc = 0;
    for (guint i = 0; rc == 0 && i < keys->len; i++)
        rc = store_review_lock_correction_key(c, insurer_id, g_ptr_array_index(keys, i), err);
    g_ptr_array_free(keys, TRUE);
    g_hash_table_destroy(seen);
    return rc;
}

int review_decide_targets(PGconn *c, long long insurer_id, const review_target *targets, size_t n, review_kind kind,
                          const char *cvegs, int year, const char *user, review_progress_fn progress,
                          void *progress_user, review_outcome *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    out->refused = g_array_new(FALSE, TRUE, sizeof(review_refusal));
    if (access_require(c, insurer_id, ACCESS_DECIDE, err) < 0)
        return -1;
    if (n == 0)
        return 0;
    if (kind == REVIEW_PICK && (core_str_empty(cvegs) || year < 1900))
        return minca_err_set(err, "a key and a model year are needed");
    char group[96];
    snprintf(group, sizeof group, "%s:%lld:%lld", user, (long long)g_get_real_time(), targets[0].row_id);
    GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    GHashTable *catalog = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    long long *ids = g_new(long long, n);
    for (size_t i = 0; i < n; i++) {
        ids[i] = targets[i].row_id;
        g_hash_table_insert(seen, &ids[i], (gpointer)(targets[i].version ? targets[i].version : ""));
    }
    GArray *rows = NULL, *cases = g_array_new(FALSE, FALSE, sizeof(long long));
    store_review_decision *d = NULL;
    char (*keys)[CODIFY_KEY_MAX] = NULL;
    json_t *befores = json_array();
    size_t nd = 0;
    int rc = store_begin(c, err);
    if (rc < 0)
        goto done;
    rc = -1;
    /* Locks go case by case, then row by row, then the descriptions' keys, as every review
     * change takes them; the rows are read once all are held. */
    if (progress)
        progress(0, n, progress_user);
    if (!(rows = store_review_lock_rows(c, insurer_id, ids, n, err)))
        goto done;
    d = g_new0(store_review_decision, rows->len ? rows->len : 1);
    keys = g_malloc0(sizeof *keys * (rows->len ? rows->len : 1));
    for (guint i = 0; i < rows->len; i++) {
        const store_review_locked *l = &g_array_index(rows, store_review_locked, i);
        review_refusal refusal;
        int r = plan_row(c, insurer_id, l, target_version(seen, l->row.id), kind, cvegs, year, catalog, keys[nd],
                         &d[nd], &refusal, err);
        if (r < 0)
            goto done;
        if (r == REFUSED)
            g_array_append_val(out->refused, refusal);
        if (r != DECIDED)
            continue;
        json_t *before = state_json(&l->match);
        json_array_append_new(befores, before);
        d[nd++].before = before;
        if (cases->len == 0 || g_array_index(cases, long long, cases->len - 1) != l->row.case_id)
            g_array_append_val(cases, l->row.case_id);
    }
    if (lock_keys(c, insurer_id, d, nd, err) < 0 ||
        store_review_decide_many(c, insurer_id, user, n > 1 ? group : NULL, d, nd, err) < 0)
        goto done;
    if (progress)
        progress(nd, n, progress_user);
    /* The case status is counted once per case, after all its rows. */
    for (guint i = 0; i < cases->len; i++)
        if (settle_case(c, g_array_index(cases, long long, i), err) < 0)
            goto done;
    if (store_commit(c, err) < 0)
        goto done;
    out->n_done = (int)nd;
    rc = 0;
done:
    if (rc < 0) {
        store_rollback(c);
        g_array_set_size(out->refused, 0);
    }
    store_review_locked_free(rows);
    g_free(d);
    g_free(keys);
    json_decref(befores);
    g_free(ids);
    g_array_free(cases, TRUE);
    g_hash_table_destroy(seen);
    g_hash_table_destroy(catalog);
    return rc;
}

int review_decide_rows(PGconn *c, long long insurer_id, const long long *row_ids, size_t n, review_kind kind,
                       const char *cvegs, int year, const char *user, int *n_done, minca_err *err)
{
    review_target *t = g_new0(review_target, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        t[i].row_id = row_ids[i];
    review_outcome out;
    int rc = review_decide_targets(c, insurer_id, t, n, kind, cvegs, year, user, NULL, NULL, &out, err);
    *n_done = out.n_done;
    review_outcome_clear(&out);
    g_free(t);
    return rc;
}

/* ---- decisions held across a re-run ------------------------------------------------------ */

int review_case_reviewed(PGconn *c, long long insurer_id, long long case_id, int *decisions, int *notes, int *rows,
                         minca_err *err)
{
    return store_review_case_reviewed(c, insurer_id, case_id, decisions, notes, rows, err);
}

int review_carryover_pending(PGconn *c, long long insurer_id, long long case_id, store_review_carryover_list *out,
                             minca_err *err)
{
    return store_review_carryover_pending(c, insurer_id, case_id, out, err);
}

int review_carryover_discard(PGconn *c, long long insurer_id, long long case_id, const char *user, int *n,
                             minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_DECIDE, err) < 0)
        return -1;
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", case_id);
    if (store_begin(c, err) < 0)
        return -1;
    store_review_carryover_list gone;
    int drc = store_review_carryover_discard(c, insurer_id, case_id, user, &gone, err);
    json_t *gone_json = store_review_carryover_list_json(&gone);
    *n = (int)gone.n;
    store_review_carryover_list_clear(&gone);
    if (drc < 0) {
        json_decref(gone_json);
        goto fail;
    }
    json_t *details = json_pack("{s:o}", "discarded", gone_json);
    int rc = *n ? store_audit(c, insurer_id, user, "review.discard_carryover", "case", cid, details, err) : 0;
    json_decref(details);
    if (rc < 0 || store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}
