/* Unit tests for the ODS reader: OpenDocument spreadsheets are built here with libzip from
 * content.xml written in the test (the mimetype entry first and stored, as Calc writes it):
 * typed cells, text markup, repeats, spans, hidden columns, rows and sheets, several sheets,
 * and hostile files (a million repeated rows, repeated columns, a zip bomb, truncation,
 * malformed XML, an .odt, an encrypted package). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/docs.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

/* ---- building packages ---- */

#define ODS_MIME "application/vnd.oasis.opendocument.spreadsheet"
#define NS                                                                                         \
    "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "                           \
    "xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" "                             \
    "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "                               \
    "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "                             \
    "xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" "                            \
    "xmlns:calcext=\"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0\" "      \
    "xmlns:of=\"urn:oasis:names:tc:opendocument:xmlns:of:1.2\""

typedef struct part {
    const char *name;
    const char *data;
    size_t len;       /* 0: strlen(data) */
    bool store;       /* no compression */
} part;

static char *zip_build(const part *parts, int n, size_t *len)
{
    static int seq;
    char *path = core_strdup_printf("/tmp/minca-test-ods-%d-%d.ods", (int)getpid(), seq++);
    int zerr;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    assert_non_null(z);
    for (int i = 0; i < n; i++) {
        size_t l = parts[i].len ? parts[i].len : strlen(parts[i].data);
        zip_source_t *s = zip_source_buffer(z, parts[i].data, l, 0);
        zip_int64_t idx = zip_file_add(z, parts[i].name, s, ZIP_FL_OVERWRITE);
        assert_true(idx >= 0);
        zip_set_file_compression(z, (zip_uint64_t)idx, parts[i].store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 9);
    }
    assert_int_equal(zip_close(z), 0);
    char *data = NULL;
    minca_err e = { 0 };
    assert_int_equal(core_read_file(path, 1u << 30, &data, len, &e), 0);
    unlink(path);
    g_free(path);
    return data;
}

static char *content_xml(const char *styles, const char *body)
{
    return core_strdup_printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                              "<office:document-content " NS " office:version=\"1.3\">"
                              "<office:automatic-styles>%s</office:automatic-styles>"
                              "<office:body><office:spreadsheet>%s</office:spreadsheet></office:body>"
                              "</office:document-content>",
                              styles ? styles : "", body);
}

static const char *MANIFEST =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest "
    "xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\">"
    "<manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"" ODS_MIME "\"/>"
    "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>"
    "</manifest:manifest>";

/* An ODS package as Calc writes it: mimetype (stored, first), content.xml, manifest. */
static char *ods_build(const char *styles, const char *body, size_t *len)
{
    char *content = content_xml(styles, body);
    part parts[] = { { "mimetype", ODS_MIME, 0, true }, { "content.xml", content, 0, false },
                     { "META-INF/manifest.xml", MANIFEST, 0, false } };
    char *data = zip_build(parts, 3, len);
    g_free(content);
    return data;
}

static char *one_sheet(const char *rows, size_t *len)
{
    char *body = core_strdup_printf("<table:table table:name=\"Hoja1\">%s</table:table>", rows);
    char *data = ods_build(NULL, body, len);
    g_free(body);
    return data;
}

static docs_book *open_ok(const char *data, size_t len, const docs_limits *lim)
{
    docs_book *b = NULL;
    minca_err e = { 0 };
    if (docs_open(data, len, "t.ods", lim, &b, &e) != 0)
        fail_msg("docs_open: %s", e.msg);
    return b;
}

static const docs_row *next_row(docs_book *b)
{
    const docs_row *r = NULL;
    minca_err e = { 0 };
    if (docs_sheet_next(b, &r, &e) != 1)
        fail_msg("expected a row: %s", e.msg);
    return r;
}

static void assert_end(docs_book *b)
{
    const docs_row *r = NULL;
    minca_err e = { 0 };
    int rc = docs_sheet_next(b, &r, &e);
    if (rc != 0)
        fail_msg("expected the end of the sheet, got %d (%s), row %ld", rc, e.msg, r ? r->row : 0);
}

