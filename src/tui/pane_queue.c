/* Queue pane: every row of the insurer that waits for a person, across its open cases, one
 * line per codifier's reading of the description (review_queue: punctuation, spacing, word
 * order, synonyms and equipment words do not split a line), the lines that settle most rows first. Enter (or a)
 * accepts the line's proposed key for all its rows after one key of confirmation, x marks
 * them no match, s searches the catalog for the line (the key chosen there decides all its
 * rows, after the same confirmation), c opens the candidates of one of its rows (a pick there
 * offers the rows like it), i opens the case of that row. Every row still gets its own decision and audit
 * entry (review_decide_rows). */
#include "minca/desk_review.h"
#include "minca/store_tui.h"
#include "minca/tui.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column queue_cols[] = {
    {"Rows", 4, 0, true},  {"Cases", 5, 0, true},   {"Description", 14, 4, false}, {"Key", 7, 0, false},
    {"Catalog", 10, 3, false}, {"Conf%", 5, 0, true}, {"Why", 10, 3, false},
};
#define N_COLS (int)(sizeof queue_cols / sizeof queue_cols[0])
#define FOOT_LINES 2

typedef struct queue {
    json_t *lines;   /* review_queue() */
    long total_rows;
    WINDOW *win;     /* where the footer was last drawn */
    int foot_y, foot_w;
} queue;

static int queue_open(tui_view *v)
{
    v->rows_redraw_alone = true;
    v->priv = g_malloc0_n(1, sizeof(queue));
    v->table = tui_table_new(queue_cols, N_COLS);
    if (!v->priv || !v->table)
        return -1;
    tui_table_set_empty(v->table, "No row of any open case waits for review.");
    return 0;
}

static void queue_close(tui_view *v)
{
    queue *q = v->priv;
    if (q) {
        json_decref(q->lines);
        g_free(q);
    }
    tui_table_free(v->table);
}

static void queue_refresh(tui_view *v)
{
    queue *q = v->priv;
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    if (!db)
        return;
    minca_err err = {0};
    json_t *lines = review_queue(db, insurer_id, tui_app_user(v->app), 5000, &err);
    if (!lines) {
        tui_app_message(v->app, TUI_EL_ERROR, "cannot read the review queue: %s", err.msg);
        return;
    }
    json_decref(q->lines);
    q->lines = lines;
    q->total_rows = 0;
    tui_table_clear(v->table);
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l) {
        char n[16], cases[16], conf[16], key[16];
        snprintf(n, sizeof n, "%lld", tui_json_int(l, "n_rows"));
        snprintf(cases, sizeof cases, "%lld", tui_json_int(l, "n_cases"));
        q->total_rows += tui_json_int(l, "n_rows");
        tui_conf_text(json_object_get(l, "min_conf"), conf, sizeof conf); /* the least sure row of the line */
        snprintf(key, sizeof key, "%s", tui_json_str(l, "cvegs"));
        const char *other = tui_json_str(l, "other_description");
        char *catalog = tui_text_distinct(tui_json_str(json_object_get(l, "top_candidate"), "description"), &other,
                                          *other ? 1 : 0);
        json_object_set_new(l, "decision", json_string("needs_review"));
        char *why = tui_review_reason(l);
        const char *cells[N_COLS] = {n, cases, tui_json_str(l, "description"), key, catalog, conf, why};
        tui_table_add(v->table, tui_json_str(l, "reading"), cells, TUI_EL_WARN, l);
        g_free(catalog);
        g_free(why);
    }
    tui_table_done(v->table);
    tui_table_set_empty(v->table, "No row of any open case waits for review.");
}

