/* docs: table detection. Finds the sheet of a vehicle list among title, logo and blank rows,
 * every table on it (each with its header band of one to three rows), then streams a table's
 * data rows until a TOTAL row, the next table or the end of the sheet. */
#include "docs_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_ROWS 60        /* rows of each sheet examined for a header */
#define FOLLOW_ROWS 10      /* rows after a candidate header examined for data */
#define SEG_ROWS 5000       /* rows of the chosen sheet examined for further tables */
#define MORE_VOCAB 3        /* vehicle header words a further table's header needs */

/* Header words of vehicle lists (folded). A header containing one as a whole word scores. */
static const char *const vocab[] = {
    "marca", "submarca", "sub marca", "modelo", "ano", "anio", "year", "version", "descripcion",
    "serie", "niv", "vin", "placas", "placa", "motor", "tipo", "linea", "uso", "cobertura",
    "paquete", "suma asegurada", "valor", "inciso", "unidad", "vehiculo", "chasis", "economico",
    "servicio", "armadora", "auto", "clave",
};

static bool has_word(const char *folded, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(folded, word); p; p = strstr(p + 1, word)) {
        bool start = p == folded || p[-1] == ' ';
        bool end = p[n] == '\0' || p[n] == ' ';
        if (start && end)
            return true;
    }
    return false;
}

static int vocab_hits(const char *folded)
{
    for (size_t i = 0; i < sizeof vocab / sizeof *vocab; i++)
        if (has_word(folded, vocab[i]))
            return 1;
    return 0;
}

int docs_header_vocab_count(const char *folded)
{
    int n = 0;
    for (size_t i = 0; i < sizeof vocab / sizeof *vocab; i++)
        n += has_word(folded, vocab[i]);
    return n;
}

typedef struct win_row {
    long row;
    int n;
    char **text;          /* trimmed */
    docs_cell_type *type;
    bool *hidden;         /* column hidden */
} win_row;

static void win_free(GPtrArray *win)
{
    for (guint i = 0; i < win->len; i++) {
        win_row *r = g_ptr_array_index(win, i);
        for (int c = 0; c < r->n; c++)
            g_free(r->text[c]);
        g_free(r->text);
        g_free(r->type);
        g_free(r->hidden);
        g_free(r);
    }
    g_ptr_array_free(win, TRUE);
}

/* Reads up to max_rows stored rows of a sheet; *truncated when more rows follow. */
static int read_window(docs_book *book, int sheet, guint max_rows, GPtrArray **out,
                       bool *truncated, minca_err *err)
{
    *out = g_ptr_array_new();
    if (truncated)
        *truncated = false;
    if (docs_sheet_open(book, sheet, err) != 0)
        return -1;
    const docs_row *row;
    int rc = 0;
    while ((rc = docs_sheet_next(book, &row, err)) == 1) {
        if ((*out)->len >= max_rows) {
            if (truncated)
                *truncated = true;
            break;
        }
        win_row *w = g_new0(win_row, 1);
        w->row = row->row;
        w->n = row->n_cells;
        w->text = g_new0(char *, w->n ? w->n : 1);
        w->type = g_new0(docs_cell_type, w->n ? w->n : 1);
        w->hidden = g_new0(bool, w->n ? w->n : 1);
        for (int c = 0; c < w->n; c++) {
            w->hidden[c] = (row->cells[c].flags & DOCS_CELL_HIDDEN_COL) != 0;
            w->text[c] = g_strstrip(g_strdup(row->cells[c].text));
            w->type[c] = w->text[c][0] ? row->cells[c].type : DOCS_CELL_EMPTY;
        }
        g_ptr_array_add(*out, w);
    }
    return rc < 0 ? -1 : 0;
}

static win_row *win_at(GPtrArray *win, guint i)
{
    return g_ptr_array_index(win, i);
}

static bool looks_numeric(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isdigit(*p) && *p != '.' && *p != ',' && *p != '$' && *p != ' ' && *p != '-')
            return false;
    return true;
}

static const char *cell_text(const win_row *r, int c)
{
    return c >= 0 && c < r->n ? r->text[c] : "";
}

