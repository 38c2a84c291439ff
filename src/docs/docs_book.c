/* docs: format sniffing, limits, the book object shared by every reader, small helpers. */
#include "docs_internal.h"
#include "minca/core_text.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

docs_format docs_sniff(const void *data, size_t len)
{
    const unsigned char *d = data;
    if (len == 0)
        return DOCS_FMT_EMPTY;
    docs_sniffed s = { .data = d, .len = len, .text = true };
    size_t n = len < 8192 ? len : 8192, ctrl = 0;
    for (size_t i = 0; i < n && s.text; i++) {
        if (d[i] == 0)
            s.text = false;
        else if (d[i] < 0x20 && d[i] != '\t' && d[i] != '\r' && d[i] != '\n' && d[i] != '\f')
            ctrl++;
    }
    if (ctrl * 20 > n)
        s.text = false;
    char *head = NULL;
    if (s.text) {
        size_t i = len >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
            i++;
        if (i < n && d[i] == '<')
            s.markup = head = g_ascii_strdown((const char *)d + i, (gssize)(n - i));
    }
    size_t nr;
    const docs_reader *r = docs_reader_first(&nr);
    docs_format f = DOCS_FMT_UNKNOWN;
    for (size_t i = 0; i < nr && f == DOCS_FMT_UNKNOWN; i++)
        if (r[i].sniff && r[i].sniff(&s))
            f = r[i].format;
    g_free(head);
    return f;
}

void docs_limits_default(docs_limits *lim)
{
    lim->max_input_bytes = 64u << 20;
    lim->max_uncompressed_bytes = 512ull << 20;
    lim->max_ratio = 200.0;
    lim->max_rows = 1048576;
    lim->max_cols = 512;
    lim->max_repeated_cells = 4194304;
    lim->max_cell_bytes = 32768;
    lim->max_sheets = 64;
    lim->max_pages = 500;
    lim->max_pixels = 100000000;
    lim->max_ocr_pages = 10;
}

docs_book *docs_book_alloc(docs_format format, const docs_reader_ops *ops, const char *name,
                           const docs_limits *lim)
{
    docs_book *b = g_malloc0_n(1, sizeof *b);
    b->format = format;
    b->ops = ops;
    b->name = g_strdup(name ? name : "");
    if (lim)
        b->lim = *lim;
    else
        docs_limits_default(&b->lim);
    b->sheet_names = g_ptr_array_new_with_free_func(g_free);
    b->sheet_hidden = g_array_new(FALSE, FALSE, sizeof(gboolean));
    b->open_sheet = -1;
    b->cells = g_array_new(FALSE, TRUE, sizeof(docs_cell));
    b->texts = g_ptr_array_new_with_free_func(g_free);
    b->merges = g_array_new(FALSE, FALSE, sizeof(docs_range));
    return b;
}

void docs_book_add_sheet(docs_book *book, const char *name, bool hidden)
{
    g_ptr_array_add(book->sheet_names, g_strdup(name ? name : ""));
    gboolean h = hidden;
    g_array_append_val(book->sheet_hidden, h);
}

static const char *file_label(const docs_book *b)
{
    return b->name[0] ? b->name : "attachment";
}

int docs_open(const void *data, size_t len, const char *name_hint, const docs_limits *lim,
              docs_book **out, minca_err *err)
{
    *out = NULL;
    docs_limits def;
    if (!lim) {
        docs_limits_default(&def);
        lim = &def;
    }
    const char *label = name_hint && *name_hint ? name_hint : "attachment";
    if (len > lim->max_input_bytes)
        return minca_err_set(err, "%s: %zu bytes exceeds the input size limit (max_input_bytes = %zu)",
                             label, len, lim->max_input_bytes);
    docs_format f = docs_sniff(data, len);
    if (f == DOCS_FMT_EMPTY)
        return minca_err_set(err, "%s: the file is empty", label);
    const docs_reader *rd = docs_reader_of(f);
    if (!rd || !rd->sniff)
        return minca_err_set(err, "%s: unrecognised binary format (not XLSX, XLS or CSV)", label);
    if (!rd->open)
        return minca_err_set(err, "%s: %s", label, rd->refusal ? rd->refusal : "not a spreadsheet");
    docs_book *b = docs_book_alloc(f, rd->ops, name_hint, lim);
    int rc = rd->open(data, len, b, err);
    if (rc != 0) {
        docs_close(b);
        return -1;
    }
    if (docs_sheet_count(b) > lim->max_sheets) {
        minca_err_set(err, "%s: %d sheets exceeds the sheet limit (max_sheets = %d)", label,
                      docs_sheet_count(b), lim->max_sheets);
        docs_close(b);
        return -1;
    }
    *out = b;
    return 0;
}

