/* docs: PDF tables from geometry. The lines of positioned words of a document (poppler's text
 * layer, or OCR word boxes fed through the same record stream) -> the rows of one sheet.
 *
 *   header bands  a line with several header-like cells (vehicle vocabulary, no digit) that
 *                 data lines follow, with up to two close lines above or below it without
 *                 digits: group labels above the column names, cells merged down both rows
 *                 (printed between them), header cells wrapped over two lines;
 *   columns       the band read bottom up: the cells of its last line are columns; a cell
 *                 higher up with nothing under it is a column of its own (merged down), one
 *                 over a single cell and closer than the row pitch is the first part of a
 *                 wrapped name, one over several cells is a group label;
 *   boundaries    between two neighbouring columns, the widest vertical strip that (almost)
 *                 no data line of the table crosses, found between the two column names'
 *                 centres: right-aligned amounts and left-aligned text under centred names
 *                 land in their columns, and a strip crossed by no word is not needed;
 *   group spans   a group label covers the columns it is centred over (left-aligned text
 *                 over a column is a title, not a group label);
 *   rows          every data line split at the boundaries (each word to the column it
 *                 overlaps most); a line whose words cross the boundaries (a paragraph) is
 *                 not a row; a page with no line that fills the columns (a page of
 *                 conditions) ends the table, and so does a TOTAL line.
 *
 * Several tables: every header band starts a table with its own columns. A band repeating
 * the current table's column names at the top of a later page continues that table: it is
 * not emitted again, and what is printed above it on that page (the page header) is dropped.
 * Page numbers, and lines printed at the same place in the top or bottom margin of several
 * pages (page headers and footers), are never rows; neither are titles and text between
 * tables.
 *
 * Output (see docs.h): each table's header band as rows (group labels repeated in every
 * column they span, then the column names), then its data rows. The first table's column
 * names are row 0 (its group label rows -1, -2) and its data rows 1, 2, ... as printed;
 * later rows continue the numbering. A document without a recognisable header band gives
 * every line, its words grouped at wide gaps. */
#include "docs_pdf_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BAND_MAX_LINES 3     /* lines of a header band */
#define SPAN_REACH 16        /* columns a group label may reach beyond those under its text */
#define DATA_LOOKAHEAD 6     /* lines after a header line searched for data */
#define MARGIN_SHARE 0.15    /* top and bottom share of a page where headers and footers sit */
#define REPEAT_SHIFT 1.5     /* x line height: a repeated header's names sit where the first
                              * printed them, up to the page's own shift */
#define REPEAT_FILL 3        /* a name only the repeat reads has values on 1 data line in 3 */

/* ---- lines ---- */

static bool has_digit(const char *s)
{
    for (; *s; s++)
        if (g_ascii_isdigit(*s))
            return true;
    return false;
}

static pword *word_at(const pline *l, guint k)
{
    return g_ptr_array_index(l->words, k);
}

static bool wide_gap(const pline *l, guint k)
{
    return word_at(l, k)->cell_start || word_at(l, k)->x0 - word_at(l, k - 1)->x1 > 0.6 * l->h;
}

/* Cells of a line: runs of words separated by gaps wider than 0.6 x the line height. */
static guint n_groups(const pline *l)
{
    guint n = l->words->len ? 1 : 0;
    for (guint k = 1; k < l->words->len; k++)
        n += wide_gap(l, k);
    return n;
}

/* Text and extent of a line's words [from, to). */
typedef struct hcell {
    char *text;
    double x0, x1;
    int level;        /* header band line it was printed on, 0 = top */
    int words;
    int first, last;  /* group label: the columns it spans; -1 when it is not one */
    int id;           /* column: its number in the band */
    int child;        /* band cell over one column name (its id): a group label over that
                       * column or the first part of a wrapped name; -1 a group label, -2
                       * neither (a title) */
} hcell;

static GArray *group_cells(const pline *l)
{
    GArray *cells = g_array_new(FALSE, FALSE, sizeof(hcell));
    guint start = 0;
    for (guint i = 1; i <= l->words->len; i++) {
        if (i < l->words->len && !wide_gap(l, i))
            continue;
        GString *s = g_string_new(NULL);
        hcell c = { NULL, INFINITY, -INFINITY, 0, (int)(i - start), -1, -1, -1, -1 };
        for (guint k = start; k < i; k++) {
            if (s->len)
                g_string_append_c(s, ' ');
            g_string_append(s, word_at(l, k)->text);
            c.x0 = fmin(c.x0, word_at(l, k)->x0);
            c.x1 = fmax(c.x1, word_at(l, k)->x1);
        }
        c.text = g_string_free(s, FALSE);
        g_array_append_val(cells, c);
        start = i;
    }
    return cells;
}

static void cells_free(GArray *cells)
{
    for (guint i = 0; cells && i < cells->len; i++)
        g_free(g_array_index(cells, hcell, i).text);
    if (cells)
        g_array_free(cells, TRUE);
}

static bool is_total_line(const pline *l)
{
    return g_str_has_prefix(l->folded, "total") || g_str_has_prefix(l->folded, "gran total") ||
           g_str_has_prefix(l->folded, "suma total");
}

static bool is_page_number(const pline *l)
{
    static GRegex *re;
    if (!re)
        re = g_regex_new("^(pagina|pag|page|hoja) [0-9]{1,4}( (de|of) [0-9]{1,4})?$"
                         "|^[0-9]{1,4} (de|of) [0-9]{1,4}$|^- ?[0-9]{1,4} ?-$",
                         G_REGEX_OPTIMIZE, 0, NULL);
    return re && g_regex_match(re, l->folded, 0, NULL);
}

/* A line that may be a table row: several cells, or two and a number. */
static bool row_like(const pline *l)
{
    guint g = n_groups(l);
    return g >= 3 || (g >= 2 && has_digit(l->folded));
}

/* ---- header bands ---- */

/* A line of column names: no digit, at least three cells, two of them with vehicle-list
 * vocabulary, none a sentence. */
static bool is_header_line(const pline *l)
{
    if (has_digit(l->folded) || n_groups(l) < 3)
        return false;
    GArray *cells = group_cells(l);
    int vocab = 0;
    bool prose = false;
    for (guint c = 0; c < cells->len; c++) {
        hcell *h = &g_array_index(cells, hcell, c);
        prose = prose || h->words > 8;
        char *f = docs_fold(h->text);
        vocab += docs_header_vocab_count(f) > 0;
        g_free(f);
    }
    cells_free(cells);
    return vocab >= 2 && !prose;
}

/* The row pitch of the data under line i: the median distance between the next row-like
 * lines of its page; 2 x its height when they do not tell. */
static double data_pitch(GPtrArray *lines, guint i, const bool *skip, double ext[2])
{
    pline *a = g_ptr_array_index(lines, i);
    double yc[9], d[8];
    int n = 0;
    ext[0] = word_at(a, 0)->x0;
    ext[1] = word_at(a, a->words->len - 1)->x1;
    for (guint k = i + 1; k < lines->len && n < 9; k++) {
        pline *l = g_ptr_array_index(lines, k);
        if (l->page != a->page)
            break;
        if (skip[k] || !row_like(l) || (n == 0 && !has_digit(l->folded)))
            continue;
        yc[n++] = l->yc;
        ext[0] = fmin(ext[0], word_at(l, 0)->x0);
        ext[1] = fmax(ext[1], word_at(l, l->words->len - 1)->x1);
    }
    for (int k = 1; k < n; k++)
        d[k - 1] = yc[k] - yc[k - 1];
    if (n < 3)
        return n == 2 && d[0] > 0 ? d[0] : 2 * a->h;
    qsort(d, (size_t)(n - 1), sizeof *d, docs_cmp_double);
    return d[(n - 1) / 2] > 0 ? d[(n - 1) / 2] : 2 * a->h;
}

