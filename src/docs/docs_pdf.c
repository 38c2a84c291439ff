/* docs: PDF fleet lists through poppler-glib.
 *
 * A PDF has no cells, only characters placed on pages. poppler runs in a child process
 * (docs_parse_isolated, as libfreexl does for XLS): it opens the bytes, and for every page
 * writes the page text and the rectangle of each character to a record stream. The parent
 * decodes the stream with bounds checks and rebuilds the table:
 *
 *   characters -> words (split at spaces and at horizontal gaps)
 *   words      -> lines (by vertical centre)
 *   the header line is the one with the most vehicle-list vocabulary (Marca, Año, Serie, ...);
 *   its words are grouped into header cells ("No. de Serie", "Suma Asegurada");
 *   between two header cells the column boundary is put in the widest vertical strip that the
 *   words of the data lines cross least (a header is often centred over a column whose values
 *   are left- or right-aligned, so the header words alone do not give the boundaries);
 *   every word of a data line goes to the column whose span it overlaps most.
 *
 * Pages continue one table: a later page whose header repeats the first one re-derives the
 * boundaries from its own header, and what is above it (a repeated title) is skipped; page
 * numbers ("Página 1 de 2") are skipped. A header wrapped over two lines is joined, and so is
 * a data cell wrapped over two lines when the spacing shows which row the fragment belongs
 * to (find_fragments); an ambiguous fragment stays a row of its own. The book has one sheet named "" whose rows are the
 * header (row 0) and the lines after it numbered 1, 2, ... in print order, so a vehicle's row
 * is its position in the printed table. Cells are text, as in CSV. A TOTAL line is delivered
 * like any other line; table detection ends the table there.
 *
 * Without a recognisable header every line is delivered with its words grouped by gaps, so
 * table detection can report what it did not find. A password-protected, damaged, truncated
 * or image-only PDF fails with a readable reason; docs_limits bound pages (max_pages), the
 * decoded text (max_uncompressed_bytes), rows, columns and cell length. */
#include "docs_internal.h"

#include <math.h>
#include <poppler.h>
#include <stdlib.h>
#include <string.h>

#define PDF_PARSE_SECONDS 20
#define PDF_MAX_MEMORY ((size_t)1 << 30)


/* ---- child: poppler -> stream ----
 * 'P' u32 page f64 width f64 height u32 len text u32 n {f64 x1 y1 x2 y2}*n, one per page. */

typedef struct pdf_out {
    FILE *f;
    uint64_t written, max;
    bool full;
} pdf_out;

static void put(pdf_out *o, const void *p, size_t n)
{
    if (o->full)
        return;
    if (o->written + n > o->max) {
        o->full = true;
        return;
    }
    fwrite(p, 1, n, o->f);
    o->written += n;
}

static void put_u32(pdf_out *o, uint32_t v) { put(o, &v, 4); }
static void put_f64(pdf_out *o, double v) { put(o, &v, 8); }

int docs_pdf_child(const void *data, size_t len, int in_fd, FILE *f, const docs_limits *lim)
{
    (void)in_fd;
    char msg[300];
    pdf_out o = { .f = f, .max = lim->max_uncompressed_bytes };
    GBytes *bytes = g_bytes_new_static(data, len);
    GError *ge = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &ge);
    if (!doc) {
        if (ge && ge->domain == POPPLER_ERROR && ge->code == POPPLER_ERROR_ENCRYPTED)
            snprintf(msg, sizeof msg, "the PDF is password protected; ask the broker for an "
                                      "unprotected copy or the spreadsheet");
        else
            snprintf(msg, sizeof msg, "not a readable PDF document: %s",
                     ge && ge->message ? ge->message : "damaged");
        docs_child_fail(f, msg);
        return 2;
    }
    int pages = poppler_document_get_n_pages(doc);
    if (pages <= 0) {
        docs_child_fail(f, "not a readable PDF document: it has no pages");
        return 2;
    }
    if (pages > lim->max_pages) {
        snprintf(msg, sizeof msg, "%d pages exceeds the page limit (max_pages = %d)", pages,
                 lim->max_pages);
        docs_child_fail(f, msg);
        return 2;
    }
    for (int i = 0; i < pages && !o.full; i++) {
        PopplerPage *pg = poppler_document_get_page(doc, i);
        if (!pg) {
            snprintf(msg, sizeof msg, "not a readable PDF document: page %d is damaged", i + 1);
            docs_child_fail(f, msg);
            return 2;
        }
        double w = 0, h = 0;
        poppler_page_get_size(pg, &w, &h);
        char *text = poppler_page_get_text(pg);
        PopplerRectangle *rects = NULL;
        guint n = 0;
        if (!poppler_page_get_text_layout(pg, &rects, &n))
            n = 0;
        size_t tlen = text ? strlen(text) : 0;
        put(&o, "P", 1);
        put_u32(&o, (uint32_t)i);
        put_f64(&o, w);
        put_f64(&o, h);
        put_u32(&o, (uint32_t)tlen);
        put(&o, text ? text : "", tlen);
        put_u32(&o, n);
        for (guint k = 0; k < n && !o.full; k++) {
            put_f64(&o, rects[k].x1);
            put_f64(&o, rects[k].y1);
            put_f64(&o, rects[k].x2);
            put_f64(&o, rects[k].y2);
        }
        g_free(text);
        g_free(rects);
        g_object_unref(pg);
    }
    g_object_unref(doc);
    g_bytes_unref(bytes);
    if (o.full) {
        snprintf(msg, sizeof msg, "the PDF's text exceeds the limit (max_uncompressed_bytes = %llu)",
                 (unsigned long long)lim->max_uncompressed_bytes);
        docs_child_fail(f, msg);
        return 2;
    }
    fflush(f);
    return 0;
}

