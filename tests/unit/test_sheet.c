/* Unit tests for table detection on sheets as office software saves them: header bands of two
 * rows (group titles merged across columns, columns merged down the band), several tables on
 * one sheet, a hidden column beside a visible one for the same field, subtotal and totals rows,
 * a conditions sheet before the vehicles, a repeated header band, and lost sums. Workbooks are
 * written by libxlsxwriter at test time. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/docs.h"
#include "minca/profile.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

static char *tmp_path(void)
{
    static int n;
    return core_strdup_printf("/tmp/minca-test-sheet-%d-%d.xlsx", (int)getpid(), n++);
}

static char *finish(lxw_workbook *wb, char *path, size_t *len)
{
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    char *data = NULL;
    minca_err e = { 0 };
    assert_int_equal(core_read_file(path, 1u << 26, &data, len, &e), 0);
    unlink(path);
    g_free(path);
    return data;
}

static void strings(lxw_worksheet *ws, int row, int col, const char *const *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i] && *v[i])
            worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)(col + i), v[i], NULL);
}

static const char *VINS[] = {
    "3N1CN7AD5KL812345", "3N1CN7AD7KL812346", "1FTEW1EP3KFA12347", "1FTEW1EP5KFA12348",
    "MR0EX8DD4K0123459", "MR0EX8DD6K0123450", "3C6SRBDT1KG123451", "3C6SRBDT3KG123452",
};

static void extract(const char *data, size_t len, profile_result *res)
{
    minca_err e = { 0 };
    int rc = profile_extract(data, len, "flotilla.xlsx", NULL, NULL, res, &e);
    if (rc != 0)
        fprintf(stderr, "extract: %s\n", e.msg);
    assert_int_equal(rc, 0);
}

static const profile_column *column_of(const profile_result *res, int table, profile_field f)
{
    for (int i = 0; i < res->n_columns; i++)
        if (res->columns[i].table == table && res->columns[i].field == f)
            return &res->columns[i];
    return NULL;
}

static const profile_column *column_named(const profile_result *res, const char *header)
{
    for (int i = 0; i < res->n_columns; i++)
        if (strcmp(res->columns[i].header, header) == 0)
            return &res->columns[i];
    return NULL;
}

/* Conditions sheet first; then a title, a two-row header: CONS. and SUMA ASEGURADA merged
 * down both rows, VEHÍCULO over MARCA / LÍNEA / AÑO, IDENTIFICACIÓN over SERIE / PLACAS;
 * four vehicles, a blank row among them, and a totals row with a COUNTA in a text column. */
static char *two_row_header_xlsx(size_t *len)
{
    char *path = tmp_path();
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *cond = workbook_add_worksheet(wb, "Condiciones");
    const char *ch[] = { "COBERTURA", "SUMA ASEGURADA", "DEDUCIBLE" };
    const char *c1[] = { "Daños materiales", "Valor comercial", "5%" };
    strings(cond, 0, 0, ch, 3);
    strings(cond, 1, 0, c1, 3);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Vehículos");
    worksheet_merge_range(ws, 0, 1, 0, 8, "RELACIÓN DE PARQUE VEHICULAR", NULL);
    worksheet_merge_range(ws, 2, 1, 3, 1, "CONS.", NULL);
    worksheet_merge_range(ws, 2, 2, 2, 4, "VEHÍCULO", NULL);
    worksheet_merge_range(ws, 2, 5, 2, 6, "IDENTIFICACIÓN", NULL);
    worksheet_merge_range(ws, 2, 7, 3, 7, "SUMA ASEGURADA", NULL);
    const char *names[] = { "MARCA", "LÍNEA", "AÑO", "SERIE", "PLACAS" };
    strings(ws, 3, 2, names, 5);
    const char *brand[] = { "NISSAN", "NISSAN", "FORD", "FORD" };
    const char *line[] = { "VERSA", "VERSA", "LOBO", "LOBO" };
    int row = 4;
    for (int i = 0; i < 4; i++, row++) {
        if (i == 2)
            row++;   /* a blank row in the middle */
        worksheet_write_number(ws, (lxw_row_t)row, 1, i + 1, NULL);
        const char *v[] = { brand[i], line[i] };
        strings(ws, row, 2, v, 2);
        worksheet_write_number(ws, (lxw_row_t)row, 4, 2019 + i, NULL);
        worksheet_write_string(ws, (lxw_row_t)row, 5, VINS[i], NULL);
        char plate[48];
        snprintf(plate, sizeof plate, "ABC-%d%d%d", i, i, i);
        worksheet_write_string(ws, (lxw_row_t)row, 6, plate, NULL);
        worksheet_write_number(ws, (lxw_row_t)row, 7, 250000 + 1000 * i, NULL);
    }
    worksheet_write_string(ws, (lxw_row_t)row, 1, "TOTAL", NULL);
    worksheet_write_formula_num(ws, (lxw_row_t)row, 2, "=COUNTA(C5:C9)", NULL, 4);
    worksheet_write_formula_num(ws, (lxw_row_t)row, 7, "=SUM(H5:H9)", NULL, 1006000);
    return finish(wb, path, len);
}