void docs_close(docs_book *book)
{
    if (!book)
        return;
    if (book->ops && book->ops->close)
        book->ops->close(book);
    g_ptr_array_free(book->sheet_names, TRUE);
    g_array_free(book->sheet_hidden, TRUE);
    g_array_free(book->cells, TRUE);
    g_ptr_array_free(book->texts, TRUE);
    g_array_free(book->merges, TRUE);
    g_free(book->name);
    g_free(book);
}

docs_format docs_book_format(const docs_book *book) { return book->format; }
const char *docs_book_encoding(const docs_book *book) { return book->encoding; }
char docs_book_delimiter(const docs_book *book) { return book->delimiter; }
int docs_sheet_count(const docs_book *book) { return (int)book->sheet_names->len; }

const char *docs_sheet_name(const docs_book *book, int sheet)
{
    if (sheet < 0 || sheet >= docs_sheet_count(book))
        return "";
    return g_ptr_array_index(book->sheet_names, (guint)sheet);
}

bool docs_sheet_hidden(const docs_book *book, int sheet)
{
    if (sheet < 0 || sheet >= docs_sheet_count(book))
        return false;
    return g_array_index(book->sheet_hidden, gboolean, (guint)sheet);
}

int docs_sheet_open(docs_book *book, int sheet, minca_err *err)
{
    if (sheet < 0 || sheet >= docs_sheet_count(book))
        return minca_err_set(err, "%s: no sheet %d", file_label(book), sheet);
    g_array_set_size(book->merges, 0);
    book->rows_in_sheet = 0;
    book->open_sheet = -1;
    if (book->ops->sheet_open(book, sheet, err) != 0)
        return -1;
    book->open_sheet = sheet;
    return 0;
}

int docs_sheet_next(docs_book *book, const docs_row **row, minca_err *err)
{
    *row = NULL;
    if (book->open_sheet < 0)
        return minca_err_set(err, "%s: no sheet open", file_label(book));
    int rc = book->ops->sheet_next(book, err);
    if (rc == 1) {
        if (++book->rows_in_sheet > book->lim.max_rows)
            return minca_err_set(err, "%s: sheet '%s' has more than %ld rows (max_rows)",
                                 file_label(book), docs_sheet_name(book, book->open_sheet),
                                 book->lim.max_rows);
        *row = &book->row;
    }
    return rc;
}

void docs_sheet_merges(const docs_book *book, const docs_range **ranges, int *n)
{
    *ranges = (const docs_range *)(void *)book->merges->data;
    *n = (int)book->merges->len;
}

/* ---- isolated parsing ---- */

void docs_child_fail(FILE *out, const char *msg)
{
    uint32_t n = (uint32_t)strlen(msg);
    rewind(out);
    fputc('X', out);
    fwrite(&n, 4, 1, out);
    fwrite(msg, 1, n, out);
    fflush(out);
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

#if defined(__SANITIZE_ADDRESS__)
#define DOCS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DOCS_ASAN 1
#endif
#endif

#define CHILD_ENV "MINCA_DOCS_CHILD"
#define LIMITS_ENV "MINCA_DOCS_CHILD_LIMITS"
#define CHILD_IN 3
#define CHILD_OUT 4

static docs_child_parse child_fn(const char *kind)
{
    const docs_reader *r = docs_reader_named(kind);
    return r ? r->child : NULL;
}

/* Runs a parse function over fd CHILD_IN, writing to CHILD_OUT; returns the exit status. */
static int child_run(docs_child_parse fn, const docs_limits *lim)
{
    struct stat st;
    if (fstat(CHILD_IN, &st) != 0 || st.st_size < 0)
        return 3;
    size_t len = (size_t)st.st_size;
    void *data = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, CHILD_IN, 0) : (void *)"";
    if (data == MAP_FAILED)
        return 3;
    FILE *f = fdopen(CHILD_OUT, "w");
    if (!f)
        return 3;
    int status = fn(data, len, CHILD_IN, f, lim);
    fflush(f);
    return status;
}