/* Reads every row of sheet 0; returns the status (0 / -1) with the error in *e. */
static int drain(docs_book *b, int sheet, long *rows, minca_err *e)
{
    if (docs_sheet_open(b, sheet, e) != 0)
        return -1;
    const docs_row *r;
    int rc;
    *rows = 0;
    while ((rc = docs_sheet_next(b, &r, e)) == 1)
        (*rows)++;
    return rc;
}

#define CELL_S(t) "<table:table-cell office:value-type=\"string\" calcext:value-type=\"string\"><text:p>" t "</text:p></table:table-cell>"
#define CELL_N(v, shown) "<table:table-cell office:value-type=\"float\" office:value=\"" v "\" calcext:value-type=\"float\"><text:p>" shown "</text:p></table:table-cell>"
#define EMPTY_TAIL "<table:table-row table:number-rows-repeated=\"1048570\"><table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>"

/* ---- tests ---- */

static void test_ods_sniff_and_reader_row(void **state)
{
    (void)state;
    size_t len;
    char *data = one_sheet("<table:table-row>" CELL_S("MARCA") "</table:table-row>", &len);
    assert_int_equal(docs_sniff(data, len), DOCS_FMT_ODS);
    assert_string_equal(docs_format_name(DOCS_FMT_ODS), "ods");
    assert_true(docs_format_has_sheets(DOCS_FMT_ODS));
    assert_false(docs_format_text_cells(DOCS_FMT_ODS));
    g_free(data);
    /* a package written without the mimetype entry: recognised by content.xml */
    char *content = content_xml(NULL, "<table:table table:name=\"A\"><table:table-row>" CELL_S("x")
                                      "</table:table-row></table:table>");
    part parts[] = { { "content.xml", content, 0, false } };
    data = zip_build(parts, 1, &len);
    assert_int_equal(docs_sniff(data, len), DOCS_FMT_ODS);
    docs_book *b = open_ok(data, len, NULL);
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    assert_string_equal(next_row(b)->cells[0].text, "x");
    docs_close(b);
    g_free(data);
    g_free(content);
    /* XLSX containers are still XLSX */
    part xl[] = { { "[Content_Types].xml", "<Types/>", 0, false }, { "content.xml", "<a/>", 0, false } };
    data = zip_build(xl, 2, &len);
    assert_int_equal(docs_sniff(data, len), DOCS_FMT_XLSX);
    g_free(data);
}

