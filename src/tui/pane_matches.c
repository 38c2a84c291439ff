/* Matches pane: the case view. A header with the case's client data and pre-analysis, then
 * one line per vehicle row: inciso, the description as the broker wrote it, year, VIN, the
 * chosen key with its catalog description, confidence, decision and a reviewed mark.
 *
 * Decisions are taken here and saved at once through desk_review.h (one transaction each, audited
 * with the acting user, turned into corrections): accept, pick from the candidates or from a
 * catalog search (pushed views), no match, undo, note, mark ready, export. The tab follows
 * the case selected in Cases; Enter in Cases pushes a copy fixed on one case. */
#include "minca/core_config.h"
#include "minca/desk_export_case.h"
#include "minca/profile.h"
#include "minca/desk_profile_store.h"
#include "minca/desk_review.h"
#include "minca/store_tui.h"
#include "minca/tui.h"
#include "minca/core_vehicle.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column matches_cols[] = {
    {"Inc", 3, 0, true},    {"Description", 12, 4, false}, {"Year", 4, 0, true},  {"VIN", 7, 0, false},
    {"Key", 7, 0, false},   {"Catalog", 12, 4, false},     {"Conf%", 6, 0, true}, {"Decision", 8, 2, false},
    {"✓", 2, 0, false},
};
#define N_COLS (int)(sizeof matches_cols / sizeof matches_cols[0])
#define COL_VIN 3
#define HEAD_LINES 2
#define FOOT_LINES 3   /* the selected row in full: source, texts, why */

typedef struct matches {
    char *fixed_cot;   /* pushed on one case; NULL: follows the Cases selection */
    char *cot;         /* the case shown */
    json_t *head;      /* store_tui_case_head(), or NULL */
    json_t *rows;      /* store_tui_case_rows() */
    int n_review, n_nomatch, n_keyed, n_open;
    int n_held;        /* decisions a re-run held that came back on no row */
    GHashTable *tagged; /* row ids (gint64 keys, owned) tagged with `t` */
    long long select_row; /* a row to select once the case is loaded (opened on a row), 0: none */
    WINDOW *win;       /* where the footer was last drawn, for a move to redraw it alone */
    int foot_y, foot_w;
} matches;

static const char *no_case_hint = "No case selected. Pick one in the Cases pane ({cases}), then come back here ({matches}).";

static int matches_open(tui_view *v)
{
    v->rows_redraw_alone = true;
    matches *m = g_malloc0_n(1, sizeof(matches));
    v->priv = m;
    v->table = tui_table_new(matches_cols, N_COLS);
    if (!v->priv || !v->table)
        return -1;
    m->tagged = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    tui_table_set_tail(v->table, COL_VIN);
    tui_table_set_empty(v->table, no_case_hint);
    return 0;
}

static void matches_close(tui_view *v)
{
    matches *m = v->priv;
    if (m) {
        json_decref(m->head);
        json_decref(m->rows);
        g_free(m->cot);
        g_free(m->fixed_cot);
        g_hash_table_destroy(m->tagged);
        g_free(m);
    }
    tui_table_free(v->table);
}

static const char *decision_label(const char *d)
{
    if (!*d)
        return "—";
    if (strcmp(d, "auto_accept") == 0)
        return "auto";
    if (strcmp(d, "needs_review") == 0)
        return "review";
    if (strcmp(d, "no_match") == 0)
        return "no match";
    return d; /* accepted, picked, rejected */
}

static tui_elem decision_elem(const char *d)
{
    if (strcmp(d, "needs_review") == 0)
        return TUI_EL_WARN;
    if (strcmp(d, "no_match") == 0 || strcmp(d, "rejected") == 0)
        return TUI_EL_ERROR;
    if (*d)
        return TUI_EL_OK;
    return TUI_EL_NORMAL;
}

static const char *shown_cot(tui_view *v)
{
    matches *m = v->priv;
    return m->fixed_cot ? m->fixed_cot : tui_app_current_case(v->app);
}

static bool is_tagged(matches *m, long long id)
{
    gint64 k = id;
    return g_hash_table_contains(m->tagged, &k);
}

static bool is_row(json_t *data, void *user)
{
    return tui_json_int(data, "id") == *(long long *)user;
}

static void add_row(tui_view *v, json_t *r, size_t i)
{
    matches *m = v->priv;
    char key[32], inciso[16], year[16], conf[16];
    snprintf(key, sizeof key, "%lld", tui_json_int(r, "id"));
    json_t *inc = json_object_get(r, "inciso");
    snprintf(inciso, sizeof inciso, "%lld", json_is_integer(inc) ? (long long)json_integer_value(inc) : (long long)i + 1);
    json_t *y = json_object_get(r, "match_year");
    if (!json_is_integer(y))
        y = json_object_get(r, "year");
    if (json_is_integer(y))
        snprintf(year, sizeof year, "%lld", (long long)json_integer_value(y));
    else
        year[0] = '\0';
    /* The codifier's confidence stays beside the reviewer's mark. */
    tui_conf_text(json_object_get(r, "confidence"), conf, sizeof conf);
    if (!json_is_number(json_object_get(r, "confidence")))
        conf[0] = '\0';
    char desc[512];
    if (*tui_json_str(r, "description"))
        snprintf(desc, sizeof desc, "%s", tui_json_str(r, "description"));
    else
        snprintf(desc, sizeof desc, "%s %s", tui_json_str(r, "marca"), tui_json_str(r, "submarca"));
    /* The key's text leads with the words that tell it from the other version. */
    char *catalog = NULL;
    if (*tui_json_str(r, "key_description")) {
        const char *other = tui_json_str(r, "other_description");
        char *distinct = tui_text_distinct(tui_json_str(r, "key_description"), &other, *other ? 1 : 0);
        if (strstr(distinct, " · "))
            catalog = distinct;
        else {
            catalog = core_strdup_printf("%s %s %s", tui_json_str(r, "key_marca"), tui_json_str(r, "key_submarca"),
                                         distinct);
            g_free(distinct);
        }
    }
    const char *decision = tui_json_str(r, "decision");
    char *reason = tui_review_reason(r);
    /* A row to review says why (its colour says it waits); the others their decision. */
    char *decision_cell = *reason ? g_strdup(reason) : g_strdup(decision_label(decision));
    char mark[16];
    snprintf(mark, sizeof mark, "%s%s", is_tagged(m, tui_json_int(r, "id")) ? "+" : "",
             *tui_json_str(r, "reviewed_by") ? "✓" : (*tui_json_str(r, "note") ? "*" : ""));
    const char *cells[N_COLS] = {inciso, desc, year, tui_json_str(r, "vin"), tui_json_str(r, "cvegs"),
                                 catalog ? catalog : "", conf, decision_cell, mark};
    tui_table_add(v->table, key, cells, decision_elem(decision), r);
    g_free(catalog);
    g_free(reason);
    g_free(decision_cell);
}

