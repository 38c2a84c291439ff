/* The Prometheus text exposition format: # HELP and # TYPE once per metric, then its series.
 * Histogram buckets are stored non-cumulative (one row per bucket that saw observations);
 * here they are accumulated over the metric's full list of bounds. */
#include "minca/metrics.h"
#include "minca/store_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_MAX_BOUNDS 64

/* "{0.005,0.01,...}" into bounds; returns how many. */
static int parse_bounds(const char *text, double *bounds)
{
    int n = 0;
    const char *p = text && *text == '{' ? text + 1 : "";
    while (*p && *p != '}' && n < METRICS_MAX_BOUNDS) {
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            break;
        bounds[n++] = v;
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

static void append_value(GString *out, double v)
{
    if (isinf(v))
        g_string_append(out, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        g_string_append_printf(out, "%.0f", v);
    else
        g_string_append_printf(out, "%.9g", v);
}

/* name{labels[,extra]} value */
static void append_sample(GString *out, const char *name, const char *suffix, const char *labels, const char *extra,
                          double value)
{
    g_string_append(out, name);
    g_string_append(out, suffix);
    bool has_labels = labels && *labels, has_extra = extra && *extra;
    if (has_labels || has_extra) {
        g_string_append_c(out, '{');
        if (has_labels)
            g_string_append(out, labels);
        if (has_labels && has_extra)
            g_string_append_c(out, ',');
        if (has_extra)
            g_string_append(out, extra);
        g_string_append_c(out, '}');
    }
    g_string_append_c(out, ' ');
    append_value(out, value);
    g_string_append_c(out, '\n');
}

static void append_header(GString *out, const char *name, const char *type, const char *help)
{
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The rows [from, to) of one histogram series (same metric and labels). */
static void append_histogram(GString *out, const store_metric_row *rows, size_t from, size_t to, const double *bounds,
                             int nbounds)
{
    const char *name = rows[from].metric, *labels = rows[from].labels;
    double cumulative = 0, sum = 0;
    size_t row = from;
    char le[64];
    for (int b = 0; b <= nbounds; b++) {
        double bound = b < nbounds ? bounds[b] : INFINITY;
        /* Rows whose bucket is at or below this bound (a bound removed from the definition
         * folds into the next one up). */
        while (row < to && rows[row].bucket <= bound) {
            cumulative += rows[row].n;
            sum += rows[row].sum;
            row++;
        }
        if (b < nbounds) {
            GString *v = g_string_new(NULL);
            append_value(v, bound);
            snprintf(le, sizeof le, "le=\"%s\"", v->str);
            g_string_free(v, TRUE);
        } else {
            snprintf(le, sizeof le, "le=\"+Inf\"");
        }
        append_sample(out, name, "_bucket", labels, le, cumulative);
    }
    append_sample(out, name, "_sum", labels, NULL, sum);
    append_sample(out, name, "_count", labels, NULL, cumulative);
}

static int append_series(PGconn *c, GString *out, minca_err *err)
{
    store_metric_rows series;
    if (store_metrics_series(c, &series, err) < 0) {
        store_metric_rows_clear(&series);
        return -1;
    }
    const store_metric_row *r = series.items;
    size_t rows = series.n;
    double bounds[METRICS_MAX_BOUNDS];
    int nbounds = 0;
    for (size_t i = 0; i < rows;) {
        const char *name = r[i].metric, *type = r[i].type;
        bool histogram = strcmp(type, "histogram") == 0;
        append_header(out, name, type, r[i].help);
        if (histogram)
            nbounds = parse_bounds(r[i].bounds, bounds);
        size_t j = i;
        while (j < rows && strcmp(r[j].metric, name) == 0) {
            if (!r[j].labels) {   /* no series yet */
                j++;
                continue;
            }
            if (!histogram) {
                append_sample(out, name, "", r[j].labels, NULL, r[j].n);
                j++;
                continue;
            }
            size_t k = j;
            while (k < rows && strcmp(r[k].metric, name) == 0 && r[k].labels && strcmp(r[k].labels, r[j].labels) == 0)
                k++;
            append_histogram(out, r, j, k, bounds, nbounds);
            j = k;
        }
        i = j;
    }
    store_metric_rows_clear(&series);
    return 0;
}

static int append_queue_depth(PGconn *c, GString *out, minca_err *err)
{
    static const char *const states[] = {"queued", "running", "failed", "dead"};
    store_queue_depth depth;
    if (store_metrics_queue_depth(c, &depth, err) < 0) {
        store_queue_depth_clear(&depth);
        return -1;
    }
    append_header(out, "minca_queue_depth", "gauge", "Pipeline jobs waiting, running, waiting for a retry or dead, by kind and state.");
    /* Every state of every kind that has any, so a drained queue reads 0 rather than vanishing. */
    const store_queue_depth_row *r = depth.items;
    size_t rows = depth.n;
    for (size_t i = 0; i < rows;) {
        const char *kind = r[i].kind;
        size_t j = i;
        while (j < rows && strcmp(r[j].kind, kind) == 0)
            j++;
        for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
            double n = 0;
            for (size_t k = i; k < j; k++)
                if (strcmp(r[k].state, states[s]) == 0)
                    n = r[k].count;
            char *labels = core_strdup_printf("kind=\"%s\",state=\"%s\"", kind, states[s]);
            append_sample(out, "minca_queue_depth", "", labels, NULL, n);
            g_free(labels);
        }
        i = j;
    }
    store_queue_depth_clear(&depth);
    return 0;
}

/* A gauge counted by one label (label_name="row's label"). */
static void append_counts(GString *out, const char *name, const char *help, const char *label_name,
                          const store_metric_count_list *rows)
{
    append_header(out, name, "gauge", help);
    for (size_t i = 0; i < rows->n; i++) {
        char *labels = core_strdup_printf("%s=\"%s\"", label_name, rows->items[i].label);
        append_sample(out, name, "", labels, NULL, (double)rows->items[i].n);
        g_free(labels);
    }
}

/* The p50 and p90 of time to quote by insurer; an insurer with no quote has no sample. */
static void append_quote_times(GString *out, const store_metric_quote_time_list *rows)
{
    append_header(out, "minca_time_to_quote_seconds", "gauge",
                  "Seconds from a request's received time to its first quote sent (cases opened in the last 30 days), by insurer.");
    for (size_t i = 0; i < rows->n; i++) {
        const store_metric_quote_time *row = &rows->items[i];
        const struct {
            const char *quantile;
            double v;
        } q[2] = {{"0.5", row->p50}, {"0.9", row->p90}};
        for (int k = 0; k < 2; k++) {
            if (isnan(q[k].v))
                continue;
            char *labels = core_strdup_printf("insurer=\"%s\",quantile=\"%s\"", row->insurer, q[k].quantile);
            append_sample(out, "minca_time_to_quote_seconds", "", labels, NULL, q[k].v);
            g_free(labels);
        }
    }
}

int metrics_render(PGconn *c, GString *out, minca_err *err)
{
    double start = core_now_seconds();
    if (append_series(c, out, err) < 0 || append_queue_depth(c, out, err) < 0)
        return -1;
    long alive = store_metrics_workers_alive(c, err);
    if (alive < 0)
        return -1;
    append_header(out, "minca_workers_alive", "gauge", "Pipeline processes (workers, desks, batches) with a heartbeat in the last minute.");
    append_sample(out, "minca_workers_alive", "", NULL, NULL, (double)alive);
    store_metric_count_list late, outbox = {0};
    store_metric_quote_time_list ttq = {0};
    int rc = store_metrics_cases_past_due(c, &late, err);
    if (rc == 0)
        rc = store_metrics_outbox(c, &outbox, err);
    if (rc == 0)
        rc = store_metrics_time_to_quote(c, &ttq, err);
    if (rc == 0) {
        append_counts(out, "minca_cases_past_due", "Cases past their due time whose quote is neither exported nor sent, by insurer.",
                      "insurer", &late);
        append_counts(out, "minca_outbox_messages", "Messages to brokers in the outbox, by state.", "state", &outbox);
        append_quote_times(out, &ttq);
    }
    store_metric_count_list_clear(&late);
    store_metric_count_list_clear(&outbox);
    store_metric_quote_time_list_clear(&ttq);
    if (rc < 0)
        return -1;
    append_header(out, "minca_build_info", "gauge", "The minca version serving this endpoint.");
    append_sample(out, "minca_build_info", "", "version=\"" MINCA_VERSION "\"", NULL, 1);
    append_header(out, "minca_scrape_duration_seconds", "gauge", "Time this scrape spent reading the database.");
    append_sample(out, "minca_scrape_duration_seconds", "", NULL, NULL, core_now_seconds() - start);
    return 0;
}
