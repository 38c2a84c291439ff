/* docs: ODS reader (OpenDocument spreadsheet, LibreOffice Calc's own format). The container is
 * a ZIP (docs_zip.c, the same limits as XLSX); the cells are in content.xml, streamed with
 * libxml2's xmlTextReader.
 *
 * content.xml holds the automatic styles (a table style may hide its sheet) and then every
 * sheet as <table:table>. Opening the book reads it once: the sheet names, and each sheet's
 * spans (so that docs_sheet_merges() is complete from a sheet's first row); opening a sheet
 * streams up to it and then its rows one by one. Rows and cells carry repeat counts
 * (table:number-rows-repeated, table:number-columns-repeated): Calc writes the empty rest of a
 * sheet as a row repeated a million times, so empty repeats only move the row or column
 * counter, and repeats of content are emitted one by one, counted against max_rows and
 * max_cols. Spans (table:number-columns-spanned / rows-spanned) become merged ranges; a
 * covered cell only takes its column. Numbers come from office:value, never from the text
 * shown. */
#include "docs_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_TABLE "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_STYLE "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
#define NS_DRAW "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
#define NS_CALCEXT "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
#define NS_MANIFEST "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"

#define ODF_MIME "application/vnd.oasis.opendocument."
#define MAX_REPEAT (1L << 31)      /* a repeat count above this is read as this */
#define MAX_MERGES 100000

/* The other OpenDocument kinds, by the word after ODF_MIME, for a clear refusal. */
static const struct {
    const char *kind;
    const char *what;
} odf_kinds[] = {
    { "text", "an OpenDocument text document" },
    { "presentation", "an OpenDocument presentation" },
    { "graphics", "an OpenDocument drawing" },
    { "chart", "an OpenDocument chart" },
    { "formula", "an OpenDocument formula" },
    { "database", "an OpenDocument database" },
    { "image", "an OpenDocument image" },
};

/* A cell of the row being read, before it is emitted. */
typedef struct pending_cell {
    long col;
    long repeat;            /* number-columns-repeated */
    docs_cell_type type;
    gsize off, len;         /* text in ods.text */
    double number;
    unsigned flags;
    long span_cols, span_rows;
} pending_cell;

typedef struct ods {
    docs_zip zip;
    GPtrArray *sheet_merges;   /* GArray of docs_range per sheet, from the opening pass */
    /* open sheet */
    docs_zip_part *part;
    xmlTextReaderPtr rd;
    int table_depth;
    int sheet;                 /* the sheet being read */
    bool sheet_done;
    bool prescan;              /* the opening pass: spans only, no cells */
    GArray *hidden_cols;       /* gboolean, up to max_cols */
    long next_col_def;         /* next table:table-column index */
    long next_row;             /* 1-based number of the next row element */
    /* row being read / emitted */
    GArray *cells;             /* pending_cell */
    GString *text;             /* texts of the pending cells */
    long row_number;
    long row_repeat;           /* copies left to emit */
    long repeated_cells;       /* cells copied by repeat counts in the open sheet */
    uint64_t repeated_bytes;   /* and their text */
    bool row_hidden;
} ods;

/* ---- small helpers ---- */

/* The local name first: the namespace costs a dictionary lookup in libxml2. */
static bool is_el(xmlTextReaderPtr rd, const char *ns, const char *local)
{
    if (strcmp(docs_xml_local(rd), local) != 0)
        return false;
    const xmlChar *u = xmlTextReaderConstNamespaceUri(rd);
    return u && strcmp((const char *)u, ns) == 0;
}

static bool in_ns(xmlTextReaderPtr rd, const char *ns)
{
    const xmlChar *u = xmlTextReaderConstNamespaceUri(rd);
    return u && strcmp((const char *)u, ns) == 0;
}

/* Calls fn for every attribute of the current element (namespace URI may be ""). */
typedef void (*attr_fn)(const char *ns, const char *local, const char *value, void *user);
static void each_attr(xmlTextReaderPtr rd, attr_fn fn, void *user)
{
    if (xmlTextReaderMoveToFirstAttribute(rd) != 1)
        return;
    do {
        const xmlChar *u = xmlTextReaderConstNamespaceUri(rd);
        const xmlChar *l = xmlTextReaderConstLocalName(rd);
        const xmlChar *v = xmlTextReaderConstValue(rd);
        if (l)
            fn(u ? (const char *)u : "", (const char *)l, v ? (const char *)v : "", user);
    } while (xmlTextReaderMoveToNextAttribute(rd) == 1);
    xmlTextReaderMoveToElement(rd);
}

/* A repeat or span count: 1 when absent or bad, at most MAX_REPEAT. */
static long count_attr(const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || n < 1)
        return 1;
    return n > MAX_REPEAT ? MAX_REPEAT : n;
}