static void count_rows(matches *m)
{
    m->n_review = m->n_nomatch = m->n_keyed = m->n_open = 0;
    size_t i;
    json_t *r;
    json_array_foreach(m->rows, i, r) {
        tui_elem e = decision_elem(tui_json_str(r, "decision"));
        m->n_review += e == TUI_EL_WARN;
        m->n_nomatch += e == TUI_EL_ERROR;
        m->n_keyed += e == TUI_EL_OK;
        m->n_open += e == TUI_EL_WARN || e == TUI_EL_NORMAL;
    }
}

static void matches_refresh(tui_view *v)
{
    matches *m = v->priv;
    const char *cot = shown_cot(v);
    if (!m->cot || !cot || strcmp(m->cot, cot) != 0) {
        /* Another case: start at its first row with no filter. */
        tui_table_clear(v->table);
        tui_table_done(v->table);
        tui_table_set_filter(v->table, NULL);
    }
    char *keep = cot ? g_strdup(cot) : NULL; /* cot may be m->cot itself */
    g_free(m->cot);
    m->cot = keep;
    json_decref(m->head);
    json_decref(m->rows);
    m->head = m->rows = NULL;
    count_rows(m);
    if (!m->cot) {
        tui_table_clear(v->table);
        tui_table_done(v->table);
        tui_table_set_empty(v->table, no_case_hint);
        return;
    }
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    if (!db)
        return;
    minca_err err = {0};
    m->head = store_tui_case_head(db, insurer_id, m->cot, &err);
    if (m->head)
        m->rows = store_tui_case_rows(db, insurer_id, tui_json_int(m->head, "id"), &err);
    tui_table_clear(v->table);
    if (!m->head || !m->rows) {
        tui_table_done(v->table);
        tui_app_message(v->app, TUI_EL_ERROR, "cannot read case %s: %s", m->cot, err.msg);
        return;
    }
    size_t i;
    json_t *r;
    json_array_foreach(m->rows, i, r)
        add_row(v, r, i);
    count_rows(m);
    store_review_carryover_list held;
    m->n_held = review_carryover_pending(db, insurer_id, tui_json_int(m->head, "id"), &held, &err) == 0 ? (int)held.n : 0;
    store_review_carryover_list_clear(&held);
    tui_table_done(v->table);
    if (m->select_row) {
        tui_table_select_next(v->table, is_row, &m->select_row);
        m->select_row = 0;
    }
    tui_table_set_empty(v->table, json_is_true(json_object_get(m->head, "needs_profile"))
                                      ? "No vehicle rows: this broker's sheet needs a profile before it can be read.\n"
                                        "Press {wizard} to open the profile wizard."
                                      : "This case has no vehicle rows yet (still being read, or its email had no "
                                        "vehicle list).");
}

/* "RFC missing, vigencia missing" from the pre-analysis. */
static void missing_text(json_t *missing, GString *out)
{
    size_t i;
    json_t *item;
    json_array_foreach(missing, i, item) {
        const char *text = json_is_string(item) ? json_string_value(item)
                           : *tui_json_str(item, "label") ? tui_json_str(item, "label")
                           : *tui_json_str(item, "field") ? tui_json_str(item, "field")
                                                           : tui_json_str(item, "requirement");
        g_string_append_printf(out, "%s%s", i ? ", " : "", text);
    }
}

/* The selected row in full below the list: where it came from, the whole texts (the list
 * cuts them at 80 columns), and why it waits for a person. */
static void draw_footer(tui_view *v)
{
    matches *m = v->priv;
    if (!m->win)
        return;
    json_t *r = tui_table_selected(v->table);
    WINDOW *win = m->win;
    int y = m->foot_y, w = m->foot_w;
    for (int i = 0; i < FOOT_LINES; i++) {
        wattrset(win, tui_theme_attr(i == 0 ? TUI_EL_HEADER : TUI_EL_NORMAL));
        mvwhline(win, y + i, 0, ' ', w);
    }
    if (!r) {
        wattrset(win, A_NORMAL);
        return;
    }
    char src[300];
    const char *file = tui_json_str(r, "source_file");
    snprintf(src, sizeof src, " inciso %lld · %s%s%s row %lld · VIN %s", tui_json_int(r, "inciso"), *file ? file : "",
             *file ? " " : "", *tui_json_str(r, "source_sheet") ? tui_json_str(r, "source_sheet") : "",
             tui_json_int(r, "source_row"), *tui_json_str(r, "vin") ? tui_json_str(r, "vin") : "—");
    wattrset(win, tui_theme_attr(TUI_EL_HEADER));
    tui_text_put(win, y, 0, w, src, false);
    char own[600];
    if (*tui_json_str(r, "description"))
        snprintf(own, sizeof own, "%s", tui_json_str(r, "description"));
    else
        snprintf(own, sizeof own, "%s %s", tui_json_str(r, "marca"), tui_json_str(r, "submarca"));
    char *text = core_strdup_printf(" %s → %s %s %s", own, tui_json_str(r, "key_marca"),
                                    tui_json_str(r, "key_submarca"), tui_json_str(r, "key_description"));
    wattrset(win, tui_theme_attr(TUI_EL_NORMAL));
    tui_text_put(win, y + 1, 0, w, text, false);
    g_free(text);
    char *reason = tui_review_reason(r);
    char conf[16];
    tui_conf_text(json_object_get(r, "confidence"), conf, sizeof conf);
    char *why = *reason ? core_strdup_printf(" why: %s · confidence %s%%", reason, conf)
                : *tui_json_str(r, "reviewed_by")
                    ? core_strdup_printf(" %s by %s %s · codifier's confidence %s%%", decision_label(tui_json_str(r, "decision")),
                                         tui_json_str(r, "reviewed_by"), tui_json_str(r, "reviewed_at"), conf)
                    : core_strdup_printf(" %s · confidence %s%%", decision_label(tui_json_str(r, "decision")), conf);
    wattrset(win, tui_theme_attr(*reason ? TUI_EL_WARN : TUI_EL_DIM));
    tui_text_put(win, y + 2, 0, w, why, false);
    g_free(why);
    g_free(reason);
    wattrset(win, A_NORMAL);
}

