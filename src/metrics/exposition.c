/* The Prometheus text exposition format: # HELP and # TYPE once per metric, then its series.
 * Histogram buckets are stored non-cumulative (one row per bucket that saw observations);
 * here they are accumulated over the metric's full list of bounds. */
#include "minca/metrics.h"
#include "minca/store.h"

#include <math.h>
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
static void append_histogram(GString *out, PGresult *r, int from, int to, const double *bounds, int nbounds)
{
    const char *name = PQgetvalue(r, from, 0), *labels = PQgetvalue(r, from, 4);
    double cumulative = 0, sum = 0;
    int row = from;
    char le[64];
    for (int b = 0; b <= nbounds; b++) {
        double bound = b < nbounds ? bounds[b] : INFINITY;
        /* Rows whose bucket is at or below this bound (a bound removed from the definition
         * folds into the next one up). */
        while (row < to && strtod(PQgetvalue(r, row, 5), NULL) <= bound) {
            cumulative += strtod(PQgetvalue(r, row, 6), NULL);
            sum += strtod(PQgetvalue(r, row, 7), NULL);
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
    PGresult *r = store_metrics_series(c, err);
    if (!r)
        return -1;
    int rows = PQntuples(r);
    double bounds[METRICS_MAX_BOUNDS];
    int nbounds = 0;
    for (int i = 0; i < rows;) {
        const char *name = PQgetvalue(r, i, 0), *type = PQgetvalue(r, i, 1);
        bool histogram = strcmp(type, "histogram") == 0;
        append_header(out, name, type, PQgetvalue(r, i, 2));
        if (histogram)
            nbounds = parse_bounds(PQgetvalue(r, i, 3), bounds);
        int j = i;
        while (j < rows && strcmp(PQgetvalue(r, j, 0), name) == 0) {
            if (PQgetisnull(r, j, 4)) {   /* no series yet */
                j++;
                continue;
            }
            if (!histogram) {
                append_sample(out, name, "", PQgetvalue(r, j, 4), NULL, strtod(PQgetvalue(r, j, 6), NULL));
                j++;
                continue;
            }
            int k = j;
            while (k < rows && strcmp(PQgetvalue(r, k, 0), name) == 0 && !PQgetisnull(r, k, 4) &&
                   strcmp(PQgetvalue(r, k, 4), PQgetvalue(r, j, 4)) == 0)
                k++;
            append_histogram(out, r, j, k, bounds, nbounds);
            j = k;
        }
        i = j;
    }
    PQclear(r);
    return 0;
}

static int append_queue_depth(PGconn *c, GString *out, minca_err *err)
{
    static const char *const states[] = {"queued", "running", "failed", "dead"};
    PGresult *r = store_metrics_queue_depth(c, err);
    if (!r)
        return -1;
    append_header(out, "minca_queue_depth", "gauge", "Pipeline jobs waiting, running, waiting for a retry or dead, by kind and state.");
    /* Every state of every kind that has any, so a drained queue reads 0 rather than vanishing. */
    int rows = PQntuples(r);
    for (int i = 0; i < rows;) {
        const char *kind = PQgetvalue(r, i, 0);
        int j = i;
        while (j < rows && strcmp(PQgetvalue(r, j, 0), kind) == 0)
            j++;
        for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
            double n = 0;
            for (int k = i; k < j; k++)
                if (strcmp(PQgetvalue(r, k, 1), states[s]) == 0)
                    n = strtod(PQgetvalue(r, k, 2), NULL);
            char *labels = core_strdup_printf("kind=\"%s\",state=\"%s\"", kind, states[s]);
            append_sample(out, "minca_queue_depth", "", labels, NULL, n);
            free(labels);
        }
        i = j;
    }
    PQclear(r);
    return 0;
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
    append_header(out, "minca_build_info", "gauge", "The minca version serving this endpoint.");
    append_sample(out, "minca_build_info", "", "version=\"" MINCA_VERSION "\"", NULL, 1);
    append_header(out, "minca_scrape_duration_seconds", "gauge", "Time this scrape spent reading the database.");
    append_sample(out, "minca_scrape_duration_seconds", "", NULL, NULL, core_now_seconds() - start);
    return 0;
}
