#include "minca/core_config.h"
#include "minca/core.h"

#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

int core_mkdir_p(const char *path, unsigned mode, minca_err *err)
{
    if (g_mkdir_with_parents(path, (int)mode) != 0)
        return minca_err_set(err, "cannot create directory %s: %s", path, strerror(errno));
    return 0;
}

int core_read_file(const char *path, size_t max_bytes, char **data, size_t *len, minca_err *err)
{
    *data = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return minca_err_set(err, "cannot open %s: %s", path, strerror(errno));
    int rc = -1;
    char *buf = NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        minca_err_set(err, "%s is not a regular file", path);
        goto done;
    }
    if ((size_t)st.st_size > max_bytes) {
        minca_err_set(err, "%s is too large (%lld bytes; the limit is %zu)", path,
                      (long long)st.st_size, max_bytes);
        goto done;
    }
    buf = g_malloc((size_t)st.st_size + 1);
    if (!buf) {
        minca_err_set(err, "out of memory reading %s", path);
        goto done;
    }
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f)) {
        minca_err_set(err, "cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    buf[n] = '\0';
    *data = buf;
    buf = NULL;
    if (len)
        *len = n;
    rc = 0;
done:
    g_free(buf);
    fclose(f);
    return rc;
}

bool core_disk_full(const char *path)
{
    struct statvfs fs;
    return path && statvfs(path, &fs) == 0 && fs.f_bavail == 0;
}

const char *core_errno_name(int e)
{
    const char *name = e ? strerrorname_np(e) : NULL;
    return name ? name : "E?";
}

int core_write_file(const char *path, const void *data, size_t len, minca_err *err)
{
    char *tmp = core_strdup_printf("%s.tmp%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        minca_err_set(err, "cannot write %s: %s (%s)", path, strerror(errno), core_errno_name(errno));
        g_free(tmp);
        return -1;
    }
    bool ok = fwrite(data, 1, len, f) == len;
    int e = ok ? 0 : errno;
    ok = (fclose(f) == 0) && ok;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        e = e ? e : errno;
        minca_err_set(err, "cannot write %s: %s (%s)", path, strerror(e), core_errno_name(e));
        unlink(tmp);
        g_free(tmp);
        return -1;
    }
    g_free(tmp);
    return 0;
}

char *core_path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    if (la && a[la - 1] == '/')
        return core_strdup_printf("%s%s", a, b);
    return core_strdup_printf("%s/%s", a, b);
}

bool core_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool core_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool core_fmt(char *buf, size_t cap, const char *fmt, ...)
{
    if (cap == 0)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < cap;
}

char *core_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap); /* GLib's policy: out of memory ends the process */
    va_end(ap);
    return s;
}

char *core_trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

bool core_str_empty(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

void core_sha256_hex(const void *data, size_t len, char out[65])
{
    gchar *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
    memcpy(out, hex, 64);
    out[64] = '\0';
    g_free(hex);
}

double core_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *core_login_name(void)
{
    const char *env = config_get()->user_override;
    if (env && *env)
        return g_strdup(env);
    env = getenv("LOGNAME");
    if (env && *env)
        return g_strdup(env);
    env = getenv("USER");
    if (env && *env)
        return g_strdup(env);
    struct passwd *pw = getpwuid(getuid());
    return g_strdup(pw ? pw->pw_name : "unknown");
}

char *core_os_login(void)
{
    struct passwd *pw = getpwuid(geteuid());
    return pw ? g_strdup(pw->pw_name) : core_strdup_printf("uid%ld", (long)geteuid());
}
