/* graph: a mail folder of a Microsoft 365 / Exchange Online mailbox through Microsoft Graph.
 *
 *   token   POST {authority}/{tenant}/oauth2/v2.0/token (client credentials), cached per
 *           process and renewed before it expires (or at once when Graph says it expired)
 *   delta   GET {graph}/users/{user}/mailFolders/{folder}/messages/delta, following
 *           @odata.nextLink page by page until @odata.deltaLink, which is the next poll's
 *           start; the cursor is the link of the page being read, so a restart reads that
 *           page again and skips the messages already stored (by their Graph id)
 *   message the JSON fields (sender, recipients, subject, body, dates, Message-ID) and its
 *           attachments (fileAttachment contentBytes, or /$value for large ones and for
 *           attached messages) are built into a MIME message, like any other source's
 *
 * Every request asks for immutable ids (Prefer: IdType="ImmutableId"), so a message moved out
 * of the folder and back keeps its id. A delta token Graph no longer knows (410 Gone,
 * SyncStateNotFound) starts the folder again from a fresh delta query (or the Location Graph
 * gives): what is already stored is recognised by id, or by content, and not stored twice.
 * A message's identity is the hash of what Graph gave (Message-ID, sender, recipients,
 * subject, date, body, each attachment's name and bytes), never of the MIME rebuilt here.
 * A message above max_message_mb is skipped and recorded (the source goes on); a
 * referenceAttachment (a OneDrive / SharePoint link) becomes a problem of the message with
 * its link.
 *
 * 429 and 503 wait for Retry-After (bounded) and try again. The client secret comes from
 * client_secret_env / client_secret_file and is only sent in the token request's body; the
 * bearer token is only sent to the configured Graph host. */
#include "intake_internal.h"
#include "minca/core_config.h"

#include <curl/curl.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GRAPH_SELECT "id,internetMessageId,subject,from,sender,toRecipients,ccRecipients,sentDateTime," \
                     "receivedDateTime,body,hasAttachments"
#define INLINE_ATTACHMENT_MAX (3 * 1024 * 1024)

/* ---- token cache (per process, shared by every poll of the same app registration) ---- */

typedef struct token_entry {
    char *key;      /* token url + client id */
    char *token;
    double expires; /* core_now_seconds() when it stops being valid */
    double lifetime;
} token_entry;

static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;
static GPtrArray *tokens;

typedef struct graph_state {
    CURL *curl;
    char *name;
    char *token_url, *client_id, *secret, *scope, *graph_url, *user, *folder;
    char *token_key;
    char *link;          /* page to read next (nextLink), NULL when none */
    char *page_link;     /* link of the page whose items are queued */
    char *delta_link;    /* set once the last page was read */
    bool skip_message;   /* the message being built is skipped (too big), not the source failing */
    struct curl_slist *pin; /* plain http: the loopback addresses checked, for CURLOPT_RESOLVE */
    char *start_link;    /* the first delta query of the folder (a full read) */
    char *location;      /* Location header of the last answer, or NULL */
    bool resynced;       /* this poll already restarted after a 410 */
    bool too_big;        /* the last answer was cut at max_bytes */
    bool delta_emitted;
    json_t *page;        /* items of the current page (array), owned */
    size_t page_next;
    int max_retries, max_wait;
    size_t max_bytes;
    bool (*seen)(void *user, const char *source_id);
    void *seen_user;
    GString *buf;
    long status;
    double retry_after;
    char errbuf[CURL_ERROR_SIZE];
} graph_state;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    graph_state *s = user;
    size_t n = size * nmemb;
    if (s->buf->len + n > s->max_bytes + 4096) {
        s->too_big = true;
        return 0;
    }
    g_string_append_len(s->buf, ptr, (gssize)n);
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *user)
{
    graph_state *s = user;
    size_t n = size * nmemb;
    if (n > 12 && g_ascii_strncasecmp(ptr, "Retry-After:", 12) == 0)
        s->retry_after = strtod(ptr + 12, NULL);
    if (n > 9 && g_ascii_strncasecmp(ptr, "Location:", 9) == 0) {
        g_free(s->location);
        s->location = g_strstrip(g_strndup(ptr + 9, n - 9));
    }
    return n;
}

/* One HTTP exchange: method (NULL: GET, or POST when there is a body), body (may be NULL)
 * with its content type (NULL: a form). Returns 0 with s->status set, -1 when no HTTP answer
 * came (err). */
