/* HTML bodies: tables → grids of UTF-8 strings, and visible text, with libxml2's HTML parser
 * (no network, no error output). Outlook and Gmail bodies are tag soup; the parser repairs
 * them and we only walk the resulting tree. */
#include "intake_internal.h"

#include <glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HTML_DEPTH 256
#define MAX_COLSPAN 64

static htmlDocPtr parse_html(const char *html, size_t len)
{
    if (!html || len == 0 || len > INT32_MAX)
        return NULL;
    intake_gmime_init();
    return htmlReadMemory(html, (int)len, NULL, "UTF-8",
                          HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                              HTML_PARSE_NOBLANKS | HTML_PARSE_COMPACT);
}

static bool name_is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->name && xmlStrcasecmp(n->name, (const xmlChar *)name) == 0;
}

static bool is_block(xmlNodePtr n)
{
    static const char *const blocks[] = {"p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                                         "table", "ul", "ol", "blockquote", "pre", "hr", "title",
                                         "dt", "dd", "section", "article", "header", "footer", NULL};
    for (size_t i = 0; blocks[i]; i++)
        if (name_is(n, blocks[i]))
            return true;
    return false;
}

/* Appends visible text with whitespace collapsed; `cell` mode keeps everything on one line. */
static void collect_text(xmlNodePtr n, GString *out, bool cell, int depth)
{
    if (depth > MAX_HTML_DEPTH)
        return;
    for (xmlNodePtr c = n; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            const char *t = (const char *)c->content;
            if (!t)
                continue;
            for (const char *p = t; *p; p = g_utf8_next_char(p)) {
                gunichar u = g_utf8_get_char(p);
                if (g_unichar_isspace(u) || u == 0xA0) {
                    if (out->len && out->str[out->len - 1] != ' ' && out->str[out->len - 1] != '\n' &&
                        out->str[out->len - 1] != '\t')
                        g_string_append_c(out, ' ');
                } else {
                    g_string_append_unichar(out, u);
                }
            }
            continue;
        }
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (name_is(c, "script") || name_is(c, "style") || name_is(c, "head"))
            continue;
        if (name_is(c, "br")) {
            g_string_append_c(out, cell ? ' ' : '\n');
            continue;
        }
        bool block = !cell && is_block(c);
        bool td = !cell && (name_is(c, "td") || name_is(c, "th"));
        if (block && out->len && out->str[out->len - 1] != '\n') {
            while (out->len && (out->str[out->len - 1] == ' ' || out->str[out->len - 1] == '\t'))
                g_string_truncate(out, out->len - 1);
            g_string_append_c(out, '\n');
        }
        if (td && out->len && out->str[out->len - 1] != '\n') {
            while (out->len && out->str[out->len - 1] == ' ')
                g_string_truncate(out, out->len - 1);
            g_string_append_c(out, '\t');
        }
        collect_text(c->children, out, cell, depth + 1);
        if (block && out->len && out->str[out->len - 1] != '\n') {
            while (out->len && (out->str[out->len - 1] == ' ' || out->str[out->len - 1] == '\t'))
                g_string_truncate(out, out->len - 1);
            g_string_append_c(out, '\n');
        }
    }
}

static char *trimmed_copy(GString *s)
{
    char *r = intake_utf8_repair(s->str, s->len, NULL);
    char *t = core_trim(r);
    /* core_trim handles the start; strip the end here. */
    size_t l = strlen(t);
    while (l && (t[l - 1] == ' ' || t[l - 1] == '\n' || t[l - 1] == '\t'))
        t[--l] = '\0';
    char *out = g_strdup(t);
    g_free(r);
    return out;
}

char *intake_html_to_text(const char *html, size_t len)
{
    if (!html)
        return NULL;
    htmlDocPtr doc = parse_html(html, len);
    GString *out = g_string_new(NULL);
    if (doc) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        if (root)
            collect_text(root, out, false, 0);
        xmlFreeDoc(doc);
    }
    char *r = trimmed_copy(out);
    g_string_free(out, TRUE);
    return r;
}

/* --- tables ------------------------------------------------------------------------- */

typedef struct table_build {
    GArray *tables;   /* intake_html_table */
    GPtrArray *rows;  /* per table, same index: GArray of intake_html_row (given to the table at the end) */
} table_build;

