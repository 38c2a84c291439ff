/* Benchmark: a 600-vehicle case priced with the demo tariff and exported (workbook + PDF)
 * beside the same case exported unpriced; and the case exported to a Gcotiza workbook through the one-call API
 * (template and coverage loading, four styled sheets, bytes and SHA-256) and to the PDF quote
 * summary (cairo + pango: measured, paginated, drawn, bytes and SHA-256), beside two baselines
 * measured in the same run on the same rows: a bare libxlsxwriter workbook with the same cells
 * and no formats, and a CSV file written with stdio. Medians of several runs. The bar (well
 * under a second) is on the CPU time of the fastest run, which a shared machine's other work
 * does not inflate as it does the elapsed time. */
#include "minca/core.h"
#include "minca/export.h"
#include "../unit/test_export_fixture.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define VEHICLES 600
#define RUNS 15

/* CPU seconds used by this process so far. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The same cells as the template's 29 columns, as plain strings and numbers. */
static void plain_xlsx(const export_case *c, const char *path)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "COTIZACION");
    for (int col = 0; col < 29; col++) {
        char h[16];
        snprintf(h, sizeof h, "COL%d", col);
        worksheet_write_string(ws, 0, (lxw_col_t)col, h, NULL);
    }
    for (int i = 0; i < c->n_rows; i++) {
        const export_row *r = &c->rows[i];
        lxw_row_t row = (lxw_row_t)(i + 1);
        int col = 0;
        worksheet_write_string(ws, row, col++, r->match.cvegs, NULL);
        worksheet_write_string(ws, row, col++, r->match.brand, NULL);
        worksheet_write_string(ws, row, col++, r->match.model, NULL);
        worksheet_write_number(ws, row, col++, r->match.year, NULL);
        worksheet_write_string(ws, row, col++, r->match.body, NULL);
        worksheet_write_string(ws, row, col++, r->vehicle.use, NULL);
        worksheet_write_string(ws, row, col++, r->match.description, NULL);
        worksheet_write_string(ws, row, col++, r->vehicle.plates, NULL);
        worksheet_write_number(ws, row, col++, r->vehicle.insured_amount, NULL);
        col++; /* PRIMA empty */
        for (int k = 0; k < 6; k++)
            worksheet_write_number(ws, row, col++, 0.05 * k, NULL);
        for (int k = 0; k < 7; k++)
            worksheet_write_string(ws, row, col++, "AMPARADA", NULL);
        worksheet_write_number(ws, row, col++, 46357, NULL);
        worksheet_write_number(ws, row, col++, 46722, NULL);
        worksheet_write_string(ws, row, col++, c->payment_terms, NULL);
        worksheet_write_string(ws, row, col++, c->currency, NULL);
        worksheet_write_number(ws, row, col++, r->match.confidence, NULL);
        worksheet_write_string(ws, row, col++, r->match.reviewed ? "SI" : "NO", NULL);
    }
    workbook_close(wb);
}

static void plain_csv(const export_case *c, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    for (int i = 0; i < c->n_rows; i++) {
        const export_row *r = &c->rows[i];
        fprintf(f, "%s,%s,%s,%d,%s,%s,\"%s\",%s,%.2f,,0.05,0.10,0.25,3000000,0,200000,"
                   "AMPARADA,AMPARADA,RC EN EL EXTRANJERO,SUMA DECLARADA,SUMA DECLARADA,"
                   "SUMA DECLARADA,CRISTALES,01/12/2026,01/12/2027,%s,%s,%.2f,%s\n",
                r->match.cvegs, r->match.brand, r->match.model, r->match.year, r->match.body,
                r->vehicle.use, r->match.description, r->vehicle.plates,
                r->vehicle.insured_amount, c->payment_terms, c->currency, r->match.confidence,
                r->match.reviewed ? "SI" : "NO");
    }
    fclose(f);
}