static int http_exchange(graph_state *s, const char *method, const char *url, const char *body, long body_len,
                         const char *body_type, const char *bearer, const char *extra_header, minca_err *err)
{
    g_string_truncate(s->buf, 0);
    s->status = 0;
    s->retry_after = -1;
    s->too_big = false;
    g_free(s->location);
    s->location = NULL;
    s->errbuf[0] = '\0';
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    struct curl_slist *hdr = NULL;
    char *auth = NULL;
    if (bearer) {
        auth = core_strdup_printf("Authorization: Bearer %s", bearer);
        hdr = curl_slist_append(hdr, auth);
        hdr = curl_slist_append(hdr, "Prefer: odata.maxpagesize=50");
        hdr = curl_slist_append(hdr, "Prefer: IdType=\"ImmutableId\"");
    }
    hdr = curl_slist_append(hdr, "Accept: application/json");
    if (body && body_type) {
        char *ct = core_strdup_printf("Content-Type: %s", body_type);
        hdr = curl_slist_append(hdr, ct);
        g_free(ct);
    }
    if (extra_header)
        hdr = curl_slist_append(hdr, extra_header);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    } else if (method && strcmp(method, "GET") != 0) {
        /* A POST without a body (createReply, send): an empty one, Content-Length: 0. */
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    if (method)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    if (auth) {
        memset(auth, 0, strlen(auth));
        g_free(auth);
    }
    if (rc != CURLE_OK)
        return minca_err_set(err, "%s: %s", s->name, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s->status);
    return 0;
}

static int http_send(graph_state *s, const char *method, const char *url, const char *body, const char *body_type,
                     const char *bearer, minca_err *err)
{
    return http_exchange(s, method, url, body, body ? -1 : 0, body_type, bearer, NULL, err);
}

static int http(graph_state *s, const char *url, const char *body, const char *bearer, minca_err *err)
{
    return http_send(s, NULL, url, body, NULL, bearer, err);
}

/* The error Graph or the token endpoint gave, without echoing anything we sent. */
static void describe_error(graph_state *s, const char *what, minca_err *err)
{
    json_t *j = json_loadb(s->buf->str, s->buf->len, 0, NULL);
    const char *code = NULL, *msg = NULL;
    json_t *e = json_object_get(j, "error");
    if (json_is_object(e)) {
        code = json_string_value(json_object_get(e, "code"));
        msg = json_string_value(json_object_get(e, "message"));
    } else if (json_is_string(e)) {
        code = json_string_value(e);
        msg = json_string_value(json_object_get(j, "error_description"));
    }
    minca_err_set(err, "%s: %s: HTTP %ld%s%s%s%.200s", s->name, what, s->status, code ? " " : "", code ? code : "",
                  msg ? ": " : "", msg ? msg : "");
    json_decref(j);
}

static token_entry *token_find(const char *key)
{
    for (guint i = 0; tokens && i < tokens->len; i++) {
        token_entry *t = g_ptr_array_index(tokens, i);
        if (strcmp(t->key, key) == 0)
            return t;
    }
    return NULL;
}

/* A valid token into *out (g_malloc'd): the cached one unless it is within its last sixth of
 * life (at most 5 minutes) or `renew` asks for a new one. */
static int get_token(graph_state *s, bool renew, char **out, minca_err *err)
{
    *out = NULL;
    pthread_mutex_lock(&token_lock);
    token_entry *t = token_find(s->token_key);
    double now = core_now_seconds();
    if (t && !renew && t->token) {
        double margin = t->lifetime / 6 < 300 ? t->lifetime / 6 : 300;
        if (now < t->expires - margin)
            *out = g_strdup(t->token);
    }
    pthread_mutex_unlock(&token_lock);
    if (*out)
        return 0;
    char *id = curl_easy_escape(s->curl, s->client_id, 0), *sec = curl_easy_escape(s->curl, s->secret, 0),
         *scope = curl_easy_escape(s->curl, s->scope, 0);
    char *body = core_strdup_printf("grant_type=client_credentials&client_id=%s&client_secret=%s&scope=%s", id, sec, scope);
    curl_free(id);
    memset(sec, 0, strlen(sec));
    curl_free(sec);
    curl_free(scope);
    int rc = -1;
    for (int attempt = 0;; attempt++) {
        if (http(s, s->token_url, body, NULL, err) < 0)
            break;
        if ((s->status == 429 || s->status == 503) && attempt < s->max_retries) {
            sleep((unsigned)(s->retry_after > 0 ? (s->retry_after < s->max_wait ? s->retry_after : s->max_wait) : 1));
            continue;
        }
        if (s->status != 200) {
            describe_error(s, "the token request was refused", err);
            break;
        }
        json_t *j = json_loadb(s->buf->str, s->buf->len, 0, NULL);
        const char *tok = json_string_value(json_object_get(j, "access_token"));
        json_int_t life = json_integer_value(json_object_get(j, "expires_in"));
        if (!tok) {
            minca_err_set(err, "%s: the token endpoint answered without an access_token", s->name);
        } else {
            pthread_mutex_lock(&token_lock);
            if (!tokens)
                tokens = g_ptr_array_new();
            token_entry *e = token_find(s->token_key);
            if (!e) {
                e = g_malloc0_n(1, sizeof *e);
                e->key = g_strdup(s->token_key);
                g_ptr_array_add(tokens, e);
            }
            g_free(e->token);
            e->token = g_strdup(tok);
            e->lifetime = life > 0 ? (double)life : 3600;
            e->expires = core_now_seconds() + e->lifetime;
            pthread_mutex_unlock(&token_lock);
            *out = g_strdup(tok);
            rc = 0;
        }
        json_decref(j);
        break;
    }
    memset(body, 0, strlen(body));
    g_free(body);
    return rc;
}

