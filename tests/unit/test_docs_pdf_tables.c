/* Unit tests for the PDF table builder: tables drawn at test time with cairo and pango the
 * way office suites print them (names centred over their cells, amounts right-aligned, group
 * labels merged over several columns, cells merged down two header rows, headers repeated on
 * every page), and word boxes fed straight through the record stream as OCR gives them
 * (a tilted page, noisy positions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/docs.h"
#include "minca/profile.h"
#include "test_docs_fixture.h"
#include "../../src/docs/docs_internal.h"

#include <cairo-pdf.h>
#include <glib.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- drawing ---- */

typedef struct doc {
    GByteArray *bytes;
    cairo_surface_t *surface;
    cairo_t *cr;
    PangoFontDescription *font;
} doc;

static cairo_status_t collect(void *closure, const unsigned char *data, unsigned int len)
{
    g_byte_array_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

static void doc_begin(doc *d)
{
    d->bytes = g_byte_array_new();
    d->surface = cairo_pdf_surface_create_for_stream(collect, d->bytes, 842, 595);
    d->cr = cairo_create(d->surface);
    d->font = pango_font_description_from_string("DejaVu Sans 6.5");
}

/* Text with its top at `top`; align 'l' starts at x, 'r' ends at x, 'c' is centred on x. */
/* The layout of s in the page's font and its width in points (the layout is the caller's). */
static PangoLayout *layout_of(doc *d, const char *s, double *width)
{
    PangoLayout *lay = pango_cairo_create_layout(d->cr);
    pango_layout_set_font_description(lay, d->font);
    pango_layout_set_text(lay, s, -1);
    int w, h;
    pango_layout_get_size(lay, &w, &h);
    *width = (double)w / PANGO_SCALE;
    return lay;
}

static double text_width(doc *d, const char *s)
{
    double width;
    g_object_unref(layout_of(d, s, &width));
    return width;
}

static void text(doc *d, double x, double top, char align, const char *s)
{
    double width;
    PangoLayout *lay = layout_of(d, s, &width);
    double at = align == 'r' ? x - width : align == 'c' ? x - width / 2 : x;
    cairo_move_to(d->cr, at, top);
    pango_cairo_show_layout(d->cr, lay);
    g_object_unref(lay);
}

static void doc_page(doc *d)
{
    cairo_show_page(d->cr);
}

static char *doc_end(doc *d, size_t *len)
{
    cairo_destroy(d->cr);
    cairo_surface_finish(d->surface);
    cairo_surface_destroy(d->surface);
    pango_font_description_free(d->font);
    *len = d->bytes->len;
    return (char *)g_byte_array_free(d->bytes, FALSE);
}

/* ---- reading ---- */

typedef struct grid {
    int n;
    long number[400];
    char *cells[400][16];
    int n_cells[400];
} grid;

static void grid_clear(grid *g)
{
    for (int i = 0; i < g->n; i++)
        for (int c = 0; c < g->n_cells[i]; c++)
            g_free(g->cells[i][c]);
    g_free(g);
}

static grid *read_grid(const char *data, size_t len)
{
    docs_book *b = NULL;
    minca_err e = { 0 };
    if (docs_open(data, len, "lista.pdf", NULL, &b, &e) != 0)
        fail_msg("docs_open: %s", e.msg);
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    grid *g = g_new0(grid, 1);
    const docs_row *r;
    while (docs_sheet_next(b, &r, &e) == 1) {
        assert_true(g->n < 400);
        g->number[g->n] = r->row;
        g->n_cells[g->n] = r->n_cells < 16 ? r->n_cells : 16;
        for (int c = 0; c < g->n_cells[g->n]; c++)
            g->cells[g->n][c] = g_strdup(r->cells[c].text);
        g->n++;
    }
    docs_close(b);
    return g;
}

static const char *at(const grid *g, int row, int col)
{
    return col < g->n_cells[row] ? g->cells[row][col] : "";
}

/* The index of the grid row numbered `number`, -1 when none. */
static int row_numbered(const grid *g, long number)
{
    for (int i = 0; i < g->n; i++)
        if (g->number[i] == number)
            return i;
    return -1;
}

static void dump(const grid *g)
{
    for (int i = 0; i < g->n; i++) {
        fprintf(stderr, "# %4ld", g->number[i]);
        for (int c = 0; c < g->n_cells[i]; c++)
            fprintf(stderr, " | %s", g->cells[i][c]);
        fprintf(stderr, "\n");
    }
}

/* ---- the fleet tables ---- */

/* A two-row header as Calc prints it: PARTIDA and SUMA ASEGURADA merged down both rows (their
 * names printed half-way), DATOS DEL VEHÍCULO merged over four columns, IDENTIFICACIÓN over
 * two; names centred in their cells, the amounts right-aligned, plates left-aligned close to
 * the amounts' column. Cells: PARTIDA 30-80, MARCA 80-150, LÍNEA 150-215, AÑO 215-255,
 * VERSIÓN 255-420, VIN 420-520, PLACAS 520-575, SUMA 575-680, USO 680-740. */
static void band_two_rows(doc *d, double top)
{
    text(d, 55, top + 5, 'c', "PARTIDA");
    text(d, 250, top, 'c', "DATOS DEL VEHÍCULO");
    text(d, 497.5, top, 'c', "IDENTIFICACIÓN");
    text(d, 627.5, top + 5, 'c', "SUMA ASEGURADA");
    text(d, 115, top + 10, 'c', "MARCA");
    text(d, 182.5, top + 10, 'c', "LÍNEA");
    text(d, 235, top + 10, 'c', "AÑO");
    text(d, 337.5, top + 10, 'c', "VERSIÓN");
    text(d, 470, top + 10, 'c', "VIN");
    text(d, 547.5, top + 10, 'c', "PLACAS");
    text(d, 710, top + 10, 'c', "USO");
}

static const char *const MAKES[] = { "NISSAN", "FORD", "VOLKSWAGEN", "RAM" };
static const char *const LINES[] = { "NP300", "RANGER", "AMAROK", "700" };
static const char *const VERSIONS[] = { "DOBLE CABINA SE 4P L4 2.5L STD", "XLT D/C 4X2 AUT",
                                        "TRENDLINE 4P L4 2.0L AUT", "CABINA SENCILLA 1.6L STD" };

static void vin_of(int i, char out[32])
{
    snprintf(out, 32, "3N6AD35C%dKK%06d", i % 10, 800000 + i);
}

static void plate_of(int i, char out[32])
{
    snprintf(out, 32, "AB%c-%03d-%c", 'A' + i % 26, 100 + i, 'A' + (i * 7) % 26);
}

static double amount_of(int i)
{
    return i % 3 == 0 ? 1250000 + 1000 * i : 350000 + 1500 * i;
}

static void money(double v, char out[32])
{
    long n = (long)v;
    if (n >= 1000000)
        snprintf(out, 32, "$%ld,%03ld,%03ld.00", n / 1000000, n / 1000 % 1000, n % 1000);
    else
        snprintf(out, 32, "$%ld,%03ld.00", n / 1000, n % 1000);
}

static void draw_vehicle(doc *d, double top, int i)
{
    char no[16], vin[32], plate[32], amt[32];
    snprintf(no, sizeof no, "%d", i + 1);
    vin_of(i, vin);
    plate_of(i, plate);
    money(amount_of(i), amt);
    text(d, 55, top, 'c', no);
    text(d, 83, top, 'l', MAKES[i % 4]);
    text(d, 153, top, 'l', LINES[i % 4]);
    text(d, 235, top, 'c', i % 2 ? "2021" : "2019");
    text(d, 258, top, 'l', VERSIONS[i % 4]);
    text(d, 470, top, 'c', vin);
    text(d, 522, top, 'l', plate);
    text(d, 677, top, 'r', amt);
    text(d, 683, top, 'l', i % 2 ? "CARGA" : "PARTICULAR");
}

static void check_vehicle(const grid *g, int row, int i)
{
    char no[16], vin[32], plate[32], amt[32];
    snprintf(no, sizeof no, "%d", i + 1);
    vin_of(i, vin);
    plate_of(i, plate);
    money(amount_of(i), amt);
    assert_string_equal(at(g, row, 0), no);
    assert_string_equal(at(g, row, 1), MAKES[i % 4]);
    assert_string_equal(at(g, row, 2), LINES[i % 4]);
    assert_string_equal(at(g, row, 3), i % 2 ? "2021" : "2019");
    assert_string_equal(at(g, row, 4), VERSIONS[i % 4]);
    assert_string_equal(at(g, row, 5), vin);
    assert_string_equal(at(g, row, 6), plate);
    assert_string_equal(at(g, row, 7), amt);
    assert_string_equal(at(g, row, 8), i % 2 ? "CARGA" : "PARTICULAR");
}

static void check_band(const grid *g, int row)
{
    if (getenv("DUMP"))
        dump(g);
    const char *names[] = { "PARTIDA", "MARCA", "LÍNEA", "AÑO", "VERSIÓN", "VIN", "PLACAS",
                            "SUMA ASEGURADA", "USO" };
    const char *groups[] = { "", "DATOS DEL VEHÍCULO", "DATOS DEL VEHÍCULO", "DATOS DEL VEHÍCULO",
                             "DATOS DEL VEHÍCULO", "IDENTIFICACIÓN", "IDENTIFICACIÓN", "", "" };
    for (int c = 0; c < 9; c++) {
        assert_string_equal(at(g, row - 1, c), groups[c]);
        assert_string_equal(at(g, row, c), names[c]);
    }
}

static void title_block(doc *d)
{
    text(d, 30, 30, 'l', "PROMOTORÍA DE SEGUROS DEMO");
    text(d, 30, 42, 'l', "Relación de unidades - TRANSPORTES PEÑA, S.A. DE C.V.");
}

/* ---- tests ---- */

/* Group labels stay a band row of their own, the names merged down both rows land in their
 * columns, amounts right-aligned under a centred name stay apart from the plates. */
static void test_two_row_header(void **state)
{
    (void)state;
    doc d;
    doc_begin(&d);
    title_block(&d);
    band_two_rows(&d, 70);
    for (int i = 0; i < 8; i++)
        draw_vehicle(&d, 94 + 10 * i, i);
    text(&d, 83, 94 + 80 + 2, 'l', "TOTAL");
    text(&d, 677, 94 + 80 + 2, 'r', "$5,000,000.00");
    size_t len;
    char *data = doc_end(&d, &len);
    grid *g = read_grid(data, len);
    int h = row_numbered(g, 0);
    if (h != 1 || g->number[0] != -1)
        dump(g);
    assert_int_equal(h, 1);   /* the title block is not delivered */
    check_band(g, h);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(g->number[h + 1 + i], i + 1);
        check_vehicle(g, h + 1 + i, i);
    }
    assert_string_equal(at(g, h + 9, 1), "TOTAL");
    assert_int_equal(g->n, h + 10);
    grid_clear(g);

    /* and through extraction with the automatic mapping */
    profile_result res;
    minca_err e = { 0 };
    if (profile_extract(data, len, "lista.pdf", NULL, NULL, &res, &e) != 0)
        fail_msg("extract: %s", e.msg);
    assert_int_equal(res.n_rows, 8);
    for (int i = 0; i < 8; i++) {
        char plate[32], vin[32];
        plate_of(i, plate);
        vin_of(i, vin);
        assert_int_equal(res.rows[i].year, i % 2 ? 2021 : 2019);
        assert_string_equal(res.rows[i].plates, plate);
        assert_string_equal(res.rows[i].vin, vin);
        assert_true(fabs(res.rows[i].insured_amount - amount_of(i)) < 0.01);
    }
    profile_result_clear(&res);
    g_free(data);
}

