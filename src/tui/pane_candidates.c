/* Candidates view: the codifier's ranked catalog keys for one vehicle row, each with its
 * score; below the list, the explanation of the selected one (which attributes agreed with
 * the broker's text and which conflicted). When the optional language model ranked the
 * candidates of the row, its rank and one-line reason are two more columns (the codifier's
 * order and decision stay as they are). Enter picks the selected key through review_pick
 * and closes the view. */
#include "minca/desk_review.h"
#include "minca/store_tui.h"
#include "minca/tui.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column cand_cols[] = {
    {"#", 2, 0, true},      {"Key", 8, 0, false},   {"Year", 4, 0, true},           {"Conf%", 5, 0, true},
    {"Score", 5, 0, true},  {"Brand", 6, 1, false}, {"Model", 6, 1, false}, {"Description", 20, 6, false},
};
#define N_COLS (int)(sizeof cand_cols / sizeof cand_cols[0])
/* The same with the language model's rank and reason. */
static const tui_column model_cols[] = {
    {"#", 2, 0, true},        {"Key", 8, 0, false},       {"Year", 4, 0, true}, {"Conf%", 5, 0, true},
    {"Score", 5, 0, true},    {"Brand", 6, 1, false},     {"Model", 6, 1, false}, {"Description", 16, 4, false},
    {"AI", 3, 0, true},       {"Model's reason", 14, 4, false},
};
#define N_MODEL_COLS (int)(sizeof model_cols / sizeof model_cols[0])
#define EXPLAIN_LINES 7

typedef struct candidates {
    long long row_id;
    json_t *row;       /* store_tui_row_candidates() */
    bool model;        /* the table has the model's columns */
} candidates;

static tui_table *new_table(bool model)
{
    tui_table *t = model ? tui_table_new(model_cols, N_MODEL_COLS) : tui_table_new(cand_cols, N_COLS);
    if (t)
        tui_table_set_empty(t, "The codifier proposed no candidate for this row. Search the catalog instead "
                               "({search} in the Matches pane).");
    return t;
}

static int cand_open(tui_view *v)
{
    v->priv = g_malloc0_n(1, sizeof(candidates));
    v->table = new_table(false);
    if (!v->priv || !v->table)
        return -1;
    return 0;
}

static bool model_ranked(json_t *cands)
{
    size_t i;
    json_t *k;
    json_array_foreach(cands, i, k) if (json_object_get(k, "model_rank")) return true;
    return false;
}

static void cand_close(tui_view *v)
{
    candidates *c = v->priv;
    if (c) {
        json_decref(c->row);
        g_free(c);
    }
    tui_table_free(v->table);
}

