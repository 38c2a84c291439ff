/* Benchmark: the streaming XLSX reader on generated fleet workbooks of 10,000 and 100,000
 * rows (libxlsxwriter, shared strings as Excel writes them), beside baselines reading the same
 * files in the same run: xlsx2csv and openpyxl in read-only mode. Each reader runs in its own
 * child process; peak memory is that child's ru_maxrss (wait4).
 *
 *   build/bench/bench_docs [ROWS...]      (default: 10000 100000)
 *
 * Memory of the reader = the attachment bytes + the shared-string table (random access into it
 * is what the format requires) + one row; the inline-string files show the flat part alone. */
#include "minca/core.h"
#include "minca/docs.h"
#include "minca/profile.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xlsxwriter.h>

static const char *const BRANDS[] = { "FORD", "NISSAN", "CHEVROLET", "VOLKSWAGEN", "TOYOTA", "KIA", "RAM" };
static const char *const LINES[] = { "RANGER", "NP300", "AVEO", "SAVEIRO", "HILUX", "RIO", "700" };

/* inline: strings written in the cells (constant_memory mode, like openpyxl writes them)
 * instead of a shared-string table (Excel's way). */
static int generate(const char *path, long rows, bool inline_strings)
{
    lxw_workbook_options opt = { .constant_memory = inline_strings };
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    lxw_worksheet *info = workbook_add_worksheet(wb, "Datos generales");
    worksheet_write_string(info, 0, 0, "RAZÓN SOCIAL", NULL);
    worksheet_write_string(info, 0, 1, "DISTRIBUIDORA DE PRUEBA, S.A. DE C.V.", NULL);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Relación vehicular");
    worksheet_write_string(ws, 0, 0, "PARQUE VEHICULAR", NULL);
    const char *hdr[] = { "NO. ECONÓMICO", "MARCA", "SUBMARCA", "DESCRIPCIÓN", "AÑO", "NIV",
                          "PLACA", "SUMA ASEGURADA", "COBERTURA", "USO" };
    for (int c = 0; c < 10; c++)
        worksheet_write_string(ws, 2, (lxw_col_t)c, hdr[c], NULL);
    char buf[64];
    for (long r = 0; r < rows; r++) {
        lxw_row_t row = (lxw_row_t)(3 + r);
        int k = (int)(r % 7);
        snprintf(buf, sizeof buf, "%04ld", r + 1);
        worksheet_write_string(ws, row, 0, buf, NULL);
        worksheet_write_string(ws, row, 1, BRANDS[k], NULL);
        worksheet_write_string(ws, row, 2, LINES[k], NULL);
        snprintf(buf, sizeof buf, "VERSION %ld 4P L4 1.6L AC AUT", r % 97);
        worksheet_write_string(ws, row, 3, buf, NULL);
        worksheet_write_number(ws, row, 4, 2015 + (double)(r % 10), NULL);
        snprintf(buf, sizeof buf, "3N1AB7AP%dKY%06ld", (int)(r % 10), r % 1000000);
        worksheet_write_string(ws, row, 5, buf, NULL);
        snprintf(buf, sizeof buf, "ABC-%03ld-%c", r % 1000, 'A' + (int)(r % 26));
        worksheet_write_string(ws, row, 6, buf, NULL);
        worksheet_write_number(ws, row, 7, 150000 + (double)(r % 500) * 1000, NULL);
        worksheet_write_string(ws, row, 8, r % 3 ? "AMPLIA" : "LIMITADA", NULL);
        worksheet_write_string(ws, row, 9, "CARGA", NULL);
    }
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
}

typedef struct measure {
    double seconds;
    long maxrss_kb;
    int status;
    long rows;       /* rows reported by our reader (via the exit pipe) */
} measure;

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

static int count_row(vehicle_row *row, void *user, minca_err *err)
{
    (void)row;
    (void)err;
    (*(long *)user)++;
    return 0;
}

/* mode 0: every row of every sheet; 1: canonical rows kept; 2: canonical rows streamed. */
static long read_ours(const char *path, int extract)
{
    char *data;
    size_t len;
    minca_err e = { 0 };
    if (core_read_file(path, 1u << 30, &data, &len, &e) != 0)
        return -1;
    long rows = 0;
    if (extract == 3) {
        rows = (long)len;   /* floor: the attachment bytes alone */
    } else if (extract) {
        profile_result res;
        long streamed = 0;
        profile_options opt = { .on_row = extract == 2 ? count_row : NULL, .user = &streamed };
        if (profile_extract(data, len, path, NULL, &opt, &res, &e) != 0) {
            fprintf(stderr, "bench: %s\n", e.msg);
            return -1;
        }
        rows = res.n_rows;
        profile_result_clear(&res);
    } else {
        docs_book *b;
        if (docs_open(data, len, path, NULL, &b, &e) != 0) {
            fprintf(stderr, "bench: %s\n", e.msg);
            return -1;
        }
        for (int s = 0; s < docs_sheet_count(b); s++) {
            const docs_row *row;
            if (docs_sheet_open(b, s, &e) != 0)
                break;
            while (docs_sheet_next(b, &row, &e) == 1)
                rows++;
        }
        docs_close(b);
    }
    g_free(data);
    return rows;
}

