/* Benchmark: the ODS reader beside the XLSX reader on the same fleet rows. Both files are
 * generated here from one row list: the XLSX with libxlsxwriter (shared strings, as Excel and
 * Calc write it), the ODS as Calc writes it (mimetype stored first, typed cells with
 * office:value and the text shown, a column style list, the empty rest of the sheet as one
 * row repeated a million times). Each file is opened and every row of every sheet read, many
 * times over in this process; the median CPU time of the process is reported (the machine may
 * be shared: wall time would measure the neighbours).
 *
 *   build/bench/bench_docs_ods [ROWS...]      (default: 1000 10000)
 */
#include "minca/core.h"
#include "minca/docs.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

static const char *const BRANDS[] = { "FORD", "NISSAN", "CHEVROLET", "VOLKSWAGEN", "TOYOTA", "KIA", "RAM" };
static const char *const LINES[] = { "RANGER", "NP300", "AVEO", "SAVEIRO", "HILUX", "RIO", "700" };
static const char *const HEADERS[] = { "NO. ECONÓMICO", "MARCA", "SUBMARCA", "DESCRIPCIÓN", "AÑO",
                                       "NIV", "PLACA", "SUMA ASEGURADA", "COBERTURA", "USO" };
#define NCOLS 10

/* One row of the list: text cells, or numbers (is_num) */
typedef struct cell {
    char text[64];
    double num;
    bool is_num;
} cell;

static void fleet_row(long r, cell out[NCOLS])
{
    int k = (int)(r % 7);
    memset(out, 0, sizeof(cell) * NCOLS);
    snprintf(out[0].text, 64, "%04ld", r + 1);
    snprintf(out[1].text, 64, "%s", BRANDS[k]);
    snprintf(out[2].text, 64, "%s", LINES[k]);
    snprintf(out[3].text, 64, "VERSION %ld 4P L4 1.6L AC AUT", r % 97);
    out[4].is_num = true;
    out[4].num = 2015 + (double)(r % 10);
    snprintf(out[5].text, 64, "3N1AB7AP%dKY%06ld", (int)(r % 10), r % 1000000);
    snprintf(out[6].text, 64, "ABC-%03ld-%c", r % 1000, 'A' + (int)(r % 26));
    out[7].is_num = true;
    out[7].num = 150000 + (double)(r % 500) * 1000;
    snprintf(out[8].text, 64, "%s", r % 3 ? "AMPLIA" : "LIMITADA");
    snprintf(out[9].text, 64, "CARGA");
}

static int write_xlsx(const char *path, long rows)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Relación vehicular");
    worksheet_write_string(ws, 0, 0, "PARQUE VEHICULAR", NULL);
    for (int c = 0; c < NCOLS; c++)
        worksheet_write_string(ws, 2, (lxw_col_t)c, HEADERS[c], NULL);
    cell row[NCOLS];
    for (long r = 0; r < rows; r++) {
        fleet_row(r, row);
        for (int c = 0; c < NCOLS; c++) {
            if (row[c].is_num)
                worksheet_write_number(ws, (lxw_row_t)(3 + r), (lxw_col_t)c, row[c].num, NULL);
            else
                worksheet_write_string(ws, (lxw_row_t)(3 + r), (lxw_col_t)c, row[c].text, NULL);
        }
    }
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
}

static void ods_text_cell(GString *x, const char *t)
{
    char *esc = g_markup_escape_text(t, -1);
    g_string_append_printf(x, "<table:table-cell office:value-type=\"string\" calcext:value-type=\"string\">"
                              "<text:p>%s</text:p></table:table-cell>", esc);
    g_free(esc);
}

