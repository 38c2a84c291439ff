/* minca intake webhook --listen ADDR:PORT: receives Microsoft Graph change notifications.
 *
 *   ?validationToken=T      (subscription handshake) answered 200 text/plain T
 *   {"value": [{"clientState": ..., "subscriptionId": ...}, ...]}
 *                           each notification whose clientState equals a graph source's
 *                           client_state (from client_state_env / client_state_file) wakes
 *                           that source: its next delta poll is now. Others are dropped.
 *   {"value": [{"lifecycleEvent": ..., "clientState": ..., "subscriptionId": ...}]}
 *                           (lifecycle notifications: reauthorizationRequired,
 *                           subscriptionRemoved, missed) kept on the source, whose next poll,
 *                           now, renews or recreates the subscription or reads the delta.
 *
 * A notification never carries mail into the desk: it only wakes the delta poll run by
 * `minca intake run` (or a worker with --intake), which reads the changes itself. The answer
 * is 202 at once, as Graph wants it within seconds. Runs until SIGTERM/SIGINT. */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/metrics_http_guard.h"
#include "minca/intake.h"
#include "minca/store_source.h"

#include <arpa/inet.h>
#include <glib.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BODY (1024 * 1024)

typedef struct hook_source {
    const char *name;
    char *client_state;
} hook_source;

typedef struct hook {
    hook_source *sources;
    size_t n;
    pthread_mutex_t lock;
    PGconn *db;
    long notifications, woken, rejected, lifecycle;
    double refusal_window;   /* start of the minute whose refusals are being logged */
    int refusals_logged;     /* lines in that minute */
    long refusals_quiet;     /* refused notifications not logged in it */
} hook;

#define REFUSAL_LINES_PER_MINUTE 5

typedef struct request {
    GString *body;
    bool too_big;
} request;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned code, const char *type, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

static void wake(hook *h, const char *name)
{
    pthread_mutex_lock(&h->lock);
    minca_err err = {0};
    if (!h->db || PQstatus(h->db) != CONNECTION_OK) {
        if (h->db)
            PQreset(h->db);
        else
            h->db = store_connect(&err);
    }
    if (h->db && store_source_wake(h->db, name, &err) >= 0) {
        h->woken++;
        log_info("webhook: change notification for %s; its delta poll runs now", name);
    } else {
        log_error("webhook: cannot wake %s: %s", name, err.msg);
    }
    pthread_mutex_unlock(&h->lock);
}

static bool db_ready(hook *h, minca_err *err)
{
    if (!h->db || PQstatus(h->db) != CONNECTION_OK) {
        if (h->db)
            PQreset(h->db);
        else
            h->db = store_connect(err);
    }
    return h->db && PQstatus(h->db) == CONNECTION_OK;
}

/* A lifecycle notification (sent to lifecycleNotificationUrl): kept on the source, whose
 * next poll, now, acts on it (renew, recreate, or the delta poll itself after `missed`). */
static void lifecycle(hook *h, const char *name, const char *subscription, const char *event)
{
    static const char *const known[] = {"reauthorizationRequired", "subscriptionRemoved", "missed", NULL};
    bool ok = false;
    for (size_t i = 0; known[i]; i++)
        ok = ok || strcmp(known[i], event) == 0;
    if (!ok) {
        log_warn("webhook: lifecycle notification for %s with an unknown event dropped", name);
        return;
    }
    pthread_mutex_lock(&h->lock);
    minca_err err = {0};
    if (db_ready(h, &err) && store_source_lifecycle(h->db, name, subscription, event, &err) >= 0) {
        h->lifecycle++;
        log_info("webhook: lifecycle notification %s for %s; its next poll acts on it now", event, name);
    } else {
        log_error("webhook: cannot keep the lifecycle notification %s for %s: %s", event, name, err.msg);
    }
    pthread_mutex_unlock(&h->lock);
}

/* One line per refused request, at most REFUSAL_LINES_PER_MINUTE a minute: a flood of
 * wrong-clientState notifications is counted, not written out. Under h->lock. */
static void log_refusals(hook *h, long count, const char *first_subscription)
{
    double now = core_now_seconds();
    if (now - h->refusal_window >= 60) {
        if (h->refusals_quiet)
            log_warn("webhook: %ld more notification(s) dropped in the last minute (not logged one by one)",
                     h->refusals_quiet);
        h->refusal_window = now;
        h->refusals_logged = 0;
        h->refusals_quiet = 0;
    }
    if (h->refusals_logged >= REFUSAL_LINES_PER_MINUTE) {
        h->refusals_quiet += count;
        return;
    }
    h->refusals_logged++;
    log_warn("webhook: %ld notification(s) dropped (subscription %.64s%s): clientState matches no source", count,
             first_subscription ? first_subscription : "?", count > 1 ? " and others" : "");
}