static bool hidden_visibility(const char *v)
{
    return strcmp(v, "collapse") == 0 || strcmp(v, "filter") == 0;
}

/* ---- opening: kind, encryption, sheets ---- */

static int check_kind(docs_book *b, ods *o, minca_err *err)
{
    if (docs_zip_locate(&o->zip, "mimetype") < 0) {
        if (docs_zip_locate(&o->zip, "content.xml") < 0)
            return minca_err_set(err, "%s: a ZIP archive without content.xml: not an ODS spreadsheet",
                                 docs_book_label(b));
        return 0;   /* no mimetype entry: read content.xml as a spreadsheet */
    }
    char *mime = NULL;
    if (docs_zip_read_small(b, &o->zip, "mimetype", 128, &mime, err) != 0)
        return -1;
    g_strstrip(mime);
    int rc = 0;
    if (g_str_has_prefix(mime, ODF_MIME) && !g_str_has_prefix(mime, ODF_MIME "spreadsheet")) {
        const char *kind = mime + strlen(ODF_MIME);
        const char *what = "an OpenDocument file of another kind";
        for (size_t i = 0; i < G_N_ELEMENTS(odf_kinds); i++)
            if (g_str_has_prefix(kind, odf_kinds[i].kind))
                what = odf_kinds[i].what;
        rc = minca_err_set(err, "%s: %s, not a spreadsheet", docs_book_label(b), what);
    } else if (!g_str_has_prefix(mime, ODF_MIME)) {
        char *shown = g_utf8_make_valid(mime, 64);
        rc = minca_err_set(err, "%s: a ZIP archive of type '%s', not an ODS spreadsheet",
                           docs_book_label(b), shown);
        g_free(shown);
    }
    g_free(mime);
    return rc;
}

/* An encrypted package lists encryption data for its parts in the manifest. */
static int check_encryption(docs_book *b, ods *o, minca_err *err)
{
    if (docs_zip_locate(&o->zip, "META-INF/manifest.xml") < 0)
        return 0;
    docs_zip_part *p;
    xmlTextReaderPtr rd;
    if (docs_zip_part_open(b, &o->zip, "META-INF/manifest.xml", &p, &rd, err) != 0)
        return -1;
    bool encrypted = false;
    int rc;
    while (!encrypted && (rc = xmlTextReaderRead(rd)) == 1)
        encrypted = xmlTextReaderNodeType(rd) == XML_READER_TYPE_ELEMENT &&
                    is_el(rd, NS_MANIFEST, "encryption-data");
    docs_zip_part_close(p, rd);
    if (encrypted)
        return minca_err_set(err, "%s: the ODS spreadsheet is password-protected (encrypted); ask "
                                  "the sender for a copy without a password", docs_book_label(b));
    return 0;   /* a damaged manifest is not needed to read the cells */
}

typedef struct style_attrs {
    char *name, *family;
} style_attrs;

static void style_attr(const char *ns, const char *local, const char *v, void *user)
{
    style_attrs *s = user;
    if (strcmp(ns, NS_STYLE) == 0 && strcmp(local, "name") == 0 && !s->name)
        s->name = g_strdup(v);
    else if (strcmp(ns, NS_STYLE) == 0 && strcmp(local, "family") == 0 && !s->family)
        s->family = g_strdup(v);
}

typedef struct table_attrs {
    char *name, *style;
} table_attrs;

static void table_attr(const char *ns, const char *local, const char *v, void *user)
{
    table_attrs *t = user;
    if (strcmp(ns, NS_TABLE) != 0)
        return;
    if (strcmp(local, "name") == 0 && !t->name)
        t->name = g_strdup(v);
    else if (strcmp(local, "style-name") == 0 && !t->style)
        t->style = g_strdup(v);
}

static int collect_spans(docs_book *b, ods *o, docs_zip_part *part, xmlTextReaderPtr rd, minca_err *err);

