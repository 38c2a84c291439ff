#include "minca/core.h"
#include "minca/core_text.h"

#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static log_level log_threshold = LOG_INFO;
static bool log_mirror_stderr;
static log_format log_fmt = LOG_FORMAT_TEXT;
static __thread long long ctx_job, ctx_case, ctx_message;
static char log_file_path[1024];
static int log_errno;   /* the first failed write to log_file (under log_lock) */

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

int log_open(const char *path, minca_err *err)
{
    char *dir = g_strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = '\0';
        if (core_mkdir_p(dir, 0700, err) < 0) {
            g_free(dir);
            return -1;
        }
    }
    g_free(dir);
    FILE *f = fopen(path, "a");
    if (!f)
        return minca_err_set(err, "cannot open log file %s: %s", path, strerror(errno));
    /* A log made by an older version may be world-readable: owner and group only. */
    (void)fchmod(fileno(f), 0640);
    setvbuf(f, NULL, _IOLBF, 0);
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = f;
    log_errno = 0;
    snprintf(log_file_path, sizeof log_file_path, "%s", path);
    pthread_mutex_unlock(&log_lock);
    return 0;
}

int log_write_error(void)
{
    pthread_mutex_lock(&log_lock);
    int e = log_errno;
    pthread_mutex_unlock(&log_lock);
    return e;
}

const char *log_path(void)
{
    return log_file_path;
}

/* After a line went to log_file: a failed write (a full disk) is said once on stderr and the
 * file is given up, so what follows still reaches someone. Under log_lock. */
static void check_log_write(int written)
{
    if (written >= 0 && !ferror(log_file))
        return;
    int e = errno ? errno : EIO;
    log_errno = e;
    fprintf(stderr, "minca: cannot write the log file %s: %s (%s); logging to stderr from now on\n",
            log_file_path, strerror(e), core_errno_name(e));
    fclose(log_file);
    log_file = NULL;
}

void log_close(void)
{
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    pthread_mutex_unlock(&log_lock);
}

void log_set_level(log_level level) { log_threshold = level; }
void log_set_stderr(bool also_stderr) { log_mirror_stderr = also_stderr; }
void log_set_format(log_format format) { log_fmt = format; }

void log_set_ids(long long job_id, long long case_id, long long message_id)
{
    ctx_job = job_id;
    ctx_case = case_id;
    ctx_message = message_id;
}

static bool is_local_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._%+-", c);
}

/* Copies in to out masking e-mail addresses ("<email>") and URL passwords ("user:****@"). */
static void scrub(const char *in, char *out, size_t outsz)
{
    size_t o = 0, n = strlen(in);
    for (size_t i = 0; i < n && o + 8 < outsz;) {
        if (in[i] == '@' && i > 0 && is_local_char(in[i - 1]) && i + 1 < n && is_local_char(in[i + 1])) {
            size_t back = 0;
            while (o > back && is_local_char(out[o - 1 - back]))
                back++;
            if (o > back && out[o - 1 - back] == ':') {
                /* scheme://user:password@host: the password goes */
                o -= back;
                memcpy(out + o, "****@", 5);
                o += 5;
                i++;
                continue;
            }
            /* user@domain.tld is an address (user@host, e.g. a worker's name, is not) */
            size_t d = i + 1, dot = 0;
            while (d < n && (is_local_char(in[d]) && in[d] != '%' && in[d] != '+')) {
                if (in[d] == '.' && d + 1 < n && ((in[d + 1] >= 'a' && in[d + 1] <= 'z') || (in[d + 1] >= 'A' && in[d + 1] <= 'Z')))
                    dot = d;
                d++;
            }
            if (dot) {
                o -= back;
                memcpy(out + o, "<email>", 7);
                o += 7;
                i = d;
                continue;
            }
        }
        out[o++] = in[i++];
    }
    out[o] = '\0';
}

/* Personal data that must not reach the log: RFC (tax id), VIN, telephone numbers, and
 * password=VALUE in connection strings. Compiled once; GRegex matching is thread-safe. */
static const struct {
    const char *pattern;
    const char *replacement;
} pii_patterns[] = {
    {"(?i)(password=)[^ &'\"]+", "\\1****"},
    {"(?i)\\b[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}\\b", "<rfc>"},
    {"\\b(?=[A-HJ-NPR-Z0-9]*[0-9])(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}\\b", "<vin>"},
    {"(?<![\\w.:/-])(?:\\+?52[ .-]?)?(?:\\([0-9]{2,3}\\)|[0-9]{2,3})[ .-]?[0-9]{3,4}[ .-]?[0-9]{4}(?![\\w.:/-])", "<phone>"},
};
#define N_PII (sizeof pii_patterns / sizeof pii_patterns[0])
static GRegex *pii_regex[N_PII];
static pthread_once_t pii_once = PTHREAD_ONCE_INIT;

static void pii_compile(void)
{
    for (size_t i = 0; i < N_PII; i++)
        pii_regex[i] = g_regex_new(pii_patterns[i].pattern, G_REGEX_OPTIMIZE, 0, NULL);
}

/* Words that make the number after them a counter, an id or a size, never a telephone: a
 * mailbox's UIDVALIDITY, a message's UID, a job, a port, a byte count. Checked over the few
 * words before the number. */