/* The re-executed program as a parser child: never returns. */
__attribute__((constructor)) static void docs_child_main(void)
{
    const char *kind = getenv(CHILD_ENV);
    if (!kind)
        return;
    docs_child_parse fn = child_fn(kind);
    const char *hex = getenv(LIMITS_ENV);
    docs_limits lim;
    docs_limits_default(&lim);
    if (hex && strlen(hex) == 2 * sizeof lim) {
        unsigned char *p = (unsigned char *)&lim;
        for (size_t i = 0; i < sizeof lim; i++) {
            unsigned v = 0;
            sscanf(hex + 2 * i, "%2x", &v);
            p[i] = (unsigned char)v;
        }
    }
    _exit(fn ? child_run(fn, &lim) : 3);
}

/* The parser child's environment (g_free the array, *env_kind and *env_lim): its kind, the
 * book's limits, and of this process's environment only what parsing and the sanitizers need.
 * The child reads hostile bytes: it gets no secrets (database and Redis URLs, passwords, tokens). */
static char **child_environment(const docs_book *b, const docs_isolation *iso, char **env_kind, char **env_lim)
{
    GString *hex = g_string_new(LIMITS_ENV "=");
    for (size_t i = 0; i < sizeof b->lim; i++)
        g_string_append_printf(hex, "%02x", ((const unsigned char *)&b->lim)[i]);
    *env_lim = g_string_free(hex, FALSE);
    *env_kind = g_strdup_printf(CHILD_ENV "=%s", iso->kind);
    static const char *const keep[] = {"LANG=", "LC_ALL=", "LC_CTYPE=", "TZ=", "ASAN_OPTIONS=",
                                       "UBSAN_OPTIONS=", "LSAN_OPTIONS=", NULL};
    size_t n_env = 0;
    while (environ[n_env])
        n_env++;
    char **envp = g_new0(char *, G_N_ELEMENTS(keep) + 4);
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++)
        for (int j = 0; keep[j]; j++)
            if (strncmp(environ[i], keep[j], strlen(keep[j])) == 0 && k < G_N_ELEMENTS(keep)) {
                envp[k++] = environ[i];
                break;
            }
    envp[k++] = *env_kind;
    envp[k++] = *env_lim;
    /* one thread: Tesseract's OpenMP workers spin on a busy machine, burning the CPU limit
     * (three times the CPU of one thread for the same page) */
    envp[k++] = (char *)"OMP_THREAD_LIMIT=1";
    return envp;
}

/* In the forked child: the memory files in place, the limits set, the parser executed (or run
 * in this copy without /proc). Only system calls: nothing is allocated after the fork. */
static _Noreturn void run_child(docs_book *b, const docs_isolation *iso, docs_child_parse fn, int in_fd, int out_fd,
                                int null_fd, char **envp)
{
    char *argv[] = { "minca-parser", (char *)iso->kind, NULL };
    struct rlimit cpu = { (rlim_t)iso->seconds, (rlim_t)iso->seconds };
    /* the limits must be able to stop it whatever the forking thread blocked or ignored */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGALRM, SIG_DFL);
    signal(SIGXCPU, SIG_DFL);
    dup2(in_fd, CHILD_IN);
    dup2(out_fd, CHILD_OUT);
    if (null_fd >= 0)
        dup2(null_fd, 2);
    setrlimit(RLIMIT_CPU, &cpu);
#ifndef DOCS_ASAN
    if (iso->max_memory > 0) {
        struct rlimit as = { iso->max_memory, iso->max_memory };
        setrlimit(RLIMIT_AS, &as);
    }
#endif
    alarm((unsigned)iso->seconds * 2);
    execve("/proc/self/exe", argv, envp);
    /* no /proc: parse in this forked copy */
    _exit(child_run(fn, &b->lim));
}

/* Whether the parser child ended in failure (a signal, its limits, an error it wrote into buf
 * as 'X', length, text): err says why. */
static bool parser_failed(docs_book *b, const docs_isolation *iso, int status, const unsigned char *buf, size_t n,
                          minca_err *err)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        minca_err_set(err, "%s: not a readable %s: the parser %s (signal %d); the file is "
                           "damaged or crafted", file_label(b), iso->what,
                      sig == SIGXCPU || sig == SIGALRM ? "ran out of time" : "crashed", sig);
        return true;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        uint32_t mlen;
        if (n > 5 && buf[0] == 'X' && (memcpy(&mlen, buf + 1, 4), mlen <= n - 5))
            minca_err_set(err, "%s: %.*s", file_label(b), (int)mlen, (const char *)buf + 5);
        else
            minca_err_set(err, "%s: not a readable %s (the parser failed with status %d)",
                          file_label(b), iso->what, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return true;
    }
    return false;
}