static void handle_notifications(hook *h, const char *body, size_t len)
{
    long refused = 0;
    char *first_refused = NULL;
    json_t *j = json_loadb(body, len, 0, NULL);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(j, "value"), i, n) {
        const char *state = json_string_value(json_object_get(n, "clientState"));
        const char *matched = NULL;
        for (size_t k = 0; state && k < h->n; k++)
            if (same_secret(state, h->sources[k].client_state))
                matched = h->sources[k].name;
        h->notifications++;
        if (!matched) {
            h->rejected++;
            if (!refused++)
                first_refused = g_strdup(json_string_value(json_object_get(n, "subscriptionId")));
            continue;
        }
        const char *event = json_string_value(json_object_get(n, "lifecycleEvent"));
        if (event)
            lifecycle(h, matched, json_string_value(json_object_get(n, "subscriptionId")), event);
        else
            wake(h, matched);
    }
    json_decref(j);
    if (refused) {
        pthread_mutex_lock(&h->lock);
        log_refusals(h, refused, first_refused);
        pthread_mutex_unlock(&h->lock);
    }
    g_free(first_refused);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    hook *h = cls;
    request *rq = *con_cls;
    if (!rq) {
        rq = g_malloc0_n(1, sizeof *rq);
        rq->body = g_string_new(NULL);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        if (rq->body->len + *upload_size > MAX_BODY)
            rq->too_big = true;
        else
            g_string_append_len(rq->body, upload, (gssize)*upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    const char *token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "validationToken");
    if (token)   /* the subscription handshake: echo the token as plain text */
        return respond(conn, MHD_HTTP_OK, "text/plain; charset=utf-8", token);
    if (strcmp(method, "POST") != 0)
        return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "POST notifications here\n");
    if (rq->too_big)
        return respond(conn, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain", "too large\n");
    handle_notifications(h, rq->body->str, rq->body->len);
    return respond(conn, MHD_HTTP_ACCEPTED, "text/plain", "");
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode code)
{
    request *rq = *con_cls;
    if (rq) {
        g_string_free(rq->body, TRUE);
        g_free(rq);
    }
    *con_cls = NULL;
}

static int parse_listen(const char *addr, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    const char *colon = strrchr(addr, ':');
    char host[64] = "0.0.0.0";
    if (colon) {
        snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
        addr = colon + 1;
    }
    int port = atoi(addr);
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa->sin_addr) != 1)
        return -1;
    sa->sin_port = htons((uint16_t)port);
    return 0;
}

int intake_webhook_main(int argc, char **argv);

int intake_webhook_main(int argc, char **argv)
{
    const char *listen = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else {
            fprintf(stderr, "minca intake: webhook: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    struct sockaddr_in sa;
    if (!listen || parse_listen(listen, &sa) < 0) {
        fprintf(stderr, "minca intake: webhook needs --listen ADDR:PORT (e.g. 127.0.0.1:8025)\n");
        return 2;
    }
    static const cli_command webhook_command = {.name = "intake webhook"};
    if (cli_require_all(&webhook_command, ACCESS_RECEIVE_HOOKS) != 0)
        return 1;
    const minca_config *cfg = config_get();
    hook h = {.lock = PTHREAD_MUTEX_INITIALIZER};
    h.sources = g_malloc0_n((size_t)cfg->n_sources + 1, sizeof *h.sources);
    for (int i = 0; i < cfg->n_sources; i++) {
        const config_source *s = &cfg->sources[i];
        const char *kind = config_source_get(s, "kind");
        if (!kind || strcmp(kind, "graph") != 0)
            continue;
        minca_err err = {0};
        char *state = NULL;
        if (intake_source_secret(s, "client_state", &state, &err) < 0) {
            fprintf(stderr, "minca intake: webhook: %s\n", err.msg);
            continue;
        }
        h.sources[h.n++] = (hook_source){.name = s->name, .client_state = state};
    }
    int status = 0;
    if (!h.n) {
        fprintf(stderr, "minca intake: webhook: no graph source has a client_state (client_state_env or client_state_file)\n");
        status = 1;
        goto done;
    }
    struct sigaction sig = {0};
    sig.sa_handler = on_signal;
    sigaction(SIGTERM, &sig, NULL);
    sigaction(SIGINT, &sig, NULL);
    http_limits limits = http_limits_default;
    limits.max_body = MAX_BODY;
    minca_err lerr = {0};
    http_guard *d = http_guard_start(&limits, MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                     (struct sockaddr *)&sa, on_request, &h, on_done, NULL, &lerr);
    if (!d) {
        fprintf(stderr, "minca intake: webhook: cannot listen on %s\n", listen);
        status = 1;
        goto done;
    }
    fprintf(stderr, "minca intake: webhook listening on %s for %zu source(s)\n", listen, h.n);
    while (!stop_requested)
        pause();
    http_guard_stop(d);
    fprintf(stderr, "minca intake: webhook stopped; %ld notification(s), %ld woke a poll, %ld lifecycle, %ld dropped\n",
            h.notifications, h.woken, h.lifecycle, h.rejected);
done:
    for (size_t i = 0; i < h.n; i++) {
        memset(h.sources[i].client_state, 0, strlen(h.sources[i].client_state));
        g_free(h.sources[i].client_state);
    }
    g_free(h.sources);
    if (h.db)
        PQfinish(h.db);
    return status;
}