static void test_ods_typed_cells(void **state)
{
    (void)state;
    const char *rows =
        "<table:table-row>"
        CELL_N("2019", "2,019")
        "<table:table-cell office:value-type=\"currency\" office:currency=\"MXN\" office:value=\"182000.5\"><text:p>$ 182,000.50</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"percentage\" office:value=\"0.15\"><text:p>15%</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"date\" office:date-value=\"2026-03-01\"><text:p>01/03/2026</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"date\" office:date-value=\"2026-03-01T10:20:30\"><text:p>01/03/26 10:20</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"time\" office:time-value=\"PT12H30M15S\"><text:p>12:30</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"boolean\" office:boolean-value=\"true\"><text:p>VERDADERO</text:p></table:table-cell>"
        "<table:table-cell table:formula=\"of:=[.A1]*2\" office:value-type=\"float\" office:value=\"4038\"><text:p>4038</text:p></table:table-cell>"
        "<table:table-cell table:formula=\"of:=1/0\" office:value-type=\"string\" office:string-value=\"\" calcext:value-type=\"error\"><text:p>#DIV/0!</text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row>"
        "<table:table-cell office:value-type=\"string\"><text:p>LÍNEA 1</text:p><text:p>LÍNEA 2</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"string\"><text:p>A<text:s text:c=\"3\"/>B<text:s/>C<text:tab/>D<text:line-break/>E</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"string\"><text:p><text:span text:style-name=\"T1\">KIA</text:span> <text:a xlink:href=\"http://x\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">RIO</text:a></text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"string\"><office:annotation><text:p>a comment</text:p></office:annotation><text:p>3N1AB7AP5KY123456</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"float\" office:value=\"not-a-number\"><text:p>n/d</text:p></table:table-cell>"
        "<table:table-cell><text:p>sin tipo</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"string\" office:string-value=\"valor\"><text:p>mostrado</text:p></table:table-cell>"
        "</table:table-row>" EMPTY_TAIL;
    size_t len;
    char *data = one_sheet(rows, &len);
    docs_book *b = open_ok(data, len, NULL);
    assert_int_equal(docs_book_format(b), DOCS_FMT_ODS);
    assert_int_equal(docs_sheet_count(b), 1);
    assert_string_equal(docs_sheet_name(b, 0), "Hoja1");
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    const docs_row *r = next_row(b);
    assert_int_equal(r->row, 1);
    assert_int_equal(r->n_cells, 9);
    assert_int_equal(r->cells[0].type, DOCS_CELL_NUMBER);
    assert_string_equal(r->cells[0].text, "2019");         /* the value, not "2,019" */
    assert_int_equal(r->cells[1].type, DOCS_CELL_NUMBER);
    assert_string_equal(r->cells[1].text, "182000.5");
    assert_true(fabs(r->cells[2].number - 0.15) < 1e-12);
    assert_int_equal(r->cells[3].type, DOCS_CELL_DATE);
    assert_string_equal(r->cells[3].text, "2026-03-01");
    char iso[11];
    assert_true(docs_serial_to_iso(r->cells[3].number, iso));
    assert_string_equal(iso, "2026-03-01");
    assert_true(fabs(r->cells[3].number - 46082) < 1e-9);
    assert_string_equal(r->cells[4].text, "2026-03-01 10:20:30");
    assert_true(fabs(r->cells[4].number - (46082 + (10 * 3600 + 20 * 60 + 30) / 86400.0)) < 1e-6);
    assert_int_equal(r->cells[5].type, DOCS_CELL_TEXT);
    assert_string_equal(r->cells[5].text, "12:30:15");
    assert_int_equal(r->cells[6].type, DOCS_CELL_BOOL);
    assert_string_equal(r->cells[6].text, "TRUE");
    assert_string_equal(r->cells[7].text, "4038");        /* a formula's cached value */
    assert_int_equal(r->cells[8].type, DOCS_CELL_TEXT);
    assert_true(r->cells[8].flags & DOCS_CELL_ERROR);
    assert_string_equal(r->cells[8].text, "#DIV/0!");
    r = next_row(b);
    assert_int_equal(r->row, 2);
    assert_string_equal(r->cells[0].text, "LÍNEA 1\nLÍNEA 2");
    assert_string_equal(r->cells[1].text, "A   B C\tD\nE");
    assert_string_equal(r->cells[2].text, "KIA RIO");
    assert_string_equal(r->cells[3].text, "3N1AB7AP5KY123456");   /* the comment is not text */
    assert_int_equal(r->cells[4].type, DOCS_CELL_TEXT);             /* a bad value: the text */
    assert_string_equal(r->cells[4].text, "n/d");
    assert_string_equal(r->cells[5].text, "sin tipo");
    assert_string_equal(r->cells[6].text, "valor");
    assert_end(b);
    docs_close(b);
    g_free(data);
    /* 1900 dates around Excel's phantom 1900-02-29 keep Excel's serials */
    data = one_sheet("<table:table-row>"
                     "<table:table-cell office:value-type=\"date\" office:date-value=\"1900-02-28\"/>"
                     "<table:table-cell office:value-type=\"date\" office:date-value=\"1900-03-01\"/>"
                     "<table:table-cell office:value-type=\"date\" office:date-value=\"1899-12-31\"><text:p>31/12/1899</text:p></table:table-cell>"
                     "</table:table-row>", &len);
    b = open_ok(data, len, NULL);
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    r = next_row(b);
    assert_true(fabs(r->cells[0].number - 59) < 1e-9);
    assert_true(fabs(r->cells[1].number - 61) < 1e-9);
    assert_int_equal(r->cells[2].type, DOCS_CELL_TEXT);   /* before the serials: the text shown */
    assert_string_equal(r->cells[2].text, "31/12/1899");
    docs_close(b);
    g_free(data);
}

