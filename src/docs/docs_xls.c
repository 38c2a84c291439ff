/* docs: legacy XLS (BIFF) reader through libfreexl. freexl reads from a path, so the bytes are
 * handed over through an anonymous memory file (memfd) and never touch the disk. The whole
 * workbook is parsed by freexl (BIFF8 caps a sheet at 65,536 x 256), rows are then delivered
 * one at a time. freexl does not expose hidden columns or merged ranges. */
#include "docs_internal.h"

#include <errno.h>
#include <freexl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct xls {
    const void *handle;
    unsigned rows;
    unsigned short cols;
    unsigned next_row;
} xls;

static const char *label(const docs_book *b) { return b->name[0] ? b->name : "attachment"; }

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

static int xls_sheet_open(docs_book *b, int sheet, minca_err *err)
{
    xls *x = b->impl;
    int rc = freexl_select_active_worksheet(x->handle, (unsigned short)sheet);
    if (rc == FREEXL_OK)
        rc = freexl_worksheet_dimensions(x->handle, &x->rows, &x->cols);
    if (rc != FREEXL_OK)
        return minca_err_set(err, "%s: cannot read sheet '%s': %s", label(b),
                             docs_sheet_name(b, sheet), freexl_reason(rc));
    if ((long)x->rows > b->lim.max_rows)
        return minca_err_set(err, "%s: sheet '%s' has %u rows, above the row limit (max_rows = %ld)",
                             label(b), docs_sheet_name(b, sheet), x->rows, b->lim.max_rows);
    if ((int)x->cols > b->lim.max_cols)
        x->cols = (unsigned short)b->lim.max_cols;
    x->next_row = 0;
    return 0;
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

static int xls_sheet_next(docs_book *b, minca_err *err)
{
    xls *x = b->impl;
    if (x->next_row >= x->rows)
        return 0;
    unsigned r = x->next_row++;
    docs_row_begin(b, (long)r + 1, false);
    for (unsigned short c = 0; c < x->cols; c++) {
        FreeXL_CellValue v;
        if (freexl_get_cell_value(x->handle, r, c, &v) != FREEXL_OK)
            continue;
        char buf[40];
        int rc = 0;
        switch (v.type) {
        case FREEXL_CELL_INT:
            snprintf(buf, sizeof buf, "%d", v.value.int_value);
            rc = docs_row_set(b, c, DOCS_CELL_NUMBER, buf, strlen(buf), v.value.int_value, 0, err);
            break;
        case FREEXL_CELL_DOUBLE:
            docs_number_text(v.value.double_value, buf);
            rc = docs_row_set(b, c, DOCS_CELL_NUMBER, buf, strlen(buf), v.value.double_value, 0, err);
            break;
        case FREEXL_CELL_TEXT:
        case FREEXL_CELL_SST_TEXT:
            if (v.value.text_value)
                rc = docs_row_set(b, c, DOCS_CELL_TEXT, v.value.text_value,
                                  strlen(v.value.text_value), 0, 0, err);
            break;
        case FREEXL_CELL_DATE:
        case FREEXL_CELL_DATETIME:
            if (v.value.text_value)
                rc = docs_row_set(b, c, DOCS_CELL_DATE, v.value.text_value,
                                  strlen(v.value.text_value), iso_to_serial(v.value.text_value), 0, err);
            break;
        case FREEXL_CELL_TIME:
            if (v.value.text_value)
                rc = docs_row_set(b, c, DOCS_CELL_TEXT, v.value.text_value,
                                  strlen(v.value.text_value), 0, 0, err);
            break;
        default:
            break;
        }
        if (rc != 0)
            return -1;
    }
    docs_row_finish(b);
    return 1;
}

static void xls_close(docs_book *b)
{
    xls *x = b->impl;
    if (!x)
        return;
    if (x->handle)
        freexl_close(x->handle);
    free(x);
    b->impl = NULL;
}

const docs_reader_ops docs_xls_ops = { xls_sheet_open, xls_sheet_next, xls_close };

int docs_xls_open(const void *data, size_t len, docs_book *b, minca_err *err)
{
    xls *x = calloc(1, sizeof *x);
    b->impl = x;
    int fd = memfd_create("minca-xls", MFD_CLOEXEC);
    if (fd < 0)
        return minca_err_set(err, "%s: cannot create a memory file: %s", label(b), strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return minca_err_set(err, "%s: cannot buffer the workbook: %s", label(b), strerror(errno));
        }
        p += w;
        left -= (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int rc = freexl_open(path, &x->handle);
    close(fd);
    if (rc != FREEXL_OK) {
        x->handle = NULL;
        return minca_err_set(err, "%s: not a readable XLS workbook: %s", label(b), freexl_reason(rc));
    }
    unsigned info = 0;
    if (freexl_get_info(x->handle, FREEXL_BIFF_PASSWORD, &info) == FREEXL_OK &&
        info == FREEXL_BIFF_OBFUSCATED)
        return minca_err_set(err, "%s: the workbook is password protected", label(b));
    unsigned count = 0;
    if (freexl_get_info(x->handle, FREEXL_BIFF_SHEET_COUNT, &count) != FREEXL_OK || count == 0)
        return minca_err_set(err, "%s: the workbook has no sheets", label(b));
    if ((int)count > b->lim.max_sheets)
        return minca_err_set(err, "%s: %u sheets exceeds the sheet limit (max_sheets = %d)",
                             label(b), count, b->lim.max_sheets);
    for (unsigned i = 0; i < count; i++) {
        const char *name = NULL;
        if (freexl_get_worksheet_name(x->handle, (unsigned short)i, &name) != FREEXL_OK)
            name = NULL;
        char *valid = g_utf8_make_valid(name ? name : "", -1);
        docs_book_add_sheet(b, valid, false);
        g_free(valid);
    }
    return 0;
}