/* ---- parent: stream -> words -> lines ---- */

typedef struct pword {
    char *text;
    double x0, x1, y0, y1;
    double conf;        /* read by OCR: its lowest character confidence (0..100); else -1 */
} pword;

typedef struct pline {
    int page;
    GPtrArray *words;   /* pword*, by x */
    double yc, h;
    char *folded;       /* the whole line, folded */
} pline;

typedef struct prow {
    long number;
    int n;
    char **cells;
    double *conf;       /* per cell, -1 when not read by OCR; NULL when no cell was */
} prow;

typedef struct pdf {
    GPtrArray *rows;    /* prow* */
    guint next;
} pdf;

static void pword_free(gpointer p)
{
    pword *w = p;
    g_free(w->text);
    g_free(w);
}

static void pline_free(gpointer p)
{
    pline *l = p;
    g_ptr_array_free(l->words, TRUE);
    free(l->folded);
    g_free(l);
}

static void prow_free(gpointer p)
{
    prow *r = p;
    for (int i = 0; i < r->n; i++)
        g_free(r->cells[i]);
    g_free(r->cells);
    g_free(r->conf);
    g_free(r);
}

static bool get(const unsigned char *buf, size_t len, size_t *pos, void *dst, size_t n)
{
    if (n > len || *pos > len - n)
        return false;
    memcpy(dst, buf + *pos, n);
    *pos += n;
    return true;
}

static bool finite4(const double r[4])
{
    for (int i = 0; i < 4; i++)
        if (!isfinite(r[i]) || fabs(r[i]) > 1e7)
            return false;
    return true;
}

typedef struct wbuild {
    GString *text;
    double x0, x1, y0, y1;
    double conf;
} wbuild;

static void flush_word(wbuild *wb, GPtrArray *words)
{
    if (wb->text->len == 0)
        return;
    pword *w = g_new0(pword, 1);
    w->text = g_strdup(wb->text->str);
    w->x0 = wb->x0;
    w->x1 = wb->x1;
    w->y0 = wb->y0;
    w->y1 = wb->y1;
    w->conf = wb->conf;
    g_ptr_array_add(words, w);
    g_string_truncate(wb->text, 0);
}

/* A rotated page (/Rotate 90, or text set sideways) reports its characters in unrotated
 * coordinates, the text running down or up the page: turn the rectangles so that the text
 * runs left to right. The direction is the majority of the steps between consecutive
 * characters of a word. */
static void upright(const char *text, double *rects, uint32_t n_rects)
{
    int votes[4] = { 0 };   /* +x, +y, -x, -y */
    uint32_t k = 0;
    double px = 0, py = 0;
    bool prev = false;
    for (const char *p = text; *p && k < n_rects; p = g_utf8_next_char(p), k++) {
        gunichar uc = g_utf8_get_char(p);
        const double *r = rects + 4 * (size_t)k;
        if (g_unichar_isspace(uc) || uc < 0x20 || !finite4(r)) {
            prev = false;
            continue;
        }
        double cx = (r[0] + r[2]) / 2, cy = (r[1] + r[3]) / 2;
        if (prev) {
            double dx = cx - px, dy = cy - py;
            if (fabs(dx) >= fabs(dy))
                votes[dx >= 0 ? 0 : 2]++;
            else
                votes[dy >= 0 ? 1 : 3]++;
        }
        px = cx;
        py = cy;
        prev = true;
    }
    int dir = 0;
    for (int d = 1; d < 4; d++)
        if (votes[d] > votes[dir])
            dir = d;
    if (dir == 0)
        return;
    for (k = 0; k < n_rects; k++) {
        double *r = rects + 4 * (size_t)k;
        for (int c = 0; c < 4; c += 2) {
            double x = r[c], y = r[c + 1];
            r[c] = dir == 1 ? y : dir == 2 ? -x : -y;
            r[c + 1] = dir == 1 ? -x : dir == 2 ? -y : x;
        }
    }
}

