/* docs: legacy XLS (BIFF) reader through libfreexl.
 *
 * freexl reads from a path and has had memory-safety bugs on crafted files (fuzzing found a
 * stack over-read in its code-page conversion), so it never runs in the caller's process: a
 * child process (docs_parse_isolated) opens the bytes through an anonymous memory file,
 * converts every sheet into a compact record stream written to a second memory file, and
 * exits. The parent checks the child's exit, then decodes the stream with bounds checks and
 * delivers rows from it. A crash or a hang of the parser becomes a readable error on the
 * attachment. freexl does not expose hidden columns or merged ranges: the child reads them
 * from the BIFF8 records itself (docs_xls_layout.c) and adds them to the stream. */
#include "docs_internal.h"
#include "docs_xls_layout.h"

#include <freexl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XLS_PARSE_SECONDS 20

/* Stream records: 'S' u32 len name | 'M' u32 n {u32 first_row u32 last_row u16 first_col
 * u16 last_col}* (merged ranges, 1-based, right after 'S') | 'H' u16 n {u16 col}* (hidden
 * columns, 0-based, right after 'S') | 'R' u32 row u16 ncells {u16 col u8 type f64 num u32 len
 * bytes}* | 'X' u32 len message (failure). Native byte order: same machine. */
enum { CELL_TEXT = 0, CELL_NUMBER = 1, CELL_DATE = 2 };

typedef struct xls {
    unsigned char *buf;     /* decoded stream (owned) */
    size_t len;
    GArray *sheet_off;      /* size_t offset of the first row record of each sheet */
    GPtrArray *merges;      /* per sheet: GArray of docs_range */
    GPtrArray *hidden;      /* per sheet: GArray of gboolean by column */
    size_t pos;             /* cursor of the open sheet */
    int sheet;              /* the open sheet */
} xls;


static const char *freexl_reason(int rc)
{
    switch (rc) {
    case FREEXL_INSUFFICIENT_MEMORY: return "out of memory";
    case FREEXL_CFBF_READ_ERROR: return "the OLE2 container is truncated or damaged";
    case FREEXL_CFBF_SEEK_ERROR: return "the OLE2 container is truncated";
    case FREEXL_CFBF_INVALID_SIGNATURE: return "not an OLE2 container";
    case FREEXL_CFBF_INVALID_SECTOR_SIZE: return "invalid OLE2 sector size";
    case FREEXL_CFBF_EMPTY_FAT_CHAIN: return "empty OLE2 allocation table";
    case FREEXL_CFBF_ILLEGAL_FAT_ENTRY: return "damaged OLE2 allocation table";
    case FREEXL_BIFF_INVALID_BOF: return "the Workbook stream does not start like a BIFF workbook";
    case FREEXL_BIFF_INVALID_SST: return "damaged shared string table";
    case FREEXL_BIFF_ILLEGAL_SST_INDEX: return "a cell refers to a missing shared string";
    case FREEXL_BIFF_WORKBOOK_NOT_FOUND: return "no Workbook stream (not an Excel file)";
    case FREEXL_INVALID_CHARACTER: return "text that cannot be converted to UTF-8";
    case FREEXL_UNSUPPORTED_CHARSET: return "unsupported code page";
    case FREEXL_INVALID_MINI_STREAM: return "damaged OLE2 mini stream";
    case FREEXL_CRAFTED_FILE: return "severely corrupted (crafted) file";
    default: return "unreadable XLS workbook";
    }
}

/* ---- child: freexl -> stream ---- */

typedef struct out {
    FILE *f;
    uint64_t written, max;
    bool full;
} out;

static void put(out *o, const void *p, size_t n)
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

static void put_u8(out *o, uint8_t v) { put(o, &v, 1); }
static void put_u16(out *o, uint16_t v) { put(o, &v, 2); }
static void put_u32(out *o, uint32_t v) { put(o, &v, 4); }

static void put_fail(out *o, const char *msg)
{
    docs_child_fail(o->f, msg);
    o->written = 5 + strlen(msg);
    o->full = false;
}

/* "YYYY-MM-DD" -> serial day, 1900 system. */
static double iso_to_serial(const char *s)
{
    int y, m, d;
    if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
        return 0;
    GDate *base = g_date_new_dmy(30, G_DATE_DECEMBER, 1899);
    GDate *dt = g_date_new_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
    double serial = g_date_days_between(base, dt);
    if (serial < 61)
        serial -= 1;
    g_date_free(base);
    g_date_free(dt);
    return serial;
}

