/* docs: CSV reader. Detects the encoding (UTF-8 with or without BOM, UTF-16 with BOM, else
 * Windows-1252, falling back to Latin-1 for bytes Windows-1252 leaves undefined), converts to
 * UTF-8, sniffs the delimiter among , ; TAB | and splits records with core's RFC 4180 reader. */
#include "docs_internal.h"
#include "minca/core_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct csvdoc {
    char *utf8;        /* converted text (owned) */
    size_t len;
    csv_reader *rd;
} csvdoc;


/* Counts delimiter occurrences per line outside quotes over the first lines; the delimiter
 * whose count is the same non-zero number on most lines wins. */
static char sniff_delimiter(const char *text, size_t len)
{
    static const char cands[] = { ';', ',', '\t', '|' };
    int best_score = -1, best_mode = 0;
    char best = ',';
    for (size_t k = 0; k < sizeof cands; k++) {
        char d = cands[k];
        int counts[64];
        int n_lines = 0, count = 0;
        bool in_q = false, line_has_text = false;
        for (size_t i = 0; i < len && n_lines < 64; i++) {
            char c = text[i];
            if (c == '"')
                in_q = !in_q;
            else if (!in_q && c == d)
                count++;
            if (!in_q && c == '\n') {
                if (line_has_text || count)
                    counts[n_lines++] = count;
                count = 0;
                line_has_text = false;
            } else if (c != '\r') {
                line_has_text = true;
            }
        }
        if ((line_has_text || count) && n_lines < 64)
            counts[n_lines++] = count;
        /* mode of the non-zero counts */
        int mode = 0, mode_freq = 0;
        for (int i = 0; i < n_lines; i++) {
            if (counts[i] == 0)
                continue;
            int f = 0;
            for (int j = 0; j < n_lines; j++)
                f += counts[j] == counts[i];
            if (f > mode_freq || (f == mode_freq && counts[i] > mode)) {
                mode_freq = f;
                mode = counts[i];
            }
        }
        if (mode_freq > best_score || (mode_freq == best_score && mode > best_mode)) {
            best_score = mode_freq;
            best_mode = mode;
            best = d;
        }
    }
    return best_score > 0 ? best : ',';
}

static char *to_utf8(const char *data, size_t len, char enc[32], size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)data;
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        const char *from = u[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";
        gsize written = 0;
        char *out = g_convert(data + 2, (gssize)(len - 2), "UTF-8", from, NULL, &written, NULL);
        if (out) {
            snprintf(enc, 32, "%s", from);
            *out_len = written;
            return out;
        }
    }
    size_t skip = (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
    if (g_utf8_validate(data + skip, (gssize)(len - skip), NULL)) {
        snprintf(enc, 32, "%s", skip ? "UTF-8 (BOM)" : "UTF-8");
        *out_len = len - skip;
        return g_strndup(data + skip, len - skip);
    }
    gsize written = 0;
    char *out = g_convert(data, (gssize)len, "UTF-8", "WINDOWS-1252", NULL, &written, NULL);
    if (out) {
        snprintf(enc, 32, "WINDOWS-1252");
    } else {
        out = g_convert(data, (gssize)len, "UTF-8", "ISO-8859-1", NULL, &written, NULL);
        snprintf(enc, 32, "ISO-8859-1");
    }
    if (!out) {
        out = g_utf8_make_valid(data, (gssize)len);
        written = strlen(out);
        snprintf(enc, 32, "UTF-8 (repaired)");
    }
    *out_len = written;
    return out;
}

static int csv_sheet_open(docs_book *b, int sheet, minca_err *err)
{
    (void)sheet;
    (void)err;
    csvdoc *c = b->impl;
    csv_reader_free(c->rd);
    c->rd = csv_reader_new(c->utf8, c->len, b->delimiter);
    return 0;
}

static int csv_sheet_next(docs_book *b, minca_err *err)
{
    csvdoc *c = b->impl;
    char **fields;
    int n;
    int rc = csv_next(c->rd, &fields, &n, err);
    if (rc < 0)
        return minca_err_prefix(err, "%s", docs_book_label(b));
    if (rc == 0)
        return 0;
    docs_row_begin(b, csv_line(c->rd), false);
    for (int i = 0; i < n; i++) {
        if (docs_row_set(b, i, DOCS_CELL_TEXT, fields[i], strlen(fields[i]), 0, 0, err) != 0)
            return -1;
    }
    docs_row_finish(b);
    return 1;
}

static void csv_close(docs_book *b)
{
    csvdoc *c = b->impl;
    if (!c)
        return;
    csv_reader_free(c->rd);
    g_free(c->utf8);
    g_free(c);
    b->impl = NULL;
}

const docs_reader_ops docs_csv_ops = { csv_sheet_open, csv_sheet_next, csv_close };

int docs_csv_open(const void *data, size_t len, docs_book *b, minca_err *err)
{
    (void)err;
    csvdoc *c = g_malloc0_n(1, sizeof *c);
    b->impl = c;
    c->utf8 = to_utf8(data, len, b->encoding, &c->len);
    b->delimiter = sniff_delimiter(c->utf8, c->len);
    docs_book_add_sheet(b, "", false);
    return 0;
}
