/* The list widget: rows of cells, an incremental filter over a folded copy of each row,
 * a selection that survives reloads, and drawing that touches only the visible rows. */
#include "minca/core_text.h"
#include "minca/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

typedef struct table_row {
    char *key;
    char **cells;
    char *folded;      /* all cells, case- and accent-folded, for the filter; NULL until needed */
    tui_elem elem;
    json_t *data;
    int seq;           /* order of addition: the "unsorted" order */
    char **sort_keys;  /* per column, NULL: sort by the cell (tui_table_set_sort_key) */
    char *sort_text;   /* folded cell of the sort column (text columns) */
    double sort_num;   /* its value (numeric columns) */
} table_row;

struct tui_table {
    const tui_column *cols;
    int ncols;
    GArray *rows;      /* of table_row, in order of addition or sorted */
    int *visible;      /* indices into rows that pass the filter */
    int nvisible;
    int sel;           /* index into visible */
    int top;           /* first visible index drawn */
    char *filter;      /* as typed */
    char *filter_folded;
    char *empty_hint;
    char *keep_key;    /* selection to restore after a reload */
    bool header;
    unsigned tail_cols; /* bit c: column c is cut on the left */
    unsigned optional_cols; /* bit c: column c is left out while no row has text in it */
    int drop[32];           /* rank to leave column c out when too narrow (0: never) */
    int sort_col;      /* -1: order of addition */
    bool sort_desc;
    /* What the last full draw put on screen, so a move can redraw just two rows. */
    struct {
        bool valid;
        WINDOW *win;
        int row_y, x, rows, w, top, sel;
    } drawn;
};

static int n_rows(const tui_table *t) { return (int)t->rows->len; }

static table_row *row_at(const tui_table *t, int i) { return &g_array_index(t->rows, table_row, i); }

tui_table *tui_table_new(const tui_column *cols, int ncols)
{
    tui_table *t = g_malloc0_n(1, sizeof *t);
    if (!t)
        return NULL;
    t->cols = cols;
    t->ncols = ncols;
    t->rows = g_array_sized_new(FALSE, FALSE, sizeof(table_row), 64);
    t->header = true;
    t->sort_col = -1;
    return t;
}

static void free_rows(tui_table *t)
{
    t->drawn.valid = false;
    for (int i = 0; i < n_rows(t); i++) {
        table_row *r = row_at(t, i);
        for (int c = 0; c < t->ncols; c++)
            g_free(r->cells[c]);
        g_free(r->cells);
        g_free(r->key);
        g_free(r->folded);
        g_free(r->sort_text);
        if (r->sort_keys)
            for (int c = 0; c < t->ncols; c++)
                g_free(r->sort_keys[c]);
        g_free(r->sort_keys);
        json_decref(r->data);
    }
    g_array_set_size(t->rows, 0);
    t->nvisible = 0;
}

void tui_table_free(tui_table *t)
{
    if (!t)
        return;
    free_rows(t);
    g_array_free(t->rows, TRUE);
    g_free(t->visible);
    g_free(t->filter);
    g_free(t->filter_folded);
    g_free(t->empty_hint);
    g_free(t->keep_key);
    g_free(t);
}

void tui_table_clear(tui_table *t)
{
    const char *key = tui_table_selected_key(t);
    g_free(t->keep_key);
    t->keep_key = key ? g_strdup(key) : NULL;
    free_rows(t);
}

void tui_table_add(tui_table *t, const char *key, const char *const *cells, tui_elem elem, json_t *data)
{
    if (n_rows(t) == INT_MAX)
        return;
    g_array_set_size(t->rows, t->rows->len + 1);   /* GLib: fatal when out of memory */
    table_row *r = row_at(t, n_rows(t) - 1);
    r->key = g_strdup(key ? key : "");
    r->cells = g_malloc0_n((size_t)t->ncols, sizeof *r->cells);
    for (int c = 0; c < t->ncols; c++)
        r->cells[c] = g_strdup(cells[c] ? cells[c] : "");
    r->folded = NULL; /* folded when a filter first needs it (fast loading of big lists) */
    r->elem = elem;
    r->data = data ? json_incref(data) : NULL;
    r->seq = n_rows(t) - 1;
    r->sort_keys = NULL;
    r->sort_text = NULL;
    r->sort_num = 0;
}

