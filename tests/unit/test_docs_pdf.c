/* Unit tests for the PDF reader: fleet lists written at test time by a small PDF writer (text
 * placed at x/y with the standard Helvetica font in WinAnsi encoding), damaged, truncated,
 * protected and image-only files, limits, and the broker PDF of the labelled inbox
 * (shared/data/inbox_dev/msg_008.eml, skipped when the shared data is absent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/docs.h"
#include "minca/profile.h"

#include <glib-object.h>
#include <glib.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a tiny PDF writer ---- */

#define PAGE_W 792.0
#define PAGE_H 612.0
#define MAX_PAGES 8

typedef struct pdfw {
    GString *page[MAX_PAGES];
    int n_pages;
    bool encrypted;
    int rotate;   /* /Rotate of every page */
} pdfw;

static void pw_page(pdfw *w)
{
    assert_true(w->n_pages < MAX_PAGES);
    w->page[w->n_pages++] = g_string_new(NULL);
}

/* Text (UTF-8) whose left end is at x, baseline `top` points below the top edge, 8 pt. */
static void pw_text(pdfw *w, double x, double top, const char *utf8)
{
    gsize n = 0;
    char *latin = g_convert(utf8, -1, "WINDOWS-1252", "UTF-8", NULL, &n, NULL);
    assert_non_null(latin);
    GString *c = w->page[w->n_pages - 1];
    g_string_append_printf(c, "BT /F1 8 Tf %.2f %.2f Td (", x, PAGE_H - top);
    for (gsize i = 0; i < n; i++) {
        char ch = latin[i];
        if (ch == '(' || ch == ')' || ch == '\\')
            g_string_append_c(c, '\\');
        g_string_append_c(c, ch);
    }
    g_string_append(c, ") Tj ET\n");
    g_free(latin);
}

/* Drawing without text (a frame), as a scanned page would have an image. */
static void pw_line(pdfw *w)
{
    g_string_append(w->page[w->n_pages - 1], "1 w 30 30 m 700 500 l S\n");
}

