/* store_source: the state of configured mail sources (intake_sources) and the messages each
 * handed in (intake_seen). Same conventions as store.h: parameterised queries, 0 / -1 with
 * err; lists of rows typed (store_rows.h), cleared by the caller. */
#ifndef MINCA_STORE_SOURCE_H
#define MINCA_STORE_SOURCE_H

#include "minca/store.h"
#include "minca/store_rows.h"

typedef struct store_source {
    long long id;
    long long insurer_id;
    char *cursor;        /* g_malloc'd or NULL; freed by store_source_clear() */
} store_source;

/* The source's row for (insurer, name), created when missing (kind is updated). */
int store_source_ensure(PGconn *c, long long insurer_id, const char *name, const char *kind, store_source *out,
                        minca_err *err);
void store_source_clear(store_source *s);
/* 1 when the source already handed in ext_id, 0 when not, -1 on error. */
int store_source_seen(PGconn *c, long long source_id, const char *ext_id, minca_err *err);
/* Inside the caller's transaction: records that the source handed in ext_id (raw bytes sha,
 * or error when it could not be read). Returns 1 when new, 0 when it was already recorded
 * (then nothing changes), -1 on error. */
int store_source_claim(PGconn *c, long long source_id, const char *ext_id, const char *sha, const char *error,
                       minca_err *err);
/* Inside the caller's transaction: the job that ingests ext_id, and one more message. */
int store_source_stored(PGconn *c, long long source_id, const char *ext_id, long long job_id, minca_err *err);
/* Inside the caller's transaction (or on its own): keeps the cursor (NULL: unchanged). */
int store_source_set_cursor(PGconn *c, long long source_id, const char *cursor, minca_err *err);
/* End of a poll: error NULL resets the failure count and schedules the next poll after
 * interval seconds; an error is kept, counted, and the next poll backs off (interval doubled
 * per consecutive failure, at most 15 minutes). */
int store_source_poll_done(PGconn *c, long long source_id, const char *error, int interval_seconds, minca_err *err);
/* Seconds until the named source is due (<= 0: due now; a source never polled is due).
 * Returns -1 on error. */
int store_source_due_in(PGconn *c, long long insurer_id, const char *name, double *seconds, minca_err *err);
/* Only one process polls a source at a time (a session-level advisory lock): 1 when this
 * connection now holds it, 0 when another does, -1 on error. */
int store_source_try_lock(PGconn *c, long long source_id, minca_err *err);
void store_source_unlock(PGconn *c, long long source_id);
/* Wakes the named source (any insurer): its next poll is now. Returns how many rows. */
int store_source_wake(PGconn *c, const char *name, minca_err *err);
/* A Graph source's subscription as last kept, and the last lifecycle notification. */
typedef struct store_source_subscription {
    char *id;            /* g_malloc'd or NULL (none yet); freed by store_source_subscription_clear() */
    double expires_in;   /* seconds until it expires (negative: expired); 0 when no id */
    char *event;         /* last lifecycle event (g_malloc'd) or NULL */
    bool pending;        /* that event is not yet acted on */
} store_source_subscription;
int store_source_subscription_get(PGconn *c, long long source_id, store_source_subscription *out, minca_err *err);
void store_source_subscription_clear(store_source_subscription *s);
/* Keeps the subscription Graph accepted (id, expiry in seconds since the epoch); the pending
 * lifecycle event is then acted on and the last subscription error cleared. */
int store_source_subscription_set(PGconn *c, long long source_id, const char *id, int64_t expires, minca_err *err);
/* Keeps why the subscription could not be created or renewed (shown in status). */
int store_source_subscription_failed(PGconn *c, long long source_id, const char *error, minca_err *err);
/* A lifecycle notification for the named source (any insurer) whose subscription is
 * subscription_id (NULL: any): recorded as pending, and the source is due now so that the
 * next poll acts on it. Returns how many rows. */
int store_source_lifecycle(PGconn *c, const char *name, const char *subscription_id, const char *event,
                           minca_err *err);
/* The pending lifecycle event (only when it is `event`, unless NULL) was acted on. */
int store_source_lifecycle_done(PGconn *c, long long source_id, const char *event, minca_err *err);
/* A source's row: insurer its slug; times "YYYY-MM-DD HH24:MI:SS" (NULL when never);
 * next_poll_in seconds; the subscription and lifecycle columns are a Graph source's (NULL
 * otherwise), as are cursor and last_error when none. */
#define STORE_SOURCE_ROW_COLUMNS(X)                                                               \
    X(name, TEXT) X(insurer, TEXT) X(kind, TEXT) X(cursor, OPT_TEXT) X(messages, LL) X(failed, LL)  \
    X(polls, LL) X(last_poll, OPT_TEXT) X(last_ok, OPT_TEXT) X(last_error, OPT_TEXT) X(failures, LL) \
    X(failing_since, OPT_TEXT) X(next_poll_in, DOUBLE) X(subscription_id, OPT_TEXT)                 \
    X(subscription_expires, OPT_TEXT) X(subscription_error, OPT_TEXT) X(lifecycle_event, OPT_TEXT)  \
    X(lifecycle_at, OPT_TEXT) X(lifecycle_pending, BOOL)
STORE_ROW_TYPES(store_source_row, STORE_SOURCE_ROW_COLUMNS)
/* Every source row, by name and insurer, into *out (zeroed first; the caller clears it with
 * store_source_row_list_clear, also on error). */
int store_source_list(PGconn *c, store_source_row_list *out, minca_err *err);

#endif
