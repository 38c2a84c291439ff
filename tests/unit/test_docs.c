/* Unit tests for docs: sniffing, XLSX (written by libxlsxwriter and by hand), XLS, CSV
 * encodings and delimiters, grids, limits, hostile files and table detection. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/docs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

/* ---- helpers ---- */

static char *tmp_path(const char *suffix)
{
    static int n;
    return core_strdup_printf("/tmp/minca-test-docs-%d-%d%s", (int)getpid(), n++, suffix);
}

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    minca_err e = { 0 };
    assert_int_equal(core_read_file(path, 1u << 30, &data, len, &e), 0);
    unlink(path);
    return data;
}

/* Hand-made XLSX: parts given as name/content pairs, NULL-terminated. */
static char *zip_parts(size_t *len, const char *const *parts)
{
    char *path = tmp_path(".xlsx");
    int zerr;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    assert_non_null(z);
    for (int i = 0; parts[i]; i += 2) {
        zip_source_t *s = zip_source_buffer(z, parts[i + 1], strlen(parts[i + 1]), 0);
        assert_true(zip_file_add(z, parts[i], s, ZIP_FL_OVERWRITE) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    char *data = slurp(path, len);
    g_free(path);
    return data;
}

static const char *CT = "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";
static const char *ROOT_RELS =
    "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
static const char *WB_RELS =
    "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>";
static const char *STYLES =
    "<?xml version=\"1.0\"?><styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
    "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\"/></numFmts>"
    "<cellXfs count=\"3\"><xf numFmtId=\"0\"/><xf numFmtId=\"164\"/><xf numFmtId=\"14\"/></cellXfs></styleSheet>";

static char *hand_xlsx(size_t *len, bool date1904, const char *sheet_body)
{
    char *wb = core_strdup_printf(
        "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
        "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
        "<workbookPr%s/><sheets><sheet name=\"Datos\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
        date1904 ? " date1904=\"1\"" : "");
    char *sheet = core_strdup_printf(
        "<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">%s</worksheet>",
        sheet_body);
    const char *parts[] = { "[Content_Types].xml", CT, "_rels/.rels", ROOT_RELS,
                            "xl/_rels/workbook.xml.rels", WB_RELS, "xl/workbook.xml", wb,
                            "xl/styles.xml", STYLES, "xl/worksheets/sheet1.xml", sheet, NULL };
    char *data = zip_parts(len, parts);
    g_free(wb);
    g_free(sheet);
    return data;
}

static docs_book *open_ok(const char *data, size_t len, const docs_limits *lim)
{
    docs_book *b = NULL;
    minca_err e = { 0 };
    if (docs_open(data, len, "t", lim, &b, &e) != 0)
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

/* ---- tests ---- */

static void test_sniff(void **state)
{
    (void)state;
    assert_int_equal(docs_sniff("PK\x03\x04rest", 8), DOCS_FMT_XLSX);
    assert_int_equal(docs_sniff("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1..", 10), DOCS_FMT_XLS);
    assert_int_equal(docs_sniff("%PDF-1.6", 8), DOCS_FMT_PDF);
    assert_int_equal(docs_sniff("\x89PNG\r\n", 6), DOCS_FMT_IMAGE);
    assert_int_equal(docs_sniff("a;b;c\n1;2;3\n", 12), DOCS_FMT_CSV);
    assert_int_equal(docs_sniff("a\0b\0", 4), DOCS_FMT_UNKNOWN);
    assert_int_equal(docs_sniff("", 0), DOCS_FMT_EMPTY);
    assert_string_equal(docs_format_name(DOCS_FMT_XLS), "xls");
}

/* Every format has one row in the reader table: its name and what its rows look like. */
static void test_reader_table(void **state)
{
    (void)state;
    static const struct { docs_format f; const char *name; bool sheets, text; } want[] = {
        { DOCS_FMT_XLSX, "xlsx", true, false }, { DOCS_FMT_XLS, "xls", true, false },
        { DOCS_FMT_CSV, "csv", false, true }, { DOCS_FMT_GRID, "grid", false, true },
        { DOCS_FMT_HTML, "html", false, true }, { DOCS_FMT_XMLSS, "xmlss", true, false },
        { DOCS_FMT_PDF, "pdf", false, true }, { DOCS_FMT_IMAGE, "image", false, true },
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        assert_string_equal(docs_format_name(want[i].f), want[i].name);
        assert_int_equal(docs_format_has_sheets(want[i].f), want[i].sheets);
        assert_int_equal(docs_format_text_cells(want[i].f), want[i].text);
    }
    assert_string_equal(docs_format_name(DOCS_FMT_EMPTY), "empty");
    assert_string_equal(docs_format_name(DOCS_FMT_UNKNOWN), "unknown");
    /* markup is told apart before plain text */
    assert_int_equal(docs_sniff("  <html><table>", 15), DOCS_FMT_HTML);
    const char *ss = "<?xml version=\"1.0\"?><Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">";
    assert_int_equal(docs_sniff(ss, strlen(ss)), DOCS_FMT_XMLSS);
    assert_int_equal(docs_sniff("\xFF\xFE" "a\0;\0", 6), DOCS_FMT_CSV);
    docs_book *b = NULL;
    minca_err e = { 0 };
    assert_int_equal(docs_open("\x89PNG\r\n", 6, "firma.png", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "firma.png: not a readable image: its header is damaged or truncated"));
}

static void test_helpers(void **state)
{
    (void)state;
    int col;
    long row;
    assert_int_equal(docs_parse_ref("AB12", &col, &row), 0);
    assert_int_equal(col, 27);
    assert_int_equal(row, 12);
    assert_int_equal(docs_parse_ref("12", &col, &row), -1);
    char name[8];
    docs_col_name(27, name);
    assert_string_equal(name, "AB");
    char iso[11];
    assert_true(docs_serial_to_iso(45000, iso));
    assert_string_equal(iso, "2023-03-15");
    assert_true(docs_serial_to_iso(59, iso));
    assert_string_equal(iso, "1900-02-28");
    assert_true(docs_serial_to_iso(61, iso));
    assert_string_equal(iso, "1900-03-01");
    char *f = docs_fold("  Año  MOdelos ");
    assert_string_equal(f, "ano modelos");
    g_free(f);
    f = docs_fold(" # ");
    assert_string_equal(f, "#");
    g_free(f);
}

static char *writer_xlsx(size_t *len, bool constant_memory)
{
    char *path = tmp_path(".xlsx");
    lxw_workbook_options opt = { .constant_memory = constant_memory };
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    lxw_worksheet *resumen = workbook_add_worksheet(wb, "Resumen");
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Unidades");
    lxw_format *datef = workbook_add_format(wb);
    format_set_num_format(datef, "dd/mm/yyyy");
    worksheet_write_string(resumen, 0, 0, "Contratante:", NULL);
    worksheet_write_string(resumen, 0, 1, "FARMACIAS", NULL);
    if (!constant_memory)
        worksheet_merge_range(ws, 0, 0, 0, 4, "RELACIÓN DE UNIDADES", NULL);
    else
        worksheet_write_string(ws, 0, 0, "RELACIÓN DE UNIDADES", NULL);
    const char *hdr[] = { "Inciso", "Marca", "Año", "Serie", "Alta", "Activo" };
    for (int c = 0; c < 6; c++)
        worksheet_write_string(ws, 2, (lxw_col_t)c, hdr[c], NULL);
    for (int r = 0; r < 3; r++) {
        worksheet_write_number(ws, (lxw_row_t)(3 + r), 0, r + 1, NULL);
        worksheet_write_string(ws, (lxw_row_t)(3 + r), 1, r == 1 ? "NISSAN  " : "FORD", NULL);
        worksheet_write_number(ws, (lxw_row_t)(3 + r), 2, 2019 + r, NULL);
        worksheet_write_string(ws, (lxw_row_t)(3 + r), 3, "3N1AB7AP5KY123456", NULL);
        lxw_datetime dt = { 2025, 10, 14, 0, 0, 0 };
        worksheet_write_datetime(ws, (lxw_row_t)(3 + r), 4, &dt, datef);
        worksheet_write_boolean(ws, (lxw_row_t)(3 + r), 5, r != 2, NULL);
    }
    worksheet_write_string(ws, 6, 1, "TOTAL", NULL);
    worksheet_write_number(ws, 6, 2, 3, NULL);
    lxw_row_col_options hidden = { .hidden = 1 };
    worksheet_set_column_opt(ws, 3, 3, 20, NULL, &hidden);
    if (!constant_memory)
        worksheet_set_row_opt(ws, 4, 15, NULL, &hidden);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    char *data = slurp(path, len);
    g_free(path);
    return data;
}

static void test_xlsx_writer_file(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {   /* shared strings, then inline strings */
        size_t len;
        char *data = writer_xlsx(&len, mode == 1);
        docs_book *b = open_ok(data, len, NULL);
        assert_int_equal(docs_book_format(b), DOCS_FMT_XLSX);
        assert_int_equal(docs_sheet_count(b), 2);
        assert_string_equal(docs_sheet_name(b, 1), "Unidades");
        minca_err e = { 0 };
        assert_int_equal(docs_sheet_open(b, 1, &e), 0);
        const docs_row *r = next_row(b);
        assert_int_equal(r->row, 1);
        assert_string_equal(r->cells[0].text, "RELACIÓN DE UNIDADES");
        assert_int_equal((r->cells[0].flags & DOCS_CELL_MERGED) != 0, mode == 0);
        r = next_row(b);
        assert_int_equal(r->row, 3);
        assert_int_equal(r->n_cells, 6);
        assert_true(r->cells[3].flags & DOCS_CELL_HIDDEN_COL);
        r = next_row(b);
        assert_int_equal(r->row, 4);
        assert_int_equal(r->cells[0].type, DOCS_CELL_NUMBER);
        assert_string_equal(r->cells[0].text, "1");
        assert_int_equal(r->cells[2].type, DOCS_CELL_NUMBER);
        assert_true(r->cells[2].number == 2019);
        assert_int_equal(r->cells[4].type, DOCS_CELL_DATE);
        assert_string_equal(r->cells[4].text, "2025-10-14");
        assert_int_equal(r->cells[5].type, DOCS_CELL_BOOL);
        assert_string_equal(r->cells[5].text, "TRUE");
        assert_false(r->hidden);
        r = next_row(b);
        assert_int_equal(r->row, 5);
        assert_string_equal(r->cells[1].text, "NISSAN  ");
        if (mode == 0)
            assert_true(r->hidden);
        next_row(b);
        next_row(b);
        assert_int_equal(docs_sheet_next(b, &r, &e), 0);
        const docs_range *m;
        int nm;
        docs_sheet_merges(b, &m, &nm);
        assert_int_equal(nm, mode == 0 ? 1 : 0);
        if (nm) {
            assert_int_equal(m[0].first_row, 1);
            assert_int_equal(m[0].last_col, 5);
        }
        /* table detection: header on row 3 of the second sheet, TOTAL ends it */
        docs_table t;
        assert_int_equal(docs_table_find(b, NULL, &t, &e), 0);
        assert_int_equal(t.sheet, 1);
        assert_int_equal(t.header_row, 3);
        assert_int_equal(t.n_cols, 6);
        assert_string_equal(t.headers[2], "Año");
        assert_true(t.hidden_cols[3]);
        assert_int_equal(docs_table_open(b, &t, &e), 0);
        int n = 0;
        while (docs_table_next(b, &t, &r, &e) == 1)
            n++;
        assert_int_equal(n, 3);
        assert_int_equal(t.stop_row, 7);
        docs_table_clear(&t);
        docs_close(b);
        g_free(data);
    }
}

static void test_xlsx_hand_made(void **state)
{
    (void)state;
    size_t len;
    char *data = hand_xlsx(&len, true,
        "<cols><col min=\"2\" max=\"3\" hidden=\"1\"/></cols><sheetData>"
        "<row r=\"2\" hidden=\"1\"><c r=\"A2\" t=\"inlineStr\"><is><r><t>Hola </t></r><r><t xml:space=\"preserve\">mundo</t></r></is></c>"
        "<c r=\"B2\" s=\"1\"><v>0</v></c><c r=\"C2\" t=\"b\"><v>0</v></c><c r=\"E2\" t=\"e\"><v>#REF!</v></c>"
        "<c r=\"F2\" t=\"str\"><f>A1</f><v>calc</v></c></row>"
        "<row><c t=\"n\"><v>1.5</v></c></row>"
        "</sheetData><mergeCells count=\"1\"><mergeCell ref=\"A1:C1\"/></mergeCells>");
    docs_book *b = open_ok(data, len, NULL);
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    const docs_row *r = next_row(b);
    assert_int_equal(r->row, 2);
    assert_true(r->hidden);
    assert_string_equal(r->cells[0].text, "Hola mundo");
    assert_int_equal(r->cells[1].type, DOCS_CELL_DATE);
    assert_string_equal(r->cells[1].text, "1904-01-01");   /* serial 0 in the 1904 system */
    assert_true(r->cells[1].flags & DOCS_CELL_HIDDEN_COL);
    assert_int_equal(r->cells[2].type, DOCS_CELL_BOOL);
    assert_string_equal(r->cells[2].text, "FALSE");
    assert_int_equal(r->cells[3].type, DOCS_CELL_EMPTY);
    assert_true(r->cells[4].flags & DOCS_CELL_ERROR);
    assert_string_equal(r->cells[5].text, "calc");
    r = next_row(b);
    assert_int_equal(r->row, 3);
    assert_string_equal(r->cells[0].text, "1.5");
    assert_int_equal(docs_sheet_next(b, &r, &e), 0);
    const docs_range *m;
    int nm;
    docs_sheet_merges(b, &m, &nm);
    assert_int_equal(nm, 1);
    docs_close(b);
    g_free(data);
}

static void test_xlsx_external_entity_not_loaded(void **state)
{
    (void)state;
    size_t len;
    char *data;
    /* The DOCTYPE is in the sheet part; the external entity must not be resolved. */
    const char *evil_sheet =
        "<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a&xxe;b</t></is></c></row></sheetData></worksheet>";
    const char *wbx =
        "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
        "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
        "<sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    const char *parts[] = { "_rels/.rels", ROOT_RELS, "xl/_rels/workbook.xml.rels", WB_RELS,
                            "xl/workbook.xml", wbx, "xl/worksheets/sheet1.xml", evil_sheet, NULL };
    data = zip_parts(&len, parts);
    docs_book *b = open_ok(data, len, NULL);
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    const docs_row *r;
    int rc = docs_sheet_next(b, &r, &e);
    if (rc == 1 && r->n_cells > 0)
        assert_null(strstr(r->cells[0].text, "root:"));
    docs_close(b);
    g_free(data);
}

static void test_xlsx_entity_expansion_refused(void **state)
{
    (void)state;
    const char *lol =
        "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
        "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
        "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
        "<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\"><!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">]>"
        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&i;</t></is></c></row></sheetData></worksheet>";
    const char *wbx =
        "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
        "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
        "<sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    const char *parts[] = { "_rels/.rels", ROOT_RELS, "xl/_rels/workbook.xml.rels", WB_RELS,
                            "xl/workbook.xml", wbx, "xl/worksheets/sheet1.xml", lol, NULL };
    size_t len;
    char *data = zip_parts(&len, parts);
    docs_book *b = open_ok(data, len, NULL);
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    const docs_row *r;
    int rc;
    size_t total = 0;
    while ((rc = docs_sheet_next(b, &r, &e)) == 1)
        for (int c = 0; c < r->n_cells; c++)
            total += strlen(r->cells[c].text);
    assert_true(total < 100000);   /* never a billion laughs */
    docs_close(b);
    g_free(data);
}

