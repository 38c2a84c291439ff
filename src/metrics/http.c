/* The metrics listener: libmicrohttpd with its own polling thread, so requests are served
 * one at a time by that thread, which alone uses the server's PostgreSQL connection
 * (reconnected when a query fails: the database may have restarted).
 *
 *   GET /metrics   Prometheus text exposition format
 *   GET /healthz   200 when PostgreSQL and Redis answer and the schema is current, else 503
 *   GET /readyz    200 when /metrics can be served (PostgreSQL reachable, schema current) */
#include "minca/core_config.h"
#include "minca/metrics_http_guard.h"
#include "minca/metrics.h"
#include "minca/store.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_Result;
#else
typedef enum MHD_Result MHD_Result;
#endif

struct metrics_server {
    http_guard *guard;
    PGconn *db;            /* used only by the daemon's thread */
    int port;
};

static PGconn *server_db(metrics_server *s, minca_err *err)
{
    if (s->db && PQstatus(s->db) != CONNECTION_OK) {
        PQfinish(s->db);
        s->db = NULL;
    }
    if (!s->db)
        s->db = store_connect_timeout(3, err);
    return s->db;
}

static MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
                          size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static MHD_Result respond_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    return respond(conn, status, "text/plain; charset=utf-8", text, strlen(text));
}

static MHD_Result serve_metrics(metrics_server *s, struct MHD_Connection *conn)
{
    minca_err err = {0};
    GString *out = g_string_sized_new(16384);
    int rc = -1;
    for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
        g_string_truncate(out, 0);
        PGconn *c = server_db(s, &err);
        if (!c)
            break;
        rc = metrics_render(c, out, &err);
        if (rc < 0 && PQstatus(c) != CONNECTION_OK)
            continue;   /* the server restarted: one more try on a new connection */
        if (rc < 0)
            break;
    }
    MHD_Result res;
    if (rc < 0) {
        log_warn("metrics: scrape failed: %s", err.msg);
        char *msg = core_strdup_printf("cannot read the metrics: %s\n", err.msg);
        res = respond_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
        g_free(msg);
    } else {
        res = respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out->str, out->len);
    }
    g_string_free(out, TRUE);
    return res;
}

static MHD_Result serve_health(struct MHD_Connection *conn)
{
    metrics_health h;
    metrics_health_check(&h);
    char *json = metrics_health_json(&h);
    bool ok = h.postgresql && h.redis && h.migrations;
    if (!ok)
        log_warn("metrics: unhealthy: %s", h.problem);
    MHD_Result rc = respond(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", json,
                            strlen(json));
    g_free(json);
    return rc;
}

static MHD_Result serve_ready(metrics_server *s, struct MHD_Connection *conn)
{
    minca_err err = {0};
    PGconn *c = server_db(s, &err);
    int pending = 0, unknown = 0;
    char *dir = core_path_join(config_share_dir(), "migrations");
    bool ok = c && store_migrations_pending(c, dir, &pending, &unknown, &err) == 0 && pending == 0 && unknown == 0;
    g_free(dir);
    if (c && !ok && PQstatus(c) != CONNECTION_OK) {
        PQfinish(s->db);
        s->db = NULL;
    }
    if (ok)
        return respond_text(conn, MHD_HTTP_OK, "ready\n");
    char *msg = core_strdup_printf("not ready: %s\n", err.msg[0] ? err.msg : "the schema is not current");
    MHD_Result rc = respond_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
    g_free(msg);
    return rc;
}

static MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                             const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)con_cls;
    metrics_server *s = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") == 0)
        return serve_metrics(s, conn);
    if (strcmp(url, "/healthz") == 0)
        return serve_health(conn);
    if (strcmp(url, "/readyz") == 0)
        return serve_ready(s, conn);
    if (strcmp(url, "/") == 0) {
        static const char index_html[] = "<html><body><h1>minca</h1><a href=\"/metrics\">/metrics</a> "
                                         "<a href=\"/healthz\">/healthz</a> <a href=\"/readyz\">/readyz</a>"
                                         "</body></html>\n";
        return respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", index_html, sizeof index_html - 1);
    }
    return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /healthz or /readyz\n");
}

/* "HOST:PORT" or "[V6]:PORT" into an address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len, minca_err *err)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1])
        return minca_err_set(err, "listen address '%s' is not HOST:PORT", listen);
    size_t hl = (size_t)(colon - listen);
    if (listen[0] == '[' && hl >= 2 && listen[hl - 1] == ']') {
        listen++;
        hl -= 2;
    }
    if (hl >= sizeof host)
        return minca_err_set(err, "listen address '%s' is too long", listen);
    memcpy(host, listen, hl);
    host[hl] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0)
        return minca_err_set(err, "listen address '%s': %s", listen, gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

metrics_server *metrics_server_start(const char *listen, minca_err *err)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    if (parse_listen(listen, &ss, &len, err) < 0)
        return NULL;
    metrics_server *s = g_malloc0_n(1, sizeof *s);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* GET and HEAD only: no body is read (http_limits_default.max_body is 0). */
    s->guard = http_guard_start(&http_limits_default, flags, (struct sockaddr *)&ss, on_request, s, NULL, NULL, err);
    if (!s->guard) {
        g_free(s);
        minca_err_set(err, "cannot listen on %s (address in use or not local?)", listen);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(http_guard_daemon(s->guard), MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? (int)info->port : 0;
    log_info("metrics: listening on %s (port %d)", listen, s->port);
    return s;
}

int metrics_server_port(const metrics_server *s) { return s ? s->port : 0; }

void metrics_server_stop(metrics_server *s)
{
    if (!s)
        return;
    http_guard_stop(s->guard);
    if (s->db)
        PQfinish(s->db);
    g_free(s);
}