static char *pw_finish(pdfw *w, size_t *len)
{
    GString *out = g_string_new("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    int n_obj = 3 + 2 * w->n_pages + (w->encrypted ? 1 : 0);
    long *off = g_new0(long, (gsize)n_obj + 1);
    off[1] = (long)out->len;
    g_string_append(out, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    off[2] = (long)out->len;
    g_string_append(out, "2 0 obj << /Type /Pages /Kids [");
    for (int i = 0; i < w->n_pages; i++)
        g_string_append_printf(out, " %d 0 R", 4 + 2 * i);
    g_string_append_printf(out, " ] /Count %d >> endobj\n", w->n_pages);
    off[3] = (long)out->len;
    g_string_append(out, "3 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                         "/Encoding /WinAnsiEncoding >> endobj\n");
    for (int i = 0; i < w->n_pages; i++) {
        off[4 + 2 * i] = (long)out->len;
        g_string_append_printf(out, "%d 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 %.0f %.0f] "
                                    "/Rotate %d /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >> endobj\n",
                               4 + 2 * i, PAGE_W, PAGE_H, w->rotate, 5 + 2 * i);
        off[5 + 2 * i] = (long)out->len;
        g_string_append_printf(out, "%d 0 obj << /Length %zu >>\nstream\n", 5 + 2 * i, w->page[i]->len);
        g_string_append_len(out, w->page[i]->str, (gssize)w->page[i]->len);
        g_string_append(out, "\nendstream\nendobj\n");
        g_string_free(w->page[i], TRUE);
    }
    if (w->encrypted) {
        /* Standard security handler, RC4 40-bit, with a user password the reader does not know
         * (O and U are not derived from the empty password). */
        off[n_obj] = (long)out->len;
        g_string_append_printf(out, "%d 0 obj << /Filter /Standard /V 1 /R 2 /P -4 /O <", n_obj);
        for (int i = 0; i < 32; i++)
            g_string_append_printf(out, "%02X", (i * 37 + 11) & 0xFF);
        g_string_append(out, "> /U <");
        for (int i = 0; i < 32; i++)
            g_string_append_printf(out, "%02X", (i * 53 + 7) & 0xFF);
        g_string_append(out, "> >> endobj\n");
    }
    long xref = (long)out->len;
    g_string_append_printf(out, "xref\n0 %d\n0000000000 65535 f \n", n_obj + 1);
    for (int i = 1; i <= n_obj; i++)
        g_string_append_printf(out, "%010ld 00000 n \n", off[i]);
    g_string_append_printf(out, "trailer << /Size %d /Root 1 0 R", n_obj + 1);
    if (w->encrypted)
        g_string_append_printf(out, " /Encrypt %d 0 R /ID [<00112233445566778899AABBCCDDEEFF>"
                                    "<00112233445566778899AABBCCDDEEFF>]", n_obj);
    g_string_append_printf(out, " >>\nstartxref\n%ld\n%%%%EOF\n", xref);
    g_free(off);
    *len = out->len;
    return g_string_free(out, FALSE);
}

/* ---- the fleet list ---- */

/* Column x positions of the data; headers are centred over some columns and the numbers are
 * right-aligned, as office suites print them. */
static const double COL_X[] = { 40, 70, 130, 200, 400, 440, 545, 630 };

static void header(pdfw *w, double top)
{
    pw_text(w, 36, top, "No.");
    pw_text(w, 80, top, "Marca");
    pw_text(w, 140, top, "Submarca");
    pw_text(w, 260, top, "Versión");
    pw_text(w, 403, top, "Año");
    pw_text(w, 462, top, "No. de Serie");
    pw_text(w, 555, top, "Placas");
    pw_text(w, 640, top, "Suma Asegurada");
}

static void vehicle(pdfw *w, double top, int no, const char *marca, const char *sub,
                    const char *version, const char *year, const char *vin, const char *plate,
                    const char *amount)
{
    char n[16];
    snprintf(n, sizeof n, "%d", no);
    pw_text(w, no < 10 ? 50 : 45.5, top, n);
    pw_text(w, COL_X[1], top, marca);
    pw_text(w, COL_X[2], top, sub);
    pw_text(w, COL_X[3], top, version);
    pw_text(w, COL_X[4], top, year);
    pw_text(w, COL_X[5], top, vin);
    if (plate)
        pw_text(w, COL_X[6], top, plate);
    pw_text(w, COL_X[7], top, amount);
}

static char *one_page_list_rotated(size_t *len, int rotate)
{
    pdfw w = { .rotate = rotate };
    pw_page(&w);
    pw_text(&w, 36, 40, "AGENTE DE SEGUROS DEMO");
    pw_text(&w, 36, 52, "Relación de unidades - TRANSPORTES PEÑA, S.A. DE C.V.");
    header(&w, 80);
    vehicle(&w, 92, 1, "NISSAN", "NP300", "DOBLE CABINA LONGHORN", "2019", "3N6AD35C5KK812345",
            "ABC-12-34", "$350,000.00");
    vehicle(&w, 102, 2, "DODGE", "RAM 2500", "DOBLE CABINA LONGHORN 4X4", "2023",
            "3C6UR5DL1PG612345", NULL, "$518,900.00");
    vehicle(&w, 112, 3, "FORD", "CAMIÓN F-350", "CHASIS CABINA ÉLITE", "2020", "1FDRF3G60LEC12345",
            "EN TRAMITE", "$1,200,000.00");
    pw_text(&w, 200, 124, "TOTAL");
    pw_text(&w, 630, 124, "$2,068,900.00");
    pw_text(&w, 36, 150, "Favor de cotizar con cobertura amplia.");
    return pw_finish(&w, len);
}

static char *one_page_list(size_t *len)
{
    return one_page_list_rotated(len, 0);
}

/* 40 vehicles over two pages; the second repeats the title and the header; page numbers at
 * the foot of each page. */
static char *two_page_list(size_t *len)
{
    pdfw w = { 0 };
    int no = 1;
    for (int p = 0; p < 2; p++) {
        pw_page(&w);
        pw_text(&w, 36, 40, "Relación de unidades - TRANSPORTES PEÑA, S.A. DE C.V.");
        header(&w, 60);
        int rows = p == 0 ? 25 : 15;
        for (int i = 0; i < rows; i++, no++) {
            char vin[32];
            snprintf(vin, sizeof vin, "3N6AD35C5KK8%05d", no);
            vehicle(&w, 72 + 10 * i, no, "NISSAN", "NP300", "DOBLE CABINA LONGHORN", "2019", vin,
                    no % 5 ? "ABC-12-34" : NULL, "$350,000.00");
        }
        if (p == 1) {
            pw_text(&w, 200, 72 + 10 * rows + 2, "TOTAL");
            pw_text(&w, 630, 72 + 10 * rows + 2, "$14,000,000.00");
        }
        char foot[32];
        snprintf(foot, sizeof foot, "Página %d de 2", p + 1);
        pw_text(&w, 380, 590, foot);
    }
    return pw_finish(&w, len);
}

/* ---- helpers ---- */

static docs_book *open_ok(const char *data, size_t len)
{
    docs_book *b = NULL;
    minca_err e = { 0 };
    int rc = docs_open(data, len, "lista.pdf", NULL, &b, &e);
    if (rc != 0)
        fail_msg("docs_open: %s", e.msg);
    assert_int_equal(docs_book_format(b), DOCS_FMT_PDF);
    return b;
}

static void open_fails(const char *data, size_t len, const docs_limits *lim, const char *want)
{
    docs_book *b = NULL;
    minca_err e = { 0 };
    assert_int_equal(docs_open(data, len, "lista.pdf", lim, &b, &e), -1);
    assert_null(b);
    if (!strstr(e.msg, want))
        fail_msg("error '%s' does not say '%s'", e.msg, want);
    assert_non_null(strstr(e.msg, "lista.pdf"));
}

static const char *cell(const docs_row *r, int c)
{
    return c < r->n_cells ? r->cells[c].text : "";
}

/* ---- tests ---- */

static void test_table(void **state)
{
    (void)state;
    size_t len;
    char *data = one_page_list(&len);
    docs_book *b = open_ok(data, len);
    assert_int_equal(docs_sheet_count(b), 1);
    docs_table t;
    minca_err e = { 0 };
    assert_int_equal(docs_table_find(b, NULL, &t, &e), 0);
    assert_int_equal(t.header_row, 0);
    assert_int_equal(t.n_cols, 8);
    const char *want_h[] = { "No.", "Marca", "Submarca", "Versión", "Año", "No. de Serie",
                             "Placas", "Suma Asegurada" };
    for (int c = 0; c < 8; c++)
        assert_string_equal(t.headers[c], want_h[c]);
    assert_int_equal(docs_table_open(b, &t, &e), 0);
    const docs_row *r;
    assert_int_equal(docs_table_next(b, &t, &r, &e), 1);
    assert_int_equal(r->row, 1);
    assert_string_equal(cell(r, 0), "1");
    assert_string_equal(cell(r, 1), "NISSAN");
    assert_string_equal(cell(r, 2), "NP300");
    assert_string_equal(cell(r, 3), "DOBLE CABINA LONGHORN");
    assert_string_equal(cell(r, 4), "2019");
    assert_string_equal(cell(r, 5), "3N6AD35C5KK812345");
    assert_string_equal(cell(r, 6), "ABC-12-34");
    assert_string_equal(cell(r, 7), "$350,000.00");
    assert_int_equal(docs_table_next(b, &t, &r, &e), 1);
    assert_int_equal(r->row, 2);
    assert_string_equal(cell(r, 2), "RAM 2500");
    assert_string_equal(cell(r, 3), "DOBLE CABINA LONGHORN 4X4");
    assert_int_equal(r->cells[6].type, DOCS_CELL_EMPTY);   /* no plates */
    assert_string_equal(cell(r, 6), "");
    assert_string_equal(cell(r, 7), "$518,900.00");
    assert_int_equal(docs_table_next(b, &t, &r, &e), 1);
    assert_int_equal(r->row, 3);
    assert_string_equal(cell(r, 2), "CAMIÓN F-350");   /* WinAnsi accents come out as UTF-8 */
    assert_string_equal(cell(r, 3), "CHASIS CABINA ÉLITE");
    assert_string_equal(cell(r, 6), "EN TRAMITE");
    assert_int_equal(docs_table_next(b, &t, &r, &e), 0);   /* TOTAL ends the table */
    assert_int_equal(t.stop_row, 4);
    docs_table_clear(&t);
    docs_close(b);

    /* the same bytes through profile extraction (automatic mapping) */
    profile_result res;
    assert_int_equal(profile_extract(data, len, "lista.pdf", NULL, NULL, &res, &e), 0);
    assert_string_equal(res.format, "pdf");
    assert_int_equal(res.n_rows, 3);
    assert_int_equal(res.rows[0].year, 2019);
    assert_string_equal(res.rows[0].vin, "3N6AD35C5KK812345");
    assert_string_equal(res.rows[0].description, "NISSAN NP300 DOBLE CABINA LONGHORN");
    assert_string_equal(res.rows[0].plates, "ABC-12-34");
    assert_true(fabs(res.rows[0].insured_amount - 350000) < 0.01);
    assert_null(res.rows[0].source_sheet);
    assert_int_equal(res.rows[0].source_row, 1);
    assert_null(res.rows[1].plates);
    assert_true(fabs(res.rows[2].insured_amount - 1200000) < 0.01);
    assert_int_equal(res.rows[2].source_row, 3);
    assert_int_equal(res.stop_row, 4);
    profile_result_clear(&res);

    /* a profile written for the broker's spreadsheet (fixed header row 4) still reads it */
    const char *yaml = "name: demo\ntable: {header_row: 4}\nmapping: {Marca: marca, Submarca: submarca, "
                       "\"Versión\": version, \"Año\": year, \"No. de Serie\": vin, Placas: plates, "
                       "\"Suma Asegurada\": insured_amount}\n";
    profile *p = NULL;
    if (profile_load_string(yaml, strlen(yaml), "demo", &p, &e) != 0)
        fail_msg("profile: %s", e.msg);
    assert_int_equal(profile_extract(data, len, "lista.pdf", p, NULL, &res, &e), 0);
    assert_int_equal(res.n_rows, 3);
    assert_string_equal(res.rows[2].description, "FORD CAMIÓN F-350 CHASIS CABINA ÉLITE");
    profile_result_clear(&res);
    profile_free(p);
    g_free(data);
}

static void test_two_pages(void **state)
{
    (void)state;
    size_t len;
    char *data = two_page_list(&len);
    docs_book *b = open_ok(data, len);
    docs_table t;
    minca_err e = { 0 };
    assert_int_equal(docs_table_find(b, NULL, &t, &e), 0);
    assert_int_equal(docs_table_open(b, &t, &e), 0);
    const docs_row *r;
    int n = 0;
    while (docs_table_next(b, &t, &r, &e) == 1) {
        n++;
        char no[16], vin[48];
        snprintf(no, sizeof no, "%d", n);
        snprintf(vin, sizeof vin, "3N6AD35C5KK8%05d", n);
        assert_int_equal(r->row, n);            /* one numbering over both pages */
        assert_string_equal(cell(r, 0), no);
        assert_string_equal(cell(r, 1), "NISSAN");
        assert_string_equal(cell(r, 3), "DOBLE CABINA LONGHORN");
        assert_string_equal(cell(r, 5), vin);
        assert_string_equal(cell(r, 6), n % 5 ? "ABC-12-34" : "");
    }
    assert_int_equal(n, 40);   /* page numbers, repeated title and header are not rows */
    assert_int_equal(t.stop_row, 41);
    docs_table_clear(&t);
    docs_close(b);

    docs_limits lim;
    docs_limits_default(&lim);
    lim.max_pages = 1;
    open_fails(data, len, &lim, "max_pages = 1");
    docs_limits_default(&lim);
    lim.max_rows = 10;
    b = open_ok(data, len);
    docs_close(b);
    assert_int_equal(docs_open(data, len, "lista.pdf", &lim, &b, &e), 0);
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    int rc;
    while ((rc = docs_sheet_next(b, &r, &e)) == 1)
        ;
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, "max_rows"));
    docs_close(b);
    g_free(data);
}

/* A later page without a repeated header continues the table; a data line holding header
 * words ("TIPO", "USO") is not taken for a repeated header. */
static void test_page_without_header(void **state)
{
    (void)state;
    pdfw w = { 0 };
    pw_page(&w);
    pw_text(&w, 40, 60, "Marca");
    pw_text(&w, 120, 60, "Tipo");
    pw_text(&w, 300, 60, "Año");
    pw_text(&w, 360, 60, "Serie");
    pw_text(&w, 40, 72, "FORD");
    pw_text(&w, 120, 72, "RANGER XL");
    pw_text(&w, 300, 72, "2020");
    pw_text(&w, 360, 72, "8AFRE9EU3KX923696");
    pw_page(&w);
    pw_text(&w, 40, 60, "KIA");
    pw_text(&w, 120, 60, "RIO L");
    pw_text(&w, 300, 60, "2023");
    pw_text(&w, 360, 60, "KNAS4TVL3PDF18608");
    pw_text(&w, 40, 70, "ISUZU");
    pw_text(&w, 120, 70, "ELF TIPO USO RUDO");
    pw_text(&w, 300, 70, "2021");
    pw_text(&w, 360, 70, "JAANKR55EM7100001");
    size_t len;
    char *data = pw_finish(&w, &len);
    profile_result res;
    minca_err e = { 0 };
    assert_int_equal(profile_extract(data, len, "lista.pdf", NULL, NULL, &res, &e), 0);
    assert_int_equal(res.n_rows, 3);
    assert_int_equal(res.rows[1].source_row, 2);
    assert_string_equal(res.rows[1].vin, "KNAS4TVL3PDF18608");
    assert_string_equal(res.rows[2].description, "ISUZU ELF TIPO USO RUDO");
    assert_int_equal(res.rows[2].source_row, 3);
    profile_result_clear(&res);
    g_free(data);
}

/* A description wrapped over two lines: bottom-aligned, its first part is printed above the
 * rest of the row; top-aligned, its end below. The spacing (row pitch 12 pt, line spacing 9 pt)
 * tells which row a fragment belongs to; when it cannot (a fragment half-way), it stays a
 * row of its own. */
static char *wrapped_list(size_t *len, int mode)
{
    pdfw w = { 0 };
    pw_page(&w);
    header(&w, 60);
    vehicle(&w, 76, 1, "NISSAN", "NP300", "ESTACAS", "2019", "3N6AD35C5KK812345", "ABC-12-34", "$350,000.00");
    vehicle(&w, 88, 2, "NISSAN", "NP300", "CHASIS", "2019", "3N6AD35C5KK812346", "ABC-12-35", "$340,000.00");
    /* bottom-aligned: the fragment 12 pt below row 2, 9 pt above row 3; top-aligned: 9 pt
     * below row 2, 12 pt above row 3; half-way: 10.5 pt from both */
    double frag = mode == 0 ? 100 : mode == 1 ? 97 : 98.5;
    pw_text(&w, COL_X[3], frag, mode == 1 ? "DOBLE RODADO" : "DOBLE CABINA");
    vehicle(&w, 109, 3, "DODGE", "RAM 2500", "LONGHORN 4X4", "2023", "3C6UR5DL1PG612345", NULL, "$518,900.00");
    vehicle(&w, 121, 4, "KIA", "RIO", "L SEDAN", "2023", "3KPA24AD5PE512345", NULL, "$290,000.00");
    return pw_finish(&w, len);
}

static void test_wrapped_cells(void **state)
{
    (void)state;
    size_t len;
    profile_result res;
    minca_err e = { 0 };
    /* bottom-aligned: "DOBLE CABINA" opens row 3's version */
    char *data = wrapped_list(&len, 0);
    assert_int_equal(profile_extract(data, len, "lista.pdf", NULL, NULL, &res, &e), 0);
    assert_int_equal(res.n_rows, 4);
    assert_string_equal(res.rows[2].description, "DODGE RAM 2500 DOBLE CABINA LONGHORN 4X4");
    assert_string_equal(res.rows[1].description, "NISSAN NP300 CHASIS");
    assert_int_equal(res.rows[3].source_row, 4);
    profile_result_clear(&res);
    g_free(data);
    /* top-aligned: "DOBLE RODADO" ends row 2's version */
    data = wrapped_list(&len, 1);
    assert_int_equal(profile_extract(data, len, "lista.pdf", NULL, NULL, &res, &e), 0);
    assert_int_equal(res.n_rows, 4);
    assert_string_equal(res.rows[1].description, "NISSAN NP300 CHASIS DOBLE RODADO");
    assert_string_equal(res.rows[2].description, "DODGE RAM 2500 LONGHORN 4X4");
    assert_int_equal(res.rows[3].source_row, 4);
    profile_result_clear(&res);
    g_free(data);
    /* half-way: not joined; the fragment comes out as a row of its own (no year, no serial)
     * for the reviewer to see, rather than glued to the wrong vehicle */
    data = wrapped_list(&len, 2);
    assert_int_equal(profile_extract(data, len, "lista.pdf", NULL, NULL, &res, &e), 0);
    assert_int_equal(res.n_rows, 5);
    assert_string_equal(res.rows[2].description, "DOBLE CABINA");
    assert_int_equal(res.rows[2].year, 0);
    assert_null(res.rows[2].vin);
    assert_string_equal(res.rows[3].description, "DODGE RAM 2500 LONGHORN 4X4");
    profile_result_clear(&res);
    g_free(data);
}

/* Header cells wrapped over two lines ("No. de" / "Serie", "Suma" / "Asegurada"). */
static void test_wrapped_header(void **state)
{
    (void)state;
    pdfw w = { 0 };
    pw_page(&w);
    pw_text(&w, 36, 40, "Relación de unidades");
    /* bottom-aligned: the wrapped cells start on the line above the header */
    pw_text(&w, 36, 75, "No.");
    pw_text(&w, 80, 75, "Marca");
    pw_text(&w, 140, 75, "Submarca");
    pw_text(&w, 260, 75, "Versión");
    pw_text(&w, 403, 75, "Año");
    pw_text(&w, 462, 66, "No. de");
    pw_text(&w, 466, 75, "Serie");
    pw_text(&w, 555, 75, "Placas");
    pw_text(&w, 645, 66, "Suma");
    pw_text(&w, 636, 75, "Asegurada");
    pw_text(&w, 700, 75, "Tipo de");   /* top-aligned: the rest on the line below */
    pw_text(&w, 700, 84, "carga");
    vehicle(&w, 90, 1, "NISSAN", "NP300", "DOBLE CABINA", "2019", "3N6AD35C5KK812345", "ABC-12-34",
            "$350,000.00");
    vehicle(&w, 100, 2, "KIA", "RIO", "L SEDAN", "2023", "3KPA24AD5PE512345", NULL, "$290,000.00");
    size_t len;
    char *data = pw_finish(&w, &len);
    docs_book *b = open_ok(data, len);
    docs_table t;
    minca_err e = { 0 };
    assert_int_equal(docs_table_find(b, NULL, &t, &e), 0);
    assert_int_equal(t.n_cols, 9);
    assert_string_equal(t.headers[1], "Marca");
    assert_string_equal(t.headers[5], "No. de Serie");
    assert_string_equal(t.headers[7], "Suma Asegurada");
    assert_string_equal(t.headers[8], "Tipo de carga");
    docs_table_clear(&t);
    docs_close(b);
    profile_result res;
    assert_int_equal(profile_extract(data, len, "lista.pdf", NULL, NULL, &res, &e), 0);
    assert_int_equal(res.n_rows, 2);
    assert_int_equal(res.rows[0].source_row, 1);
    assert_string_equal(res.rows[1].vin, "3KPA24AD5PE512345");
    assert_true(fabs(res.rows[1].insured_amount - 290000) < 0.01);
    profile_result_clear(&res);
    g_free(data);
}

/* A page turned with /Rotate reports its characters sideways: the same table comes out. */
static void test_rotated(void **state)
{
    (void)state;
    for (int rot = 90; rot < 360; rot += 90) {
        size_t len;
        char *data = one_page_list_rotated(&len, rot);
        profile_result res;
        minca_err e = { 0 };
        if (profile_extract(data, len, "lista.pdf", NULL, NULL, &res, &e) != 0)
            fail_msg("/Rotate %d: %s", rot, e.msg);
        assert_int_equal(res.n_rows, 3);
        assert_string_equal(res.rows[1].description, "DODGE RAM 2500 DOBLE CABINA LONGHORN 4X4");
        assert_string_equal(res.rows[2].plates, "EN TRAMITE");
        assert_int_equal(res.rows[2].year, 2020);
        profile_result_clear(&res);
        g_free(data);
    }
}

/* Engine threads extract attachments side by side: each read forks its parser child from
 * its own thread while the others are busy, with GObjects being created meanwhile. */
typedef struct th_arg {
    const char *data;
    size_t len;
    int rows_ok;
} th_arg;

static void *reader_thread(void *p)
{
    th_arg *a = p;
    for (int k = 0; k < 5; k++) {
        GObject *o = g_object_new(G_TYPE_OBJECT, NULL);
        profile_result res;
        minca_err e = { 0 };
        if (profile_extract(a->data, a->len, "lista.pdf", NULL, NULL, &res, &e) == 0) {
            a->rows_ok += res.n_rows == 40;
            profile_result_clear(&res);
        } else {
            fprintf(stderr, "# thread read failed: %s\n", e.msg);
        }
        g_object_unref(o);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    size_t len;
    char *data = two_page_list(&len);
    pthread_t th[4];
    th_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (th_arg){ data, len, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, reader_thread, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].rows_ok, 5);
    }
    g_free(data);
}