static void test_xlsx_truncated_and_corrupt(void **state)
{
    (void)state;
    size_t len;
    char *data = writer_xlsx(&len, false);
    docs_book *b = NULL;
    minca_err e = { 0 };
    assert_int_equal(docs_open(data, len * 2 / 3, "flotilla.xlsx", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "flotilla.xlsx"));
    assert_non_null(strstr(e.msg, "truncated or damaged"));
    /* a ZIP that is not a workbook */
    const char *parts[] = { "hello.txt", "hi", NULL };
    char *zip = zip_parts(&len, parts);
    assert_int_equal(docs_open(zip, len, "x.xlsx", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "not an XLSX workbook"));
    g_free(zip);
    /* malformed sheet XML */
    char *bad = hand_xlsx(&len, false, "<sheetData><row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row>");
    b = open_ok(bad, len, NULL);
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    const docs_row *r;
    int rc;
    while ((rc = docs_sheet_next(b, &r, &e)) == 1)
        ;
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, "sheet1.xml"));
    docs_close(b);
    g_free(bad);
    g_free(data);
}

static void test_limits(void **state)
{
    (void)state;
    docs_limits lim;
    docs_limits_default(&lim);
    size_t len;
    char *data = writer_xlsx(&len, false);
    docs_book *b = NULL;
    minca_err e = { 0 };
    /* rows */
    lim.max_rows = 2;
    b = open_ok(data, len, &lim);
    assert_int_equal(docs_sheet_open(b, 1, &e), 0);
    const docs_row *r;
    int rc;
    while ((rc = docs_sheet_next(b, &r, &e)) == 1)
        ;
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, "max_rows"));
    docs_close(b);
    /* columns */
    docs_limits_default(&lim);
    lim.max_cols = 3;
    b = open_ok(data, len, &lim);
    assert_int_equal(docs_sheet_open(b, 1, &e), 0);
    while ((rc = docs_sheet_next(b, &r, &e)) == 1)
        ;
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, "max_cols"));
    docs_close(b);
    /* cell length: shared strings are checked when the workbook opens */
    docs_limits_default(&lim);
    lim.max_cell_bytes = 5;
    assert_int_equal(docs_open(data, len, "t", &lim, &b, &e), -1);
    assert_non_null(strstr(e.msg, "max_cell_bytes"));
    /* ... inline strings while the sheet is read */
    char *inl = writer_xlsx(&len, true);
    b = open_ok(inl, len, &lim);
    assert_int_equal(docs_sheet_open(b, 1, &e), 0);
    while ((rc = docs_sheet_next(b, &r, &e)) == 1)
        ;
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, "max_cell_bytes"));
    docs_close(b);
    g_free(inl);
    g_free(data);
    data = writer_xlsx(&len, false);
    /* total uncompressed size */
    docs_limits_default(&lim);
    lim.max_uncompressed_bytes = 1000;
    assert_int_equal(docs_open(data, len, "big.xlsx", &lim, &b, &e), -1);
    assert_non_null(strstr(e.msg, "max_uncompressed_bytes"));
    /* input size */
    docs_limits_default(&lim);
    lim.max_input_bytes = 100;
    assert_int_equal(docs_open(data, len, "big.xlsx", &lim, &b, &e), -1);
    assert_non_null(strstr(e.msg, "max_input_bytes"));
    g_free(data);
    data = NULL;
    /* compression ratio: 4 MiB of one repeated byte in a cell */
    size_t big = 4u << 20;
    char *body = g_malloc(big + 200);
    strcpy(body, "<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>");
    size_t off = strlen(body);
    memset(body + off, 'A', big);
    strcpy(body + off + big, "</t></is></c></row></sheetData>");
    data = hand_xlsx(&len, false, body);
    g_free(body);
    docs_limits_default(&lim);
    b = open_ok(data, len, &lim);
    assert_int_equal(docs_sheet_open(b, 0, &e), -1);
    assert_non_null(strstr(e.msg, "max_ratio"));
    docs_close(b);
    g_free(data);
}