/* A vehicle row names a model year or carries a serial (17 letters and digits). */
static bool vehicle_like(const pline *l)
{
    static GRegex *re;
    if (!re)
        re = g_regex_new("(^| )(19[5-9][0-9]|20[0-9][0-9])( |$)|(^| )(?=[a-z]*[0-9])[a-z0-9]{17}( |$)",
                         G_REGEX_OPTIMIZE, 0, NULL);
    return re && g_regex_match(re, l->folded, 0, NULL);
}

/* Vehicle rows follow within a few lines (a table of coverages and deductibles does not
 * start a vehicle table). */
static bool followed_by_data(GPtrArray *lines, guint i, const bool *skip)
{
    int seen = 0;
    for (guint k = i + 1; k < lines->len && k <= i + 8 * DATA_LOOKAHEAD && seen < DATA_LOOKAHEAD; k++) {
        if (skip[k])
            continue;
        pline *l = g_ptr_array_index(lines, k);
        if (row_like(l) && vehicle_like(l))
            return true;
        seen++;
    }
    return false;
}

/* Whether line `l` can join a band whose nearest line is `near`. */
static bool band_line(const pline *l, const pline *near, double pitch, const double ext[2])
{
    double dist = fabs(l->yc - near->yc);
    if (l->page != near->page || dist <= 0 || dist > 1.25 * pitch || l->words->len == 0 ||
        has_digit(l->folded))
        return false;
    double slack = fmax(pitch, 0.1 * (ext[1] - ext[0]));
    if (word_at(l, 0)->x0 < ext[0] - slack || word_at(l, l->words->len - 1)->x1 > ext[1] + slack)
        return false;
    GArray *cells = group_cells(l);
    bool prose = false;
    for (guint c = 0; c < cells->len; c++)
        prose = prose || g_array_index(cells, hcell, c).words > 8;
    cells_free(cells);
    return !prose;
}

/* A table's title above its header ("CAMIONES Y TRACTOS"): one cell starting where the line
 * below starts, as a sheet's title cell is written left-aligned in the table's first column.
 * A group label is centred over its columns, so it starts right of the first name under it. */
static bool title_line(const pline *l, const pline *below)
{
    if (n_groups(l) != 1 || n_groups(below) < 3)
        return false;
    return fabs(word_at(l, 0)->x0 - word_at(below, 0)->x0) <= fmax(1.0, 0.3 * below->h);
}

typedef struct bandpos {
    guint top, bottom;
    double pitch;
} bandpos;

static GArray *find_bands(GPtrArray *lines, const bool *skip)
{
    GArray *bands = g_array_new(FALSE, FALSE, sizeof(bandpos));
    guint floor_line = 0;   /* a band starts at or after it */
    for (guint i = 0; i < lines->len; i++) {
        pline *l = g_ptr_array_index(lines, i);
        if (i < floor_line || skip[i] || !is_header_line(l) || !followed_by_data(lines, i, skip))
            continue;
        double ext[2];
        bandpos b = { i, i, data_pitch(lines, i, skip, ext) };
        while (b.bottom - b.top + 1 < BAND_MAX_LINES && b.bottom + 1 < lines->len &&
               !skip[b.bottom + 1] &&
               band_line(g_ptr_array_index(lines, b.bottom + 1), g_ptr_array_index(lines, b.bottom),
                         b.pitch, ext))
            b.bottom++;
        while (b.bottom - b.top + 1 < BAND_MAX_LINES && b.top > floor_line && !skip[b.top - 1] &&
               band_line(g_ptr_array_index(lines, b.top - 1), g_ptr_array_index(lines, b.top),
                         b.pitch, ext) &&
               !title_line(g_ptr_array_index(lines, b.top - 1), g_ptr_array_index(lines, b.top)))
            b.top--;
        g_array_append_val(bands, b);
        floor_line = b.bottom + 1;
        i = b.bottom;
    }
    return bands;
}

/* ---- a table's columns ---- */

typedef struct table {
    GArray *cols;     /* hcell: the column names, left to right */
    GArray *groups;   /* hcell: group labels */
    char *key;        /* folded column names, to recognise a repeated header */
    int levels;       /* lines of the band */
} table;

static void table_free(table *t)
{
    if (!t)
        return;
    cells_free(t->cols);
    cells_free(t->groups);
    g_free(t->key);
    g_free(t);
}

static double centre(const hcell *c)
{
    return (c->x0 + c->x1) / 2;
}

static double overlap(double a0, double a1, double b0, double b1)
{
    return fmin(a1, b1) - fmax(a0, b0);
}

static int cmp_cell_x(const void *a, const void *b)
{
    double x = centre(a), y = centre(b);
    return x < y ? -1 : x > y;
}

typedef struct edge {
    double x;
    int d;   /* +1: a word starts covering, -1: it stops */
} edge;

static int cmp_edge(const void *a, const void *b)
{
    const edge *x = a, *y = b;
    if (x->x != y->x)
        return x->x < y->x ? -1 : 1;
    return x->d - y->d;   /* stops before starts at the same x */
}

/* Coverage of x by the words of `rows` (pline*), between lo and hi: the events, sorted. */
static GArray *coverage(GPtrArray *rows, double lo, double hi)
{
    GArray *ev = g_array_new(FALSE, FALSE, sizeof(edge));
    for (guint i = 0; i < rows->len; i++) {
        pline *l = g_ptr_array_index(rows, i);
        for (guint k = 0; k < l->words->len; k++) {
            pword *w = word_at(l, k);
            if (w->x1 <= lo || w->x0 >= hi)
                continue;
            edge s = { fmax(w->x0, lo), 1 }, e = { fmin(w->x1, hi), -1 };
            g_array_append_val(ev, s);
            g_array_append_val(ev, e);
        }
    }
    g_array_sort(ev, cmp_edge);
    return ev;
}

/* ---- clipped header names ----
 * A spreadsheet prints a header name wider than its column clipped at the column's edge, and
 * the next column's name starts right there: the text layer holds one word over two columns
 * (`AÑO-MONO. SERIE` for `AÑO-MODELO` | `NO. SERIE`) and one column would be lost. Such a
 * word of the column names' line is split at the character that starts exactly where the
 * values of the next column start: a strip no data line crosses, with data on both sides
 * under the word, and half the lines' values or more beginning right after it, not all the
 * same (a unit such as `4.5 TON` under one name is one column). A name that is header
 * vocabulary as a whole is left alone, and so is a band over fewer than CLIP_MIN_ROWS data
 * lines. A word that follows a space but starts exactly there begins a cell the same way
 * (`AÑO MOD. VERSIÓN`), and so does one that follows a name ending exactly where the values
 * of its column, right-aligned, end, when it starts in the strip no data line crosses (a
 * clipped name, `VALOR ASEGU`, with the next one printed just after it). */

#define CLIP_MIN_ROWS 3
#define CLIP_TOL 0.08        /* x line height: a character start this close to the values' */

/* x runs covered by the words of more than `thr` lines of `rows`, as (x0, x1) pairs. */
static GArray *covered_runs(GPtrArray *rows, int thr)
{
    GArray *ev = coverage(rows, -1e9, 1e9);
    GArray *runs = g_array_new(FALSE, FALSE, sizeof(double));
    int cov = 0;
    bool in_run = false;
    for (guint k = 0; k < ev->len; k++) {
        edge *e = &g_array_index(ev, edge, k);
        cov += e->d;
        if (!in_run && cov > thr) {
            g_array_append_val(runs, e->x);
            in_run = true;
        } else if (in_run && cov <= thr) {
            g_array_append_val(runs, e->x);
            in_run = false;
        }
    }
    g_array_free(ev, TRUE);
    if (in_run)
        g_array_set_size(runs, runs->len - 1);
    return runs;
}

