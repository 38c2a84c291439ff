/* Secrets kept out of every output: a registry of the values this process holds (passwords
 * from URLs, client secrets) and one masking pass that error messages, log lines and health
 * answers go through; and the process made unfit for core dumps, which would hold them all. */
#include "minca/core.h"

#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define SECRET_MIN_LEN 4   /* shorter values would mask ordinary words */
#define SECRET_MAX 64

static pthread_mutex_t secret_lock = PTHREAD_MUTEX_INITIALIZER;
static char *secrets[SECRET_MAX];
static size_t n_secrets;

static void remember(const char *value, size_t len)
{
    if (len < SECRET_MIN_LEN)
        return;
    for (size_t i = 0; i < n_secrets; i++)
        if (strlen(secrets[i]) == len && memcmp(secrets[i], value, len) == 0)
            return;
    if (n_secrets < SECRET_MAX)
        secrets[n_secrets++] = g_strndup(value, len);
}

void core_secret_add(const char *value)
{
    if (!value)
        return;
    pthread_mutex_lock(&secret_lock);
    remember(value, strlen(value));
    /* A URL's password may be written percent-encoded; libraries echo either form. */
    char *plain = g_uri_unescape_string(value, NULL);
    if (plain)
        remember(plain, strlen(plain));
    g_free(plain);
    pthread_mutex_unlock(&secret_lock);
}

/* The end of a URL's authority (user:password@host:port) starting at p. */
static const char *authority_end(const char *p)
{
    return p + strcspn(p, "/?# \t\r\n\"'<>");
}

void core_secret_add_url(const char *url)
{
    if (!url)
        return;
    for (const char *s = strstr(url, "://"); s; s = strstr(s + 3, "://")) {
        const char *host = s + 3, *end = authority_end(host);
        const char *at = NULL;
        for (const char *q = host; q < end; q++)
            if (*q == '@')
                at = q;
        const char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
        if (colon) {
            char *pw = g_strndup(colon + 1, (size_t)(at - colon - 1));
            core_secret_add(pw);
            g_free(pw);
        }
    }
    const char *kw = strstr(url, "password=");
    if (kw) {
        kw += 9;
        char *pw = g_strndup(kw, strcspn(kw, " &'\""));
        core_secret_add(pw);
        g_free(pw);
    }
}

/* scheme://user:PASSWORD@host: the password goes, for any URL in the text. */
static void mask_userinfo(GString *t)
{
    for (char *s = strstr(t->str, "://"); s; s = strstr(s + 3, "://")) {
        char *host = s + 3;
        const char *end = authority_end(host);
        char *at = NULL;
        for (char *q = host; q < end; q++)
            if (*q == '@')
                at = q;
        char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
        if (!colon || (at - colon == 5 && memcmp(colon, ":****", 5) == 0))
            continue;
        gssize pos = colon + 1 - t->str;
        g_string_erase(t, pos, at - colon - 1);
        g_string_insert(t, pos, "****");
        s = t->str + pos;
    }
}

/* password=VALUE (conninfo keywords, URL queries), any case. */
static void mask_keyword(GString *t)
{
    for (gsize i = 0; i + 9 <= t->len; i++) {
        if (g_ascii_strncasecmp(t->str + i, "password=", 9) != 0)
            continue;
        gsize v = i + 9, n = strcspn(t->str + v, " &'\"\r\n");
        if (n == 4 && memcmp(t->str + v, "****", 4) == 0)
            continue;
        g_string_erase(t, (gssize)v, (gssize)n);
        g_string_insert(t, (gssize)v, "****");
        i = v + 3;
    }
}

static void mask_known(GString *t)
{
    pthread_mutex_lock(&secret_lock);
    for (size_t k = 0; k < n_secrets; k++) {
        size_t len = strlen(secrets[k]);
        char *at;
        gsize from = 0;
        while (from < t->len && (at = strstr(t->str + from, secrets[k]))) {
            gssize pos = at - t->str;
            g_string_erase(t, pos, (gssize)len);
            g_string_insert(t, pos, "****");
            from = (gsize)pos + 4;
        }
    }
    pthread_mutex_unlock(&secret_lock);
}

char *core_mask_secrets(const char *text)
{
    GString *t = g_string_new(text ? text : "");
    mask_known(t);
    mask_userinfo(t);
    mask_keyword(t);
    return g_string_free(t, FALSE);
}

void core_mask_secrets_buf(char *buf, size_t cap)
{
    if (!buf || !cap)
        return;
    char *m = core_mask_secrets(buf);
    g_strlcpy(buf, m, cap);
    g_free(m);
}

void core_forget_secrets(void)
{
    pthread_mutex_lock(&secret_lock);
    for (size_t i = 0; i < n_secrets; i++) {
        memset(secrets[i], 0, strlen(secrets[i]));
        g_free(secrets[i]);
    }
    n_secrets = 0;
    pthread_mutex_unlock(&secret_lock);
}

int core_no_core_dumps(void)
{
    struct rlimit none = {0, 0};
    int rc = setrlimit(RLIMIT_CORE, &none);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        rc = -1;
    return rc;
}
