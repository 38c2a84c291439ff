/* metrics: what the desk is doing, for Prometheus and for people.
 *
 * The numbers come from PostgreSQL (triggers keep them in metric_totals / metric_deltas, see
 * migrations/020_metrics.sql), so every host's endpoint shows the whole team's figures.
 *
 *   metrics_render()        the Prometheus text exposition format (version 0.0.4)
 *   metrics_health_check()  PostgreSQL and Redis reachable, schema current
 *   metrics_server_*()      an HTTP listener (libmicrohttpd) serving /metrics, /healthz, /readyz
 */
#ifndef MINCA_METRICS_H
#define MINCA_METRICS_H

#include "minca/core.h"

#include <glib.h>
#include <libpq-fe.h>
#include <stdbool.h>

/* Appends every metric to out. 0, or -1 with err (out then holds a partial text). */
int metrics_render(PGconn *c, GString *out, minca_err *err);

typedef struct metrics_health {
    bool postgresql;       /* a fresh connection succeeded */
    bool redis;            /* a fresh connection answered PING */
    bool migrations;       /* every migration file applied, none unknown */
    int pending;           /* migrations not applied yet */
    char problem[512];     /* the first thing that failed, "" when healthy */
} metrics_health;

/* Checks the servers with fresh connections (each gives up after a few seconds). */
void metrics_health_check(metrics_health *h);
/* The health as a JSON object text (g_malloc'd), e.g. for /healthz. */
char *metrics_health_json(const metrics_health *h);

typedef struct metrics_server metrics_server;
/* Starts listening on "HOST:PORT" ("[::1]:9464" for IPv6; port 0 picks a free one) in a
 * thread of its own. NULL with err when the address is bad or taken. The caller owns the
 * server and stops it with metrics_server_stop(). */
metrics_server *metrics_server_start(const char *listen, minca_err *err);
/* The port actually bound. */
int metrics_server_port(const metrics_server *s);
void metrics_server_stop(metrics_server *s);

#endif
