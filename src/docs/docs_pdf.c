/* docs: PDF fleet lists through poppler-glib.
 *
 * A PDF has no cells, only characters placed on pages. poppler runs in a child process
 * (docs_parse_isolated, as libfreexl does for XLS): it opens the bytes, and for every page
 * writes the page text and the rectangle of each character to a record stream. The parent
 * decodes the stream with bounds checks (docs_pdf_from_stream: OCR word boxes come the same
 * way) into
 *
 *   characters -> words (split at spaces and at horizontal gaps)
 *   words      -> lines (by vertical centre, after turning a tilted page back)
 *
 * and docs_pdf_table.c rebuilds the tables from the lines (header bands, columns from the
 * data's gaps, several tables, continuation pages; the grid is described in docs.h).
 * A password-protected, damaged, truncated or image-only PDF fails with a readable reason;
 * docs_limits bound pages (max_pages), the decoded text (max_uncompressed_bytes), rows,
 * columns and cell length. */
#include "docs_pdf_internal.h"

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

typedef struct pdf {
    GPtrArray *rows;    /* prow* */
    guint next;
} pdf;

void docs_pword_free(gpointer p)
{
    pword *w = p;
    g_free(w->text);
    g_free(w->cx);
    g_free(w);
}

void docs_pline_free(gpointer p)
{
    pline *l = p;
    g_ptr_array_free(l->words, TRUE);
    g_free(l->folded);
    g_free(l);
}

void docs_prow_free(gpointer p)
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
    GArray *cx;   /* double: each character's start */
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
    w->n_cx = wb->cx->len;
    w->cx = g_memdup2(wb->cx->data, sizeof(double) * wb->cx->len);
    g_ptr_array_add(words, w);
    g_string_truncate(wb->text, 0);
    g_array_set_size(wb->cx, 0);
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
    wbuild wb = { .text = g_string_new(NULL), .cx = g_array_new(FALSE, FALSE, sizeof(double)),
                  .conf = -1 };
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
        g_array_append_val(wb.cx, x0);
    }
    flush_word(&wb, words);
    g_string_free(wb.text, TRUE);
    g_array_free(wb.cx, TRUE);
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

int docs_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A scanned page is often slightly tilted: its lines climb or fall across the page and its
 * columns lean. The tilt is the median slope of the runs of words that share a vertical
 * centre (a run long enough to measure); the page's boxes are turned back by it. Text pages
 * measure a slope of 0 and are left alone. */
static void deskew(GPtrArray *words)
{
    if (words->len < 6)
        return;
    GPtrArray *by_y = g_ptr_array_sized_new(words->len);
    for (guint i = 0; i < words->len; i++)
        g_ptr_array_add(by_y, g_ptr_array_index(words, i));
    g_ptr_array_sort(by_y, cmp_word_y);
    GArray *slopes = g_array_new(FALSE, FALSE, sizeof(double));
    guint start = 0;
    for (guint i = 1; i <= by_y->len; i++) {
        pword *f = g_ptr_array_index(by_y, start);
        double fh = fmax(f->y1 - f->y0, 0.5), fyc = (f->y0 + f->y1) / 2;
        if (i < by_y->len) {
            pword *w = g_ptr_array_index(by_y, i);
            double h = fmax(w->y1 - w->y0, 0.5);
            if ((w->y0 + w->y1) / 2 - fyc <= 0.5 * fmin(h, fh))
                continue;
        }
        /* words [start, i) form a run: least-squares slope of their centres */
        guint n = i - start;
        double sx = 0, sy = 0, sxx = 0, sxy = 0, lo = INFINITY, hi = -INFINITY;
        for (guint k = start; k < i; k++) {
            pword *w = g_ptr_array_index(by_y, k);
            double x = (w->x0 + w->x1) / 2, y = (w->y0 + w->y1) / 2;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
            lo = fmin(lo, w->x0);
            hi = fmax(hi, w->x1);
        }
        double den = n * sxx - sx * sx;
        if (n >= 3 && hi - lo > 20 * fh && den > 0) {
            double s = (n * sxy - sx * sy) / den;
            if (isfinite(s))
                g_array_append_val(slopes, s);
        }
        start = i;
    }
    g_ptr_array_free(by_y, TRUE);
    double s = 0;
    if (slopes->len >= 3) {
        g_array_sort(slopes, docs_cmp_double);
        s = g_array_index(slopes, double, slopes->len / 2);
    }
    g_array_free(slopes, TRUE);
    if (fabs(s) < 0.002 || fabs(s) > 0.1)
        return;
    double c = 1 / sqrt(1 + s * s), sn = s * c;   /* cos and sin of the tilt */
    for (guint i = 0; i < words->len; i++) {
        pword *w = g_ptr_array_index(words, i);
        double x = (w->x0 + w->x1) / 2, y = (w->y0 + w->y1) / 2;
        double nx = x * c + y * sn, ny = y * c - x * sn;
        w->x0 += nx - x;
        w->x1 += nx - x;
        for (guint k = 0; k < w->n_cx; k++)
            w->cx[k] += nx - x;
        w->y0 += ny - y;
        w->y1 += ny - y;
    }
}

/* Words of one page (consumed) -> lines appended to `lines`, top to bottom. */
static void page_lines(int page, double page_h, GPtrArray *words, GPtrArray *lines)
{
    deskew(words);
    g_ptr_array_sort(words, cmp_word_y);
    pline *cur = NULL;
    double first_yc = 0, first_h = 0;
    for (guint i = 0; i < words->len; i++) {
        pword *w = g_ptr_array_index(words, i);
        double yc = (w->y0 + w->y1) / 2, h = w->y1 - w->y0 > 0.5 ? w->y1 - w->y0 : 0.5;
        if (!cur || yc - first_yc > 0.5 * fmin(h, first_h)) {
            cur = g_new0(pline, 1);
            cur->page = page;
            cur->page_h = page_h;
            cur->words = g_ptr_array_new_with_free_func(docs_pword_free);
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
    GPtrArray *words = g_ptr_array_new_with_free_func(docs_pword_free);
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
        page_lines((int)page, isfinite(h) && h > 0 && h < 1e7 ? h : 0, words, lines);
        g_ptr_array_set_free_func(words, docs_pword_free);
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
        x->rows = g_ptr_array_new_with_free_func(docs_prow_free);
        b->impl = x;
    }
    GPtrArray *lines = g_ptr_array_new_with_free_func(docs_pline_free);
    size_t n_words = 0;
    int rc = decode(b, buf, n, lines, &n_words, err);
    if (rc == 0 && n_words == 0)
        rc = minca_err_set(err, "%s: the PDF has no text layer (a scan?); ask the broker for the "
                                "spreadsheet", docs_book_label(b));
    if (rc == 0)
        rc = docs_pdf_build_rows(b, lines, x->rows, err);
    if (rc == 0)
        docs_book_add_sheet(b, "", false);
    g_ptr_array_free(lines, TRUE);
    return rc;
}

int docs_pdf_open(const void *data, size_t len, docs_book *b, minca_err *err)
{
    pdf *x = g_new0(pdf, 1);
    x->rows = g_ptr_array_new_with_free_func(docs_prow_free);
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
        g_free(buf);   /* no text layer: a scan, read by OCR */
        return docs_ocr_scan(data, len, pages, b, err);
    }
    int rc = docs_pdf_from_stream(buf, n, b, err);
    g_free(buf);
    return rc;
}
