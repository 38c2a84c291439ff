/* store_metrics: operational metrics (metrics_repo.c): the series kept by the triggers of
 * migrations/020_metrics.sql, the queue depth and the live workers. Same conventions as
 * store.h: 0 / -1 with err. Results are arrays whose strings live in the result until it is
 * cleared. */
#ifndef MINCA_STORE_METRICS_H
#define MINCA_STORE_METRICS_H

#include "minca/store.h"
#include "minca/store_rows.h"

#include <stddef.h>

/* One row of a metric: the definition and one bucket of one series. */
typedef struct store_metric_row {
    const char *metric, *type, *help;
    const char *bounds;      /* histogram bounds as a text array ("{0.005,0.01,...}"), "" when none */
    const char *labels;      /* the series' labels ("kind=\"codify\""); NULL: the metric has no series yet */
    double bucket, n, sum;   /* histograms: upper bound of the bucket; n: count or value; sum of observations */
} store_metric_row;
typedef struct store_metric_rows {
    size_t n;
    store_metric_row *items;
    void *priv;
} store_metric_rows;
/* Folds pending metric deltas into the totals when no other scrape is doing it (skipped on a
 * read-only server), then reads every series ordered by metric, labels, bucket. Metrics with no
 * series yet appear once with labels NULL. Clear with store_metric_rows_clear even on error. */
int store_metrics_series(PGconn *c, store_metric_rows *out, minca_err *err);
void store_metric_rows_clear(store_metric_rows *rows);

/* Unfinished and dead jobs by kind and state, ordered by kind then state, through partial
 * indexes; kinds that ran before and have none now come with state "" and count 0. */
typedef struct store_queue_depth_row {
    const char *kind, *state;
    double count;
} store_queue_depth_row;
typedef struct store_queue_depth {
    size_t n;
    store_queue_depth_row *items;
    void *priv;
} store_queue_depth;
int store_metrics_queue_depth(PGconn *c, store_queue_depth *out, minca_err *err);
void store_queue_depth_clear(store_queue_depth *q);

/* Workers whose heartbeat is younger than a minute. -1 on error. */
long store_metrics_workers_alive(PGconn *c, minca_err *err);
/* A count by one label: label is the insurer's slug or the outbox state. */
#define STORE_METRIC_COUNT_COLUMNS(X) X(label, TEXT) X(n, LL)
STORE_ROW_TYPES(store_metric_count, STORE_METRIC_COUNT_COLUMNS)
/* Cases past due by insurer slug (every insurer, 0 included) and outbox messages by state,
 * into *out (zeroed first; the caller clears it with store_metric_count_list_clear, also on
 * error). */
int store_metrics_cases_past_due(PGconn *c, store_metric_count_list *out, minca_err *err);
int store_metrics_outbox(PGconn *c, store_metric_count_list *out, minca_err *err);
/* Time to quote of one insurer (its slug): p50 and p90 seconds (NAN when none), n cases. */
#define STORE_METRIC_QUOTE_TIME_COLUMNS(X) X(insurer, TEXT) X(p50, OPT_DOUBLE) X(p90, OPT_DOUBLE) X(n, LL)
STORE_ROW_TYPES(store_metric_quote_time, STORE_METRIC_QUOTE_TIME_COLUMNS)
/* Time to quote by insurer slug (every insurer), from a request's received time to its case's
 * first quote sent, over the cases opened in the last 30 days, into *out (as above). */
int store_metrics_time_to_quote(PGconn *c, store_metric_quote_time_list *out, minca_err *err);

#endif