static char *ods_content(long rows)
{
    GString *x = g_string_new(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "
        "xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" "
        "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "
        "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "
        "xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" "
        "xmlns:calcext=\"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0\" office:version=\"1.3\">"
        "<office:automatic-styles>"
        "<style:style style:name=\"co1\" style:family=\"table-column\"><style:table-column-properties style:column-width=\"2.5cm\"/></style:style>"
        "<style:style style:name=\"ro1\" style:family=\"table-row\"><style:table-row-properties style:row-height=\"0.45cm\"/></style:style>"
        "<style:style style:name=\"ta1\" style:family=\"table\"><style:table-properties table:display=\"true\"/></style:style>"
        "</office:automatic-styles><office:body><office:spreadsheet>"
        "<table:table table:name=\"Relación vehicular\" table:style-name=\"ta1\">"
        "<table:table-column table:style-name=\"co1\" table:number-columns-repeated=\"10\" table:default-cell-style-name=\"Default\"/>"
        "<table:table-column table:style-name=\"co1\" table:number-columns-repeated=\"1014\" table:default-cell-style-name=\"Default\"/>");
    g_string_append(x, "<table:table-row table:style-name=\"ro1\">");
    ods_text_cell(x, "PARQUE VEHICULAR");
    g_string_append(x, "<table:table-cell table:number-columns-repeated=\"1023\"/></table:table-row>"
                       "<table:table-row table:style-name=\"ro1\"><table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>"
                       "<table:table-row table:style-name=\"ro1\">");
    for (int c = 0; c < NCOLS; c++)
        ods_text_cell(x, HEADERS[c]);
    g_string_append(x, "<table:table-cell table:number-columns-repeated=\"1014\"/></table:table-row>");
    cell row[NCOLS];
    for (long r = 0; r < rows; r++) {
        fleet_row(r, row);
        g_string_append(x, "<table:table-row table:style-name=\"ro1\">");
        for (int c = 0; c < NCOLS; c++) {
            if (row[c].is_num)
                g_string_append_printf(x, "<table:table-cell office:value-type=\"float\" office:value=\"%.0f\" "
                                          "calcext:value-type=\"float\"><text:p>%.0f</text:p></table:table-cell>",
                                       row[c].num, row[c].num);
            else
                ods_text_cell(x, row[c].text);
        }
        g_string_append(x, "<table:table-cell table:number-columns-repeated=\"1014\"/></table:table-row>");
    }
    g_string_append(x, "<table:table-row table:style-name=\"ro1\" table:number-rows-repeated=\"1048000\">"
                       "<table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>"
                       "</table:table></office:spreadsheet></office:body></office:document-content>");
    return g_string_free(x, FALSE);
}