/* Cars, then trucks with two more columns, on one page: each table with its own header band
 * and columns, in reading order; the title between them is not a row. */
static void test_two_tables(void **state)
{
    (void)state;
    doc d;
    doc_begin(&d);
    title_block(&d);
    text(&d, 30, 60, 'l', "AUTOMÓVILES");
    text(&d, 45, 72, 'c', "No.");
    text(&d, 100, 72, 'c', "Marca");
    text(&d, 180, 72, 'c', "Modelo");
    text(&d, 240, 72, 'c', "Año");
    text(&d, 330, 72, 'c', "Serie");
    text(&d, 420, 72, 'c', "Placas");
    text(&d, 510, 72, 'c', "Suma asegurada");
    for (int i = 0; i < 3; i++) {
        char no[16], vin[32], plate[32], amt[32];
        snprintf(no, sizeof no, "%d", i + 1);
        vin_of(i, vin);
        plate_of(i, plate);
        money(amount_of(i), amt);
        double top = 84 + 10 * i;
        text(&d, 45, top, 'c', no);
        text(&d, 72, top, 'l', "TOYOTA");
        text(&d, 152, top, 'l', "YARIS SEDAN");
        text(&d, 240, top, 'c', "2024");
        text(&d, 330, top, 'c', vin);
        text(&d, 420, top, 'c', plate);
        text(&d, 555, top, 'r', amt);
    }
    text(&d, 30, 140, 'l', "CAMIONES Y CARGA");
    text(&d, 45, 152, 'c', "No.");
    text(&d, 100, 152, 'c', "Marca");
    text(&d, 180, 152, 'c', "Modelo");
    text(&d, 240, 152, 'c', "Año");
    text(&d, 300, 152, 'c', "Capacidad");
    text(&d, 390, 152, 'c', "Serie");
    text(&d, 480, 152, 'c', "Placas");
    text(&d, 570, 152, 'c', "Suma asegurada");
    text(&d, 650, 152, 'c', "Uso");
    for (int i = 0; i < 4; i++) {
        char no[16], vin[32], plate[32], amt[32];
        snprintf(no, sizeof no, "%d", i + 1);
        vin_of(10 + i, vin);
        plate_of(10 + i, plate);
        money(amount_of(10 + i), amt);
        double top = 164 + 10 * i;
        text(&d, 45, top, 'c', no);
        text(&d, 72, top, 'l', "ISUZU");
        text(&d, 152, top, 'l', "ELF 400");
        text(&d, 240, top, 'c', "2022");
        text(&d, 300, top, 'c', i % 2 ? "3.5 TON" : "4.5 TON");
        text(&d, 390, top, 'c', vin);
        text(&d, 480, top, 'c', plate);
        text(&d, 615, top, 'r', amt);
        text(&d, 632, top, 'l', "CARGA");
    }
    size_t len;
    char *data = doc_end(&d, &len);
    grid *g = read_grid(data, len);
    if (g->n != 9)
        dump(g);
    assert_int_equal(g->n, 9);   /* band, 3 cars, band, 4 trucks */
    assert_int_equal(g->number[0], 0);
    assert_string_equal(at(g, 0, 0), "No.");
    assert_string_equal(at(g, 0, 6), "Suma asegurada");
    assert_int_equal(g->n_cells[0], 7);
    char vin[32], amt[32];
    vin_of(2, vin);
    money(amount_of(2), amt);
    assert_int_equal(g->number[3], 3);
    assert_string_equal(at(g, 3, 2), "YARIS SEDAN");
    assert_string_equal(at(g, 3, 4), vin);
    assert_string_equal(at(g, 3, 6), amt);
    assert_int_equal(g->number[4], 4);   /* the trucks' band follows, numbered on */
    assert_int_equal(g->n_cells[4], 9);
    assert_string_equal(at(g, 4, 4), "Capacidad");
    assert_string_equal(at(g, 4, 8), "Uso");
    for (int i = 0; i < 4; i++) {
        vin_of(10 + i, vin);
        money(amount_of(10 + i), amt);
        assert_int_equal(g->number[5 + i], 5 + i);
        assert_string_equal(at(g, 5 + i, 2), "ELF 400");
        assert_string_equal(at(g, 5 + i, 4), i % 2 ? "3.5 TON" : "4.5 TON");
        assert_string_equal(at(g, 5 + i, 5), vin);
        assert_string_equal(at(g, 5 + i, 7), amt);
        assert_string_equal(at(g, 5 + i, 8), "CARGA");
    }
    grid_clear(g);
    g_free(data);
}