static void test_ods_repeats_spans_hidden(void **state)
{
    (void)state;
    const char *styles =
        "<style:style style:name=\"ta1\" style:family=\"table\"><style:table-properties table:display=\"true\"/></style:style>"
        "<style:style style:name=\"ta2\" style:family=\"table\"><style:table-properties table:display=\"false\"/></style:style>";
    const char *body =
        "<table:table table:name=\"Condiciones\" table:style-name=\"ta2\"><table:table-row>" CELL_S("oculta")
        "</table:table-row></table:table>"
        "<table:table table:name=\"Vehículos\" table:style-name=\"ta1\">"
        "<table:table-column table:number-columns-repeated=\"2\"/>"
        "<table:table-column table:visibility=\"collapse\"/>"
        "<table:table-columns><table:table-column table:visibility=\"filter\" table:number-columns-repeated=\"2\"/></table:table-columns>"
        "<table:table-column table:number-columns-repeated=\"16379\"/>"
        "<table:table-header-rows><table:table-row>"
        "<table:table-cell office:value-type=\"string\" table:number-columns-spanned=\"3\" table:number-rows-spanned=\"1\"><text:p>VEHÍCULO</text:p></table:table-cell>"
        "<table:covered-table-cell table:number-columns-repeated=\"2\"/>"
        "<table:table-cell office:value-type=\"string\" table:number-rows-spanned=\"2\"><text:p>SUMA</text:p></table:table-cell>"
        "</table:table-row></table:table-header-rows>"
        "<table:table-row>" CELL_S("MARCA") CELL_S("AÑO") CELL_S("VALOR FACTURA") "<table:covered-table-cell/>" CELL_S("X") "</table:table-row>"
        "<table:table-row table:number-rows-repeated=\"2\">"
        "<table:table-cell table:number-columns-repeated=\"2\" office:value-type=\"string\"><text:p>KIA</text:p></table:table-cell>"
        "<table:table-cell/>" CELL_N("5", "5")
        "</table:table-row>"
        "<table:table-row table:number-rows-repeated=\"3\"><table:table-cell table:number-columns-repeated=\"4\"/></table:table-row>"
        "<table:table-row table:visibility=\"collapse\"><table:table-cell table:number-columns-repeated=\"3\"/>" CELL_S("oculta") "</table:table-row>"
        "<table:table-row/>"
        "<table:table-row>" CELL_S("fin") "</table:table-row>"
        EMPTY_TAIL
        "</table:table>"
        "<table:table table:name=\"Vacía\"><table:table-row table:number-rows-repeated=\"1048576\"><table:table-cell table:number-columns-repeated=\"16384\"/></table:table-row></table:table>";
    size_t len;
    char *data = ods_build(styles, body, &len);
    docs_book *b = open_ok(data, len, NULL);
    assert_int_equal(docs_sheet_count(b), 3);
    assert_true(docs_sheet_hidden(b, 0));
    assert_false(docs_sheet_hidden(b, 1));
    assert_string_equal(docs_sheet_name(b, 1), "Vehículos");
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 1, &e), 0);
    /* merged ranges are known from the first row */
    const docs_range *m;
    int nm;
    docs_sheet_merges(b, &m, &nm);
    assert_int_equal(nm, 2);
    assert_int_equal(m[0].first_row, 1);
    assert_int_equal(m[0].last_row, 1);
    assert_int_equal(m[0].first_col, 1);
    assert_int_equal(m[0].last_col, 3);
    assert_int_equal(m[1].first_row, 1);
    assert_int_equal(m[1].last_row, 2);
    assert_int_equal(m[1].first_col, 4);
    assert_int_equal(m[1].last_col, 4);
    const docs_row *r = next_row(b);
    assert_int_equal(r->row, 1);
    assert_int_equal(r->n_cells, 4);
    assert_string_equal(r->cells[0].text, "VEHÍCULO");
    assert_true(r->cells[0].flags & DOCS_CELL_MERGED);
    assert_int_equal(r->cells[1].type, DOCS_CELL_EMPTY);      /* covered */
    assert_string_equal(r->cells[3].text, "SUMA");            /* after two covered cells */
    assert_true(r->cells[3].flags & DOCS_CELL_HIDDEN_COL);    /* column D: filter */
    r = next_row(b);
    assert_int_equal(r->row, 2);
    assert_int_equal(r->n_cells, 5);
    assert_string_equal(r->cells[2].text, "VALOR FACTURA");
    assert_true(r->cells[2].flags & DOCS_CELL_HIDDEN_COL);    /* column C: collapse */
    assert_false(r->cells[1].flags & DOCS_CELL_HIDDEN_COL);
    assert_true(r->cells[3].type == DOCS_CELL_EMPTY && (r->cells[3].flags & DOCS_CELL_MERGED));
    assert_string_equal(r->cells[4].text, "X");
    assert_true(r->cells[4].flags & DOCS_CELL_HIDDEN_COL);    /* column E: filter, repeated */
    for (long want = 3; want <= 4; want++) {                   /* a repeated row: two rows */
        r = next_row(b);
        assert_int_equal(r->row, want);
        assert_int_equal(r->n_cells, 4);
        assert_string_equal(r->cells[0].text, "KIA");
        assert_string_equal(r->cells[1].text, "KIA");
        assert_int_equal(r->cells[2].type, DOCS_CELL_EMPTY);
        assert_string_equal(r->cells[3].text, "5");
        assert_false(r->hidden);
    }
    r = next_row(b);                                           /* three empty rows skipped */
    assert_int_equal(r->row, 8);
    assert_true(r->hidden);
    assert_string_equal(r->cells[3].text, "oculta");
    r = next_row(b);                                           /* an empty row element too */
    assert_int_equal(r->row, 10);
    assert_string_equal(r->cells[0].text, "fin");
    assert_end(b);                                             /* the million empty rows: nothing */
    /* reopening gives the same rows again; the empty sheet has none */
    long rows;
    assert_int_equal(drain(b, 1, &rows, &e), 0);
    assert_int_equal(rows, 6);
    assert_int_equal(drain(b, 2, &rows, &e), 0);
    assert_int_equal(rows, 0);
    assert_int_equal(drain(b, 0, &rows, &e), 0);
    assert_int_equal(rows, 1);
    docs_close(b);
    g_free(data);
}