/* A request to Graph with the bearer token (method NULL: GET; json: a JSON body): waits out
 * 429/503 (Retry-After), renews the token once on 401. Returns 0 with a 2xx answer in s->buf,
 * -1 otherwise (err; s->status holds the answer's status, 0 when none came). */
static int graph_call_ex(graph_state *s, const char *method, const char *url, const char *json, const char *what,
                         bool may_repeat, minca_err *err)
{
    if (!g_str_has_prefix(url, s->graph_url))
        return minca_err_set(err, "%s: refusing to send the token to a link outside %s", s->name, s->graph_url);
    bool renewed = false;
    for (int attempt = 0;; attempt++) {
        char *tok = NULL;
        if (get_token(s, false, &tok, err) < 0)
            return -1;
        int rc = http_send(s, method, url, json, json ? "application/json" : NULL, tok, err);
        memset(tok, 0, strlen(tok));
        g_free(tok);
        if (rc < 0)
            return -1;
        if (s->status >= 200 && s->status < 300)
            return 0;
        if (s->status == 401 && !renewed) {
            /* Expired or revoked before its time: forget it and ask for a new one. */
            log_info("%s: Graph refused the access token (HTTP 401); requesting a new one", s->name);
            char *fresh = NULL;
            if (get_token(s, true, &fresh, err) < 0)
                return -1;
            g_free(fresh);
            renewed = true;
            continue;
        }
        if ((s->status == 429 || s->status == 503 || (s->status == 504 && may_repeat)) && attempt < s->max_retries) {
            double wait = s->retry_after >= 0 ? s->retry_after : (double)(1 << (attempt < 5 ? attempt : 5));
            if (wait > s->max_wait)
                wait = s->max_wait;
            log_info("%s: Graph answered %ld to %s; retrying after %.0f s", s->name, s->status, what, wait);
            usleep((useconds_t)(wait * 1e6));
            continue;
        }
        describe_error(s, what, err);
        return -1;
    }
}

static int graph_call(graph_state *s, const char *method, const char *url, const char *json, const char *what,
                      minca_err *err)
{
    return graph_call_ex(s, method, url, json, what, true, err);
}

static int graph_get(graph_state *s, const char *url, const char *what, minca_err *err)
{
    return graph_call(s, NULL, url, NULL, what, err);
}

static char *users_url(graph_state *s, const char *rest)
{
    char *u = curl_easy_escape(s->curl, s->user, 0);
    char *url = core_strdup_printf("%s/users/%s%s", s->graph_url, u, rest);
    curl_free(u);
    return url;
}

static int read_page(graph_state *s, minca_err *err)
{
    json_decref(s->page);
    s->page = NULL;
    s->page_next = 0;
    g_free(s->page_link);
    s->page_link = s->link;
    s->link = NULL;
    if (graph_get(s, s->page_link, "the delta query", err) < 0) {
        if (s->status != 410 || s->resynced)
            return -1;
        /* The delta token expired (SyncStateNotFound): read the folder again from the start. */
        log_warn("%s; reading the folder again from the start (messages already stored are not stored twice)",
                 err->msg);
        s->resynced = true;
        s->link = s->location && g_str_has_prefix(s->location, s->graph_url) ? g_strdup(s->location)
                                                                             : g_strdup(s->start_link);
        minca_err_clear(err);
        return read_page(s, err);
    }
    json_error_t je;
    json_t *j = json_loadb(s->buf->str, s->buf->len, 0, &je);
    if (!j || !json_is_array(json_object_get(j, "value"))) {
        json_decref(j);
        return minca_err_set(err, "%s: the delta page is not the expected JSON", s->name);
    }
    s->page = json_incref(json_object_get(j, "value"));
    const char *next = json_string_value(json_object_get(j, "@odata.nextLink"));
    const char *delta = json_string_value(json_object_get(j, "@odata.deltaLink"));
    if (next)
        s->link = g_strdup(next);
    else if (delta)
        s->delta_link = g_strdup(delta);
    else {
        json_decref(j);
        return minca_err_set(err, "%s: a delta page without nextLink or deltaLink", s->name);
    }
    json_decref(j);
    return 0;
}

static char *recipient(json_t *r)
{
    json_t *ea = json_object_get(r, "emailAddress");
    const char *addr = json_string_value(json_object_get(ea, "address"));
    const char *name = json_string_value(json_object_get(ea, "name"));
    if (!addr)
        return NULL;
    if (name && *name && strcmp(name, addr) != 0) {
        GString *q = g_string_new("\"");
        for (const char *p = name; *p; p++) {
            if (*p == '"' || *p == '\\')
                g_string_append_c(q, '\\');
            g_string_append_c(q, *p);
        }
        g_string_append_printf(q, "\" <%s>", addr);
        return g_string_free(q, FALSE);
    }
    return g_strdup(addr);
}

static char *recipients(json_t *arr)
{
    GString *out = g_string_new(NULL);
    size_t i;
    json_t *r;
    json_array_foreach(arr, i, r) {
        char *one = recipient(r);
        if (one) {
            if (out->len)
                g_string_append(out, ", ");
            g_string_append(out, one);
            g_free(one);
        }
    }
    return g_string_free(out, out->len == 0);
}