static void matches_select(tui_view *v)
{
    draw_footer(v);
}

static void matches_draw(tui_view *v, WINDOW *win, int h, int w)
{
    matches *m = v->priv;
    GString *l1 = g_string_new(NULL), *l2 = g_string_new(NULL);
    if (m->head) {
        json_t *k = m->head;
        /* Short fields first: a long client name must not push the RFC off an 80-column line. */
        g_string_printf(l1, " %s · %s · RFC %s · %s · %s", m->cot, tui_json_str(k, "status"),
                        *tui_json_str(k, "rfc") ? tui_json_str(k, "rfc") : "—",
                        *tui_json_str(k, "client_name") ? tui_json_str(k, "client_name") : "(client unknown)",
                        *tui_json_str(k, "broker") ? tui_json_str(k, "broker") : tui_json_str(k, "from_addr"));
        g_string_printf(l2, " %d vehicles: %d keyed, %d to review, %d no match", tui_table_total(v->table), m->n_keyed,
                        m->n_review, m->n_nomatch);
        if (m->n_held > 0) {
            char key[16];
            tui_keys_primary(TUI_ACT_DISCARD_HELD, key, sizeof key);
            /* First: at 80 columns the end of this line is cut. */
            char *held = core_strdup_printf(" %d decision%s held: no row reads the same (%s: discard) ·", m->n_held,
                                            m->n_held == 1 ? "" : "s", key);
            g_string_prepend(l2, held);
            g_free(held);
        }
        if (g_hash_table_size(m->tagged))
            g_string_append_printf(l2, " · %u tagged", g_hash_table_size(m->tagged));
        if (json_is_true(json_object_get(k, "needs_profile"))) {
            char key[16];
            tui_keys_primary(TUI_ACT_WIZARD, key, sizeof key);
            if (*tui_json_str(k, "resembles"))
                g_string_append_printf(l2, " · no broker profile, like '%s' (%s: wizard)",
                                       tui_json_str(k, "resembles"), key);
            else
                g_string_append_printf(l2, " · no broker profile (%s: wizard)", key);
        }
        long long ignored = tui_json_int(k, "ignored_with_data");
        if (ignored > 0)
            g_string_append_printf(l2, " · WARNING: %lld column%s with data ignored (i)", ignored, ignored == 1 ? "" : "s");
        int n_suggested = 0;
        size_t si;
        json_t *sm;
        json_array_foreach(json_object_get(k, "missing_requirements"), si, sm)
            n_suggested += json_is_string(sm) && strstr(json_string_value(sm), "suggested by the model") != NULL;
        if (n_suggested) {   /* early on the line: it must not be cut off on a narrow terminal */
            char key[16];
            tui_keys_primary(TUI_ACT_CONFIRM, key, sizeof key);
            g_string_append_printf(l2, " · %d field%s suggested by the model (%s: confirm)", n_suggested,
                                   n_suggested == 1 ? "" : "s", key);
        }
        g_string_append_printf(l2, " · pre-analysis: %s",
                               *tui_json_str(k, "preanalysis_status") ? tui_json_str(k, "preanalysis_status") : "—");
        json_t *missing = json_object_get(k, "missing_requirements");
        if (json_array_size(missing)) {
            g_string_append(l2, ", missing: ");
            missing_text(missing, l2);
        }
    } else {
        g_string_assign(l1, " Matches");
    }
    wattrset(win, tui_theme_attr(TUI_EL_TITLE));
    mvwhline(win, 0, 0, ' ', w);
    tui_text_put(win, 0, 0, w, l1->str, false);
    wattrset(win, tui_theme_attr(m->head && (json_array_size(json_object_get(m->head, "missing_requirements")) ||
                                              m->n_held > 0)
                                     ? TUI_EL_WARN
                                     : TUI_EL_DIM));
    mvwhline(win, 1, 0, ' ', w);
    tui_text_put(win, 1, 0, w, l2->str, false);
    wattrset(win, A_NORMAL);
    g_string_free(l1, TRUE);
    g_string_free(l2, TRUE);
    int foot = h - HEAD_LINES >= 12 ? FOOT_LINES : 0;
    v->body_rows = h - HEAD_LINES - foot - 1;
    tui_table_draw(v->table, win, HEAD_LINES, 0, h - HEAD_LINES - foot, w);
    m->win = foot ? win : NULL;
    m->foot_y = h - foot;
    m->foot_w = w;
    draw_footer(v);
}

static bool needs_review(json_t *row, void *user)
{
    (void)user;
    return review_decision_open(tui_json_str(row, "decision"));
}

static bool row_has_id(json_t *row, void *user)
{
    return tui_json_int(row, "id") == *(long long *)user;
}

/* ---- decisions ----------------------------------------------------------------------------- */

/* The selected row's id, or 0 with a message. */
static long long selected_row(tui_view *v, json_t **row)
{
    json_t *r = tui_table_selected(v->table);
    if (row)
        *row = r;
    if (!r) {
        tui_app_message(v->app, TUI_EL_WARN, "no vehicle row selected");
        return 0;
    }
    return tui_json_int(r, "id");
}

