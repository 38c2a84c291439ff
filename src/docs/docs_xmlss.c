/* docs: XML Spreadsheet 2003 (SpreadsheetML, "<?mso-application progid="Excel.Sheet"?>"),
 * another "Excel" format older web systems and ERPs export under a .xls name. Streamed with
 * libxml2's xmlTextReader from memory (no network, no DTD loading, no entity substitution):
 * Worksheet ss:Name -> sheet, Row (ss:Index, ss:Hidden) -> row, Cell (ss:Index,
 * ss:MergeAcross) / Data ss:Type (String, Number, DateTime, Boolean) -> typed cell,
 * Column ss:Hidden -> hidden columns. */
#include "docs_internal.h"

#include <libxml/xmlreader.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

typedef struct xmlss {
    const char *data;
    size_t len;
    xmlTextReaderPtr rd;
    GArray *hidden_cols;   /* gboolean */
    long last_row;
    long col_cursor;       /* last <Column> position, 1-based */
    bool done;
} xmlss;



static long attr_long(xmlTextReaderPtr rd, const char *name, long def)
{
    char *v = docs_xml_attr(rd, name);
    long r = v ? strtol(v, NULL, 10) : def;
    g_free(v);
    return r;
}

static xmlTextReaderPtr reader(const xmlss *x)
{
    return xmlReaderForMemory(x->data, (int)x->len, "workbook.xml", NULL, XML_OPTS);
}

static int fail(docs_book *b, minca_err *err)
{
    return minca_err_set(err, "%s: the XML spreadsheet is not well-formed", docs_book_label(b));
}

static int xmlss_sheet_open(docs_book *b, int sheet, minca_err *err)
{
    xmlss *x = b->impl;
    if (x->rd)
        xmlFreeTextReader(x->rd);
    x->rd = reader(x);
    g_array_set_size(x->hidden_cols, 0);
    x->last_row = 0;
    x->col_cursor = 0;
    x->done = false;
    if (!x->rd)
        return fail(b, err);
    int seen = -1, rc;
    while ((rc = xmlTextReaderRead(x->rd)) == 1) {
        if (xmlTextReaderNodeType(x->rd) != XML_READER_TYPE_ELEMENT || strcmp(docs_xml_local(x->rd), "Worksheet") != 0)
            continue;
        if (++seen == sheet)
            return 0;
        if (xmlTextReaderNext(x->rd) != 1)   /* skip that worksheet's content */
            break;
        if (xmlTextReaderNodeType(x->rd) == XML_READER_TYPE_ELEMENT && strcmp(docs_xml_local(x->rd), "Worksheet") == 0 &&
            ++seen == sheet)
            return 0;
    }
    return fail(b, err);
}

static int set_cell(docs_book *b, xmlss *x, int col, const char *type, GString *val, long merge,
                    minca_err *err)
{
    unsigned flags = 0;
    if (col >= 0 && (guint)col < x->hidden_cols->len && g_array_index(x->hidden_cols, gboolean, (guint)col))
        flags |= DOCS_CELL_HIDDEN_COL;
    if (merge > 0)
        flags |= DOCS_CELL_MERGED;
    int rc = 0;
    if (type && strcmp(type, "Number") == 0) {
        char *end;
        double v = g_ascii_strtod(val->str, &end);
        if (end != val->str && *end == '\0' && isfinite(v)) {
            char buf[40];
            docs_number_text(v, buf);
            rc = docs_row_set(b, col, DOCS_CELL_NUMBER, buf, strlen(buf), v, flags, err);
        } else {
            rc = docs_row_set(b, col, DOCS_CELL_TEXT, val->str, val->len, 0, flags, err);
        }
    } else if (type && strcmp(type, "DateTime") == 0) {
        char *t = g_strdup(val->str);
        char *T = strchr(t, 'T');
        if (T)
            *T = strncmp(T + 1, "00:00:00", 8) == 0 ? '\0' : ' ';
        char *dot = strchr(t, '.');
        if (dot)
            *dot = '\0';
        rc = docs_row_set(b, col, DOCS_CELL_DATE, t, strlen(t), 0, flags, err);
        g_free(t);
    } else if (type && strcmp(type, "Boolean") == 0) {
        bool v = val->str[0] == '1';
        rc = docs_row_set(b, col, DOCS_CELL_BOOL, v ? "TRUE" : "FALSE", v ? 4 : 5, v, flags, err);
    } else {
        rc = docs_row_set(b, col, DOCS_CELL_TEXT, val->str, val->len, 0, flags, err);
    }
    for (long m = 1; rc == 0 && m <= merge && col + m < b->lim.max_cols; m++)
        rc = docs_row_set(b, (int)(col + m), DOCS_CELL_EMPTY, "", 0, 0, DOCS_CELL_MERGED, err);
    return rc;
}