static void cand_refresh(tui_view *v)
{
    candidates *c = v->priv;
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    if (!db)
        return;
    minca_err err = {0};
    json_t *row = store_tui_row_candidates(db, insurer_id, c->row_id, &err);
    if (!row) {
        tui_app_message(v->app, TUI_EL_ERROR, "cannot read the candidates: %s", err.msg);
        return;
    }
    json_decref(c->row);
    c->row = row;
    bool model = model_ranked(json_object_get(row, "candidates"));
    if (model != c->model) {
        tui_table *t = new_table(model);
        if (t) {
            tui_table_free(v->table);
            v->table = t;
            c->model = model;
        }
    }
    tui_table_clear(v->table);
    size_t i, n = json_array_size(json_object_get(row, "candidates"));
    json_t *k;
    /* The words that tell the versions apart come first in their description. */
    const char *texts[n > 0 ? n : 1];
    json_array_foreach(json_object_get(row, "candidates"), i, k)
        texts[i] = tui_json_str(k, "description");
    json_array_foreach(json_object_get(row, "candidates"), i, k) {
        char rank[24], year[24], score[48], key[64], conf[16] = "";
        snprintf(rank, sizeof rank, "%zu", i + 1);
        snprintf(year, sizeof year, "%lld", tui_json_int(k, "year"));
        json_t *s = json_object_get(k, "score");
        /* The score only ranks candidates (it can be negative); the confidence, a probability,
         * belongs to the codifier's proposal alone. */
        snprintf(score, sizeof score, "%.2f", json_is_number(s) ? json_number_value(s) : 0.0);
        snprintf(key, sizeof key, "%s/%s", tui_json_str(k, "cvegs"), year);
        bool chosen = strcmp(tui_json_str(k, "cvegs"), tui_json_str(row, "cvegs")) == 0 &&
                      tui_json_int(k, "year") == tui_json_int(row, "match_year");
        if (i == 0 && !*tui_json_str(row, "reviewed_by"))
            tui_conf_text(json_object_get(row, "confidence"), conf, sizeof conf);
        const char *others[n > 1 ? n - 1 : 1];
        int no = 0;
        for (size_t j = 0; j < n; j++)
            if (j != i)
                others[no++] = texts[j];
        char *desc = tui_text_distinct(texts[i], others, no);
        char model_rank[16] = "";
        if (json_is_integer(json_object_get(k, "model_rank")))
            snprintf(model_rank, sizeof model_rank, "%lld", tui_json_int(k, "model_rank"));
        const char *model_cells[N_MODEL_COLS] = {rank,
                                                 tui_json_str(k, "cvegs"),
                                                 year,
                                                 conf,
                                                 score,
                                                 tui_json_str(k, "marca"),
                                                 tui_json_str(k, "submarca"),
                                                 desc,
                                                 model_rank,
                                                 tui_json_str(k, "model_reason")};
        const char *plain_cells[N_COLS] = {rank,
                                           tui_json_str(k, "cvegs"),
                                           year,
                                           conf,
                                           score,
                                           tui_json_str(k, "marca"),
                                           tui_json_str(k, "submarca"),
                                           desc};
        const char **cells = c->model ? model_cells : plain_cells;
        tui_table_add(v->table, key, cells, chosen ? TUI_EL_OK : TUI_EL_NORMAL, k);
        g_free(desc);
    }
    tui_table_done(v->table);
}

/* "agree: brand NISSAN, year 2020 · conflict: doors 2P≠4P" for the selected candidate. */
static void explain(json_t *cand, GString *agree, GString *conflict)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(cand, "evidence"), i, e) {
        const char *attr = tui_json_str(e, "attr"), *q = tui_json_str(e, "query"), *cat = tui_json_str(e, "catalog");
        if (strcmp(tui_json_str(e, "verdict"), "conflict") == 0)
            g_string_append_printf(conflict, "%s%s %s≠%s", conflict->len ? ", " : "", attr, *q ? q : "?",
                                   *cat ? cat : "?");
        else
            g_string_append_printf(agree, "%s%s %s", agree->len ? ", " : "", attr, *cat ? cat : q);
    }
}

typedef struct wrapped {
    char *line[24];
    int n;
} wrapped;

static void collect(char *line, void *user)
{
    wrapped *wl = user;
    if (wl->n < (int)(sizeof wl->line / sizeof wl->line[0]))
        wl->line[wl->n++] = line;
    else
        g_free(line);
}

static void put_line(WINDOW *win, int y, int w, tui_elem elem, const char *text)
{
    wattrset(win, tui_theme_attr(elem));
    mvwhline(win, y, 0, ' ', w);
    tui_text_put(win, y, 1, w - 1, text, false);
    wattrset(win, A_NORMAL);
}