static bool cell_empty(const win_row *r, int c)
{
    return c < 0 || c >= r->n || r->type[c] == DOCS_CELL_EMPTY;
}

/* A value cell, not a name: a number, a date, numeric text or a long text. */
static bool cell_value_like(const win_row *r, int c)
{
    return r->type[c] != DOCS_CELL_TEXT || looks_numeric(r->text[c]) || strlen(r->text[c]) > 60;
}

static int non_empty(const win_row *r, int max_col)
{
    int n = 0;
    for (int c = 0; c < r->n && c < max_col; c++)
        n += r->type[c] != DOCS_CELL_EMPTY;
    return n;
}

static bool matches_required(const win_row *r, const docs_table_hint *hint)
{
    if (!hint || hint->n_required == 0)
        return true;
    for (int k = 0; k < hint->n_required; k++) {
        char *want = docs_fold(hint->required_headers[k]);
        bool found = false;
        for (int c = 0; c < r->n && !found; c++) {
            char *have = docs_fold(r->text[c]);
            found = strcmp(have, want) == 0;
            g_free(have);
        }
        g_free(want);
        if (!found)
            return false;
    }
    return true;
}

/* What a row's cells say about it as a header. */
typedef struct row_eval {
    int text, numbers, vocab, known, extra, first_col, last_col;
} row_eval;

static void eval_row(const win_row *r, const docs_table_hint *hint, row_eval *e)
{
    memset(e, 0, sizeof *e);
    e->first_col = -1;
    for (int c = 0; c < r->n; c++) {
        if (r->type[c] == DOCS_CELL_EMPTY)
            continue;
        if (e->first_col < 0)
            e->first_col = c;
        e->last_col = c + 1;
        if (cell_value_like(r, c)) {
            e->numbers++;
            continue;
        }
        e->text++;
        char *f = docs_fold(r->text[c]);
        int v = vocab_hits(f);
        e->vocab += v;
        if (v || (hint && hint->header_known && hint->header_known(r->text[c], hint->known_user) > 0))
            e->known++;
        if (hint && hint->header_score)
            e->extra += hint->header_score(r->text[c], hint->user) > 0;
        g_free(f);
    }
}

/* Score of window row i as a header; -1 when it cannot be one. */
static int header_score(GPtrArray *win, guint i, const docs_table_hint *hint, row_eval *e)
{
    win_row *r = win_at(win, i);
    eval_row(r, hint, e);
    if (e->text < 2 || e->numbers > e->text)
        return -1;
    int data = 0;
    for (guint j = i + 1; j < win->len && j <= i + FOLLOW_ROWS; j++) {
        win_row *d = win_at(win, j);
        if (non_empty(d, e->last_col) >= 2 && non_empty(d, e->last_col) * 3 >= e->text)
            data++;
    }
    if (e->vocab < 2 && !(e->text >= 3 && data >= 1))
        return -1;
    int score = e->vocab * 6 + e->extra * 6 + e->text * 2 + data;
    if (!matches_required(r, hint))
        score -= 1000;
    return score;
}

static bool sheet_name_ok(const char *name, const docs_table_hint *hint)
{
    if (!hint || !hint->sheet_pattern || !*hint->sheet_pattern)
        return true;
    GError *ge = NULL;
    GRegex *re = g_regex_new(hint->sheet_pattern, G_REGEX_CASELESS, 0, &ge);
    if (!re) {
        g_error_free(ge);
        return true;
    }
    bool ok = g_regex_match(re, name, 0, NULL);
    g_regex_unref(re);
    return ok;
}

/* ---- the header band ---- */

typedef struct merges {
    const docs_range *r;
    int n;
} merges;

/* The merged range holding (row, col 0-based), or NULL. */
static const docs_range *merge_at(const merges *m, long row, int col)
{
    for (int k = 0; k < m->n; k++) {
        const docs_range *r = &m->r[k];
        if (row >= r->first_row && row <= r->last_row && col + 1 >= r->first_col && col + 1 <= r->last_col)
            return &m->r[k];
    }
    return NULL;
}