/* Characters of one page (text in reading order, one rectangle per character, and with OCR
 * one confidence per character, else conf NULL) -> words. */
static void page_words(const char *text, const double *rects, uint32_t n_rects,
                       const uint8_t *conf, GPtrArray *words)
{
    wbuild wb = { .text = g_string_new(NULL), .conf = -1 };
    uint32_t k = 0;
    for (const char *p = text; *p; p = g_utf8_next_char(p), k++) {
        gunichar uc = g_utf8_get_char(p);
        if (k >= n_rects)
            break;
        double r[4];
        memcpy(r, rects + 4 * (size_t)k, sizeof r);
        if (g_unichar_isspace(uc) || uc == 0xA0 || uc < 0x20 || !finite4(r)) {
            flush_word(&wb, words);
            continue;
        }
        double x0 = fmin(r[0], r[2]), x1 = fmax(r[0], r[2]);
        double y0 = fmin(r[1], r[3]), y1 = fmax(r[1], r[3]);
        double h = y1 - y0 > 0.5 ? y1 - y0 : 0.5;
        if (wb.text->len) {
            double wh = wb.y1 - wb.y0 > 0.5 ? wb.y1 - wb.y0 : 0.5;
            double lim = 0.6 * fmax(h, wh);
            double gap = x0 - wb.x1;
            double dy = fabs((y0 + y1) / 2 - (wb.y0 + wb.y1) / 2);
            if (gap > lim || gap < -lim || dy > 0.5 * fmin(h, wh))
                flush_word(&wb, words);
        }
        if (wb.text->len == 0) {
            wb.x0 = x0;
            wb.x1 = x1;
            wb.y0 = y0;
            wb.y1 = y1;
            wb.conf = conf ? conf[k] : -1;
        } else {
            if (conf && conf[k] < wb.conf)
                wb.conf = conf[k];
            wb.x0 = fmin(wb.x0, x0);
            wb.x1 = fmax(wb.x1, x1);
            wb.y0 = fmin(wb.y0, y0);
            wb.y1 = fmax(wb.y1, y1);
        }
        g_string_append_unichar(wb.text, uc);
    }
    flush_word(&wb, words);
    g_string_free(wb.text, TRUE);
}

static int cmp_word_y(const void *a, const void *b)
{
    const pword *x = *(pword *const *)a, *y = *(pword *const *)b;
    double cx = (x->y0 + x->y1) / 2, cy = (y->y0 + y->y1) / 2;
    if (cx != cy)
        return cx < cy ? -1 : 1;
    return x->x0 < y->x0 ? -1 : x->x0 > y->x0;
}

static int cmp_word_x(const void *a, const void *b)
{
    const pword *x = *(pword *const *)a, *y = *(pword *const *)b;
    return x->x0 < y->x0 ? -1 : x->x0 > y->x0;
}

static char *join_words(GPtrArray *words, guint from, guint to)
{
    GString *s = g_string_new(NULL);
    for (guint i = from; i < to; i++) {
        if (s->len)
            g_string_append_c(s, ' ');
        g_string_append(s, ((pword *)g_ptr_array_index(words, i))->text);
    }
    return g_string_free(s, FALSE);
}

/* Words of one page (consumed) -> lines appended to `lines`, top to bottom. */
static void page_lines(int page, GPtrArray *words, GPtrArray *lines)
{
    g_ptr_array_sort(words, cmp_word_y);
    pline *cur = NULL;
    double first_yc = 0, first_h = 0;
    for (guint i = 0; i < words->len; i++) {
        pword *w = g_ptr_array_index(words, i);
        double yc = (w->y0 + w->y1) / 2, h = w->y1 - w->y0 > 0.5 ? w->y1 - w->y0 : 0.5;
        if (!cur || yc - first_yc > 0.5 * fmin(h, first_h)) {
            cur = g_new0(pline, 1);
            cur->page = page;
            cur->words = g_ptr_array_new_with_free_func(pword_free);
            g_ptr_array_add(lines, cur);
            first_yc = yc;
            first_h = h;
            cur->yc = yc;
            cur->h = h;
        }
        g_ptr_array_add(cur->words, w);
        if (h > cur->h)
            cur->h = h;
    }
    g_ptr_array_set_free_func(words, NULL);
    g_ptr_array_set_size(words, 0);
    for (guint i = 0; i < lines->len; i++) {
        pline *l = g_ptr_array_index(lines, i);
        if (l->folded)
            continue;
        g_ptr_array_sort(l->words, cmp_word_x);
        char *t = join_words(l->words, 0, l->words->len);
        l->folded = docs_fold(t);
        g_free(t);
    }
}