/* Reads content.xml once: table styles with table:display="false" and the sheets. */
static int read_sheets(docs_book *b, ods *o, minca_err *err)
{
    docs_zip_part *p;
    xmlTextReaderPtr rd;
    if (docs_zip_part_open(b, &o->zip, "content.xml", &p, &rd, err) != 0)
        return -1;
    GHashTable *hidden_styles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char *style = NULL;   /* the table style being read */
    int rc = xmlTextReaderRead(rd);
    while (rc == 1) {
        if (xmlTextReaderNodeType(rd) != XML_READER_TYPE_ELEMENT) {
            rc = xmlTextReaderRead(rd);
            continue;
        }
        if (is_el(rd, NS_STYLE, "style")) {
            style_attrs s = { 0 };
            each_attr(rd, style_attr, &s);
            g_free(style);
            style = s.family && strcmp(s.family, "table") == 0 ? g_strdup(s.name) : NULL;
            g_free(s.name);
            g_free(s.family);
        } else if (style && is_el(rd, NS_STYLE, "table-properties")) {
            xmlChar *d = xmlTextReaderGetAttributeNs(rd, BAD_CAST "display", BAD_CAST NS_TABLE);
            if (d && strcmp((const char *)d, "false") == 0 && g_hash_table_size(hidden_styles) < 10000)
                g_hash_table_add(hidden_styles, g_strdup(style));
            xmlFree(d);
        } else if (is_el(rd, NS_TABLE, "table")) {
            table_attrs t = { 0 };
            each_attr(rd, table_attr, &t);
            bool keep = docs_sheet_count(b) <= b->lim.max_sheets;
            if (keep) {
                bool hidden = t.style && g_hash_table_contains(hidden_styles, t.style);
                docs_book_add_sheet(b, t.name ? t.name : "", hidden);
            }
            g_free(t.name);
            g_free(t.style);
            if (!keep || xmlTextReaderIsEmptyElement(rd)) {
                if (keep)
                    g_ptr_array_add(o->sheet_merges, g_array_new(FALSE, FALSE, sizeof(docs_range)));
                rc = xmlTextReaderNext(rd);
                continue;
            }
            if (collect_spans(b, o, p, rd, err) != 0) {
                rc = -2;
                break;
            }
        }
        rc = xmlTextReaderRead(rd);
    }
    if (rc == -1)
        docs_zip_part_fail(b, p, err);
    g_free(style);
    g_hash_table_destroy(hidden_styles);
    docs_zip_part_close(p, rd);
    return rc < 0 ? -1 : 0;
}

/* ---- sheet streaming ---- */

static void sheet_close(ods *o)
{
    docs_zip_part_close(o->part, o->rd);
    o->part = NULL;
    o->rd = NULL;
    o->sheet_done = false;
    o->prescan = false;
    g_array_set_size(o->hidden_cols, 0);
    o->next_col_def = 0;
    o->next_row = 1;
    g_array_set_size(o->cells, 0);
    g_string_truncate(o->text, 0);
    o->row_repeat = 0;
    o->repeated_cells = 0;
    o->repeated_bytes = 0;
}

/* Streams content.xml up to the start of the sheet-th table. */
static int seek_sheet(docs_book *b, ods *o, int sheet, minca_err *err)
{
    sheet_close(o);
    if (docs_zip_part_open(b, &o->zip, "content.xml", &o->part, &o->rd, err) != 0)
        return -1;
    o->sheet = sheet;
    int seen = 0;
    int rc = xmlTextReaderRead(o->rd);
    while (rc == 1) {
        if (xmlTextReaderNodeType(o->rd) == XML_READER_TYPE_ELEMENT && is_el(o->rd, NS_TABLE, "table")) {
            if (seen == sheet) {
                o->table_depth = xmlTextReaderDepth(o->rd);
                if (xmlTextReaderIsEmptyElement(o->rd))
                    o->sheet_done = true;
                return 0;
            }
            seen++;
            rc = xmlTextReaderNext(o->rd);
            continue;
        }
        rc = xmlTextReaderRead(o->rd);
    }
    if (rc < 0)
        return docs_zip_part_fail(b, o->part, err);
    return minca_err_set(err, "%s: sheet '%s' is missing from content.xml", docs_book_label(b),
                         docs_sheet_name(b, sheet));
}

static void add_merge(docs_book *b, long row, long col, long span_rows, long span_cols)
{
    if (b->merges->len >= MAX_MERGES || col >= b->lim.max_cols)
        return;
    long last_col = col + span_cols;   /* 1-based inclusive = 0-based col + span */
    if (last_col > b->lim.max_cols)
        last_col = b->lim.max_cols;
    docs_range r = { .first_row = row, .last_row = row + span_rows - 1,
                     .first_col = (int)col + 1, .last_col = (int)last_col };
    g_array_append_val(b->merges, r);
}

typedef struct cell_attrs {
    char value_type[16];
    bool error;
    char *value, *date_value, *time_value, *bool_value, *string_value;
    long repeat, span_cols, span_rows;
} cell_attrs;