typedef struct att_bytes {
    intake_compose_attachment *list;
    size_t n;
    GPtrArray *keep;   /* buffers the list points into */
} att_bytes;

/* Graph's own description of a linked file: its name and, where Graph gives it, its link. */
static void note_reference(json_t *a, intake_item *item)
{
    const char *name = json_string_value(json_object_get(a, "name"));
    const char *url = json_string_value(json_object_get(a, "sourceUrl"));
    const char *provider = json_string_value(json_object_get(a, "providerType"));
    if (url)
        intake_strv_pushf(&item->notes, &item->n_notes,
                          "linked file \"%s\" (%s) is not attached, only linked: %s", name ? name : "?",
                          provider ? provider : "cloud storage", url);
    else
        intake_strv_pushf(&item->notes, &item->n_notes,
                          "linked file \"%s\" is not attached, only linked (Graph gives no link; open the message in "
                          "Outlook)", name ? name : "?");
}

/* True (err set) when the message is over the size limit: the attachments Graph lists,
 * and the body, count. */
static bool over_limit(graph_state *s, json_t *m, json_t *list, const char *id, minca_err *err)
{
    const char *content = json_string_value(json_object_get(json_object_get(m, "body"), "content"));
    size_t total = content ? strlen(content) : 0;
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) {
        const char *type = json_string_value(json_object_get(a, "@odata.type"));
        json_int_t size = json_integer_value(json_object_get(a, "size"));
        if (size > 0 && !(type && strcmp(type, "#microsoft.graph.referenceAttachment") == 0))
            total += (size_t)size;
    }
    if (total <= s->max_bytes)
        return false;
    minca_err_set(err, "%s: message %s is %.1f MB, above the limit of %.1f MB; skipped", s->name, id,
                  (double)total / (1024.0 * 1024.0), (double)s->max_bytes / (1024.0 * 1024.0));
    return true;
}

static int fetch_attachments(graph_state *s, json_t *m, const char *id, att_bytes *ab, char ***skipped,
                             size_t *n_skipped, intake_item *item_out, minca_err *err)
{
    char *mid = curl_easy_escape(s->curl, id, 0);
    char *rest = core_strdup_printf("/messages/%s/attachments", mid);
    char *url = users_url(s, rest);
    g_free(rest);
    int rc = graph_get(s, url, "the attachment list", err);
    g_free(url);
    if (rc < 0) {
        curl_free(mid);
        return -1;
    }
    json_t *j = json_loadb(s->buf->str, s->buf->len, 0, NULL);
    json_t *list = json_object_get(j, "value");
    if (over_limit(s, m, list, id, err)) {
        s->skip_message = true;
        json_decref(j);
        curl_free(mid);
        return -1;
    }
    ab->list = g_malloc0_n(json_array_size(list) + 1, sizeof *ab->list);
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) {
        const char *type = json_string_value(json_object_get(a, "@odata.type"));
        const char *aid = json_string_value(json_object_get(a, "id"));
        const char *name = json_string_value(json_object_get(a, "name"));
        const char *b64 = json_string_value(json_object_get(a, "contentBytes"));
        json_int_t size = json_integer_value(json_object_get(a, "size"));
        bool file = type && strcmp(type, "#microsoft.graph.fileAttachment") == 0;
        bool item = type && strcmp(type, "#microsoft.graph.itemAttachment") == 0;
        if (type && strcmp(type, "#microsoft.graph.referenceAttachment") == 0) {
            note_reference(a, item_out);
            continue;
        }
        if (!aid || (!file && !item)) {
            intake_strv_pushf(skipped, n_skipped, "%s (%s)", name ? name : "attachment", type ? type : "unknown type");
            continue;
        }
        guchar *data = NULL;
        gsize len = 0;
        if (file && b64 && size <= INLINE_ATTACHMENT_MAX) {
            data = g_base64_decode(b64, &len);
        } else {
            /* Large files and attached messages: the raw bytes from /$value. */
            char *eaid = curl_easy_escape(s->curl, aid, 0);
            char *r2 = core_strdup_printf("/messages/%s/attachments/%s/$value", mid, eaid);
            char *u2 = users_url(s, r2);
            curl_free(eaid);
            g_free(r2);
            int vrc = graph_get(s, u2, "an attachment's content", err);
            g_free(u2);
            if (vrc < 0 && s->too_big) {
                s->skip_message = true;
                minca_err_set(err, "%s: message %s: attachment \"%s\" is above the limit of %.1f MB; skipped",
                              s->name, id, name ? name : "?", (double)s->max_bytes / (1024.0 * 1024.0));
            }
            if (vrc < 0) {
                json_decref(j);
                curl_free(mid);
                return -1;
            }
            len = s->buf->len;
            data = g_memdup2(s->buf->str, len);
        }
        g_ptr_array_add(ab->keep, data);
        const char *ctype = json_string_value(json_object_get(a, "contentType"));
        char *fname = g_strdup(name ? name : "attachment");
        if (item && !g_str_has_suffix(fname, ".eml")) {
            char *t = g_strconcat(fname, ".eml", NULL);
            g_free(fname);
            fname = t;
        }
        g_ptr_array_add(ab->keep, fname);
        char *cid = json_is_true(json_object_get(a, "isInline")) && json_string_value(json_object_get(a, "contentId"))
                        ? g_strdup(json_string_value(json_object_get(a, "contentId")))
                        : NULL;
        if (cid)
            g_ptr_array_add(ab->keep, cid);
        char *ct = g_strdup(item ? "message/rfc822" : ctype);
        if (ct)
            g_ptr_array_add(ab->keep, ct);
        ab->list[ab->n++] = (intake_compose_attachment){
            .filename = fname, .content_type = ct, .data = data, .size = len, .content_id = cid};
    }
    json_decref(j);
    curl_free(mid);
    return 0;
}

