/* imap: a mailbox on an IMAP server through libcurl's IMAP support.
 *
 *   STATUS "box" (UIDVALIDITY)  → the mailbox's UIDVALIDITY
 *   UID SEARCH UID n:*          → the UIDs above the cursor, in order
 *   ;UIDVALIDITY=v/;UID=u       → UID FETCH u BODY[] (libcurl refuses it when v changed)
 *
 * The cursor is "UIDVALIDITY:UID" of the last stored message. When the server's UIDVALIDITY
 * is not the cursor's, the UIDs mean other messages now: the mailbox is read again from the
 * start and the messages already stored are recognised by their Message-ID.
 * TLS is required by default (imaps://, or STARTTLS on imap://); `tls: none` turns it off,
 * and only for a loopback server. The password comes from password_env / password_file and
 * is given to libcurl apart from the URL, so no URL or error carries it. After a message is
 * stored, `after: seen` flags it \Seen and `after: move:FOLDER` moves it (UID MOVE). */
#include "intake_internal.h"
#include "minca/config.h"

#include <curl/curl.h>
#include <glib.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

typedef struct imap_state {
    CURL *curl;
    char *name;
    char *base;          /* scheme://host[:port] */
    char *mailbox;       /* decoded name, e.g. INBOX or "Año 2026" (UTF-8, for messages) */
    char *mailbox_wire;  /* the same in modified UTF-7, as sent to the server */
    char *move_wire;     /* after: move:FOLDER, the folder in modified UTF-7 */
    char *mailbox_url;   /* base + "/" + encoded mailbox */
    char *after;         /* NULL, "seen" or "move:FOLDER" */
    char *password;
    struct curl_slist *pin;  /* tls: none: the loopback address checked, for CURLOPT_RESOLVE */
    unsigned long validity;
    GArray *uids;        /* unsigned long, ascending */
    size_t next;
    size_t max_bytes;
    GString *buf;
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
} imap_state;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    imap_state *s = user;
    size_t n = size * nmemb;
    if (s->buf->len + n > s->max_bytes) {
        s->too_big = true;
        return 0;
    }
    g_string_append_len(s->buf, ptr, (gssize)n);
    return n;
}

/* Runs one request on the shared handle (the connection is reused between requests). */
static CURLcode imap_request(imap_state *s, const char *url, const char *custom)
{
    g_string_truncate(s->buf, 0);
    s->too_big = false;
    s->errbuf[0] = '\0';
    curl_easy_setopt(s->curl, CURLOPT_URL, url);
    curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, custom);
    return curl_easy_perform(s->curl);
}

static int curl_fail(imap_state *s, CURLcode rc, const char *what, minca_err *err)
{
    if (rc == CURLE_LOGIN_DENIED)
        return minca_err_set(err, "%s: %s: the server refused the login", s->name, what);
    return minca_err_set(err, "%s: %s: %s", s->name, what, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
}

/* A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3): printable ASCII as itself ('&' as
 * "&-"), any other run as '&' + modified base64 of its UTF-16BE + '-'. NULL when name is not
 * valid UTF-8. Caller g_free()s. */
char *intake_imap_mutf7(const char *name)
{
    if (!g_utf8_validate(name, -1, NULL))
        return NULL;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    GString *out = g_string_new(NULL);
    const char *p = name;
    while (*p) {
        gunichar c = g_utf8_get_char(p);
        if (c >= 0x20 && c <= 0x7e) {
            g_string_append(out, c == '&' ? "&-" : (char[]){(char)c, 0});
            p = g_utf8_next_char(p);
            continue;
        }
        /* A run of characters outside printable ASCII. */
        g_string_append_c(out, '&');
        unsigned long bits = 0;
        int nbits = 0;
        while (*p) {
            c = g_utf8_get_char(p);
            if (c >= 0x20 && c <= 0x7e)
                break;
            gunichar2 units[2];
            int n = 1;
            if (c >= 0x10000) {
                units[0] = (gunichar2)(0xD800 + ((c - 0x10000) >> 10));
                units[1] = (gunichar2)(0xDC00 + ((c - 0x10000) & 0x3FF));
                n = 2;
            } else {
                units[0] = (gunichar2)c;
            }
            for (int i = 0; i < n; i++) {
                bits = (bits << 16) | units[i];
                nbits += 16;
                while (nbits >= 6) {
                    nbits -= 6;
                    g_string_append_c(out, b64[(bits >> nbits) & 0x3F]);
                }
            }
            p = g_utf8_next_char(p);
        }
        if (nbits > 0)
            g_string_append_c(out, b64[(bits << (6 - nbits)) & 0x3F]);
        g_string_append_c(out, '-');
    }
    return g_string_free(out, FALSE);
}

/* IMAP quoted string: "name" with \ and " escaped. */
static char *imap_quote(const char *s)
{
    GString *q = g_string_new("\"");
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            g_string_append_c(q, '\\');
        g_string_append_c(q, *s);
    }
    g_string_append_c(q, '"');
    return g_string_free(q, FALSE);
}