static void put_cell(out *o, uint16_t col, uint8_t type, double num, const char *text)
{
    size_t n = text ? strlen(text) : 0;
    put_u16(o, col);
    put_u8(o, type);
    put(o, &num, sizeof num);
    put_u32(o, (uint32_t)n);
    if (n)
        put(o, text, n);
}

/* The layout (merges, hidden columns) of the sheet named name, taken from the list. */
static void put_layout(out *o, GPtrArray *layouts, const char *name)
{
    for (guint i = 0; i < layouts->len; i++) {
        xls_sheet_layout *s = g_ptr_array_index(layouts, i);
        if (!s || !s->name || strcmp(s->name, name) != 0)
            continue;
        if (s->merges->len) {
            put_u8(o, 'M');
            put_u32(o, s->merges->len);
            for (guint k = 0; k < s->merges->len; k++) {
                const docs_range *r = &g_array_index(s->merges, docs_range, k);
                put_u32(o, (uint32_t)r->first_row);
                put_u32(o, (uint32_t)r->last_row);
                put_u16(o, (uint16_t)r->first_col);
                put_u16(o, (uint16_t)r->last_col);
            }
        }
        if (s->hidden_cols->len) {
            put_u8(o, 'H');
            put_u16(o, (uint16_t)s->hidden_cols->len);
            for (guint k = 0; k < s->hidden_cols->len; k++)
                put_u16(o, g_array_index(s->hidden_cols, guint16, k));
        }
        g_ptr_array_index(layouts, i) = NULL;   /* a second sheet of the same name takes the next */
        docs_xls_layout_free1(s);
        return;
    }
}