void tui_table_set_sort_key(tui_table *t, int col, const char *sort_key)
{
    if (!n_rows(t) || col < 0 || col >= t->ncols)
        return;
    table_row *r = row_at(t, n_rows(t) - 1);
    if (!r->sort_keys && !(r->sort_keys = g_malloc0_n((size_t)t->ncols, sizeof *r->sort_keys)))
        return;
    g_free(r->sort_keys[col]);
    r->sort_keys[col] = g_strdup(sort_key ? sort_key : "");
}

/* The row's cells, case- and accent-folded, for the filter (built once, on first use). */
static const char *row_folded(tui_table *t, table_row *r)
{
    if (r->folded)
        return r->folded;
    size_t total = 1;
    for (int c = 0; c < t->ncols; c++)
        total += strlen(r->cells[c]) + 1;
    char *joined = g_malloc(total);
    size_t pos = 0;
    for (int c = 0; c < t->ncols; c++) {
        size_t n = strlen(r->cells[c]);
        memcpy(joined + pos, r->cells[c], n);
        pos += n;
        joined[pos++] = '\t'; /* a separator no filter text contains */
    }
    joined[pos] = '\0';
    r->folded = text_fold(joined, TEXT_FOLD_LOWER);
    g_free(joined);
    return r->folded;
}

/* Rebuilds the visible list; keeps the selection on the row with keep_key when given. */
static void apply_filter(tui_table *t, const char *keep_key)
{
    t->drawn.valid = false;
    g_free(t->visible);
    t->visible = g_malloc(sizeof *t->visible * (size_t)(n_rows(t) ? n_rows(t) : 1));
    t->nvisible = 0;
    int new_sel = -1;
    for (int i = 0; i < n_rows(t); i++) {
        if (t->filter_folded && *t->filter_folded && !strstr(row_folded(t, row_at(t, i)), t->filter_folded))
            continue;
        if (keep_key && new_sel < 0 && strcmp(row_at(t, i)->key, keep_key) == 0)
            new_sel = t->nvisible;
        t->visible[t->nvisible++] = i;
    }
    if (new_sel >= 0)
        t->sel = new_sel;
    if (t->sel >= t->nvisible)
        t->sel = t->nvisible ? t->nvisible - 1 : 0;
    if (t->sel < 0)
        t->sel = 0;
    if (t->top > t->sel)
        t->top = t->sel;
}