static void test_csv_latin1_semicolon(void **state)
{
    (void)state;
    const char *data = "No.;DESCRIPCION;A\xD1O;VALOR\r\n1;\"NISSAN; VERSA\";2020;\"291,000.00\"\r\n;;;\r\n";
    docs_book *b = open_ok(data, strlen(data), NULL);
    assert_int_equal(docs_book_format(b), DOCS_FMT_CSV);
    assert_string_equal(docs_book_encoding(b), "WINDOWS-1252");
    assert_int_equal(docs_book_delimiter(b), ';');
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    const docs_row *r = next_row(b);
    assert_string_equal(r->cells[2].text, "AÑO");
    r = next_row(b);
    assert_int_equal(r->row, 2);
    assert_string_equal(r->cells[1].text, "NISSAN; VERSA");
    assert_string_equal(r->cells[3].text, "291,000.00");
    r = next_row(b);
    assert_int_equal(r->n_cells, 0);
    docs_close(b);
}

static void test_csv_utf8_bom_tab_pipe(void **state)
{
    (void)state;
    const char *tab = "\xEF\xBB\xBFMarca\tA\xC3\xB1o\tSerie\nFORD\t2019\tX\n";
    docs_book *b = open_ok(tab, strlen(tab), NULL);
    assert_int_equal(docs_book_delimiter(b), '\t');
    assert_string_equal(docs_book_encoding(b), "UTF-8 (BOM)");
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    const docs_row *r = next_row(b);
    assert_string_equal(r->cells[0].text, "Marca");
    assert_string_equal(r->cells[1].text, "Año");
    docs_close(b);
    const char *pipe = "a|b|c\n1|2,5|3\n4|5|6\n";
    b = open_ok(pipe, strlen(pipe), NULL);
    assert_int_equal(docs_book_delimiter(b), '|');
    docs_close(b);
    const char *comma = "a,b,c\n\"1;2\",2,3\n";
    b = open_ok(comma, strlen(comma), NULL);
    assert_int_equal(docs_book_delimiter(b), ',');
    docs_close(b);
    /* UTF-16LE with BOM */
    const char u16[] = "\xFF\xFE" "a\0;\0b\0\n\0" "1\0;\0" "2\0\n\0";
    b = open_ok(u16, sizeof u16 - 1, NULL);
    assert_string_equal(docs_book_encoding(b), "UTF-16LE");
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    r = next_row(b);
    assert_string_equal(r->cells[1].text, "b");
    docs_close(b);
    /* unterminated quote */
    const char *bad = "a,b\n\"open,2\n";
    b = open_ok(bad, strlen(bad), NULL);
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    next_row(b);
    assert_int_equal(docs_sheet_next(b, &r, &e), -1);
    assert_non_null(strstr(e.msg, "unterminated"));
    docs_close(b);
}

