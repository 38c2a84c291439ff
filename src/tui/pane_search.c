/* Catalog search view: an always-open query line over the insurer's active catalog. Every
 * word typed narrows the list (brand, model, description or key; a 4-digit word is the model
 * year); arrows and page keys move; Enter picks the selected key and year for the vehicle row
 * through review_pick; Esc closes. While keys are still arriving the search waits, so fast
 * typing runs one query, not one per key. */
#include "minca/desk_review.h"
#include "minca/store_tui.h"
#include "minca/core_text.h"
#include "minca/tui.h"

#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEARCH_LIMIT 300

static const tui_column search_cols[] = {
    {"Key", 8, 0, false},   {"Year", 4, 0, true},   {"Brand", 8, 1, false},
    {"Model", 10, 2, false}, {"Description", 20, 6, false},
};
#define N_COLS (int)(sizeof search_cols / sizeof search_cols[0])

typedef struct search {
    long long row_id;
    json_t *row;          /* the vehicle row (for the title) */
    tui_line query;
    char *searched;       /* query of the rows shown; NULL: none yet */
    int n_found;
    void (*pick)(tui_view *v, json_t *key, void *user);   /* NULL: Enter picks for the row */
    void *user;
} search;

static int search_open(tui_view *v)
{
    v->rows_redraw_alone = false; /* the query line changes with the rows */
    v->priv = g_malloc0_n(1, sizeof(search));
    v->table = tui_table_new(search_cols, N_COLS);
    if (!v->priv || !v->table)
        return -1;
    tui_table_set_empty(v->table, "Type words of the brand, model or version, and the year, e.g. \"versa sense 2020\".");
    return 0;
}

static void search_close(tui_view *v)
{
    search *s = v->priv;
    if (s) {
        json_decref(s->row);
        g_free(s->searched);
        g_free(s);
    }
    tui_table_free(v->table);
}

static void run_search(tui_view *v)
{
    search *s = v->priv;
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    g_free(s->searched);
    s->searched = g_strdup(s->query.buf);
    if (!db)
        return;
    minca_err err = {0};
    char *folded = text_fold(s->query.buf, TEXT_FOLD_LOWER); /* the catalog is written without accents */
    json_t *found = store_tui_catalog_search(db, insurer_id, folded, SEARCH_LIMIT, &err);
    g_free(folded);
    if (!found) {
        tui_app_message(v->app, TUI_EL_ERROR, "catalog search failed: %s", err.msg);
        return;
    }
    tui_table_clear(v->table);
    size_t i;
    json_t *e;
    json_array_foreach(found, i, e) {
        char year[16], key[64];
        snprintf(year, sizeof year, "%lld", tui_json_int(e, "year"));
        snprintf(key, sizeof key, "%s/%s", tui_json_str(e, "cvegs"), year);
        const char *cells[N_COLS] = {tui_json_str(e, "cvegs"), year, tui_json_str(e, "marca"),
                                     tui_json_str(e, "submarca"), tui_json_str(e, "descveh")};
        tui_table_add(v->table, key, cells, TUI_EL_NORMAL, e);
    }
    s->n_found = (int)json_array_size(found);
    tui_table_done(v->table);
    tui_table_set_empty(v->table, *s->query.buf ? "No catalog entry has every word typed. Backspace widens the search."
                                                : "Type words of the brand, model or version, and the year.");
    json_decref(found);
}

static void search_refresh(tui_view *v)
{
    search *s = v->priv;
    if (!s->row) {
        long long insurer_id;
        PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
        minca_err err = {0};
        if (db)
            s->row = store_tui_row_candidates(db, insurer_id, s->row_id, &err);
    }
    run_search(v);
}