static long long case_id(tui_view *v)
{
    matches *m = v->priv;
    if (!m->head) {
        tui_app_message(v->app, TUI_EL_WARN, "no case open");
        return 0;
    }
    return tui_json_int(m->head, "id");
}

static PGconn *db_for(tui_view *v, long long *insurer_id)
{
    PGconn *db = tui_app_db(v->app);
    *insurer_id = db ? tui_app_insurer_id(v->app) : 0;
    return db && *insurer_id ? db : NULL;
}

static void note_done(tui_view *v, const char *text, void *user)
{
    long long row_id = (long long)(intptr_t)user;
    long long ins;
    PGconn *db = db_for(v, &ins);
    if (!db)
        return;
    minca_err err = {0};
    if (review_note(db, ins, row_id, text, tui_app_user(v->app), &err) < 0)
        tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
    else {
        tui_app_message(v->app, TUI_EL_OK, "note saved");
        tui_app_changed(v->app);
    }
}

static void rerun_done(tui_view *v, const char *text, void *user)
{
    (void)user;
    if (g_ascii_strcasecmp(text, "yes") != 0) {
        tui_app_message(v->app, TUI_EL_NORMAL, "re-run cancelled");
        return;
    }
    long long ins, cid = case_id(v);
    PGconn *db = db_for(v, &ins);
    if (!db || !cid)
        return;
    minca_err err = {0};
    long long job = 0;
    if (profile_store_rerun_case(db, ins, cid, tui_app_user(v->app), NULL, &job, &err) < 0)
        tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
    else {
        tui_app_message(v->app, TUI_EL_OK, "case queued for extraction again (job %lld)", job);
        tui_app_changed(v->app);
    }
}

static void export_case(tui_view *v)
{
    matches *m = v->priv;
    long long ins;
    PGconn *db = db_for(v, &ins);
    if (!db || !m->head)
        return;
    export_case_outcome out;
    memset(&out, 0, sizeof out);
    minca_err err = {0};
    if (export_case_run(db, ins, m->cot, config_get()->export_dir, NULL, NULL, EXPORT_FORMAT_BOTH, false, &out, &err) < 0) {
        tui_app_message(v->app, TUI_EL_ERROR, "not exported: %s", err.msg);
        return;
    }
    /* the workbook and the PDF share the stem: name it once */
    const char *price = out.price[0] ? out.price : "unpriced";
    tui_app_message(v->app, out.warnings[0] ? TUI_EL_WARN : TUI_EL_OK, "exported %s v%d (%d rows, %s) to %s + .pdf%s%s",
                    m->cot, out.version, out.n_rows, price, out.path, out.warnings[0] ? "; warning: " : "",
                    out.warnings);
    tui_app_changed(v->app);
}

static void field(GString *out, const char *label, const char *value)
{
    if (value && *value)
        g_string_append_printf(out, "%-16s %s\n", label, value);
}

/* " (suggested by the model, to confirm)" after a field the language model filled. */
static const char *suggested_mark(json_t *sugg, const char *key)
{
    json_t *s = json_object_get(sugg, key);
    if (!s)
        return "";
    return json_object_get(s, "confirmed_by") ? "  (suggested by the model, confirmed)"
                                              : "  (suggested by the model, to confirm)";
}

static void suggested_field(GString *out, const char *label, json_t *k, json_t *sugg, const char *column, const char *key)
{
    if (!*tui_json_str(k, column) && !json_object_get(sugg, key))
        return;
    char *value = core_strdup_printf("%s%s", tui_json_str(k, column), suggested_mark(sugg, key));
    field(out, label, value);
    g_free(value);
}