static void test_two_row_header(void **state)
{
    (void)state;
    size_t len;
    char *data = two_row_header_xlsx(&len);
    profile_result res;
    extract(data, len, &res);
    assert_string_equal(res.sheet, "Vehículos");
    assert_int_equal(res.n_rows, 4);   /* the field-name row is no vehicle, the totals row neither */
    for (int i = 0; i < res.n_rows; i++) {
        assert_int_equal(res.rows[i].year, 2019 + i);
        assert_string_equal(res.rows[i].vin, VINS[i]);
        assert_true(res.rows[i].insured_amount == 250000 + 1000 * i);
        assert_non_null(res.rows[i].plates);
    }
    assert_string_equal(res.rows[0].marca, "NISSAN");
    assert_int_equal(res.rows[0].source_row, 5);
    assert_int_equal(res.stop_row, 10);
    const profile_column *c = column_of(&res, 0, PF_MARCA);
    assert_non_null(c);
    assert_string_equal(c->header, "VEHÍCULO / MARCA");
    c = column_of(&res, 0, PF_INSURED_AMOUNT);
    assert_non_null(c);
    assert_string_equal(c->header, "SUMA ASEGURADA");   /* merged down: named once */
    assert_non_null(column_named(&res, "CONS."));
    assert_non_null(column_named(&res, "IDENTIFICACIÓN / PLACAS"));
    /* every column with data is accounted for under a header */
    for (int i = 0; i < res.n_columns; i++)
        assert_true(res.columns[i].header[0] != '\0' || res.columns[i].n_filled == 0);
    profile_result_clear(&res);
    g_free(data);
}

/* Cars, then trucks with two more columns, each with its own title and header. */
static char *two_tables_xlsx(size_t *len, bool same_columns)
{
    char *path = tmp_path();
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Unidades");
    worksheet_write_string(ws, 0, 0, "AUTOMÓVILES", NULL);
    const char *h1[] = { "NÚM.", "MARCA", "SUBMARCA", "AÑO-MODELO", "NO. SERIE (VIN)", "VALOR A ASEGURAR" };
    strings(ws, 1, 0, h1, 6);
    for (int i = 0; i < 3; i++) {
        const char *v[] = { "NISSAN", "VERSA" };
        worksheet_write_number(ws, (lxw_row_t)(2 + i), 0, i + 1, NULL);
        strings(ws, 2 + i, 1, v, 2);
        worksheet_write_number(ws, (lxw_row_t)(2 + i), 3, 2020, NULL);
        worksheet_write_string(ws, (lxw_row_t)(2 + i), 4, VINS[i], NULL);
        worksheet_write_string(ws, (lxw_row_t)(2 + i), 5, "$ 250,000.00", NULL);
    }
    worksheet_write_string(ws, 7, 0, "UNIDADES DE CARGA", NULL);
    const char *h2[] = { "NÚM.", "MARCA", "SUBMARCA", "AÑO-MODELO", "TIPO DE VEHÍCULO", "CAP. CARGA",
                         "NO. SERIE (VIN)", "VALOR A ASEGURAR", "TIPO DE USO" };
    strings(ws, 8, 0, same_columns ? h1 : h2, same_columns ? 6 : 9);
    for (int i = 0; i < 4; i++) {
        lxw_row_t r = (lxw_row_t)(9 + i);
        worksheet_write_number(ws, r, 0, i + 1, NULL);
        const char *v[] = { "RAM", "2500" };
        strings(ws, (int)r, 1, v, 2);
        worksheet_write_number(ws, r, 3, 2023, NULL);
        if (same_columns) {
            worksheet_write_string(ws, r, 4, VINS[4 + i], NULL);
            worksheet_write_string(ws, r, 5, "$ 800,000.00", NULL);
        } else {
            const char *w[] = { "PICK UP", "3.5 TON", VINS[4 + i], "$ 800,000.00", "CARGA" };
            strings(ws, (int)r, 4, w, 5);
        }
    }
    return finish(wb, path, len);
}

