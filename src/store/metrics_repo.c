/* Operational metrics: the series kept by the triggers of migrations/020_metrics.sql, the
 * queue depth and the live workers. Every query here reads small tables or partial indexes,
 * so a scrape costs the same with a million vehicle rows as with ten. */
#include "minca/store.h"

#include <stdlib.h>

PGresult *store_metrics_series(PGconn *c, minca_err *err)
{
    /* The rollup is an optimisation: a scrape that cannot take its lock, or cannot write,
     * still reads the right numbers (totals plus the deltas not folded yet). */
    PGresult *r = PQexec(c, "SELECT minca_metrics_rollup()");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        log_debug("metrics rollup skipped: %s", PQerrorMessage(c));
    PQclear(r);
    return store_query(c, err,
                       "SELECT d.metric, d.type, d.help, d.bounds::text, s.labels, s.bucket, s.n, s.sum"
                       "  FROM metric_defs d"
                       "  LEFT JOIN (SELECT metric, labels, bucket, sum(n)::bigint AS n, sum(sum) AS sum"
                       "               FROM (SELECT metric, labels, bucket, n, sum FROM metric_totals"
                       "                     UNION ALL"
                       "                     SELECT metric, labels, bucket, n, sum FROM metric_deltas) u"
                       "              GROUP BY metric, labels, bucket) s ON s.metric = d.metric"
                       " ORDER BY d.metric, s.labels, s.bucket",
                       0, NULL);
}

PGresult *store_metrics_queue_depth(PGconn *c, minca_err *err)
{
    return store_query(c, err,
                       "SELECT kind, state, count(*) FROM jobs WHERE state IN ('queued', 'running', 'failed')"
                       " GROUP BY kind, state"
                       " UNION ALL "
                       "SELECT kind, 'dead', count(*) FROM jobs WHERE state = 'dead' GROUP BY kind"
                       /* kinds that ran before and have nothing waiting now read 0 */
                       " UNION ALL "
                       "SELECT DISTINCT substring(labels FROM 'kind=\"([^\"]*)\"'), '', 0 FROM metric_totals"
                       " WHERE metric = 'minca_jobs_total'"
                       " ORDER BY 1, 2",
                       0, NULL);
}

long store_metrics_workers_alive(PGconn *c, minca_err *err)
{
    PGresult *r = store_query(c, err, "SELECT count(*) FROM workers WHERE heartbeat_at > now() - interval '60 seconds'",
                              0, NULL);
    if (!r)
        return -1;
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}