/* The case in full: client data, message, pre-analysis, attachments with what was read. */
static tui_view *case_info(tui_view *v)
{
    matches *m = v->priv;
    long long ins;
    PGconn *db = db_for(v, &ins);
    if (!db || !m->cot)
        return NULL;
    minca_err err = {0};
    json_t *k = store_case_show(db, ins, m->cot, &err);
    if (!k) {
        tui_app_message(v->app, TUI_EL_ERROR, "cannot read case %s: %s", m->cot, err.msg);
        return NULL;
    }
    GString *out = g_string_new(NULL);
    field(out, "Status:", tui_json_str(k, "status"));
    field(out, "Reason:", tui_json_str(k, "status_reason"));
    json_t *sugg = json_object_get(k, "suggested");
    suggested_field(out, "Client:", k, sugg, "client_name", "client_name");
    suggested_field(out, "RFC:", k, sugg, "rfc", "rfc");
    field(out, "Contact:", tui_json_str(k, "contact"));
    field(out, "Broker:", tui_json_str(k, "broker"));
    suggested_field(out, "Coverage:", k, sugg, "coverage", "coverage");
    suggested_field(out, "Payment:", k, sugg, "payment_terms", "payment_terms");
    suggested_field(out, "Use:", k, sugg, "uso", "uso");
    if (*tui_json_str(k, "validity_start"))
        g_string_append_printf(out, "%-16s %s to %s%s\n", "Validity:", tui_json_str(k, "validity_start"),
                               tui_json_str(k, "validity_end"), suggested_mark(sugg, "vigencia"));
    if (json_object_size(sugg))
        g_string_append(out, "Fields marked \"suggested\" were read by the language model: check them and confirm (C).\n");
    if (tui_json_int(k, "revision") > 1) {
        char *rev = core_strdup_printf("%lld of the vehicle list", tui_json_int(k, "revision"));
        field(out, "Revision:", rev);
        g_free(rev);
        char *diff = review_revision_summary(json_object_get(k, "revision_diff"), "  ");
        g_string_append(out, diff);
        g_free(diff);
    }
    field(out, "Created:", tui_json_str(k, "created_at"));
    if (*tui_json_str(k, "from_addr")) {
        char *from = core_strdup_printf("%s <%s>", tui_json_str(k, "from_name"), tui_json_str(k, "from_addr"));
        field(out, "From:", from);
        g_free(from);
    }
    field(out, "Subject:", tui_json_str(k, "subject"));
    field(out, "Received:", tui_json_str(k, "received_at"));
    field(out, "Pre-analysis:", tui_json_str(k, "preanalysis_status"));
    json_t *missing = json_object_get(k, "missing_requirements");
    if (json_array_size(missing)) {
        GString *list = g_string_new(NULL);
        missing_text(missing, list);
        field(out, "Missing:", list->str);
        g_string_free(list, TRUE);
    }
    if (json_is_true(json_object_get(k, "needs_profile")))
        g_string_append(out, "The broker has no profile yet: the sheet's columns were guessed (W: wizard).\n");
    json_t *msgs = json_object_get(k, "messages");
    size_t i;
    json_t *a;
    g_string_append_printf(out, "\nMessages (%zu):\n", json_array_size(msgs));
    json_array_foreach(msgs, i, a)
        g_string_append_printf(out, "  %zu. %s  %s  %s  (%s%s)\n", i + 1, tui_json_str(a, "received"),
                               tui_json_str(a, "from_addr"), tui_json_str(a, "subject"),
                               *tui_json_str(a, "joined_by") ? "joined by " : "opened the case",
                               tui_json_str(a, "joined_by"));
    json_t *sent = json_object_get(k, "outbox");
    if (json_array_size(sent)) {
        g_string_append_printf(out, "\nSent to the broker (%zu):\n", json_array_size(sent));
        json_array_foreach(sent, i, a)
            g_string_append_printf(out, "  #%lld %s  %s  to %s  %s%s%s\n", tui_json_int(a, "id"), tui_json_str(a, "kind"),
                                   tui_json_str(a, "state"), tui_json_str(a, "to_addr"), tui_json_str(a, "subject"),
                                   *tui_json_str(a, "last_error") ? "  " : "", tui_json_str(a, "last_error"));
    }
    json_t *atts = json_object_get(k, "attachments");
    g_string_append_printf(out, "\nAttachments (%zu):\n", json_array_size(atts));
    json_array_foreach(atts, i, a) {
        g_string_append_printf(out, "  %lld. %s  %s%s%s\n", tui_json_int(a, "ordinal"), tui_json_str(a, "filename"),
                               tui_json_str(a, "status"), *tui_json_str(a, "error") ? ": " : "", tui_json_str(a, "error"));
        json_t *rep = json_object_get(json_object_get(a, "extraction"), "report");
        if (rep)
            g_string_append_printf(out, "      sheet '%s', header row %lld, %lld rows, %lld errors, %lld warnings; %s\n",
                                   tui_json_str(rep, "sheet"), tui_json_int(rep, "header_row"), tui_json_int(rep, "rows"),
                                   tui_json_int(rep, "errors"), tui_json_int(rep, "warnings"),
                                   *tui_json_str(rep, "profile") ? tui_json_str(rep, "profile") : "columns guessed");
        json_t *ex = json_object_get(a, "extraction");
        if (json_is_object(ex)) {
            char *summary = profile_report_summary(ex, "      ");
            g_string_append(out, summary);
            g_free(summary);
        }
    }
    char *title = core_strdup_printf("Case %s", m->cot);
    tui_view *pv = tui_pager_new(v->app, title, out->str);
    g_free(title);
    g_string_free(out, TRUE);
    json_decref(k);
    return pv;
}

/* ---- several rows at once -------------------------------------------------------------------- */

/* The rows a several-row question is about, each with the version shown (copied: the pane
 * may reload while the question waits). */
static struct {
    review_kind kind;
    GArray *ids;   /* review_target, versions g_strdup'd */
    json_t *rows;  /* the rows themselves, for the list on request (a new array) */
} batch;

static void batch_free(GArray *t)
{
    if (!t)
        return;
    for (guint i = 0; i < t->len; i++)
        g_free((char *)g_array_index(t, review_target, i).version);
    g_array_free(t, TRUE);
}

static GArray *targets_new(void) { return g_array_new(FALSE, FALSE, sizeof(review_target)); }

static void targets_add(GArray *t, json_t *row)
{
    review_target one = {.row_id = tui_json_int(row, "id"), .version = g_strdup(tui_row_version(row))};
    g_array_append_val(t, one);
    if (!batch.rows)
        batch.rows = json_array();
    json_array_append(batch.rows, row);
}

static void batch_clear(void)
{
    batch_free(batch.ids);
    batch.ids = NULL;
    json_decref(batch.rows);
    batch.rows = NULL;
}

/* The rows a question is about, one a line: inciso, key, confidence, description. */
static void batch_list(tui_view *v)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "%zu rows %s:\n\n  Inc  Key       Year  Conf%%  Description\n", json_array_size(batch.rows),
                           batch.kind == REVIEW_ACCEPT ? "to accept with their proposed keys" : "to mark no match");
    size_t i;
    json_t *r;
    json_array_foreach(batch.rows, i, r) {
        char conf[16];
        tui_conf_text(json_object_get(r, "confidence"), conf, sizeof conf);
        g_string_append_printf(out, "%5lld  %-8s  %4lld  %5s  %s %s %s\n", tui_json_int(r, "inciso"),
                               tui_json_str(r, "cvegs"), tui_json_int(r, "match_year"), conf, tui_json_str(r, "marca"),
                               tui_json_str(r, "submarca"), tui_json_str(r, "description"));
    }
    tui_app_push(v->app, tui_pager_new(v->app, "Rows the decision would take", out->str));
    g_string_free(out, TRUE);
}