int docs_xls_child(const void *data, size_t len, int in_fd, FILE *f, const docs_limits *lim)
{
    out o = { .f = f, .max = lim->max_uncompressed_bytes };
    GPtrArray *layouts = docs_xls_layout_read(data, len);
    char path[64], msg[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", in_fd);
    const void *h = NULL;
    int rc = freexl_open(path, &h);
    if (rc != FREEXL_OK) {
        snprintf(msg, sizeof msg, "not a readable XLS workbook: %s", freexl_reason(rc));
        put_fail(&o, msg);
        return 2;
    }
    unsigned info = 0, count = 0;
    if (freexl_get_info(h, FREEXL_BIFF_PASSWORD, &info) == FREEXL_OK && info == FREEXL_BIFF_OBFUSCATED) {
        put_fail(&o, "the workbook is password protected");
        return 2;
    }
    if (freexl_get_info(h, FREEXL_BIFF_SHEET_COUNT, &count) != FREEXL_OK || count == 0) {
        put_fail(&o, "the workbook has no sheets");
        return 2;
    }
    if ((int)count > lim->max_sheets) {
        snprintf(msg, sizeof msg, "%u sheets exceeds the sheet limit (max_sheets = %d)", count, lim->max_sheets);
        put_fail(&o, msg);
        return 2;
    }
    for (unsigned s = 0; s < count; s++) {
        const char *name = NULL;
        if (freexl_get_worksheet_name(h, (unsigned short)s, &name) != FREEXL_OK || !name)
            name = "";
        unsigned rows = 0;
        unsigned short cols = 0;
        rc = freexl_select_active_worksheet(h, (unsigned short)s);
        if (rc == FREEXL_OK)
            rc = freexl_worksheet_dimensions(h, &rows, &cols);
        if (rc != FREEXL_OK) {
            snprintf(msg, sizeof msg, "cannot read sheet '%.100s': %s", name, freexl_reason(rc));
            put_fail(&o, msg);
            return 2;
        }
        if ((long)rows > lim->max_rows) {
            snprintf(msg, sizeof msg, "sheet '%.100s' has %u rows, above the row limit (max_rows = %ld)",
                     name, rows, lim->max_rows);
            put_fail(&o, msg);
            return 2;
        }
        if ((int)cols > lim->max_cols)
            cols = (unsigned short)lim->max_cols;
        put_u8(&o, 'S');
        put_u32(&o, (uint32_t)strlen(name));
        put(&o, name, strlen(name));
        put_layout(&o, layouts, name);
        for (unsigned r = 0; r < rows && !o.full; r++) {
            FreeXL_CellValue cells[256];
            uint16_t n = 0;
            for (unsigned short c = 0; c < cols && c < 256; c++) {
                if (freexl_get_cell_value(h, r, c, &cells[c]) != FREEXL_OK)
                    cells[c].type = FREEXL_CELL_NULL;
                if (cells[c].type != FREEXL_CELL_NULL)
                    n++;
            }
            if (n == 0)
                continue;
            put_u8(&o, 'R');
            put_u32(&o, r + 1);
            put_u16(&o, n);
            for (unsigned short c = 0; c < cols && c < 256; c++) {
                FreeXL_CellValue *v = &cells[c];
                char buf[40];
                switch (v->type) {
                case FREEXL_CELL_INT:
                    snprintf(buf, sizeof buf, "%d", v->value.int_value);
                    put_cell(&o, c, CELL_NUMBER, v->value.int_value, buf);
                    break;
                case FREEXL_CELL_DOUBLE:
                    docs_number_text(v->value.double_value, buf);
                    put_cell(&o, c, CELL_NUMBER, v->value.double_value, buf);
                    break;
                case FREEXL_CELL_DATE:
                case FREEXL_CELL_DATETIME:
                    put_cell(&o, c, CELL_DATE, v->value.text_value ? iso_to_serial(v->value.text_value) : 0,
                             v->value.text_value);
                    break;
                case FREEXL_CELL_NULL:
                    break;
                default:   /* text, shared text, time */
                    put_cell(&o, c, CELL_TEXT, 0, v->value.text_value);
                    break;
                }
            }
        }
    }
    freexl_close(h);
    g_ptr_array_unref(layouts);
    if (o.full) {
        snprintf(msg, sizeof msg, "the workbook's content exceeds the limit (max_uncompressed_bytes = %llu)",
                 (unsigned long long)lim->max_uncompressed_bytes);
        put_fail(&o, msg);
        return 2;
    }
    fflush(o.f);
    return 0;
}

/* ---- parent: stream -> rows ---- */

static bool get(const xls *x, size_t *pos, void *dst, size_t n)
{
    if (n > x->len || *pos > x->len - n)
        return false;
    memcpy(dst, x->buf + *pos, n);
    *pos += n;
    return true;
}

static int corrupt(docs_book *b, minca_err *err)
{
    return minca_err_set(err, "%s: the XLS parser returned inconsistent data; the file is damaged", docs_book_label(b));
}

static int xls_sheet_open(docs_book *b, int sheet, minca_err *err)
{
    (void)err;
    xls *x = b->impl;
    x->pos = g_array_index(x->sheet_off, size_t, (guint)sheet);
    x->sheet = sheet;
    GArray *m = g_ptr_array_index(x->merges, (guint)sheet);
    if (m->len)
        g_array_append_vals(b->merges, m->data, m->len);
    return 0;
}

static bool col_hidden(const xls *x, uint16_t col)
{
    GArray *h = g_ptr_array_index(x->hidden, (guint)x->sheet);
    return col < h->len && g_array_index(h, gboolean, col);
}

static int xls_sheet_next(docs_book *b, minca_err *err)
{
    xls *x = b->impl;
    if (x->pos >= x->len || x->buf[x->pos] != 'R')
        return 0;   /* next sheet or end */
    size_t pos = x->pos + 1;
    uint32_t row;
    uint16_t n;
    if (!get(x, &pos, &row, 4) || !get(x, &pos, &n, 2))
        return corrupt(b, err);
    docs_row_begin(b, row, false);
    for (uint16_t i = 0; i < n; i++) {
        uint16_t col;
        uint8_t type;
        double num;
        uint32_t len;
        if (!get(x, &pos, &col, 2) || !get(x, &pos, &type, 1) || !get(x, &pos, &num, 8) ||
            !get(x, &pos, &len, 4) || len > x->len || pos > x->len - len)
            return corrupt(b, err);
        docs_cell_type t = type == CELL_NUMBER ? DOCS_CELL_NUMBER : type == CELL_DATE ? DOCS_CELL_DATE : DOCS_CELL_TEXT;
        if (docs_row_set(b, col, t, (const char *)x->buf + pos, len, num,
                         col_hidden(x, col) ? DOCS_CELL_HIDDEN_COL : 0, err) != 0)
            return -1;
        pos += len;
    }
    x->pos = pos;
    docs_row_finish(b);
    return 1;
}

static void xls_close(docs_book *b)
{
    xls *x = b->impl;
    if (!x)
        return;
    g_free(x->buf);
    g_array_free(x->sheet_off, TRUE);
    g_ptr_array_unref(x->merges);
    g_ptr_array_unref(x->hidden);
    g_free(x);
    b->impl = NULL;
}

const docs_reader_ops docs_xls_ops = { xls_sheet_open, xls_sheet_next, xls_close };

static void free_array(gpointer a)
{
    g_array_free(a, TRUE);
}

/* The 'M' and 'H' records after a sheet's name: its merged ranges and hidden columns. */
static int index_layout(docs_book *b, xls *x, size_t *pos, minca_err *err)
{
    GArray *m = g_array_new(FALSE, FALSE, sizeof(docs_range));
    GArray *h = g_array_new(FALSE, TRUE, sizeof(gboolean));
    g_ptr_array_add(x->merges, m);
    g_ptr_array_add(x->hidden, h);
    while (*pos < x->len && (x->buf[*pos] == 'M' || x->buf[*pos] == 'H')) {
        uint8_t tag = x->buf[(*pos)++];
        if (tag == 'M') {
            uint32_t n;
            if (!get(x, pos, &n, 4) || n > x->len / 12)
                return corrupt(b, err);
            for (uint32_t k = 0; k < n; k++) {
                uint32_t fr, lr;
                uint16_t fc, lc;
                if (!get(x, pos, &fr, 4) || !get(x, pos, &lr, 4) || !get(x, pos, &fc, 2) || !get(x, pos, &lc, 2))
                    return corrupt(b, err);
                docs_range r = { fr, lr, fc, lc };
                g_array_append_val(m, r);
            }
        } else {
            uint16_t n;
            if (!get(x, pos, &n, 2))
                return corrupt(b, err);
            for (uint16_t k = 0; k < n; k++) {
                uint16_t col;
                if (!get(x, pos, &col, 2))
                    return corrupt(b, err);
                if (col >= h->len)
                    g_array_set_size(h, (guint)col + 1);
                g_array_index(h, gboolean, col) = TRUE;
            }
        }
    }
    return 0;
}

/* Splits the stream into sheets (names, first row offsets) after checking its framing. */
static int index_stream(docs_book *b, xls *x, minca_err *err)
{
    size_t pos = 0;
    while (pos < x->len) {
        uint8_t tag = x->buf[pos++];
        uint32_t len;
        if (tag == 'S') {
            if (!get(x, &pos, &len, 4) || len > x->len || pos > x->len - len)
                return corrupt(b, err);
            char *name = g_strndup((const char *)x->buf + pos, len);
            char *valid = g_utf8_make_valid(name, -1);
            docs_book_add_sheet(b, valid, false);
            g_free(name);
            g_free(valid);
            pos += len;
            if (index_layout(b, x, &pos, err) != 0)
                return -1;
            g_array_append_val(x->sheet_off, pos);
        } else if (tag == 'R' && x->sheet_off->len > 0) {
            uint32_t row;
            uint16_t n;
            if (!get(x, &pos, &row, 4) || !get(x, &pos, &n, 2))
                return corrupt(b, err);
            for (uint16_t i = 0; i < n; i++) {
                pos += 2 + 1 + 8;
                if (!get(x, &pos, &len, 4) || len > x->len || pos > x->len - len)
                    return corrupt(b, err);
                pos += len;
            }
        } else {
            return corrupt(b, err);
        }
    }
    if (docs_sheet_count(b) == 0)
        return minca_err_set(err, "%s: the workbook has no sheets", docs_book_label(b));
    return 0;
}

int docs_xls_open(const void *data, size_t len, docs_book *b, minca_err *err)
{
    xls *x = g_malloc0_n(1, sizeof *x);
    x->sheet_off = g_array_new(FALSE, FALSE, sizeof(size_t));
    x->merges = g_ptr_array_new_with_free_func(free_array);
    x->hidden = g_ptr_array_new_with_free_func(free_array);
    b->impl = x;
    const docs_isolation iso = { .kind = "xls", .what = "XLS workbook", .seconds = XLS_PARSE_SECONDS };
    if (docs_parse_isolated(b, data, len, &iso, &x->buf, &x->len, err) != 0)
        return -1;
    return index_stream(b, x, err);
}