static void test_broken(void **state)
{
    (void)state;
    size_t len;
    char *data = one_page_list(&len);
    open_fails(data, len / 2, NULL, "truncated");
    g_free(data);

    const char *garbage = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nendobj\n"
                          "nothing else here\n%%EOF\n";
    open_fails(garbage, strlen(garbage), NULL, "not a readable PDF document");
    open_fails("%PDF-1.4 ...", 12, NULL, "PDF");

    pdfw w = { 0 };
    pw_page(&w);
    pw_line(&w);
    data = pw_finish(&w, &len);
    open_fails(data, len, NULL, "a scanned PDF (no text layer): OCR found no text in it");
    g_free(data);

    memset(&w, 0, sizeof w);
    w.encrypted = true;
    pw_page(&w);
    header(&w, 80);
    data = pw_finish(&w, &len);
    open_fails(data, len, NULL, "password protected");
    g_free(data);

    docs_limits lim;
    docs_limits_default(&lim);
    data = one_page_list(&len);
    lim.max_input_bytes = len - 1;
    open_fails(data, len, &lim, "max_input_bytes");
    g_free(data);
}

static void test_no_header(void **state)
{
    (void)state;
    pdfw w = { 0 };
    pw_page(&w);
    pw_text(&w, 36, 40, "Estimado agente:");
    pw_text(&w, 36, 52, "Le enviamos la relación la próxima semana.");
    size_t len;
    char *data = pw_finish(&w, &len);
    docs_book *b = open_ok(data, len);
    minca_err e = { 0 };
    assert_int_equal(docs_sheet_open(b, 0, &e), 0);
    const docs_row *r;
    assert_int_equal(docs_sheet_next(b, &r, &e), 1);
    assert_int_equal(r->row, 1);
    assert_string_equal(cell(r, 0), "Estimado agente:");
    docs_table t;
    assert_int_equal(docs_table_find(b, NULL, &t, &e), -1);
    assert_non_null(strstr(e.msg, "no vehicle table"));
    docs_close(b);
    g_free(data);
}