/* ---- table ---- */

typedef struct hcell {
    char *text;
    double x0, x1;
} hcell;

/* Words of a line grouped into cells: a gap wider than 0.6 x the line height starts a cell. */
static GArray *group_cells(const pline *l)
{
    GArray *cells = g_array_new(FALSE, FALSE, sizeof(hcell));
    guint start = 0;
    for (guint i = 1; i <= l->words->len; i++) {
        bool split = i == l->words->len;
        if (!split) {
            pword *a = g_ptr_array_index(l->words, i - 1), *b = g_ptr_array_index(l->words, i);
            split = b->x0 - a->x1 > 0.6 * l->h;
        }
        if (!split)
            continue;
        hcell c = { join_words(l->words, start, i),
                    ((pword *)g_ptr_array_index(l->words, start))->x0,
                    ((pword *)g_ptr_array_index(l->words, i - 1))->x1 };
        for (guint k = start; k < i; k++)
            c.x1 = fmax(c.x1, ((pword *)g_ptr_array_index(l->words, k))->x1);
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
                         "|^[0-9]{1,4} (de|of) [0-9]{1,4}$", G_REGEX_OPTIMIZE, 0, NULL);
    return re && g_regex_match(re, l->folded, 0, NULL);
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

/* Column boundaries (n - 1 of them) between the header cells, from the data lines
 * lines[from..to): in the gap between two header cells, the middle of the widest strip
 * crossed by the fewest words. */
static double *boundaries(GArray *hc, GPtrArray *lines, guint from, guint to)
{
    guint n = hc->len;
    double *b = g_new0(double, n ? n : 1);
    GArray *ev = g_array_new(FALSE, FALSE, sizeof(edge));
    for (guint c = 0; c + 1 < n; c++) {
        double L = g_array_index(hc, hcell, c).x1, R = g_array_index(hc, hcell, c + 1).x0;
        b[c] = (L + R) / 2;
        if (R - L < 0.01)
            continue;
        g_array_set_size(ev, 0);
        for (guint i = from; i < to; i++) {
            pline *l = g_ptr_array_index(lines, i);
            if (is_total_line(l) || is_page_number(l))
                continue;
            for (guint k = 0; k < l->words->len; k++) {
                pword *w = g_ptr_array_index(l->words, k);
                if (w->x1 <= L || w->x0 >= R)
                    continue;
                edge s = { fmax(w->x0, L), 1 }, e = { fmin(w->x1, R), -1 };
                g_array_append_val(ev, s);
                g_array_append_val(ev, e);
            }
        }
        g_array_sort(ev, cmp_edge);
        int cov = 0, best_cov = -1;
        double at = L, best_w = -1;
        for (guint k = 0; k <= ev->len; k++) {
            double x = k < ev->len ? g_array_index(ev, edge, k).x : R;
            if (x > at) {   /* [at, x) has coverage cov */
                if (best_cov < 0 || cov < best_cov || (cov == best_cov && x - at > best_w)) {
                    best_cov = cov;
                    best_w = x - at;
                    b[c] = (at + x) / 2;
                }
                at = x;
            }
            if (k < ev->len)
                cov += g_array_index(ev, edge, k).d;
        }
    }
    g_array_free(ev, TRUE);
    return b;
}

static void add_row(pdf *x, long number, GArray *cells)
{
    prow *r = g_new0(prow, 1);
    r->number = number;
    r->n = (int)cells->len;
    r->cells = g_new0(char *, r->n ? r->n : 1);
    for (int i = 0; i < r->n; i++)
        r->cells[i] = g_strdup(g_array_index(cells, hcell, i).text);
    g_ptr_array_add(x->rows, r);
}

static guint word_col(const pword *w, const double *b, guint n)
{
    guint best = 0;
    double best_ov = -INFINITY;
    for (guint c = 0; c < n; c++) {
        double lo = c == 0 ? -INFINITY : b[c - 1], hi = c + 1 == n ? INFINITY : b[c];
        double ov = fmin(w->x1, hi) - fmax(w->x0, lo);
        if (ov > best_ov + 1e-9) {
            best_ov = ov;
            best = c;
        }
    }
    return best;
}

/* One data line (with the fragments of its wrapped cells printed above / below it, may be
 * NULL) -> a row of n columns split at the boundaries. */
static void add_data_row(pdf *x, long number, const pline *pre, const pline *l, const pline *post,
                         const double *b, guint n)
{
    GString **cell = g_new0(GString *, n ? n : 1);
    const pline *parts[3] = { pre, l, post };
    for (int p = 0; p < 3; p++) {
        for (guint k = 0; parts[p] && k < parts[p]->words->len; k++) {
            pword *w = g_ptr_array_index(parts[p]->words, k);
            guint c = word_col(w, b, n);
            if (!cell[c])
                cell[c] = g_string_new(NULL);
            else
                g_string_append_c(cell[c], ' ');
            g_string_append(cell[c], w->text);
        }
    }
    prow *r = g_new0(prow, 1);
    r->number = number;
    r->n = (int)n;
    r->cells = g_new0(char *, n ? n : 1);
    for (guint c = 0; c < n; c++)
        r->cells[c] = cell[c] ? g_string_free(cell[c], FALSE) : g_strdup("");
    g_free(cell);
    /* cells read by OCR: the lowest confidence of their words */
    for (int p = 0; p < 3; p++)
        for (guint k = 0; parts[p] && k < parts[p]->words->len; k++) {
            pword *w = g_ptr_array_index(parts[p]->words, k);
            guint c = word_col(w, b, n);
            if (w->conf < 0)
                continue;
            if (!r->conf) {
                r->conf = g_new(double, n ? n : 1);
                for (guint i = 0; i < n; i++)
                    r->conf[i] = -1;
            }
            if (r->conf[c] < 0 || w->conf < r->conf[c])
                r->conf[c] = w->conf;
        }
    g_ptr_array_add(x->rows, r);
}

static guint filled_cols(const pline *l, const double *b, guint n)
{
    bool *hit = g_new0(bool, n ? n : 1);
    guint count = 0;
    for (guint k = 0; k < l->words->len; k++) {
        guint c = word_col(g_ptr_array_index(l->words, k), b, n);
        count += !hit[c];
        hit[c] = true;
    }
    g_free(hit);
    return count;
}

static int cmp_uint(const void *a, const void *b)
{
    guint x = *(const guint *)a, y = *(const guint *)b;
    return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Wrapped data cells. A cell wrapped over two lines leaves a fragment line holding a few
 * columns between two full lines. Bottom-aligned rows print the fragment above the rest of
 * its row, top-aligned ones below, so which row it belongs to shows in the spacing: from the
 * previous row's line to the first line of a row is the table's usual pitch, within a row
 * the (smaller) line spacing. A fragment joins its row only when the two distances tell
 * that clearly; otherwise it stays a line of its own. pre[k] / post[k] (indexes into lines,
 * -1 when none) receive, for each full line k in [from, to), the fragment printed above /
 * below it; joined[k] marks the fragments. */
static void find_fragments(GPtrArray *lines, guint from, guint to, const double *b, guint n,
                           int *pre, int *post, bool *joined)
{
    GArray *idx = g_array_new(FALSE, FALSE, sizeof(guint));
    GArray *cnt = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint k = from; k < to; k++) {
        pline *l = g_ptr_array_index(lines, k);
        if (is_total_line(l))
            break;   /* the table ends there */
        if (is_page_number(l))
            continue;
        guint c = filled_cols(l, b, n);
        g_array_append_val(idx, k);
        g_array_append_val(cnt, c);
    }
    if (idx->len < 3)
        goto done;
    guint *sorted = g_memdup2(cnt->data, cnt->len * sizeof(guint));
    qsort(sorted, cnt->len, sizeof(guint), cmp_uint);
    guint med = sorted[cnt->len / 2];
    g_free(sorted);
    guint full_min = med / 2 > 2 ? med / 2 : 2, frag_max = med / 3 > 1 ? med / 3 : 1;
    if (frag_max >= full_min)
        goto done;
#define FULL(j) (g_array_index(cnt, guint, (j)) >= full_min)
#define YC(j) (((pline *)g_ptr_array_index(lines, g_array_index(idx, guint, (j))))->yc)
    GArray *pitch = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint j = 1; j < idx->len; j++)
        if (FULL(j - 1) && FULL(j)) {
            double d = YC(j) - YC(j - 1);
            g_array_append_val(pitch, d);
        }
    if (pitch->len > 0) {
        g_array_sort(pitch, cmp_dbl);
        double p = g_array_index(pitch, double, pitch->len / 2);
        for (guint j = 1; j + 1 < idx->len; j++) {
            if (g_array_index(cnt, guint, j) > frag_max || !FULL(j - 1) || !FULL(j + 1))
                continue;
            guint f = g_array_index(idx, guint, j), a = g_array_index(idx, guint, j - 1),
                  z = g_array_index(idx, guint, j + 1);
            double da = YC(j) - YC(j - 1), dz = YC(j + 1) - YC(j);
            if (da > 1.15 * dz && fabs(da - p) <= 0.2 * p && pre[z - from] < 0) {
                pre[z - from] = (int)f;
                joined[f - from] = true;
            } else if (dz > 1.15 * da && fabs(dz - p) <= 0.2 * p && post[a - from] < 0) {
                post[a - from] = (int)f;
                joined[f - from] = true;
            }
        }
    }
#undef FULL
#undef YC
    g_array_free(pitch, TRUE);
done:
    g_array_free(idx, TRUE);
    g_array_free(cnt, TRUE);
}