/* 60 vehicles over three pages, each page with the same page header, the two-row header
 * band repeated, a footer and a page number; then a page of conditions (paragraphs with
 * years, amounts and header words, and a small table of coverages). One table comes out:
 * one band, 60 rows numbered 1..60, the TOTAL line, nothing from the conditions. */
static void test_three_pages(void **state)
{
    (void)state;
    doc d;
    doc_begin(&d);
    int v = 0;
    for (int p = 0; p < 3; p++) {
        text(&d, 300, 20, 'l', "Consejeros en Seguros Demo – TRANSPORTES PEÑA");
        if (p == 0)
            title_block(&d);
        band_two_rows(&d, 70);
        int rows = p < 2 ? 25 : 10;
        for (int i = 0; i < rows; i++, v++)
            draw_vehicle(&d, 94 + 10 * i, v);
        if (p == 2) {
            text(&d, 83, 94 + 10 * rows + 2, 'l', "TOTAL DE UNIDADES");
            text(&d, 677, 94 + 10 * rows + 2, 'r', "$40,000,000.00");
        }
        text(&d, 30, 560, 'l', "Documento para uso de la aseguradora");
        char foot[32];
        snprintf(foot, sizeof foot, "Página %d de 4", p + 1);
        text(&d, 400, 570, 'c', foot);
        doc_page(&d);
    }
    text(&d, 300, 20, 'l', "Consejeros en Seguros Demo – TRANSPORTES PEÑA");
    text(&d, 30, 60, 'l', "CONDICIONES SOLICITADAS");
    text(&d, 30, 80, 'l', "La suma asegurada de cada vehículo será el valor comercial a la fecha del siniestro;");
    text(&d, 30, 90, 'l', "las unidades modelo 2015 y anteriores se aseguran con deducible de 10% y uso de carga.");
    text(&d, 60, 110, 'l', "COBERTURA");
    text(&d, 250, 110, 'l', "SUMA ASEGURADA");
    text(&d, 420, 110, 'l', "DEDUCIBLE");
    text(&d, 60, 122, 'l', "Daños materiales");
    text(&d, 250, 122, 'l', "Valor comercial");
    text(&d, 420, 122, 'l', "5%");
    text(&d, 60, 134, 'l', "Responsabilidad civil");
    text(&d, 250, 134, 'l', "$ 3,000,000.00");
    text(&d, 420, 134, 'l', "N/A");
    text(&d, 30, 560, 'l', "Documento para uso de la aseguradora");
    text(&d, 400, 570, 'c', "Página 4 de 4");
    size_t len;
    char *data = doc_end(&d, &len);
    grid *g = read_grid(data, len);
    if (g->n != 63)
        dump(g);
    assert_int_equal(g->n, 63);   /* 2 band rows, 60 vehicles, TOTAL */
    check_band(g, 1);
    for (int i = 0; i < 60; i++) {
        assert_int_equal(g->number[2 + i], i + 1);
        check_vehicle(g, 2 + i, i);
    }
    assert_true(g_str_has_prefix(at(g, 62, 1), "TOTAL"));
    grid_clear(g);

    profile_result res;
    minca_err e = { 0 };
    if (profile_extract(data, len, "lista.pdf", NULL, NULL, &res, &e) != 0)
        fail_msg("extract: %s", e.msg);
    assert_int_equal(res.n_rows, 60);
    assert_int_equal(res.rows[59].source_row, 60);
    assert_true(fabs(res.rows[30].insured_amount - amount_of(30)) < 0.01);
    profile_result_clear(&res);
    g_free(data);
}