int docs_parse_isolated(docs_book *b, const void *data, size_t len, const docs_isolation *iso,
                        unsigned char **out, size_t *out_len, minca_err *err)
{
    *out = NULL;
    *out_len = 0;
    int in_fd = memfd_create("minca-parse-in", MFD_CLOEXEC);
    int out_fd = memfd_create("minca-parse-out", MFD_CLOEXEC);
#ifdef DOCS_ASAN
    int null_fd = -1;   /* sanitizer reports of the child stay visible */
#else
    int null_fd = iso->quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
#endif
    int rc = -1;
    unsigned char *buf = NULL;
    size_t n = 0;
    char **envp = NULL;
    char *env_kind = NULL, *env_lim = NULL;
    docs_child_parse fn = child_fn(iso->kind);
    if (in_fd < 0 || out_fd < 0) {
        minca_err_set(err, "%s: cannot create a memory file: %s", file_label(b), strerror(errno));
        goto done;
    }
    /* above the child's fixed descriptors, so that placing them clobbers nothing */
    int hi_in = fcntl(in_fd, F_DUPFD_CLOEXEC, 10), hi_out = fcntl(out_fd, F_DUPFD_CLOEXEC, 10);
    close(in_fd);
    close(out_fd);
    in_fd = hi_in;
    out_fd = hi_out;
    if (in_fd < 0 || out_fd < 0 || !fn) {
        minca_err_set(err, "%s: cannot start the %s parser", file_label(b), iso->what);
        goto done;
    }
    if (write_all(in_fd, data, len) != 0) {
        minca_err_set(err, "%s: cannot buffer the %s: %s", file_label(b), iso->what, strerror(errno));
        goto done;
    }
    /* Everything the child needs is prepared here: after the fork it only makes system calls. */
    envp = child_environment(b, iso, &env_kind, &env_lim);
    fflush(NULL);   /* nothing buffered is written twice by the child */
    pid_t pid = fork();
    if (pid < 0) {
        minca_err_set(err, "%s: cannot start the %s parser: %s", file_label(b), iso->what, strerror(errno));
        goto done;
    }
    if (pid == 0)
        run_child(b, iso, fn, in_fd, out_fd, null_fd, envp);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    struct stat st;
    if (fstat(out_fd, &st) != 0 || st.st_size < 0) {
        minca_err_set(err, "%s: cannot read the %s parser's output", file_label(b), iso->what);
        goto done;
    }
    n = (size_t)st.st_size;
    buf = g_malloc(n ? n : 1);
    if (!buf || (n && pread(out_fd, buf, n, 0) != (ssize_t)n)) {
        minca_err_set(err, "%s: cannot read the %s parser's output", file_label(b), iso->what);
        goto done;
    }
    if (parser_failed(b, iso, status, buf, n, err))
        goto done;
    *out = buf;
    *out_len = n;
    buf = NULL;
    rc = 0;
done:
    g_free(buf);
    g_free(envp);
    g_free(env_kind);
    g_free(env_lim);
    if (in_fd >= 0)
        close(in_fd);
    if (out_fd >= 0)
        close(out_fd);
    if (null_fd >= 0)
        close(null_fd);
    return rc;
}

/* ---- row buffer ---- */

void docs_row_begin(docs_book *book, long row_number, bool hidden)
{
    g_array_set_size(book->cells, 0);
    g_ptr_array_set_size(book->texts, 0);
    book->row.row = row_number;
    book->row.hidden = hidden;
    book->row.n_cells = 0;
    book->row.cells = NULL;
}

int docs_row_set(docs_book *book, int col, docs_cell_type type, const char *text, size_t len,
                 double number, unsigned flags, minca_err *err)
{
    if (col < 0)
        return 0;
    if (col >= book->lim.max_cols) {
        char name[8];
        docs_col_name(col, name);
        return minca_err_set(err, "%s: row %ld uses column %s, beyond the column limit "
                                  "(max_cols = %d)", file_label(book), book->row.row, name,
                             book->lim.max_cols);
    }
    if (len > book->lim.max_cell_bytes) {
        char name[8];
        docs_col_name(col, name);
        return minca_err_set(err, "%s: cell %s%ld holds %zu bytes, beyond the cell length limit "
                                  "(max_cell_bytes = %zu)", file_label(book), name,
                             book->row.row, len, book->lim.max_cell_bytes);
    }
    if ((guint)col >= book->cells->len)
        g_array_set_size(book->cells, (guint)col + 1);   /* zero-filled: EMPTY, text NULL */
    docs_cell *c = &g_array_index(book->cells, docs_cell, (guint)col);
    char *copy = g_strndup(text ? text : "", len);
    if (!g_utf8_validate(copy, -1, NULL)) {
        char *fixed = g_utf8_make_valid(copy, -1);
        g_free(copy);
        copy = fixed;
    }
    g_ptr_array_add(book->texts, copy);
    c->type = type;
    c->text = copy;
    c->number = number;
    c->flags = flags;
    c->confidence = 100;
    if (type == DOCS_CELL_TEXT && copy[0] == '\0' && !(flags & DOCS_CELL_ERROR))
        c->type = DOCS_CELL_EMPTY;
    return 0;
}