static int64_t iso_time(const char *s)
{
    if (!s)
        return 0;
    GDateTime *d = g_date_time_new_from_iso8601(s, NULL);
    if (!d)
        return 0;
    int64_t t = g_date_time_to_unix(d);
    g_date_time_unref(d);
    return t;
}

static void hash_field(GChecksum *ck, const char *v)
{
    g_checksum_update(ck, (const guchar *)(v ? v : ""), -1);
    g_checksum_update(ck, (const guchar *)"", 1);
}

static void hash_addresses(GChecksum *ck, json_t *arr)
{
    size_t i;
    json_t *r;
    json_array_foreach(arr, i, r)
        hash_field(ck, json_string_value(json_object_get(json_object_get(r, "emailAddress"), "address")));
    hash_field(ck, "");
}

/* The message's identity from what Graph gave, the same whatever id the message has now and
 * however it is rebuilt: Message-ID, sender, recipients, subject, date, body and attachments. */
static void content_identity(json_t *m, const att_bytes *ab, char out[65])
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    hash_field(ck, "graph-message-v1");
    hash_field(ck, json_string_value(json_object_get(m, "internetMessageId")));
    json_t *from = json_object_get(m, "from") ? json_object_get(m, "from") : json_object_get(m, "sender");
    hash_field(ck, json_string_value(json_object_get(json_object_get(from, "emailAddress"), "address")));
    hash_addresses(ck, json_object_get(m, "toRecipients"));
    hash_addresses(ck, json_object_get(m, "ccRecipients"));
    hash_field(ck, json_string_value(json_object_get(m, "subject")));
    hash_field(ck, json_string_value(json_object_get(m, "sentDateTime")));
    json_t *body = json_object_get(m, "body");
    hash_field(ck, json_string_value(json_object_get(body, "contentType")));
    hash_field(ck, json_string_value(json_object_get(body, "content")));
    for (size_t i = 0; i < ab->n; i++) {
        char sha[65];
        core_sha256_hex(ab->list[i].data, ab->list[i].size, sha);
        hash_field(ck, ab->list[i].filename);
        hash_field(ck, sha);
    }
    g_strlcpy(out, g_checksum_get_string(ck), 65);
    g_checksum_free(ck);
}

/* One Graph message as MIME bytes. */
static int build_message(graph_state *s, json_t *m, intake_item *item, minca_err *err)
{
    const char *id = json_string_value(json_object_get(m, "id"));
    json_t *from_obj = json_object_get(m, "from") ? json_object_get(m, "from") : json_object_get(m, "sender");
    char *from = recipient(from_obj);
    char *to = recipients(json_object_get(m, "toRecipients"));
    char *cc = recipients(json_object_get(m, "ccRecipients"));
    json_t *body = json_object_get(m, "body");
    const char *btype = json_string_value(json_object_get(body, "contentType"));
    const char *content = json_string_value(json_object_get(body, "content"));
    bool html = btype && g_ascii_strcasecmp(btype, "html") == 0;
    att_bytes ab = {.keep = g_ptr_array_new_with_free_func(g_free)};
    char **skipped = NULL;
    size_t n_skipped = 0;
    int rc = -1;
    if (json_is_true(json_object_get(m, "hasAttachments"))) {
        if (fetch_attachments(s, m, id, &ab, &skipped, &n_skipped, item, err) < 0)
            goto done;
    } else if (over_limit(s, m, NULL, id, err)) {
        s->skip_message = true;
        goto done;
    }
    content_identity(m, &ab, item->content_sha256);
    for (size_t i = 0; i < n_skipped; i++)
        intake_strv_pushf(&item->notes, &item->n_notes, "attachment %s was not read (not a file or an email)",
                          skipped[i]);
    GPtrArray *hdrs = g_ptr_array_new();
    g_ptr_array_add(hdrs, "X-Minca-Graph-Id");
    g_ptr_array_add(hdrs, (gpointer)id);
    GString *skip_note = NULL;
    if (n_skipped) {
        skip_note = g_string_new(NULL);
        for (size_t i = 0; i < n_skipped; i++)
            g_string_append_printf(skip_note, "%s%s", i ? ", " : "", skipped[i]);
        g_ptr_array_add(hdrs, "X-Minca-Skipped-Attachments");
        g_ptr_array_add(hdrs, skip_note->str);
    }
    g_ptr_array_add(hdrs, NULL);
    g_ptr_array_add(hdrs, NULL);
    char *fallback_id = json_string_value(json_object_get(m, "internetMessageId"))
                            ? NULL
                            : core_strdup_printf("<graph-%s@graph.minca.invalid>", id);
    intake_compose c = {
        .from = from ? from : "unknown@graph.invalid",
        .to = to,
        .cc = cc,
        .subject = json_string_value(json_object_get(m, "subject")),
        .text_body = html ? NULL : (content ? content : ""),
        .html_body = html ? content : NULL,
        .message_id = fallback_id ? fallback_id : json_string_value(json_object_get(m, "internetMessageId")),
        .date = iso_time(json_string_value(json_object_get(m, "sentDateTime")))
                    ? iso_time(json_string_value(json_object_get(m, "sentDateTime")))
                    : iso_time(json_string_value(json_object_get(m, "receivedDateTime"))),
        .attachments = ab.list,
        .n_attachments = ab.n,
        .extra_headers = (const char *const *)hdrs->pdata,
    };
    rc = intake_compose_build(&c, &item->data, &item->len, NULL, err);
    g_free(fallback_id);
    g_ptr_array_free(hdrs, TRUE);
    if (skip_note)
        g_string_free(skip_note, TRUE);
    if (rc < 0)
        minca_err_prefix(err, "%s: message %s", s->name, id);
done:
    g_free(from);
    g_free(to);
    g_free(cc);
    g_free(ab.list);
    g_ptr_array_free(ab.keep, TRUE);
    intake_strv_free(skipped, n_skipped);
    return rc;
}