static void test_unsupported(void **state)
{
    (void)state;
    docs_book *b;
    minca_err e = { 0 };
    assert_int_equal(docs_open("%PDF-1.4 ...", 12, "lista.pdf", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "PDF"));
    assert_int_equal(docs_open("", 0, "vacio.xlsx", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "empty"));
    assert_int_equal(docs_open("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1garbage", 15, "x.xls", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "not a readable XLS"));
}

static void test_grid_and_detection(void **state)
{
    (void)state;
    docs_grid *g = docs_grid_new("tabla");
    const char *title[] = { "Solicitud de cotización" };
    const char *blank[] = { "" };
    const char *hdr[] = { "UNIDAD", "MARCA", "LÍNEA", "AÑO", "SERIE" };
    const char *r1[] = { "1", "Hyundai", "Tucson", "2016", "KM88XLL47GDR23699" };
    const char *r2[] = { "2", "Kia", "Rio", "2018", NULL };
    const char *tot[] = { "", "Total", "", "", "" };
    docs_grid_add_row(g, 0, title, 1);
    docs_grid_add_row(g, 0, blank, 1);
    docs_grid_add_row(g, 0, hdr, 5);
    docs_grid_add_row(g, 0, r1, 5);
    docs_grid_add_row(g, 0, blank, 1);
    docs_grid_add_row(g, 0, r2, 5);
    docs_grid_add_row(g, 0, tot, 5);
    docs_book *b;
    minca_err e = { 0 };
    assert_int_equal(docs_open_grid(g, NULL, &b, &e), 0);
    docs_table t;
    assert_int_equal(docs_table_find(b, NULL, &t, &e), 0);
    assert_int_equal(t.header_row, 3);
    assert_int_equal(docs_table_open(b, &t, &e), 0);
    const docs_row *r;
    assert_int_equal(docs_table_next(b, &t, &r, &e), 1);
    assert_int_equal(r->row, 4);
    assert_int_equal(docs_table_next(b, &t, &r, &e), 1);
    assert_int_equal(r->row, 6);
    assert_int_equal(r->n_cells, 4);
    assert_int_equal(docs_table_next(b, &t, &r, &e), 0);
    assert_int_equal(t.stop_row, 7);
    docs_table_clear(&t);
    /* a hint that cannot match */
    docs_table_hint hint = { .sheet_pattern = "^Flotilla$" };
    assert_int_equal(docs_table_find(b, &hint, &t, &e), -1);
    assert_non_null(strstr(e.msg, "Flotilla"));
    docs_close(b);
    /* no table at all */
    g = docs_grid_new(NULL);
    const char *only[] = { "hola" };
    docs_grid_add_row(g, 0, only, 1);
    assert_int_equal(docs_open_grid(g, NULL, &b, &e), 0);
    assert_int_equal(docs_table_find(b, NULL, &t, &e), -1);
    assert_non_null(strstr(e.msg, "no vehicle table"));
    docs_close(b);
}