/* A row of field names right below the header row: names only, mostly known words. */
static bool names_below(const win_row *below, const win_row *primary, const docs_table_hint *hint)
{
    if (below->row != primary->row + 1)
        return false;
    row_eval e;
    eval_row(below, hint, &e);
    return e.numbers == 0 && e.text >= 2 && e.known >= 1 && e.known * 2 >= e.text;
}

/* Column c holds values in the rows below window index i (a column named once, merged down
 * the band, rather than a title beside the table); a column of remarks may be sparse. */
static bool values_below(GPtrArray *win, guint i, int c)
{
    int rows = 0, filled = 0;
    for (guint j = i + 1; j < win->len && rows < FOLLOW_ROWS; j++) {
        const win_row *r = win_at(win, j);
        if (non_empty(r, r->n) == 0)
            continue;
        rows++;
        filled += !cell_empty(r, c);
    }
    return filled > 0;
}

/* A row of group titles (window index ia) right above the field names (ip): short names only,
 * shaped like a group row: a name above a column the row below leaves blank (a column named
 * once, merged down the band), a label merged over part of the columns, or fewer labels than
 * the row below has names. A name outside the field names' columns must head a column of
 * values. */
static bool group_above(GPtrArray *win, guint ia, guint ip, const merges *m)
{
    const win_row *above = win_at(win, ia), *primary = win_at(win, ip);
    if (above->row != win_at(win, ia + 1)->row - 1)
        return false;
    bool top = ia + 1 < ip;   /* above a group row already in the band */
    int pf = -1, pl = -1, pn = 0;
    for (int c = 0; c < primary->n; c++)
        if (!cell_empty(primary, c)) {
            if (pf < 0)
                pf = c;
            pl = c;
            pn++;
        }
    if (pf < 0)
        return false;
    int an = 0;
    bool over_blank = false, part_merge = false;
    for (int c = 0; c < above->n; c++) {
        if (cell_empty(above, c))
            continue;
        if (cell_value_like(above, c) || strchr(above->text[c], ':'))
            return false;   /* a value, or a "label: value" line of a title block */
        if ((c < pf || c > pl) && !values_below(win, ip, c))
            return false;
        an++;
        over_blank |= cell_empty(primary, c);
        const docs_range *r = merge_at(m, above->row, c);
        if (r && r->first_row == above->row && r->last_col > r->first_col &&
            r->last_col - r->first_col < pl - pf)
            part_merge = true;
    }
    if (top)
        return part_merge || (an >= 2 && an < pn);
    return an >= 1 && (over_blank || part_merge || (an >= 2 && an < pn));
}

/* The text a band row gives column c: its own, the label of a range merged across it, or
 * (no merges known) the group label to its left. */
static const char *band_text(const win_row *b, const win_row *primary, bool is_primary, int c,
                             int span_first, const merges *m)
{
    if (!cell_empty(b, c))
        return cell_text(b, c);
    if (m->n > 0) {
        const docs_range *r = merge_at(m, b->row, c);
        if (r && r->first_row == b->row && r->first_col - 1 != c)
            return cell_text(b, r->first_col - 1);
        return "";
    }
    if (is_primary || cell_empty(primary, c))
        return "";
    for (int k = c - 1; k >= span_first; k--) {
        if (cell_empty(b, k))
            continue;
        /* a name above a blank field cell is a column named once, not a group */
        return cell_empty(primary, k) ? "" : cell_text(b, k);
    }
    return "";
}

static char *band_signature(const win_row *r)
{
    GString *s = g_string_new(NULL);
    for (int c = 0; c < r->n; c++) {
        if (cell_empty(r, c))
            continue;
        char *f = docs_fold(r->text[c]);
        g_string_append_printf(s, "%d=%s|", c, f);
        g_free(f);
    }
    return g_string_free(s, FALSE);
}

