/* imap: a mailbox on an IMAP server. libcurl connects, negotiates TLS and logs in
 * (CURLOPT_CONNECT_ONLY); the commands after login are written here, on that connection:
 *
 *   CAPABILITY; ENABLE UTF8=ACCEPT  → when the server offers UTF8=ACCEPT or IMAP4rev2 (RFC 6855)
 *   SELECT "box"                    → the mailbox's UIDVALIDITY
 *   UID SEARCH UID n:*              → the UIDs above the cursor, in order
 *   UID FETCH u BODY[]              → the message (a literal, at most max_message_mb)
 *   UID STORE / UID MOVE            → after: seen / after: move:FOLDER, once stored
 *
 * Mailbox names are always quoted strings: UTF-8 once the server answered `* ENABLED
 * UTF8=ACCEPT` (and then never modified UTF-7, which such a server takes literally), modified
 * UTF-7 (RFC 3501 5.1.3) otherwise.
 * The cursor is "UIDVALIDITY:UID" of the last stored message. When the server's UIDVALIDITY
 * is not the cursor's, the UIDs mean other messages now: the mailbox is read again from the
 * start and the messages already stored are recognised by their Message-ID.
 * TLS is required by default (imaps://, or STARTTLS on imap://); `tls: none` turns it off,
 * and only for a loopback server. The password comes from password_env / password_file and
 * is given to libcurl apart from the URL, so no URL or error carries it. */
#include "intake_internal.h"
#include "minca/core_config.h"

#include <curl/curl.h>
#include <glib.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* Longest response line (literals apart) taken from a server. */
#define IMAP_MAX_LINE (4u * 1024 * 1024)
/* Longest server text kept for an error message. */
#define IMAP_MAX_REASON 200

typedef struct imap_state {
    CURL *curl;
    curl_socket_t sock;
    char *name;
    char *base;          /* scheme://host[:port] */
    char *mailbox;       /* decoded name, e.g. INBOX or "Año 2026" (UTF-8) */
    char *mailbox_url;   /* base + "/" + the name in modified UTF-7, URL-encoded (origin of items) */
    char *after;         /* NULL, "seen" or "move:FOLDER" (FOLDER in UTF-8) */
    char *password;
    struct curl_slist *pin;  /* tls: none: the loopback address checked, for CURLOPT_RESOLVE */
    int timeout_s;       /* a server silent this long is given up on */
    bool utf8;           /* the server answered * ENABLED UTF8=ACCEPT */
    bool selected;       /* the mailbox was selected on this source's connection */
    bool dead;           /* the connection cannot be read on: connect again before the next command */
    bool reconnecting;
    char *caps;          /* " CAP1 CAP2 ... " in upper case, from CAPABILITY */
    unsigned tag;
    unsigned long validity;
    GArray *uids;        /* unsigned long, ascending */
    size_t next;
    size_t max_bytes;
    GString *in;         /* bytes received and not yet read */
    GString *line;       /* the response being read, its literals left out */
    GString *lit;        /* that response's last literal (up to max_bytes) */
    bool too_big;        /* that literal was over max_bytes (read and dropped) */
    GString *reason;     /* text of the last tagged NO/BAD or of a BYE */
    GString *found;      /* a command's untagged answer, as its handler keeps it */
    char errbuf[CURL_ERROR_SIZE];
} imap_state;

static int curl_fail(imap_state *s, CURLcode rc, const char *what, minca_err *err)
{
    if (rc == CURLE_LOGIN_DENIED)
        return minca_err_set(err, "%s: %s: the server refused the login", s->name, what);
    return minca_err_set(err, "%s: %s: %s", s->name, what, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
}

/* ---- mailbox names ------------------------------------------------------------------------ */

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

static int mutf7_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == ',') return 63;
    return -1;
}

/* The UTF-8 of a name in modified UTF-7; NULL when it is not well formed (a base64 run that
 * does not end in '-', leftover bits, an unpaired surrogate, a printable ASCII character
 * encoded). Caller g_free()s. */