static void test_html_tables(void **state)
{
    (void)state;
    const char *page =
        "<html><head><meta charset=\"utf-8\"><title>x</title></head><body>"
        "<table><tr><td>Logo</td></tr></table>"
        "<table border=1><thead><tr><th colspan=\"2\">RELACI&Oacute;N</th></tr>"
        "<tr><th>Marca</th><th>A&ntilde;o</th><th>Serie</th></tr></thead>"
        "<tbody><tr><td> FORD&nbsp;RANGER\n XL </td><td>2019</td><td>8AFRE9EU3KX923696</td></tr>"
        "<tr><td>KIA</td><td>2018</td><td><b>3KPKYBHZ1JCC76369</b></td></tr></tbody></table></body></html>";
    assert_int_equal(docs_sniff(page, strlen(page)), DOCS_FMT_HTML);
    docs_book *b = open_ok(page, strlen(page), NULL);
    assert_int_equal(docs_sheet_count(b), 2);
    assert_string_equal(docs_sheet_name(b, 1), "Tabla 2");
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 1, &e), 0);
    const docs_row *r = next_row(b);
    assert_string_equal(r->cells[0].text, "RELACIÓN");
    assert_true(r->cells[0].flags & DOCS_CELL_MERGED);
    r = next_row(b);
    assert_string_equal(r->cells[1].text, "Año");
    r = next_row(b);
    assert_int_equal(r->row, 3);
    assert_string_equal(r->cells[0].text, "FORD RANGER XL");
    docs_table t;
    assert_int_equal(docs_table_find(b, NULL, &t, &e), 0);
    assert_int_equal(t.sheet, 1);
    assert_int_equal(t.header_row, 2);
    docs_table_clear(&t);
    docs_close(b);
    const char *none = "<html><body><p>Sin tabla</p></body></html>";
    assert_int_equal(docs_open(none, strlen(none), "correo.html", NULL, &b, &e), -1);
    assert_non_null(strstr(e.msg, "without tables"));
}