/* Fills t from the band win[first..last] (window indexes; last holds the field names). */
static void fill_table(docs_table *t, docs_book *book, int sheet, GPtrArray *win, guint first,
                       guint last, const merges *m, int score)
{
    memset(t, 0, sizeof *t);
    const win_row *primary = win_at(win, last);
    t->sheet = sheet;
    t->sheet_name = g_strdup(docs_sheet_name(book, sheet));
    t->header_first = win_at(win, first)->row;
    t->header_row = primary->row;
    t->score = score;
    t->n_band = (int)(last - first + 1);
    int n = 0, span_first = -1;
    for (guint b = first; b <= last; b++) {
        const win_row *r = win_at(win, b);
        t->band_sig[b - first] = band_signature(r);
        for (int c = 0; c < r->n; c++)
            if (!cell_empty(r, c)) {
                n = c + 1 > n ? c + 1 : n;
                if (span_first < 0 || c < span_first)
                    span_first = c;
            }
    }
    size_t cnt = n > 0 ? (size_t)n : 1;
    t->headers = g_malloc0_n(cnt, sizeof *t->headers);
    t->names = g_malloc0_n(cnt, sizeof *t->names);
    t->groups = g_malloc0_n(cnt, sizeof *t->groups);
    t->hidden_cols = g_malloc0_n(cnt, sizeof *t->hidden_cols);
    for (int c = 0; c < n; c++) {
        const char *parts[DOCS_BAND_MAX];
        int np = 0;
        for (guint b = first; b <= last; b++) {
            const win_row *r = win_at(win, b);
            const char *tx = band_text(r, primary, b == last, c, span_first, m);
            if (*tx && (np == 0 || strcmp(parts[np - 1], tx) != 0))
                parts[np++] = tx;
            if (c < r->n && r->hidden[c])
                t->hidden_cols[c] = true;
        }
        GString *g = g_string_new(NULL);
        for (int k = 0; k + 1 < np; k++)
            g_string_append_printf(g, "%s%s", k ? " / " : "", parts[k]);
        const char *name = np ? parts[np - 1] : "";
        t->names[c] = g_strdup(name);
        t->groups[c] = g_strdup(g->str);
        if (g->len)
            g_string_append(g, " / ");
        g_string_append(g, name);
        t->headers[c] = g_strdup(g->str);
        g_string_free(g, TRUE);
    }
    while (n > 0 && !t->headers[n - 1][0]) {
        g_free(t->headers[n - 1]);
        g_free(t->names[n - 1]);
        g_free(t->groups[n - 1]);
        n--;
    }
    t->n_cols = n;
}

/* Window indexes of the band around the header row at window index i. */
static void band_around(GPtrArray *win, guint i, const docs_table_hint *hint, const merges *m,
                        guint *first, guint *last)
{
    *first = *last = i;
    while (*last + 1 < win->len && *last - *first + 1 < DOCS_BAND_MAX &&
           names_below(win_at(win, *last + 1), win_at(win, *last), hint))
        (*last)++;
    while (*first > 0 && *last - *first + 1 < DOCS_BAND_MAX &&
           group_above(win, *first - 1, *last, m))
        (*first)--;
}

/* ---- totals ---- */

static char *first_text_folded(const docs_cell *cells, int n, int *filled)
{
    const char *first = NULL;
    *filled = 0;
    for (int c = 0; c < n; c++) {
        const char *t = cells[c].text;
        while (*t == ' ')
            t++;
        if (!*t)
            continue;
        (*filled)++;
        if (!first && cells[c].type == DOCS_CELL_TEXT)
            first = t;
    }
    return first ? docs_fold(first) : NULL;
}

static bool is_total_row(const docs_row *row, int n_cols)
{
    int filled;
    char *f = first_text_folded(row->cells, row->n_cells, &filled);
    if (!f)
        return false;
    bool total = g_str_has_prefix(f, "total") || g_str_has_prefix(f, "gran total") ||
                 g_str_has_prefix(f, "suma total") || g_str_has_prefix(f, "sumas") ||
                 strcmp(f, "suma") == 0;
    g_free(f);
    return total && filled <= (n_cols > 4 ? n_cols / 2 : 2);
}

static bool is_subtotal_row(const docs_row *row)
{
    int filled;
    char *f = first_text_folded(row->cells, row->n_cells, &filled);
    if (!f)
        return false;
    bool sub = g_str_has_prefix(f, "subtotal") || g_str_has_prefix(f, "sub total");
    g_free(f);
    return sub;
}