/* Whether most data lines have a word starting at x (at_end: ending at x), and they are not
 * all the same. */
static bool values_edge_at(GPtrArray *rows, double x, double tol, bool at_end)
{
    guint n = 0;
    const char *first = NULL;
    bool differ = false;
    for (guint i = 0; i < rows->len; i++) {
        pline *l = g_ptr_array_index(rows, i);
        for (guint k = 0; k < l->words->len; k++) {
            pword *w = word_at(l, k);
            if (fabs((at_end ? w->x1 : w->x0) - x) <= tol) {
                n++;
                differ = differ || (first && strcmp(first, w->text) != 0);
                first = first ? first : w->text;
                break;
            }
        }
    }
    return differ && 2 * n >= rows->len;
}

static bool values_start_at(GPtrArray *rows, double x, double tol)
{
    return values_edge_at(rows, x, tol, false);
}

static bool known_name(const char *text)
{
    char *f = docs_fold(text);
    gchar **tok = g_strsplit(f, " ", -1);
    bool known = tok[0] != NULL;
    for (guint i = 0; tok[i] && known; i++)
        known = !*tok[i] || docs_header_vocab_count(tok[i]) > 0;
    g_strfreev(tok);
    g_free(f);
    return known;
}

/* The character of w (keeping two on each side) starting at x, within tol; 0 when none. */
static guint split_char(const pword *w, double x, double tol)
{
    guint best = 0;
    double best_d = tol;
    for (guint i = 2; w->cx && i + 2 <= w->n_cx; i++)
        if (fabs(w->cx[i] - x) <= best_d) {
            best_d = fabs(w->cx[i] - x);
            best = i;
        }
    return best;
}

static pword *word_piece(const pword *w, guint from, guint to)
{
    pword *p = g_new0(pword, 1);
    const char *s = g_utf8_offset_to_pointer(w->text, from);
    const char *e = g_utf8_offset_to_pointer(w->text, to);
    p->text = g_strndup(s, (gsize)(e - s));
    p->x0 = w->cx[from];
    p->x1 = to < w->n_cx ? w->cx[to] : w->x1;
    p->y0 = w->y0;
    p->y1 = w->y1;
    p->conf = w->conf;
    p->n_cx = to - from;
    p->cx = g_memdup2(w->cx + from, sizeof(double) * p->n_cx);
    p->cell_start = from > 0 || w->cell_start;
    return p;
}

/* Whether the words of l from k on that start before x reach past it: a name printed from
 * the left edge of its cell over values that begin further right (right-aligned years or
 * amounts). A name cannot run into the next cell (the sheet clips it there), so one that only
 * fills the strip between two columns' values stays with the name before it. */
static bool name_reaches(const pline *l, guint k, double x)
{
    for (guint j = k; j < l->words->len; j++) {
        const pword *w = g_ptr_array_index(l->words, j);
        if (w->x0 >= x)
            break;
        if (w->x1 > x)
            return true;
    }
    return false;
}

/* Splits the clipped names of line l over the data lines `rows`; whether any was. */
static bool split_line(pline *l, GPtrArray *rows, const GArray *runs)
{
    bool split = false;
    double tol = CLIP_TOL * l->h;
    for (guint k = 0; k < l->words->len; k++) {
        pword *w = word_at(l, k);
        if (w->n_cx < 4 || !w->cx || w->n_cx != g_utf8_strlen(w->text, -1) || known_name(w->text))
            continue;
        guint at = 0;
        for (guint r = 1; r + 2 < runs->len && !at; r += 2) {
            double a = g_array_index(runs, double, r), b = g_array_index(runs, double, r + 1);
            if (a <= w->x0 || b >= w->x1)
                continue;
            if (values_start_at(rows, b, tol))
                at = split_char(w, b, tol);
        }
        if (!at)
            continue;
        pword *left = word_piece(w, 0, at), *right = word_piece(w, at, w->n_cx);
        g_ptr_array_insert(l->words, (gint)k + 1, right);
        g_ptr_array_index(l->words, k) = left;
        docs_pword_free(w);
        split = true;   /* the right piece is looked at next: it may span a boundary too */
    }
    /* a name run on into the next one after a space (`AÑO MOD. VERSIÓN`): the word that
     * starts where the next column's values start begins a cell; so does the word after a
     * name clipped where its column's right-aligned values end, that starts in the strip no
     * data line crosses (`VALOR ASEGU CAPACIDAD (TON)`); and so does a word after a name over
     * the column before, that starts in that strip and runs on over the next column's values,
     * right-aligned further right (`SUB MARCA AÑO MODEL` over FOCUS | 2013) */
    for (guint k = 1; k < l->words->len; k++) {
        pword *w = word_at(l, k), *prev = word_at(l, k - 1);
        if (w->cell_start)
            continue;
        for (guint r = 1; r + 2 < runs->len; r += 2) {
            double a = g_array_index(runs, double, r), b = g_array_index(runs, double, r + 1);
            bool starts = fabs(w->x0 - b) <= tol && a > prev->x0 && values_start_at(rows, b, tol);
            bool clipped = fabs(prev->x1 - a) <= tol && w->x0 > a && w->x0 < b &&
                           values_edge_at(rows, a, tol, true);
            bool spans = prev->x0 < a && w->x0 > a + tol && w->x0 < b - tol && name_reaches(l, k, b + tol) &&
                         values_start_at(rows, b, tol);
            if (starts || clipped || spans) {
                w->cell_start = true;
                split = true;
                break;
            }
        }
    }
    return split;
}

static void refold(pline *l)
{
    GString *s = g_string_new(NULL);
    for (guint k = 0; k < l->words->len; k++)
        g_string_append_printf(s, "%s%s", s->len ? " " : "", word_at(l, k)->text);
    g_free(l->folded);
    l->folded = docs_fold(s->str);
    g_string_free(s, TRUE);
}

/* The band's column names (its line `bottom`) with their clipped names split over the data lines `rows`. */
static void split_clipped(GPtrArray *lines, guint bottom, GPtrArray *rows)
{
    if (rows->len < CLIP_MIN_ROWS)
        return;
    GArray *runs = covered_runs(rows, (int)(rows->len / 10));
    pline *l = g_ptr_array_index(lines, bottom);
    if (split_line(l, rows, runs))
        refold(l);
    g_array_free(runs, TRUE);
}

/* Whether the data under a band cell with no column name below it form a column of their
 * own (a name merged down the band's lines) rather than running on into a named column (a
 * group label over a wide column): the runs of x covered by data words (by more than one
 * line in twenty) under the cell must not reach a column name. */
static bool own_column(const hcell *up, GArray *cols, guint n_cols, GPtrArray *rows)
{
    GArray *ev = coverage(rows, -1e9, 1e9);
    int thr = (int)(rows->len / 20), cov = 0;
    double from = -1e9, run0 = 0;
    bool in_run = false, own = true;
    for (guint k = 0; k <= ev->len && own; k++) {
        double x = k < ev->len ? g_array_index(ev, edge, k).x : 1e9;
        if (x > from) {
            bool covered = cov > thr;
            if (covered && !in_run)
                run0 = from;
            if (!covered && in_run && overlap(run0, from, up->x0, up->x1) > 0)
                for (guint c = 0; c < n_cols && own; c++) {
                    hcell *h = &g_array_index(cols, hcell, c);
                    own = overlap(run0, from, h->x0, h->x1) <= 0;
                }
            in_run = covered;
            from = x;
        }
        if (k < ev->len)
            cov += g_array_index(ev, edge, k).d;
    }
    g_array_free(ev, TRUE);
    return own;
}

