/* What the review panes share: the reason a row waits for a person, in words; the
 * confidence as a number that cannot round across the auto-accept threshold; and one
 * decision offered for every undecided row like it (after one key of confirmation), each row
 * still saved with its own audit entry through review_decide_rows. */
#include "minca/desk_review.h"
#include "minca/tui.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tui_conf_text(json_t *conf, char *out, size_t outsz)
{
    if (!json_is_number(conf)) {
        snprintf(out, outsz, "—");
        return;
    }
    /* Rounded down to a tenth of a percent: 0.9869 shows 98.6, never the 99 of an
     * auto-accepted row. */
    double pct = floor(json_number_value(conf) * 1000.0) / 10.0;
    snprintf(out, outsz, "%.1f", pct);
}

static void add_reason(GString *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_reason(GString *out, const char *fmt, ...)
{
    if (out->len)
        g_string_append(out, "; ");
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(out, fmt, ap);
    va_end(ap);
}

/* The words each of two descriptions has and the other lacks: "AUT 4X4 vs STD 4X2". */
static char *difference(const char *a, const char *b)
{
    gchar **wa = g_strsplit(a ? a : "", " ", -1), **wb = g_strsplit(b ? b : "", " ", -1);
    GString *da = g_string_new(NULL), *db = g_string_new(NULL);
    for (int pass = 0; pass < 2; pass++) {
        gchar **from = pass ? wb : wa, **other = pass ? wa : wb;
        GString *to = pass ? db : da;
        for (gchar **w = from; *w; w++) {
            if (!**w)
                continue;
            bool found = false;
            for (gchar **o = other; *o && !found; o++)
                found = g_ascii_strcasecmp(*o, *w) == 0;
            if (!found)
                g_string_append_printf(to, "%s%s", to->len ? " " : "", *w);
        }
    }
    char *out = da->len || db->len ? core_strdup_printf("%s vs %s", da->len ? da->str : "—", db->len ? db->str : "—")
                                   : NULL;
    g_string_free(da, TRUE);
    g_string_free(db, TRUE);
    g_strfreev(wa);
    g_strfreev(wb);
    return out;
}

char *tui_review_reason(json_t *row)
{
    const char *decision = tui_json_str(row, "decision");
    bool open = strcmp(decision, "needs_review") == 0 || strcmp(decision, "no_match") == 0;
    if (!open || *tui_json_str(row, "reviewed_by"))
        return g_strdup("");
    json_t *top = json_object_get(row, "top_candidate");
    GString *out = g_string_new(NULL);
    if (!json_is_object(top) || tui_json_int(row, "n_candidates") == 0) {
        add_reason(out, *tui_json_str(row, "cvegs") ? "low confidence" : "model not in catalog");
        return g_string_free(out, FALSE);
    }
    size_t i;
    json_t *e;
    GString *conflicts = g_string_new(NULL), *unknown = g_string_new(NULL), *typos = g_string_new(NULL);
    bool model_conflict = false;
    json_array_foreach(json_object_get(top, "evidence"), i, e) {
        const char *verdict = tui_json_str(e, "verdict"), *attr = tui_json_str(e, "attr");
        const char *q = tui_json_str(e, "query"), *cat = tui_json_str(e, "catalog");
        if (strcmp(verdict, "conflict") == 0) {
            if (strcmp(attr, "model") == 0 || strcmp(attr, "brand") == 0)
                model_conflict = true;
            g_string_append_printf(conflicts, "%s%s %s≠%s", conflicts->len ? ", " : "", attr, *q ? q : "?",
                                   *cat ? cat : "?");
        } else if (strcmp(verdict, "unexplained") == 0 && *q) {
            g_string_append_printf(unknown, "%s\"%s\"", unknown->len ? ", " : "", q);
        } else if (strcmp(verdict, "fuzzy") == 0 && *q) {
            g_string_append_printf(typos, "%s%s~%s", typos->len ? ", " : "", q, cat);
        }
    }
    if (model_conflict)
        add_reason(out, "model not in catalog");
    if (conflicts->len)
        add_reason(out, "conflicting %s", conflicts->str);
    if (unknown->len)
        add_reason(out, "unknown word %s", unknown->str);
    json_t *rs = json_object_get(row, "runner_score"), *ts = json_object_get(row, "top_score");
    if (json_is_number(rs) && json_is_number(ts)) {
        char *diff = difference(tui_json_str(top, "description"), tui_json_str(row, "other_description"));
        double gap = json_number_value(ts) - json_number_value(rs);
        if (!diff)
            add_reason(out, "runner-up reads the same");
        else if (gap < 0.25)
            add_reason(out, "close runner-up (%s)", diff);
        g_free(diff);
    }
    if (typos->len)
        add_reason(out, "typo %s", typos->str);
    if (!out->len)
        add_reason(out, strcmp(decision, "no_match") == 0 ? "no candidate is likely" : "low confidence");
    g_string_free(conflicts, TRUE);
    g_string_free(unknown, TRUE);
    g_string_free(typos, TRUE);
    return g_string_free(out, FALSE);
}

/* ---- one decision for the rows like it ----------------------------------------------------- */

/* The decision waiting for its one-key answer (the desk asks one question at a time). */
static struct pending {
    json_t *row;          /* the row decided first */
    json_t *same_case;    /* undecided rows like it in its case */
    json_t *other_cases;  /* and in the insurer's other open cases */
    review_kind kind;
    char cvegs[16];
    int year;
    bool close_after;
    char origin[32];      /* appended to the outcome, e.g. " (catalog)" */
} pending;

static void pending_clear(void)
{
    json_decref(pending.row);
    json_decref(pending.same_case);
    json_decref(pending.other_cases);
    memset(&pending, 0, sizeof pending);
}

static const char *kind_done(review_kind kind)
{
    return kind == REVIEW_ACCEPT ? "key accepted" : kind == REVIEW_PICK ? "key picked" : "marked no match";
}

static void append_targets(GArray *t, json_t *rows)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        review_target one = {.row_id = tui_json_int(r, "id"), .version = tui_row_version(r)};
        g_array_append_val(t, one);
    }
}