static void test_ods_declared_million_repeats(void **state)
{
    (void)state;
    size_t len;
    minca_err e = { 0 };
    long rows;
    /* a million empty rows and columns, then a value: read at once, numbered after them */
    char *data = one_sheet("<table:table-row table:number-rows-repeated=\"1000000\"><table:table-cell table:number-columns-repeated=\"1000000\"/></table:table-row>"
                           "<table:table-row>" CELL_S("ultima") "</table:table-row>"
                           "<table:table-row table:number-rows-repeated=\"2147483647\"><table:table-cell table:number-columns-repeated=\"2147483647\"/></table:table-row>"
                           "<table:table-row table:number-rows-repeated=\"2147483647\"><table:table-cell/></table:table-row>",
                           &len);
    gint64 t0 = g_get_monotonic_time();
    docs_book *b = open_ok(data, len, NULL);
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    const docs_row *r = next_row(b);
    assert_int_equal(r->row, 1000001);
    assert_end(b);
    docs_close(b);
    g_free(data);
    /* a million repeats of a row with content: the row limit, at once, by name */
    data = one_sheet("<table:table-row table:number-rows-repeated=\"1000000\">" CELL_S("x") "</table:table-row>", &len);
    docs_limits lim;
    docs_limits_default(&lim);
    lim.max_rows = 5000;
    b = open_ok(data, len, &lim);
    assert_int_equal(drain(b, 0, &rows, &e), -1);
    assert_int_equal(rows, 0);
    assert_non_null(strstr(e.msg, "max_rows"));
    assert_non_null(strstr(e.msg, "1000000 times"));
    docs_close(b);
    g_free(data);
    /* a million copies of a row of ten values: the repeated-cell budget, at once */
    data = one_sheet("<table:table-row table:number-rows-repeated=\"1000000\">"
                     "<table:table-cell table:number-columns-repeated=\"10\" office:value-type=\"float\" office:value=\"1\"/>"
                     "</table:table-row>", &len);
    b = open_ok(data, len, NULL);
    assert_int_equal(drain(b, 0, &rows, &e), -1);
    assert_int_equal(rows, 0);
    assert_non_null(strstr(e.msg, "max_repeated_cells"));
    docs_close(b);
    g_free(data);
    /* long text copied across columns and rows: its bytes count as uncompressed content */
    GString *fat = g_string_new("<table:table-row table:number-rows-repeated=\"2000\">"
                                "<table:table-cell table:number-columns-repeated=\"500\" office:value-type=\"string\"><text:p>");
    for (int i = 0; i < 30000; i++)
        g_string_append_c(fat, 'A' + i % 26);
    g_string_append(fat, "</text:p></table:table-cell></table:table-row>");
    data = one_sheet(fat->str, &len);
    g_string_free(fat, TRUE);
    b = open_ok(data, len, NULL);
    assert_int_equal(drain(b, 0, &rows, &e), -1);
    assert_int_equal(rows, 0);
    assert_non_null(strstr(e.msg, "max_uncompressed_bytes"));
    docs_close(b);
    g_free(data);
    /* a value repeated across a million columns: the column limit */
    data = one_sheet("<table:table-row><table:table-cell table:number-columns-repeated=\"1000000\" office:value-type=\"float\" office:value=\"1\"/></table:table-row>", &len);
    b = open_ok(data, len, NULL);
    assert_int_equal(drain(b, 0, &rows, &e), -1);
    assert_non_null(strstr(e.msg, "max_cols"));
    docs_close(b);
    g_free(data);
    /* a value after a million empty columns: the column limit */
    data = one_sheet("<table:table-row><table:table-cell table:number-columns-repeated=\"1000000\"/>" CELL_S("lejos") "</table:table-row>", &len);
    b = open_ok(data, len, NULL);
    assert_int_equal(drain(b, 0, &rows, &e), -1);
    assert_non_null(strstr(e.msg, "max_cols"));
    docs_close(b);
    g_free(data);
    /* a value repeated within the limits: every copy */
    data = one_sheet("<table:table-row table:number-rows-repeated=\"300\"><table:table-cell table:number-columns-repeated=\"20\" office:value-type=\"float\" office:value=\"7\"/></table:table-row>", &len);
    b = open_ok(data, len, NULL);
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    long n = 0;
    int rc;
    while ((rc = docs_sheet_next(b, &r, &e)) == 1) {
        assert_int_equal(r->n_cells, 20);
        assert_int_equal(r->row, ++n);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 300);
    docs_close(b);
    g_free(data);
    /* text:s declaring a million spaces: the cell length limit */
    data = one_sheet("<table:table-row><table:table-cell office:value-type=\"string\"><text:p>a<text:s text:c=\"1000000\"/></text:p></table:table-cell></table:table-row>", &len);
    b = open_ok(data, len, NULL);
    assert_int_equal(drain(b, 0, &rows, &e), -1);
    assert_non_null(strstr(e.msg, "max_cell_bytes"));
    docs_close(b);
    g_free(data);
    /* spans repeated without end, beyond the columns read and within them: bounded */
    data = one_sheet("<table:table-row table:number-rows-repeated=\"2147483647\"><table:table-cell table:number-columns-repeated=\"600\"/>"
                     "<table:table-cell table:number-columns-repeated=\"2147483647\" table:number-columns-spanned=\"2\" table:number-rows-spanned=\"2147483647\"/></table:table-row>"
                     "<table:table-row table:number-rows-repeated=\"2147483647\"><table:table-cell table:number-columns-repeated=\"2147483647\" table:number-columns-spanned=\"3\"/></table:table-row>"
                     "<table:table-row>" CELL_S("x") "</table:table-row>", &len);
    b = open_ok(data, len, NULL);
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    const docs_range *m;
    int nm;
    docs_sheet_merges(b, &m, &nm);
    assert_true(nm > 0 && nm <= 100000);
    r = next_row(b);
    assert_string_equal(r->cells[0].text, "x");
    assert_int_equal(r->row, 2147483647L * 2 + 1);
    docs_close(b);
    g_free(data);
    gint64 ms = (g_get_monotonic_time() - t0) / 1000;
    if (ms > 5000)
        fail_msg("the declared repeats took %lld ms", (long long)ms);
}

