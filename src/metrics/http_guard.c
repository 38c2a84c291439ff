/* Limits for the HTTP listeners: see include/minca/metrics_http_guard.h. The daemon's thread accepts,
 * reads and answers; a small thread of ours closes connections past their header deadline.
 * Both see the table of open connections under one lock; a connection is shut down (never
 * closed) from here, so libmicrohttpd sees the end and frees it itself. */
#include "minca/metrics_http_guard.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_Result;
#else
typedef enum MHD_Result MHD_Result;
#endif

const http_limits http_limits_default = {
    .max_total = 2048, .max_per_client = 64, .header_seconds = 5, .idle_seconds = 15,
    .memory_limit = 32 * 1024, .max_body = 0,
};

typedef struct conn_entry {
    int fd;
    char client[INET6_ADDRSTRLEN];
    double opened;
    bool head_done;      /* the request head arrived: no header deadline any more */
    bool cut;            /* shut down by the guard, waiting for the daemon to free it */
    size_t body;         /* body bytes of the current request */
    struct conn_entry *prev, *next;   /* oldest first */
} conn_entry;

struct http_guard {
    http_limits limits;
    struct MHD_Daemon *daemon;
    MHD_AccessHandlerCallback handler;
    void *cls;
    MHD_RequestCompletedCallback done;
    void *done_cls;
    pthread_mutex_t lock;
    conn_entry *oldest, *newest;
    unsigned open;
    GHashTable *per_client;   /* client -> count (GUINT_TO_POINTER) */
    unsigned long dropped;
    pthread_t sweeper;
    bool stopping;
    pthread_cond_t wake;
};

static void client_of(const struct sockaddr *sa, char *out, size_t cap)
{
    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

static unsigned client_count(http_guard *g, const char *client)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(g->per_client, client));
}

static void client_add(http_guard *g, const char *client, int delta)
{
    unsigned n = client_count(g, client);
    n = delta > 0 ? n + 1 : (n ? n - 1 : 0);
    if (n)
        g_hash_table_replace(g->per_client, g_strdup(client), GUINT_TO_POINTER(n));
    else
        g_hash_table_remove(g->per_client, client);
}

/* Shuts down the oldest connection still sending its head (of client, or of anyone when
 * client is NULL). True when one was found. Under g->lock. */
static bool cut_oldest_pending(http_guard *g, const char *client)
{
    for (conn_entry *e = g->oldest; e; e = e->next) {
        if (e->head_done || e->cut || (client && strcmp(e->client, client) != 0))
            continue;
        e->cut = true;
        shutdown(e->fd, SHUT_RDWR);
        g->dropped++;
        return true;
    }
    return false;
}

/* A new connection: admitted within the limits, in place of a slow one when at them. */
static MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    http_guard *g = cls;
    char client[INET6_ADDRSTRLEN];
    client_of(addr, client, sizeof client);
    pthread_mutex_lock(&g->lock);
    bool ok = true;
    if (client_count(g, client) >= g->limits.max_per_client)
        ok = cut_oldest_pending(g, client);
    if (ok && g->open >= g->limits.max_total)
        ok = cut_oldest_pending(g, NULL);
    if (!ok)
        g->dropped++;
    pthread_mutex_unlock(&g->lock);
    return ok ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http_guard *g = cls;
    pthread_mutex_lock(&g->lock);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_entry *e = g_new0(conn_entry, 1);
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ca = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        e->fd = fd ? fd->connect_fd : -1;
        client_of(ca ? ca->client_addr : NULL, e->client, sizeof e->client);
        e->opened = core_now_seconds();
        e->prev = g->newest;
        if (g->newest)
            g->newest->next = e;
        else
            g->oldest = e;
        g->newest = e;
        g->open++;
        client_add(g, e->client, +1);
        *socket_context = e;
    } else if (*socket_context) {
        conn_entry *e = *socket_context;
        if (e->prev)
            e->prev->next = e->next;
        else
            g->oldest = e->next;
        if (e->next)
            e->next->prev = e->prev;
        else
            g->newest = e->prev;
        g->open--;
        client_add(g, e->client, -1);
        g_free(e);
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&g->lock);
}