char *intake_imap_mutf7_decode(const char *wire)
{
    GString *out = g_string_new(NULL);
    GArray *units = g_array_new(FALSE, FALSE, sizeof(gunichar2));
    const char *p = wire;
    bool ok = true;
    while (ok && *p) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
            ok = false;
        } else if (*p != '&') {
            g_string_append_c(out, *p++);
        } else if (p[1] == '-') {
            g_string_append_c(out, '&');
            p += 2;
        } else {
            unsigned long bits = 0;
            int nbits = 0;
            g_array_set_size(units, 0);
            for (p++; *p && *p != '-'; p++) {
                int v = mutf7_value(*p);
                if (v < 0) {
                    ok = false;
                    break;
                }
                bits = (bits << 6) | (unsigned long)v;
                nbits += 6;
                if (nbits >= 16) {
                    nbits -= 16;
                    gunichar2 u = (gunichar2)((bits >> nbits) & 0xFFFF);
                    g_array_append_val(units, u);
                }
            }
            if (!ok || *p != '-' || units->len == 0 || (bits & ((1ul << nbits) - 1)) != 0) {
                ok = false;
                break;
            }
            p++;
            char *u8 = g_utf16_to_utf8((const gunichar2 *)(void *)units->data, units->len, NULL, NULL, NULL);
            ok = u8 != NULL;
            for (const char *q = u8; ok && *q; q = g_utf8_next_char(q))
                if (g_utf8_get_char(q) >= 0x20 && g_utf8_get_char(q) <= 0x7e)
                    ok = false;
            if (ok)
                g_string_append(out, u8);
            g_free(u8);
        }
    }
    g_array_free(units, TRUE);
    if (!ok) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* A name the client can send as a quoted string: UTF-8, no control characters, not empty. */
static bool mailbox_name_ok(const char *name)
{
    if (!name || !*name || !g_utf8_validate(name, -1, NULL))
        return false;
    for (const char *p = name; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
            return false;
    }
    return true;
}

/* IMAP quoted string: "name" with \ and " escaped. Caller g_free()s. */
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

/* A mailbox name as this connection sends it: a quoted string, in UTF-8 once UTF8=ACCEPT is
 * enabled (RFC 6855 3), else in modified UTF-7. Caller g_free()s. */
static char *mailbox_arg(const imap_state *s, const char *name)
{
    if (s->utf8)
        return imap_quote(name);
    char *wire = intake_imap_mutf7(name);
    char *q = imap_quote(wire ? wire : "");
    g_free(wire);
    return q;
}

/* ---- configuration ------------------------------------------------------------------------ */

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
    s->base = slash ? g_strndup(url, (size_t)(slash - url)) : g_strdup(url);
    const char *box = slash && slash[1] ? slash + 1 : "INBOX";
    s->mailbox = g_uri_unescape_string(box, NULL);
    if (!mailbox_name_ok(s->mailbox))
        return minca_err_set(err, "%s: bad mailbox name in the url (not UTF-8, or control characters)", s->name);
    char *wire = intake_imap_mutf7(s->mailbox);
    char *enc = g_uri_escape_string(wire, NULL, FALSE);
    s->mailbox_url = g_strdup_printf("%s/%s", s->base, enc);
    g_free(enc);
    g_free(wire);
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
    s->timeout_s = (int)config_source_int(cfg, "timeout", 60);
    if (s->timeout_s < 1)
        s->timeout_s = 1;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    const char *after = config_source_get(cfg, "after");
    if (after && strcmp(after, "none") != 0) {
        if (strcmp(after, "seen") != 0 && !(g_str_has_prefix(after, "move:") && after[5]))
            return minca_err_set(err, "%s: after must be none, seen or move:FOLDER", s->name);
        if (g_str_has_prefix(after, "move:") && !mailbox_name_ok(after + 5))
            return minca_err_set(err, "%s: the folder of after: move: is not UTF-8 or holds control characters",
                                 s->name);
        s->after = g_strdup(after);
    }
    return 0;
}