static void test_ods_zip_bomb_and_limits(void **state)
{
    (void)state;
    /* 64 MiB of spaces inside a cell compress to about 64 KiB */
    size_t big = 64u << 20;
    char *body = g_malloc(big + 512);
    char *p = body;
    p += sprintf(p, "<table:table table:name=\"B\"><table:table-row><table:table-cell office:value-type=\"string\"><text:p>");
    memset(p, ' ', big);
    p += big;
    strcpy(p, "</text:p></table:table-cell></table:table-row></table:table>");
    char *content = content_xml(NULL, body);
    g_free(body);
    part parts[] = { { "mimetype", ODS_MIME, 0, true }, { "content.xml", content, 0, false } };
    size_t len;
    char *data = zip_build(parts, 2, &len);
    g_free(content);
    assert_true(len < (2u << 20));
    docs_book *b = NULL;
    minca_err e = { 0 };
    assert_int_equal(docs_open(data, len, "bomba.ods", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "bomba.ods"));
    assert_non_null(strstr(e.msg, "max_ratio"));
    docs_limits lim;
    docs_limits_default(&lim);
    lim.max_uncompressed_bytes = 1u << 20;
    assert_int_equal(docs_open(data, len, "bomba.ods", &lim, &b, &e), -1);
    assert_non_null(strstr(e.msg, "max_uncompressed_bytes"));
    g_free(data);
    /* the cell length limit */
    data = one_sheet("<table:table-row>" CELL_S("0123456789ABCDEF") "</table:table-row>", &len);
    docs_limits_default(&lim);
    lim.max_cell_bytes = 8;
    b = open_ok(data, len, &lim);
    long rows;
    assert_int_equal(drain(b, 0, &rows, &e), -1);
    assert_non_null(strstr(e.msg, "max_cell_bytes"));
    docs_close(b);
    g_free(data);
    /* the sheet limit */
    GString *many = g_string_new(NULL);
    for (int i = 0; i < 70; i++)
        g_string_append_printf(many, "<table:table table:name=\"H%d\"/>", i);
    data = ods_build(NULL, many->str, &len);
    g_string_free(many, TRUE);
    assert_int_equal(docs_open(data, len, "hojas.ods", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "max_sheets"));
    g_free(data);
}