static void test_xml_spreadsheet_2003(void **state)
{
    (void)state;
    const char *x =
        "<?xml version=\"1.0\"?><?mso-application progid=\"Excel.Sheet\"?>\n"
        "<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\" "
        "xmlns:ss=\"urn:schemas-microsoft-com:office:spreadsheet\">\n"
        "<Worksheet ss:Name=\"Portada\"><Table><Row><Cell><Data ss:Type=\"String\">Hola</Data></Cell></Row></Table></Worksheet>\n"
        "<Worksheet ss:Name=\"Unidades\"><Table><Column/><Column ss:Hidden=\"1\"/>"
        "<Row><Cell ss:MergeAcross=\"2\"><Data ss:Type=\"String\">RELACION</Data></Cell></Row>"
        "<Row ss:Index=\"3\"><Cell><Data ss:Type=\"String\">Marca</Data></Cell><Cell><Data ss:Type=\"String\">Clave</Data></Cell>"
        "<Cell><Data ss:Type=\"String\">Modelo</Data></Cell><Cell><Data ss:Type=\"String\">Serie</Data></Cell></Row>"
        "<Row ss:Hidden=\"1\"><Cell><Data ss:Type=\"String\">FORD</Data></Cell><Cell ss:Index=\"3\"><Data ss:Type=\"Number\">2019</Data></Cell>"
        "<Cell><Data ss:Type=\"DateTime\">2025-10-14T00:00:00.000</Data></Cell><Cell><Data ss:Type=\"Boolean\">0</Data></Cell></Row>"
        "</Table></Worksheet></Workbook>\n";
    assert_int_equal(docs_sniff(x, strlen(x)), DOCS_FMT_XMLSS);
    docs_book *b = open_ok(x, strlen(x), NULL);
    assert_int_equal(docs_sheet_count(b), 2);
    assert_string_equal(docs_sheet_name(b, 1), "Unidades");
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 1, &e), 0);
    const docs_row *r = next_row(b);
    assert_int_equal(r->row, 1);
    assert_true(r->cells[0].flags & DOCS_CELL_MERGED);
    r = next_row(b);
    assert_int_equal(r->row, 3);
    assert_true(r->cells[1].flags & DOCS_CELL_HIDDEN_COL);
    r = next_row(b);
    assert_int_equal(r->row, 4);
    assert_true(r->hidden);
    assert_int_equal(r->cells[1].type, DOCS_CELL_EMPTY);
    assert_int_equal(r->cells[2].type, DOCS_CELL_NUMBER);
    assert_int_equal(r->cells[3].type, DOCS_CELL_DATE);
    assert_string_equal(r->cells[3].text, "2025-10-14");
    assert_int_equal(r->cells[4].type, DOCS_CELL_BOOL);
    assert_int_equal(docs_sheet_next(b, &r, &e), 0);
    /* sheet 0 again, after sheet 1 */
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    r = next_row(b);
    assert_string_equal(r->cells[0].text, "Hola");
    docs_close(b);
    /* truncated */
    b = NULL;
    size_t cut = strlen(x) - 60;
    if (docs_open(x, cut, "t.xls", NULL, &b, &e) == 0) {
        assert_int_equal(docs_sheet_open(b, 1, &e), 0);
        int rc;
        while ((rc = docs_sheet_next(b, &r, &e)) == 1)
            ;
        assert_int_equal(rc, -1);
        assert_non_null(strstr(e.msg, "not well-formed"));
        docs_close(b);
    } else {
        assert_non_null(strstr(e.msg, "not well-formed"));
    }
}