static void test_two_tables(void **state)
{
    (void)state;
    size_t len;
    char *data = two_tables_xlsx(&len, false);
    profile_result res;
    extract(data, len, &res);
    assert_int_equal(res.n_tables, 2);
    assert_int_equal(res.n_rows, 7);
    for (int i = 0; i < res.n_rows; i++) {
        assert_string_equal(res.rows[i].vin, VINS[i < 3 ? i : i + 1]);   /* reading order */
        assert_int_equal(res.rows[i].source_table, i < 3 ? 0 : 1);
        assert_true(res.rows[i].insured_amount == (i < 3 ? 250000 : 800000));
        assert_int_equal(res.rows[i].year, i < 3 ? 2020 : 2023);
    }
    assert_int_equal(res.rows[3].source_row, 10);
    assert_string_equal(res.rows[3].use, "CARGA");
    const profile_column *vin2 = column_of(&res, 1, PF_VIN);
    assert_non_null(vin2);
    assert_int_equal(vin2->col, 6);   /* the second table's own columns */
    assert_int_equal(column_of(&res, 0, PF_VIN)->col, 4);
    assert_non_null(column_of(&res, 1, PF_USE));
    assert_null(column_of(&res, 0, PF_USE));
    profile_result_clear(&res);
    g_free(data);
    /* The same columns twice: every row is read all the same, the title is no vehicle. */
    data = two_tables_xlsx(&len, true);
    extract(data, len, &res);
    assert_int_equal(res.n_rows, 7);
    for (int i = 0; i < res.n_rows; i++)
        assert_string_equal(res.rows[i].vin, VINS[i < 3 ? i : i + 1]);
    profile_result_clear(&res);
    g_free(data);
}

/* A hidden VALOR FACTURA beside a visible SUMA ASEGURADA: the visible one is the sum insured;
 * where it is empty but the hidden one has an amount, the row says so. */
static void test_hidden_column(void **state)
{
    (void)state;
    char *path = tmp_path();
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Flotilla");
    const char *h[] = { "MARCA", "MODELO", "AÑO", "SERIE", "VALOR FACTURA", "SUMA ASEGURADA" };
    strings(ws, 0, 0, h, 6);
    for (int i = 0; i < 3; i++) {
        const char *v[] = { "TOYOTA", "HILUX" };
        strings(ws, 1 + i, 0, v, 2);
        worksheet_write_number(ws, (lxw_row_t)(1 + i), 2, 2021, NULL);
        worksheet_write_string(ws, (lxw_row_t)(1 + i), 3, VINS[4 + i], NULL);
        worksheet_write_number(ws, (lxw_row_t)(1 + i), 4, 600000, NULL);
        if (i != 2)
            worksheet_write_number(ws, (lxw_row_t)(1 + i), 5, 450000, NULL);
    }
    lxw_row_col_options hidden = { .hidden = 1 };
    worksheet_set_column_opt(ws, 4, 4, 12, NULL, &hidden);
    size_t len;
    char *data = finish(wb, path, &len);
    profile_result res;
    extract(data, len, &res);
    assert_int_equal(res.n_rows, 3);
    assert_true(res.rows[0].insured_amount == 450000);
    const profile_column *sum = column_of(&res, 0, PF_INSURED_AMOUNT);
    assert_string_equal(sum->header, "SUMA ASEGURADA");
    const profile_column *factura = column_named(&res, "VALOR FACTURA");
    assert_true(factura->hidden);
    assert_int_equal(factura->field, PF_IGNORE);
    assert_non_null(strstr(factura->reason, "visible column 'SUMA ASEGURADA'"));
    /* the row whose sum insured is empty says where an amount was */
    assert_true(res.rows[2].insured_amount < 0);
    bool flagged = false;
    for (int k = 0; k < res.rows[2].n_issues; k++)
        flagged |= strcmp(res.rows[2].issues[k].severity, "error") == 0 &&
                   strstr(res.rows[2].issues[k].message, "VALOR FACTURA") != NULL;
    assert_true(flagged);
    char *json = profile_result_json(&res, false);
    json_t *j = json_loads(json, 0, NULL);
    char *summary = profile_report_summary(j, "");
    assert_non_null(strstr(summary, "hidden column 'VALOR FACTURA' not read"));
    g_free(summary);
    json_decref(j);
    g_free(json);
    profile_result_clear(&res);
    g_free(data);
}