/* ---- the conversation --------------------------------------------------------------------- */

/* Waits for bytes until `deadline` or *stop. 1 some arrived, 0 the deadline passed or *stop,
 * -1 the connection failed or closed (err). */
static int imap_fill(imap_state *s, double deadline, const volatile sig_atomic_t *stop, minca_err *err)
{
    for (;;) {
        char chunk[16384];
        size_t n = 0;
        CURLcode rc = curl_easy_recv(s->curl, chunk, sizeof chunk, &n);
        if (rc == CURLE_OK) {
            if (n == 0) {
                s->dead = true;
                return minca_err_set(err, "%s: the server closed the connection%s%s", s->name,
                                     s->reason->len ? ": " : "", s->reason->str);
            }
            g_string_append_len(s->in, chunk, (gssize)n);
            return 1;
        }
        if (rc != CURLE_AGAIN) {
            s->dead = true;
            return curl_fail(s, rc, "reading from the server", err);
        }
        double left = deadline - core_now_seconds();
        if ((stop && *stop) || left <= 0)
            return 0;
        struct pollfd p = {.fd = s->sock, .events = POLLIN};
        poll(&p, 1, left > 0.25 ? 250 : (int)(left * 1000) + 1);
    }
}

/* Waits for more bytes: until `until` (seconds, 0 for the source's timeout of silence) or
 * *stop. 1 some arrived, 0 until passed or *stop, -1 error (silence past the timeout too). */
static int imap_wait(imap_state *s, double until, const volatile sig_atomic_t *stop, minca_err *err)
{
    int r = imap_fill(s, until > 0 ? until : core_now_seconds() + s->timeout_s, stop, err);
    if (r == 0 && until <= 0) {
        s->dead = true;
        return minca_err_set(err, "%s: the server sent nothing for %d s", s->name, s->timeout_s);
    }
    return r;
}

static int imap_send(imap_state *s, const char *line, minca_err *err)
{
    size_t len = strlen(line), off = 0;
    double deadline = core_now_seconds() + s->timeout_s;
    while (off < len) {
        size_t n = 0;
        CURLcode rc = curl_easy_send(s->curl, line + off, len - off, &n);
        if (rc == CURLE_AGAIN) {
            if (core_now_seconds() >= deadline) {
                s->dead = true;
                return minca_err_set(err, "%s: the server took nothing for %d s", s->name, s->timeout_s);
            }
            struct pollfd p = {.fd = s->sock, .events = POLLOUT};
            poll(&p, 1, 250);
            continue;
        }
        if (rc != CURLE_OK) {
            s->dead = true;
            return curl_fail(s, rc, "writing to the server", err);
        }
        off += n;
    }
    return 0;
}

/* The size of the literal a piece of response line ends with ("{123}", "{123+}", "~{123}"),
 * or -1. */
static long long literal_size(const char *piece, size_t len)
{
    if (len < 3 || piece[len - 1] != '}')
        return -1;
    const char *open = g_strrstr_len(piece, (gssize)len, "{");
    if (!open)
        return -1;
    const char *p = open + 1, *end = piece + len - 1;
    if (end > p && end[-1] == '+')
        end--;
    if (end == p || end - p > 18)
        return -1;
    long long n = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n;
}

/* Reads n literal bytes into s->lit. A literal over max_bytes is not read at all: too_big is
 * set and the connection given up (the next command connects again), so a server announcing
 * any size costs no time. */
static int imap_read_literal(imap_state *s, size_t n, minca_err *err)
{
    g_string_truncate(s->lit, 0);
    if (n > s->max_bytes) {
        s->too_big = true;
        s->dead = true;
        return minca_err_set(err, "%s: the server sent %zu bytes, above the limit of %zu", s->name, n, s->max_bytes);
    }
    while (n > 0) {
        if (s->in->len == 0 && imap_wait(s, 0, NULL, err) < 0)
            return -1;
        size_t take = MIN(n, s->in->len);
        g_string_append_len(s->lit, s->in->str, (gssize)take);
        g_string_erase(s->in, 0, (gssize)take);
        n -= take;
    }
    return 0;
}