static int xmlss_sheet_next(docs_book *b, minca_err *err)
{
    xmlss *x = b->impl;
    if (!x->rd || x->done)
        return 0;
    xmlTextReaderPtr rd = x->rd;
    bool in_row = false, in_data = false;
    int col = 0, cell_col = -1;
    long merge = 0;
    char *type = NULL;
    GString *val = g_string_new(NULL);
    int rc, result = -2;
    while (result == -2 && (rc = xmlTextReaderRead(rd)) == 1) {
        int t = xmlTextReaderNodeType(rd);
        const char *n = docs_xml_local(rd);
        if (t == XML_READER_TYPE_ELEMENT) {
            bool empty = xmlTextReaderIsEmptyElement(rd);
            if (strcmp(n, "Column") == 0) {
                long idx = attr_long(rd, "Index", x->col_cursor + 1), span = attr_long(rd, "Span", 0);
                if (idx < 1 || idx > b->lim.max_cols)
                    idx = x->col_cursor + 1;
                if (span < 0 || span > b->lim.max_cols)
                    span = 0;
                x->col_cursor = idx + span;
                char *h = docs_xml_attr(rd, "Hidden");
                if (h && h[0] == '1') {
                    for (long c = idx; c <= idx + span && c <= b->lim.max_cols; c++) {
                        if (x->hidden_cols->len < (guint)c)
                            g_array_set_size(x->hidden_cols, (guint)c);
                        g_array_index(x->hidden_cols, gboolean, (guint)(c - 1)) = TRUE;
                    }
                }
                g_free(h);
            } else if (strcmp(n, "Row") == 0) {
                long idx = attr_long(rd, "Index", 0);
                x->last_row = idx > x->last_row && idx < 10000000 ? idx : x->last_row + 1;
                char *h = docs_xml_attr(rd, "Hidden");
                docs_row_begin(b, x->last_row, h && h[0] == '1');
                g_free(h);
                col = 0;
                if (empty) {
                    docs_row_finish(b);
                    result = 1;
                } else {
                    in_row = true;
                }
            } else if (in_row && strcmp(n, "Cell") == 0) {
                long idx = attr_long(rd, "Index", 0);
                if (idx > 0 && idx <= b->lim.max_cols + 1)
                    col = (int)idx - 1;
                cell_col = col;
                merge = attr_long(rd, "MergeAcross", 0);
                if (merge < 0 || merge > 256)
                    merge = 0;
                col += 1 + (int)merge;
                if (cell_col >= b->lim.max_cols) {
                    result = docs_row_set(b, cell_col, DOCS_CELL_EMPTY, "", 0, 0, 0, err);
                    break;
                }
                if (empty && merge > 0 && set_cell(b, x, cell_col, NULL, val, merge, err) != 0)
                    result = -1;
            } else if (in_row && strcmp(n, "Data") == 0) {
                g_free(type);
                type = docs_xml_attr(rd, "Type");
                g_string_truncate(val, 0);
                in_data = !empty;
                if (empty && set_cell(b, x, cell_col, type, val, merge, err) != 0)
                    result = -1;
            }
        } else if (t == XML_READER_TYPE_END_ELEMENT) {
            if (in_data && strcmp(n, "Data") == 0) {
                in_data = false;
                if (set_cell(b, x, cell_col, type, val, merge, err) != 0)
                    result = -1;
            } else if (in_row && strcmp(n, "Row") == 0) {
                docs_row_finish(b);
                result = 1;
            } else if (strcmp(n, "Worksheet") == 0) {
                x->done = true;
                result = 0;
            }
        } else if (in_data && (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
                               t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || t == XML_READER_TYPE_WHITESPACE)) {
            const xmlChar *v = xmlTextReaderConstValue(rd);
            if (v)
                g_string_append(val, (const char *)v);
            if (val->len > b->lim.max_cell_bytes) {
                result = minca_err_set(err, "%s: a cell of row %ld holds more than %zu bytes "
                                            "(max_cell_bytes)", docs_book_label(b), b->row.row, b->lim.max_cell_bytes);
            }
        }
    }
    if (result == -2) {
        x->done = true;
        result = rc < 0 ? fail(b, err) : in_row ? fail(b, err) : 0;
    }
    g_free(type);
    g_string_free(val, TRUE);
    return result;
}

static void xmlss_close(docs_book *b)
{
    xmlss *x = b->impl;
    if (!x)
        return;
    if (x->rd)
        xmlFreeTextReader(x->rd);
    g_array_free(x->hidden_cols, TRUE);
    g_free(x);
    b->impl = NULL;
}

const docs_reader_ops docs_xmlss_ops = { xmlss_sheet_open, xmlss_sheet_next, xmlss_close };

int docs_xmlss_open(const void *data, size_t len, docs_book *b, minca_err *err)
{
    xmlss *x = g_new0(xmlss, 1);
    x->data = data;
    x->len = len;
    x->hidden_cols = g_array_new(FALSE, TRUE, sizeof(gboolean));
    b->impl = x;
    if (len > (size_t)G_MAXINT)
        return minca_err_set(err, "%s: the XML spreadsheet is too large", docs_book_label(b));
    xmlTextReaderPtr rd = reader(x);
    if (!rd)
        return fail(b, err);
    int rc;
    while ((rc = xmlTextReaderRead(rd)) == 1) {
        if (xmlTextReaderNodeType(rd) != XML_READER_TYPE_ELEMENT || strcmp(docs_xml_local(rd), "Worksheet") != 0)
            continue;
        for (;;) {
            char *name = docs_xml_attr(rd, "Name");
            if (docs_sheet_count(b) <= b->lim.max_sheets)
                docs_book_add_sheet(b, name ? name : "", false);
            g_free(name);
            rc = xmlTextReaderNext(rd);
            if (rc == 1 && xmlTextReaderNodeType(rd) == XML_READER_TYPE_ELEMENT &&
                strcmp(docs_xml_local(rd), "Worksheet") == 0)
                continue;
            break;
        }
        if (rc != 1)
            break;
    }
    xmlFreeTextReader(rd);
    if (rc < 0)
        return fail(b, err);
    if (docs_sheet_count(b) == 0)
        return minca_err_set(err, "%s: an XML file without worksheets, not a spreadsheet", docs_book_label(b));
    return 0;
}
