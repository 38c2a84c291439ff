/* servers: the embedded private PostgreSQL cluster and redis-server under $MINCA_HOME.
 *
 * With no database_url / redis_url configured, minca starts its own servers on demand
 * (unix sockets only, no TCP) and keeps them running for other minca processes; `minca db
 * stop` stops them. When run as root, PostgreSQL runs as the unprivileged system user
 * `minca` (created if missing), which owns the data directory. */
#ifndef MINCA_SERVERS_H
#define MINCA_SERVERS_H

#include "minca/core_config.h"
#include "minca/core.h"

typedef struct servers_status {
    bool pg_embedded, redis_embedded;      /* false when a URL is configured */
    bool pg_running, redis_running;
    long pg_pid, redis_pid;
    char pg_data[1024];                    /* data directory of the embedded cluster */
    char run_dir[1024];                    /* sockets and pid files */
    bool pg_fast_ignored;                  /* MINCA_PG_FAST=1 set for a cluster outside the temp dir */
} servers_status;

/* Prepares the embedded cluster once it runs (creates what must exist in it before anyone
 * connects to the application's database). conninfo: the cluster owner's login to the
 * maintenance database "postgres". The servers module holds no SQL: the store passes its
 * store_bootstrap_database (store_bootstrap.h). */
typedef int (*servers_bootstrap_fn)(const char *conninfo, minca_err *err);
/* Starts whatever embedded server is needed and not running, then (embedded PostgreSQL only,
 * under the servers' lock) calls bootstrap (may be NULL: nothing more); idempotent and safe
 * when two minca processes call it at once. Afterwards servers_database_url() /
 * servers_redis_url() give the URLs to connect to. */
int servers_ensure(servers_bootstrap_fn bootstrap, minca_err *err);
/* Stops the embedded servers (no-op for configured URLs). */
int servers_stop(minca_err *err);
int servers_status_get(servers_status *st, minca_err *err);
/* The URLs in use: the configured ones, or the embedded ones. Static strings. */
const char *servers_database_url(void);
/* The application's login: with the embedded server the ordinary role minca_app (peer
 * authentication), which owns nothing and is subject to row-level security; with a configured
 * server MINCA_APP_DATABASE_URL when set, else the same URL (the session then switches to
 * minca_app). servers_database_url() is the owner's login, which runs migrations. */
const char *servers_app_database_url(void);
const char *servers_redis_url(void);

#endif