static void cell_attr(const char *ns, const char *local, const char *v, void *user)
{
    cell_attrs *c = user;
    if (strcmp(ns, NS_OFFICE) == 0) {
        if (strcmp(local, "value-type") == 0)
            snprintf(c->value_type, sizeof c->value_type, "%s", v);
        else if (strcmp(local, "value") == 0 && !c->value)
            c->value = g_strdup(v);
        else if (strcmp(local, "date-value") == 0 && !c->date_value)
            c->date_value = g_strdup(v);
        else if (strcmp(local, "time-value") == 0 && !c->time_value)
            c->time_value = g_strdup(v);
        else if (strcmp(local, "boolean-value") == 0 && !c->bool_value)
            c->bool_value = g_strdup(v);
        else if (strcmp(local, "string-value") == 0 && !c->string_value)
            c->string_value = g_strdup(v);
    } else if (strcmp(ns, NS_TABLE) == 0) {
        if (strcmp(local, "number-columns-repeated") == 0)
            c->repeat = count_attr(v);
        else if (strcmp(local, "number-columns-spanned") == 0)
            c->span_cols = count_attr(v);
        else if (strcmp(local, "number-rows-spanned") == 0)
            c->span_rows = count_attr(v);
    } else if (strcmp(ns, NS_CALCEXT) == 0 && strcmp(local, "value-type") == 0) {
        c->error = strcmp(v, "error") == 0;
    }
}

static void cell_attrs_clear(cell_attrs *c)
{
    g_free(c->value);
    g_free(c->date_value);
    g_free(c->time_value);
    g_free(c->bool_value);
    g_free(c->string_value);
}