/* Reads one whole response into s->line (CRLF and literals left out, the last literal in
 * s->lit). 1 read, 0 `until` passed or *stop (see imap_wait), -1 error (err). */
static int imap_read_response(imap_state *s, double until, const volatile sig_atomic_t *stop, minca_err *err)
{
    g_string_truncate(s->line, 0);
    g_string_truncate(s->lit, 0);
    s->too_big = false;
    size_t scanned = 0;
    for (;;) {
        char *nl = memchr(s->in->str + scanned, '\n', s->in->len - scanned);
        if (!nl) {
            scanned = s->in->len;
            if (s->line->len + s->in->len > IMAP_MAX_LINE) {
                s->dead = true;
                return minca_err_set(err, "%s: the server sent a response line over %u bytes", s->name, IMAP_MAX_LINE);
            }
            int r = imap_wait(s, until, stop, err);
            if (r <= 0)
                return r;
            continue;
        }
        size_t len = (size_t)(nl - s->in->str), piece = s->line->len;
        g_string_append_len(s->line, s->in->str, (gssize)(len && nl[-1] == '\r' ? len - 1 : len));
        g_string_erase(s->in, 0, (gssize)(len + 1));
        scanned = 0;
        /* Only the piece after the last literal may announce another one. */
        long long n = literal_size(s->line->str + piece, s->line->len - piece);
        if (n < 0)
            return 1;
        if (imap_read_literal(s, (size_t)n, err) < 0)
            return -1;
    }
}

static void keep_reason(imap_state *s, const char *text)
{
    char *valid = g_utf8_make_valid(text, (gssize)MIN(strlen(text), IMAP_MAX_REASON));
    g_string_assign(s->reason, valid);
    g_free(valid);
}

typedef void (*imap_untagged_fn)(imap_state *s, void *user);

/* Sends one command and reads up to its tagged answer, handing each untagged response to fn
 * (s->line, s->lit). 0 on OK; 1 on NO or BAD (the server's text in s->reason); -1 when the
 * connection fails (err). */
static int imap_command_once(imap_state *s, const char *cmd, imap_untagged_fn fn, void *user, minca_err *err)
{
    char tag[16];
    snprintf(tag, sizeof tag, "m%u", ++s->tag);
    char *line = g_strdup_printf("%s %s\r\n", tag, cmd);
    int rc = imap_send(s, line, err);
    g_free(line);
    if (rc < 0)
        return -1;
    size_t tl = strlen(tag);
    for (;;) {
        if (imap_read_response(s, 0, NULL, err) < 0)
            return -1;
        const char *l = s->line->str;
        if (g_str_has_prefix(l, "* ")) {
            if (g_ascii_strncasecmp(l + 2, "BYE", 3) == 0)
                keep_reason(s, l + 2);
            if (fn)
                fn(s, user);
        } else if (strncmp(l, tag, tl) == 0 && l[tl] == ' ') {
            if (g_ascii_strncasecmp(l + tl + 1, "OK", 2) == 0)
                return 0;
            keep_reason(s, l + tl + 1);
            return 1;
        }
        /* "+ " or a stray line: nothing this client waits for. */
    }
}

/* The words after "* NAME " of an untagged response, or NULL. */
static const char *untagged(const imap_state *s, const char *name)
{
    const char *l = s->line->str + 2;
    size_t n = strlen(name);
    if (g_ascii_strncasecmp(l, name, n) != 0 || (l[n] != ' ' && l[n] != '\0'))
        return NULL;
    return l + n;
}

static void on_capability(imap_state *s, void *user)
{
    const char *rest = untagged(s, "CAPABILITY");
    if (!rest)
        return;
    g_free(s->caps);
    char *up = g_ascii_strup(rest, -1);
    s->caps = g_strdup_printf("%s ", up);
    g_free(up);
}

static bool has_cap(const imap_state *s, const char *cap)
{
    char *word = g_strdup_printf(" %s ", cap);
    bool yes = s->caps && strstr(s->caps, word);
    g_free(word);
    return yes;
}