static void test_ods_damaged(void **state)
{
    (void)state;
    GString *rows = g_string_new(NULL);
    for (int i = 0; i < 400; i++)
        g_string_append_printf(rows, "<table:table-row>" CELL_S("RENGLON %d") CELL_N("%d", "x") "</table:table-row>", i, i);
    size_t len;
    char *data = one_sheet(rows->str, &len);
    g_string_free(rows, TRUE);
    docs_book *b = NULL;
    minca_err e = { 0 };
    /* truncated: the ZIP directory is gone */
    assert_int_equal(docs_open(data, len * 2 / 3, "cortado.ods", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "cortado.ods"));
    assert_non_null(strstr(e.msg, "truncated or damaged"));
    g_free(data);
    /* content.xml cut in the middle of the sheet */
    char *content = content_xml(NULL, "<table:table table:name=\"A\"><table:table-row>" CELL_S("uno") "</table:table-row>");
    content[strlen(content) - 60] = '\0';
    part parts[] = { { "mimetype", ODS_MIME, 0, true }, { "content.xml", content, 0, false } };
    data = zip_build(parts, 2, &len);
    g_free(content);
    if (docs_open(data, len, "t.ods", NULL, &b, &e) == 0) {
        long n;
        assert_int_equal(drain(b, 0, &n, &e), -1);
        docs_close(b);
    }
    assert_non_null(strstr(e.msg, "content.xml"));
    g_free(data);
    /* no content.xml at all */
    part none[] = { { "mimetype", ODS_MIME, 0, true }, { "styles.xml", "<a/>", 0, false } };
    data = zip_build(none, 2, &len);
    assert_int_equal(docs_sniff(data, len), DOCS_FMT_ODS);
    assert_int_equal(docs_open(data, len, "t.ods", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "content.xml"));
    g_free(data);
    /* an external entity is not loaded */
    char *ent = g_strdup_printf("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                                "<office:document-content " NS "><office:body><office:spreadsheet>"
                                "<table:table table:name=\"A\"><table:table-row><table:table-cell office:value-type=\"string\"><text:p>&e;</text:p></table:table-cell></table:table-row></table:table>"
                                "</office:spreadsheet></office:body></office:document-content>");
    part ee[] = { { "mimetype", ODS_MIME, 0, true }, { "content.xml", ent, 0, false } };
    data = zip_build(ee, 2, &len);
    g_free(ent);
    if (docs_open(data, len, "t.ods", NULL, &b, &e) == 0) {
        if (docs_sheet_open(b, 0, &e) == 0) {
            const docs_row *r;
            while (docs_sheet_next(b, &r, &e) == 1)
                for (int c = 0; c < r->n_cells; c++)
                    assert_null(strstr(r->cells[c].text, "root:"));
        }
        docs_close(b);
    }
    g_free(data);
}

