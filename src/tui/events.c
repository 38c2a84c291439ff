/* Live-update events: the engine PUBLISHes on QUEUE_EVENTS when a job finishes; the desk
 * SUBSCRIBEs so its change check runs at once instead of at the next poll. Redis is only a
 * wake-up here: when it is away the poll still finds every change, a little later. */
#include "minca/queue.h"
#include "minca/tui.h"

#include <stdlib.h>

struct tui_events {
    redisContext *redis;
};

tui_events *tui_events_open(void)
{
    minca_err err = {0};
    redisContext *r = queue_redis_connect(&err);
    if (!r) {
        log_info("tui: no live-update events (%s); changes are found by polling", err.msg);
        return NULL;
    }
    redisReply *reply = queue_redis_cmd(r, &err, "SUBSCRIBE %s", QUEUE_EVENTS);
    if (!reply) {
        log_warn("tui: cannot subscribe to %s: %s; changes are found by polling", QUEUE_EVENTS, err.msg);
        redisFree(r);
        return NULL;
    }
    freeReplyObject(reply);
    tui_events *ev = calloc(1, sizeof *ev);
    if (!ev) {
        redisFree(r);
        return NULL;
    }
    ev->redis = r;
    log_info("tui: listening for live-update events on %s", QUEUE_EVENTS);
    return ev;
}

int tui_events_fd(const tui_events *ev) { return ev ? ev->redis->fd : -1; }

int tui_events_drain(tui_events *ev)
{
    if (!ev)
        return 0;
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
    redisFree(ev->redis);
    free(ev);
}
