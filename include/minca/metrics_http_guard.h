/* http_guard: the HTTP listeners (metrics, the Graph webhook) under abuse. Every listener is
 * started through http_guard_start(), which gives it:
 *
 *   - an epoll loop (no select() limit of 1024 sockets) and a file-descriptor limit raised to
 *     what the account may have;
 *   - a limit on connections per client address and in total: when a client (or everyone)
 *     is at the limit, a new connection takes the place of that client's (everyone's) oldest
 *     connection still sending its headers, so slow clients cannot keep anyone out;
 *   - a header-read deadline: a connection that has not sent a whole request head within
 *     header_seconds is closed, however slowly it keeps dripping bytes;
 *   - a bound on the request head (memory_limit) and on the body (max_body: a larger
 *     Content-Length is answered 413 at once, a larger chunked body closes the connection).
 *
 * The access handler is called only for requests within the limits. Ownership: the guard belongs to the caller,
 * http_guard_stop() stops the daemon and frees it. */
#ifndef MINCA_METRICS_HTTP_GUARD_H
#define MINCA_METRICS_HTTP_GUARD_H

#include "minca/core.h"

#include <microhttpd.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct http_limits {
    unsigned max_total;        /* connections open at once */
    unsigned max_per_client;   /* from one client address */
    unsigned header_seconds;   /* to send the request line and headers */
    unsigned idle_seconds;     /* of silence before a connection is closed */
    size_t memory_limit;       /* bytes for one request's head */
    size_t max_body;           /* bytes of body accepted (0: none) */
} http_limits;

/* The defaults: 2048 in total, 64 per client, 5 s for the head, 15 s idle, 32 KiB of head. */
extern const http_limits http_limits_default;

typedef struct http_guard http_guard;

/* Starts a daemon on sa (flags adds e.g. MHD_USE_IPv6 | MHD_USE_ERROR_LOG) whose requests go
 * to handler(cls) and whose completed requests to done(done_cls) (may be NULL). NULL with err
 * when the address cannot be listened on. */
http_guard *http_guard_start(const http_limits *limits, unsigned flags, const struct sockaddr *sa,
                             MHD_AccessHandlerCallback handler, void *cls, MHD_RequestCompletedCallback done,
                             void *done_cls, minca_err *err);
/* The daemon (for MHD_get_daemon_info). */
struct MHD_Daemon *http_guard_daemon(http_guard *g);
/* Connections refused or cut so far (over a limit, or past the header deadline). */
unsigned long http_guard_dropped(const http_guard *g);
void http_guard_stop(http_guard *g);

#endif
