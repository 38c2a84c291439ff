/* Operational metrics: the series kept by the triggers of migrations/020_metrics.sql, the
 * queue depth and the live workers. Every query here reads small tables or partial indexes,
 * so a scrape costs the same with a million vehicle rows as with ten. */
#include <glib.h>
#include "minca/store_metrics.h"
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

int store_metrics_series(PGconn *c, store_metric_rows *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    /* The rollup is an optimisation: a scrape that cannot take its lock, or cannot write,
     * still reads the right numbers (totals plus the deltas not folded yet). */
    PGresult *r = PQexec(c, "SELECT minca_metrics_rollup()");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        log_debug("metrics rollup skipped: %s", PQerrorMessage(c));
    PQclear(r);
    r = store_query(c, err,
                    "SELECT d.metric, d.type, d.help, d.bounds::text, s.labels, s.bucket, s.n, s.sum"
                    "  FROM metric_defs d"
                    "  LEFT JOIN (SELECT metric, labels, bucket, sum(n)::bigint AS n, sum(sum) AS sum"
                    "               FROM (SELECT metric, labels, bucket, n, sum FROM metric_totals"
                    "                     UNION ALL"
                    "                     SELECT metric, labels, bucket, n, sum FROM metric_deltas) u"
                    "              GROUP BY metric, labels, bucket) s ON s.metric = d.metric"
                    " ORDER BY d.metric, s.labels, s.bucket",
                    0, NULL);
    if (!r)
        return -1;
    out->priv = r;
    int rows = PQntuples(r);
    if (rows == 0)
        return 0;
    out->items = g_malloc0_n((size_t)rows, sizeof *out->items);
    for (int i = 0; i < rows; i++) {
        store_metric_row *m = &out->items[i];
        m->metric = PQgetvalue(r, i, 0);
        m->type = PQgetvalue(r, i, 1);
        m->help = PQgetvalue(r, i, 2);
        m->bounds = PQgetvalue(r, i, 3);
        m->labels = PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4);
        m->bucket = store_get_double(r, i, 5);
        m->n = store_get_double(r, i, 6);
        m->sum = store_get_double(r, i, 7);
    }
    out->n = (size_t)rows;
    return 0;
}

void store_metric_rows_clear(store_metric_rows *rows)
{
    if (!rows)
        return;
    g_free(rows->items);
    PQclear(rows->priv);
    memset(rows, 0, sizeof *rows);
}

int store_metrics_queue_depth(PGconn *c, store_queue_depth *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    PGresult *r = store_query(c, err,
                              "SELECT kind, state, count(*) FROM jobs WHERE state IN ('queued', 'running', 'failed', 'waiting')"
                              " GROUP BY kind, state"
                              " UNION ALL "
                              "SELECT kind, 'dead', count(*) FROM jobs WHERE state = 'dead' GROUP BY kind"
                              /* kinds that ran before and have nothing waiting now read 0 */
                              " UNION ALL "
                              "SELECT DISTINCT substring(labels FROM 'kind=\"([^\"]*)\"'), '', 0 FROM metric_totals"
                              " WHERE metric = 'minca_jobs_total'"
                              " ORDER BY 1, 2",
                              0, NULL);
    if (!r)
        return -1;
    out->priv = r;
    int rows = PQntuples(r);
    if (rows == 0)
        return 0;
    out->items = g_malloc0_n((size_t)rows, sizeof *out->items);
    for (int i = 0; i < rows; i++) {
        out->items[i].kind = PQgetvalue(r, i, 0);
        out->items[i].state = PQgetvalue(r, i, 1);
        out->items[i].count = store_get_double(r, i, 2);
    }
    out->n = (size_t)rows;
    return 0;
}

void store_queue_depth_clear(store_queue_depth *q)
{
    if (!q)
        return;
    g_free(q->items);
    PQclear(q->priv);
    memset(q, 0, sizeof *q);
}

long store_metrics_workers_alive(PGconn *c, minca_err *err)
{
    PGresult *r = store_query(c, err, "SELECT count(*) FROM workers WHERE heartbeat_at > now() - interval '60 seconds'",
                              0, NULL);
    if (!r)
        return -1;
    long n = (long)store_get_ll(r, 0, 0);
    PQclear(r);
    return n;
}

STORE_ROW_READER(store_metric_count, STORE_METRIC_COUNT_COLUMNS)
STORE_ROW_READER(store_metric_quote_time, STORE_METRIC_QUOTE_TIME_COLUMNS)

int store_metrics_cases_past_due(PGconn *c, store_metric_count_list *out, minca_err *err)
{
    return store_metric_count_list_query(c,
                                         "SELECT i.slug AS label, count(k.id) AS n FROM insurers i"
                                         "  LEFT JOIN cases_late k ON k.insurer_id = i.id"
                                         " GROUP BY i.slug ORDER BY i.slug",
                                         NULL, out, err);
}

int store_metrics_time_to_quote(PGconn *c, store_metric_quote_time_list *out, minca_err *err)
{
    /* Received (the request's Date, else its arrival) to the first quote sent, of the cases
     * opened in the last 30 days: the window of the dashboard and of `minca report --since`, so
     * the three give the same figures. Driven from the outbox (the quotes sent), so a scrape
     * reads the cases quoted, never every case. */
    return store_metric_quote_time_list_query(c,
                            "SELECT i.slug AS insurer,"
                            "       percentile_cont(0.5) WITHIN GROUP (ORDER BY q.secs) AS p50,"
                            "       percentile_cont(0.9) WITHIN GROUP (ORDER BY q.secs) AS p90, count(q.secs) AS n"
                            "  FROM insurers i LEFT JOIN ("
                            "    SELECT k.insurer_id,"
                            "           extract(epoch FROM f.first - coalesce(m.sent_at, m.received_at, k.created_at)) AS secs"
                            "      FROM (SELECT o.case_id, min(o.sent_at) AS first FROM outbox o"
                            "             WHERE o.kind = 'quote' AND o.state = 'sent' GROUP BY o.case_id) f"
                            "      JOIN cases k ON k.id = f.case_id LEFT JOIN messages m ON m.id = k.message_id"
                            "     WHERE k.created_at >= now() - interval '30 days') q ON q.insurer_id = i.id"
                            " GROUP BY i.slug ORDER BY i.slug",
                            NULL, out, err);
}

int store_metrics_outbox(PGconn *c, store_metric_count_list *out, minca_err *err)
{
    return store_metric_count_list_query(c,
                            "SELECT s.state AS label, count(o.id) AS n"
                            "  FROM unnest(ARRAY['queued', 'sending', 'sent', 'failing', 'uncertain']) AS s(state)"
                            "  LEFT JOIN outbox o ON o.state = s.state GROUP BY s.state ORDER BY s.state",
                            NULL, out, err);
}