static int parse_url(imap_state *s, const char *url, minca_err *err)
{
    if (!url)
        return minca_err_set(err, "%s: no url configured (imaps://host/INBOX)", s->name);
    if (!g_str_has_prefix(url, "imap://") && !g_str_has_prefix(url, "imaps://"))
        return minca_err_set(err, "%s: url must start with imap:// or imaps://", s->name);
    if (strchr(url, '@'))
        return minca_err_set(err, "%s: put the user in `user:` and the password in password_env or password_file, "
                                  "not in the url", s->name);
    const char *host = strstr(url, "://") + 3;
    const char *slash = strchr(host, '/');
    s->base = slash ? strndup(url, (size_t)(slash - url)) : strdup(url);
    const char *box = slash && slash[1] ? slash + 1 : "INBOX";
    s->mailbox = g_uri_unescape_string(box, NULL);
    char *wire = s->mailbox ? intake_imap_mutf7(s->mailbox) : NULL;
    if (!wire)
        return minca_err_set(err, "%s: bad mailbox name in the url (not UTF-8)", s->name);
    s->mailbox_wire = wire;
    char *enc = g_uri_escape_string(wire, NULL, FALSE);
    s->mailbox_url = core_strdup_printf("%s/%s", s->base, enc);
    g_free(enc);
    return 0;
}