/* The band read bottom up (see the top of the file). */
static table *make_table(GPtrArray *lines, const bandpos *b, GPtrArray *rows)
{
    table *t = g_new0(table, 1);
    t->levels = (int)(b->bottom - b->top + 1);
    t->cols = group_cells(g_ptr_array_index(lines, b->bottom));
    t->groups = g_array_new(FALSE, FALSE, sizeof(hcell));
    int ids = 0;
    for (guint c = 0; c < t->cols->len; c++) {
        g_array_index(t->cols, hcell, c).level = t->levels - 1;
        g_array_index(t->cols, hcell, c).id = ids++;
    }
    for (guint li = b->bottom; li-- > b->top;) {
        pline *l = g_ptr_array_index(lines, li);
        GArray *cells = group_cells(l);
        guint n_cols = t->cols->len;   /* cells of this line are matched against lower ones */
        for (guint k = 0; k < cells->len; k++) {
            hcell *up = &g_array_index(cells, hcell, k);
            up->level = (int)(li - b->top);
            double pad = 0.5 * l->h;
            int under = 0, only = -1;
            for (guint c = 0; c < n_cols; c++) {
                hcell *h = &g_array_index(t->cols, hcell, c);
                if (overlap(up->x0 - pad, up->x1 + pad, h->x0, h->x1) > 0) {
                    under++;
                    only = (int)c;
                }
            }
            if (under == 0 && own_column(up, t->cols, n_cols, rows)) {   /* merged down */
                up->id = ids++;
                g_array_append_val(t->cols, *up);
                up->text = NULL;
                continue;
            }
            hcell *h = only >= 0 ? &g_array_index(t->cols, hcell, only) : NULL;
            if (h && overlap(up->x0, up->x1, h->x0, h->x1) >= 0.5 * (up->x1 - up->x0))
                up->child = h->id;   /* settled once the columns are known (settle_wraps) */
            g_array_append_val(t->groups, *up);
            up->text = NULL;
        }
        cells_free(cells);
    }
    g_array_sort(t->cols, cmp_cell_x);
    return t;
}

static void table_key(table *t)
{
    GString *key = g_string_new(NULL);
    for (guint c = 0; c < t->cols->len; c++) {
        char *f = docs_fold(g_array_index(t->cols, hcell, c).text);
        g_string_append_printf(key, "%s|", f);
        g_free(f);
    }
    g_free(t->key);
    t->key = g_string_free(key, FALSE);
}

/* ---- boundaries ---- */

/* The widest strip of [lo, hi] crossed by at most `thr` words (thr < 0: by the fewest); its
 * middle in *at. Returns the strip's width (0 when none qualifies). */
static double best_strip(GPtrArray *rows, double lo, double hi, int thr, double *at)
{
    GArray *ev = coverage(rows, lo, hi);
    int cov = 0, best_cov = -1;
    double from = lo, best_w = 0, run_start = lo;
    bool in_run = false;
    *at = (lo + hi) / 2;
    for (guint k = 0; k <= ev->len; k++) {
        double x = k < ev->len ? g_array_index(ev, edge, k).x : hi;
        if (x > from) {   /* [from, x) has coverage cov */
            if (thr < 0) {
                if (best_cov < 0 || cov < best_cov || (cov == best_cov && x - from > best_w)) {
                    best_cov = cov;
                    best_w = x - from;
                    *at = (from + x) / 2;
                }
            } else if (cov <= thr) {
                if (!in_run)
                    run_start = from;
                in_run = true;
                if (x - run_start > best_w) {
                    best_w = x - run_start;
                    *at = (run_start + x) / 2;
                }
            } else {
                in_run = false;
            }
            from = x;
        }
        if (k < ev->len)
            cov += g_array_index(ev, edge, k).d;
    }
    g_array_free(ev, TRUE);
    return thr < 0 ? 0 : best_w;
}

typedef struct span {
    double x0, x1;
} span;

/* Whether most lines' text in a run starts at one x: vs. ends at one x. */
static bool aligned(GArray *edges, double tol)
{
    if (edges->len < 3)
        return false;
    g_array_sort(edges, docs_cmp_double);
    double med = g_array_index(edges, double, edges->len / 2);
    guint near = 0;
    for (guint i = 0; i < edges->len; i++)
        near += fabs(g_array_index(edges, double, i) - med) <= tol;
    return near * 5 >= edges->len * 4;
}

/* Which column a run of data under neither column name belongs to, from its alignment:
 * values aligned on their right edge sit at the right border of their cell, so the cell
 * and its name lie to the left (-1); left-aligned ones belong to the column on the right
 * (+1); centred values, or values of one width, do not tell (0). */
static int run_alignment(GPtrArray *rows, const span *r)
{
    GArray *lefts = g_array_new(FALSE, FALSE, sizeof(double));
    GArray *rights = g_array_new(FALSE, FALSE, sizeof(double));
    double tol = INFINITY;
    for (guint i = 0; i < rows->len; i++) {
        pline *l = g_ptr_array_index(rows, i);
        double lo = INFINITY, hi = -INFINITY;
        for (guint k = 0; k < l->words->len; k++) {
            pword *w = word_at(l, k);
            if (overlap(w->x0, w->x1, r->x0, r->x1) > 0) {
                lo = fmin(lo, w->x0);
                hi = fmax(hi, w->x1);
            }
        }
        if (lo < hi) {
            g_array_append_val(lefts, lo);
            g_array_append_val(rights, hi);
            tol = fmin(tol, 0.05 * l->h);
        }
    }
    bool left = aligned(lefts, tol), right = aligned(rights, tol);
    g_array_free(lefts, TRUE);
    g_array_free(rights, TRUE);
    return left == right ? 0 : right ? -1 : 1;
}

/* Whether the words of most lines under run r are whole numbers (a spreadsheet right-aligns
 * numbers). */
static bool run_numeric(GPtrArray *rows, const span *r)
{
    guint lines = 0, numeric = 0;
    for (guint i = 0; i < rows->len; i++) {
        pline *l = g_ptr_array_index(rows, i);
        bool any = false, digits = true;
        for (guint k = 0; k < l->words->len; k++) {
            pword *w = word_at(l, k);
            if (overlap(w->x0, w->x1, r->x0, r->x1) <= 0)
                continue;
            any = true;
            for (const char *p = w->text; *p && digits; p++)
                digits = g_ascii_isdigit(*p);
        }
        lines += any;
        numeric += any && digits;
    }
    return lines > 0 && numeric * 5 >= lines * 4;
}

/* The boundary between the neighbouring columns L and R. Between their names' centres the
 * data lines leave runs of x that most lines cover (a column's values, or the part of them
 * that lies there) and gaps that at most `thr` lines cross. Each run belongs to the column
 * whose name it lies under, or else as its alignment tells (run_alignment); the boundary is the
 * middle of the gap where the runs of L end and those of R begin: the split that puts the
 * fewest runs on the wrong side, the widest gap among those. Without a gap, the strip the
 * fewest words cross. */
