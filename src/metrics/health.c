/* Health: PostgreSQL and Redis reachable (fresh connections, so a server that went away is
 * seen at once) and the schema current (every migration file of this binary applied). */
#include "minca/core_config.h"
#include "minca/metrics.h"
#include "minca/queue.h"
#include "minca/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_CONNECT_SECONDS 3

static void note_problem(metrics_health *h, const char *what, const char *why)
{
    if (!h->problem[0])
        core_fmt(h->problem, sizeof h->problem, "%s: %s", what, why);   /* a message: cut if long */
}

void metrics_health_check(metrics_health *h)
{
    memset(h, 0, sizeof *h);
    minca_err err = {0};
    PGconn *c = store_connect_timeout(HEALTH_CONNECT_SECONDS, &err);
    h->postgresql = c != NULL;
    if (!c) {
        note_problem(h, "postgresql", err.msg);
    } else {
        char *dir = core_path_join(config_share_dir(), "migrations");
        int unknown = 0;
        if (store_migrations_pending(c, dir, &h->pending, &unknown, &err) < 0) {
            note_problem(h, "migrations", err.msg);
        } else if (h->pending > 0) {
            note_problem(h, "migrations", "the schema is behind this binary (run 'minca db migrate')");
        } else if (unknown > 0) {
            note_problem(h, "migrations", "the schema is newer than this binary");
        } else {
            h->migrations = true;
        }
        g_free(dir);
        PQfinish(c);
    }
    minca_err rerr = {0};
    redisContext *r = queue_redis_connect(&rerr);
    if (r) {
        redisReply *pong = queue_redis_cmd(r, &rerr, "PING");
        h->redis = pong != NULL;
        if (pong)
            freeReplyObject(pong);
        redisFree(r);
    }
    if (!h->redis)
        note_problem(h, "redis", rerr.msg);
}

char *metrics_health_json(const metrics_health *h)
{
    bool ok = h->postgresql && h->redis && h->migrations;
    json_t *o = json_pack("{s:s, s:b, s:b, s:b, s:i}", "status", ok ? "ok" : "unhealthy", "postgresql", h->postgresql,
                          "redis", h->redis, "migrations_current", h->migrations, "migrations_pending", h->pending);
    if (h->problem[0])
        json_object_set_new(o, "problem", json_string(h->problem));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}