int main(void)
{
    char *share = fx_share_dir();
    char dir[] = "/tmp/minca-bench-export.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    export_case c;
    fx_build_fleet(&c, VEHICLES, 1);
    char *out = core_path_join(dir, "export.xlsx");
    char *plain = core_path_join(dir, "plain.xlsx");
    char *csv = core_path_join(dir, "plain.csv");
    char *pdf_out = core_path_join(dir, "export.pdf");
    double t_export[RUNS], t_pdf[RUNS], t_plain[RUNS], t_csv[RUNS], cpu_export[RUNS], cpu_pdf[RUNS];
    double t_priced[RUNS], t_unpriced[RUNS];
    export_tariff *tariff = NULL;
    {
        char *tpath = core_path_join(share, "samples/tariff/demo.yaml"), *body = NULL;
        size_t blen = 0;
        minca_err terr = {0};
        if (core_read_file(tpath, 1 << 22, &body, &blen, &terr) < 0 ||
            export_tariff_parse(body, blen, tpath, &tariff, &terr) < 0) {
            fprintf(stderr, "demo tariff: %s\n", terr.msg);
            return 1;
        }
        g_free(body);
        g_free(tpath);
    }
    size_t bytes = 0, pdf_bytes = 0;
    c.insurer_name = g_strdup("Seguros Demo, S.A.");
    c.version = 1;
    int status = 0;

    for (int run = 0; run < RUNS; run++) {
        /* interleaved so that machine noise hits every variant alike */
        export_options opt = {.share_dir = share, .out_path = out};
        export_result res;
        minca_err err = {0};
        double t0 = core_now_seconds(), c0 = cpu_now();
        if (export_case_write(&c, &opt, &res, &err) < 0) {
            fprintf(stderr, "export failed: %s\n", err.msg);
            status = 1;
            break;
        }
        t_export[run] = core_now_seconds() - t0;
        cpu_export[run] = cpu_now() - c0;
        bytes = res.len;
        export_result_clear(&res);

        export_options popt = {.share_dir = share, .out_path = pdf_out};
        t0 = core_now_seconds();
        c0 = cpu_now();
        if (export_case_write_pdf(&c, &popt, &res, &err) < 0) {
            fprintf(stderr, "PDF export failed: %s\n", err.msg);
            status = 1;
            break;
        }
        t_pdf[run] = core_now_seconds() - t0;
        cpu_pdf[run] = cpu_now() - c0;
        pdf_bytes = res.len;
        export_result_clear(&res);

        t_unpriced[run] = t_export[run] + t_pdf[run];
        c.tariff = tariff;
        t0 = core_now_seconds();
        int prc = export_case_write(&c, &opt, &res, &err);
        export_result_clear(&res);
        if (prc == 0)
            prc = export_case_write_pdf(&c, &popt, &res, &err);
        export_result_clear(&res);
        t_priced[run] = core_now_seconds() - t0;
        c.tariff = NULL;
        if (prc < 0) {
            fprintf(stderr, "priced export failed: %s\n", err.msg);
            status = 1;
            break;
        }

        t0 = core_now_seconds();
        plain_xlsx(&c, plain);
        t_plain[run] = core_now_seconds() - t0;

        t0 = core_now_seconds();
        plain_csv(&c, csv);
        t_csv[run] = core_now_seconds() - t0;
    }
    if (status == 0) {
        double me = median(t_export, RUNS), mp = median(t_plain, RUNS), mc = median(t_csv, RUNS),
               mf = median(t_pdf, RUNS);
        printf("export %d vehicles, gcotiza_v1 (4 styled sheets, bytes + SHA-256):\n"
               "  median %.1f ms (min %.1f, max %.1f) over %d runs, %zu bytes\n",
               VEHICLES, me * 1e3, t_export[0] * 1e3, t_export[RUNS - 1] * 1e3, RUNS, bytes);
        printf("export %d vehicles, PDF quote summary (cairo + pango, bytes + SHA-256):\n"
               "  median %.1f ms (min %.1f, max %.1f) over %d runs, %zu bytes\n",
               VEHICLES, mf * 1e3, t_pdf[0] * 1e3, t_pdf[RUNS - 1] * 1e3, RUNS, pdf_bytes);
        printf("baseline libxlsxwriter, same cells, no formats, one sheet: median %.1f ms\n",
               mp * 1e3);
        printf("baseline CSV with stdio, same rows:                          median %.1f ms\n",
               mc * 1e3);
        printf("export / bare xlsx: %.2fx; per vehicle %.1f us\n", me / mp, me / VEHICLES * 1e6);
        printf("PDF / CSV: %.0fx; per vehicle %.1f us\n", mf / mc, mf / VEHICLES * 1e6);
        double mpr = median(t_priced, RUNS), mun = median(t_unpriced, RUNS);
        printf("priced with the demo tariff + exported (xlsx + PDF): median %.1f ms; unpriced xlsx + PDF: "
               "median %.1f ms; pricing adds %.1f ms (%.2fx)\n",
               mpr * 1e3, mun * 1e3, (mpr - mun) * 1e3, mpr / mun);
        median(cpu_export, RUNS);
        median(cpu_pdf, RUNS);
        printf("CPU time of the fastest run: workbook %.1f ms, PDF %.1f ms\n", cpu_export[0] * 1e3, cpu_pdf[0] * 1e3);
        if (cpu_export[0] > 1.0 || cpu_pdf[0] > 1.0) {
            printf("FAIL: a %d-vehicle export should take well under a second\n", VEHICLES);
            status = 1;
        }
    }
    unlink(out);
    unlink(pdf_out);
    g_free(pdf_out);
    unlink(plain);
    unlink(csv);
    rmdir(dir);
    g_free(out);
    g_free(plain);
    g_free(csv);
    g_free(share);
    export_case_clear(&c);
    export_tariff_free(tariff);
    return status;
}