static double cut_between(GPtrArray *rows, const hcell *L, const hcell *R, int thr)
{
    double a = centre(L), b = centre(R);
    if (b <= a)
        return (a + b) / 2;
    GArray *ev = coverage(rows, a, b);
    GArray *runs = g_array_new(FALSE, FALSE, sizeof(span));
    int cov = 0;
    double from = a;
    bool in_run = false;
    for (guint k = 0; k <= ev->len; k++) {
        double x = k < ev->len ? g_array_index(ev, edge, k).x : b;
        if (x > from) {
            bool covered = cov > thr;
            if (covered && in_run)
                g_array_index(runs, span, runs->len - 1).x1 = x;
            else if (covered)
                g_array_append_val(runs, ((span){ from, x }));
            in_run = covered;
            from = x;
        }
        if (k < ev->len)
            cov += g_array_index(ev, edge, k).d;
    }
    g_array_free(ev, TRUE);
    guint m = runs->len;
    double at = (a + b) / 2;
    bool gap = m == 0 || g_array_index(runs, span, 0).x0 > a ||
               g_array_index(runs, span, m - 1).x1 < b || m > 1;
    if (!gap) {
        double lo = L->x1 < R->x0 ? L->x1 : a, hi = L->x1 < R->x0 ? R->x0 : b;
        best_strip(rows, lo, hi, -1, &at);
    } else if (m > 0) {
        int *side = g_new(int, m);   /* -1 L's, +1 R's, 0 either */
        for (guint i = 0; i < m; i++) {
            span *r = &g_array_index(runs, span, i);
            double ol = overlap(r->x0, r->x1, L->x0, L->x1), or = overlap(r->x0, r->x1, R->x0, R->x1);
            side[i] = ol > 0 && ol >= or ? -1 : or > 0 ? 1 : run_alignment(rows, r);
        }
        /* Numbers of one width (years) look aligned on both edges. A name printed where its
         * column's values start (or end) is the edge of its cell: such a run left of where
         * R's name and values start is L's; right of where L's name and values end, R's. */
        double tol = rows->len ? 0.3 * ((pline *)g_ptr_array_index(rows, 0))->h : 0;
        bool r_starts = false, l_ends = false;
        for (guint i = 0; i < m; i++) {
            span *r = &g_array_index(runs, span, i);
            r_starts = r_starts || (side[i] > 0 && fabs(r->x0 - R->x0) <= tol);
            l_ends = l_ends || (side[i] < 0 && fabs(r->x1 - L->x1) <= tol);
        }
        for (guint i = 0; i < m; i++) {
            span *r = &g_array_index(runs, span, i);
            if (side[i] != 0 || !run_numeric(rows, r))
                continue;
            if (r_starts && r->x1 <= R->x0 && !(l_ends && r->x0 >= L->x1))
                side[i] = -1;
            else if (l_ends && r->x0 >= L->x1 && !(r_starts && r->x1 <= R->x0))
                side[i] = 1;
        }
        int best_cost = -1;
        double best_w = -1;
        for (guint k = 0; k <= m; k++) {   /* runs [0, k) left, [k, m) right */
            int cost = 0;
            for (guint i = 0; i < m; i++)
                cost += i < k ? side[i] > 0 : side[i] < 0;
            double g0 = k == 0 ? a : g_array_index(runs, span, k - 1).x1;
            double g1 = k == m ? b : g_array_index(runs, span, k).x0;
            if (best_cost < 0 || cost < best_cost || (cost == best_cost && g1 - g0 > best_w)) {
                best_cost = cost;
                best_w = g1 - g0;
                at = (g0 + g1) / 2;
            }
        }
        g_free(side);
    }
    g_array_free(runs, TRUE);
    return at;
}

/* Boundaries (n - 1) between the n columns, from the data lines `rows` (a gap may be
 * crossed by one line in ten: a value that overflows its cell, a noisy box). */
static double *column_cuts(const table *t, GPtrArray *rows)
{
    guint n = t->cols->len;
    double *cut = g_new0(double, n ? n : 1);
    int thr = (int)(rows->len / 10);
    for (guint c = 0; c + 1 < n; c++) {
        double at = cut_between(rows, &g_array_index(t->cols, hcell, c),
                                &g_array_index(t->cols, hcell, c + 1), thr);
        cut[c] = c > 0 && at < cut[c - 1] ? cut[c - 1] : at;
    }
    return cut;
}

/* The column (cut[] ascending) a word overlaps most: those holding its two ends, and the
 * ones between them. */
