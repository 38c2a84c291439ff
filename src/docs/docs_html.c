/* docs: HTML tables as sheets. Web systems often export "Excel" files that are really an
 * HTML page with a <table> (saved as .xls); brokers forward them as they are. Each table of
 * the page becomes a sheet ("Tabla 1", ...) whose rows are its <tr> and cells its <td>/<th>
 * text, whitespace collapsed; colspan repeats nothing but flags the covered cells as merged.
 * libxml2's HTML parser reads the page without network access. */
#include "docs_internal.h"

#include <libxml/HTMLparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hcell {
    char *text;
    int span;
} hcell;

typedef struct hrow {
    GArray *cells;   /* hcell */
} hrow;

typedef struct htable {
    GPtrArray *rows; /* hrow* */
} htable;

typedef struct html {
    GPtrArray *tables;   /* htable* */
    guint next_row;
    int sheet;
} html;

static void hrow_free(gpointer p)
{
    hrow *r = p;
    for (guint i = 0; i < r->cells->len; i++)
        g_free(g_array_index(r->cells, hcell, i).text);
    g_array_free(r->cells, TRUE);
    g_free(r);
}

static void htable_free(gpointer p)
{
    htable *t = p;
    g_ptr_array_free(t->rows, TRUE);
    g_free(t);
}

static bool is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && g_ascii_strcasecmp((const char *)n->name, name) == 0;
}

static char *cell_text(xmlNode *n)
{
    xmlChar *c = xmlNodeGetContent(n);
    GString *out = g_string_new(NULL);
    bool space = false;
    for (const char *p = c ? (const char *)c : ""; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        bool ws = ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f';
        if (!ws && ch == 0xC2 && (unsigned char)p[1] == 0xA0) {   /* &nbsp; */
            ws = true;
            p++;
        }
        if (ws) {
            space = out->len > 0;
            continue;
        }
        if (space)
            g_string_append_c(out, ' ');
        space = false;
        g_string_append_c(out, (char)ch);
    }
    xmlFree(c);
    return g_string_free(out, FALSE);
}

/* Rows of one table: <tr> directly under it or under thead/tbody/tfoot (not nested tables). */
static void collect_rows(xmlNode *parent, htable *t, int depth)
{
    for (xmlNode *n = parent->children; n; n = n->next) {
        if (is(n, "tr")) {
            hrow *r = g_new0(hrow, 1);
            r->cells = g_array_new(FALSE, TRUE, sizeof(hcell));
            for (xmlNode *c = n->children; c; c = c->next) {
                if (!is(c, "td") && !is(c, "th"))
                    continue;
                hcell hc = { cell_text(c), 1 };
                xmlChar *span = xmlGetProp(c, (const xmlChar *)"colspan");
                if (span) {
                    int s = atoi((const char *)span);
                    hc.span = s > 1 && s < 64 ? s : 1;
                    xmlFree(span);
                }
                g_array_append_val(r->cells, hc);
            }
            g_ptr_array_add(t->rows, r);
        } else if (depth < 2 && (is(n, "thead") || is(n, "tbody") || is(n, "tfoot"))) {
            collect_rows(n, t, depth + 1);
        }
    }
}

static void collect_tables(xmlNode *n, GPtrArray *tables, int depth)
{
    for (; n && depth < 200; n = n->next) {
        if (is(n, "table") && tables->len < 64) {
            htable *t = g_new0(htable, 1);
            t->rows = g_ptr_array_new_with_free_func(hrow_free);
            collect_rows(n, t, 0);
            if (t->rows->len)
                g_ptr_array_add(tables, t);
            else
                htable_free(t);
        }
        if (n->children)
            collect_tables(n->children, tables, depth + 1);
    }
}

static int html_sheet_open(docs_book *b, int sheet, minca_err *err)
{
    (void)err;
    html *h = b->impl;
    h->sheet = sheet;
    h->next_row = 0;
    return 0;
}

static int html_sheet_next(docs_book *b, minca_err *err)
{
    html *h = b->impl;
    htable *t = g_ptr_array_index(h->tables, (guint)h->sheet);
    if (h->next_row >= t->rows->len)
        return 0;
    hrow *r = g_ptr_array_index(t->rows, h->next_row++);
    docs_row_begin(b, h->next_row, false);
    int col = 0;
    for (guint i = 0; i < r->cells->len; i++) {
        hcell *c = &g_array_index(r->cells, hcell, i);
        unsigned flags = c->span > 1 ? DOCS_CELL_MERGED : 0;
        if (docs_row_set(b, col, DOCS_CELL_TEXT, c->text, strlen(c->text), 0, flags, err) != 0)
            return -1;
        for (int s = 1; s < c->span; s++)
            if (docs_row_set(b, col + s, DOCS_CELL_EMPTY, "", 0, 0, DOCS_CELL_MERGED, err) != 0)
                return -1;
        col += c->span;
    }
    docs_row_finish(b);
    return 1;
}

static void html_close(docs_book *b)
{
    html *h = b->impl;
    if (!h)
        return;
    g_ptr_array_free(h->tables, TRUE);
    g_free(h);
    b->impl = NULL;
}

const docs_reader_ops docs_html_ops = { html_sheet_open, html_sheet_next, html_close };

int docs_html_open(const void *data, size_t len, docs_book *b, minca_err *err)
{
    html *h = g_new0(html, 1);
    h->tables = g_ptr_array_new_with_free_func(htable_free);
    b->impl = h;
    if (len > (size_t)G_MAXINT)
        return minca_err_set(err, "%s: the page is too large", b->name[0] ? b->name : "attachment");
    htmlDocPtr doc = htmlReadMemory(data, (int)len, NULL, NULL,
                                    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                    HTML_PARSE_COMPACT | HTML_PARSE_NOIMPLIED);
    if (!doc)
        return minca_err_set(err, "%s: not a readable HTML page", b->name[0] ? b->name : "attachment");
    collect_tables(xmlDocGetRootElement(doc), h->tables, 0);
    xmlFreeDoc(doc);
    if (h->tables->len == 0)
        return minca_err_set(err, "%s: an HTML page without tables, not a spreadsheet",
                             b->name[0] ? b->name : "attachment");
    snprintf(b->encoding, sizeof b->encoding, "HTML");
    for (guint i = 0; i < h->tables->len; i++) {
        char name[32];
        snprintf(name, sizeof name, "Tabla %u", i + 1);
        docs_book_add_sheet(b, name, false);
    }
    return 0;
}