static void batch_answer(tui_view *v, tui_key key, void *user)
{
    (void)user;
    if (batch.ids && (key == 'l' || key == 'L')) {
        batch_list(v);
        tui_app_message(v->app, TUI_EL_NORMAL, "nothing decided yet: the list of the %u rows (ask again to decide)",
                        batch.ids->len);
        batch_clear();
        return;
    }
    if (batch.ids && (key == 'y' || key == 'Y' || key == '\n' || key == '\r')) {
        int n = 0;
        int rc = tui_decide_targets(v, (const review_target *)(void *)batch.ids->data, batch.ids->len, batch.kind,
                                    NULL, 0, &n, NULL);
        if (rc >= 0) {
            matches *m = v->priv;
            if (rc == 0) /* else the rows left as they are were reported */
                tui_app_message(v->app, TUI_EL_OK, "%d row%s %s", n, n == 1 ? "" : "s",
                                batch.kind == REVIEW_ACCEPT ? "accepted with their proposed keys" : "marked no match");
            g_hash_table_remove_all(m->tagged);
        }
    } else {
        tui_app_message(v->app, TUI_EL_NORMAL, "nothing decided");
    }
    batch_clear();
}

/* Asks about the rows of ids (and batch.rows, which targets_add filled). */
static void batch_ask(tui_view *v, review_kind kind, GArray *ids, const char *what)
{
    batch_free(batch.ids);
    batch.kind = kind;
    batch.ids = ids;
    if (!ids->len) {
        tui_app_message(v->app, TUI_EL_NORMAL, "no row fits: %s; nothing decided", what);
        batch_clear();
        return;
    }
    char q[300];
    snprintf(q, sizeof q, "%s %u row%s (%s)? y l:list ", kind == REVIEW_ACCEPT ? "accept" : "no match for", ids->len,
             ids->len == 1 ? "" : "s", what);
    tui_app_confirm(v->app, v, q, batch_answer, NULL);
}

static void decide_tagged(tui_view *v, review_kind kind)
{
    matches *m = v->priv;
    batch_clear();
    GArray *ids = targets_new();
    size_t i;
    json_t *r;
    json_array_foreach(m->rows, i, r) {
        long long id = tui_json_int(r, "id");
        if (is_tagged(m, id) && (kind != REVIEW_ACCEPT || *tui_json_str(r, "cvegs")))
            targets_add(ids, r);
    }
    batch_ask(v, kind, ids, "the tagged rows");
}

/* A shown row to review whose proposal has a confidence of at least pct percent. */
static bool acceptable_at(json_t *r, double pct)
{
    json_t *c = json_object_get(r, "confidence");
    return strcmp(tui_json_str(r, "decision"), "needs_review") == 0 && !*tui_json_str(r, "reviewed_by") &&
           *tui_json_str(r, "cvegs") && json_is_number(c) && json_number_value(c) * 100.0 >= pct - 1e-9;
}

/* A: the level proposed is the one at which the codifier's proposals are right at least
 * review.accept_share of the time. The confidence is calibrated on text the model was not
 * fitted on (data/codify/calibration.txt): a row's confidence is the share of proposals right
 * at its score, so every row at or above the share is right at least that often. The count of
 * rows it would take is shown before any question. */
static void accept_above_asked(tui_view *v, const char *text, void *user);

static void accept_above_propose(tui_view *v)
{
    double share = config_get()->review_accept_share;
    double pct = floor(share * 1000.0 + 1e-6) / 10.0;
    int n = 0, open = 0;
    json_t *r;
    for (int i = 0; (r = tui_table_visible_data(v->table, i)); i++) {
        n += acceptable_at(r, pct);
        open += strcmp(tui_json_str(r, "decision"), "needs_review") == 0 && !*tui_json_str(r, "reviewed_by");
    }
    char label[200], initial[16];
    snprintf(label, sizeof label, "%d of %d shown rows to review at >= %g%% (right >= %g%% there); accept from (%%): ",
             n, open, pct, pct);
    snprintf(initial, sizeof initial, "%g", pct);
    tui_app_prompt(v->app, v, label, initial, accept_above_asked, NULL);
}

static void accept_above_asked(tui_view *v, const char *text, void *user)
{
    (void)user;
    char *end;
    double pct = strtod(text, &end);
    if (end == text || pct < 0 || pct > 100) {
        tui_app_message(v->app, TUI_EL_ERROR, "'%s' is not a percentage", text);
        return;
    }
    batch_clear();
    GArray *ids = targets_new();
    json_t *r;
    for (int i = 0; (r = tui_table_visible_data(v->table, i)); i++)
        if (acceptable_at(r, pct))
            targets_add(ids, r);
    char what[96];
    snprintf(what, sizeof what, "to review, confidence ≥ %g%%", pct);
    batch_ask(v, REVIEW_ACCEPT, ids, what);
}

static void discard_held_answer(tui_view *v, tui_key key, void *user)
{
    (void)user;
    long long ins, cid = case_id(v);
    PGconn *db = db_for(v, &ins);
    if (key != 'y' && key != 'Y') {
        tui_app_message(v->app, TUI_EL_NORMAL, "kept");
        return;
    }
    if (!db || !cid)
        return;
    minca_err err = {0};
    int n = 0;
    if (review_carryover_discard(db, ins, cid, tui_app_user(v->app), &n, &err) < 0)
        tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
    else {
        tui_app_message(v->app, TUI_EL_OK, "%d held decision%s discarded (kept in the audit log)", n, n == 1 ? "" : "s");
        tui_app_changed(v->app);
    }
}

/* ---- the pane's actions: one handler each, rows in matches_rows below ------------------ */

static bool act_next_review(tui_view *v, tui_action act, const char *args)
{
    (void)args;
    bool found = act == TUI_ACT_NEXT_REVIEW ? tui_table_select_next(v->table, needs_review, NULL)
                                            : tui_table_select_prev(v->table, needs_review, NULL);
    if (!found)
        tui_app_message(v->app, TUI_EL_OK, "no row of this case needs review");
    return true;
}