static guint col_at(double x, const double *cut, guint n)
{
    guint lo = 0, hi = n ? n - 1 : 0;   /* the column whose span holds x */
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (x < cut[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static guint word_col(const pword *w, const double *cut, guint n)
{
    guint a = col_at(w->x0, cut, n), b = col_at(w->x1, cut, n);
    guint best = a;
    double best_ov = -INFINITY;
    for (guint c = a; c <= b && c < n; c++) {
        double lo = c == 0 ? -INFINITY : cut[c - 1], hi = c + 1 == n ? INFINITY : cut[c];
        double ov = fmin(w->x1, hi) - fmax(w->x0, lo);
        if (ov > best_ov + 1e-9) {
            best_ov = ov;
            best = c;
        }
    }
    return best;
}

static guint filled_cols(const pline *l, const double *cut, guint n)
{
    bool *hit = g_new0(bool, n ? n : 1);
    guint count = 0;
    for (guint k = 0; k < l->words->len; k++) {
        guint c = word_col(word_at(l, k), cut, n);
        count += !hit[c];
        hit[c] = true;
    }
    g_free(hit);
    return count;
}

/* Words of the line that run across a boundary (by more than a quarter of the line height
 * on each side): a paragraph does, table cells do not. */
static guint straddles(const pline *l, const double *cut, guint n)
{
    guint count = 0;
    double t = 0.25 * l->h;
    for (guint k = 0; k < l->words->len; k++) {
        pword *w = word_at(l, k);
        count += w->x1 - w->x0 > 2 * t && col_at(w->x0 + t, cut, n) != col_at(w->x1 - t, cut, n);
    }
    return count;
}

static bool foreign(const pline *l, const double *cut, guint n)
{
    return straddles(l, cut, n) * 4 > l->words->len;
}

static bool table_row(const pline *l, const double *cut, guint n)
{
    return row_like(l) && (n < 2 || filled_cols(l, cut, n) >= 2) && !foreign(l, cut, n);
}

static bool full_row(const pline *l, const double *cut, guint n)
{
    guint need = (n + 1) / 2 > 2 ? (n + 1) / 2 : 2;
    return table_row(l, cut, n) && filled_cols(l, cut, n) >= (n < need ? n : need);
}

/* The cells' edges, as well as the data tell them: a column whose values are left-aligned
 * starts just before them, a right-aligned one ends just after them; elsewhere the edge is
 * the boundary between the columns, and at the ends of the table the extent of its words. */
static void cell_edges(const table *t, const double *cut, GPtrArray *rows, double *clo, double *chi)
{
    guint n = t->cols->len;
    double lo = INFINITY, hi = -INFINITY, pad = 0;
    GArray **lefts = g_new(GArray *, n), **rights = g_new(GArray *, n);
    for (guint c = 0; c < n; c++) {
        lefts[c] = g_array_new(FALSE, FALSE, sizeof(double));
        rights[c] = g_array_new(FALSE, FALSE, sizeof(double));
    }
    double tol = INFINITY;
    for (guint i = 0; i < rows->len; i++) {
        pline *l = g_ptr_array_index(rows, i);
        for (guint k = 0; k < l->words->len; k++) {
            pword *w = word_at(l, k);
            guint c = word_col(w, cut, n);
            bool first = k == 0 || word_col(word_at(l, k - 1), cut, n) != c;
            bool last = k + 1 == l->words->len || word_col(word_at(l, k + 1), cut, n) != c;
            if (first)
                g_array_append_val(lefts[c], w->x0);
            if (last)
                g_array_append_val(rights[c], w->x1);
            lo = fmin(lo, w->x0);
            hi = fmax(hi, w->x1);
        }
        tol = fmin(tol, 0.05 * l->h);
        pad = fmax(pad, 0.2 * l->h);
    }
    for (guint c = 0; c < n; c++) {
        clo[c] = c ? cut[c - 1] : fmin(lo, g_array_index(t->cols, hcell, 0).x0);
        chi[c] = c + 1 < n ? cut[c] : fmax(hi, g_array_index(t->cols, hcell, n - 1).x1);
    }
    for (guint c = 0; c < n; c++) {
        bool left = aligned(lefts[c], tol), right = aligned(rights[c], tol);
        if (left && !right) {
            double e = g_array_index(lefts[c], double, lefts[c]->len / 2) - pad;   /* sorted */
            clo[c] = e;
            if (c > 0 && !(aligned(rights[c - 1], tol) && !aligned(lefts[c - 1], tol)))
                chi[c - 1] = e;
        } else if (right && !left) {
            double e = g_array_index(rights[c], double, rights[c]->len / 2) + pad;
            chi[c] = e;
            if (c + 1 < n)
                clo[c + 1] = e;
        }
    }
    for (guint c = 0; c < n; c++) {
        g_array_free(lefts[c], TRUE);
        g_array_free(rights[c], TRUE);
    }
    g_free(lefts);
    g_free(rights);
}

/* The group labels' spans: from the columns under its text, widened over the columns (whose
 * names are printed lower than the label) that centre it best, relative to the span's
 * width (the columns' edges are only known to within their gaps); a label that no span
 * centres is a title and is dropped. */
static void group_spans(table *t, const double *cut, GPtrArray *rows, double h)
{
    guint n = t->cols->len;
    if (n == 0)
        return;
    double *clo = g_new(double, n), *chi = g_new(double, n);
    int *claimed = g_new(int, n);   /* level + 1 of the group holding the column, 0 none */
    cell_edges(t, cut, rows, clo, chi);
    for (guint c = 0; c < n; c++)
        claimed[c] = 0;
    g_array_sort(t->groups, cmp_cell_x);
    for (guint g = 0; g < t->groups->len; g++) {
        hcell *lab = &g_array_index(t->groups, hcell, g);
        lab->first = lab->last = -1;
        if (lab->child == -2)
            continue;
        int a = -1, b = -1;
        for (guint c = 0; c < n; c++)
            if (overlap(lab->x0, lab->x1, clo[c], chi[c]) > 0) {
                if (a < 0)
                    a = (int)c;
                b = (int)c;
            }
        if (a < 0)
            continue;
        double best = INFINITY;
        int bi = -1, bj = -1;
        for (int i = a; i >= 0 && i >= a - SPAN_REACH; i--) {
            hcell *ci = &g_array_index(t->cols, hcell, i);
            if (i < a && (ci->level <= lab->level || claimed[i] == lab->level + 1))
                break;
            for (int j = b; j < (int)n && j <= b + SPAN_REACH; j++) {
                hcell *cj = &g_array_index(t->cols, hcell, j);
                if (j > b && (cj->level <= lab->level || claimed[j] == lab->level + 1))
                    break;
                double ml = lab->x0 - clo[i], mr = chi[j] - lab->x1;
                double d = fabs(ml - mr), rel = d / (fabs(ml) + fabs(mr) + h);
                if (d <= 0.3 * fabs(ml + mr) + h && rel < best) {
                    best = rel;
                    bi = i;
                    bj = j;
                }
            }
        }
        if (bi < 0)
            continue;
        lab->first = bi;
        lab->last = bj;
        for (int c = bi; c <= bj; c++)
            claimed[c] = lab->level + 1;
    }
    g_free(clo);
    g_free(chi);
    g_free(claimed);
}

/* A band cell over a single column name: aligned with the name (centred on it, or starting
 * or ending with it) it is the first part of that name wrapped over two lines; otherwise a
 * group label when a span of columns centres it; otherwise a title above the table. The
 * lowest cells first, so a name wrapped over three lines is joined in order. */
static void settle_wraps(table *t, double h)
{
    double tol = fmax(1.0, 0.3 * h);
    for (int lv = t->levels - 1; lv >= 0; lv--)
        for (guint g = 0; g < t->groups->len; g++) {
            hcell *up = &g_array_index(t->groups, hcell, g);
            if (up->level != lv || up->child < 0)
                continue;
            hcell *col = NULL;
            for (guint c = 0; c < t->cols->len && !col; c++)
                if (g_array_index(t->cols, hcell, c).id == up->child)
                    col = &g_array_index(t->cols, hcell, c);
            if (col && (fabs(centre(up) - centre(col)) <= tol || fabs(up->x0 - col->x0) <= tol ||
                        fabs(up->x1 - col->x1) <= tol)) {
                char *joined = g_strconcat(up->text, " ", col->text, NULL);
                g_free(col->text);
                col->text = joined;
                col->x0 = fmin(col->x0, up->x0);
                col->x1 = fmax(col->x1, up->x1);
                up->child = -2;
                up->first = up->last = -1;
            } else {
                up->child = up->first >= 0 ? -1 : -2;
            }
        }
}

/* ---- rows ---- */

typedef struct out {
    GPtrArray *rows;   /* prow* */
    long number;
} out;

/* Appends a row; takes cells and conf (may be NULL: no cell read by OCR). */
static void emit(out *o, long number, guint n, char **cells, double *conf)
{
    prow *r = g_new0(prow, 1);
    r->number = number;
    r->n = (int)n;
    r->cells = cells;
    r->conf = conf;
    g_ptr_array_add(o->rows, r);
}

/* The band: a row per line of group labels, then the column names. */
static void emit_band(out *o, const table *t, bool first_table)
{
    guint n = t->cols->len;
    int rows_out = 0;
    for (int lv = 0; lv < t->levels; lv++)
        for (guint g = 0; g < t->groups->len; g++)
            if (g_array_index(t->groups, hcell, g).level == lv &&
                g_array_index(t->groups, hcell, g).first >= 0) {
                rows_out++;
                break;
            }
    long number = first_table ? -rows_out : o->number + 1;
    for (int lv = 0; lv < t->levels; lv++) {
        char **cells = NULL;
        for (guint g = 0; g < t->groups->len; g++) {
            hcell *lab = &g_array_index(t->groups, hcell, g);
            if (lab->level != lv || lab->first < 0)
                continue;
            if (!cells)
                cells = g_new0(char *, n);
            for (int c = lab->first; c <= lab->last; c++) {
                g_free(cells[c]);
                cells[c] = g_strdup(lab->text);
            }
        }
        if (!cells)
            continue;
        for (guint c = 0; c < n; c++)
            if (!cells[c])
                cells[c] = g_strdup("");
        emit(o, number++, n, cells, NULL);
    }
    char **names = g_new0(char *, n ? n : 1);
    for (guint c = 0; c < n; c++)
        names[c] = g_strdup(g_array_index(t->cols, hcell, c).text);
    emit(o, number, n, names, NULL);
    o->number = number;
}

/* One data line (with the fragments of its wrapped cells printed above / below it, may be
 * NULL) -> a row of n columns split at the boundaries. */
static void emit_data(out *o, const pline *pre, const pline *l, const pline *post,
                      const double *cut, guint n)
{
    GString **cell = g_new0(GString *, n ? n : 1);
    double *end = g_new(double, n ? n : 1);   /* right end of the cell's last word */
    double *conf = NULL;                      /* cells read by OCR: their lowest word's */
    const pline *parts[3] = { pre, l, post };
    for (int p = 0; p < 3; p++) {
        for (guint c = 0; c < n; c++)
            end[c] = -INFINITY;
        for (guint k = 0; parts[p] && k < parts[p]->words->len; k++) {
            pword *w = word_at(parts[p], k);
            guint c = word_col(w, cut, n);
            if (!cell[c])
                cell[c] = g_string_new(NULL);
            else if (w->x0 - end[c] > 0.1 * parts[p]->h)   /* touching glyphs: one word */
                g_string_append_c(cell[c], ' ');
            g_string_append(cell[c], w->text);
            end[c] = w->x1;
            if (w->conf >= 0) {
                if (!conf) {
                    conf = g_new(double, n ? n : 1);
                    for (guint i = 0; i < n; i++)
                        conf[i] = -1;
                }
                if (conf[c] < 0 || w->conf < conf[c])
                    conf[c] = w->conf;
            }
        }
    }
    g_free(end);
    char **cells = g_new0(char *, n ? n : 1);
    for (guint c = 0; c < n; c++)
        cells[c] = cell[c] ? g_string_free(cell[c], FALSE) : g_strdup("");
    g_free(cell);
    emit(o, ++o->number, n, cells, conf);
}

static int cmp_uint(const void *a, const void *b)
{
    guint x = *(const guint *)a, y = *(const guint *)b;
    return x < y ? -1 : x > y;
}

/* Wrapped data cells. A cell wrapped over two lines leaves a fragment line holding a few
 * columns between two full lines. Bottom-aligned rows print the fragment above the rest of
 * its row, top-aligned ones below, so which row it belongs to shows in the spacing: from the
 * previous row's line to the first line of a row is the table's usual pitch, within a row
 * the (smaller) line spacing. A fragment joins its row only when the two distances tell
 * that clearly; otherwise it stays a line of its own. pre[k] / post[k] (indexes into seg,
 * -1 when none) receive, for each line k, the fragment printed above / below it; joined[k]
 * marks the fragments. */
static void find_fragments(GPtrArray *seg, const double *cut, guint n, int *pre, int *post,
                           bool *joined)
{
    guint m = seg->len;
    if (m < 3)
        return;
    guint *cnt = g_new(guint, m), *sorted = g_new(guint, m);
    for (guint k = 0; k < m; k++)
        sorted[k] = cnt[k] = filled_cols(g_ptr_array_index(seg, k), cut, n);
    qsort(sorted, m, sizeof(guint), cmp_uint);
    guint med = sorted[m / 2];
    g_free(sorted);
    guint full_min = med / 2 > 2 ? med / 2 : 2, frag_max = med / 3 > 1 ? med / 3 : 1;
    GArray *pitch = g_array_new(FALSE, FALSE, sizeof(double));
#define FULL(j) (cnt[(j)] >= full_min)
#define YC(j) (((pline *)g_ptr_array_index(seg, (j)))->yc)
#define PG(j) (((pline *)g_ptr_array_index(seg, (j)))->page)
    if (frag_max >= full_min)
        goto done;
    for (guint j = 1; j < m; j++)
        if (FULL(j - 1) && FULL(j) && PG(j) == PG(j - 1)) {
            double d = YC(j) - YC(j - 1);
            g_array_append_val(pitch, d);
        }
    if (pitch->len == 0)
        goto done;
    g_array_sort(pitch, docs_cmp_double);
    double p = g_array_index(pitch, double, pitch->len / 2);
    for (guint j = 1; j + 1 < m; j++) {
        if (cnt[j] > frag_max || !FULL(j - 1) || !FULL(j + 1) || PG(j - 1) != PG(j + 1))
            continue;
        double da = YC(j) - YC(j - 1), dz = YC(j + 1) - YC(j);
        if (da > 1.15 * dz && fabs(da - p) <= 0.2 * p && pre[j + 1] < 0) {
            pre[j + 1] = (int)j;
            joined[j] = true;
        } else if (dz > 1.15 * da && fabs(dz - p) <= 0.2 * p && post[j - 1] < 0) {
            post[j - 1] = (int)j;
            joined[j] = true;
        }
    }
done:
#undef FULL
#undef YC
#undef PG
    g_array_free(pitch, TRUE);
    g_free(cnt);
}

/* The lines of one table segment (the lines after a band, up to the next band) that are
 * its rows: from the first line to the last table row on a page that holds a full row, or
 * to a TOTAL line; paragraphs in between are left out. */
static GPtrArray *segment_rows(GPtrArray *cand, const double *cut, guint n)
{
    GPtrArray *seg = g_ptr_array_new();
    int end = -1, page = -1;
    bool page_full = false;
    bool *page_ok = g_new0(bool, cand->len + 1);
    /* a page counts when it holds a full row */
    for (guint k = 0; k < cand->len; k++) {
        pline *l = g_ptr_array_index(cand, k);
        if (l->page != page) {
            page = l->page;
            page_full = false;
            for (guint j = k; j < cand->len && ((pline *)g_ptr_array_index(cand, j))->page == page; j++)
                if (full_row(g_ptr_array_index(cand, j), cut, n)) {
                    page_full = true;
                    break;
                }
        }
        page_ok[k] = page_full;
        if (is_total_line(l)) {
            end = (int)k;
            break;
        }
        if (page_full && table_row(l, cut, n))
            end = (int)k;
    }
    for (int k = 0; k <= end; k++) {
        pline *l = g_ptr_array_index(cand, k);
        if (page_ok[k] && (k == end || !foreign(l, cut, n)))
            g_ptr_array_add(seg, l);
    }
    g_free(page_ok);
    return seg;
}

static void emit_segment(out *o, GPtrArray *seg, const double *cut, guint n)
{
    guint m = seg->len;
    int *pre = g_new(int, m + 1), *post = g_new(int, m + 1);
    bool *joined = g_new0(bool, m + 1);
    for (guint k = 0; k < m; k++)
        pre[k] = post[k] = -1;
    find_fragments(seg, cut, n, pre, post, joined);
    for (guint k = 0; k < m; k++) {
        if (joined[k])
            continue;
        emit_data(o, pre[k] >= 0 ? g_ptr_array_index(seg, (guint)pre[k]) : NULL,
                  g_ptr_array_index(seg, k),
                  post[k] >= 0 ? g_ptr_array_index(seg, (guint)post[k]) : NULL, cut, n);
    }
    g_free(pre);
    g_free(post);
    g_free(joined);
}

/* ---- page headers and footers ---- */

/* Lines printed with the same text at the same height in the top or bottom margin of two
 * or more pages (band lines excepted: a repeated header is recognised as such). */
static void mark_furniture(GPtrArray *lines, bool *skip, const bool *in_band)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify)g_array_unref);
    for (guint i = 0; i < lines->len; i++) {
        pline *l = g_ptr_array_index(lines, i);
        if (skip[i] || in_band[i] || l->page_h <= 0 ||
            (l->yc > MARGIN_SHARE * l->page_h && l->yc < (1 - MARGIN_SHARE) * l->page_h))
            continue;
        GArray *a = g_hash_table_lookup(seen, l->folded);
        if (!a) {
            a = g_array_new(FALSE, FALSE, sizeof(guint));
            g_hash_table_insert(seen, l->folded, a);
        }
        if (a->len < 1024)
            g_array_append_val(a, i);
    }
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, seen);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        GArray *a = val;
        for (guint x = 0; x < a->len; x++) {
            pline *lx = g_ptr_array_index(lines, g_array_index(a, guint, x));
            for (guint y = 0; y < a->len; y++) {
                pline *ly = g_ptr_array_index(lines, g_array_index(a, guint, y));
                if (lx->page != ly->page &&
                    fabs(lx->yc - ly->yc) <= fmax(2.0, 0.005 * lx->page_h)) {
                    skip[g_array_index(a, guint, x)] = true;
                    break;
                }
            }
        }
    }
    g_hash_table_destroy(seen);
}

