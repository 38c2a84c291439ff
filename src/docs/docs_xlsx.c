/* docs: XLSX reader. The container and its XML parts are read through docs_zip.c (libzip from
 * memory, libxml2's streaming xmlTextReader fed by zip_fread, so a sheet never sits whole in
 * memory; no network, no DTD loading, no entity substitution; sizes and ratios checked against
 * docs_limits before and while reading). */
#include "docs_internal.h"

#include <libxml/xmlreader.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

typedef struct xlsx {
    docs_zip zip;
    GPtrArray *sheet_paths;    /* char* */
    GString *shared;           /* shared strings, NUL-separated, in one block */
    GArray *shared_off;        /* gsize offset of each shared string in `shared` */
    GArray *date_xf;           /* gboolean per cellXfs index */
    bool date1904;
    /* open sheet */
    docs_zip_part *io;
    xmlTextReaderPtr rd;
    GArray *hidden_cols;       /* gboolean */
    bool sheet_done;
    bool merges_known;         /* the pre-pass collected the merged ranges */
    long last_row;
    GString *val;              /* text of the current <v> / <t> */
} xlsx;

static bool attr_true(xmlTextReaderPtr rd, const char *name)
{
    char *v = docs_xml_attr(rd, name);
    bool t = v && (strcmp(v, "1") == 0 || g_ascii_strcasecmp(v, "true") == 0);
    g_free(v);
    return t;
}

/* ---- relationships, workbook, styles, shared strings ---- */

typedef struct rel {
    char *id, *type, *target;
} rel;

static void rel_free(gpointer p)
{
    rel *r = p;
    g_free(r->id);
    g_free(r->type);
    g_free(r->target);
    g_free(r);
}

static int read_rels(docs_book *b, xlsx *x, const char *name, GPtrArray **out, minca_err *err)
{
    *out = g_ptr_array_new_with_free_func(rel_free);
    if (docs_zip_locate(&x->zip, name) < 0)
        return 0;
    docs_zip_part *io;
    xmlTextReaderPtr rd;
    if (docs_zip_part_open(b, &x->zip, name, &io, &rd, err) != 0)
        return -1;
    int rc;
    while ((rc = xmlTextReaderRead(rd)) == 1) {
        if (xmlTextReaderNodeType(rd) == XML_READER_TYPE_ELEMENT &&
            strcmp(docs_xml_local(rd), "Relationship") == 0) {
            rel *r = g_new0(rel, 1);
            r->id = docs_xml_attr(rd, "Id");
            r->type = docs_xml_attr(rd, "Type");
            r->target = docs_xml_attr(rd, "Target");
            if (r->id && r->target)
                g_ptr_array_add(*out, r);
            else
                rel_free(r);
        }
    }
    if (rc < 0)
        docs_zip_part_fail(b, io, err);
    docs_zip_part_close(io, rd);
    return rc < 0 ? -1 : 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = s ? strlen(s) : 0, n = strlen(suffix);
    return a >= n && strcmp(s + a - n, suffix) == 0;
}

/* Resolves a relationship target against the directory of the part that holds it. */
static char *resolve(const char *base_dir, const char *target)
{
    if (target[0] == '/')
        return g_strdup(target + 1);
    char *joined = g_strconcat(base_dir, target, NULL);
    /* collapse "dir/../" once or twice (rare in the wild) */
    char *p;
    while ((p = strstr(joined, "/../")) != NULL) {
        char *start = p;
        while (start > joined && start[-1] != '/')
            start--;
        memmove(start, p + 4, strlen(p + 4) + 1);
    }
    return joined;
}

static const rel *rel_by_type(GPtrArray *rels, const char *suffix)
{
    for (guint i = 0; i < rels->len; i++) {
        rel *r = g_ptr_array_index(rels, i);
        if (ends_with(r->type, suffix))
            return r;
    }
    return NULL;
}

static const rel *rel_by_id(GPtrArray *rels, const char *id)
{
    for (guint i = 0; i < rels->len; i++) {
        rel *r = g_ptr_array_index(rels, i);
        if (id && strcmp(r->id, id) == 0)
            return r;
    }
    return NULL;
}