/* A header wrapped over two lines: bottom-aligned cells ("No. de" over "Serie" beside a
 * one-line "Marca") put the first part on the line above the header, top-aligned ones the
 * rest on the line below. Such a line is close to the header, holds no digit (every vehicle
 * row has a year, a serial or an amount) and, above the header, lies over a few header cells
 * only (a title does not); its words join the header cells they sit over. */
static int nearest_cell(GArray *hc, const pword *w, double *overlap)
{
    int best = 0;
    double best_d = INFINITY;
    *overlap = 0;
    for (guint c = 0; c < hc->len; c++) {
        hcell *h = &g_array_index(hc, hcell, c);
        double ov = fmin(w->x1, h->x1) - fmax(w->x0, h->x0);
        double d = ov > 0 ? -ov : fabs((w->x0 + w->x1) / 2 - (h->x0 + h->x1) / 2);
        if (d < best_d) {
            best_d = d;
            best = (int)c;
            *overlap = ov > 0 ? ov : 0;
        }
    }
    return best;
}

static bool has_digit(const char *s)
{
    for (; *s; s++)
        if (g_ascii_isdigit(*s))
            return true;
    return false;
}

static bool header_continues(GArray *hc, const pline *h, const pline *l, bool above)
{
    double dist = above ? h->yc - l->yc : l->yc - h->yc;
    if (l->page != h->page || dist <= 0 || dist > 1.6 * h->h || hc->len == 0 || l->words->len == 0)
        return false;
    if (has_digit(l->folded))
        return false;
    int *cell = g_new0(int, l->words->len);
    bool ok = true;
    if (above) {
        guint touched = 0;
        bool *hit = g_new0(bool, hc->len);
        for (guint k = 0; k < l->words->len && ok; k++) {
            pword *w = g_ptr_array_index(l->words, k);
            double ov;
            cell[k] = nearest_cell(hc, w, &ov);
            ok = ov >= 0.5 * (w->x1 - w->x0);
            touched += !hit[cell[k]];
            hit[cell[k]] = true;
        }
        ok = ok && touched <= (hc->len / 2 > 1 ? hc->len / 2 : 1);
        g_free(hit);
    } else {
        for (guint k = 0; k < l->words->len; k++) {
            double ov;
            cell[k] = nearest_cell(hc, g_ptr_array_index(l->words, k), &ov);
        }
    }
    if (ok) {
        /* above: prepend in reverse so the words keep their order */
        for (guint q = 0; q < l->words->len; q++) {
            guint k = above ? l->words->len - 1 - q : q;
            pword *w = g_ptr_array_index(l->words, k);
            hcell *hcl = &g_array_index(hc, hcell, cell[k]);
            char *t = above ? g_strconcat(w->text, " ", hcl->text, NULL)
                            : g_strconcat(hcl->text, " ", w->text, NULL);
            g_free(hcl->text);
            hcl->text = t;
            hcl->x0 = fmin(hcl->x0, w->x0);
            hcl->x1 = fmax(hcl->x1, w->x1);
        }
    }
    g_free(cell);
    return ok;
}