/* A one-line header; on the first page (a scan) OCR read nothing of AÑO and USO, the repeat on
 * the second page reads every name: one table with the second page's columns. */
static void one_line_band(doc *d, double top, bool worse)
{
    text(d, 55, top, 'c', "PARTIDA");
    text(d, 115, top, 'c', "MARCA");
    text(d, 182.5, top, 'c', "LÍNEA");
    if (!worse)
        text(d, 235, top, 'c', "AÑO");
    text(d, 337.5, top, 'c', "VERSIÓN");
    text(d, 470, top, 'c', "VIN");
    text(d, 547.5, top, 'c', "PLACAS");
    text(d, 627.5, top, 'c', "SUMA ASEGURADA");
    if (!worse)
        text(d, 710, top, 'c', "USO");
}

static void test_repeat_reads_better(void **state)
{
    (void)state;
    doc d;
    doc_begin(&d);
    int v = 0;
    for (int p = 0; p < 2; p++) {
        one_line_band(&d, 80, p == 0);
        for (int i = 0; i < 20; i++, v++)
            draw_vehicle(&d, 94 + 10 * i, v);
        doc_page(&d);
    }
    size_t len;
    char *data = doc_end(&d, &len);
    grid *g = read_grid(data, len);
    if (g->n != 41 || getenv("DUMP"))
        dump(g);
    assert_int_equal(g->n, 41);   /* the names once, 40 vehicles */
    const char *names[] = { "PARTIDA", "MARCA", "LÍNEA", "AÑO", "VERSIÓN", "VIN", "PLACAS",
                            "SUMA ASEGURADA", "USO" };
    for (int c = 0; c < 9; c++)
        assert_string_equal(at(g, 0, c), names[c]);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(g->number[1 + i], i + 1);
        check_vehicle(g, 1 + i, i);
    }
    grid_clear(g);
    g_free(data);
}