static void graph_close(void *state)
{
    graph_state *s = state;
    if (!s)
        return;
    if (s->curl)
        curl_easy_cleanup(s->curl);
    curl_slist_free_all(s->pin);
    if (s->secret) {
        memset(s->secret, 0, strlen(s->secret));
        g_free(s->secret);
    }
    g_free(s->name);
    g_free(s->token_url);
    g_free(s->client_id);
    g_free(s->scope);
    g_free(s->graph_url);
    g_free(s->user);
    g_free(s->folder);
    g_free(s->token_key);
    g_free(s->link);
    g_free(s->page_link);
    g_free(s->delta_link);
    g_free(s->start_link);
    g_free(s->location);
    json_decref(s->page);
    if (s->buf)
        g_string_free(s->buf, TRUE);
    g_free(s);
}

static char *strip_slash(const char *s)
{
    char *d = g_strdup(s);
    size_t l = strlen(d);
    while (l && d[l - 1] == '/')
        d[--l] = '\0';
    return d;
}

static int graph_open(const intake_source_args *args, void **state, minca_err *err)
{
    intake_curl_init();
    const config_source *cfg = args->cfg;
    graph_state *s = g_malloc0_n(1, sizeof *s);
    s->name = g_strdup(args->name ? args->name : "graph");
    s->buf = g_string_new(NULL);
    s->max_bytes = args->max_message_bytes ? args->max_message_bytes : INTAKE_DEFAULT_MAX_MESSAGE_BYTES;
    s->seen = args->seen;
    s->seen_user = args->seen_user;
    s->max_retries = config_source_int(cfg, "max_retries", 6);
    s->max_wait = config_source_int(cfg, "max_retry_wait", 120);
    const char *tenant = config_source_get(cfg, "tenant"), *client = config_source_get(cfg, "client_id"),
               *user = config_source_get(cfg, "user");
    const char *authority = config_source_get(cfg, "authority") ? config_source_get(cfg, "authority")
                                                                : "https://login.microsoftonline.com";
    const char *graph = config_source_get(cfg, "graph_url") ? config_source_get(cfg, "graph_url")
                                                            : "https://graph.microsoft.com/v1.0";
    if (!tenant || !client || !user) {
        minca_err_set(err, "%s: tenant, client_id and user are required", s->name);
        goto fail;
    }
    if ((!g_str_has_prefix(authority, "https://") && !intake_url_is_loopback(authority, &s->pin)) ||
        (!g_str_has_prefix(graph, "https://") && !intake_url_is_loopback(graph, &s->pin))) {
        minca_err_set(err, "%s: authority and graph_url must be https:// (plain http only for a host that "
                           "resolves to loopback addresses only)", s->name);
        goto fail;
    }
    if (intake_source_secret(cfg, "client_secret", &s->secret, err) < 0)
        goto fail;
    char *auth = strip_slash(authority);
    s->token_url = core_strdup_printf("%s/%s/oauth2/v2.0/token", auth, tenant);
    g_free(auth);
    s->graph_url = strip_slash(graph);
    s->client_id = g_strdup(client);
    s->user = g_strdup(user);
    s->folder = g_strdup(config_source_get(cfg, "folder") ? config_source_get(cfg, "folder") : "inbox");
    s->scope = g_strdup(config_source_get(cfg, "scope") ? config_source_get(cfg, "scope")
                                                       : "https://graph.microsoft.com/.default");
    s->token_key = core_strdup_printf("%s %s", s->token_url, s->client_id);
    if (!(s->curl = curl_easy_init())) {
        minca_err_set(err, "%s: cannot start libcurl", s->name);
        goto fail;
    }
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)config_source_int(cfg, "connect_timeout", 20));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)config_source_int(cfg, "timeout", 60));
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (s->pin)
        curl_easy_setopt(c, CURLOPT_RESOLVE, s->pin);
    if (config_source_get(cfg, "ca_file"))
        curl_easy_setopt(c, CURLOPT_CAINFO, config_source_get(cfg, "ca_file"));
    char *f = curl_easy_escape(c, s->folder, 0);
    char *rest = core_strdup_printf("/mailFolders/%s/messages/delta?$select=" GRAPH_SELECT, f);
    curl_free(f);
    s->start_link = users_url(s, rest);
    g_free(rest);
    s->link = g_strdup(args->cursor && g_str_has_prefix(args->cursor, s->graph_url) ? args->cursor : s->start_link);
    /* Fail now (not in the middle) when the credentials are wrong. */
    char *tok = NULL;
    if (get_token(s, false, &tok, err) < 0)
        goto fail;
    memset(tok, 0, strlen(tok));
    g_free(tok);
    *state = s;
    return 0;