static void on_enabled(imap_state *s, void *user)
{
    const char *rest = untagged(s, "ENABLED");
    if (!rest)
        return;
    char *up = g_ascii_strup(rest, -1);
    char *list = g_strdup_printf("%s ", up);
    if (strstr(list, " UTF8=ACCEPT "))
        s->utf8 = true;
    g_free(list);
    g_free(up);
}

/* Connects and logs in (libcurl), reads the capabilities and enables UTF8=ACCEPT when offered. */
static int imap_connect(imap_state *s, minca_err *err)
{
    char *url = g_strdup_printf("%s/", s->base);
    curl_easy_setopt(s->curl, CURLOPT_URL, url);
    CURLcode rc = curl_easy_perform(s->curl);
    g_free(url);
    if (rc != CURLE_OK)
        return curl_fail(s, rc, "login", err);
    curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &s->sock);
    int r = imap_command_once(s, "CAPABILITY", on_capability, NULL, err);
    if (r != 0)
        return r < 0 ? -1 : minca_err_set(err, "%s: CAPABILITY refused: %s", s->name, s->reason->str);
    if (has_cap(s, "UTF8=ACCEPT") || has_cap(s, "IMAP4REV2")) {
        /* A refusal leaves the connection as it was: modified UTF-7. */
        if (imap_command_once(s, "ENABLE UTF8=ACCEPT", on_enabled, NULL, err) < 0)
            return -1;
    }
    if (s->utf8)
        log_debug("%s: UTF8=ACCEPT enabled: mailbox names sent as UTF-8", s->name);
    return 0;
}

static int imap_select(imap_state *s, minca_err *err);

/* A new connection in place of a lost one: login, UTF8=ACCEPT, and the mailbox selected again
 * when it was (with the UIDVALIDITY it had: the UIDs of this poll must still mean the same). */
static int imap_reconnect(imap_state *s, minca_err *err)
{
    CURL *fresh = curl_easy_duphandle(s->curl);
    if (!fresh)
        return minca_err_set(err, "%s: cannot start libcurl", s->name);
    curl_easy_cleanup(s->curl);
    s->curl = fresh;
    s->sock = CURL_SOCKET_BAD;
    s->dead = s->utf8 = false;
    g_string_truncate(s->in, 0);
    g_string_truncate(s->reason, 0);
    s->reconnecting = true;
    unsigned long was = s->validity;
    int rc = imap_connect(s, err);
    if (rc == 0 && s->selected) {
        rc = imap_select(s, err);
        if (rc == 0 && s->validity != was)
            rc = minca_err_set(err, "%s: the UIDVALIDITY of %s changed during the poll", s->name, s->mailbox);
    }
    s->reconnecting = false;
    if (rc < 0)
        s->dead = true;
    return rc;
}

/* imap_command_once on a live connection: a lost one is replaced first, and a command the loss
 * interrupted is sent once more on the new one (FETCH, STORE and MOVE by UID may be repeated). */
static int imap_command(imap_state *s, const char *cmd, imap_untagged_fn fn, void *user, minca_err *err)
{
    if (s->dead && !s->reconnecting && imap_reconnect(s, err) < 0)
        return -1;
    int r = imap_command_once(s, cmd, fn, user, err);
    if (r >= 0 || !s->dead || s->reconnecting || s->too_big)
        return r;
    log_info("%s: %s; connecting again", s->name, err->msg);
    if (imap_reconnect(s, err) < 0)
        return -1;
    return imap_command_once(s, cmd, fn, user, err);
}

static void on_select(imap_state *s, void *user)
{
    const char *v = strstr(s->line->str, "[UIDVALIDITY ");
    if (v)
        s->validity = strtoul(v + 13, NULL, 10);
}

