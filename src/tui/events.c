/* Live-update events: the engine PUBLISHes on queue_events_channel() when a job finishes; the desk
 * SUBSCRIBEs so its change check runs at once instead of at the next poll. A desk that reaches
 * no Redis (a person of a team desk: Redis is the service's) LISTENs on PostgreSQL instead,
 * where a finished job notifies too. Either is only a wake-up: without both the poll still
 * finds every change, a little later. */
#include "minca/queue.h"
#include "minca/store.h"
#include "minca/tui.h"

#include <stdlib.h>

struct tui_events {
    redisContext *redis;   /* or */
    PGconn *pg;            /* LISTEN minca_events */
};

static tui_events *listen_pg(const char *why)
{
    minca_err err = {0};
    PGconn *c = store_events_listen(&err);
    if (!c) {
        log_info("tui: no live-update events (%s; %s); changes are found by polling", why, err.msg);
        return NULL;
    }
    tui_events *ev = g_malloc0_n(1, sizeof *ev);
    if (!ev) {
        PQfinish(c);
        return NULL;
    }
    ev->pg = c;
    log_info("tui: listening for live-update events in PostgreSQL (%s)", why);
    return ev;
}

tui_events *tui_events_open(void)
{
    minca_err err = {0};
    redisContext *r = queue_redis_connect(&err);
    if (!r)
        return listen_pg(err.msg);
    char channel[QUEUE_EVENTS_CHANNEL_MAX];
    queue_events_channel(channel);
    redisReply *reply = queue_redis_cmd(r, &err, "SUBSCRIBE %s", channel);
    if (!reply) {
        log_warn("tui: cannot subscribe to %s: %s; changes are found by polling", channel, err.msg);
        redisFree(r);
        return NULL;
    }
    freeReplyObject(reply);
    tui_events *ev = g_malloc0_n(1, sizeof *ev);
    if (!ev) {
        redisFree(r);
        return NULL;
    }
    ev->redis = r;
    log_info("tui: listening for live-update events on %s", channel);
    return ev;
}

int tui_events_fd(const tui_events *ev) { return !ev ? -1 : ev->pg ? PQsocket(ev->pg) : ev->redis->fd; }

int tui_events_drain(tui_events *ev)
{
    if (!ev)
        return 0;
    if (ev->pg) {
        int n = store_events_drain(ev->pg);
        if (n < 0)
            log_warn("tui: live-update events lost: the PostgreSQL connection closed");
        return n;
    }
    /* Called when the socket is readable: this read does not block. */
    if (redisBufferRead(ev->redis) != REDIS_OK) {
        log_warn("tui: live-update events lost: %s", ev->redis->errstr[0] ? ev->redis->errstr : "connection closed");
        return -1;
    }
    int n = 0;
    for (;;) {
        void *reply = NULL;
        if (redisGetReplyFromReader(ev->redis, &reply) != REDIS_OK) {
            log_warn("tui: bad live-update event stream: %s", ev->redis->errstr);
            return -1;
        }
        if (!reply)
            break;
        redisReply *r = reply;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->type == REDIS_REPLY_STRING) {
            log_debug("tui: event %s", r->element[2]->str);
            n++;
        }
        freeReplyObject(r);
    }
    return n;
}

void tui_events_close(tui_events *ev)
{
    if (!ev)
        return;
    if (ev->pg)
        PQfinish(ev->pg);
    else
        redisFree(ev->redis);
    g_free(ev);
}