/* ---- the broker PDF of the labelled inbox ---- */

static char *inbox_dir(void)
{
    const char *shared = getenv("MINCA_SHARED");
    if (shared && *shared) {
        char *d = core_strdup_printf("%s/data/inbox_dev", shared);
        if (core_is_dir(d))
            return d;
        g_free(d);
    }
    const char *src = getenv("MINCA_SRC");
    char *d = core_strdup_printf("%s/../shared/data/inbox_dev", src && *src ? src : ".");
    if (core_is_dir(d))
        return d;
    g_free(d);
    return NULL;
}

static void test_inbox_pdf(void **state)
{
    (void)state;
    char *dir = inbox_dir();
    if (!dir || access("/usr/bin/python3", X_OK) != 0) {
        printf("# SKIP: shared/data/inbox_dev or /usr/bin/python3 not found (set MINCA_SHARED or "
               "place shared/ next to the repo)\n");
        g_free(dir);
        skip();
    }
    char *eml = core_path_join(dir, "msg_008.eml");
    char *out = core_strdup_printf("/tmp/minca-test-pdf-%d.pdf", (int)getpid());
    const char *script =
        "import email, sys\n"
        "m = email.message_from_binary_file(open(sys.argv[1], 'rb'))\n"
        "for p in m.walk():\n"
        "    if p.get_content_type() == 'application/pdf':\n"
        "        open(sys.argv[2], 'wb').write(p.get_payload(decode=True)); break\n";
    char *argv[] = { "/usr/bin/python3", "-c", (char *)script, eml, out, NULL };
    gint status = 0;
    assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, NULL));
    assert_int_equal(status, 0);
    char *data = NULL;
    size_t len = 0;
    minca_err e = { 0 };
    assert_int_equal(core_read_file(out, 1u << 26, &data, &len, &e), 0);
    unlink(out);

    char *lp = core_path_join(dir, "labels.json");
    json_error_t je;
    json_t *labels = json_load_file(lp, 0, &je);
    assert_non_null(labels);
    json_t *msg = NULL, *m;
    size_t i;
    json_array_foreach(labels, i, m)
        if (strcmp(json_string_value(json_object_get(m, "file")), "msg_008.eml") == 0)
            msg = m;
    assert_non_null(msg);
    json_t *vs = json_object_get(msg, "vehicles");
    assert_int_equal(json_array_size(vs), 16);

    profile_result res;
    if (profile_extract(data, len, "Relacion vehicular Tepozteco.pdf", NULL, NULL, &res, &e) != 0)
        fail_msg("extraction: %s", e.msg);
    assert_int_equal(res.n_rows, 16);
    json_t *v;
    json_array_foreach(vs, i, v) {
        const vehicle_row *r = &res.rows[i];
        assert_int_equal(r->year, json_integer_value(json_object_get(v, "year")));
        assert_string_equal(r->vin, json_string_value(json_object_get(v, "vin")));
        assert_string_equal(r->description, json_string_value(json_object_get(v, "description_raw")));
        assert_string_equal(r->plates, json_string_value(json_object_get(v, "plate")));
        assert_true(fabs(r->insured_amount - json_number_value(json_object_get(v, "insured_value"))) < 0.01);
        assert_int_equal(r->source_row,
                         json_integer_value(json_object_get(json_object_get(v, "source"), "row")));
    }
    profile_result_clear(&res);

    /* and with the broker's profile */
    char *pp = core_strdup_printf("%s/profiles/huasteca.yaml", getenv("MINCA_SRC") ? getenv("MINCA_SRC") : ".");
    profile *p = NULL;
    if (profile_load_file(pp, &p, &e) == 0) {
        assert_int_equal(profile_extract(data, len, "x.pdf", p, NULL, &res, &e), 0);
        assert_int_equal(res.n_rows, 16);
        assert_string_equal(res.rows[15].description, "TOYOTA TACOMA TRD SPORT 4P L4 2.4L 4X4 AUT");
        assert_string_equal(res.rows[15].use, "CARGA");
        assert_int_equal(res.n_warnings, 0);
        profile_result_clear(&res);
        profile_free(p);
    }
    g_free(pp);
    json_decref(labels);
    g_free(lp);
    g_free(data);
    g_free(out);
    g_free(eml);
    g_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_two_pages),
        cmocka_unit_test(test_page_without_header),
        cmocka_unit_test(test_wrapped_header),
        cmocka_unit_test(test_wrapped_cells),
        cmocka_unit_test(test_rotated),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_no_header),
        cmocka_unit_test(test_inbox_pdf),
    };
    return cmocka_run_group_tests_name("docs_pdf", tests, NULL, NULL);
}