static int imap_select(imap_state *s, minca_err *err)
{
    char *arg = mailbox_arg(s, s->mailbox);
    /* The IMAP command (RFC 3501 6.3.1); the verb apart so no SQL-looking text sits in intake. */
    char *cmd = g_strdup_printf("%s %s", "SELECT", arg);
    s->validity = 0;
    int r = imap_command(s, cmd, on_select, NULL, err);
    g_free(cmd);
    g_free(arg);
    if (r < 0)
        return -1;
    if (r > 0)
        return minca_err_set(err, "%s: SELECT %s refused: %s", s->name, s->mailbox, s->reason->str);
    if (!s->validity)
        return minca_err_set(err, "%s: the server gave no UIDVALIDITY for %s", s->name, s->mailbox);
    s->selected = true;
    return 0;
}

static void on_search(imap_state *s, void *user)
{
    const char *p = untagged(s, "SEARCH");
    unsigned long last = *(unsigned long *)user;
    while (p && *p) {
        while (*p == ' ')
            p++;
        char *end;
        unsigned long uid = strtoul(p, &end, 10);
        if (end == p)
            break;
        if (uid > last)   /* "n:*" also matches the highest UID when it is below n */
            g_array_append_val(s->uids, uid);
        p = end;
    }
}

static gint uid_cmp(gconstpointer a, gconstpointer b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

static int search_uids(imap_state *s, unsigned long last, minca_err *err)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "UID SEARCH UID %lu:*", last + 1);
    int r = imap_command(s, cmd, on_search, &last, err);
    if (r < 0)
        return -1;
    if (r > 0)
        return minca_err_set(err, "%s: UID SEARCH refused: %s", s->name, s->reason->str);
    g_array_sort(s->uids, uid_cmp);
    return 0;
}

static void imap_close(void *state)
{
    imap_state *s = state;
    if (!s)
        return;
    if (s->curl && s->sock != CURL_SOCKET_BAD && !s->dead) {
        minca_err lerr = {0};
        s->timeout_s = MIN(s->timeout_s, 5);
        imap_command_once(s, "LOGOUT", NULL, NULL, &lerr);
    }
    if (s->curl)
        curl_easy_cleanup(s->curl);
    curl_slist_free_all(s->pin);
    if (s->password) {
        memset(s->password, 0, strlen(s->password));
        g_free(s->password);
    }
    g_free(s->name);
    g_free(s->base);
    g_free(s->mailbox);
    g_free(s->mailbox_url);
    g_free(s->after);
    g_free(s->caps);
    if (s->uids)
        g_array_free(s->uids, TRUE);
    GString *bufs[] = {s->in, s->line, s->lit, s->reason, s->found};
    for (size_t i = 0; i < G_N_ELEMENTS(bufs); i++)
        if (bufs[i])
            g_string_free(bufs[i], TRUE);
    g_free(s);
}

static imap_state *imap_state_new(const intake_source_args *args)
{
    imap_state *s = g_new0(imap_state, 1);
    s->sock = CURL_SOCKET_BAD;
    s->name = g_strdup(args->name ? args->name : "imap");
    s->in = g_string_new(NULL);
    s->line = g_string_new(NULL);
    s->lit = g_string_new(NULL);
    s->reason = g_string_new(NULL);
    s->found = g_string_new(NULL);
    s->uids = g_array_new(FALSE, FALSE, sizeof(unsigned long));
    s->max_bytes = args->max_message_bytes ? args->max_message_bytes : INTAKE_DEFAULT_MAX_MESSAGE_BYTES;
    s->timeout_s = 60;
    return s;
}