/* Cars on page 1; trucks on page 2 under the same names and one more at the right
 * (CAPACIDAD), with no title above them: the trucks' header is not a better reading of the
 * cars' (no car has a value under CAPACIDAD), so each table keeps its own columns. */
static void test_later_table_not_a_repeat(void **state)
{
    (void)state;
    doc d;
    doc_begin(&d);
    one_line_band(&d, 80, false);
    for (int i = 0; i < 5; i++)
        draw_vehicle(&d, 94 + 10 * i, i);
    doc_page(&d);
    one_line_band(&d, 80, false);
    text(&d, 780, 80, 'c', "CAPACIDAD");
    for (int i = 0; i < 4; i++) {
        draw_vehicle(&d, 94 + 10 * i, 5 + i);
        text(&d, 800, 94 + 10 * i, 'r', i % 2 ? "3.5" : "12");
    }
    size_t len;
    char *data = doc_end(&d, &len);
    grid *g = read_grid(data, len);
    if (g->n != 11 || getenv("DUMP"))
        dump(g);
    assert_int_equal(g->n, 11);   /* two headers, 9 vehicles */
    const char *names[] = { "PARTIDA", "MARCA", "LÍNEA", "AÑO", "VERSIÓN", "VIN", "PLACAS",
                            "SUMA ASEGURADA", "USO", "CAPACIDAD" };
    assert_int_equal(g->n_cells[0], 9);
    assert_int_equal(g->n_cells[6], 10);
    for (int c = 0; c < 10; c++) {
        if (c < 9)
            assert_string_equal(at(g, 0, c), names[c]);
        assert_string_equal(at(g, 6, c), names[c]);
    }
    for (int i = 0; i < 9; i++)
        check_vehicle(g, i < 5 ? 1 + i : 2 + i, i);
    for (int i = 0; i < 4; i++)
        assert_string_equal(at(g, 7 + i, 9), i % 2 ? "3.5" : "12");
    grid_clear(g);
    g_free(data);
}

/* A page of conditions alone after a one-page list: no rows from it, also without a TOTAL
 * line to end the table. */
static void test_conditions_page(void **state)
{
    (void)state;
    doc d;
    doc_begin(&d);
    band_two_rows(&d, 70);
    for (int i = 0; i < 5; i++)
        draw_vehicle(&d, 94 + 10 * i, i);
    doc_page(&d);
    text(&d, 30, 60, 'l', "CONDICIONES");
    const char *para[] = {
        "1. Cobertura amplia para todas las unidades, modelo 2019 en adelante, uso particular.",
        "2. Deducible de daños materiales 5% y robo total 10% sobre la suma asegurada.",
        "3. Responsabilidad civil por $3,000,000.00 y gastos médicos por $200,000.00.",
        "4. Las placas y el número de serie (VIN) se enviarán al emitir la póliza 2026.",
    };
    for (int i = 0; i < 4; i++)
        text(&d, 30, 80 + 12 * i, 'l', para[i]);
    size_t len;
    char *data = doc_end(&d, &len);
    grid *g = read_grid(data, len);
    if (g->n != 7)
        dump(g);
    assert_int_equal(g->n, 7);
    check_vehicle(g, 6, 4);
    grid_clear(g);
    g_free(data);
}

/* ---- word boxes as OCR gives them ---- */

typedef struct stream {
    GByteArray *b;
    GString *text;
    GArray *rects;   /* double x4 */
    double tilt;     /* slope of the page */
    unsigned seed;
} stream;

static double noise(stream *s)
{
    s->seed = s->seed * 1103515245u + 12345u;
    return ((double)((s->seed >> 8) % 1000) / 1000.0 - 0.5) * 1.2;   /* +-0.6 pt */
}

/* A word of 5-pt wide characters, 8 pt high, its left end at x, centre line at y, tilted
 * about the page origin, each box shaken a little. */
static void word(stream *s, double x, double y, char align, const char *w)
{
    size_t n = strlen(w);
    double width = 5.0 * (double)n;
    x = align == 'r' ? x - width : align == 'c' ? x - width / 2 : x;
    for (size_t i = 0; i < n; i++) {
        double cx = x + 5.0 * (double)i + 2.5, cy = y;
        double tx = cx - s->tilt * cy, ty = cy + s->tilt * cx;
        double dx = noise(s), dy = noise(s);
        double r[4] = { tx - 2.2 + dx, ty - 4 + dy, tx + 2.2 + dx, ty + 4 + dy };
        g_string_append_c(s->text, w[i]);
        g_array_append_vals(s->rects, r, 4);
    }
    double sp[4] = { 0, 0, 0, 0 };
    g_string_append_c(s->text, ' ');
    g_array_append_vals(s->rects, sp, 4);
}