static int imap_setup(imap_state *s, const config_source *cfg, minca_err *err)
{
    const char *user = config_source_get(cfg, "user");
    if (!user)
        return minca_err_set(err, "%s: no user configured", s->name);
    if (intake_source_secret(cfg, "password", &s->password, err) < 0)
        return -1;
    const char *tls = config_source_get(cfg, "tls");
    bool no_tls = tls && (strcmp(tls, "none") == 0 || strcmp(tls, "off") == 0 || strcmp(tls, "false") == 0);
    if (no_tls && !intake_url_is_loopback(s->base, &s->pin))
        return minca_err_set(err, "%s: tls: none is only allowed for a server on this machine (a host that "
                                  "resolves to loopback addresses only)", s->name);
    s->curl = curl_easy_init();
    if (!s->curl)
        return minca_err_set(err, "%s: cannot start libcurl", s->name);
    CURL *c = s->curl;
    if (s->pin)
        curl_easy_setopt(c, CURLOPT_RESOLVE, s->pin);
    curl_easy_setopt(c, CURLOPT_USERNAME, user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, s->password);
    curl_easy_setopt(c, CURLOPT_USE_SSL, no_tls ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
    const char *ca = config_source_get(cfg, "ca_file");
    if (ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)config_source_int(cfg, "connect_timeout", 20));
    /* A stalled transfer ends; a slow big one does not. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)config_source_int(cfg, "timeout", 60));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    const char *after = config_source_get(cfg, "after");
    if (after && strcmp(after, "none") != 0) {
        if (strcmp(after, "seen") != 0 && !(g_str_has_prefix(after, "move:") && after[5]))
            return minca_err_set(err, "%s: after must be none, seen or move:FOLDER", s->name);
        s->after = strdup(after);
        if (g_str_has_prefix(after, "move:") && !(s->move_wire = intake_imap_mutf7(after + 5)))
            return minca_err_set(err, "%s: the folder of after: move: is not UTF-8", s->name);
    }
    return 0;
}

static int read_status(imap_state *s, minca_err *err)
{
    char *q = imap_quote(s->mailbox_wire);
    char *cmd = core_strdup_printf("STATUS %s (UIDVALIDITY UIDNEXT MESSAGES)", q);
    char *url = core_strdup_printf("%s/", s->base);
    CURLcode rc = imap_request(s, url, cmd);
    free(url);
    free(cmd);
    g_free(q);
    if (rc != CURLE_OK)
        return curl_fail(s, rc, "STATUS", err);
    const char *v = strstr(s->buf->str, "UIDVALIDITY ");
    if (!v)
        return minca_err_set(err, "%s: the server gave no UIDVALIDITY for %s", s->name, s->mailbox);
    s->validity = strtoul(v + 12, NULL, 10);
    return 0;
}

static int search_uids(imap_state *s, unsigned long last, minca_err *err)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "UID SEARCH UID %lu:*", last + 1);
    CURLcode rc = imap_request(s, s->mailbox_url, cmd);
    if (rc != CURLE_OK)
        return curl_fail(s, rc, "UID SEARCH", err);
    /* "* SEARCH 4 5 6"; "n:*" also matches the highest UID when it is below n. */
    for (char *line = s->buf->str; line && *line;) {
        char *eol = strchr(line, '\n');
        if (g_str_has_prefix(line, "* SEARCH")) {
            char *p = line + 8;
            while (*p && *p != '\r' && *p != '\n') {
                char *end;
                unsigned long uid = strtoul(p, &end, 10);
                if (end == p)
                    break;
                if (uid > last)
                    g_array_append_val(s->uids, uid);
                p = end;
                while (*p == ' ')
                    p++;
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    return 0;
}

static void imap_close(void *state)
{
    imap_state *s = state;
    if (!s)
        return;
    if (s->curl)
        curl_easy_cleanup(s->curl);
    curl_slist_free_all(s->pin);
    if (s->password) {
        memset(s->password, 0, strlen(s->password));
        free(s->password);
    }
    free(s->name);
    free(s->base);
    g_free(s->mailbox);
    g_free(s->mailbox_wire);
    g_free(s->move_wire);
    free(s->mailbox_url);
    free(s->after);
    if (s->uids)
        g_array_free(s->uids, TRUE);
    if (s->buf)
        g_string_free(s->buf, TRUE);
    free(s);
}

static int imap_open(const intake_source_args *args, void **state, minca_err *err)
{
    intake_curl_init();
    imap_state *s = calloc(1, sizeof *s);
    s->name = strdup(args->name ? args->name : "imap");
    s->buf = g_string_new(NULL);
    s->uids = g_array_new(FALSE, FALSE, sizeof(unsigned long));
    s->max_bytes = args->max_message_bytes ? args->max_message_bytes : INTAKE_DEFAULT_MAX_MESSAGE_BYTES;
    if (parse_url(s, config_source_get(args->cfg, "url"), err) < 0 || imap_setup(s, args->cfg, err) < 0 ||
        read_status(s, err) < 0)
        goto fail;
    unsigned long last = 0;
    if (args->cursor && *args->cursor) {
        unsigned long cv = 0, cu = 0;
        if (sscanf(args->cursor, "%lu:%lu", &cv, &cu) == 2 && cv == s->validity)
            last = cu;
        else
            log_warn("%s: UIDVALIDITY of %s is now %lu (cursor %s): reading the mailbox again; messages already "
                     "stored are recognised by Message-ID", s->name, s->mailbox, s->validity, args->cursor);
    }
    if (search_uids(s, last, err) < 0)
        goto fail;
    *state = s;
    return 0;
fail:
    imap_close(s);
    return -1;
}

static int imap_next(void *state, intake_item *item, minca_err *err)
{
    imap_state *s = state;
    if (s->next >= s->uids->len)
        return 0;
    unsigned long uid = g_array_index(s->uids, unsigned long, s->next++);
    item->source_id = core_strdup_printf("%lu:%lu", s->validity, uid);
    item->cursor = strdup(item->source_id);
    item->origin = core_strdup_printf("%s;UID=%lu", s->mailbox_url, uid);
    char *url = core_strdup_printf("%s;UIDVALIDITY=%lu/;UID=%lu", s->mailbox_url, s->validity, uid);
    CURLcode rc = imap_request(s, url, NULL);
    free(url);
    if (s->too_big)
        return minca_err_set(err, "%s: UID %lu is above the limit of %zu bytes; skipped", s->name, uid, s->max_bytes);
    if (rc == CURLE_REMOTE_FILE_NOT_FOUND && s->buf->len == 0) {
        /* Expunged since the search (or UIDVALIDITY changed): nothing to store, move on. */
        log_info("%s: UID %lu is gone from %s", s->name, uid, s->mailbox);
        free(item->source_id);
        item->source_id = NULL;
        return 1;
    }
    if (rc != CURLE_OK)
    {
        curl_fail(s, rc, "UID FETCH", err);
        return -2;
    }
    item->len = s->buf->len;
    item->data = malloc(item->len + 1);
    memcpy(item->data, s->buf->str, item->len + 1);
    return 1;
}

static int imap_ack(void *state, const intake_item *item, minca_err *err)
{
    imap_state *s = state;
    if (!s->after || !item->source_id)
        return 0;
    unsigned long uid = strtoul(strchr(item->source_id, ':') + 1, NULL, 10);
    char *cmd;
    if (strcmp(s->after, "seen") == 0) {
        cmd = core_strdup_printf("UID STORE %lu +FLAGS.SILENT (\\Seen)", uid);
    } else {
        char *q = imap_quote(s->move_wire);
        cmd = core_strdup_printf("UID MOVE %lu %s", uid, q);
        g_free(q);
    }
    CURLcode rc = imap_request(s, s->mailbox_url, cmd);
    free(cmd);
    if (rc != CURLE_OK) {
        char *what = core_strdup_printf("%s of UID %lu", strcmp(s->after, "seen") == 0 ? "flagging \\Seen" : s->after, uid);
        curl_fail(s, rc, what, err);
        free(what);
        return -1;
    }
    return 0;
}

static long imap_count(void *state) { return (long)((imap_state *)state)->uids->len; }

const intake_source_ops intake_source_imap_ops = {
    .kind = "imap",
    .summary = "an IMAP mailbox (url, user, password_env|password_file, ca_file, after)",
    .example = "{kind: imap, insurer: demo, url: \"imaps://mail.example.mx/INBOX\", user: cotiza, password_env: COTIZA_IMAP_PW}",
    .open = imap_open,
    .next = imap_next,
    .ack = imap_ack,
    .count = imap_count,
    .close = imap_close,
};

/* ---- IDLE (RFC 2177): wait for the server to announce new mail ---------------------------- */

/* Sends one command line on the connected handle. */
static int idle_send(imap_state *s, const char *line, minca_err *err)
{
    size_t len = strlen(line), off = 0;
    curl_socket_t sock;
    curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &sock);
    while (off < len) {
        size_t n = 0;
        CURLcode rc = curl_easy_send(s->curl, line + off, len - off, &n);
        if (rc == CURLE_AGAIN) {
            struct pollfd p = {.fd = sock, .events = POLLOUT};
            poll(&p, 1, 1000);
            continue;
        }
        if (rc != CURLE_OK)
            return curl_fail(s, rc, "IDLE", err);
        off += n;
    }
    return 0;
}

/* Reads until a line starting with `until` (or containing `also`, when not NULL) arrives, the
 * deadline passes or *stop is set. 1 found, 0 not (time or stop), -1 error. */
static int idle_read(imap_state *s, const char *until, const char *also, double deadline,
                     const volatile sig_atomic_t *stop, minca_err *err)
{
    curl_socket_t sock;
    curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &sock);
    for (;;) {
        for (char *line = s->buf->str; line && *line;) {
            char *eol = strstr(line, "\r\n");
            if (!eol)
                break;
            if (g_str_has_prefix(line, until) || (also && g_strstr_len(line, eol - line, also)))
                return 1;
            line = eol + 2;
        }
        if (s->buf->len > 1024 * 1024)
            g_string_erase(s->buf, 0, (gssize)(s->buf->len - 64 * 1024));
        if ((stop && *stop) || core_now_seconds() >= deadline)
            return 0;
        char chunk[4096];
        size_t n = 0;
        CURLcode rc = curl_easy_recv(s->curl, chunk, sizeof chunk, &n);
        if (rc == CURLE_AGAIN) {
            struct pollfd p = {.fd = sock, .events = POLLIN};
            poll(&p, 1, 250);
            continue;
        }
        if (rc != CURLE_OK)
            return curl_fail(s, rc, "IDLE", err);
        if (n == 0)
            return minca_err_set(err, "%s: the server closed the connection during IDLE", s->name);
        g_string_append_len(s->buf, chunk, (gssize)n);
    }
}

int intake_imap_idle(const intake_source_args *args, int timeout_s, const volatile sig_atomic_t *stop,
                     minca_err *err)
{
    intake_curl_init();
    imap_state *s = calloc(1, sizeof *s);
    s->name = strdup(args->name ? args->name : "imap");
    s->buf = g_string_new(NULL);
    int rc = -1;
    if (parse_url(s, config_source_get(args->cfg, "url"), err) < 0 || imap_setup(s, args->cfg, err) < 0)
        goto done;
    char *url = core_strdup_printf("%s/", s->base);
    curl_easy_setopt(s->curl, CURLOPT_URL, url);
    curl_easy_setopt(s->curl, CURLOPT_CONNECT_ONLY, 1L);
    CURLcode crc = curl_easy_perform(s->curl);   /* connects, STARTTLS, logs in */
    free(url);
    if (crc != CURLE_OK) {
        curl_fail(s, crc, "IDLE login", err);
        goto done;
    }
    double deadline = core_now_seconds() + 20;
    if (idle_send(s, "m1 CAPABILITY\r\n", err) < 0 || idle_read(s, "m1 ", NULL, deadline, stop, err) != 1)
        goto done;
    if (!strstr(s->buf->str, " IDLE")) {
        minca_err_set(err, "%s: the server does not offer IDLE", s->name);
        rc = -2;
        goto done;
    }
    char *q = imap_quote(s->mailbox_wire);
    char *sel = core_strdup_printf("m2 SELECT %s\r\n", q);
    g_free(q);
    g_string_truncate(s->buf, 0);
    int sr = idle_send(s, sel, err);
    free(sel);
    if (sr < 0 || idle_read(s, "m2 ", NULL, deadline, stop, err) != 1)
        goto done;
    if (!strstr(s->buf->str, "m2 OK")) {
        minca_err_set(err, "%s: SELECT %s refused before IDLE", s->name, s->mailbox);
        goto done;
    }
    g_string_truncate(s->buf, 0);
    if (idle_send(s, "m3 IDLE\r\n", err) < 0 || idle_read(s, "+", NULL, deadline, stop, err) != 1)
        goto done;
    g_string_truncate(s->buf, 0);
    /* New mail is "* N EXISTS" (RFC 3501 7.3.1). */
    rc = idle_read(s, "m3 ", " EXISTS", core_now_seconds() + timeout_s, stop, err);
    if (rc >= 0) {
        minca_err derr = {0};
        idle_send(s, "DONE\r\nm4 LOGOUT\r\n", &derr);
    }
done:
    imap_close(s);
    return rc;
}