/* ---- the document ---- */

static void every_line(out *o, GPtrArray *lines)
{
    for (guint i = 0; i < lines->len; i++) {
        GArray *cells = group_cells(g_ptr_array_index(lines, i));
        char **texts = g_new0(char *, cells->len ? cells->len : 1);
        for (guint c = 0; c < cells->len; c++)
            texts[c] = g_strdup(g_array_index(cells, hcell, c).text);
        emit(o, (long)i + 1, cells->len, texts, NULL);
        cells_free(cells);
    }
}

/* The row-like lines of a segment before its TOTAL line. */
static GPtrArray *data_lines(GPtrArray *cand)
{
    GPtrArray *rows = g_ptr_array_new();
    for (guint k = 0; k < cand->len; k++) {
        pline *l = g_ptr_array_index(cand, k);
        if (is_total_line(l))
            break;
        if (row_like(l))
            g_ptr_array_add(rows, l);
    }
    return rows;
}

/* Boundaries for a segment: from its row-like lines first, then again from those that
 * turned out to be table rows (a paragraph must not fill the gaps between columns). */
static double *segment_cuts(const table *t, GPtrArray *cand)
{
    GPtrArray *rows = data_lines(cand);
    double *cut = column_cuts(t, rows);
    guint n = t->cols->len;
    GPtrArray *kept = g_ptr_array_new();
    for (guint k = 0; k < rows->len; k++)
        if (table_row(g_ptr_array_index(rows, k), cut, n))
            g_ptr_array_add(kept, g_ptr_array_index(rows, k));
    if (kept->len >= 2 && kept->len < rows->len) {
        g_free(cut);
        cut = column_cuts(t, kept);
    }
    g_ptr_array_free(kept, TRUE);
    g_ptr_array_free(rows, TRUE);
    return cut;
}