void docs_row_set_confidence(docs_book *book, int col, double confidence)
{
    if (col < 0 || (guint)col >= book->cells->len)
        return;
    docs_cell *c = &g_array_index(book->cells, docs_cell, (guint)col);
    c->flags |= DOCS_CELL_OCR;
    c->confidence = confidence;
}

void docs_row_finish(docs_book *book)
{
    /* Drop trailing empty cells; give empty cells "" text. */
    guint n = book->cells->len;
    while (n > 0 && g_array_index(book->cells, docs_cell, n - 1).type == DOCS_CELL_EMPTY)
        n--;
    g_array_set_size(book->cells, n);
    for (guint i = 0; i < n; i++) {
        docs_cell *c = &g_array_index(book->cells, docs_cell, i);
        if (!c->text)
            c->text = "";
    }
    /* Flag cells inside merged ranges (skipped for absurd numbers of ranges). */
    if (book->merges->len && book->merges->len <= 2000) {
        for (guint m = 0; m < book->merges->len; m++) {
            const docs_range *r = &g_array_index(book->merges, docs_range, m);
            if (book->row.row < r->first_row || book->row.row > r->last_row)
                continue;
            for (int c = r->first_col - 1; c < r->last_col && c < (int)n; c++)
                if (c >= 0)
                    g_array_index(book->cells, docs_cell, (guint)c).flags |= DOCS_CELL_MERGED;
        }
    }
    book->row.n_cells = (int)n;
    book->row.cells = (const docs_cell *)(void *)book->cells->data;
}

bool docs_row_is_blank(const docs_row *row)
{
    for (int i = 0; i < row->n_cells; i++) {
        if (row->cells[i].type == DOCS_CELL_EMPTY)
            continue;
        const char *t = row->cells[i].text;
        while (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n')
            t++;
        if (*t)
            return false;
    }
    return true;
}

/* ---- helpers ---- */

void docs_number_text(double v, char buf[40])
{
    if (!isfinite(v)) {
        snprintf(buf, 40, "%s", isnan(v) ? "NaN" : (v > 0 ? "Inf" : "-Inf"));
        return;
    }
    snprintf(buf, 40, "%.15g", v);
}

bool docs_serial_to_iso(double serial, char out[11])
{
    if (!isfinite(serial) || serial < 1 || serial > 2958465)
        return false;
    long days = (long)floor(serial);
    /* Excel's 1900 system counts a non-existent 1900-02-29 (serial 60). */
    if (days < 60)
        days += 1;
    GDate *d = g_date_new_dmy(30, G_DATE_DECEMBER, 1899);
    g_date_add_days(d, (guint)days);
    core_fmt(out, 11, "%04d-%02d-%02d", g_date_get_year(d) % 10000, g_date_get_month(d) % 100,
             g_date_get_day(d) % 100);
    g_date_free(d);
    return true;
}

int docs_parse_ref(const char *ref, int *col, long *row)
{
    int c = 0, letters = 0;
    const char *p = ref;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
        c = c * 26 + ((*p & 0x1F));
        if (++letters > 3)
            return -1;
        p++;
    }
    long r = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        r = r * 10 + (*p - '0');
        if (++digits > 7)
            return -1;
        p++;
    }
    if (letters == 0 || *p)
        return -1;
    *col = c - 1;
    *row = digits ? r : 0;
    return 0;
}