static void cand_draw(tui_view *v, WINDOW *win, int h, int w)
{
    candidates *c = v->priv;
    char title[700], year[16] = "";
    json_t *r = c->row;
    if (r && json_is_integer(json_object_get(r, "year")))
        snprintf(year, sizeof year, " %lld", tui_json_int(r, "year"));
    snprintf(title, sizeof title, "Candidates · inciso %lld · %s%s · Enter picks, Esc closes",
             r ? tui_json_int(r, "inciso") : 0LL,
             r ? (*tui_json_str(r, "description") ? tui_json_str(r, "description") : tui_json_str(r, "submarca")) : "",
             year);
    wattrset(win, tui_theme_attr(TUI_EL_HEADER));
    mvwhline(win, 0, 0, ' ', w);
    tui_text_put(win, 0, 0, w, title, false);
    wattrset(win, A_NORMAL);
    int list_h = h - 1 - EXPLAIN_LINES;
    v->body_rows = list_h - 1;
    tui_table_draw(v->table, win, 1, 0, list_h, w);

    int y = 1 + list_h;
    json_t *cand = tui_table_selected(v->table);
    wattrset(win, tui_theme_attr(TUI_EL_DIM));
    tui_text_rule(win, y, 0, w);
    wattrset(win, A_NORMAL);
    if (!cand)
        return;
    GString *agree = g_string_new(NULL), *conflict = g_string_new(NULL);
    explain(cand, agree, conflict);
    char *line = core_strdup_printf("%s %lld · %s %s %s", tui_json_str(cand, "cvegs"), tui_json_int(cand, "year"),
                                    tui_json_str(cand, "marca"), tui_json_str(cand, "submarca"),
                                    tui_json_str(cand, "description"));
    put_line(win, y + 1, w, TUI_EL_NORMAL, line);
    g_free(line);
    /* The rest wraps over the lines left: what agreed, what conflicted, the scorer's words. */
    wrapped lines = {.n = 0};
    char *text = core_strdup_printf("agrees: %s", agree->len ? agree->str : "—");
    tui_text_wrap(text, w - 2, collect, &lines);
    g_free(text);
    int first_conflict = lines.n;
    text = core_strdup_printf("conflicts: %s", conflict->len ? conflict->str : "none");
    tui_text_wrap(text, w - 2, collect, &lines);
    g_free(text);
    int first_why = lines.n;
    if (json_object_get(cand, "model_rank"))
        text = core_strdup_printf("language model: #%lld, %s (a suggestion: the codifier's decision stands)",
                                  tui_json_int(cand, "model_rank"), tui_json_str(cand, "model_reason"));
    else if (*tui_json_str(r, "model_note"))
        text = core_strdup_printf("language model: %s", tui_json_str(r, "model_note"));
    else
        text = NULL;
    if (text) {
        tui_text_wrap(text, w - 2, collect, &lines);
        g_free(text);
    }
    text = core_strdup_printf("why: %s", tui_json_str(cand, "explanation"));
    tui_text_wrap(text, w - 2, collect, &lines);
    g_free(text);
    for (int i = 0; i < lines.n; i++) {
        if (y + 2 + i < h) {
            tui_elem elem = i < first_conflict ? TUI_EL_OK
                            : i < first_why    ? (conflict->len ? TUI_EL_ERROR : TUI_EL_DIM)
                                               : TUI_EL_DIM;
            put_line(win, y + 2 + i, w, elem, lines.line[i]);
        }
        g_free(lines.line[i]);
    }
    g_string_free(agree, TRUE);
    g_string_free(conflict, TRUE);
}

void tui_pick_key(tui_view *v, long long row_id, json_t *row, json_t *key, const char *origin)
{
    if (!key)
        return;
    json_t *subject = json_pack("{s:I, s:I}", "id", (json_int_t)row_id, "inciso",
                                (json_int_t)(row ? tui_json_int(row, "inciso") : 0));
    tui_decide_row(v, subject, REVIEW_PICK, tui_json_str(key, "cvegs"), (int)tui_json_int(key, "year"), true, origin);
    json_decref(subject);
}

static tui_view *cand_enter(tui_view *v)
{
    candidates *c = v->priv;
    tui_pick_key(v, c->row_id, c->row, tui_table_selected(v->table), NULL);
    return NULL;
}

static const tui_view_ops cand_ops = {
    .name = "candidates",
    .title = "Candidates",
    .open = cand_open,
    .close = cand_close,
    .refresh = cand_refresh,
    .draw = cand_draw,
    .enter = cand_enter,
};

tui_view *tui_candidates_new(tui_app *app, long long row_id)
{
    tui_view *v = tui_view_new(app, &cand_ops);
    if (!v)
        return NULL;
    candidates *c = v->priv;
    c->row_id = row_id;
    return v;
}