static bool input_pending(void)
{
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

static void search_draw(tui_view *v, WINDOW *win, int h, int w)
{
    search *s = v->priv;
    if (!s->searched || (strcmp(s->searched, s->query.buf) != 0 && !input_pending()))
        run_search(v);
    char title[600], year[16] = "";
    json_t *r = s->row;
    if (r && json_is_integer(json_object_get(r, "year")))
        snprintf(year, sizeof year, " %lld", tui_json_int(r, "year"));
    snprintf(title, sizeof title, "Catalog search · inciso %lld · %s%s · Enter picks, Esc closes",
             r ? tui_json_int(r, "inciso") : 0LL,
             r ? (*tui_json_str(r, "description") ? tui_json_str(r, "description") : tui_json_str(r, "submarca")) : "",
             year);
    wattrset(win, tui_theme_attr(TUI_EL_HEADER));
    mvwhline(win, 0, 0, ' ', w);
    tui_text_put(win, 0, 0, w, title, false);
    char line[700], count[48];
    snprintf(count, sizeof count, s->n_found >= SEARCH_LIMIT ? "first %d" : "%d found", s->n_found);
    snprintf(line, sizeof line, "search: %s▏", s->query.buf);
    int cw = text_display_width(count) + 2;
    wattrset(win, tui_theme_attr(TUI_EL_FILTER));
    mvwhline(win, 1, 0, ' ', w);
    const char *shown = line; /* keep the end of a long query visible */
    while (text_display_width(shown) > w - cw - 1 && *shown)
        shown++;
    tui_text_put(win, 1, 1, w - cw - 1, shown, false);
    wattrset(win, tui_theme_attr(TUI_EL_DIM));
    tui_text_put(win, 1, w - cw, cw, count, true);
    wattrset(win, A_NORMAL);
    v->body_rows = h - 3;
    tui_table_draw(v->table, win, 2, 0, h - 2, w);
}

/* Typed characters and line editing go to the query; everything else (arrows, Enter, Esc)
 * to the app. */
static bool search_key(tui_view *v, tui_action act, tui_key key)
{
    (void)act;
    search *s = v->priv;
    bool editing = (key >= 0x20 && key < TUI_FN(0) && key != 0x7f) || key == 0x7f || key == 0x08 ||
                   key == TUI_FN(KEY_BACKSPACE) || key == 0x17 || key == 0x15;
    if (!editing)
        return false;
    bool changed = false;
    tui_line_key(&s->query, key, &changed);
    return true;
}

static tui_view *search_enter(tui_view *v)
{
    search *s = v->priv;
    json_t *key = tui_table_selected(v->table);
    if (s->pick) {
        if (key)
            s->pick(v, key, s->user);
        return NULL;
    }
    tui_pick_key(v, s->row_id, s->row, key, " (catalog)");
    return NULL;
}

const tui_view_ops tui_pane_search_ops = {
    .name = "search",
    .title = "Search",
    .open = search_open,
    .close = search_close,
    .refresh = search_refresh,
    .draw = search_draw,
    .key = search_key,
    .enter = search_enter,
};

void tui_search_initial(const char *marca, const char *submarca, const char *description, long long year, char *out,
                        size_t outsz)
{
    if ((marca && *marca) || (submarca && *submarca)) {
        snprintf(out, outsz, "%s %s", marca ? marca : "", submarca ? submarca : "");
    } else { /* only a description: its first two words are usually brand and model */
        gchar **words = g_strsplit(description ? description : "", " ", 3);
        snprintf(out, outsz, "%s %s", words[0] ? words[0] : "", words[0] && words[1] ? words[1] : "");
        g_strfreev(words);
    }
    if (year > 0)
        snprintf(out + strlen(out), outsz - strlen(out), " %lld", year);
    g_strstrip(out);
}

tui_view *tui_search_new_pick(tui_app *app, long long row_id, const char *initial,
                              void (*pick)(tui_view *v, json_t *key, void *user), void *user)
{
    tui_view *v = tui_search_new(app, row_id, initial);
    if (v) {
        search *s = v->priv;
        s->pick = pick;
        s->user = user;
    }
    return v;
}

tui_view *tui_search_new(tui_app *app, long long row_id, const char *initial)
{
    tui_view *v = tui_view_new(app, &tui_pane_search_ops);
    if (!v)
        return NULL;
    search *s = v->priv;
    s->row_id = row_id;
    tui_line_reset(&s->query, initial);
    return v;
}