static void put_page(stream *s, uint32_t page)
{
    double w = 842, h = 595;
    uint32_t tlen = (uint32_t)s->text->len, n = s->rects->len / 4;
    g_byte_array_append(s->b, (const guint8 *)"P", 1);
    g_byte_array_append(s->b, (const guint8 *)&page, 4);
    g_byte_array_append(s->b, (const guint8 *)&w, 8);
    g_byte_array_append(s->b, (const guint8 *)&h, 8);
    g_byte_array_append(s->b, (const guint8 *)&tlen, 4);
    g_byte_array_append(s->b, (const guint8 *)s->text->str, tlen);
    g_byte_array_append(s->b, (const guint8 *)&n, 4);
    g_byte_array_append(s->b, (const guint8 *)s->rects->data, n * 32);
    g_string_truncate(s->text, 0);
    g_array_set_size(s->rects, 0);
}

/* A scanned two-row header table, the page turned by about 1 degree, noisy boxes. */
static void test_ocr_boxes(void **state)
{
    (void)state;
    stream s = { g_byte_array_new(), g_string_new(NULL), g_array_new(FALSE, FALSE, sizeof(double)),
                 0.017, 7 };
    word(&s, 40, 60, 'l', "LISTA");
    word(&s, 75, 60, 'l', "DE");
    word(&s, 90, 60, 'l', "UNIDADES");
    /* band: NO. merged down, VEHICULO over MARCA / MODELO / ANO (cells 70-170, 170-270,
     * 270-330), SUMA merged down */
    word(&s, 50, 104.5, 'c', "NO.");
    word(&s, 200, 99, 'c', "VEHICULO");
    word(&s, 455, 104.5, 'c', "SUMA");
    word(&s, 120, 110, 'c', "MARCA");
    word(&s, 220, 110, 'c', "MODELO");
    word(&s, 300, 110, 'c', "ANO");
    word(&s, 380, 110, 'c', "SERIE");
    const char *makes[] = { "NISSAN", "KIA", "CHEVROLET", "FORD", "TOYOTA", "MAZDA" };
    const char *models[] = { "VERSA", "RIO", "AVEO", "FIGO", "YARIS", "CX-3" };
    for (int i = 0; i < 12; i++) {
        double y = 124 + 11 * i;
        char no[16], vin[32], amt[32];
        snprintf(no, sizeof no, "%d", i + 1);
        vin_of(20 + i, vin);
        money(amount_of(20 + i), amt);
        word(&s, 50, y, 'c', no);
        word(&s, 80, y, 'l', makes[i % 6]);
        word(&s, 180, y, 'l', models[i % 6]);
        word(&s, 300, y, 'c', i % 2 ? "2022" : "2018");
        word(&s, 380, y, 'c', vin);
        word(&s, 500, y, 'r', amt);
    }
    put_page(&s, 0);
    docs_limits lim;
    docs_limits_default(&lim);
    docs_book *book = docs_book_alloc(DOCS_FMT_PDF, &docs_pdf_ops, "scan", &lim);
    minca_err e = { 0 };
    if (docs_pdf_from_stream(s.b->data, s.b->len, book, &e) != 0)
        fail_msg("stream: %s", e.msg);
    assert_int_equal(docs_sheet_open(book, 0, &e), 0);
    const docs_row *r;
    int n = 0;
    while (docs_sheet_next(book, &r, &e) == 1) {
        if (getenv("DUMP")) {
            fprintf(stderr, "# %ld", r->row);
            for (int c = 0; c < r->n_cells; c++)
                fprintf(stderr, " | %s", r->cells[c].text);
            fprintf(stderr, "\n");
            continue;
        }
        if (r->row == -1) {
            assert_string_equal(r->cells[0].text, "");
            assert_string_equal(r->cells[1].text, "VEHICULO");
            assert_string_equal(r->cells[3].text, "VEHICULO");
        } else if (r->row == 0) {
            assert_int_equal(r->n_cells, 6);
            assert_string_equal(r->cells[0].text, "NO.");
            assert_string_equal(r->cells[4].text, "SERIE");
            assert_string_equal(r->cells[5].text, "SUMA");
        } else {
            int i = (int)r->row - 1;
            char vin[32], amt[32];
            vin_of(20 + i, vin);
            money(amount_of(20 + i), amt);
            assert_string_equal(r->cells[1].text, makes[i % 6]);
            assert_string_equal(r->cells[2].text, models[i % 6]);
            assert_string_equal(r->cells[3].text, i % 2 ? "2022" : "2018");
            assert_string_equal(r->cells[4].text, vin);
            assert_string_equal(r->cells[5].text, amt);
        }
        n++;
    }
    assert_int_equal(n, 14);
    docs_close(book);
    g_byte_array_free(s.b, TRUE);
    g_string_free(s.text, TRUE);
    g_array_free(s.rects, TRUE);
}