static int compare_rows(const void *a, const void *b, void *ctx)
{
    const tui_table *t = ctx;
    const table_row *x = a, *y = b;
    int c = 0;
    if (t->sort_col >= 0) {
        if (t->cols[t->sort_col].right)
            c = x->sort_num < y->sort_num ? -1 : x->sort_num > y->sort_num ? 1 : 0;
        else
            c = strcmp(x->sort_text, y->sort_text);
        if (t->sort_desc)
            c = -c;
    }
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static void sort_rows(tui_table *t)
{
    if (t->sort_col >= t->ncols)
        t->sort_col = -1;
    for (int i = 0; i < n_rows(t); i++) {
        table_row *r = row_at(t, i);
        g_free(r->sort_text);
        r->sort_text = NULL;
        r->sort_num = 0;
        if (t->sort_col < 0)
            continue;
        const char *cell = (r->sort_keys && r->sort_keys[t->sort_col]) ? r->sort_keys[t->sort_col] : r->cells[t->sort_col];
        if (t->cols[t->sort_col].right) {
            char *end;
            r->sort_num = strtod(cell, &end);
            if (end == cell)
                r->sort_num = -1e300; /* empty or not a number: first */
        } else {
            r->sort_text = text_fold(cell, TEXT_FOLD_LOWER);
        }
    }
    qsort_r(t->rows->data, t->rows->len, sizeof(table_row), compare_rows, t);
}

void tui_table_sort(tui_table *t, int col, bool desc)
{
    char *keep = tui_table_selected_key(t) ? g_strdup(tui_table_selected_key(t)) : NULL;
    t->sort_col = col < t->ncols ? col : -1;
    t->sort_desc = desc;
    sort_rows(t);
    apply_filter(t, keep);
    g_free(keep);
}

int tui_table_sort_column(const tui_table *t) { return t->sort_col; }
bool tui_table_sort_desc(const tui_table *t) { return t->sort_desc; }
int tui_table_columns(const tui_table *t) { return t->ncols; }

bool tui_table_select_next(tui_table *t, bool (*match)(json_t *data, void *user), void *user)
{
    for (int step = 1; step <= t->nvisible; step++) {
        int vi = (t->sel + step) % t->nvisible;
        if (match(row_at(t, t->visible[vi])->data, user)) {
            t->sel = vi;
            return true;
        }
    }
    return false;
}

bool tui_table_find(tui_table *t, const char *text, bool backwards)
{
    if (!text || !*text || t->nvisible == 0)
        return false;
    char *folded = text_fold(text, TEXT_FOLD_LOWER);
    bool found = false;
    for (int step = 1; step <= t->nvisible && !found; step++) {
        int vi = ((t->sel + (backwards ? -step : step)) % t->nvisible + t->nvisible) % t->nvisible;
        if (strstr(row_folded(t, row_at(t, t->visible[vi])), folded)) {
            t->sel = vi;
            found = true;
        }
    }
    g_free(folded);
    return found;
}

bool tui_table_select_prev(tui_table *t, bool (*match)(json_t *data, void *user), void *user)
{
    for (int step = 1; step <= t->nvisible; step++) {
        int vi = ((t->sel - step) % t->nvisible + t->nvisible) % t->nvisible;
        if (match(row_at(t, t->visible[vi])->data, user)) {
            t->sel = vi;
            return true;
        }
    }
    return false;
}

void tui_table_done(tui_table *t)
{
    if (t->sort_col >= 0)
        sort_rows(t);
    apply_filter(t, t->keep_key);
    g_free(t->keep_key);
    t->keep_key = NULL;
}

void tui_table_set_filter(tui_table *t, const char *filter)
{
    char *keep = tui_table_selected_key(t) ? g_strdup(tui_table_selected_key(t)) : NULL;
    g_free(t->filter);
    g_free(t->filter_folded);
    t->filter = (filter && *filter) ? g_strdup(filter) : NULL;
    t->filter_folded = t->filter ? text_fold(t->filter, TEXT_FOLD_LOWER) : NULL;
    apply_filter(t, keep);
    /* While narrowing, start from the first match unless the selected row still matches. */
    if (keep && t->nvisible && strcmp(row_at(t, t->visible[t->sel])->key, keep) != 0)
        t->sel = 0, t->top = 0;
    g_free(keep);
}

const char *tui_table_filter(const tui_table *t) { return t->filter; }

void tui_table_set_empty(tui_table *t, const char *hint)
{
    g_free(t->empty_hint);
    t->empty_hint = hint ? tui_keys_expand(hint) : NULL;
}

void tui_table_set_header(tui_table *t, bool show)
{
    t->header = show;
    t->drawn.valid = false;
}

bool tui_table_move(tui_table *t, tui_action act, int page)
{
    if (!t->nvisible)
        return false;
    if (page < 1)
        page = 1;
    int old = t->sel, last = t->nvisible - 1;
    switch (act) {
    case TUI_ACT_DOWN: t->sel++; break;
    case TUI_ACT_UP: t->sel--; break;
    case TUI_ACT_PAGE_DOWN: t->sel += page; t->top += page; break;
    case TUI_ACT_PAGE_UP: t->sel -= page; t->top -= page; break;
    case TUI_ACT_FIRST: t->sel = 0; break;
    case TUI_ACT_LAST: t->sel = last; break;
    default: return false;
    }
    if (t->sel > last)
        t->sel = last;
    if (t->sel < 0)
        t->sel = 0;
    if (t->top < 0)
        t->top = 0;
    return t->sel != old;
}

static const table_row *selected_row(const tui_table *t)
{
    if (!t || !t->nvisible || t->sel < 0 || t->sel >= t->nvisible)
        return NULL;
    return row_at(t, t->visible[t->sel]);
}

json_t *tui_table_selected(const tui_table *t)
{
    const table_row *r = selected_row(t);
    return r ? r->data : NULL;
}

const char *tui_table_selected_key(const tui_table *t)
{
    const table_row *r = selected_row(t);
    return r ? r->key : NULL;
}

int tui_table_position(const tui_table *t) { return t->nvisible ? t->sel + 1 : 0; }
int tui_table_visible(const tui_table *t) { return t->nvisible; }
int tui_table_total(const tui_table *t) { return n_rows(t); }

/* Column widths for a total width: minimums first, the rest shared by weight; columns that
 * do not fit at all get width 0. */
static bool column_shown(const tui_table *t, int c)
{
    if (c >= 32 || !(t->optional_cols & (1u << c)))
        return true;
    for (int i = 0; i < n_rows(t); i++)
        if (row_at(t, i)->cells[c] && *row_at(t, i)->cells[c])
            return true;
    return false;
}

/* The shown column to leave out first when the width is short: the highest drop rank, the
 * rightmost of equals; -1 when none may go. */
static int column_to_drop(const tui_table *t, const bool *shown)
{
    int pick = -1;
    for (int c = 0; c < t->ncols; c++)
        if (c < 32 && shown[c] && t->drop[c] > 0 && (pick < 0 || t->drop[c] >= t->drop[pick]))
            pick = c;
    return pick;
}

static int width_needed(const tui_table *t, const bool *shown, int *weights)
{
    int need = 0, first = 1;
    *weights = 0;
    for (int c = 0; c < t->ncols; c++) {
        if (!shown[c])
            continue;
        need += t->cols[c].min_width + (first ? 0 : 1);
        first = 0;
        *weights += t->cols[c].weight;
    }
    return need;
}

static void layout(const tui_table *t, int width, int *widths)
{
    int weights = 0;
    bool shown[t->ncols > 0 ? t->ncols : 1];
    for (int c = 0; c < t->ncols; c++)
        shown[c] = column_shown(t, c);
    int need = width_needed(t, shown, &weights);
    /* Too narrow: the columns ranked to go are left out, the least needed first. */
    for (int c; need > width && (c = column_to_drop(t, shown)) >= 0;) {
        shown[c] = false;
        need = width_needed(t, shown, &weights);
    }
    int spare = width - need;
    if (spare >= 0) {
        int given = 0, last_flex = -1;
        for (int c = 0; c < t->ncols; c++) {
            if (!shown[c]) {
                widths[c] = 0;
                continue;
            }
            int extra = weights ? spare * t->cols[c].weight / weights : 0;
            widths[c] = t->cols[c].min_width + extra;
            given += extra;
            if (t->cols[c].weight)
                last_flex = c;
        }
        if (last_flex >= 0)
            widths[last_flex] += spare - given;
        return;
    }
    /* Too narrow: keep columns from the left while they fit, squeeze the last one. */
    int used = 0;
    for (int c = 0; c < t->ncols; c++) {
        int sep = used ? 1 : 0;
        int room = width - used - sep;
        if (room <= 0 || !shown[c]) {
            widths[c] = 0;
            continue;
        }
        widths[c] = t->cols[c].min_width < room ? t->cols[c].min_width : room;
        used += widths[c] + sep;
    }
}

static void draw_cells(WINDOW *win, int y, int x, const int *widths, const tui_table *t, char *const *cells,
                       const char *const *titles)
{
    int cx = x;
    for (int c = 0; c < t->ncols; c++) {
        if (widths[c] <= 0)
            continue;
        if (c && cx > x) {
            mvwaddch(win, y, cx, ' ');
            cx++;
        }
        const char *text = cells ? cells[c] : titles[c];
        if (cells && c < 32 && (t->tail_cols & (1u << c)) && text_display_width(text) > widths[c] && widths[c] > 1) {
            /* The end tells these apart (a VIN's serial): cut on the left. */
            const char *end = text;
            while (*end && text_display_width(end) > widths[c] - 1)
                end++;
            while ((*end & 0xC0) == 0x80)
                end++;
            char *shown = core_strdup_printf("…%s", end);
            tui_text_put(win, y, cx, widths[c], shown, t->cols[c].right);
            g_free(shown);
        } else {
            tui_text_put(win, y, cx, widths[c], text, t->cols[c].right);
        }
        cx += widths[c];
    }
}

typedef struct hint_lines {
    char *lines[32];
    int n;
} hint_lines;

static void collect_line(char *line, void *user)
{
    hint_lines *hl = user;
    if (hl->n < (int)(sizeof hl->lines / sizeof hl->lines[0]))
        hl->lines[hl->n++] = line;
    else
        g_free(line);
}

/* Hint text (empty list, no match), wrapped to the width. */
static void draw_hint(WINDOW *win, int y, int x, int h, int w, const char *hint, tui_elem elem)
{
    hint_lines hl = {.n = 0};
    tui_text_wrap(hint, w > 12 ? w - 2 : w, collect_line, &hl);
    wattrset(win, tui_theme_attr(elem));
    for (int i = 0; i < hl.n; i++) {
        if (i < h)
            tui_text_put(win, y + i, x + 1, w > 1 ? w - 1 : w, hl.lines[i], false);
        g_free(hl.lines[i]);
    }
    wattrset(win, A_NORMAL);
}

static void draw_row(tui_table *t, WINDOW *win, int y, int x, int w, const int *widths, int vi)
{
    const table_row *r = row_at(t, t->visible[vi]);
    wattrset(win, tui_theme_attr(vi == t->sel ? TUI_EL_SELECTED : r->elem));
    mvwhline(win, y, x, ' ', w);
    draw_cells(win, y, x, widths, t, r->cells, NULL);
    wattrset(win, A_NORMAL);
}

void tui_table_draw(tui_table *t, WINDOW *win, int y, int x, int h, int w)
{
    t->drawn.valid = false;
    if (h <= 0 || w <= 0)
        return;
    int widths[t->ncols > 0 ? t->ncols : 1];
    layout(t, w, widths);
    int row_y = y;
    if (t->header) {
        wattrset(win, tui_theme_attr(TUI_EL_HEADER));
        mvwhline(win, y, x, ' ', w);
        const char *titles[t->ncols > 0 ? t->ncols : 1];
        char sorted[80];
        for (int c = 0; c < t->ncols; c++)
            titles[c] = t->cols[c].title;
        if (t->sort_col >= 0) {
            snprintf(sorted, sizeof sorted, "%s%s", t->cols[t->sort_col].title, t->sort_desc ? "▼" : "▲");
            titles[t->sort_col] = sorted;
        }
        draw_cells(win, y, x, widths, t, NULL, titles);
        wattrset(win, A_NORMAL);
        row_y++;
        h--;
    }
    if (h <= 0)
        return;
    if (!t->nvisible) {
        if (t->filter) {
            char *msg = core_strdup_printf("No line matches \"%s\" (%d hidden). Esc clears the filter.", t->filter, n_rows(t));
            draw_hint(win, row_y + 1, x, h - 1, w, msg, TUI_EL_HINT);
            g_free(msg);
        } else if (t->empty_hint) {
            draw_hint(win, row_y + 1, x, h - 1, w, t->empty_hint, TUI_EL_HINT);
        }
        return;
    }
    /* Keep the selection on screen. */
    if (t->sel < t->top)
        t->top = t->sel;
    if (t->sel >= t->top + h)
        t->top = t->sel - h + 1;
    if (t->top > t->nvisible - h)
        t->top = t->nvisible - h;
    if (t->top < 0)
        t->top = 0;
    for (int i = 0; i < h && t->top + i < t->nvisible; i++)
        draw_row(t, win, row_y + i, x, w, widths, t->top + i);
    t->drawn.valid = true;
    t->drawn.win = win;
    t->drawn.row_y = row_y;
    t->drawn.x = x;
    t->drawn.rows = h;
    t->drawn.w = w;
    t->drawn.top = t->top;
    t->drawn.sel = t->sel;
}

bool tui_table_draw_selection(tui_table *t)
{
    if (!t->drawn.valid || t->sel < 0 || t->drawn.sel >= t->nvisible)
        return false;
    int shift = t->top - t->drawn.top;
    /* A move past the edge scrolls by one line: keep the selection on screen as a full draw
     * would, shift the drawn lines, and draw only the line that came in. */
    if (shift == 0 && (t->sel < t->top || t->sel >= t->top + t->drawn.rows))
        shift = t->sel < t->top ? t->sel - t->top : t->sel - (t->top + t->drawn.rows - 1);
    if (shift < -1 || shift > 1 || t->drawn.rows < 2)
        return false;
    int widths[t->ncols > 0 ? t->ncols : 1];
    layout(t, t->drawn.w, widths);
    WINDOW *win = t->drawn.win;
    if (shift) {
        int new_top = t->drawn.top + shift;
        if (new_top < 0 || new_top + t->drawn.rows > t->nvisible || t->sel < new_top ||
            t->sel >= new_top + t->drawn.rows)
            return false;
        int bottom = t->drawn.row_y + t->drawn.rows - 1;
        wsetscrreg(win, t->drawn.row_y, bottom);
        scrollok(win, TRUE);
        wscrl(win, shift);
        scrollok(win, FALSE);
        wsetscrreg(win, 0, getmaxy(win) - 1);
        t->top = t->drawn.top = new_top;
        int incoming = shift > 0 ? new_top + t->drawn.rows - 1 : new_top;
        draw_row(t, win, t->drawn.row_y + incoming - new_top, t->drawn.x, t->drawn.w, widths, incoming);
    }
    if (t->sel == t->drawn.sel)
        return true;
    if (t->drawn.sel >= t->top && t->drawn.sel < t->top + t->drawn.rows)
        draw_row(t, win, t->drawn.row_y + t->drawn.sel - t->top, t->drawn.x, t->drawn.w, widths, t->drawn.sel);
    draw_row(t, win, t->drawn.row_y + t->sel - t->top, t->drawn.x, t->drawn.w, widths, t->sel);
    t->drawn.sel = t->sel;
    return true;
}

bool tui_table_select_at(tui_table *t, int y)
{
    if (!t->drawn.valid)
        return false;
    int vi = t->drawn.top + (y - t->drawn.row_y);
    if (y < t->drawn.row_y || y >= t->drawn.row_y + t->drawn.rows || vi < 0 || vi >= t->nvisible)
        return false;
    t->sel = vi;
    return true;
}

json_t *tui_table_visible_data(const tui_table *t, int i)
{
    if (i < 0 || i >= t->nvisible)
        return NULL;
    return row_at(t, t->visible[i])->data;
}

void tui_table_set_optional(tui_table *t, int col)
{
    if (col >= 0 && col < 32)
        t->optional_cols |= 1u << col;
}

void tui_table_set_drop(tui_table *t, int col, int rank)
{
    if (col >= 0 && col < 32)
        t->drop[col] = rank;
}

void tui_table_set_tail(tui_table *t, int col)
{
    if (col >= 0 && col < 32)
        t->tail_cols |= 1u << col;
}

const char *tui_table_column_title(const tui_table *t, int col)
{
    return col >= 0 && col < t->ncols ? t->cols[col].title : "";
}