static bool act_accept(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    json_t *row = NULL;
    if (!selected_row(v, &row))
        return true;
    if (!*tui_json_str(row, "cvegs")) {
        char cand[16], search[16];
        tui_keys_primary(TUI_ACT_CANDIDATES, cand, sizeof cand);
        tui_keys_primary(TUI_ACT_SEARCH, search, sizeof search);
        tui_app_message(v->app, TUI_EL_WARN, "inciso %lld has no proposed key to accept; pick one (%s or %s)",
                        tui_json_int(row, "inciso"), cand, search);
        return true;
    }
    tui_decide_row(v, row, REVIEW_ACCEPT, tui_json_str(row, "cvegs"), (int)tui_json_int(row, "match_year"), false,
                   NULL);
    return true;
}

static bool act_no_match(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    json_t *row = NULL;
    if (selected_row(v, &row))
        tui_decide_row(v, row, REVIEW_NO_MATCH, NULL, 0, false, NULL);
    return true;
}

static bool act_tag(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    matches *m = v->priv;
    long long row_id = selected_row(v, NULL);
    if (row_id) {
        gint64 k = row_id;
        if (!g_hash_table_remove(m->tagged, &k))
            g_hash_table_add(m->tagged, g_memdup2(&k, sizeof k));
        tui_app_changed(v->app); /* the mark column and the header count */
        tui_table_move(v->table, TUI_ACT_DOWN, v->body_rows);
    }
    return true;
}

/* The key after `;`: a decision key decides every tagged row; any other cancels. */
static void tag_prefix_answer(tui_view *v, tui_key key, void *user)
{
    (void)user;
    tui_action bound[8];
    int n = tui_keys_lookup_all(key, bound, 8);
    for (int i = 0; i < n; i++)
        if (bound[i] == TUI_ACT_ACCEPT || bound[i] == TUI_ACT_NO_MATCH) {
            decide_tagged(v, bound[i] == TUI_ACT_ACCEPT ? REVIEW_ACCEPT : REVIEW_NO_MATCH);
            return;
        }
    tui_app_message(v->app, TUI_EL_NORMAL, "tag prefix cancelled");
}

static bool act_tag_prefix(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    matches *m = v->priv;
    if (!g_hash_table_size(m->tagged)) {
        tui_app_message(v->app, TUI_EL_WARN, "no row is tagged (t tags one)");
        return true;
    }
    char q[160];
    snprintf(q, sizeof q, "%u tagged rows: a accepts their proposals, x marks them no match ",
             g_hash_table_size(m->tagged));
    tui_app_confirm(v->app, v, q, tag_prefix_answer, NULL);
    return true;
}

static bool act_accept_above(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    if (case_id(v))
        accept_above_propose(v);
    return true;
}

static bool act_discard_held(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    matches *m = v->priv;
    if (!case_id(v))
        return true;
    if (!m->n_held) {
        tui_app_message(v->app, TUI_EL_NORMAL, "no earlier decision is waiting on this case");
        return true;
    }
    char q[160];
    snprintf(q, sizeof q, "discard %d held decision%s (no row reads the same)? y ", m->n_held,
             m->n_held == 1 ? "" : "s");
    tui_app_confirm(v->app, v, q, discard_held_answer, NULL);
    return true;
}

static bool act_candidates(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    long long row_id = selected_row(v, NULL);
    if (row_id)
        tui_app_push(v->app, tui_candidates_new(v->app, row_id));
    return true;
}

static bool act_search(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    json_t *row = NULL;
    long long row_id = selected_row(v, &row);
    if (row_id) {
        char initial[300];
        json_t *y = json_object_get(row, "year");
        tui_search_initial(tui_json_str(row, "marca"), tui_json_str(row, "submarca"), tui_json_str(row, "description"),
                           json_is_integer(y) ? json_integer_value(y) : 0, initial, sizeof initial);
        tui_app_push(v->app, tui_search_new(v->app, row_id, initial));
    }
    return true;
}

static bool act_undo(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    long long ins, cid = case_id(v), restored = 0;
    PGconn *db;
    minca_err err = {0};
    if (!cid || !(db = db_for(v, &ins)))
        return true;
    int n_undone = 0;
    if (review_undo_n(db, ins, cid, tui_app_user(v->app), &restored, &n_undone, &err) < 0) {
        tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
        return true;
    }
    if (n_undone > 1)
        tui_app_message(v->app, TUI_EL_OK, "last decision undone (%d rows)", n_undone);
    else
        tui_app_message(v->app, TUI_EL_OK, "last decision undone");
    tui_table_select_next(v->table, row_has_id, &restored);
    tui_app_changed(v->app);
    return true;
}

static bool act_note(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    json_t *row = NULL;
    long long row_id = selected_row(v, &row);
    if (row_id)
        tui_app_prompt(v->app, v, "note: ", tui_json_str(row, "note"), note_done, (void *)(intptr_t)row_id);
    return true;
}

static bool act_ready(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    matches *m = v->priv;
    long long ins, cid = case_id(v);
    PGconn *db;
    minca_err err = {0};
    if (!cid || !(db = db_for(v, &ins)))
        return true;
    if (review_mark_ready(db, ins, cid, tui_app_user(v->app), &err) < 0) {
        tui_app_message(v->app, TUI_EL_ERROR, "not ready: %s", err.msg);
    } else {
        tui_app_message(v->app, TUI_EL_OK, "%s is ready for export", m->cot);
        tui_app_changed(v->app);
    }
    return true;
}

static bool act_export(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    export_case(v);
    return true;
}

static bool act_rerun(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    long long ins, cid = case_id(v);
    int decisions = 0, notes = 0, reviewed = 0;
    PGconn *db;
    minca_err err = {0};
    if (!cid || !(db = db_for(v, &ins)))
        return true;
    if (review_case_reviewed(db, ins, cid, &decisions, &notes, &reviewed, &err) < 0) {
        tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
        return true;
    }
    char q[300];
    if (reviewed == 0)
        snprintf(q, sizeof q, "read the case's sheet again? yes: ");
    else
        snprintf(q, sizeof q, "re-read: %d decision%s, %d note%s; up to %d row%s may lose them; yes: ", decisions,
                 decisions == 1 ? "" : "s", notes, notes == 1 ? "" : "s", reviewed, reviewed == 1 ? "" : "s");
    tui_app_prompt(v->app, v, q, NULL, rerun_done, NULL);
    return true;
}