static void test_xls_fixture(void **state)
{
    (void)state;
    const char *path = getenv("MINCA_TEST_XLS");
    char *p = NULL;
    if (!path) {
        const char *src = getenv("MINCA_SRC");
        p = core_strdup_printf("%s/tests/fixtures/docs/flotilla.xls", src ? src : ".");
        path = p;
    }
    if (!core_file_exists(path)) {
        g_free(p);
        skip();
    }
    char *data;
    size_t len;
    minca_err e = { 0 };
    assert_int_equal(core_read_file(path, 1u << 24, &data, &len, &e), 0);
    docs_book *b = open_ok(data, len, NULL);
    assert_int_equal(docs_book_format(b), DOCS_FMT_XLS);
    docs_table t;
    assert_int_equal(docs_table_find(b, NULL, &t, &e), 0);
    assert_true(t.header_row >= 1);
    assert_int_equal(docs_table_open(b, &t, &e), 0);
    const docs_row *r;
    int n = 0;
    while (docs_table_next(b, &t, &r, &e) == 1)
        n++;
    assert_true(n > 0);
    docs_table_clear(&t);
    docs_close(b);
    g_free(data);
    g_free(p);
}

/* A crafted BIFF file on which libfreexl reads outside a stack buffer (found by fuzz_xls):
 * the parser runs in a child process, so the caller gets a readable error either way. */
