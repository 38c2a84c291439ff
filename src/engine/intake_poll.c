/* Hands a mail source's messages to the pipeline, one transaction per message, and polls the
 * configured sources on their schedule (see engine_intake_poll.h). */
#include "minca/engine_intake_poll.h"
#include "minca/queue.h"
#include "minca/engine_steps.h"
#include "minca/store_source.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct seen_ctx {
    PGconn *c;
    long long source_id;
} seen_ctx;

static bool seen_before(void *user, const char *ext_id)
{
    seen_ctx *s = user;
    return store_source_seen(s->c, s->source_id, ext_id, NULL) == 1;
}

int intake_poll_interval(const config_source *cfg)
{
    int n = config_source_int(cfg, "poll_seconds", 60);
    return n > 0 ? n : 60;
}

intake_poll_target intake_poll_target_of(const config_source *cfg)
{
    intake_poll_target t = {
        .name = cfg->name,
        .kind = config_source_get(cfg, "kind"),
        .insurer = config_source_get(cfg, "insurer"),
        .cfg = cfg,
    };
    return t;
}

/* Messages go in groups: one transaction holds each message's blob, its record on the
 * source, its ingest job and the cursor after it, so a commit stores all of the group or
 * none of it (one fsync per group instead of per message). Acks and dispatches wait for
 * the commit. */
#define GROUP_MAX_MESSAGES 64
#define GROUP_MAX_BYTES ((size_t)16 * 1024 * 1024)
#define GROUP_MAX_SECONDS 0.5

typedef struct group {
    bool open;
    GPtrArray *acks;      /* intake_item * kept for ack after commit */
    GArray *jobs;         /* long long */
    size_t bytes;
    double started;
} group;

static void item_free(gpointer p)
{
    intake_item_clear(p);
    g_free(p);
}

static int group_begin(PGconn *c, group *g, minca_err *err)
{
    if (g->open)
        return 0;
    if (store_begin(c, err) < 0)
        return -1;
    g->open = true;
    g->bytes = 0;
    g->started = core_now_seconds();
    return 0;
}

static void group_discard(PGconn *c, group *g)
{
    if (g->open)
        store_rollback(c);
    g->open = false;
    g_ptr_array_set_size(g->acks, 0);
    g_array_set_size(g->jobs, 0);
}

static int group_commit(PGconn *c, redisContext *r, intake_source *s, const intake_poll_target *t, group *g,
                        intake_poll_stats *st, minca_err *err)
{
    if (!g->open)
        return 0;
    if (store_commit(c, err) < 0) {
        group_discard(c, g);
        return -1;
    }
    g->open = false;
    if (g->jobs->len)
        queue_dispatch(r, (const long long *)(void *)g->jobs->data, (int)g->jobs->len);
    st->stored += g->jobs->len;
    for (guint i = 0; i < g->acks->len; i++) {
        minca_err aerr = {0};
        if (intake_source_ack(s, g_ptr_array_index(g->acks, i), &aerr) < 0) {
            log_warn("intake %s: the message is stored, but %s", t->name, aerr.msg);
            if (st->ack_failed++ == 0)
                snprintf(st->error, sizeof st->error, "stored, but %.900s", aerr.msg);
        }
    }
    g_ptr_array_set_size(g->acks, 0);
    g_array_set_size(g->jobs, 0);
    return 0;
}

static bool group_full(const group *g)
{
    return g->acks->len >= GROUP_MAX_MESSAGES || g->bytes >= GROUP_MAX_BYTES ||
           core_now_seconds() - g->started >= GROUP_MAX_SECONDS;
}

/* One message inside the open group: blob, source record, ingest job, cursor. *fresh is
 * false when the source handed it in before (or the same bytes are already queued). */
static int store_item(PGconn *c, const store_source *src, const intake_poll_target *t, const intake_item *it,
                      long long *job_id, minca_err *err)
{
    *job_id = 0;
    char sha[65];
    const char *ext_id = it->source_id ? it->source_id : it->origin;
    if (store_blob_put(c, it->data, it->len, sha, err) < 0)
        return -1;
    int claimed = store_source_claim(c, src->id, ext_id, sha, NULL, err);
    if (claimed < 0)
        return -1;
    if (claimed) {
        GString *notes = g_string_new(NULL);
        for (size_t i = 0; i < it->n_notes; i++)
            g_string_append_printf(notes, "%s%s", i ? "\n" : "", it->notes[i]);
        steps_ingest_job job = {.sha256 = sha, .origin = it->origin, .source = it->source, .source_name = t->name,
                                .source_id = it->source_id,
                                .content_sha256 = it->content_sha256[0] ? it->content_sha256 : NULL,
                                .notes = notes->len ? notes->str : NULL};
        int rc = steps_enqueue_ingest(c, src->insurer_id, &job, t->batch_id, false, job_id, err);
        g_string_free(notes, TRUE);
        if (rc < 0 || (*job_id && store_source_stored(c, src->id, ext_id, *job_id, err) < 0))
            return -1;
    }
    return store_source_set_cursor(c, src->id, it->cursor, err);
}