static const char *const not_phone_labels[] = {
    "uidvalidity", "uidnext", "uid", "uids", "cursor", "modseq", "port", "pid", "job", "jobs", "case",
    "message", "messages", "bytes", "byte", "size", "offset", "seq", "id", "ids", "version", "serial",
    "token", "deltatoken", "skiptoken", "epoch", "timestamp", NULL};
/* Words that say a telephone follows: the number after them is masked whatever came before. */
static const char *const phone_labels[] = {"tel", "telefono", "phone", "cel", "celular", "movil", "mobile",
                                           "whatsapp", "fax", "lada", NULL};

static bool number_is_technical(const char *text, size_t start)
{
    /* The five words before the match, lower case, nearest first. */
    size_t from = start > 48 ? start - 48 : 0;
    char window[64];
    size_t n = start - from;
    memcpy(window, text + from, n);
    window[n] = '\0';
    int words = 0;
    char *end = window + n;
    while (end > window && words < 5) {
        while (end > window && !g_ascii_isalnum(end[-1]))
            end--;
        char *b = end;
        while (b > window && g_ascii_isalnum(b[-1]))
            b--;
        if (b == end)
            break;
        char w[32];
        size_t wl = (size_t)(end - b) < sizeof w - 1 ? (size_t)(end - b) : sizeof w - 1;
        for (size_t i = 0; i < wl; i++)
            w[i] = (char)g_ascii_tolower(b[i]);
        w[wl] = '\0';
        for (size_t i = 0; phone_labels[i]; i++)
            if (strcmp(w, phone_labels[i]) == 0)
                return false;
        for (size_t i = 0; not_phone_labels[i]; i++)
            if (strcmp(w, not_phone_labels[i]) == 0)
                return true;
        words++;
        end = b;
    }
    return false;
}

static gboolean phone_eval(const GMatchInfo *mi, GString *result, gpointer user)
{
    const char *text = user;
    gint s = 0, e = 0;
    g_match_info_fetch_pos(mi, 0, &s, &e);
    if (s >= 0 && number_is_technical(text, (size_t)s))
        g_string_append_len(result, text + s, e - s);
    else
        g_string_append(result, "<phone>");
    return FALSE;
}

/* scrub() then the personal-data patterns, into out. */
static void scrub_all(const char *in, char *out, size_t outsz)
{
    char *masked = core_mask_secrets(in);
    scrub(masked, out, outsz);
    g_free(masked);
    pthread_once(&pii_once, pii_compile);
    for (size_t i = 0; i < N_PII; i++) {
        if (!pii_regex[i])
            continue;
        gchar *r = strcmp(pii_patterns[i].replacement, "<phone>") == 0
                       ? g_regex_replace_eval(pii_regex[i], out, -1, 0, 0, phone_eval, out, NULL)
                       : g_regex_replace(pii_regex[i], out, -1, 0, pii_patterns[i].replacement, 0, NULL);
        if (r) {
            snprintf(out, outsz, "%s", r);
            g_free(r);
        }
    }
}

static void json_escape(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void write_json(FILE *f, log_level level, const char *line)
{
    char stamp[40], clean[4096], component[32] = "minca";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t k = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + k, sizeof stamp - k, ".%03ldZ", ts.tv_nsec / 1000000);
    const char *msg = line;
    size_t w = strspn(line, "abcdefghijklmnopqrstuvwxyz_-0123456789");
    if (w > 0 && w < sizeof component && line[w] == ':' && line[w + 1] == ' ') {
        memcpy(component, line, w);
        component[w] = '\0';
        msg = line + w + 2;
    }
    scrub_all(msg, clean, sizeof clean);
    static const char *const lower[] = {"error", "warn", "info", "debug"};
    fprintf(f, "{\"time\":\"%s\",\"level\":\"%s\",\"pid\":%d,\"component\":", stamp, lower[level], (int)getpid());
    json_escape(f, component);
    if (ctx_job)
        fprintf(f, ",\"job_id\":%lld", ctx_job);
    if (ctx_case)
        fprintf(f, ",\"case_id\":%lld", ctx_case);
    if (ctx_message)
        fprintf(f, ",\"message_id\":%lld", ctx_message);
    fputs(",\"msg\":", f);
    json_escape(f, clean);
    fputs("}\n", f);
}

void log_msg(log_level level, const char *fmt, ...)
{
    if (level > log_threshold)
        return;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);

    char raw[4096], line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    scrub_all(raw, line, sizeof line);
    /* One message, one line: a newline or an escape sequence in text from outside (a subject,
     * a notification's field) can neither forge a line nor drive the terminal reading it. */
    char *visible = text_visible(line);
    g_strlcpy(line, visible, sizeof line);
    g_free(visible);

    pthread_mutex_lock(&log_lock);
    errno = 0;
    if (log_file && log_fmt == LOG_FORMAT_JSON) {
        write_json(log_file, level, line);
        check_log_write(fflush(log_file) == 0 ? 0 : -1);
    } else if (log_file) {
        int n = fprintf(log_file, "%s [%d] %-5s %s\n", stamp, (int)getpid(), level_names[level], line);
        check_log_write(n >= 0 && fflush(log_file) == 0 ? 0 : -1);
    }
    if (!log_file || log_mirror_stderr)
        fprintf(stderr, "minca: %s\n", line);
    pthread_mutex_unlock(&log_lock);
}