static void test_xls_parser_isolated(void **state)
{
    (void)state;
    const char *src = getenv("MINCA_SRC");
    char *path = core_strdup_printf("%s/tests/fixtures/docs/freexl_overread.xls", src ? src : ".");
    if (!core_file_exists(path)) {
        g_free(path);
        skip();
    }
    char *data;
    size_t len;
    minca_err e = { 0 };
    assert_int_equal(core_read_file(path, 1u << 24, &data, &len, &e), 0);
    docs_book *b = NULL;
    assert_int_equal(docs_open(data, len, "crafted.xls", NULL, &b, &e), -1);
    assert_null(b);
    assert_non_null(strstr(e.msg, "crafted.xls: not a readable XLS workbook"));
    g_free(data);
    g_free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_reader_table),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_xlsx_writer_file),
        cmocka_unit_test(test_xlsx_hand_made),
        cmocka_unit_test(test_xlsx_external_entity_not_loaded),
        cmocka_unit_test(test_xlsx_entity_expansion_refused),
        cmocka_unit_test(test_xlsx_truncated_and_corrupt),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_csv_latin1_semicolon),
        cmocka_unit_test(test_csv_utf8_bom_tab_pipe),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_grid_and_detection),
        cmocka_unit_test(test_html_tables),
        cmocka_unit_test(test_xml_spreadsheet_2003),
        cmocka_unit_test(test_xls_fixture),
        cmocka_unit_test(test_xls_parser_isolated),
    };
    return cmocka_run_group_tests_name("docs", tests, NULL, NULL);
}