static void scan_tables(table_build *b, xmlNodePtr n, int depth);

/* Rows of one table: its own <tr>s, through thead/tbody/tfoot but not into nested tables. */
static void scan_rows(table_build *b, guint tindex, xmlNodePtr n, int *tr_count, int depth)
{
    if (depth > MAX_HTML_DEPTH)
        return;
    for (xmlNodePtr c = n; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (name_is(c, "table")) {
            scan_tables(b, c, depth + 1);
            continue;
        }
        if (!name_is(c, "tr")) {
            scan_rows(b, tindex, c->children, tr_count, depth + 1);
            continue;
        }
        intake_html_row row = {.tr_index = ++*tr_count};
        GPtrArray *cells = g_ptr_array_new();
        for (xmlNodePtr td = c->children; td; td = td->next) {
            if (!(name_is(td, "td") || name_is(td, "th")))
                continue;
            GString *s = g_string_new(NULL);
            collect_text(td->children, s, true, depth + 1);
            g_ptr_array_add(cells, trimmed_copy(s));
            g_string_free(s, TRUE);
            xmlChar *span = xmlGetProp(td, (const xmlChar *)"colspan");
            if (span) {
                long k = strtol((const char *)span, NULL, 10);
                xmlFree(span);
                for (long i = 1; i < k && i < MAX_COLSPAN; i++)
                    g_ptr_array_add(cells, g_strdup(""));
            }
            /* Tables nested inside a cell are tables of their own. */
            for (xmlNodePtr in = td->children; in; in = in->next)
                if (in->type == XML_ELEMENT_NODE)
                    scan_tables(b, in, depth + 2);
        }
        row.cells = (char **)g_ptr_array_steal(cells, &row.n_cells);
        g_ptr_array_free(cells, TRUE);
        g_array_append_val(g_ptr_array_index(b->rows, tindex), row);
    }
}

static void scan_tables(table_build *b, xmlNodePtr n, int depth)
{
    if (!n || depth > MAX_HTML_DEPTH)
        return;
    if (name_is(n, "table")) {
        intake_html_table t = {.index = (int)b->tables->len};
        g_array_append_val(b->tables, t);
        g_ptr_array_add(b->rows, g_array_new(FALSE, FALSE, sizeof(intake_html_row)));
        int tr_count = 0;
        scan_rows(b, b->tables->len - 1, n->children, &tr_count, depth + 1);
        return;
    }
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            scan_tables(b, c, depth + 1);
}

int intake_html_tables_parse(const char *html, size_t len, intake_html_tables **out, minca_err *err)
{
    *out = g_malloc0_n(1, sizeof **out);
    if (!*out)
        return minca_err_set(err, "out of memory");
    htmlDocPtr doc = parse_html(html, len);
    if (!doc)
        return 0;
    table_build b = {.tables = g_array_new(FALSE, TRUE, sizeof(intake_html_table)), .rows = g_ptr_array_new()};
    scan_tables(&b, xmlDocGetRootElement(doc), 0);
    xmlFreeDoc(doc);
    for (guint i = 0; i < b.tables->len; i++) {
        GArray *rows = g_ptr_array_index(b.rows, i);
        intake_html_table *t = &g_array_index(b.tables, intake_html_table, i);
        t->rows = g_array_steal(rows, &t->n_rows);
        g_array_free(rows, TRUE);
    }
    g_ptr_array_free(b.rows, TRUE);
    (*out)->n_tables = b.tables->len;
    if (b.tables->len) {
        (*out)->tables = g_malloc(b.tables->len * sizeof(intake_html_table));
        memcpy((*out)->tables, b.tables->data, b.tables->len * sizeof(intake_html_table));
    }
    g_array_free(b.tables, TRUE);
    return 0;
}

void intake_html_tables_free(intake_html_tables *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_tables; i++) {
        intake_html_table *tb = &t->tables[i];
        for (size_t r = 0; r < tb->n_rows; r++) {
            for (size_t c = 0; c < tb->rows[r].n_cells; c++)
                g_free(tb->rows[r].cells[c]);
            g_free(tb->rows[r].cells);
        }
        g_free(tb->rows);
    }
    g_free(t->tables);
    g_free(t);
}
