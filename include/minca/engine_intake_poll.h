/* intake_poll: hands the messages of a mail source to the pipeline. For each message the raw
 * bytes (a blob), the source's record of it (intake_seen), its ingest job and the source's
 * cursor are committed in one transaction; only then is the source told (ack: IMAP flag or
 * move) and the job dispatched. A crash at any point leaves either all of it or none, and
 * the next poll resumes from the cursor, so no message is lost or stored twice.
 *
 * The runner polls every configured source (config `sources:`) when it is due, backs off
 * after errors and records each poll's outcome in intake_sources (`minca intake list`,
 * `minca status`). Threading: one connection per caller; the runner runs on one thread. */
#ifndef MINCA_ENGINE_INTAKE_POLL_H
#define MINCA_ENGINE_INTAKE_POLL_H

#include "minca/core_config.h"
#include "minca/intake.h"
#include "minca/store.h"

#include <hiredis.h>
#include <signal.h>

typedef struct intake_poll_stats {
    long handed;        /* messages the source handed over in this poll */
    long stored;        /* new ingest jobs (messages stored) */
    long known;         /* already handed in before (same source id, or same bytes) */
    long failed;        /* messages that could not be read (recorded on the source) */
    long ack_failed;    /* stored, but the source's follow-up (IMAP move or flag) failed */
    bool source_failed; /* the poll stopped on a source error (error holds it) */
    char error[1024];
} intake_poll_stats;

typedef struct intake_poll_target {
    const char *name;               /* source name (configured name, or "desk") */
    const char *kind;               /* backend kind */
    const char *insurer;            /* insurer slug; NULL: config insurer */
    const config_source *cfg;       /* configured settings or NULL */
    const intake_item *items;       /* manual: composed messages */
    size_t n_items;
    const char *batch_id;           /* jobs' batch id (to wait for them), or NULL */
    const volatile sig_atomic_t *stop; /* polled between messages; may be NULL */
} intake_poll_target;

/* Polls one source once. r (may be NULL) dispatches the new jobs. Returns 0 when the poll
 * completed (individual unreadable messages are counted in failed), -1 when the source or
 * the database failed (st->error, err). The outcome is recorded on the source's row. */
int intake_poll_once(PGconn *c, redisContext *r, const intake_poll_target *t, intake_poll_stats *st, minca_err *err);

/* The change-notification subscription of a graph source with `notification_url`: created
 * when it has none or Graph removed it (lifecycle subscriptionRemoved, or 404 on renewal),
 * renewed (PATCH expirationDateTime) when less than `subscription_renew_minutes` (default
 * half its lifetime) remain or Graph asked for reauthorization (reauthorizationRequired);
 * `force` renews or creates now. A `missed` notification is acted on by the delta poll that
 * follows. The outcome is kept on the source's row (shown by `minca intake list`). Returns 0
 * when nothing was due, 1 renewed, 2 created, 3 the source has no subscription to keep,
 * -1 on failure (err). */
int intake_subscription_keep(PGconn *c, const config_source *cfg, long long source_id, bool force, minca_err *err);

/* A configured source as a poll target. */
intake_poll_target intake_poll_target_of(const config_source *cfg);
/* Poll interval of a configured source (poll_seconds, default 60). */
int intake_poll_interval(const config_source *cfg);

typedef struct intake_runner_opts {
    bool once;                      /* poll each selected source once, then return */
    const char *const *only;        /* NULL-terminated source names, or NULL: all */
    const char *batch_id;           /* jobs' batch id, or NULL */
    const volatile sig_atomic_t *stop;
    /* Called after each poll (may be NULL). */
    void (*on_poll)(const char *name, const intake_poll_stats *st, void *user);
    void *user;
} intake_runner_opts;

/* IMAP IDLE watchers (intake_idle.c): one thread per IMAP source among `only` (NULL: all)
 * unless it says `idle: off`; new mail announced by the server makes the source due at once.
 * Sources are borrowed until intake_idle_stop(), which ends and frees the watchers. */
typedef struct intake_idle intake_idle;
intake_idle *intake_idle_start(const config_source *sources, int n, const char *const *only,
                               const volatile sig_atomic_t *stop);
void intake_idle_stop(intake_idle *d);

/* Polls the configured sources as they fall due (or each once) until *stop. Keeps its own
 * connections; survives database and Redis restarts. Returns 0, or -1 when --once and any
 * source failed. */
int intake_runner(const intake_runner_opts *o, minca_err *err);

/* Every configured source and every source with a row (the desk's manual source, sources
 * since removed from the config), merged: name, kind, insurer, configured, poll_seconds and
 * the row's state (store_source_list). New reference; NULL + err on a database error. */
json_t *intake_sources_state(PGconn *c, minca_err *err);
/* True when a source's state (an element of intake_sources_state) says it is failing. */
bool intake_source_state_failing(json_t *s);

#endif