static int imap_open(const intake_source_args *args, void **state, minca_err *err)
{
    intake_curl_init();
    imap_state *s = imap_state_new(args);
    if (parse_url(s, config_source_get(args->cfg, "url"), err) < 0 || imap_setup(s, args->cfg, err) < 0 ||
        imap_connect(s, err) < 0 || imap_select(s, err) < 0)
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

typedef struct fetch_want {
    unsigned long uid;
    bool got, too_big;
} fetch_want;

/* "* n FETCH (UID u ... BODY[] {len}" for the UID asked: its literal becomes s->found. */
static void on_fetch(imap_state *s, void *user)
{
    fetch_want *w = user;
    const char *l = s->line->str + 2;
    const char *f = strstr(l, " FETCH (");
    const char *u = f ? strstr(f, "UID ") : NULL;
    if (!f || !u || strtoul(u + 4, NULL, 10) != w->uid || !strstr(f, "BODY[]"))
        return;
    if (s->too_big) {
        w->too_big = true;
        return;
    }
    GString *t = s->found;
    s->found = s->lit;
    s->lit = t;
    w->got = true;
}

static int imap_next(void *state, intake_item *item, minca_err *err)
{
    imap_state *s = state;
    if (s->next >= s->uids->len)
        return 0;
    unsigned long uid = g_array_index(s->uids, unsigned long, s->next++);
    item->source_id = core_strdup_printf("%lu:%lu", s->validity, uid);
    item->cursor = g_strdup(item->source_id);
    item->origin = core_strdup_printf("%s;UID=%lu", s->mailbox_url, uid);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "UID FETCH %lu BODY[]", uid);
    fetch_want w = {.uid = uid};
    g_string_truncate(s->found, 0);
    minca_err ferr = {0};
    int r = imap_command(s, cmd, on_fetch, &w, &ferr);
    if (r < 0 && s->too_big)
        w.too_big = true;
    else if (r < 0) {
        minca_err_set(err, "%s", ferr.msg);
        return -2;
    }
    if (r > 0) {
        minca_err_set(err, "%s: UID FETCH %lu refused: %s", s->name, uid, s->reason->str);
        return -2;
    }
    if (w.too_big)
        return minca_err_set(err, "%s: UID %lu is above the limit of %zu bytes; skipped", s->name, uid, s->max_bytes);
    if (!w.got) {
        /* Expunged since the search: nothing to store, move on. */
        log_info("%s: UID %lu is gone from %s", s->name, uid, s->mailbox);
        g_free(item->source_id);
        item->source_id = NULL;
        return 1;
    }
    item->len = s->found->len;
    item->data = g_malloc(item->len + 1);
    memcpy(item->data, s->found->str, item->len + 1);
    return 1;
}

/* The name of a "* LIST (flags) delim name" response: a quoted string, a literal or an atom;
 * in UTF-8 once UTF8=ACCEPT is enabled, else modified UTF-7 (a name that is neither is kept
 * with its bytes made valid). NULL for another response. Caller g_free()s. */
static char *list_name(const imap_state *s)
{
    const char *p = untagged(s, "LIST");
    if (!p || !(p = strchr(p, ')')))
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    if (*p == '"')
        p = strchr(p + 2, '"');   /* the delimiter, one character, maybe escaped */
    else
        p = strchr(p, ' ');       /* NIL */
    if (!p)
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    char *raw;
    if (literal_size(s->line->str, s->line->len) >= 0) {
        raw = g_strndup(s->lit->str, s->lit->len);
    } else if (*p == '"') {
        GString *u = g_string_new(NULL);
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            g_string_append_c(u, *p);
        }
        raw = g_string_free(u, FALSE);
    } else {
        raw = g_strdup(p);
    }
    char *name = NULL;
    if (s->utf8 && g_utf8_validate(raw, -1, NULL))
        name = g_strdup(raw);
    else if (!s->utf8)
        name = intake_imap_mutf7_decode(raw);
    if (!name)
        name = g_utf8_make_valid(raw, -1);
    g_free(raw);
    return name;
}

static void on_list(imap_state *s, void *user)
{
    GPtrArray *names = user;
    char *name = list_name(s);
    if (name && names->len < 1000)
        g_ptr_array_add(names, name);
    else
        g_free(name);
}