/* "2026-03-01" or "2026-03-01T10:20:30.5" -> serial day (1900 system) and the cell text. */
static bool parse_date(const char *v, double *serial, char *text, size_t text_size)
{
    int y, mo, d, h = 0, mi = 0, n = 0;
    double s = 0;
    if (sscanf(v, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return false;
    if (v[10] == 'T' && sscanf(v + 11, "%2d:%2d:%lf", &h, &mi, &s) != 3)
        return false;
    if (y < 1900 || y > 9999 || !g_date_valid_dmy((GDateDay)d, (GDateMonth)mo, (GDateYear)y) ||
        h < 0 || h > 23 || mi < 0 || mi > 59 || !(s >= 0 && s < 61))
        return false;
    GDate date, base;
    g_date_clear(&date, 1);
    g_date_clear(&base, 1);
    g_date_set_dmy(&date, (GDateDay)d, (GDateMonth)mo, (GDateYear)y);
    g_date_set_dmy(&base, 30, G_DATE_DECEMBER, 1899);
    long days = (long)g_date_get_julian(&date) - (long)g_date_get_julian(&base);
    if (days < 61)   /* Excel's 1900 system counts a non-existent 1900-02-29 (serial 60) */
        days -= 1;
    int secs = (int)lround(h * 3600 + mi * 60 + s);
    if (secs >= 86400)
        secs = 86399;
    *serial = (double)days + secs / 86400.0;
    if (secs)
        snprintf(text, text_size, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, secs / 3600,
                 secs / 60 % 60, secs % 60);
    else
        snprintf(text, text_size, "%04d-%02d-%02d", y, mo, d);
    return true;
}

/* "PT12H30M15S" (hours may exceed 24) -> fraction of a day and "12:30:15". */
static bool parse_time(const char *v, double *day_fraction, char *text, size_t text_size)
{
    long h = 0, mi = 0;
    double s = 0;
    int n = 0;
    if (sscanf(v, "PT%ldH%ldM%lfS%n", &h, &mi, &s, &n) != 3 || v[n] != '\0' || h < 0 || h > 100000 ||
        mi < 0 || mi > 59 || !(s >= 0 && s < 61))
        return false;
    long secs = lround((double)(h * 3600 + mi * 60) + s);
    *day_fraction = secs / 86400.0;
    snprintf(text, text_size, "%02ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
    return true;
}

/* The typed value of a finished cell; its text (for strings) is o->text from `off`. */
static void type_cell(ods *o, const cell_attrs *a, pending_cell *pc)
{
    const char *vt = a->value_type;
    char buf[48];
    pc->type = DOCS_CELL_TEXT;
    if (strcmp(vt, "float") == 0 || strcmp(vt, "currency") == 0 || strcmp(vt, "percentage") == 0) {
        char *end;
        double num = a->value ? g_ascii_strtod(a->value, &end) : NAN;
        if (a->value && end != a->value && *end == '\0' && isfinite(num)) {
            docs_number_text(num, buf);
            pc->type = DOCS_CELL_NUMBER;
            pc->number = num;
            goto replace_text;
        }
    } else if (strcmp(vt, "date") == 0 && a->date_value) {
        if (parse_date(a->date_value, &pc->number, buf, sizeof buf)) {
            pc->type = DOCS_CELL_DATE;
            goto replace_text;
        }
    } else if (strcmp(vt, "time") == 0 && a->time_value) {
        if (parse_time(a->time_value, &pc->number, buf, sizeof buf))
            goto replace_text;
    } else if (strcmp(vt, "boolean") == 0 && a->bool_value) {
        bool t = strcmp(a->bool_value, "true") == 0 || strcmp(a->bool_value, "1") == 0;
        snprintf(buf, sizeof buf, "%s", t ? "TRUE" : "FALSE");
        pc->type = DOCS_CELL_BOOL;
        pc->number = t;
        goto replace_text;
    } else if (strcmp(vt, "string") == 0 && a->string_value && !a->error) {
        g_string_truncate(o->text, pc->off);
        g_string_append(o->text, a->string_value);
    }
    if (a->error)
        pc->flags |= DOCS_CELL_ERROR;
    /* otherwise: the text shown, as a string */
    pc->len = o->text->len - pc->off;
    return;
replace_text:
    g_string_truncate(o->text, pc->off);
    g_string_append(o->text, buf);
    pc->len = o->text->len - pc->off;
}

static bool col_hidden(const ods *o, long col)
{
    return col >= 0 && col < (long)o->hidden_cols->len && g_array_index(o->hidden_cols, gboolean, (guint)col);
}

static void column_def(docs_book *b, ods *o, xmlTextReaderPtr rd)
{
    xmlChar *rep = xmlTextReaderGetAttributeNs(rd, BAD_CAST "number-columns-repeated", BAD_CAST NS_TABLE);
    xmlChar *vis = xmlTextReaderGetAttributeNs(rd, BAD_CAST "visibility", BAD_CAST NS_TABLE);
    long n = rep ? count_attr((const char *)rep) : 1;
    if (vis && hidden_visibility((const char *)vis)) {
        for (long c = o->next_col_def; c < o->next_col_def + n && c < b->lim.max_cols; c++) {
            if ((long)o->hidden_cols->len <= c)
                g_array_set_size(o->hidden_cols, (guint)c + 1);
            g_array_index(o->hidden_cols, gboolean, (guint)c) = TRUE;
        }
    }
    o->next_col_def += n;
    xmlFree(rep);
    xmlFree(vis);
}

static int cell_too_long(docs_book *b, ods *o, long col, minca_err *err)
{
    char name[8];
    docs_col_name(col < b->lim.max_cols ? (int)col : b->lim.max_cols, name);
    (void)o;
    return minca_err_set(err, "%s: cell %s%ld holds more than %zu bytes, beyond the cell length "
                              "limit (max_cell_bytes)", docs_book_label(b), name, o->row_number,
                         b->lim.max_cell_bytes);
}

/* Emits the next copy of the row read into o->cells. */
static int emit_row(docs_book *b, ods *o, minca_err *err)
{
    docs_row_begin(b, o->row_number, o->row_hidden);
    for (guint i = 0; i < o->cells->len; i++) {
        const pending_cell *pc = &g_array_index(o->cells, pending_cell, i);
        for (long r = 0; r < pc->repeat; r++) {
            long col = pc->col + r;
            if (col >= b->lim.max_cols) {
                char name[8];
                docs_col_name(b->lim.max_cols, name);
                return minca_err_set(err, "%s: row %ld holds a value beyond column %s, the column "
                                          "limit (max_cols = %d)", docs_book_label(b), o->row_number,
                                     name, b->lim.max_cols);
            }
            unsigned flags = pc->flags | (col_hidden(o, col) ? DOCS_CELL_HIDDEN_COL : 0);
            if (docs_row_set(b, (int)col, pc->type, o->text->str + pc->off, pc->len, pc->number,
                             flags, err) != 0)
                return -1;
        }
    }
    docs_row_finish(b);
    o->row_number++;
    o->row_repeat--;
    return 1;
}

/* The merged ranges of the row just read, for each of its copies (bounded by MAX_MERGES). */
static void row_merges(docs_book *b, GArray *spans, long first_row, long copies)
{
    for (guint i = 0; i < spans->len; i++) {
        const pending_cell *s = &g_array_index(spans, pending_cell, i);
        if (s->col >= b->lim.max_cols)
            continue;   /* beyond the columns read: every copy would be too */
        for (long k = 0; k < copies && b->merges->len < MAX_MERGES; k++) {
            for (long r = 0; r < s->repeat && b->merges->len < MAX_MERGES; r++) {
                long col = s->col + r * s->span_cols;
                if (col >= b->lim.max_cols)
                    break;
                add_merge(b, first_row + k, col, s->span_rows, s->span_cols);
            }
        }
    }
}

/* Repeat counts let a few bytes stand for millions of cells: the copies they make (beyond the
 * cells written in the file) are counted against max_repeated_cells, and their text against
 * max_uncompressed_bytes, before any is emitted. */
static int charge_repeats(docs_book *b, ods *o, long row_repeat, minca_err *err)
{
    long cells = 0;
    uint64_t bytes = 0, written_bytes = 0;
    for (guint i = 0; i < o->cells->len; i++) {
        const pending_cell *pc = &g_array_index(o->cells, pending_cell, i);
        cells += pc->repeat;
        bytes += (uint64_t)pc->len * (uint64_t)pc->repeat;
        written_bytes += pc->len;
    }
    o->repeated_cells += cells * row_repeat - (long)o->cells->len;
    o->repeated_bytes += bytes * (uint64_t)row_repeat - written_bytes;
    if (o->repeated_cells > b->lim.max_repeated_cells)
        return minca_err_set(err, "%s: sheet '%s': repeat counts copy more than %ld cells (row %ld "
                                  "repeated %ld times), beyond the limit (max_repeated_cells)",
                             docs_book_label(b), docs_sheet_name(b, o->sheet),
                             b->lim.max_repeated_cells, o->row_number, row_repeat);
    if (o->zip.total_read + o->repeated_bytes > b->lim.max_uncompressed_bytes)
        return minca_err_set(err, "%s: sheet '%s': repeat counts expand its text beyond the "
                                  "uncompressed size limit (max_uncompressed_bytes = %llu)",
                             docs_book_label(b), docs_sheet_name(b, o->sheet),
                             (unsigned long long)b->lim.max_uncompressed_bytes);
    return 0;
}

typedef struct row_read {
    long col;                 /* next cell's column */
    bool in_cell, covered;
    int p_count;              /* text:p seen in the cell */
    int p_depth;              /* depth of the open text:p, -1 when none */
    cell_attrs attrs;
    gsize cell_off;
    GArray *spans;            /* pending_cell with span info */
} row_read;

static void cell_start(ods *o, row_read *rr, xmlTextReaderPtr rd, bool covered)
{
    cell_attrs_clear(&rr->attrs);
    memset(&rr->attrs, 0, sizeof rr->attrs);
    rr->attrs.repeat = rr->attrs.span_cols = rr->attrs.span_rows = 1;
    each_attr(rd, cell_attr, &rr->attrs);
    rr->in_cell = true;
    rr->covered = covered;
    rr->p_count = 0;
    rr->p_depth = -1;
    rr->cell_off = o->text->len;
}

/* Ends the current cell: a value becomes a pending cell; the column moves on. */
static int cell_end(docs_book *b, ods *o, row_read *rr, minca_err *err)
{
    cell_attrs *a = &rr->attrs;
    rr->in_cell = false;
    if ((a->span_cols > 1 || a->span_rows > 1) && !rr->covered && o->prescan) {
        pending_cell s = { .col = rr->col, .repeat = a->repeat, .span_cols = a->span_cols,
                           .span_rows = a->span_rows };
        g_array_append_val(rr->spans, s);
    }
    pending_cell pc = { .col = rr->col, .repeat = a->repeat, .off = rr->cell_off };
    bool has_value = a->value_type[0] || o->text->len > rr->cell_off;
    long start = rr->col;
    rr->col = start + a->repeat > MAX_REPEAT * 4 ? MAX_REPEAT * 4 : start + a->repeat;
    if (rr->covered || !has_value || o->prescan) {
        g_string_truncate(o->text, rr->cell_off);
        return 0;
    }
    type_cell(o, a, &pc);
    if (pc.len == 0 && pc.type == DOCS_CELL_TEXT && !(pc.flags & DOCS_CELL_ERROR))
        return 0;   /* an empty string */
    if (start + a->repeat > b->lim.max_cols) {
        char name[8];
        docs_col_name(b->lim.max_cols, name);
        return minca_err_set(err, "%s: row %ld repeats a value %ld times up to beyond column %s, "
                                  "the column limit (max_cols = %d)", docs_book_label(b),
                             o->next_row, a->repeat, name, b->lim.max_cols);
    }
    g_array_append_val(o->cells, pc);
    return 0;
}

static int append_text(docs_book *b, ods *o, row_read *rr, const char *s, size_t n, minca_err *err)
{
    if (o->prescan)
        return 0;
    if (o->text->len - rr->cell_off + n > b->lim.max_cell_bytes) {
        o->row_number = o->next_row;
        return cell_too_long(b, o, rr->col, err);
    }
    g_string_append_len(o->text, s, (gssize)n);
    return 0;
}

/* Inside a cell's paragraph: spaces, tabs, line breaks; other markup (spans, links) only
 * wraps text. */
static int text_element(docs_book *b, ods *o, row_read *rr, xmlTextReaderPtr rd, minca_err *err)
{
    if (!in_ns(rd, NS_TEXT))
        return 0;
    const char *n = docs_xml_local(rd);
    if (strcmp(n, "s") == 0) {
        xmlChar *c = xmlTextReaderGetAttributeNs(rd, BAD_CAST "c", BAD_CAST NS_TEXT);
        long k = c ? count_attr((const char *)c) : 1;
        xmlFree(c);
        if (k > (long)b->lim.max_cell_bytes + 1)
            k = (long)b->lim.max_cell_bytes + 1;
        for (long i = 0; i < k; i++)
            if (append_text(b, o, rr, " ", 1, err) != 0)
                return -1;
    } else if (strcmp(n, "tab") == 0) {
        return append_text(b, o, rr, "\t", 1, err);
    } else if (strcmp(n, "line-break") == 0) {
        return append_text(b, o, rr, "\n", 1, err);
    }
    return 0;
}

/* Reads the next row element of the open sheet into o->cells; 1 when one was read, 0 at the
 * end of the sheet, -1 on error. */
static int read_row(docs_book *b, ods *o, minca_err *err)
{
    xmlTextReaderPtr rd = o->rd;
    row_read rr = { .p_depth = -1, .spans = g_array_new(FALSE, FALSE, sizeof(pending_cell)) };
    bool in_row = false;
    long repeat = 1;
    int rc = xmlTextReaderRead(rd), result = 0;
    while (rc == 1) {
        int type = xmlTextReaderNodeType(rd);
        bool skip = false;
        if (type == XML_READER_TYPE_ELEMENT) {
            bool empty = xmlTextReaderIsEmptyElement(rd);
            if (!in_row && is_el(rd, NS_TABLE, "table-column")) {
                column_def(b, o, rd);
            } else if (!in_row && is_el(rd, NS_TABLE, "table-row")) {
                xmlChar *rep = xmlTextReaderGetAttributeNs(rd, BAD_CAST "number-rows-repeated", BAD_CAST NS_TABLE);
                xmlChar *vis = xmlTextReaderGetAttributeNs(rd, BAD_CAST "visibility", BAD_CAST NS_TABLE);
                repeat = rep ? count_attr((const char *)rep) : 1;
                o->row_hidden = vis && hidden_visibility((const char *)vis);
                xmlFree(rep);
                xmlFree(vis);
                g_array_set_size(o->cells, 0);
                g_string_truncate(o->text, 0);
                in_row = true;
                rr.col = 0;
                if (empty)
                    goto row_end;
            } else if (in_row && !rr.in_cell &&
                       (is_el(rd, NS_TABLE, "table-cell") || is_el(rd, NS_TABLE, "covered-table-cell"))) {
                cell_start(o, &rr, rd, strcmp(docs_xml_local(rd), "covered-table-cell") == 0);
                if (empty && cell_end(b, o, &rr, err) != 0) {
                    result = -1;
                    break;
                }
            } else if (rr.in_cell && is_el(rd, NS_TEXT, "p") && rr.p_depth < 0) {
                if (rr.p_count++ > 0 && append_text(b, o, &rr, "\n", 1, err) != 0) {
                    result = -1;
                    break;
                }
                if (!empty)
                    rr.p_depth = xmlTextReaderDepth(rd);
            } else if (in_ns(rd, NS_DRAW) || is_el(rd, NS_OFFICE, "annotation") ||
                       (rr.in_cell && is_el(rd, NS_TABLE, "table"))) {
                skip = true;   /* shapes, comments, sub-tables: not cell text */
            } else if (rr.p_depth >= 0 && text_element(b, o, &rr, rd, err) != 0) {
                result = -1;
                break;
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            if (rr.p_depth >= 0 && xmlTextReaderDepth(rd) == rr.p_depth && is_el(rd, NS_TEXT, "p")) {
                rr.p_depth = -1;
            } else if (rr.in_cell && (is_el(rd, NS_TABLE, "table-cell") ||
                                      is_el(rd, NS_TABLE, "covered-table-cell"))) {
                if (cell_end(b, o, &rr, err) != 0) {
                    result = -1;
                    break;
                }
            } else if (in_row && is_el(rd, NS_TABLE, "table-row")) {
                goto row_end;
            } else if (xmlTextReaderDepth(rd) == o->table_depth && is_el(rd, NS_TABLE, "table")) {
                o->sheet_done = true;
                break;
            }
        } else if (rr.p_depth >= 0 && (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                                       type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
                                       type == XML_READER_TYPE_WHITESPACE)) {
            const xmlChar *v = xmlTextReaderConstValue(rd);
            if (v && append_text(b, o, &rr, (const char *)v, strlen((const char *)v), err) != 0) {
                result = -1;
                break;
            }
        }
        rc = skip ? xmlTextReaderNext(rd) : xmlTextReaderRead(rd);
        continue;
row_end:
        /* a whole row element has been read */
        if (o->prescan)
            row_merges(b, rr.spans, o->next_row, repeat);
        g_array_set_size(rr.spans, 0);
        o->row_number = o->next_row;
        o->next_row = o->next_row + repeat > MAX_REPEAT * 4 ? MAX_REPEAT * 4 : o->next_row + repeat;
        in_row = false;
        if (o->cells->len == 0) {   /* empty rows, however many, cost nothing */
            rc = xmlTextReaderRead(rd);
            continue;
        }
        if (charge_repeats(b, o, repeat, err) != 0) {
            result = -1;
            break;
        }
        if (b->rows_in_sheet + repeat > b->lim.max_rows) {
            result = minca_err_set(err, "%s: sheet '%s' repeats row %ld %ld times, beyond the row "
                                        "limit (max_rows = %ld)", docs_book_label(b),
                                   docs_sheet_name(b, o->sheet),
                                   o->row_number, repeat, b->lim.max_rows);
            break;
        }
        o->row_repeat = repeat;
        result = 1;
        break;
    }
    if (rc < 0)
        result = docs_zip_part_fail(b, o->part, err);
    else if (rc == 0 && result == 0) {
        o->sheet_done = true;
        result = minca_err_set(err, "%s: content.xml ends in the middle of sheet '%s'; the file is "
                                    "probably truncated", docs_book_label(b),
                               docs_sheet_name(b, o->sheet));
    }
    cell_attrs_clear(&rr.attrs);
    g_array_free(rr.spans, TRUE);
    return result;
}

static void free_merges(gpointer p)
{
    g_array_free(p, TRUE);
}

/* The opening pass over one sheet (the reader is on its <table:table>): its spans, into
 * o->sheet_merges; at most MAX_MERGES over the whole book. */
static int collect_spans(docs_book *b, ods *o, docs_zip_part *part, xmlTextReaderPtr rd, minca_err *err)
{
    sheet_close(o);
    o->part = part;
    o->rd = rd;
    o->table_depth = xmlTextReaderDepth(rd);
    o->sheet = docs_sheet_count(b) - 1;
    o->prescan = true;
    g_array_set_size(b->merges, 0);
    guint before = 0;
    for (guint i = 0; i < o->sheet_merges->len; i++)
        before += ((GArray *)g_ptr_array_index(o->sheet_merges, i))->len;
    int rc = 0;
    while (!o->sheet_done && (rc = read_row(b, o, err)) == 1)
        o->row_repeat = 0;
    GArray *m = g_array_new(FALSE, FALSE, sizeof(docs_range));
    guint room = before < MAX_MERGES ? MAX_MERGES - before : 0;
    g_array_append_vals(m, b->merges->data, MIN(room, b->merges->len));
    g_ptr_array_add(o->sheet_merges, m);
    g_array_set_size(b->merges, 0);
    o->part = NULL;   /* the pass's reader belongs to read_sheets */
    o->rd = NULL;
    sheet_close(o);
    return rc < 0 ? -1 : 0;
}

static int ods_sheet_next(docs_book *b, minca_err *err)
{
    ods *o = b->impl;
    if (o->row_repeat > 0)
        return emit_row(b, o, err);
    if (!o->rd || o->sheet_done)
        return 0;
    int rc = read_row(b, o, err);
    if (rc != 1)
        return rc;
    return emit_row(b, o, err);
}

static int ods_sheet_open(docs_book *b, int sheet, minca_err *err)
{
    ods *o = b->impl;
    if (seek_sheet(b, o, sheet, err) != 0)
        return -1;
    if ((guint)sheet < o->sheet_merges->len) {
        GArray *m = g_ptr_array_index(o->sheet_merges, (guint)sheet);
        g_array_append_vals(b->merges, m->data, m->len);
    }
    return 0;
}

static void ods_close(docs_book *b)
{
    ods *o = b->impl;
    if (!o)
        return;
    sheet_close(o);
    docs_zip_close(&o->zip);
    g_ptr_array_free(o->sheet_merges, TRUE);
    g_array_free(o->hidden_cols, TRUE);
    g_array_free(o->cells, TRUE);
    g_string_free(o->text, TRUE);
    g_free(o);
    b->impl = NULL;
}

const docs_reader_ops docs_ods_ops = { ods_sheet_open, ods_sheet_next, ods_close };

int docs_ods_open(const void *data, size_t len, docs_book *b, minca_err *err)
{
    ods *o = g_new0(ods, 1);
    o->hidden_cols = g_array_new(FALSE, TRUE, sizeof(gboolean));
    o->cells = g_array_new(FALSE, FALSE, sizeof(pending_cell));
    o->text = g_string_sized_new(256);
    o->sheet_merges = g_ptr_array_new_with_free_func(free_merges);
    o->next_row = 1;
    b->impl = o;
    if (docs_zip_open(b, data, len, "ODS spreadsheet", &o->zip, err) != 0)
        return -1;
    if (check_kind(b, o, err) != 0 || check_encryption(b, o, err) != 0)
        return -1;
    if (docs_zip_locate(&o->zip, "content.xml") < 0)
        return minca_err_set(err, "%s: the ODS spreadsheet has no content.xml part", docs_book_label(b));
    if (read_sheets(b, o, err) != 0)
        return -1;
    if (docs_sheet_count(b) == 0)
        return minca_err_set(err, "%s: the ODS spreadsheet has no sheets", docs_book_label(b));
    return 0;
}