const char *tui_row_version(json_t *row)
{
    return tui_json_str(row, "version");
}

static void show_progress(size_t done, size_t total, void *user)
{
    tui_app_progress(user, "deciding… %zu of %zu rows", done, total);
}

int tui_decide_targets(tui_view *v, const review_target *t, size_t n, review_kind kind, const char *cvegs, int year,
                       int *n_done, long long *first_refused)
{
    PGconn *db = tui_app_db(v->app);
    long long ins = db ? tui_app_insurer_id(v->app) : 0;
    *n_done = 0;
    if (first_refused)
        *first_refused = 0;
    if (!db || !ins)
        return -1;
    minca_err err = {0};
    review_outcome out;
    if (review_decide_targets(db, ins, t, n, kind, cvegs, year, tui_app_user(v->app), show_progress, v->app, &out,
                              &err) < 0) {
        review_outcome_clear(&out);
        tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
        return -1;
    }
    *n_done = out.n_done;
    tui_app_changed(v->app);
    if (out.refused->len) {
        /* The rows shown with a state that is gone are left as they are now, and shown again. */
        review_refusal *first = &g_array_index(out.refused, review_refusal, 0);
        char *why = review_refusal_text(first);
        char more[64] = "";
        if (out.refused->len > 1)
            snprintf(more, sizeof more, " and %u more row%s", out.refused->len - 1, out.refused->len == 2 ? "" : "s");
        if (out.n_done)
            tui_app_message(v->app, TUI_EL_WARN, "%d decided; left as they are: %s%s", out.n_done, why, more);
        else
            tui_app_message(v->app, TUI_EL_WARN, "nothing decided: %s%s", why, more);
        if (first_refused)
            *first_refused = first->row_id;
        g_free(why);
        review_outcome_clear(&out);
        return 1;
    }
    review_outcome_clear(&out);
    return 0;
}