static int header_score(const pline *l)
{
    if (l->words->len < 2)
        return 0;
    return docs_header_vocab_count(l->folded);
}

/* Lines of the whole document -> rows. */
static int build_rows(docs_book *bk, pdf *x, GPtrArray *lines, minca_err *err)
{
    int best = 0;
    guint hi = 0;
    for (guint i = 0; i < lines->len; i++) {
        int s = header_score(g_ptr_array_index(lines, i));
        if (s > best) {
            best = s;
            hi = i;
        }
    }
    if (best < 2) {
        /* No header: every line, its words grouped by gaps. */
        for (guint i = 0; i < lines->len; i++) {
            GArray *cells = group_cells(g_ptr_array_index(lines, i));
            add_row(x, (long)i + 1, cells);
            cells_free(cells);
        }
        return 0;
    }
    /* A table over pages repeats its header; the first page's may read worse (a scan): the
     * first line nearly as header-like as the best, without digits, starts the table, and
     * the best one gives the columns. */
    int near = best * 2 / 3 > 2 ? best * 2 / 3 : 2;
    guint start = hi;
    for (guint i = 0; i < hi; i++) {
        pline *l = g_ptr_array_index(lines, i);
        if (header_score(l) >= near && !has_digit(l->folded)) {
            start = i;
            break;
        }
    }
    pline *header = g_ptr_array_index(lines, hi);
    GArray *hc = group_cells(header);
    if (hc->len > (guint)bk->lim.max_cols) {
        minca_err_set(err, "%s: the header line has %u columns, beyond the column limit "
                           "(max_cols = %d)", docs_book_label(bk), hc->len, bk->lim.max_cols);
        cells_free(hc);
        return -1;
    }
    guint i = start + 1;
    if (hi > 0)
        header_continues(hc, header, g_ptr_array_index(lines, hi - 1), true);
    if (hi + 1 < lines->len && header_continues(hc, header, g_ptr_array_index(lines, hi + 1), false) &&
        start == hi)
        i++;
    add_row(x, 0, hc);
    int repeat_min = best * 2 / 3 > 2 ? best * 2 / 3 : 2;
    long number = 0;
    double *b = NULL;
    int page = ((pline *)g_ptr_array_index(lines, start))->page;
    bool first = true;
    while (i <= lines->len) {
        /* lines[i..end) are this page's data lines */
        guint end = i;
        while (end < lines->len && ((pline *)g_ptr_array_index(lines, end))->page == page)
            end++;
        if (!first) {
            /* A repeated header on this page (the same words, or as much vocabulary and no
             * digit, which every vehicle row has): skip what is above it, take its columns. */
            for (guint k = i; k < end; k++) {
                pline *l = g_ptr_array_index(lines, k);
                if (strcmp(l->folded, header->folded) == 0 ||
                    (header_score(l) >= repeat_min && !has_digit(l->folded))) {
                    GArray *again = group_cells(l);
                    if (k > i)
                        header_continues(again, l, g_ptr_array_index(lines, k - 1), true);
                    bool wrapped = k + 1 < end &&
                                   header_continues(again, l, g_ptr_array_index(lines, k + 1), false);
                    if (again->len == hc->len) {
                        cells_free(hc);
                        hc = again;
                        g_free(b);
                        b = NULL;
                    } else {
                        cells_free(again);
                    }
                    i = k + 1 + wrapped;
                    break;
                }
            }
        }
        if (!b)
            b = boundaries(hc, lines, i, end);
        guint span = end > i ? end - i : 1;
        int *pre = g_new(int, span), *post = g_new(int, span);
        bool *joined = g_new0(bool, span);
        for (guint k = 0; k < span; k++)
            pre[k] = post[k] = -1;
        find_fragments(lines, i, end, b, hc->len, pre, post, joined);
        for (guint k = i; k < end; k++) {
            pline *l = g_ptr_array_index(lines, k);
            if (is_page_number(l) || joined[k - i])
                continue;
            add_data_row(x, ++number, pre[k - i] >= 0 ? g_ptr_array_index(lines, (guint)pre[k - i]) : NULL,
                         l, post[k - i] >= 0 ? g_ptr_array_index(lines, (guint)post[k - i]) : NULL,
                         b, hc->len);
        }
        g_free(pre);
        g_free(post);
        g_free(joined);
        first = false;
        if (end >= lines->len)
            break;
        i = end;
        page = ((pline *)g_ptr_array_index(lines, end))->page;
    }
    g_free(b);
    cells_free(hc);
    return 0;
}