static measure run_child(const char *path, int mode, char *const argv[])
{
    measure m = { 0 };
    int fds[2];
    if (pipe(fds) != 0)
        return m;
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (mode >= 0) {
            long rows = read_ours(path, mode);
            if (write(fds[1], &rows, sizeof rows) < 0)
                _exit(3);
            _exit(rows < 0 ? 1 : 0);
        }
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    struct rusage ru;
    int status;
    wait4(pid, &status, 0, &ru);
    m.seconds = now() - t0;
    m.maxrss_kb = ru.ru_maxrss;
    m.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    if (mode >= 0 && read(fds[0], &m.rows, sizeof m.rows) != sizeof m.rows)
        m.rows = -1;
    close(fds[0]);
    return m;
}

static const char *python_with_openpyxl(void)
{
    static const char *const cands[] = { "/usr/bin/python3", "python3" };
    for (size_t i = 0; i < 2; i++) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "%s -c 'import openpyxl' 2>/dev/null", cands[i]);
        if (system(cmd) == 0)
            return cands[i];
    }
    return NULL;
}

static void line(const char *tool, long rows, const measure *m)
{
    if (m->status != 0) {
        printf("  %-44s %8ld rows  failed (status %d)\n", tool, rows, m->status);
        return;
    }
    printf("  %-44s %8ld rows  %7.2f s  %10.0f rows/s  peak %7.1f MiB\n", tool, rows, m->seconds,
           rows / (m->seconds > 0 ? m->seconds : 1e-9), m->maxrss_kb / 1024.0);
}

int main(int argc, char **argv)
{
    long sizes[8] = { 10000, 100000 };
    int n = 2;
    if (argc > 1) {
        n = 0;
        for (int i = 1; i < argc && n < 8; i++)
            sizes[n++] = atol(argv[i]);
    }
    const char *py = python_with_openpyxl();
    bool have_xlsx2csv = system("command -v xlsx2csv >/dev/null 2>&1") == 0;
    printf("XLSX reading: streaming reader vs baselines (each in its own process)\n");
    for (int k = 0; k < 2 * n; k++) {
        int i = k % n;
        bool inline_strings = k >= n;
        char path[128];
        snprintf(path, sizeof path, "/tmp/minca-bench-docs-%d-%ld.xlsx", (int)getpid(), sizes[i]);
        double t0 = now();
        /* Generated in a child: libxlsxwriter keeps the whole sheet in memory, and the parent
         * must stay small because forked readers start from its resident pages. */
        pid_t gen = fork();
        if (gen == 0)
            _exit(generate(path, sizes[i], inline_strings) == 0 ? 0 : 1);
        int gst = 1;
        waitpid(gen, &gst, 0);
        if (!WIFEXITED(gst) || WEXITSTATUS(gst) != 0) {
            fprintf(stderr, "bench: cannot generate %s\n", path);
            return 1;
        }
        struct stat_like { long size; } st = { 0 };
        FILE *f = fopen(path, "rb");
        if (f) {
            fseek(f, 0, SEEK_END);
            st.size = ftell(f);
            fclose(f);
        }
        printf("%ld vehicle rows, %s (%.1f MiB xlsx, generated in %.1f s):\n", sizes[i],
               inline_strings ? "inline strings" : "shared strings", st.size / 1048576.0, now() - t0);
        measure m = run_child(path, 3, NULL);
        printf("  %-44s %8s       %7.2f s  %17s  peak %7.1f MiB\n", "floor: the file's bytes in memory, no parsing", "",
               m.seconds, "", m.maxrss_kb / 1024.0);
        m = run_child(path, 0, NULL);
        line("minca docs reader (every row, typed cells)", sizes[i], &m);
        if (m.rows < sizes[i])
            printf("  !! reader returned %ld rows\n", m.rows);
        m = run_child(path, 1, NULL);
        line("minca profile_extract (auto map, rows kept)", sizes[i], &m);
        m = run_child(path, 2, NULL);
        line("minca profile_extract (auto map, on_row stream)", sizes[i], &m);
        if (have_xlsx2csv) {
            char *av[] = { "xlsx2csv", "-a", path, NULL };
            m = run_child(path, -1, av);
            line("baseline: xlsx2csv -a (all sheets)", sizes[i], &m);
        } else {
            printf("  baseline xlsx2csv not installed\n");
        }
        if (py) {
            char script[512];
            snprintf(script, sizeof script,
                     "import openpyxl\nwb=openpyxl.load_workbook('%s',read_only=True)\nn=0\n"
                     "for ws in wb.worksheets:\n  for r in ws.iter_rows(values_only=True): n+=1\n", path);
            char *av[] = { (char *)py, "-c", script, NULL };
            m = run_child(path, -1, av);
            line("baseline: openpyxl read_only", sizes[i], &m);
        } else {
            printf("  baseline openpyxl not installed\n");
        }
        unlink(path);
    }
    return 0;
}