static bool act_wizard(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    matches *m = v->priv;
    if (m->cot)
        tui_app_push(v->app, tui_wizard_new(v->app, m->cot));
    return true;
}

static bool act_case_info(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    tui_app_push(v->app, case_info(v));
    return true;
}

static bool act_confirm(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    long long ins, cid = case_id(v);
    int n = 0;
    PGconn *db;
    minca_err err = {0};
    if (!cid || !(db = db_for(v, &ins)))
        return true;
    if (review_confirm_suggested(db, ins, cid, NULL, tui_app_user(v->app), &n, &err) < 0) {
        tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
    } else {
        tui_app_message(v->app, TUI_EL_OK, "%d field(s) suggested by the language model confirmed", n);
        tui_app_changed(v->app);
    }
    return true;
}

static const tui_action_row matches_rows[] = {
    {TUI_ACT_NEXT_REVIEW, act_next_review},
    {TUI_ACT_PREV_REVIEW, act_next_review},
    {TUI_ACT_ACCEPT, act_accept},
    {TUI_ACT_NO_MATCH, act_no_match},
    {TUI_ACT_TAG, act_tag},
    {TUI_ACT_TAG_PREFIX, act_tag_prefix},
    {TUI_ACT_ACCEPT_ABOVE, act_accept_above},
    {TUI_ACT_DISCARD_HELD, act_discard_held},
    {TUI_ACT_CANDIDATES, act_candidates},
    {TUI_ACT_SEARCH, act_search},
    {TUI_ACT_UNDO, act_undo},
    {TUI_ACT_NOTE, act_note},
    {TUI_ACT_READY, act_ready},
    {TUI_ACT_EXPORT, act_export},
    {TUI_ACT_RERUN, act_rerun},
    {TUI_ACT_WIZARD, act_wizard},
    {TUI_ACT_CASE_INFO, act_case_info},
    {TUI_ACT_CONFIRM, act_confirm},
    TUI_ROWS_END,
};

/* A line of the row's detail screen: the case row's column and what it is called. */
typedef struct detail_field {
    const char *column, *label;
    bool money;   /* shown with two decimals */
} detail_field;
#define DETAIL_IS_MONEY_AMOUNT true
#define DETAIL_IS_MONEY_TEXT false
#define DETAIL_IS_MONEY_INT false
#define DETAIL_IS_MONEY_YEAR false
#define DETAIL_IS_MONEY_BASIS false
#define DETAIL_VEHICLE_FIELD(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases)                \
    VEHICLE_IF_HELD(KIND, {#name, label, DETAIL_IS_MONEY_##KIND},)

static tui_view *matches_enter(tui_view *v)
{
    json_t *r = tui_table_selected(v->table);
    matches *m = v->priv;
    if (!r || !m->cot)
        return NULL;
    GString *out = g_string_new(NULL);
    /* Where the row came from, its vehicle fields (the one field list, with the staff's names
     * for them), then the key and the decision. */
    static const detail_field fields[] = {
        {"source_sheet", "Sheet", false},
        {"source_row", "Row", false},
        VEHICLE_FIELDS(DETAIL_VEHICLE_FIELD)
        {"cvegs", "Key (CVEGS)", false},
        {"match_year", "Key year", false},
        {"key_marca", "Key brand", false},
        {"key_submarca", "Key model", false},
        {"key_description", "Key text", false},
        {"confidence", "Confidence", false},
        {"decision", "Decision", false},
        {"reviewed_by", "Reviewed by", false},
        {"reviewed_at", "Reviewed at", false},
        {"note", "Note", false},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *val = json_object_get(r, fields[i].column);
        if (!val || json_is_null(val))
            continue;
        char *text = json_is_string(val) ? g_strdup(json_string_value(val))
                     : json_is_real(val) ? core_strdup_printf(fields[i].money ? "%.2f" : "%.4g", json_real_value(val))
                                         : json_dumps(val, JSON_ENCODE_ANY);
        if (text && *text)
            g_string_append_printf(out, "%-16s %s\n", fields[i].label, text);
        g_free(text);
    }
    json_t *extra = json_object_get(r, "extra_cells");
    if (json_object_size(extra)) {   /* the source's columns no field took: observaciones, conductor ... */
        g_string_append(out, "\nOther columns of the source:\n");
        const char *h;
        json_t *x;
        json_object_foreach(extra, h, x)
            g_string_append_printf(out, "  %s: %s\n", h, json_string_value(x) ? json_string_value(x) : "");
    }
    json_t *issues = json_object_get(r, "issues");
    if (json_array_size(issues)) {
        g_string_append(out, "\nIssues:\n");
        char *text = tui_json_text(issues, 2);
        g_string_append(out, text);
        g_free(text);
    }
    char *title = core_strdup_printf("%s · inciso %lld · %s", m->cot, tui_json_int(r, "inciso"),
                                     *tui_json_str(r, "description") ? tui_json_str(r, "description") : tui_json_str(r, "submarca"));
    tui_view *pv = tui_pager_new(v->app, title, out->str);
    g_free(title);
    g_string_free(out, TRUE);
    return pv;
}

const tui_view_ops tui_pane_matches_ops = {
    .name = "matches",
    .title = "Matches",
    .open = matches_open,
    .close = matches_close,
    .refresh = matches_refresh,
    .draw = matches_draw,
    .actions = matches_rows,
    .enter = matches_enter,
    .select = matches_select,
};

tui_view *tui_matches_new(tui_app *app, const char *cot)
{
    tui_view *v = tui_view_new(app, &tui_pane_matches_ops);
    if (!v)
        return NULL;
    matches *m = v->priv;
    m->fixed_cot = g_strdup(cot);
    return v;
}

tui_view *tui_matches_new_at(tui_app *app, const char *cot, long long row_id)
{
    tui_view *v = tui_matches_new(app, cot);
    if (v)
        ((matches *)v->priv)->select_row = row_id;
    return v;
}