static int write_ods(const char *path, long rows)
{
    static const char *mime = "application/vnd.oasis.opendocument.spreadsheet";
    static const char *manifest =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\">"
        "<manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>"
        "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>";
    char *content = ods_content(rows);
    int zerr;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (!z) {
        g_free(content);
        return -1;
    }
    const char *names[] = { "mimetype", "content.xml", "META-INF/manifest.xml" };
    const char *texts[] = { mime, content, manifest };
    for (int i = 0; i < 3; i++) {
        zip_source_t *s = zip_source_buffer(z, texts[i], strlen(texts[i]), 0);
        zip_int64_t idx = zip_file_add(z, names[i], s, ZIP_FL_OVERWRITE);
        if (idx >= 0 && i == 0)
            zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    int rc = zip_close(z) == 0 ? 0 : -1;
    g_free(content);
    return rc;
}

/* Opens the file and reads every row of every sheet; the rows read, or -1. */
static long read_all(const char *data, size_t len, const char *name)
{
    docs_book *b;
    minca_err e = { 0 };
    if (docs_open(data, len, name, NULL, &b, &e) != 0) {
        fprintf(stderr, "bench: %s\n", e.msg);
        return -1;
    }
    long rows = 0;
    for (int s = 0; s < docs_sheet_count(b); s++) {
        const docs_row *row;
        if (docs_sheet_open(b, s, &e) != 0)
            break;
        int rc;
        while ((rc = docs_sheet_next(b, &row, &e)) == 1)
            rows++;
        if (rc < 0) {
            fprintf(stderr, "bench: %s\n", e.msg);
            rows = -1;
            break;
        }
    }
    docs_close(b);
    return rows;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median CPU seconds of one full read of each file; the reads alternate (at least 7 of each
 * and 1 s of work in all), so that a busy neighbour slows both alike. */
static int time_reads(const char *const paths[2], long want_rows, double med[2], long rows_out[2])
{
    enum { MAX_REPS = 301 };
    char *data[2] = { NULL, NULL };
    size_t len[2];
    double *t[2] = { g_new(double, MAX_REPS), g_new(double, MAX_REPS) };
    minca_err e = { 0 };
    int reps = 0, rc = -1;
    for (int k = 0; k < 2; k++)
        if (core_read_file(paths[k], 1u << 30, &data[k], &len[k], &e) != 0)
            goto done;
    double total = 0;
    while (reps < MAX_REPS && (reps < 7 || total < 1.0)) {
        for (int k = 0; k < 2; k++) {
            double t0 = cpu_seconds();
            rows_out[k] = read_all(data[k], len[k], paths[k]);
            t[k][reps] = cpu_seconds() - t0;
            total += t[k][reps];
            if (rows_out[k] < want_rows)
                goto done;
        }
        reps++;
    }
    for (int k = 0; k < 2; k++) {
        qsort(t[k], (size_t)reps, sizeof(double), cmp_double);
        med[k] = t[k][reps / 2];
    }
    rc = 0;
done:
    for (int k = 0; k < 2; k++) {
        g_free(data[k]);
        g_free(t[k]);
    }
    return rc;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    if (f) {
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fclose(f);
    }
    return n;
}

int main(int argc, char **argv)
{
    long sizes[8] = { 1000, 10000 };
    int n = 2;
    if (argc > 1) {
        n = 0;
        for (int i = 1; i < argc && n < 8; i++)
            sizes[n++] = atol(argv[i]);
    }
    int status = 0;
    printf("ODS beside XLSX: the same fleet rows, opened and read whole (median CPU time of alternating reads)\n");
    for (int i = 0; i < n; i++) {
        char xlsx[128], ods[128];
        snprintf(xlsx, sizeof xlsx, "/tmp/minca-bench-ods-%d-%ld.xlsx", (int)getpid(), sizes[i]);
        snprintf(ods, sizeof ods, "/tmp/minca-bench-ods-%d-%ld.ods", (int)getpid(), sizes[i]);
        if (write_xlsx(xlsx, sizes[i]) != 0 || write_ods(ods, sizes[i]) != 0) {
            fprintf(stderr, "bench: cannot generate the files\n");
            return 1;
        }
        long want = sizes[i] + 2;   /* title and header rows */
        const char *paths[2] = { xlsx, ods };
        double med[2] = { 0, 0 };
        long rows[2] = { 0, 0 };
        int trc = time_reads(paths, want, med, rows);
        long rx = rows[0], ro = rows[1];
        printf("%ld vehicle rows (xlsx %.1f KiB, ods %.1f KiB):\n", sizes[i], file_size(xlsx) / 1024.0,
               file_size(ods) / 1024.0);
        if (trc == 0) {
            printf("  %-28s %8ld rows  %8.2f ms CPU  %10.0f rows/s\n", "xlsx reader", rx, med[0] * 1e3, rx / med[0]);
            printf("  %-28s %8ld rows  %8.2f ms CPU  %10.0f rows/s\n", "ods reader", ro, med[1] * 1e3, ro / med[1]);
            printf("  ods / xlsx time ratio: %.2f\n", med[1] / med[0]);
        }
        if (rx != want || ro != want) {
            printf("  !! rows read: xlsx %ld, ods %ld, expected %ld\n", rx, ro, want);
            status = 1;
        }
        unlink(xlsx);
        unlink(ods);
    }
    return status;
}