/* Subtotal rows after each make and a final total: none is a vehicle, no row is lost. */
static void test_subtotals(void **state)
{
    (void)state;
    char *path = tmp_path();
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Hoja1");
    const char *h[] = { "INCISO", "DESCRIPCIÓN", "MODELO", "SERIE", "SUMA ASEGURADA" };
    strings(ws, 3, 0, h, 5);
    int row = 4, v = 0;
    const char *makes[] = { "NISSAN", "FORD" };
    for (int m = 0; m < 2; m++) {
        for (int i = 0; i < 3; i++, row++, v++) {
            worksheet_write_number(ws, (lxw_row_t)row, 0, v + 1, NULL);
            char d[64];
            snprintf(d, sizeof d, "%s UNIDAD %d", makes[m], i);
            worksheet_write_string(ws, (lxw_row_t)row, 1, d, NULL);
            worksheet_write_number(ws, (lxw_row_t)row, 2, 2018, NULL);
            worksheet_write_string(ws, (lxw_row_t)row, 3, VINS[v], NULL);
            worksheet_write_number(ws, (lxw_row_t)row, 4, 300000, NULL);
        }
        char sub[64];
        snprintf(sub, sizeof sub, m ? "SUBTOTAL %s" : "TOTAL %s", makes[m]);   /* a total vehicles follow is a subtotal */
        worksheet_write_string(ws, (lxw_row_t)row, 1, sub, NULL);
        worksheet_write_formula_num(ws, (lxw_row_t)row, 4, "=SUBTOTAL(9,E5:E7)", NULL, 900000);
        row += 2;   /* and a blank row between the groups */
    }
    worksheet_write_string(ws, (lxw_row_t)row, 1, "TOTAL GENERAL", NULL);
    worksheet_write_formula_num(ws, (lxw_row_t)row, 4, "=SUM(E5:E14)", NULL, 1800000);
    worksheet_write_string(ws, (lxw_row_t)(row + 2), 1, "Elaboró: Juan Pérez", NULL);
    size_t len;
    char *data = finish(wb, path, &len);
    profile_result res;
    extract(data, len, &res);
    assert_int_equal(res.n_rows, 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(res.rows[i].vin, VINS[i]);
    assert_int_equal(res.stop_row, row + 1);
    assert_true(res.n_subtotals >= 1);
    profile_result_clear(&res);
    g_free(data);
}

/* A grid of text cells, as the PDF reader gives: a two-row header without merges (shapes
 * only), a page break reprinting the header band under a title, then more rows. */
static void test_grid_band_and_continuation(void **state)
{
    (void)state;
    docs_grid *g = docs_grid_new("");
    const char *title[] = { "FLOTILLA 2026" };
    const char *b1[] = { "NO.", "DATOS DEL VEHÍCULO", "", "", "IDENTIFICACIÓN", "", "VALOR" };
    const char *b2[] = { "", "MARCA", "SUBMARCA", "AÑO", "SERIE", "PLACAS", "" };
    const char *page[] = { "", "", "Página 2 de 2" };
    docs_grid_add_row(g, 0, title, 1);
    docs_grid_add_row(g, 0, b1, 7);
    docs_grid_add_row(g, 0, b2, 7);
    for (int i = 0; i < 6; i++) {
        if (i == 3) {
            docs_grid_add_row(g, 0, page, 3);
            docs_grid_add_row(g, 0, b1, 7);
            docs_grid_add_row(g, 0, b2, 7);
        }
        char n[16], plate[48], amount[32];
        snprintf(n, sizeof n, "%d", i + 1);
        snprintf(plate, sizeof plate, "XYZ-%d%d%d", i, i, i);
        snprintf(amount, sizeof amount, "$%d,000.00", 300 + i);
        const char *r[] = { n, "CHEVROLET", "AVEO", "2022", VINS[i], plate, amount };
        docs_grid_add_row(g, 0, r, 7);
    }
    docs_book *b;
    minca_err e = { 0 };
    assert_int_equal(docs_open_grid(g, NULL, &b, &e), 0);
    profile_result res;
    assert_int_equal(profile_extract_book(b, NULL, NULL, &res, &e), 0);
    assert_int_equal(res.n_tables, 1);   /* the reprinted band joins the table */
    assert_int_equal(res.n_rows, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(res.rows[i].vin, VINS[i]);
        assert_int_equal(res.rows[i].year, 2022);
        assert_true(res.rows[i].insured_amount == (300 + i) * 1000);
        assert_non_null(res.rows[i].plates);
    }
    assert_string_equal(column_of(&res, 0, PF_MARCA)->header, "DATOS DEL VEHÍCULO / MARCA");
    assert_string_equal(column_of(&res, 0, PF_INSURED_AMOUNT)->header, "VALOR");
    assert_string_equal(column_of(&res, 0, PF_PLATES)->header, "IDENTIFICACIÓN / PLACAS");
    profile_result_clear(&res);
    docs_close(b);
}

/* The detector alone: band rows, composed names and the groups. */
static void test_band_names(void **state)
{
    (void)state;
    size_t len;
    char *data = two_row_header_xlsx(&len);
    docs_book *b;
    minca_err e = { 0 };
    assert_int_equal(docs_open(data, len, "f.xlsx", NULL, &b, &e), 0);
    docs_table *t;
    int n;
    assert_int_equal(docs_tables_find(b, NULL, &t, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].sheet, 1);   /* not the conditions sheet */
    assert_int_equal(t[0].header_first, 3);
    assert_int_equal(t[0].header_row, 4);
    assert_string_equal(t[0].names[2], "MARCA");
    assert_string_equal(t[0].groups[2], "VEHÍCULO");
    assert_string_equal(t[0].names[7], "SUMA ASEGURADA");
    assert_string_equal(t[0].groups[7], "");
    docs_tables_free(t, n);
    docs_close(b);
    g_free(data);
}

/* The same layout saved by LibreOffice Calc as XLS (BIFF8, tests/fixtures/docs/two_row_hidden.xls):
 * conditions sheet first, INCISO, VALOR FACTURA (hidden) and SUMA ASEGURADA merged down the band,
 * VEHÍCULO over MARCA / LÍNEA / AÑO, IDENTIFICACIÓN over SERIE / PLACAS. The merged ranges and the
 * hidden column come from the workbook's own records. */
static void test_xls_band_and_hidden(void **state)
{
    (void)state;
    const char *src = getenv("MINCA_SRC");
    char *path = core_strdup_printf("%s/tests/fixtures/docs/two_row_hidden.xls", src ? src : ".");
    char *data = NULL;
    size_t len = 0;
    minca_err e = { 0 };
    if (core_read_file(path, 1u << 24, &data, &len, &e) != 0) {
        g_free(path);
        skip();
    }
    g_free(path);
    docs_book *b;
    assert_int_equal(docs_open(data, len, "two_row_hidden.xls", NULL, &b, &e), 0);
    assert_int_equal(docs_sheet_open(b, 1, &e), 0);
    const docs_range *m;
    int nm;
    docs_sheet_merges(b, &m, &nm);
    assert_int_equal(nm, 6);
    docs_close(b);
    profile_result res;
    extract(data, len, &res);
    assert_string_equal(res.sheet, "Unidades");
    assert_int_equal(res.n_rows, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(res.rows[i].vin, VINS[i]);
        assert_int_equal(res.rows[i].year, 2019 + i);
        assert_true(res.rows[i].insured_amount == 250000 + 1000 * i);   /* not the hidden invoice value */
    }
    assert_string_equal(column_of(&res, 0, PF_MARCA)->header, "VEHÍCULO / MARCA");
    const profile_column *factura = column_named(&res, "VALOR FACTURA");
    assert_non_null(factura);
    assert_true(factura->hidden);
    assert_int_equal(factura->field, PF_IGNORE);
    profile_result_clear(&res);
    g_free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_row_header),
        cmocka_unit_test(test_two_tables),
        cmocka_unit_test(test_hidden_column),
        cmocka_unit_test(test_subtotals),
        cmocka_unit_test(test_grid_band_and_continuation),
        cmocka_unit_test(test_band_names),
        cmocka_unit_test(test_xls_band_and_hidden),
    };
    return cmocka_run_group_tests_name("sheet", tests, NULL, NULL);
}