static void test_ods_other_kinds_refused(void **state)
{
    (void)state;
    size_t len;
    docs_book *b = NULL;
    minca_err e = { 0 };
    part odt[] = { { "mimetype", "application/vnd.oasis.opendocument.text", 0, true },
                   { "content.xml", "<office:document-content/>", 0, false } };
    char *data = zip_build(odt, 2, &len);
    assert_int_equal(docs_open(data, len, "carta.odt", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "carta.odt: an OpenDocument text document, not a spreadsheet"));
    g_free(data);
    part odp[] = { { "mimetype", "application/vnd.oasis.opendocument.presentation", 0, true },
                   { "content.xml", "<a/>", 0, false } };
    data = zip_build(odp, 2, &len);
    assert_int_equal(docs_open(data, len, "p.odp", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "presentation, not a spreadsheet"));
    g_free(data);
    /* an encrypted spreadsheet: the manifest carries encryption data */
    const char *manifest =
        "<?xml version=\"1.0\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\">"
        "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\" manifest:size=\"900\">"
        "<manifest:encryption-data manifest:checksum-type=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k\" manifest:checksum=\"AAAA\">"
        "<manifest:algorithm manifest:algorithm-name=\"http://www.w3.org/2001/04/xmlenc#aes256-cbc\" manifest:initialisation-vector=\"AAAA\"/>"
        "</manifest:encryption-data></manifest:file-entry></manifest:manifest>";
    part enc[] = { { "mimetype", ODS_MIME, 0, true }, { "content.xml", "\x8f\x12\xa0 not xml", 0, true },
                   { "META-INF/manifest.xml", manifest, 0, false } };
    data = zip_build(enc, 3, &len);
    assert_int_equal(docs_open(data, len, "clave.ods", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "clave.ods"));
    assert_non_null(strstr(e.msg, "password-protected"));
    g_free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ods_sniff_and_reader_row),
        cmocka_unit_test(test_ods_typed_cells),
        cmocka_unit_test(test_ods_repeats_spans_hidden),
        cmocka_unit_test(test_ods_declared_million_repeats),
        cmocka_unit_test(test_ods_zip_bomb_and_limits),
        cmocka_unit_test(test_ods_damaged),
        cmocka_unit_test(test_ods_other_kinds_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