static int corrupt(docs_book *b, minca_err *err)
{
    return minca_err_set(err, "%s: the PDF parser returned inconsistent data; the file is damaged",
                         docs_book_label(b));
}

/* Decodes the child's stream into lines. */
static int decode(docs_book *b, const unsigned char *buf, size_t len, GPtrArray *lines,
                  size_t *n_words, minca_err *err)
{
    size_t pos = 0;
    GPtrArray *words = g_ptr_array_new_with_free_func(pword_free);
    int rc = 0;
    while (pos < len) {
        uint8_t tag = buf[pos++];
        uint32_t page, tlen, n;
        double w, h;
        if (tag != 'P' || !get(buf, len, &pos, &page, 4) || !get(buf, len, &pos, &w, 8) ||
            !get(buf, len, &pos, &h, 8) || !get(buf, len, &pos, &tlen, 4) || tlen > len - pos) {
            rc = corrupt(b, err);
            break;
        }
        char *text = g_strndup((const char *)buf + pos, tlen);
        pos += tlen;
        if (!get(buf, len, &pos, &n, 4) || (size_t)n > (len - pos) / 32) {
            g_free(text);
            rc = corrupt(b, err);
            break;
        }
        double *rects = g_new(double, 4 * (size_t)n + 1);
        memcpy(rects, buf + pos, 32 * (size_t)n);
        pos += 32 * (size_t)n;
        /* OCR: 'C' u32 page u32 n {u8 confidence}*n, one per character of the page text */
        const uint8_t *conf = NULL;
        uint32_t cpage, cn;
        size_t cpos = pos + 1;
        if (pos < len && buf[pos] == 'C' && get(buf, len, &cpos, &cpage, 4) &&
            get(buf, len, &cpos, &cn, 4) && cn <= len - cpos) {
            if (cpage == page && cn == n)
                conf = buf + cpos;
            pos = cpos + cn;
        }
        char *valid = g_utf8_make_valid(text, -1);
        if (conf && strcmp(valid, text) != 0)
            conf = NULL;   /* characters no longer line up with their confidences */
        upright(valid, rects, n);
        page_words(valid, rects, n, conf, words);
        *n_words += words->len;
        page_lines((int)page, words, lines);
        g_ptr_array_set_free_func(words, pword_free);
        g_free(valid);
        g_free(text);
        g_free(rects);
    }
    g_ptr_array_free(words, TRUE);
    return rc;
}