/* A message the source could not hand over: recorded on the source with its cursor. */
static int record_failure(PGconn *c, const store_source *src, const intake_item *it, const char *why, minca_err *err)
{
    const char *ext_id = it->source_id ? it->source_id : it->origin;
    if (ext_id && store_source_claim(c, src->id, ext_id, NULL, why, err) < 0)
        return -1;
    return store_source_set_cursor(c, src->id, it->cursor, err);
}

static int source_loop(PGconn *c, redisContext *r, const intake_poll_target *t, const store_source *src,
                       intake_source *s, intake_poll_stats *st, minca_err *err)
{
    group g = {.acks = g_ptr_array_new_with_free_func(item_free), .jobs = g_array_new(FALSE, FALSE, sizeof(long long))};
    int rc = 0;
    for (;;) {
        if (t->stop && *t->stop)
            break;
        intake_item *it = g_malloc0_n(1, sizeof *it);
        minca_err ierr = {0};
        int n = intake_source_next(s, it, &ierr);
        if (n == 0 || n == -2) {
            item_free(it);
            if (n == -2) {
                snprintf(st->error, sizeof st->error, "%s", ierr.msg);
                st->source_failed = true;
                minca_err_set(err, "%s", ierr.msg);
                rc = -1;
            }
            break;
        }
        if (group_begin(c, &g, err) < 0) {
            item_free(it);
            rc = -1;
            break;
        }
        int step = 0;
        if (n < 0) {
            st->failed++;
            log_warn("intake %s: %s", t->name, ierr.msg);
            step = record_failure(c, src, it, ierr.msg, err);
        } else if (!it->data) {
            step = store_source_set_cursor(c, src->id, it->cursor, err);
        } else {
            st->handed++;
            long long job = 0;
            step = store_item(c, src, t, it, &job, err);
            if (step == 0 && job)
                g_array_append_val(g.jobs, job);
            else if (step == 0)
                st->known++;
            g.bytes += it->len;
        }
        if (step < 0) {
            item_free(it);
            rc = -1;
            break;
        }
        if (n < 0) {
            item_free(it);   /* not stored: never moved or flagged on the server */
        } else {
            g_free(it->data);   /* the bytes are stored; keep only what ack needs */
            it->data = NULL;
            g_ptr_array_add(g.acks, it);
        }
        if (group_full(&g) && group_commit(c, r, s, t, &g, st, err) < 0) {
            rc = -1;
            break;
        }
    }
    /* What was handed over before a source error is still good: keep it. */
    if (g.open && (rc == 0 || st->source_failed)) {
        minca_err cerr = {0};
        if (group_commit(c, r, s, t, &g, st, &cerr) < 0 && rc == 0) {
            minca_err_set(err, "%s", cerr.msg);
            rc = -1;
        }
    }
    group_discard(c, &g);
    if (rc < 0 && !st->error[0])
        snprintf(st->error, sizeof st->error, "%s", err->msg);
    g_ptr_array_free(g.acks, TRUE);
    g_array_free(g.jobs, TRUE);
    return rc;
}

