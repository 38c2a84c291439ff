/* Redis connections for dispatch and events. */
#include <glib.h>
#include "minca/core_config.h"
#include "minca/queue.h"
#include "minca/servers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct redis_target {
    char path[1024];      /* unix socket, or "" for TCP */
    char host[256];
    int port;
    char password[256];
    int db;
} redis_target;

static int parse_url(const char *url, redis_target *t, minca_err *err)
{
    memset(t, 0, sizeof *t);
    t->port = 6379;
    if (strncmp(url, "unix://", 7) == 0) {
        const char *path = url + 7;
        const char *q = strchr(path, '?');
        snprintf(t->path, sizeof t->path, "%.*s", (int)(q ? q - path : (long)strlen(path)), path);
        if (q && strncmp(q, "?db=", 4) == 0)
            t->db = atoi(q + 4);
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0)
        return minca_err_set(err, "unsupported Redis URL '%s' (use redis://host:port/db or unix:///path)", url);
    const char *rest = url + 8;
    const char *at = strrchr(rest, '@');
    if (at) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        const char *pw = colon ? colon + 1 : rest;
        snprintf(t->password, sizeof t->password, "%.*s", (int)(at - pw), pw);
        rest = at + 1;
    }
    const char *slash = strchr(rest, '/');
    const char *colon = strchr(rest, ':');
    if (colon && (!slash || colon < slash)) {
        snprintf(t->host, sizeof t->host, "%.*s", (int)(colon - rest), rest);
        t->port = atoi(colon + 1);
    } else {
        snprintf(t->host, sizeof t->host, "%.*s", (int)(slash ? slash - rest : (long)strlen(rest)), rest);
    }
    if (!t->host[0])
        snprintf(t->host, sizeof t->host, "127.0.0.1");
    if (slash && slash[1])
        t->db = atoi(slash + 1);
    return 0;
}

void queue_events_channel(char out[QUEUE_EVENTS_CHANNEL_MAX])
{
    redis_target t;
    minca_err err = {0};
    if (parse_url(servers_redis_url(), &t, &err) < 0)
        t.db = 0; /* the connection fails with this error; the name only has to be stable */
    snprintf(out, QUEUE_EVENTS_CHANNEL_MAX, "minca:events:%d", t.db);
}

redisReply *queue_redis_cmd(redisContext *r, minca_err *err, const char *fmt, ...)
{
    if (!r || r->err) {
        minca_err_set(err, "Redis connection is down");
        return NULL;
    }
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(r, fmt, ap);
    va_end(ap);
    if (!reply) {
        minca_err_set(err, "Redis: %s", r->errstr[0] ? r->errstr : "connection lost");
        return NULL;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        minca_err_set(err, "Redis: %s", reply->str);
        freeReplyObject(reply);
        return NULL;
    }
    return reply;
}

redisContext *queue_redis_connect(minca_err *err)
{
    redis_target t;
    if (config_team_staff()) {
        minca_err_set(err, "Redis belongs to the team desk's service account; jobs wait in PostgreSQL for its workers");
        return NULL;
    }
    const char *url = servers_redis_url();
    if (parse_url(url, &t, err) < 0)
        return NULL;
    struct timeval tv = {5, 0};
    redisContext *r = t.path[0] ? redisConnectUnixWithTimeout(t.path, tv)
                                : redisConnectWithTimeout(t.host, t.port, tv);
    if (!r || r->err) {
        char *masked = config_mask_url(url);
        minca_err_set(err, "cannot connect to Redis at %s: %s", masked, r ? r->errstr : "out of memory");
        g_free(masked);
        if (r)
            redisFree(r);
        return NULL;
    }
    struct timeval cmd_tv = {10, 0};
    redisSetTimeout(r, cmd_tv);
    redisReply *reply = NULL;
    if (t.password[0] && !(reply = queue_redis_cmd(r, err, "AUTH %s", t.password)))
        goto fail;
    if (reply)
        freeReplyObject(reply);
    if (t.db && !(reply = queue_redis_cmd(r, err, "SELECT %d", t.db)))
        goto fail;
    if (t.db)
        freeReplyObject(reply);
    return r;
fail:
    redisFree(r);
    return NULL;
}

int queue_redis_prepare(redisContext *r, minca_err *err)
{
    minca_err e = {0};
    redisReply *reply = queue_redis_cmd(r, &e, "XGROUP CREATE %s %s 0 MKSTREAM", QUEUE_STREAM, QUEUE_GROUP);
    if (reply) {
        freeReplyObject(reply);
        return 0;
    }
    if (strstr(e.msg, "BUSYGROUP"))
        return 0;
    return minca_err_set(err, "%s", e.msg);
}