static void draw_footer(tui_view *v)
{
    queue *q = v->priv;
    if (!q->win)
        return;
    json_t *l = tui_table_selected(v->table);
    for (int i = 0; i < FOOT_LINES; i++) {
        wattrset(q->win, tui_theme_attr(i == 0 ? TUI_EL_HEADER : TUI_EL_NORMAL));
        mvwhline(q->win, q->foot_y + i, 0, ' ', q->foot_w);
    }
    if (l) {
        char lo[16], hi[16];
        tui_conf_text(json_object_get(l, "min_conf"), lo, sizeof lo);
        tui_conf_text(json_object_get(l, "max_conf"), hi, sizeof hi);
        char *line = core_strdup_printf(" %s %lld · %lld rows in %lld cases (e.g. %s) · confidence %s–%s%%",
                                        tui_json_str(l, "description"), tui_json_int(l, "row_year"),
                                        tui_json_int(l, "n_rows"), tui_json_int(l, "n_cases"),
                                        tui_json_str(l, "sample_cot"), lo, hi);
        wattrset(q->win, tui_theme_attr(TUI_EL_HEADER));
        tui_text_put(q->win, q->foot_y, 0, q->foot_w, line, false);
        g_free(line);
        line = core_strdup_printf(" → %s %lld %s", tui_json_str(l, "cvegs"), tui_json_int(l, "year"),
                                  tui_json_str(l, "key_text"));
        wattrset(q->win, tui_theme_attr(TUI_EL_NORMAL));
        tui_text_put(q->win, q->foot_y + 1, 0, q->foot_w, line, false);
        g_free(line);
    }
    wattrset(q->win, A_NORMAL);
}

static void queue_draw(tui_view *v, WINDOW *win, int h, int w)
{
    queue *q = v->priv;
    char title[200];
    char sortkey[16];
    tui_keys_primary(TUI_ACT_SORT, sortkey, sizeof sortkey);
    snprintf(title, sizeof title, " Review queue · %ld rows to review in %d descriptions · Enter: accept a line for all its rows",
             q->total_rows, tui_table_total(v->table));
    wattrset(win, tui_theme_attr(TUI_EL_TITLE));
    mvwhline(win, 0, 0, ' ', w);
    tui_text_put(win, 0, 0, w, title, false);
    wattrset(win, A_NORMAL);
    int foot = h >= 12 ? FOOT_LINES : 0;
    v->body_rows = h - 1 - foot - 1;
    tui_table_draw(v->table, win, 1, 0, h - 1 - foot, w);
    q->win = foot ? win : NULL;
    q->foot_y = h - foot;
    q->foot_w = w;
    draw_footer(v);
}

static void queue_select(tui_view *v) { draw_footer(v); }

/* The line waiting for its one-key answer. */
static struct {
    json_t *norm_keys;   /* the line's stored description keys */
    review_kind kind;
    char cvegs[16];
    int year;
    long long n_rows, n_cases;
    tui_view *close_after;   /* the catalog search the key was chosen in, closed once decided */
} asked;

static void group_answer(tui_view *v, tui_key key, void *user)
{
    (void)user;
    if (key != 'y' && key != 'Y' && key != '\n' && key != '\r') {
        tui_app_message(v->app, TUI_EL_NORMAL, "nothing decided");
        return;
    }
    PGconn *db = tui_app_db(v->app);
    long long ins = db ? tui_app_insurer_id(v->app) : 0;
    if (!db || !ins)
        return;
    minca_err err = {0};
    json_t *rows = store_tui_review_group_rows(db, ins, asked.norm_keys, &err);
    if (!rows) {
        tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
        return;
    }
    size_t n = json_array_size(rows), i;
    review_target *t = g_new0(review_target, n ? n : 1);
    json_t *r;
    json_array_foreach(rows, i, r) {
        t[i].row_id = tui_json_int(r, "id");
        t[i].version = tui_row_version(r);
    }
    int done = 0;
    if (tui_decide_targets(v, t, n, asked.kind, asked.kind == REVIEW_NO_MATCH ? NULL : asked.cvegs, asked.year, &done,
                           NULL) == 0) {
        if (asked.kind == REVIEW_PICK)
            tui_app_message(v->app, TUI_EL_OK, "%d rows given %s %d (catalog)", done, asked.cvegs, asked.year);
        else
            tui_app_message(v->app, TUI_EL_OK, "%d rows %s", done,
                            asked.kind == REVIEW_ACCEPT ? "accepted" : "marked no match");
        if (asked.close_after == v)
            tui_app_close(v->app, v);
    }
    g_free(t);
    json_decref(rows);
}

static void remember_line(json_t *l)
{
    json_decref(asked.norm_keys);
    asked.norm_keys = json_incref(json_object_get(l, "norm_keys"));
    asked.n_rows = tui_json_int(l, "n_rows");
    asked.n_cases = tui_json_int(l, "n_cases");
    asked.close_after = NULL;
}