int intake_subscription_keep(PGconn *c, const config_source *cfg, long long source_id, bool force, minca_err *err)
{
    const char *kind = config_source_get(cfg, "kind");
    if (!kind || strcmp(kind, "graph") != 0 || !config_source_get(cfg, "notification_url"))
        return 3;
    store_source_subscription cur;
    if (store_source_subscription_get(c, source_id, &cur, err) < 0)
        return -1;
    bool pending = cur.pending && cur.event;
    bool removed = pending && strcmp(cur.event, "subscriptionRemoved") == 0;
    bool reauth = pending && strcmp(cur.event, "reauthorizationRequired") == 0;
    int minutes = intake_graph_subscription_minutes(cfg);
    double margin = 60.0 * config_source_int(cfg, "subscription_renew_minutes", minutes / 2);
    bool due = force || !cur.id || removed || reauth || cur.expires_in < margin;
    int rc = 0;
    if (!due)   /* `missed`: the delta poll that follows is the answer (marked done after it) */
        goto done;
    intake_source_args a = {.name = cfg->name, .cfg = cfg};
    intake_graph_subscription sub;
    if (intake_graph_subscribe(&a, removed ? NULL : cur.id, &sub, err) < 0) {
        minca_err serr = {0};
        if (store_source_subscription_failed(c, source_id, err->msg, &serr) < 0)
            log_warn("intake %s: cannot record the subscription's failure: %s", cfg->name, serr.msg);
        rc = -1;
        goto done;
    }
    rc = sub.created ? 2 : 1;
    if (store_source_subscription_set(c, source_id, sub.id, sub.expires, err) < 0)
        rc = -1;
    else
        log_info("intake %s: Graph subscription %s %s (%s), until %lld", cfg->name, sub.id,
                 sub.created ? "created" : "renewed",
                 removed ? "Graph removed the last one" : reauth ? "Graph asked for reauthorization"
                 : !cur.id ? "none yet" : force ? "asked for" : "close to expiry",
                 (long long)sub.expires);
    intake_graph_subscription_clear(&sub);
done:
    store_source_subscription_clear(&cur);
    return rc;
}

int intake_poll_once(PGconn *c, redisContext *r, const intake_poll_target *t, intake_poll_stats *st, minca_err *err)
{
    memset(st, 0, sizeof *st);
    const char *slug = t->insurer ? t->insurer : config_get()->insurer;
    store_insurer ins;
    store_source src = {0};
    if (store_insurer_ensure(c, slug, &ins, err) < 0 || store_source_ensure(c, ins.id, t->name, t->kind ? t->kind : "?", &src, err) < 0) {
        snprintf(st->error, sizeof st->error, "%s", err->msg);
        return -1;
    }
    /* Several workers may poll with --intake: one at a time per source. The desk's manual
     * source has no cursor to protect and must never skip what it was handed. */
    bool locked = false;
    if (!t->items) {
        int got = store_source_try_lock(c, src.id, err);
        if (got < 0) {
            snprintf(st->error, sizeof st->error, "%s", err->msg);
            store_source_clear(&src);
            return -1;
        }
        if (!got) {
            log_info("intake %s: another process is polling it; skipped", t->name);
            store_source_clear(&src);
            return 0;
        }
        locked = true;
    }
    if (t->cfg) {
        /* The webhook's subscription is kept beside the poll; its failure is shown in status
         * (subscription_error) while the delta poll still reads the mail. */
        minca_err serr = {0};
        if (intake_subscription_keep(c, t->cfg, src.id, false, &serr) < 0)
            log_error("intake %s: subscription: %s", t->name, serr.msg);
    }
    seen_ctx seen = {.c = c, .source_id = src.id};
    intake_source_args a = {
        .name = t->name,
        .cfg = t->cfg,
        .cursor = src.cursor,
        .seen = seen_before,
        .seen_user = &seen,
        .items = t->items,
        .n_items = t->n_items,
    };
    if (t->cfg && config_source_get(t->cfg, "max_message_mb"))
        a.max_message_bytes = (size_t)config_source_int(t->cfg, "max_message_mb", 50) * 1024 * 1024;
    intake_source *s = NULL;
    int rc;
    if (intake_source_open_kind(t->kind, &a, &s, err) < 0) {
        snprintf(st->error, sizeof st->error, "%s", err->msg);
        st->source_failed = true;
        rc = -1;
    } else {
        rc = source_loop(c, r, t, &src, s, st, err);
        intake_source_close(s);
        minca_err lerr = {0};
        if (rc == 0 && t->cfg && store_source_lifecycle_done(c, src.id, "missed", &lerr) < 0)
            log_warn("intake %s: %s", t->name, lerr.msg);
        if (rc == 0 && st->ack_failed) {
            /* Shown in status: the server still holds what it should have moved or flagged. */
            char first[sizeof st->error];
            snprintf(first, sizeof first, "%s", st->error);
            snprintf(st->error, sizeof st->error, "%ld message(s) %.900s", st->ack_failed, first);
            minca_err_set(err, "%s", st->error);
            rc = -1;
        }
    }
    minca_err derr = {0};
    if (PQstatus(c) == CONNECTION_OK &&
        store_source_poll_done(c, src.id, rc < 0 ? st->error : NULL, intake_poll_interval(t->cfg), &derr) < 0)
        log_warn("intake %s: cannot record the poll: %s", t->name, derr.msg);
    if (rc < 0)
        log_error("intake %s: poll failed: %s", t->name, st->error);
    else if (st->handed || st->failed)
        log_info("intake %s: %ld message(s) handed in, %ld new, %ld known, %ld unreadable", t->name, st->handed,
                 st->stored, st->known, st->failed);
    if (locked && PQstatus(c) == CONNECTION_OK)
        store_source_unlock(c, src.id);
    store_source_clear(&src);
    return rc;
}