/* A sheet exported by LibreOffice Calc whose AÑO-MODELO column is too narrow for its name
 * (tests/fixtures/docs/clipped_year.pdf, made by make_calc_pdf.py): Calc clips the name at
 * the column's edge, and the text layer holds `AÑO-MONO. SERIE (VIN)` as one word over two
 * columns. The name is split where the data show the boundary: the year is its own column. */
static void test_clipped_header(void **state)
{
    (void)state;
    static const int years[] = { 2021, 2022, 2020, 2019, 2023, 2021, 2022, 2020, 2018, 2023, 2021, 2019 };
    static const char *const vins[] = {
        "3N6AD33A1MK812345", "MR0EX8CB5N1234567", "8AFAR22L3LJ123456", "3G1TA5AF9KL123456",
        "9BWKB45U5PP012345", "3N1CN8AE4ML812399", "3KPA24AD2NE401234", "9BD578142L7123456",
        "JTFSS22P2J0123456", "WF0XXXTTGXPA12345", "MRHGM6630MP012345", "MM6DJ2HAXKW123456",
    };
    size_t len = 0;
    char *data = docs_fixture("clipped_year.pdf", &len);
    minca_err e = { 0 };
    grid *g = read_grid(data, len);
    assert_int_equal(g->n, 13);
    assert_int_equal(g->n_cells[0], 7);
    assert_string_equal(at(g, 0, 3), "AÑO-MO");
    assert_string_equal(at(g, 0, 4), "NO. SERIE (VIN)");
    for (int i = 0; i < 12; i++) {
        char y[8];
        snprintf(y, sizeof y, "%d", years[i]);
        assert_string_equal(at(g, i + 1, 3), y);
        assert_string_equal(at(g, i + 1, 4), vins[i]);
    }
    grid_clear(g);

    profile_result res;
    if (profile_extract(data, len, "clipped_year.pdf", NULL, NULL, &res, &e) != 0)
        fail_msg("extract: %s", e.msg);
    assert_int_equal(res.n_rows, 12);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(res.rows[i].year, years[i]);
        assert_string_equal(res.rows[i].vin, vins[i]);
    }
    profile_result_clear(&res);
    g_free(data);
}

/* A name clipped at its cell's right edge, where the column's right-aligned amounts end, with
 * the next name started a point and a half after it (`VALOR ASEGU CAPACIDAD (TON)`, as Calc
 * prints a trucks' table whose capacity follows the sum): two columns, the amounts apart from
 * the capacities (was one cell `$328,500.00 3.5`, read as the sum 328500003.50). */
/* A name printed from the left edge of its cell over values right-aligned further right (AÑO
 * MODELO over 2019, one space after SUB MARCA, a name over the column before, VANQUISH): the strip
 * between the two columns' values holds the start of the second name, which is a column of its
 * own, not the end of the first (the year had been read as part of the model). */
static void test_name_over_right_aligned_values(void **state)
{
    (void)state;
    static const char *const models[] = { "VANQUISH", "LEGACY", "FOCUS", "JETTA", "SENTRA" };
    doc d;
    doc_begin(&d);
    text(&d, 45, 72, 'c', "No.");
    text(&d, 72, 72, 'l', "SUB MARCA");
    /* the year's name one space after the model's, its values right-aligned under its end */
    double year_x = 72 + text_width(&d, "SUB MARCA ");
    double year_end = year_x + text_width(&d, "AÑO MODELO") - 2;
    text(&d, year_x, 72, 'l', "AÑO MODELO");
    text(&d, 330, 72, 'c', "SERIE");
    text(&d, 420, 72, 'c', "PLACAS");
    for (int i = 0; i < 5; i++) {
        char no[16], vin[32], plate[32];
        snprintf(no, sizeof no, "%d", i + 1);
        vin_of(i, vin);
        plate_of(i, plate);
        double top = 84 + 10 * i;
        text(&d, 45, top, 'c', no);
        text(&d, 72, top, 'l', models[i]);
        text(&d, year_end, top, 'r', i % 2 ? "2021" : "2019");
        text(&d, 330, top, 'c', vin);
        text(&d, 420, top, 'c', plate);
    }
    size_t len;
    char *data = doc_end(&d, &len);
    grid *g = read_grid(data, len);
    if (g->n != 6 || g->n_cells[0] != 5 || getenv("DUMP"))
        dump(g);
    assert_int_equal(g->n, 6);
    assert_int_equal(g->n_cells[0], 5);
    assert_string_equal(at(g, 0, 1), "SUB MARCA");
    assert_string_equal(at(g, 0, 2), "AÑO MODELO");
    for (int i = 0; i < 5; i++) {
        assert_string_equal(at(g, 1 + i, 1), models[i]);
        assert_string_equal(at(g, 1 + i, 2), i % 2 ? "2021" : "2019");
    }
    grid_clear(g);
    g_free(data);
}