/* A window row as a docs_row, for the row tests above. */
static bool win_is_total(const win_row *r, int n_cols, bool *subtotal)
{
    docs_cell *cells = g_new0(docs_cell, r->n ? r->n : 1);
    for (int c = 0; c < r->n; c++) {
        cells[c].type = r->type[c];
        cells[c].text = r->text[c];
    }
    docs_row row = { .row = r->row, .n_cells = r->n, .cells = cells };
    *subtotal = is_subtotal_row(&row);
    bool total = !*subtotal && is_total_row(&row, n_cols);
    g_free(cells);
    return total;
}

/* ---- tables of a sheet ---- */

static bool title_like(const win_row *r)
{
    int n = 0;
    for (int c = 0; c < r->n; c++) {
        if (cell_empty(r, c))
            continue;
        if (cell_value_like(r, c))
            return false;
        n++;
    }
    return n <= 2;
}

static bool same_band(const docs_table *t, const win_row *r)
{
    char *sig = band_signature(r);
    bool same = false;
    for (int k = 0; k < t->n_band && !same; k++)
        same = strcmp(sig, t->band_sig[k]) == 0;
    g_free(sig);
    return same;
}

/* The row of the totals row that ends t (win index from..to, region fully in the window): the
 * first TOTAL row no vehicle row follows; an earlier one is a subtotal. */
static long final_total(const docs_table *t, GPtrArray *win, guint from, guint to)
{
    long found = 0;
    for (guint j = from; j < to; j++) {
        const win_row *r = win_at(win, j);
        bool sub;
        if (win_is_total(r, t->n_cols, &sub)) {
            if (!found)
                found = r->row;
        } else if (!sub && !same_band(t, r) && non_empty(r, t->n_cols) >= 3) {
            found = 0;
        }
    }
    return found;
}

/* Closes table t: the last one of the sheet runs to its end; another one ends at the row
 * before window index next_i (the next band's first row), leaving out the title and blank
 * rows just above that band. */
static void close_region(docs_table *t, GPtrArray *win, guint data_from, guint next_i, bool last,
                         bool truncated)
{
    if (last) {
        t->end_row = 0;
        t->totals_row = truncated ? 0 : final_total(t, win, data_from, win->len);
        return;
    }
    guint end = next_i;
    while (end > data_from && title_like(win_at(win, end - 1)))
        end--;
    t->end_row = end > data_from ? win_at(win, end - 1)->row : t->header_row;
    t->totals_row = final_total(t, win, data_from, end);
}

static void skip_row(docs_table *t, long row)
{
    if (!t->skip_rows)
        t->skip_rows = g_array_new(FALSE, FALSE, sizeof(long));
    if (t->skip_rows->len >= 1000)
        return;
    g_array_append_val(t->skip_rows, row);
}

static bool row_skipped(const docs_table *t, long row)
{
    for (guint k = 0; t->skip_rows && k < t->skip_rows->len; k++)
        if (g_array_index(t->skip_rows, long, k) == row)
            return true;
    return false;
}