/* The lines of `rows` with a word over [x0, x1]. */
static guint lines_over(GPtrArray *rows, double x0, double x1)
{
    guint n = 0;
    for (guint i = 0; i < rows->len; i++) {
        pline *l = g_ptr_array_index(rows, i);
        for (guint k = 0; k < l->words->len; k++)
            if (overlap(word_at(l, k)->x0, word_at(l, k)->x1, x0, x1) > 0) {
                n++;
                break;
            }
    }
    return n;
}

/* u, a band on a later page, is a better reading of t's band printed again there (OCR may
 * drop or garble a name on one page), not the header of another table: u has more columns
 * and holds at least two thirds of t's names, each where t printed it (up to one shift of
 * the whole page, as a scan's pages have), and t's own data lines `rows` have values under
 * every name u adds. A table of trucks after one of cars names the cars' columns too, but
 * the columns it adds push the shared ones aside, or have nothing of the cars under them. */
static bool reads_better(const table *t, const table *u, GPtrArray *rows, double h)
{
    guint nt = t->cols->len, nu = u->cols->len;
    if (nu <= nt || nt < 2)
        return false;
    int *match = g_new(int, nu);   /* u's column -> t's column of the same name, -1 none */
    double *shift = g_new(double, nt);
    guint same = 0;
    for (guint d = 0; d < nu; d++)
        match[d] = -1;
    for (guint c = 0; c < nt; c++) {
        const hcell *tc = &g_array_index(t->cols, hcell, c);
        for (guint d = 0; d < nu; d++) {
            const hcell *uc = &g_array_index(u->cols, hcell, d);
            if (match[d] < 0 && g_ascii_strcasecmp(tc->text, uc->text) == 0) {
                match[d] = (int)c;
                shift[same++] = centre(uc) - centre(tc);
                break;
            }
        }
    }
    bool better = same >= 2 && 3 * same >= 2 * nt;
    double page_shift = 0;
    if (better) {
        qsort(shift, same, sizeof *shift, docs_cmp_double);
        page_shift = shift[same / 2];
        for (guint i = 0; i < same && better; i++)
            better = fabs(shift[i] - page_shift) <= REPEAT_SHIFT * h;
    }
    for (guint d = 0; d < nu && better; d++) {
        const hcell *uc = &g_array_index(u->cols, hcell, d);
        if (match[d] < 0)
            better = REPEAT_FILL * lines_over(rows, uc->x0 - page_shift - 0.5 * h,
                                              uc->x1 - page_shift + 0.5 * h) >= rows->len;
    }
    g_free(match);
    g_free(shift);
    return better;
}

/* A new table's columns, group labels and wrapped names, settled on the data of its first
 * segment; returns the boundaries. */
static double *settle_table(table *t, GPtrArray *cand, double h)
{
    GPtrArray *rows = data_lines(cand);
    double *cut = segment_cuts(t, cand);
    group_spans(t, cut, rows, h);
    settle_wraps(t, h);
    g_free(cut);
    cut = segment_cuts(t, cand);
    group_spans(t, cut, rows, h);
    table_key(t);
    g_ptr_array_free(rows, TRUE);
    return cut;
}

int docs_pdf_build_rows(docs_book *bk, GPtrArray *lines, GPtrArray *rows, minca_err *err)
{
    out o = { rows, 0 };
    guint n_lines = lines->len;
    bool *skip = g_new0(bool, n_lines + 1), *in_band = g_new0(bool, n_lines + 1);
    for (guint i = 0; i < n_lines; i++)
        skip[i] = is_page_number(g_ptr_array_index(lines, i));
    GArray *bands = find_bands(lines, skip);
    int rc = 0;
    table *cur = NULL;
    double *cut = NULL;
    if (bands->len == 0) {
        every_line(&o, lines);
        goto done;
    }
    for (guint b = 0; b < bands->len; b++)
        for (guint i = g_array_index(bands, bandpos, b).top; i <= g_array_index(bands, bandpos, b).bottom; i++)
            in_band[i] = true;
    mark_furniture(lines, skip, in_band);
    int last_page = -1;   /* page of the last row of the current table */
    for (guint b = 0; b < bands->len; b++) {
        bandpos *bp = &g_array_index(bands, bandpos, b);
        pline *top = g_ptr_array_index(lines, bp->top);
        guint to = b + 1 < bands->len ? g_array_index(bands, bandpos, b + 1).top : n_lines;
        GPtrArray *cand = g_ptr_array_new();
        for (guint i = bp->bottom + 1; i < to; i++)
            if (!skip[i])
                g_ptr_array_add(cand, g_ptr_array_index(lines, i));
        GPtrArray *data = data_lines(cand);
        split_clipped(lines, bp->bottom, data);
        table *t = make_table(lines, bp, data);
        if (b + 1 < bands->len) {
            /* the same band repeated on a later page may read better (a scan's first page) */
            bandpos *nb = &g_array_index(bands, bandpos, b + 1);
            if (((pline *)g_ptr_array_index(lines, nb->top))->page > top->page) {
                table *u = make_table(lines, nb, data);
                if (reads_better(t, u, data, top->h)) {
                    table_free(t);
                    t = u;
                } else {
                    table_free(u);
                }
            }
        }
        g_ptr_array_free(data, TRUE);
        if (t->cols->len > (guint)bk->lim.max_cols) {
            rc = minca_err_set(err, "%s: the header line has %u columns, beyond the column limit "
                                    "(max_cols = %d)", docs_book_label(bk), t->cols->len,
                               bk->lim.max_cols);
            table_free(t);
            g_ptr_array_free(cand, TRUE);
            goto done;
        }
        g_free(cut);
        cut = settle_table(t, cand, top->h);
        bool continues = cur && strcmp(cur->key, t->key) == 0 && top->page > last_page;
        if (continues) {
            table_free(t);
            g_free(cut);
            cut = segment_cuts(cur, cand);
        } else {
            table_free(cur);
            cur = t;
            emit_band(&o, cur, b == 0);
            last_page = -1;
        }
        guint n = cur->cols->len;
        GPtrArray *seg = segment_rows(cand, cut, n);
        emit_segment(&o, seg, cut, n);
        if (seg->len)
            last_page = ((pline *)g_ptr_array_index(seg, seg->len - 1))->page;
        g_ptr_array_free(seg, TRUE);
        g_ptr_array_free(cand, TRUE);
    }
done:
    g_free(cut);
    table_free(cur);
    g_array_free(bands, TRUE);
    g_free(skip);
    g_free(in_band);
    return rc;
}