/* Closes every connection past its header deadline, four times a second. */
static void *sweep(void *arg)
{
    http_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
        double late = core_now_seconds() - g->limits.header_seconds;
        for (conn_entry *e = g->oldest; e && e->opened < late; e = e->next) {
            if (e->head_done || e->cut)
                continue;
            e->cut = true;
            shutdown(e->fd, SHUT_RDWR);
            g->dropped++;
        }
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

static MHD_Result too_large(struct MHD_Connection *conn)
{
    static const char msg[] = "request body too large\n";
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_CONTENT_TOO_LARGE, r);
    MHD_destroy_response(r);
    return rc;
}

/* Every call of a request passes here first: the head is in (no deadline any more), and the
 * body stays within its limit. */
static MHD_Result dispatch(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    http_guard *g = cls;
    const union MHD_ConnectionInfo *sc = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_entry *e = sc ? sc->socket_context : NULL;
    if (e && !e->head_done) {
        pthread_mutex_lock(&g->lock);
        e->head_done = true;
        pthread_mutex_unlock(&g->lock);
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > g->limits.max_body) {
        if (*upload_size)
            return MHD_NO;   /* a response is queued already: the rest is not read */
        return too_large(conn);
    }
    if (e && *upload_size) {
        e->body += *upload_size;
        if (e->body > g->limits.max_body)
            return MHD_NO;   /* a chunked body past the limit: the connection is closed */
    }
    return g->handler(g->cls, conn, url, method, version, upload, upload_size, con_cls);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode code)
{
    http_guard *g = cls;
    const union MHD_ConnectionInfo *sc = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_entry *e = sc ? sc->socket_context : NULL;
    if (e)
        e->body = 0;
    if (g->done)
        g->done(g->done_cls, conn, con_cls, code);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

http_guard *http_guard_start(const http_limits *limits, unsigned flags, const struct sockaddr *sa,
                             MHD_AccessHandlerCallback handler, void *cls, MHD_RequestCompletedCallback done,
                             void *done_cls, minca_err *err)
{
    raise_fd_limit();
    http_guard *g = g_new0(http_guard, 1);
    g->limits = limits ? *limits : http_limits_default;
    g->handler = handler;
    g->cls = cls;
    g->done = done;
    g->done_cls = done_cls;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->per_client = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    /* A connection limit above what select() can watch needs epoll. */
    g->daemon = MHD_start_daemon(
        flags | MHD_USE_EPOLL_INTERNAL_THREAD, 0, on_accept, g, dispatch, g, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, g, MHD_OPTION_CONNECTION_LIMIT, g->limits.max_total + 16,
        MHD_OPTION_CONNECTION_TIMEOUT, g->limits.idle_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        g->limits.memory_limit, MHD_OPTION_NOTIFY_COMPLETED, completed, g, MHD_OPTION_END);
    if (!g->daemon) {
        g_hash_table_destroy(g->per_client);
        g_free(g);
        minca_err_set(err, "cannot listen (address in use or not local?)");
        return NULL;
    }
    if (pthread_create(&g->sweeper, NULL, sweep, g) != 0) {
        MHD_stop_daemon(g->daemon);
        g_hash_table_destroy(g->per_client);
        g_free(g);
        minca_err_set(err, "cannot start the listener's header-deadline thread");
        return NULL;
    }
    return g;
}

struct MHD_Daemon *http_guard_daemon(http_guard *g) { return g ? g->daemon : NULL; }

unsigned long http_guard_dropped(const http_guard *g) { return g ? g->dropped : 0; }

void http_guard_stop(http_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->sweeper, NULL);
    MHD_stop_daemon(g->daemon);
    g_hash_table_destroy(g->per_client);
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->wake);
    g_free(g);
}