static int compare_row(gconstpointer a, gconstpointer b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

/* Every table of the sheet held in win, the one whose header is at window index best first
 * among equals. */
static void sheet_tables(docs_book *book, int sheet, GPtrArray *win, bool truncated, guint best,
                         int best_score, const docs_table_hint *hint, GArray *out)
{
    const docs_range *mr;
    int mn;
    docs_sheet_merges(book, &mr, &mn);
    merges m = { mr, mn };
    GArray *cand = g_array_new(FALSE, FALSE, sizeof(long));   /* window indexes */
    bool fixed = hint && hint->header_row > 0;
    for (guint i = 0; i < win->len; i++) {
        long idx = (long)i;
        if (i == best) {
            g_array_append_val(cand, idx);
            continue;
        }
        if (fixed)
            continue;
        row_eval e;
        int sc = header_score(win, i, hint, &e);
        if (sc >= 0 && e.numbers == 0 && e.vocab >= MORE_VOCAB && e.known * 2 >= e.text)
            g_array_append_val(cand, idx);
    }
    g_array_sort(cand, compare_row);
    docs_table *prev = NULL;
    guint prev_data = 0;
    for (guint k = 0; k < cand->len; k++) {
        guint i = (guint)g_array_index(cand, long, k);
        if (prev && win_at(win, i)->row <= prev->header_row)
            continue;
        if (prev && same_band(prev, win_at(win, i))) {
            /* a repeated header: the table goes on; a title just above it is no vehicle */
            for (guint j = i; j > prev_data && (title_like(win_at(win, j - 1)) ||
                                                 same_band(prev, win_at(win, j - 1))); j--)
                skip_row(prev, win_at(win, j - 1)->row);
            continue;
        }
        guint first, last;
        band_around(win, i, hint, &m, &first, &last);
        if (prev && win_at(win, first)->row <= prev->header_row)
            first = last = i;
        row_eval e;
        int sc = i == best ? best_score : header_score(win, i, hint, &e);
        docs_table t;
        fill_table(&t, book, sheet, win, first, last, &m, sc);
        if (prev)
            close_region(prev, win, prev_data, first, false, false);
        t.index = (int)out->len;
        g_array_append_val(out, t);
        prev = &g_array_index(out, docs_table, out->len - 1);
        prev_data = last + 1;
    }
    if (prev)
        close_region(prev, win, prev_data, win->len, true, truncated);
    g_array_free(cand, TRUE);
}

void docs_tables_free(docs_table *tables, int n)
{
    for (int i = 0; i < n; i++)
        docs_table_clear(&tables[i]);
    g_free(tables);
}

int docs_tables_find(docs_book *book, const docs_table_hint *hint, docs_table **tables, int *n,
                     minca_err *err)
{
    *tables = NULL;
    *n = 0;
    int best_sheet = -1, best_score = -1;
    long best_row = 0;
    int sheets = docs_sheet_count(book), sheets_n = sheets;
    for (int s = 0; s < sheets; s++) {
        if (!sheet_name_ok(docs_sheet_name(book, s), hint))
            continue;
        GPtrArray *win;
        if (read_window(book, s, SCAN_ROWS + FOLLOW_ROWS, &win, NULL, err) != 0) {
            win_free(win);
            return -1;
        }
        for (guint i = 0; i < win->len && i < SCAN_ROWS; i++) {
            win_row *r = win_at(win, i);
            int sc;
            row_eval e;
            if (hint && hint->header_row > 0)
                sc = r->row == hint->header_row ? 1000 : -1;
            else
                sc = header_score(win, i, hint, &e);
            if (sc < 0)
                continue;
            if (docs_sheet_hidden(book, s))
                sc -= 500;
            if (sc > best_score) {
                best_score = sc;
                best_sheet = s;
                best_row = r->row;
            }
        }
        win_free(win);
    }
    if (best_sheet < 0) {
        const char *name = book->name[0] ? book->name : "attachment";
        if (hint && hint->sheet_pattern && *hint->sheet_pattern)
            return minca_err_set(err, "%s: no sheet matching '%s' holds a vehicle table", name,
                                 hint->sheet_pattern);
        GString *sheets = g_string_new(NULL);
        for (int s = 0; s < sheets_n && s < 8; s++)
            g_string_append_printf(sheets, "%s'%s'", s ? ", " : "", docs_sheet_name(book, s));
        if (sheets_n > 8)
            g_string_append(sheets, ", ...");
        minca_err_set(err, "%s: no vehicle table found (no header row with columns such as MARCA, "
                           "MODELO, AÑO, SERIE in the first %d rows of %s%s); if the list is in it, "
                           "save a profile naming its sheet and header row",
                      name, SCAN_ROWS, docs_format_has_sheets(book->format) ? "its sheets " : "the file",
                      docs_format_has_sheets(book->format) ? sheets->str : "");
        g_string_free(sheets, TRUE);
        return -1;
    }
    /* Re-read the chosen sheet further for the header band and the tables below. */
    GPtrArray *win;
    bool truncated = false;
    if (read_window(book, best_sheet, SEG_ROWS, &win, &truncated, err) != 0) {
        win_free(win);
        return -1;
    }
    guint best = 0;
    for (guint i = 0; i < win->len; i++)
        if (win_at(win, i)->row == best_row)
            best = i;
    GArray *out = g_array_new(FALSE, TRUE, sizeof(docs_table));
    sheet_tables(book, best_sheet, win, truncated, best, best_score, hint, out);
    win_free(win);
    *n = (int)out->len;
    *tables = (docs_table *)(void *)g_array_free(out, FALSE);
    return 0;
}

int docs_table_find(docs_book *book, const docs_table_hint *hint, docs_table *table,
                    minca_err *err)
{
    memset(table, 0, sizeof *table);
    docs_table *all;
    int n;
    if (docs_tables_find(book, hint, &all, &n, err) != 0)
        return -1;
    if (n == 0) {
        g_free(all);
        return minca_err_set(err, "%s: no vehicle table found", docs_book_label(book));
    }
    *table = all[0];
    for (int i = 1; i < n; i++)
        docs_table_clear(&all[i]);
    g_free(all);
    return 0;
}

int docs_table_open(docs_book *book, docs_table *table, minca_err *err)
{
    table->stopped = false;
    table->stop_row = 0;
    table->n_subtotals = 0;
    table->n_repeated_headers = 0;
    if (docs_sheet_open(book, table->sheet, err) != 0)
        return -1;
    return 0;
}

static bool row_repeats_band(const docs_table *t, const docs_row *r)
{
    GString *s = g_string_new(NULL);
    for (int c = 0; c < r->n_cells; c++) {
        const char *tx = r->cells[c].text;
        while (*tx == ' ')
            tx++;
        if (!*tx || r->cells[c].type == DOCS_CELL_EMPTY)
            continue;
        char *trim = g_strstrip(g_strdup(tx));
        char *f = docs_fold(trim);
        g_string_append_printf(s, "%d=%s|", c, f);
        g_free(f);
        g_free(trim);
    }
    bool same = false;
    for (int k = 0; k < t->n_band && !same; k++)
        same = strcmp(s->str, t->band_sig[k]) == 0;
    g_string_free(s, TRUE);
    return same;
}

int docs_table_next(docs_book *book, docs_table *table, const docs_row **row, minca_err *err)
{
    *row = NULL;
    if (table->stopped)
        return 0;
    const docs_row *r;
    int rc;
    while ((rc = docs_sheet_next(book, &r, err)) == 1) {
        if (r->row <= table->header_row || docs_row_is_blank(r))
            continue;
        if (table->end_row > 0 && r->row > table->end_row)
            break;
        if (row_skipped(table, r->row)) {
            table->n_repeated_headers++;
            continue;
        }
        if (is_subtotal_row(r)) {
            table->n_subtotals++;
            continue;
        }
        if (is_total_row(r, table->n_cols)) {
            if (table->totals_row > 0 && r->row < table->totals_row) {
                table->n_subtotals++;
                continue;
            }
            table->stopped = true;
            table->stop_row = r->row;
            return 0;
        }
        if (row_repeats_band(table, r)) {
            table->n_repeated_headers++;
            continue;
        }
        *row = r;
        return 1;
    }
    if (rc >= 0)
        table->stopped = true;
    return rc < 0 ? rc : 0;
}

void docs_table_clear(docs_table *table)
{
    if (!table)
        return;
    for (int c = 0; c < table->n_cols; c++) {
        g_free(table->headers[c]);
        if (table->names)
            g_free(table->names[c]);
        if (table->groups)
            g_free(table->groups[c]);
    }
    g_free(table->headers);
    g_free(table->names);
    g_free(table->groups);
    g_free(table->hidden_cols);
    g_free(table->sheet_name);
    for (int k = 0; k < DOCS_BAND_MAX; k++)
        g_free(table->band_sig[k]);
    if (table->skip_rows)
        g_array_free(table->skip_rows, TRUE);
    memset(table, 0, sizeof *table);
}