static int read_workbook(docs_book *b, xlsx *x, const char *wb_path, GPtrArray *wb_rels,
                         const char *wb_dir, minca_err *err)
{
    docs_zip_part *io;
    xmlTextReaderPtr rd;
    if (docs_zip_part_open(b, &x->zip, wb_path, &io, &rd, err) != 0)
        return -1;
    int rc;
    while ((rc = xmlTextReaderRead(rd)) == 1) {
        if (xmlTextReaderNodeType(rd) != XML_READER_TYPE_ELEMENT)
            continue;
        const char *n = docs_xml_local(rd);
        if (strcmp(n, "workbookPr") == 0) {
            x->date1904 = attr_true(rd, "date1904");
        } else if (strcmp(n, "sheet") == 0) {
            char *name = docs_xml_attr(rd, "name");
            char *state = docs_xml_attr(rd, "state");
            char *rid = docs_xml_attr(rd, "id");
            const rel *r = rel_by_id(wb_rels, rid);
            if (r && docs_sheet_count(b) < b->lim.max_sheets + 1) {
                bool hidden = state && strcmp(state, "visible") != 0;
                docs_book_add_sheet(b, name ? name : "", hidden);
                g_ptr_array_add(x->sheet_paths, resolve(wb_dir, r->target));
            }
            g_free(name);
            g_free(state);
            g_free(rid);
        }
    }
    if (rc < 0)
        docs_zip_part_fail(b, io, err);
    docs_zip_part_close(io, rd);
    return rc < 0 ? -1 : 0;
}

static bool builtin_date_format(int id)
{
    return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
           (id >= 50 && id <= 58);
}

static bool format_code_is_date(const char *code)
{
    bool in_quote = false;
    int bracket = 0;
    for (const char *p = code; *p; p++) {
        if (*p == '"') {
            in_quote = !in_quote;
            continue;
        }
        if (in_quote)
            continue;
        if (*p == '\\' || *p == '_' || *p == '*') {
            if (p[1])
                p++;
            continue;
        }
        if (*p == '[') {
            bracket++;
            continue;
        }
        if (*p == ']') {
            bracket = bracket ? bracket - 1 : 0;
            continue;
        }
        if (bracket)
            continue;
        char c = (char)g_ascii_tolower(*p);
        if (c == 'd' || c == 'y' || c == 'm' || c == 'h')
            return true;
    }
    return false;
}

static int read_styles(docs_book *b, xlsx *x, const char *path, minca_err *err)
{
    if (!path || docs_zip_locate(&x->zip, path) < 0)
        return 0;
    docs_zip_part *io;
    xmlTextReaderPtr rd;
    if (docs_zip_part_open(b, &x->zip, path, &io, &rd, err) != 0)
        return -1;
    GHashTable *custom = g_hash_table_new(g_direct_hash, g_direct_equal);   /* id -> is date */
    bool in_xfs = false;
    int rc;
    while ((rc = xmlTextReaderRead(rd)) == 1) {
        int type = xmlTextReaderNodeType(rd);
        const char *n = docs_xml_local(rd);
        if (type == XML_READER_TYPE_END_ELEMENT && strcmp(n, "cellXfs") == 0) {
            in_xfs = false;
            continue;
        }
        if (type != XML_READER_TYPE_ELEMENT)
            continue;
        if (strcmp(n, "numFmt") == 0) {
            char *id = docs_xml_attr(rd, "numFmtId"), *code = docs_xml_attr(rd, "formatCode");
            if (id && code && format_code_is_date(code))
                g_hash_table_insert(custom, GINT_TO_POINTER(atoi(id)), GINT_TO_POINTER(1));
            g_free(id);
            g_free(code);
        } else if (strcmp(n, "cellXfs") == 0) {
            in_xfs = !xmlTextReaderIsEmptyElement(rd);
        } else if (in_xfs && strcmp(n, "xf") == 0) {
            char *id = docs_xml_attr(rd, "numFmtId");
            int fid = id ? atoi(id) : 0;
            gboolean is_date = builtin_date_format(fid) ||
                               g_hash_table_contains(custom, GINT_TO_POINTER(fid));
            if (x->date_xf->len < 65536)
                g_array_append_val(x->date_xf, is_date);
            g_free(id);
        }
    }
    if (rc < 0)
        docs_zip_part_fail(b, io, err);
    g_hash_table_destroy(custom);
    docs_zip_part_close(io, rd);
    return rc < 0 ? -1 : 0;
}

