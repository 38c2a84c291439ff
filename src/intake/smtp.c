/* Sending a message through SMTP with libcurl: implicit TLS (smtps://), STARTTLS required on
 * smtp:// (plain only to a server on this machine, tls: none), AUTH when a user is set. */
#include "intake_internal.h"
#include "minca/intake.h"
#include "minca/core_config.h"

#include <curl/curl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

typedef struct upload {
    const char *data;
    size_t len, off;
} upload;

static size_t on_read(char *buf, size_t size, size_t nitems, void *user)
{
    upload *u = user;
    size_t room = size * nitems, left = u->len - u->off;
    size_t n = left < room ? left : room;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

int intake_smtp_send(const config_source *cfg, const char *from, const char *to, const char *raw, size_t len,
                     minca_err *err)
{
    const char *name = cfg ? cfg->name : "smtp";
    const char *url = cfg ? config_source_get(cfg, "smtp_url") : NULL;
    if (!url)
        return minca_err_set(err, "%s: no smtp_url configured (smtps://host or smtp://host:587)", name);
    if (!g_str_has_prefix(url, "smtp://") && !g_str_has_prefix(url, "smtps://"))
        return minca_err_set(err, "%s: smtp_url must start with smtp:// or smtps://", name);
    if (strchr(url, '@'))
        return minca_err_set(err, "%s: put the user in `smtp_user:` and the password in smtp_password_env or "
                                  "smtp_password_file, not in the url", name);
    const char *tls = config_source_get(cfg, "smtp_tls");
    bool no_tls = tls && (strcmp(tls, "none") == 0 || strcmp(tls, "off") == 0 || strcmp(tls, "false") == 0);
    struct curl_slist *pin = NULL, *rcpt = NULL;
    if (no_tls && !intake_url_is_loopback(url, &pin))
        return minca_err_set(err, "%s: smtp_tls: none is only allowed for a server on this machine", name);
    char *password = NULL;
    const char *user = config_source_get(cfg, "smtp_user");
    if (user && intake_source_secret(cfg, "smtp_password", &password, err) < 0) {
        curl_slist_free_all(pin);
        return -1;
    }
    intake_curl_init();
    CURL *c = curl_easy_init();
    if (!c) {
        curl_slist_free_all(pin);
        g_free(password);
        return minca_err_set(err, "%s: cannot start libcurl", name);
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    upload up = {raw, len, 0};
    rcpt = curl_slist_append(NULL, to);
    char *mail_from = g_strdup_printf("<%s>", from);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (pin)
        curl_easy_setopt(c, CURLOPT_RESOLVE, pin);
    if (user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, password);
    }
    curl_easy_setopt(c, CURLOPT_USE_SSL, no_tls ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
    const char *ca = config_source_get(cfg, "ca_file");
    if (ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)config_source_int(cfg, "connect_timeout", 20));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)config_source_int(cfg, "timeout", 60));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(c);
    int out = 0;
    if (rc != CURLE_OK)
        out = minca_err_set(err, "%s: sending to %s failed: %s", name, to, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    curl_easy_cleanup(c);
    curl_slist_free_all(rcpt);
    curl_slist_free_all(pin);
    g_free(mail_from);
    if (password) {
        memset(password, 0, strlen(password));
        g_free(password);
    }
    return out;
}

const config_source *intake_smtp_source(const char *name)
{
    const minca_config *cfg = config_get();
    const config_source *own = name ? config_source_find(name) : NULL;
    if (own && config_source_get(own, "smtp_url"))
        return own;
    for (int i = 0; i < cfg->n_sources; i++)
        if (config_source_get(&cfg->sources[i], "smtp_url"))
            return &cfg->sources[i];
    return NULL;
}