fail:
    graph_close(s);
    return -1;
}

static int graph_next(void *state, intake_item *item, minca_err *err)
{
    graph_state *s = state;
    for (;;) {
        if (s->page && s->page_next < json_array_size(s->page)) {
            json_t *m = json_array_get(s->page, s->page_next++);
            const char *id = json_string_value(json_object_get(m, "id"));
            if (!id || json_object_get(m, "@removed"))
                continue;
            if (s->seen && s->seen(s->seen_user, id))
                continue;
            item->source_id = g_strdup(id);
            item->cursor = g_strdup(s->page_link);
            item->origin = core_strdup_printf("graph:%s/%s/%s", s->user, s->folder, id);
            s->skip_message = false;
            if (build_message(s, m, item, err) < 0)
                return s->skip_message ? -1
                       : s->status >= 500 || s->status == 429 || s->status == 401 || s->status == 0 ? -2 : -1;
            return 1;
        }
        if (s->page) {
            /* Page done: the next poll starts from the page after it. */
            json_decref(s->page);
            s->page = NULL;
            if (s->link || s->delta_link) {
                item->cursor = g_strdup(s->link ? s->link : s->delta_link);
                return 1;
            }
        }
        if (!s->link)
            return 0;
        if (read_page(s, err) < 0)
            return -2;
    }
}

static long graph_count(void *state)
{
    (void)state;
    return -1;
}

const intake_source_ops intake_source_graph_ops = {
    .kind = "graph",
    .summary = "a Microsoft 365 mail folder (tenant, client_id, client_secret_env|_file, user, folder)",
    .example = "{kind: graph, insurer: demo, tenant: TENANT_ID, client_id: APP_ID, client_secret_env: GRAPH_SECRET, user: cotiza@example.mx, folder: Inbox}",
    .open = graph_open,
    .next = graph_next,
    .count = graph_count,
    .close = graph_close,
};

/* ---- change-notification subscription (POST / PATCH /subscriptions) ---- */

#define GRAPH_MAIL_SUBSCRIPTION_MAX_MINUTES 4230 /* Microsoft's limit for Outlook messages */

int intake_graph_subscription_minutes(const config_source *cfg)
{
    int m = config_source_int(cfg, "subscription_minutes", GRAPH_MAIL_SUBSCRIPTION_MAX_MINUTES);
    return m < 1 ? 1 : m > GRAPH_MAIL_SUBSCRIPTION_MAX_MINUTES ? GRAPH_MAIL_SUBSCRIPTION_MAX_MINUTES : m;
}

static char *iso_utc(int64_t t)
{
    GDateTime *d = g_date_time_new_from_unix_utc(t);
    char *s = g_date_time_format(d, "%Y-%m-%dT%H:%M:%S.0000000Z");
    g_date_time_unref(d);
    return s;
}

/* The subscription Graph answered with: its id and expiry. */
static int read_subscription(graph_state *s, intake_graph_subscription *out, minca_err *err)
{
    json_t *j = json_loadb(s->buf->str, s->buf->len, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "id"));
    int64_t exp = iso_time(json_string_value(json_object_get(j, "expirationDateTime")));
    int rc = 0;
    if (!id || !exp) {
        rc = minca_err_set(err, "%s: Graph answered the subscription request without an id and expiry", s->name);
    } else {
        out->id = g_strdup(id);
        out->expires = exp;
    }
    json_decref(j);
    return rc;
}

static int subscription_create(graph_state *s, const config_source *cfg, const char *expiry,
                               intake_graph_subscription *out, minca_err *err)
{
    const char *notify = config_source_get(cfg, "notification_url");
    const char *lifecycle = config_source_get(cfg, "lifecycle_url") ? config_source_get(cfg, "lifecycle_url") : notify;
    char *state = NULL;
    if (intake_source_secret(cfg, "client_state", &state, err) < 0)
        return -1;
    char *resource = core_strdup_printf("users/%s/mailFolders('%s')/messages", s->user, s->folder);
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "changeType",
                             config_source_get(cfg, "change_type") ? config_source_get(cfg, "change_type") : "created",
                             "notificationUrl", notify, "lifecycleNotificationUrl", lifecycle, "resource", resource,
                             "expirationDateTime", expiry, "clientState", state);
    char *text = json_dumps(body, JSON_COMPACT);
    char *url = core_strdup_printf("%s/subscriptions", s->graph_url);
    int rc = graph_call(s, "POST", url, text, "the subscription request", err);
    if (rc == 0)
        rc = read_subscription(s, out, err);
    if (rc == 0)
        out->created = true;
    memset(text, 0, strlen(text));
    free(text);
    memset(state, 0, strlen(state));
    g_free(state);
    json_decref(body);
    g_free(url);
    g_free(resource);
    return rc;
}