/* A key chosen in the catalog search the line's `s` opened: asked for the line's rows. */
static void search_picked(tui_view *search, json_t *key, void *user)
{
    (void)user;
    asked.kind = REVIEW_PICK;
    snprintf(asked.cvegs, sizeof asked.cvegs, "%s", tui_json_str(key, "cvegs"));
    asked.year = (int)tui_json_int(key, "year");
    asked.close_after = search;
    char q[300];
    snprintf(q, sizeof q, "pick %s %d for %lld rows in %lld case%s? y ", asked.cvegs, asked.year, asked.n_rows,
             asked.n_cases, asked.n_cases == 1 ? "" : "s");
    tui_app_confirm(search->app, search, q, group_answer, NULL);
}

static void search_line(tui_view *v, json_t *l)
{
    char initial[300];
    tui_search_initial(tui_json_str(l, "marca"), tui_json_str(l, "submarca"), tui_json_str(l, "description"),
                       tui_json_int(l, "row_year"), initial, sizeof initial);
    remember_line(l);
    tui_view *s = tui_search_new_pick(v->app, tui_json_int(l, "sample_row_id"), initial, search_picked, NULL);
    if (s)
        tui_app_push(v->app, s);
}

static void ask_group(tui_view *v, review_kind kind)
{
    json_t *l = tui_table_selected(v->table);
    if (!l)
        return;
    if (kind == REVIEW_ACCEPT && !*tui_json_str(l, "cvegs")) {
        tui_app_message(v->app, TUI_EL_WARN, "this line has no proposed key: c lists the candidates");
        return;
    }
    remember_line(l);
    asked.kind = kind;
    snprintf(asked.cvegs, sizeof asked.cvegs, "%s", tui_json_str(l, "cvegs"));
    asked.year = (int)tui_json_int(l, "year");
    char q[300];
    long long n_cases = tui_json_int(l, "n_cases");
    if (kind == REVIEW_ACCEPT)
        snprintf(q, sizeof q, "accept %s %d for %lld rows in %lld case%s? y ", asked.cvegs, asked.year,
                 tui_json_int(l, "n_rows"), n_cases, n_cases == 1 ? "" : "s");
    else
        snprintf(q, sizeof q, "no match for %lld rows in %lld case%s? y ", tui_json_int(l, "n_rows"), n_cases,
                 n_cases == 1 ? "" : "s");
    tui_app_confirm(v->app, v, q, group_answer, NULL);
}

static bool act_decide(tui_view *v, tui_action act, const char *args)
{
    (void)args;
    ask_group(v, act == TUI_ACT_ACCEPT ? REVIEW_ACCEPT : REVIEW_NO_MATCH);
    return true;
}

static bool act_search(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    json_t *l = tui_table_selected(v->table);
    if (l)
        search_line(v, l);
    return true;
}

static bool act_candidates(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    json_t *l = tui_table_selected(v->table);
    if (l)
        tui_app_push(v->app, tui_candidates_new(v->app, tui_json_int(l, "sample_row_id")));
    return true;
}

/* i: the line's sample row in its case's Matches. */
static bool act_case_info(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    json_t *l = tui_table_selected(v->table);
    if (l)
        tui_app_push(v->app,
                     tui_matches_new_at(v->app, tui_json_str(l, "sample_cot"), tui_json_int(l, "sample_row_id")));
    return true;
}

static const tui_action_row queue_rows[] = {
    {TUI_ACT_ACCEPT, act_decide},
    {TUI_ACT_NO_MATCH, act_decide},
    {TUI_ACT_SEARCH, act_search},
    {TUI_ACT_CANDIDATES, act_candidates},
    {TUI_ACT_CASE_INFO, act_case_info},
    TUI_ROWS_END,
};

static tui_view *queue_enter(tui_view *v)
{
    ask_group(v, REVIEW_ACCEPT);
    return NULL;
}

const tui_view_ops tui_pane_queue_ops = {
    .name = "queue",
    .title = "Queue",
    .open = queue_open,
    .close = queue_close,
    .refresh = queue_refresh,
    .draw = queue_draw,
    .actions = queue_rows,
    .enter = queue_enter,
    .select = queue_select,
};
