/* IMAP IDLE watchers for the intake loop: one thread per IMAP source (unless `idle: off`)
 * waits on its mailbox and, when the server announces new mail, makes the source due now, the
 * way a Graph notification does. A server without IDLE is polled on its interval. */
#include "minca/engine_intake_poll.h"
#include "minca/store_source.h"

#include <glib.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

typedef struct idle_watch {
    pthread_t thread;
    const config_source *cfg;
    const volatile sig_atomic_t *stop;
    volatile sig_atomic_t quit;
} idle_watch;

struct intake_idle {
    GPtrArray *watches;   /* idle_watch * */
};

static bool stopping(idle_watch *w)
{
    return w->quit || (w->stop && *w->stop);
}

static void nap(idle_watch *w, int seconds)
{
    for (int i = 0; i < seconds * 10 && !stopping(w); i++)
        usleep(100 * 1000);
}

static void *watch_main(void *arg)
{
    idle_watch *w = arg;
    PGconn *c = NULL;
    intake_source_args a = {.name = w->cfg->name, .cfg = w->cfg};
    bool told = false;
    while (!stopping(w)) {
        minca_err err = {0};
        int rc = intake_imap_idle(&a, 25 * 60, &w->quit, &err);   /* RFC 2177: re-IDLE within 29 min */
        if (rc == -2) {
            log_info("intake %s: the server does not offer IDLE; polling every %d s", w->cfg->name,
                     intake_poll_interval(w->cfg));
            break;
        }
        if (rc < 0) {
            if (!told)
                log_warn("intake %s: IDLE: %s; polling meanwhile", w->cfg->name, err.msg);
            told = true;
            nap(w, 30);
            continue;
        }
        told = false;
        if (rc == 1) {
            if (!c || PQstatus(c) != CONNECTION_OK) {
                if (c)
                    PQfinish(c);
                c = store_connect(&err);
            }
            if (c && PQstatus(c) == CONNECTION_OK && store_source_wake(c, w->cfg->name, &err) < 0)
                log_warn("intake %s: IDLE: %s", w->cfg->name, err.msg);
        }
    }
    if (c)
        PQfinish(c);
    return NULL;
}

intake_idle *intake_idle_start(const config_source *sources, int n, const char *const *only,
                               const volatile sig_atomic_t *stop)
{
    intake_idle *d = g_new0(intake_idle, 1);
    d->watches = g_ptr_array_new();
    for (int i = 0; i < n; i++) {
        const config_source *cfg = &sources[i];
        const char *kind = config_source_get(cfg, "kind"), *idle = config_source_get(cfg, "idle");
        if (!kind || strcmp(kind, "imap") != 0 || (idle && (strcmp(idle, "off") == 0 || strcmp(idle, "false") == 0)))
            continue;
        bool wanted = !only;
        for (size_t j = 0; only && only[j]; j++)
            wanted = wanted || strcmp(only[j], cfg->name) == 0;
        if (!wanted)
            continue;
        idle_watch *w = g_new0(idle_watch, 1);
        w->cfg = cfg;
        w->stop = stop;
        if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
            g_free(w);
            continue;
        }
        g_ptr_array_add(d->watches, w);
    }
    return d;
}

void intake_idle_stop(intake_idle *d)
{
    if (!d)
        return;
    for (guint i = 0; i < d->watches->len; i++)
        ((idle_watch *)g_ptr_array_index(d->watches, i))->quit = 1;
    for (guint i = 0; i < d->watches->len; i++) {
        idle_watch *w = g_ptr_array_index(d->watches, i);
        pthread_join(w->thread, NULL);
        g_free(w);
    }
    g_ptr_array_free(d->watches, TRUE);
    g_free(d);
}