int intake_graph_subscribe(const intake_source_args *args, const char *current_id, intake_graph_subscription *out,
                           minca_err *err)
{
    memset(out, 0, sizeof *out);
    const config_source *cfg = args->cfg;
    const char *notify = cfg ? config_source_get(cfg, "notification_url") : NULL;
    if (!notify)
        return minca_err_set(err, "%s: no notification_url: the source has no subscription to keep",
                             args->name ? args->name : "graph");
    if (!g_str_has_prefix(notify, "https://") && !g_str_has_prefix(notify, "http://"))
        return minca_err_set(err, "%s: notification_url must be an http(s) URL", args->name ? args->name : "graph");
    void *st = NULL;
    if (graph_open(args, &st, err) < 0)
        return -1;
    graph_state *s = st;
    char *expiry = iso_utc((int64_t)time(NULL) + 60 * (int64_t)intake_graph_subscription_minutes(cfg));
    int rc = -1;
    if (current_id) {
        char *eid = curl_easy_escape(s->curl, current_id, 0);
        char *url = core_strdup_printf("%s/subscriptions/%s", s->graph_url, eid);
        char *body = core_strdup_printf("{\"expirationDateTime\":\"%s\"}", expiry);
        curl_free(eid);
        rc = graph_call(s, "PATCH", url, body, "the subscription renewal", err);
        g_free(url);
        g_free(body);
        if (rc == 0)
            rc = read_subscription(s, out, err);
        else if (s->status == 404) {
            /* Expired or deleted on Graph's side: a new one. */
            log_warn("%s; creating a new subscription", err->msg);
            minca_err_clear(err);
            rc = 1;
        }
    }
    if (!current_id || rc == 1)
        rc = subscription_create(s, cfg, expiry, out, err);
    g_free(expiry);
    graph_close(s);
    return rc;
}

void intake_graph_subscription_clear(intake_graph_subscription *sub)
{
    if (!sub)
        return;
    g_free(sub->id);
    memset(sub, 0, sizeof *sub);
}

/* ---- a client for requests beside the delta poll (graph_send.c) ---- */

int intake_graph_client_open(const config_source *cfg, const char *name, intake_graph_client **out, minca_err *err)
{
    intake_source_args args = {.name = name, .cfg = cfg};
    void *st = NULL;
    *out = NULL;
    if (graph_open(&args, &st, err) < 0)
        return -1;
    *out = st;
    return 0;
}

void intake_graph_client_close(intake_graph_client *g)
{
    graph_close(g);
}

int intake_graph_request(intake_graph_client *g, const char *method, const char *rest, const char *json,
                         const char *what, bool may_repeat, minca_err *err)
{
    char *url = users_url(g, rest);
    int rc = graph_call_ex(g, method, url, json, what, may_repeat, err);
    g_free(url);
    return rc;
}

int intake_graph_upload(intake_graph_client *g, const char *url, const void *data, size_t len, size_t offset,
                        size_t total, minca_err *err)
{
    /* The upload URL is pre-authenticated: no token goes with it (Microsoft's documentation). */
    struct curl_slist *pin = NULL;
    if (!g_str_has_prefix(url, "https://") && !intake_url_is_loopback(url, &pin))
        return minca_err_set(err, "%s: the upload session's URL is neither https:// nor on this machine", g->name);
    curl_slist_free_all(pin);
    char *range = core_strdup_printf("Content-Range: bytes %zu-%zu/%zu", offset, offset + len - 1, total);
    int rc = 0;
    for (int attempt = 0;; attempt++) {
        rc = http_exchange(g, "PUT", url, (const char *)data, (long)len, "application/octet-stream", NULL, range, err);
        if (rc < 0)
            break;
        if ((g->status == 429 || g->status == 503) && attempt < g->max_retries) {
            double wait = g->retry_after >= 0 ? g->retry_after : 1;
            usleep((useconds_t)((wait > g->max_wait ? g->max_wait : wait) * 1e6));
            continue;
        }
        if (g->status < 200 || g->status >= 300) {
            describe_error(g, "an attachment's upload", err);
            rc = -1;
        }
        break;
    }
    g_free(range);
    return rc;
}

json_t *intake_graph_answer(intake_graph_client *g)
{
    return json_loadb(g->buf->str, g->buf->len, 0, NULL);
}

long intake_graph_status(const intake_graph_client *g)
{
    return g->status;
}

char *intake_graph_escape(intake_graph_client *g, const char *s)
{
    char *e = curl_easy_escape(g->curl, s, 0);
    char *out = g_strdup(e);
    curl_free(e);
    return out;
}

const char *intake_graph_user(const intake_graph_client *g)
{
    return g->user;
}