static bool selected(const intake_runner_opts *o, const char *name)
{
    if (!o->only)
        return true;
    for (size_t i = 0; o->only[i]; i++)
        if (strcmp(o->only[i], name) == 0)
            return true;
    return false;
}

/* Due when its row says so; a source never polled is due at once. */
static bool is_due(PGconn *c, const config_source *cfg)
{
    store_insurer ins;
    const char *slug = config_source_get(cfg, "insurer");
    if (store_insurer_find(c, slug ? slug : config_get()->insurer, &ins, NULL) != 1)
        return true;
    double in = 0;
    return store_source_due_in(c, ins.id, cfg->name, &in, NULL) < 0 || in <= 0;
}

int intake_runner(const intake_runner_opts *o, minca_err *err)
{
    const minca_config *cfg = config_get();
    PGconn *c = NULL;
    redisContext *r = NULL;
    int failed = 0;
    intake_idle *idle = o->once ? NULL : intake_idle_start(cfg->sources, cfg->n_sources, o->only, o->stop);
    while (!(o->stop && *o->stop)) {
        if (!c || PQstatus(c) != CONNECTION_OK) {
            if (c)
                PQreset(c);
            else
                c = store_connect(err);
            if (!c || PQstatus(c) != CONNECTION_OK) {
                if (o->once) {
                    failed++;
                    break;
                }
                sleep(1);
                continue;
            }
        }
        if (!r) {
            minca_err rerr = {0};
            r = queue_redis_connect(&rerr);
        }
        for (int i = 0; i < cfg->n_sources && !(o->stop && *o->stop); i++) {
            const config_source *s = &cfg->sources[i];
            if (!selected(o, s->name) || (!o->once && !is_due(c, s)))
                continue;
            intake_poll_target t = intake_poll_target_of(s);
            t.batch_id = o->batch_id;
            t.stop = o->stop;
            intake_poll_stats st;
            minca_err perr = {0};
            if (intake_poll_once(c, r, &t, &st, &perr) < 0)
                failed++;
            if (o->on_poll)
                o->on_poll(s->name, &st, o->user);
            if (r && r->err) {
                redisFree(r);
                r = NULL;
            }
        }
        if (o->once)
            break;
        for (int i = 0; i < 10 && !(o->stop && *o->stop); i++)
            usleep(100 * 1000);
    }
    intake_idle_stop(idle);
    if (r)
        redisFree(r);
    if (c)
        PQfinish(c);
    if (o->once && failed)
        return err && err->msg[0] ? -1 : minca_err_set(err, "%d source(s) failed", failed);
    return 0;
}

json_t *intake_sources_state(PGconn *c, minca_err *err)
{
    store_source_row_list rows;
    if (store_source_list(c, &rows, err) < 0) {
        store_source_row_list_clear(&rows);
        return NULL;
    }
    bool *listed = g_new0(bool, rows.n + 1);
    const minca_config *cfg = config_get();
    json_t *out = json_array();
    for (int i = 0; i < cfg->n_sources; i++) {
        const config_source *s = &cfg->sources[i];
        const char *slug = config_source_get(s, "insurer");
        slug = slug ? slug : cfg->insurer;
        json_t *o = json_pack("{s:s, s:s?, s:s, s:b, s:i}", "name", s->name, "kind", config_source_get(s, "kind"),
                              "insurer", slug, "configured", 1, "poll_seconds", intake_poll_interval(s));
        for (size_t j = 0; j < rows.n; j++) {
            if (strcmp(rows.items[j].name, s->name) == 0 && strcmp(rows.items[j].insurer, slug) == 0) {
                json_t *row = store_source_row_json(&rows.items[j]);
                json_object_update_missing(o, row);
                json_decref(row);
                listed[j] = true;
            }
        }
        json_array_append_new(out, o);
    }
    for (size_t j = 0; j < rows.n; j++) {
        if (listed[j])
            continue;
        json_t *o = store_source_row_json(&rows.items[j]);
        json_object_set_new(o, "configured", json_false());
        json_array_append_new(out, o);
    }
    g_free(listed);
    store_source_row_list_clear(&rows);
    return out;
}

bool intake_source_state_failing(json_t *s)
{
    return json_integer_value(json_object_get(s, "failures")) > 0;
}