/* A PDF ends with %%EOF (within the last KiB, a little junk after it is common). */
static bool has_eof_marker(const unsigned char *d, size_t len)
{
    size_t from = len > 2048 ? len - 2048 : 0;
    for (size_t i = from; i + 5 <= len; i++)
        if (memcmp(d + i, "%%EOF", 5) == 0)
            return true;
    return false;
}

static int pdf_sheet_open(docs_book *b, int sheet, minca_err *err)
{
    (void)sheet;
    (void)err;
    ((pdf *)b->impl)->next = 0;
    return 0;
}

static int pdf_sheet_next(docs_book *b, minca_err *err)
{
    pdf *x = b->impl;
    if (x->next >= x->rows->len)
        return 0;
    prow *r = g_ptr_array_index(x->rows, x->next++);
    docs_row_begin(b, r->number, false);
    for (int i = 0; i < r->n; i++) {
        if (docs_row_set(b, i, DOCS_CELL_TEXT, r->cells[i], strlen(r->cells[i]), 0, 0, err) != 0)
            return -1;
        if (r->conf && r->conf[i] >= 0)
            docs_row_set_confidence(b, i, r->conf[i]);
    }
    docs_row_finish(b);
    return 1;
}

static void pdf_close(docs_book *b)
{
    pdf *x = b->impl;
    if (!x)
        return;
    g_ptr_array_free(x->rows, TRUE);
    g_free(x);
    b->impl = NULL;
}

const docs_reader_ops docs_pdf_ops = { pdf_sheet_open, pdf_sheet_next, pdf_close };

int docs_pdf_from_stream(const unsigned char *buf, size_t n, docs_book *b, minca_err *err)
{
    pdf *x = b->impl;
    if (!x) {
        x = g_new0(pdf, 1);
        x->rows = g_ptr_array_new_with_free_func(prow_free);
        b->impl = x;
    }
    GPtrArray *lines = g_ptr_array_new_with_free_func(pline_free);
    size_t n_words = 0;
    int rc = decode(b, buf, n, lines, &n_words, err);
    if (rc == 0 && n_words == 0)
        rc = minca_err_set(err, "%s: the PDF has no text layer (a scan?); ask the broker for the "
                                "spreadsheet", docs_book_label(b));
    if (rc == 0)
        rc = build_rows(b, x, lines, err);
    if (rc == 0)
        docs_book_add_sheet(b, "", false);
    g_ptr_array_free(lines, TRUE);
    return rc;
}

int docs_pdf_open(const void *data, size_t len, docs_book *b, minca_err *err)
{
    pdf *x = g_new0(pdf, 1);
    x->rows = g_ptr_array_new_with_free_func(prow_free);
    b->impl = x;
    if (!has_eof_marker(data, len))
        return minca_err_set(err, "%s: not a readable PDF document: it is truncated (no end-of-file "
                                  "marker); ask the broker to send it again", docs_book_label(b));
    const docs_isolation iso = { .kind = "pdf", .what = "PDF document",
                                 .seconds = PDF_PARSE_SECONDS, .max_memory = PDF_MAX_MEMORY,
                                 .quiet = true };
    unsigned char *buf = NULL;
    size_t n = 0;
    if (docs_parse_isolated(b, data, len, &iso, &buf, &n, err) != 0)
        return -1;
    int pages = 0;
    if (docs_ocr_stream_empty(buf, n, &pages)) {
        free(buf);   /* no text layer: a scan, read by OCR */
        return docs_ocr_scan(data, len, pages, b, err);
    }
    int rc = docs_pdf_from_stream(buf, n, b, err);
    free(buf);
    return rc;
}