int tui_decide_ids(tui_view *v, const long long *ids, size_t n, review_kind kind, const char *cvegs, int year,
                   int *n_done)
{
    review_target *t = g_new0(review_target, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        t[i].row_id = ids[i];
    int rc = tui_decide_targets(v, t, n, kind, cvegs, year, n_done, NULL);
    g_free(t);
    return rc;
}

static void decide_answer(tui_view *v, tui_key key, void *user)
{
    (void)user;
    /* The question commits only on the keys it names: o (only this row), y or Enter (the rows
     * like it in the case, when it offers them), c (also the other cases, when it offers them).
     * Any other key (n, q, Esc, a stray letter) decides nothing and says so. */
    bool offers_case = json_array_size(pending.same_case) > 0;
    bool offers_other = json_array_size(pending.other_cases) > 0;
    bool only = key == 'o' || key == 'O';
    bool all = offers_case && (key == 'y' || key == 'Y' || key == '\n' || key == '\r');
    bool wider = offers_other && (key == 'c' || key == 'C');
    if (!only && !all && !wider) {
        tui_app_message(v->app, TUI_EL_NORMAL, "nothing decided (%s%so: only this row)", offers_case ? "y: all, " : "",
                        offers_other ? "c: also the other cases, " : "");
        pending_clear();
        return;
    }
    GArray *t = g_array_new(FALSE, FALSE, sizeof(review_target));
    review_target first = {.row_id = tui_json_int(pending.row, "id"), .version = tui_row_version(pending.row)};
    g_array_append_val(t, first);
    if (all || wider)
        append_targets(t, pending.same_case);
    if (wider)
        append_targets(t, pending.other_cases);
    int n = 0;
    const char *cvegs = pending.cvegs[0] ? pending.cvegs : NULL;
    if (tui_decide_targets(v, (const review_target *)(void *)t->data, t->len, pending.kind, cvegs, pending.year, &n,
                           NULL) == 0) {
        char what[96], others[48] = "";
        if (pending.kind == REVIEW_PICK)
            snprintf(what, sizeof what, "picked %s %d%s", pending.cvegs, pending.year, pending.origin);
        else
            snprintf(what, sizeof what, "%s", kind_done(pending.kind));
        if (n > 1)
            snprintf(others, sizeof others, " and %d rows like it", n - 1);
        tui_app_message(v->app, TUI_EL_OK, "inciso %lld%s: %s", tui_json_int(pending.row, "inciso"), others, what);
        if (pending.close_after)
            tui_app_close(v->app, v);
    }
    g_array_free(t, TRUE);
    pending_clear();
}

void tui_decide_row(tui_view *v, json_t *row, review_kind kind, const char *cvegs, int year, bool close_after,
                    const char *origin)
{
    PGconn *db = tui_app_db(v->app);
    long long ins = db ? tui_app_insurer_id(v->app) : 0;
    if (!db || !ins || !row)
        return;
    minca_err err = {0};
    long long row_id = tui_json_int(row, "id");
    pending_clear();
    pending.row = json_incref(row);
    pending.kind = kind;
    snprintf(pending.cvegs, sizeof pending.cvegs, "%s", cvegs ? cvegs : "");
    pending.year = year;
    pending.close_after = close_after;
    snprintf(pending.origin, sizeof pending.origin, "%s", origin ? origin : "");
    pending.same_case = review_similar_rows(db, ins, row_id, REVIEW_SCOPE_CASE, &err);
    pending.other_cases = pending.same_case ? review_similar_rows(db, ins, row_id, REVIEW_SCOPE_INSURER, &err) : NULL;
    if (!pending.same_case || !pending.other_cases) {
        tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
        pending_clear();
        return;
    }
    size_t n_case = json_array_size(pending.same_case), n_other = json_array_size(pending.other_cases);
    if (n_case == 0 && n_other == 0) {
        decide_answer(v, 'o', NULL);
        return;
    }
    GHashTable *cases = g_hash_table_new(g_str_hash, g_str_equal);
    size_t i;
    json_t *r;
    json_array_foreach(pending.other_cases, i, r)
        g_hash_table_add(cases, (gpointer)tui_json_str(r, "cot"));
    char what[64];
    if (kind == REVIEW_NO_MATCH)
        snprintf(what, sizeof what, "no match");
    else
        snprintf(what, sizeof what, "%s %d", cvegs ? cvegs : tui_json_str(row, "cvegs"),
                 cvegs ? year : (int)tui_json_int(row, "match_year"));
    char question[300], more[96] = "";
    if (n_other)
        snprintf(more, sizeof more, " c:+%zu in %u case%s", n_other, g_hash_table_size(cases),
                 g_hash_table_size(cases) == 1 ? "" : "s");
    if (n_case)
        snprintf(question, sizeof question, "%s: inciso %lld + %zu like it? y:all o:only%s ", what,
                 tui_json_int(row, "inciso"), n_case, more);
    else
        snprintf(question, sizeof question, "%s: inciso %lld? o:only%s ", what, tui_json_int(row, "inciso"), more);
    g_hash_table_destroy(cases);
    tui_app_confirm(v->app, v, question, decide_answer, NULL);
}