static int read_shared_strings(docs_book *b, xlsx *x, const char *path, minca_err *err)
{
    if (!path || docs_zip_locate(&x->zip, path) < 0)
        return 0;
    docs_zip_part *io;
    xmlTextReaderPtr rd;
    if (docs_zip_part_open(b, &x->zip, path, &io, &rd, err) != 0)
        return -1;
    GString *cur = g_string_new(NULL);
    bool in_si = false, in_t = false;
    int skip_depth = -1;   /* inside <rPh> phonetic runs */
    int rc;
    while ((rc = xmlTextReaderRead(rd)) == 1) {
        int type = xmlTextReaderNodeType(rd);
        const char *n = docs_xml_local(rd);
        if (type == XML_READER_TYPE_ELEMENT) {
            bool empty = xmlTextReaderIsEmptyElement(rd);
            if (strcmp(n, "si") == 0) {
                g_string_truncate(cur, 0);
                in_si = true;
                if (empty) {
                    gsize off = x->shared->len;
                    g_array_append_val(x->shared_off, off);
                    g_string_append_c(x->shared, '\0');
                    in_si = false;
                }
            } else if (strcmp(n, "rPh") == 0 && !empty) {
                skip_depth = xmlTextReaderDepth(rd);
            } else if (strcmp(n, "t") == 0 && in_si && skip_depth < 0 && !empty) {
                in_t = true;
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            if (strcmp(n, "si") == 0 && in_si) {
                gsize off = x->shared->len;
                g_array_append_val(x->shared_off, off);
                g_string_append_len(x->shared, cur->str, (gssize)strlen(cur->str));
                g_string_append_c(x->shared, '\0');
                in_si = false;
            } else if (strcmp(n, "rPh") == 0 && xmlTextReaderDepth(rd) == skip_depth) {
                skip_depth = -1;
            } else if (strcmp(n, "t") == 0) {
                in_t = false;
            }
        } else if (in_t && (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                            type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
                            type == XML_READER_TYPE_WHITESPACE)) {
            const xmlChar *v = xmlTextReaderConstValue(rd);
            if (v)
                g_string_append(cur, (const char *)v);
            if (cur->len > b->lim.max_cell_bytes) {
                minca_err_set(err, "%s: shared string %u holds more than %zu bytes "
                                   "(max_cell_bytes)", docs_book_label(b), x->shared_off->len,
                              b->lim.max_cell_bytes);
                rc = -2;
                break;
            }
        }
    }
    if (rc == -1)
        docs_zip_part_fail(b, io, err);
    g_string_free(cur, TRUE);
    docs_zip_part_close(io, rd);
    return rc < 0 ? -1 : 0;
}

/* ---- sheet streaming ---- */

static void sheet_close(xlsx *x)
{
    docs_zip_part_close(x->io, x->rd);
    x->io = NULL;
    x->rd = NULL;
    g_array_set_size(x->hidden_cols, 0);
    x->sheet_done = false;
    x->last_row = 0;
}

static void add_merge(docs_book *b, const char *ref);

/* Collects <mergeCell> ranges of a small sheet before its rows are streamed: the cell data
 * (<sheetData>) is skipped as a subtree. */
static int prescan_merges(docs_book *b, xlsx *x, const char *path, minca_err *err)
{
    zip_int64_t idx = docs_zip_locate(&x->zip, path);
    zip_stat_t st;
    zip_stat_init(&st);
    if (idx < 0 || zip_stat_index(x->zip.zip, (zip_uint64_t)idx, 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_SIZE) || st.size > (8u << 20))
        return 0;
    docs_zip_part *io;
    xmlTextReaderPtr rd;
    if (docs_zip_part_open(b, &x->zip, path, &io, &rd, err) != 0)
        return -1;
    int rc;
    while ((rc = xmlTextReaderRead(rd)) == 1) {
        if (xmlTextReaderNodeType(rd) != XML_READER_TYPE_ELEMENT)
            continue;
        const char *n = docs_xml_local(rd);
        if (strcmp(n, "sheetData") == 0 && !xmlTextReaderIsEmptyElement(rd)) {
            rc = xmlTextReaderNext(rd);
            if (rc != 1)
                break;
            if (xmlTextReaderNodeType(rd) == XML_READER_TYPE_ELEMENT && strcmp(docs_xml_local(rd), "mergeCells") != 0)
                continue;
        }
        if (xmlTextReaderNodeType(rd) == XML_READER_TYPE_ELEMENT && strcmp(docs_xml_local(rd), "mergeCell") == 0) {
            char *ref = docs_xml_attr(rd, "ref");
            add_merge(b, ref);
            g_free(ref);
        }
    }
    /* A damaged sheet is reported by the streaming pass itself, with the row it reached. */
    docs_zip_part_close(io, rd);
    x->merges_known = rc == 0;
    if (!x->merges_known)
        g_array_set_size(b->merges, 0);
    return 0;
}

static int xlsx_sheet_open(docs_book *b, int sheet, minca_err *err)
{
    xlsx *x = b->impl;
    sheet_close(x);
    x->merges_known = false;
    const char *path = g_ptr_array_index(x->sheet_paths, (guint)sheet);
    if (prescan_merges(b, x, path, err) != 0)
        return -1;
    return docs_zip_part_open(b, &x->zip, path, &x->io, &x->rd, err);
}

static bool col_hidden(xlsx *x, int col)
{
    return col >= 0 && (guint)col < x->hidden_cols->len &&
           g_array_index(x->hidden_cols, gboolean, (guint)col);
}

typedef struct cell_state {
    int col;
    char t[16];
    int style;
    bool has_value;
} cell_state;

static int finish_cell(docs_book *b, xlsx *x, const cell_state *c, minca_err *err)
{
    if (!c->has_value)
        return 0;
    if (x->val->len == 0 && strcmp(c->t, "inlineStr") != 0 && strcmp(c->t, "str") != 0)
        return 0;   /* <v/>: no value */
    unsigned flags = col_hidden(x, c->col) ? DOCS_CELL_HIDDEN_COL : 0;
    const char *v = x->val->str;
    size_t vlen = x->val->len;
    if (strcmp(c->t, "s") == 0) {
        char *end;
        long idx = strtol(v, &end, 10);
        if (end == v || idx < 0 || (guint)idx >= x->shared_off->len) {
            char name[8];
            docs_col_name(c->col, name);
            return minca_err_set(err, "%s: cell %s%ld refers to shared string %s, which does not "
                                      "exist", docs_book_label(b), name, b->row.row, v);
        }
        const char *s = x->shared->str + g_array_index(x->shared_off, gsize, (guint)idx);
        return docs_row_set(b, c->col, DOCS_CELL_TEXT, s, strlen(s), 0, flags, err);
    }
    if (strcmp(c->t, "inlineStr") == 0 || strcmp(c->t, "str") == 0)
        return docs_row_set(b, c->col, DOCS_CELL_TEXT, v, vlen, 0, flags, err);
    if (strcmp(c->t, "e") == 0)
        return docs_row_set(b, c->col, DOCS_CELL_TEXT, v, vlen, 0, flags | DOCS_CELL_ERROR, err);
    if (strcmp(c->t, "b") == 0) {
        bool t = v[0] == '1' || g_ascii_strcasecmp(v, "true") == 0;
        return docs_row_set(b, c->col, DOCS_CELL_BOOL, t ? "TRUE" : "FALSE", t ? 4 : 5, t, flags, err);
    }
    if (strcmp(c->t, "d") == 0)
        return docs_row_set(b, c->col, DOCS_CELL_DATE, v, vlen > 19 ? 19 : vlen, 0, flags, err);
    /* number (t="n" or absent) */
    char *end;
    char *trimmed = g_strstrip(g_strdup(v));
    double num = g_ascii_strtod(trimmed, &end);
    bool ok = trimmed[0] && *end == '\0' && isfinite(num);
    g_free(trimmed);
    if (!ok)
        return docs_row_set(b, c->col, DOCS_CELL_TEXT, v, vlen, 0, flags, err);
    bool is_date = c->style >= 0 && (guint)c->style < x->date_xf->len &&
                   g_array_index(x->date_xf, gboolean, (guint)c->style);
    if (is_date) {
        double serial = x->date1904 ? num + 1462 : num;
        char iso[11], text[48];
        if (docs_serial_to_iso(serial, iso)) {
            double frac = serial - floor(serial);
            if (frac > 1e-9) {
                int secs = (int)lround(frac * 86400.0);
                if (secs >= 86400)
                    secs = 86399;
                snprintf(text, sizeof text, "%s %02d:%02d:%02d", iso, secs / 3600, secs / 60 % 60,
                         secs % 60);
            } else {
                snprintf(text, sizeof text, "%s", iso);
            }
            return docs_row_set(b, c->col, DOCS_CELL_DATE, text, strlen(text), serial, flags, err);
        }
    }
    char buf[40];
    docs_number_text(num, buf);
    return docs_row_set(b, c->col, DOCS_CELL_NUMBER, buf, strlen(buf), num, flags, err);
}

static void add_merge(docs_book *b, const char *ref)
{
    if (!ref || b->merges->len >= 100000)
        return;
    char *colon = strchr(ref, ':');
    if (!colon)
        return;
    char *a = g_strndup(ref, (gsize)(colon - ref));
    docs_range r;
    if (docs_parse_ref(a, &r.first_col, &r.first_row) == 0 &&
        docs_parse_ref(colon + 1, &r.last_col, &r.last_row) == 0) {
        r.first_col++;
        r.last_col++;
        g_array_append_val(b->merges, r);
    }
    g_free(a);
}

static int xlsx_sheet_next(docs_book *b, minca_err *err)
{
    xlsx *x = b->impl;
    if (!x->rd || x->sheet_done)
        return 0;
    xmlTextReaderPtr rd = x->rd;
    bool in_row = false, capture = false;
    int skip_depth = -1;
    cell_state cell = { .col = -1, .style = -1 };
    int next_col = 0;
    int rc;
    while ((rc = xmlTextReaderRead(rd)) == 1) {
        int type = xmlTextReaderNodeType(rd);
        if (type == XML_READER_TYPE_ELEMENT) {
            const char *n = docs_xml_local(rd);
            bool empty = xmlTextReaderIsEmptyElement(rd);
            if (strcmp(n, "row") == 0) {
                char *r = docs_xml_attr(rd, "r");
                long rn = r ? strtol(r, NULL, 10) : 0;
                g_free(r);
                if (rn <= 0 || rn > 10000000)
                    rn = x->last_row + 1;
                x->last_row = rn;
                docs_row_begin(b, rn, attr_true(rd, "hidden"));
                next_col = 0;
                if (empty) {
                    docs_row_finish(b);
                    return 1;
                }
                in_row = true;
            } else if (in_row && strcmp(n, "c") == 0) {
                char *r = docs_xml_attr(rd, "r"), *t = docs_xml_attr(rd, "t"), *s = docs_xml_attr(rd, "s");
                long dummy;
                int col;
                if (!r || docs_parse_ref(r, &col, &dummy) != 0)
                    col = next_col;
                next_col = col + 1;
                cell.col = col;
                snprintf(cell.t, sizeof cell.t, "%s", t ? t : "n");
                cell.style = s ? atoi(s) : -1;
                cell.has_value = false;
                g_string_truncate(x->val, 0);
                g_free(r);
                g_free(t);
                g_free(s);
                if (col >= b->lim.max_cols)   /* fails naming the max_cols limit */
                    return docs_row_set(b, col, DOCS_CELL_EMPTY, "", 0, 0, 0, err);
            } else if (in_row && (strcmp(n, "v") == 0 || (strcmp(n, "t") == 0 && skip_depth < 0))) {
                if (!empty)
                    capture = true;
                cell.has_value = true;
            } else if (in_row && strcmp(n, "rPh") == 0 && !empty) {
                skip_depth = xmlTextReaderDepth(rd);
            } else if (strcmp(n, "col") == 0) {
                if (attr_true(rd, "hidden")) {
                    char *mn = docs_xml_attr(rd, "min"), *mx = docs_xml_attr(rd, "max");
                    long lo = mn ? strtol(mn, NULL, 10) : 0, hi = mx ? strtol(mx, NULL, 10) : 0;
                    if (hi > b->lim.max_cols)
                        hi = b->lim.max_cols;
                    for (long c = lo; c >= 1 && c <= hi; c++) {
                        if (x->hidden_cols->len < (guint)c)
                            g_array_set_size(x->hidden_cols, (guint)c);
                        g_array_index(x->hidden_cols, gboolean, (guint)(c - 1)) = TRUE;
                    }
                    g_free(mn);
                    g_free(mx);
                }
            } else if (strcmp(n, "mergeCell") == 0 && !x->merges_known) {
                char *ref = docs_xml_attr(rd, "ref");
                add_merge(b, ref);
                g_free(ref);
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            const char *n = docs_xml_local(rd);
            if (strcmp(n, "v") == 0 || strcmp(n, "t") == 0) {
                capture = false;
            } else if (strcmp(n, "rPh") == 0 && xmlTextReaderDepth(rd) == skip_depth) {
                skip_depth = -1;
            } else if (in_row && strcmp(n, "c") == 0) {
                if (finish_cell(b, x, &cell, err) != 0)
                    return -1;
                cell.has_value = false;
            } else if (in_row && strcmp(n, "row") == 0) {
                docs_row_finish(b);
                return 1;
            }
        } else if (capture && (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                               type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
                               type == XML_READER_TYPE_WHITESPACE)) {
            const xmlChar *v = xmlTextReaderConstValue(rd);
            if (v)
                g_string_append(x->val, (const char *)v);
            if (x->val->len > b->lim.max_cell_bytes) {
                char name[8];
                docs_col_name(cell.col, name);
                return minca_err_set(err, "%s: cell %s%ld holds more than %zu bytes, beyond the "
                                          "cell length limit (max_cell_bytes)", docs_book_label(b), name,
                                     b->row.row, b->lim.max_cell_bytes);
            }
        }
    }
    if (rc < 0)
        return docs_zip_part_fail(b, x->io, err);
    x->sheet_done = true;
    if (in_row) {   /* document ended inside a row: truncated */
        return minca_err_set(err, "%s: sheet '%s' ends in the middle of row %ld", docs_book_label(b),
                             docs_sheet_name(b, b->open_sheet), b->row.row);
    }
    return 0;
}

static void xlsx_close(docs_book *b)
{
    xlsx *x = b->impl;
    if (!x)
        return;
    sheet_close(x);
    docs_zip_close(&x->zip);
    g_ptr_array_free(x->sheet_paths, TRUE);
    g_string_free(x->shared, TRUE);
    g_array_free(x->shared_off, TRUE);
    g_array_free(x->date_xf, TRUE);
    g_array_free(x->hidden_cols, TRUE);
    g_string_free(x->val, TRUE);
    g_free(x);
    b->impl = NULL;
}

const docs_reader_ops docs_xlsx_ops = { xlsx_sheet_open, xlsx_sheet_next, xlsx_close };

int docs_xlsx_open(const void *data, size_t len, docs_book *b, minca_err *err)
{
    xlsx *x = g_malloc0_n(1, sizeof *x);
    x->sheet_paths = g_ptr_array_new_with_free_func(g_free);
    x->shared = g_string_new(NULL);
    x->shared_off = g_array_new(FALSE, FALSE, sizeof(gsize));
    x->date_xf = g_array_new(FALSE, TRUE, sizeof(gboolean));
    x->hidden_cols = g_array_new(FALSE, TRUE, sizeof(gboolean));
    x->val = g_string_sized_new(64);
    b->impl = x;

    if (docs_zip_open(b, data, len, "XLSX workbook", &x->zip, err) != 0)
        return -1;

    GPtrArray *root_rels = NULL, *wb_rels = NULL;
    char *wb_path = NULL, *wb_dir = NULL, *wb_rels_path = NULL;
    int rc = -1;
    if (read_rels(b, x, "_rels/.rels", &root_rels, err) != 0)
        goto done;
    const rel *office = rel_by_type(root_rels, "/officeDocument");
    wb_path = office ? resolve("", office->target) : g_strdup("xl/workbook.xml");
    if (docs_zip_locate(&x->zip, wb_path) < 0) {
        minca_err_set(err, "%s: a ZIP archive without a workbook part: not an XLSX workbook", docs_book_label(b));
        goto done;
    }
    char *slash = strrchr(wb_path, '/');
    wb_dir = slash ? g_strndup(wb_path, (gsize)(slash - wb_path + 1)) : g_strdup("");
    wb_rels_path = g_strdup_printf("%s_rels/%s.rels", wb_dir, slash ? slash + 1 : wb_path);
    if (read_rels(b, x, wb_rels_path, &wb_rels, err) != 0)
        goto done;
    if (read_workbook(b, x, wb_path, wb_rels, wb_dir, err) != 0)
        goto done;
    if (docs_sheet_count(b) == 0) {
        minca_err_set(err, "%s: the workbook has no sheets", docs_book_label(b));
        goto done;
    }
    const rel *styles = rel_by_type(wb_rels, "/styles");
    const rel *shared = rel_by_type(wb_rels, "/sharedStrings");
    char *styles_path = styles ? resolve(wb_dir, styles->target) : g_strdup_printf("%sstyles.xml", wb_dir);
    char *shared_path = shared ? resolve(wb_dir, shared->target) : g_strdup_printf("%ssharedStrings.xml", wb_dir);
    rc = read_styles(b, x, styles_path, err);
    if (rc == 0)
        rc = read_shared_strings(b, x, shared_path, err);
    g_free(styles_path);
    g_free(shared_path);
done:
    if (root_rels)
        g_ptr_array_free(root_rels, TRUE);
    if (wb_rels)
        g_ptr_array_free(wb_rels, TRUE);
    g_free(wb_path);
    g_free(wb_dir);
    g_free(wb_rels_path);
    return rc;
}