static gint str_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "; the server's folders: A, B, ..." (at most 20), or "" when LIST gives none. Caller g_free()s. */
static char *folders_hint(imap_state *s)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    minca_err lerr = {0};
    GString *hint = g_string_new(NULL);
    if (imap_command(s, "LIST \"\" \"*\"", on_list, names, &lerr) == 0 && names->len) {
        g_ptr_array_sort(names, str_cmp);
        g_string_append(hint, "; the server's folders: ");
        for (guint i = 0; i < names->len && i < 20; i++)
            g_string_append_printf(hint, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(names, i));
        if (names->len > 20)
            g_string_append_printf(hint, " and %u more", names->len - 20);
    }
    g_ptr_array_free(names, TRUE);
    return g_string_free(hint, FALSE);
}

static int imap_ack(void *state, const intake_item *item, minca_err *err)
{
    imap_state *s = state;
    if (!s->after || !item->source_id)
        return 0;
    unsigned long uid = strtoul(strchr(item->source_id, ':') + 1, NULL, 10);
    bool seen = strcmp(s->after, "seen") == 0;
    char *cmd;
    if (seen) {
        cmd = g_strdup_printf("UID STORE %lu +FLAGS.SILENT (\\Seen)", uid);
    } else {
        char *q = mailbox_arg(s, s->after + 5);
        cmd = g_strdup_printf("UID MOVE %lu %s", uid, q);
        g_free(q);
    }
    minca_err cerr = {0};
    int r = imap_command(s, cmd, NULL, NULL, &cerr);
    g_free(cmd);
    if (r == 0)
        return 0;
    if (r < 0)
        return minca_err_set(err, "%s: %s of UID %lu: %s", s->name, seen ? "flagging \\Seen" : s->after, uid, cerr.msg);
    char *reason = g_strdup(s->reason->str);
    bool missing = strstr(reason, "[TRYCREATE]") || strstr(reason, "[NONEXISTENT]");
    char *hint = !seen && missing ? folders_hint(s) : g_strdup("");
    minca_err_set(err, "%s: %s of UID %lu: %s%s", s->name, seen ? "flagging \\Seen" : s->after, uid, reason, hint);
    g_free(reason);
    g_free(hint);
    return -1;
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

int intake_imap_idle(const intake_source_args *args, int timeout_s, const volatile sig_atomic_t *stop,
                     minca_err *err)
{
    intake_curl_init();
    imap_state *s = imap_state_new(args);
    int rc = -1;
    if (parse_url(s, config_source_get(args->cfg, "url"), err) < 0 || imap_setup(s, args->cfg, err) < 0 ||
        imap_connect(s, err) < 0)
        goto done;
    if (!has_cap(s, "IDLE")) {
        minca_err_set(err, "%s: the server does not offer IDLE", s->name);
        rc = -2;
        goto done;
    }
    if (imap_select(s, err) < 0)
        goto done;
    char tag[16];
    snprintf(tag, sizeof tag, "m%u", ++s->tag);
    char *line = g_strdup_printf("%s IDLE\r\n", tag);
    int sr = imap_send(s, line, err);
    g_free(line);
    if (sr < 0)
        goto done;
    /* "+ idling", then new mail is "* N EXISTS" (RFC 3501 7.3.1). */
    bool idling = false;
    double until = core_now_seconds() + 20;
    for (;;) {
        int r = imap_read_response(s, until, stop, err);
        if (r < 0)
            goto done;
        if (r == 0) {
            if (!idling && !(stop && *stop)) {
                minca_err_set(err, "%s: the server did not start IDLE", s->name);
                goto done;
            }
            rc = 0;
            break;
        }
        const char *l = s->line->str;
        if (!idling && l[0] == '+') {
            idling = true;
            until = core_now_seconds() + timeout_s;
        } else if (g_str_has_prefix(l, tag)) {
            keep_reason(s, l + strlen(tag));
            if (!idling) {
                minca_err_set(err, "%s: IDLE refused:%s", s->name, s->reason->str);
                goto done;
            }
            rc = 0;
            break;
        } else if (g_str_has_prefix(l, "* ") && strstr(l, " EXISTS")) {
            rc = 1;
            break;
        }
    }
    if (idling) {
        minca_err derr = {0};
        imap_send(s, "DONE\r\n", &derr);
    }
done:
    imap_close(s);
    return rc;
}
