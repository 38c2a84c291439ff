/* Benchmark: OCR of a two-page scanned list, seconds per page, beside the `tesseract`
 * command line on the same page images. The scan is made here: a fleet list drawn with
 * cairo and pango on letter pages at 300 dpi, tilted a little, with speckle noise, saved as
 * PNG pages and wrapped image-only into a PDF. Minca's figure is the whole reader (the
 * isolated child renders the pages with poppler, straightens them and runs Tesseract; the
 * parent rebuilds the table), the baseline is `tesseract PAGE out -l spa+eng --psm 4` per
 * page (what the reader asks of the engine, without rendering or table building). */
#include "minca/docs.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define DPI 300.0
#define PAGE_W 792.0   /* letter, landscape, in points */
#define PAGE_H 612.0
#define ROWS_PER_PAGE 24

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of the finished child processes (the parser child, the command line). */
static double child_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void text_at(cairo_t *cr, double x, double y, const char *s)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string("DejaVu Sans 8");
    pango_layout_set_font_description(l, fd);
    pango_layout_set_text(l, s, -1);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, l);
    pango_font_description_free(fd);
    g_object_unref(l);
}

static void vin_for(int n, char out[18])
{
    static const int w[17] = { 8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2 };
    snprintf(out, 18, "3N1CN7AD0KL%06d", 100000 + n * 7919 % 900000);
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        char c = out[i];
        int t = c >= '0' && c <= '9' ? c - '0' : 0;
        if (c >= 'A' && c <= 'Z') {
            static const char *letters = "ABCDEFGHJKLMNPRSTUVWXYZ";
            static const int lv[] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9 };
            t = lv[strchr(letters, c) - letters];
        }
        sum += t * w[i];
    }
    out[8] = sum % 11 == 10 ? 'X' : (char)('0' + sum % 11);
}

/* One scanned page: the list's rows [first, first + ROWS_PER_PAGE), tilted, speckled. */
static cairo_surface_t *scan_page(int page, unsigned *seed)
{
    int w = (int)(PAGE_W * DPI / 72), h = (int)(PAGE_H * DPI / 72);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 0.97, 0.97, 0.97);
    cairo_paint(cr);
    cairo_scale(cr, DPI / 72, DPI / 72);
    cairo_translate(cr, PAGE_W / 2, PAGE_H / 2);
    cairo_rotate(cr, (page ? -0.6 : 0.7) * M_PI / 180);
    cairo_translate(cr, -PAGE_W / 2, -PAGE_H / 2);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    static const char *hdr[] = { "INCISO", "MARCA", "SUBMARCA", "VERSIÓN", "AÑO", "SERIE", "PLACAS", "SUMA ASEGURADA" };
    static const double x[] = { 40, 85, 160, 240, 420, 460, 580, 660 };
    text_at(cr, 40, 30, "RELACIÓN DE UNIDADES");
    for (int c = 0; c < 8; c++)
        text_at(cr, x[c], 60, hdr[c]);
    for (int r = 0; r < ROWS_PER_PAGE; r++) {
        int n = page * ROWS_PER_PAGE + r + 1;
        char num[16], vin[18], plate[16], sum[24];
        snprintf(num, sizeof num, "%d", n);
        vin_for(n, vin);
        snprintf(plate, sizeof plate, "AB%c-%03d-C", 'A' + n % 26, n * 37 % 1000);
        snprintf(sum, sizeof sum, "$%d,%03d.00", 150 + n * 13 % 400, n * 250 % 1000);
        const char *cells[] = { num, n % 2 ? "NISSAN" : "TOYOTA", n % 2 ? "VERSA" : "HILUX",
                                n % 2 ? "SENSE MT 1.6L STD" : "DC 4X2 2.7L AUT", n % 3 ? "2019" : "2021",
                                vin, plate, sum };
        for (int c = 0; c < 8; c++)
            text_at(cr, x[c], 80 + 20 * r, cells[c]);
    }
    cairo_destroy(cr);
    cairo_surface_flush(s);
    unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int i = 0; i < w * h / 400; i++) {
        int px = rand_r(seed) % w, py = rand_r(seed) % h;
        ((uint32_t *)(void *)(d + (size_t)py * stride))[px] = 0x505050;
    }
    cairo_surface_mark_dirty(s);
    return s;
}

static cairo_status_t to_bytes(void *closure, const unsigned char *data, unsigned int len)
{
    g_byte_array_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

int main(void)
{
    char *dir = g_dir_make_tmp("minca-bench-ocr-XXXXXX", NULL);
    unsigned seed = 7;
    GByteArray *pdf = g_byte_array_new();
    cairo_surface_t *doc = cairo_pdf_surface_create_for_stream(to_bytes, pdf, PAGE_W, PAGE_H);
    char *png[2];
    for (int p = 0; p < 2; p++) {
        cairo_surface_t *img = scan_page(p, &seed);
        png[p] = g_strdup_printf("%s/page%d.png", dir, p + 1);
        cairo_surface_write_to_png(img, png[p]);
        cairo_t *cr = cairo_create(doc);
        cairo_scale(cr, 72 / DPI, 72 / DPI);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_paint(cr);
        cairo_destroy(cr);
        cairo_surface_show_page(doc);
        cairo_surface_destroy(img);
    }
    cairo_surface_finish(doc);
    cairo_surface_destroy(doc);

    double t0 = now(), c0 = child_cpu();
    docs_book *b = NULL;
    minca_err err = { 0 };
    int rc = docs_open(pdf->data, pdf->len, "scan.pdf", NULL, &b, &err);
    double minca_s = now() - t0, minca_cpu = child_cpu() - c0;
    int rows = 0;
    if (rc == 0) {
        docs_table t;
        memset(&t, 0, sizeof t);
        const docs_row *row;
        if (docs_table_find(b, NULL, &t, &err) == 0 && docs_table_open(b, &t, &err) == 0)
            while (docs_table_next(b, &t, &row, &err) == 1)
                rows++;
        docs_table_clear(&t);
        docs_close(b);
    }
    double cli_s = 0, cli_c0 = child_cpu();
    bool cli_ok = true;
    for (int p = 0; p < 2; p++) {
        char *cmd = g_strdup_printf("tesseract '%s' '%s/out%d' -l spa+eng --psm 4 >/dev/null 2>&1", png[p], dir, p);
        double w0 = now();
        cli_ok = cli_ok && system(cmd) == 0;
        cli_s += now() - w0;
        g_free(cmd);
    }
    printf("ocr of a two-page scan (%d rows of %d read by minca%s%s)\n", rows, 2 * ROWS_PER_PAGE,
           rc ? ": " : "", rc ? err.msg : "");
    double cli_cpu = child_cpu() - cli_c0;
    printf("  minca (render, deskew, OCR, table)  %7.2f s/page  %7.2f CPU s/page\n", minca_s / 2, minca_cpu / 2);
    if (cli_ok)
        printf("  tesseract command line              %7.2f s/page  %7.2f CPU s/page   ratio %.2f (CPU %.2f)\n",
               cli_s / 2, cli_cpu / 2, cli_s > 0 ? minca_s / cli_s : 0, cli_cpu > 0 ? minca_cpu / cli_cpu : 0);
    else
        printf("  tesseract command line: not available\n");
    for (int p = 0; p < 2; p++) {
        g_remove(png[p]);
        g_free(png[p]);
        char *o = g_strdup_printf("%s/out%d.txt", dir, p);
        g_remove(o);
        g_free(o);
    }
    g_rmdir(dir);
    g_free(dir);
    g_byte_array_free(pdf, TRUE);
    return rc == 0 && rows > 0 ? 0 : 1;
}