void docs_col_name(int col, char out[8])
{
    char tmp[8];
    int n = 0;
    col += 1;
    while (col > 0 && n < 7) {
        int rem = (col - 1) % 26;
        tmp[n++] = (char)('A' + rem);
        col = (col - 1) / 26;
    }
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

char *docs_fold(const char *s)
{
    if (!s)
        return g_strdup("");
    char *folded = text_fold(s, TEXT_FOLD_ASCII | TEXT_FOLD_WORDS);
    if (folded && !*folded) {
        /* punctuation-only headers such as "#" fold to themselves, trimmed */
        g_free(folded);
        char *trimmed = g_strstrip(g_strdup(s));
        folded = g_strdup(trimmed);
        g_free(trimmed);
    }
    return folded;
}

/* ---- grid source ---- */

struct docs_grid {
    char *name;
    GPtrArray *rows;   /* grid_row* */
};

typedef struct grid_row {
    long number;
    int n;
    char **cells;
} grid_row;

static void grid_row_free(gpointer p)
{
    grid_row *r = p;
    for (int i = 0; i < r->n; i++)
        g_free(r->cells[i]);
    g_free(r->cells);
    g_free(r);
}

docs_grid *docs_grid_new(const char *name)
{
    docs_grid *g = g_new0(docs_grid, 1);
    g->name = g_strdup(name ? name : "");
    g->rows = g_ptr_array_new_with_free_func(grid_row_free);
    return g;
}

void docs_grid_add_row(docs_grid *grid, long row_number, const char *const *cells, int n)
{
    grid_row *r = g_new0(grid_row, 1);
    long prev = grid->rows->len ? ((grid_row *)g_ptr_array_index(grid->rows, grid->rows->len - 1))->number : 0;
    r->number = row_number > 0 ? row_number : prev + 1;
    r->n = n > 0 ? n : 0;
    r->cells = g_new0(char *, r->n ? r->n : 1);
    for (int i = 0; i < r->n; i++)
        r->cells[i] = g_strdup(cells[i] ? cells[i] : "");
    g_ptr_array_add(grid->rows, r);
}

void docs_grid_free(docs_grid *grid)
{
    if (!grid)
        return;
    g_ptr_array_free(grid->rows, TRUE);
    g_free(grid->name);
    g_free(grid);
}

typedef struct grid_state {
    docs_grid *grid;
    guint next;
} grid_state;

static int grid_sheet_open(docs_book *book, int sheet, minca_err *err)
{
    (void)sheet;
    (void)err;
    ((grid_state *)book->impl)->next = 0;
    return 0;
}

static int grid_sheet_next(docs_book *book, minca_err *err)
{
    grid_state *st = book->impl;
    if (st->next >= st->grid->rows->len)
        return 0;
    grid_row *r = g_ptr_array_index(st->grid->rows, st->next++);
    docs_row_begin(book, r->number, false);
    for (int i = 0; i < r->n; i++) {
        char *t = r->cells[i];
        if (docs_row_set(book, i, DOCS_CELL_TEXT, t, strlen(t), 0, 0, err) != 0)
            return -1;
    }
    docs_row_finish(book);
    return 1;
}

static void grid_close(docs_book *book)
{
    grid_state *st = book->impl;
    if (st) {
        docs_grid_free(st->grid);
        g_free(st);
    }
}

const docs_reader_ops docs_grid_ops = { grid_sheet_open, grid_sheet_next, grid_close };

int docs_open_grid(docs_grid *grid, const docs_limits *lim, docs_book **out, minca_err *err)
{
    (void)err;
    docs_book *b = docs_book_alloc(DOCS_FMT_GRID, &docs_grid_ops, grid->name, lim);
    grid_state *st = g_new0(grid_state, 1);
    st->grid = grid;
    b->impl = st;
    docs_book_add_sheet(b, grid->name, false);
    *out = b;
    return 0;
}

const char *docs_book_label(const docs_book *b) { return b->name[0] ? b->name : "attachment"; }

const char *docs_xml_local(xmlTextReaderPtr rd)
{
    const xmlChar *n = xmlTextReaderConstLocalName(rd);
    return n ? (const char *)n : "";
}

char *docs_xml_attr(xmlTextReaderPtr rd, const char *name)
{
    char *out = NULL;
    if (xmlTextReaderMoveToFirstAttribute(rd) != 1)
        return NULL;
    do {
        const xmlChar *ln = xmlTextReaderConstLocalName(rd);
        if (ln && strcmp((const char *)ln, name) == 0) {
            const xmlChar *v = xmlTextReaderConstValue(rd);
            out = g_strdup(v ? (const char *)v : "");
            break;
        }
    } while (xmlTextReaderMoveToNextAttribute(rd) == 1);
    xmlTextReaderMoveToElement(rd);
    return out;
}