static void test_clipped_before_name(void **state)
{
    (void)state;
    static const char *const caps[] = { "3.5", "12", "5", "8", "3.5" };
    doc d;
    doc_begin(&d);
    text(&d, 45, 72, 'c', "No.");
    text(&d, 72, 72, 'l', "MARCA");
    text(&d, 240, 72, 'c', "AÑO");
    text(&d, 330, 72, 'c', "SERIE");
    text(&d, 420, 72, 'c', "PLACAS");
    text(&d, 555, 72, 'r', "VALOR ASEGU");
    text(&d, 556.5, 72, 'l', "CAPACIDAD (TON)");
    for (int i = 0; i < 5; i++) {
        char no[16], vin[32], plate[32], amt[32];
        snprintf(no, sizeof no, "%d", i + 1);
        vin_of(i, vin);
        plate_of(i, plate);
        money(amount_of(i), amt);
        double top = 84 + 10 * i;
        text(&d, 45, top, 'c', no);
        text(&d, 72, top, 'l', MAKES[i % 4]);
        text(&d, 240, top, 'c', i % 2 ? "2021" : "2019");
        text(&d, 330, top, 'c', vin);
        text(&d, 420, top, 'c', plate);
        text(&d, 555, top, 'r', amt);
        text(&d, 620, top, 'r', caps[i]);
    }
    size_t len;
    char *data = doc_end(&d, &len);
    grid *g = read_grid(data, len);
    if (g->n != 6 || g->n_cells[0] != 7 || getenv("DUMP"))
        dump(g);
    assert_int_equal(g->n, 6);
    assert_int_equal(g->n_cells[0], 7);
    assert_string_equal(at(g, 0, 5), "VALOR ASEGU");
    assert_string_equal(at(g, 0, 6), "CAPACIDAD (TON)");
    for (int i = 0; i < 5; i++) {
        char amt[32];
        money(amount_of(i), amt);
        assert_string_equal(at(g, 1 + i, 5), amt);
        assert_string_equal(at(g, 1 + i, 6), caps[i]);
    }
    grid_clear(g);

    profile_result res;
    minca_err e = { 0 };
    if (profile_extract(data, len, "lista.pdf", NULL, NULL, &res, &e) != 0)
        fail_msg("extract: %s", e.msg);
    assert_int_equal(res.n_rows, 5);
    for (int i = 0; i < 5; i++)
        assert_true(fabs(res.rows[i].insured_amount - amount_of(i)) < 0.01);
    profile_result_clear(&res);
    g_free(data);
}

/* Right-aligned values of one width (model years) that end a point before the next column's
 * left-aligned values, as Calc prints cells without padding, under a name that does not
 * reach them (AÑO centred): they stay in their column instead of being glued to the
 * description on their right.
 * right_aligned_calc.pdf is a list of the generated office inbox (tests/tools/
 * gen_office_inbox.py, seed dev-1) exported by LibreOffice Calc: 82 vehicles in two tables
 * with subtotals. */
static void test_right_aligned_touching(void **state)
{
    (void)state;
    size_t len = 0;
    char *data = docs_fixture("right_aligned_calc.pdf", &len);
    minca_err e = { 0 };
    profile_result res;
    if (profile_extract(data, len, "right_aligned_calc.pdf", NULL, NULL, &res, &e) != 0)
        fail_msg("extract: %s", e.msg);
    assert_true(res.n_rows >= 80);
    int with_year = 0;
    for (int i = 0; i < res.n_rows; i++)
        with_year += res.rows[i].year >= 2000 && res.rows[i].year <= 2030;
    assert_int_equal(with_year, res.n_rows);
    profile_result_clear(&res);
    g_free(data);
}

/* A table's title written in its first column above the header ("CAMIONES Y TRACTOS", as
 * LibreOffice Calc prints a title cell) stays a title: the item numbers keep their column and
 * the make its own (not "1 FORD" under "CAMIONES Y TRACTOS ARMADORA"). */
static void test_title_above_header(void **state)
{
    (void)state;
    size_t len = 0;
    char *data = docs_fixture("title_above_header_calc.pdf", &len);
    minca_err e = { 0 };
    profile_result res;
    if (profile_extract(data, len, "title_above_header_calc.pdf", NULL, NULL, &res, &e) != 0)
        fail_msg("extract: %s", e.msg);
    assert_true(res.n_rows >= 5);   /* the trucks of the page (its first rows continue a table begun on page 2) */
    for (int i = 0; i < res.n_rows; i++) {
        const char *marca = res.rows[i].marca ? res.rows[i].marca : "";
        if (g_ascii_isdigit(marca[0]) || res.rows[i].inciso != i + 1)
            fail_msg("row %d: inciso %d, make '%s'", i + 1, res.rows[i].inciso, marca);
    }
    profile_result_clear(&res);
    g_free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_row_header),
        cmocka_unit_test(test_two_tables),
        cmocka_unit_test(test_three_pages),
        cmocka_unit_test(test_conditions_page),
        cmocka_unit_test(test_repeat_reads_better),
        cmocka_unit_test(test_later_table_not_a_repeat),
        cmocka_unit_test(test_ocr_boxes),
        cmocka_unit_test(test_clipped_header),
        cmocka_unit_test(test_clipped_before_name),
        cmocka_unit_test(test_name_over_right_aligned_values),
        cmocka_unit_test(test_right_aligned_touching),
        cmocka_unit_test(test_title_above_header),
    };
    return cmocka_run_group_tests_name("docs_pdf_tables", tests, NULL, NULL);
}
