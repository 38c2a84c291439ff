/* The desk's Dashboard pane: small aggregates over recent data, each through an index
 * (cases by creation time, jobs by finish time, the metric totals), never a full scan. */
#include "store_internal.h"
#include "minca/store_tui.h"

#include <stdio.h>

json_t *store_tui_dashboard_summary(PGconn *c, long long insurer_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    return store_query_json_p(
        c, err,
        "SELECT (SELECT count(*) FROM cases WHERE insurer_id = $1::bigint AND created_at >= date_trunc('day', now())) AS opened_today,"
        "       coalesce((SELECT sum(n) FROM (SELECT labels, n FROM metric_totals WHERE metric = 'minca_cases'"
        "                     UNION ALL SELECT labels, n FROM metric_deltas WHERE metric = 'minca_cases') s"
        "                     WHERE labels = minca_insurer_label($1::bigint) || ',status=\"review\"'), 0) AS in_review,"
        "       coalesce((SELECT sum(n) FROM (SELECT labels, n FROM metric_totals WHERE metric = 'minca_cases'"
        "                     UNION ALL SELECT labels, n FROM metric_deltas WHERE metric = 'minca_cases') s"
        "                     WHERE labels = minca_insurer_label($1::bigint) || ',status=\"ready\"'), 0) AS ready,"
        "       (SELECT count(*) FROM workers WHERE heartbeat_at > now() - interval '60 seconds') AS workers,"
        "       (SELECT count(*) FROM cases_late WHERE insurer_id = $1::bigint) AS past_due",
        &p);
}

json_t *store_tui_dashboard_days(PGconn *c, long long insurer_id, int days, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, days);
    /* The codifier's decisions by day (codify_daily, kept by the matches trigger): accepted on
     * its own, sent to a person, no key found. */
    return store_query_json_p(
        c, err,
        "WITH d AS (SELECT (minca_insurer_today($1::bigint) - g)::date AS day"
        "             FROM generate_series(0, $2::int - 1) g),"
        " r AS (SELECT day, decision, n FROM codify_daily WHERE insurer_id = $1::bigint"
        "         AND day > minca_insurer_today($1::bigint) - $2::int"
        "       UNION ALL SELECT day, decision, n FROM codify_daily_deltas WHERE insurer_id = $1::bigint"
        "         AND day > minca_insurer_today($1::bigint) - $2::int)"
        " SELECT to_char(d.day, 'MM-DD') AS day,"
        "        coalesce(sum(r.n) FILTER (WHERE r.decision = 'auto_accept'), 0)::bigint AS auto,"
        "        coalesce(sum(r.n) FILTER (WHERE r.decision = 'needs_review'), 0)::bigint AS review,"
        "        coalesce(sum(r.n) FILTER (WHERE r.decision = 'no_match'), 0)::bigint AS no_match"
        "   FROM d LEFT JOIN r ON r.day = d.day GROUP BY d.day ORDER BY d.day",
        &p);
}

json_t *store_tui_dashboard_confidence(PGconn *c, long long insurer_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    return store_query_json_p(
        c, err,
        "SELECT b.bound, coalesce(sum(s.n), 0)::bigint AS n"
        "  FROM metric_defs d, unnest(d.bounds || 'Infinity'::float8) b(bound)"
        "  LEFT JOIN (SELECT bucket, n FROM metric_totals WHERE metric = 'minca_codify_confidence'"
        "               AND labels = minca_insurer_label($1::bigint)"
        "             UNION ALL SELECT bucket, n FROM metric_deltas WHERE metric = 'minca_codify_confidence'"
        "               AND labels = minca_insurer_label($1::bigint)) s ON s.bucket = b.bound"
        " WHERE d.metric = 'minca_codify_confidence' AND b.bound < 'Infinity'"
        " GROUP BY b.bound ORDER BY b.bound",
        &p);
}

json_t *store_tui_dashboard_minutes(PGconn *c, int minutes, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, minutes);
    /* Per minute: jobs finished in it, and jobs unfinished at its end, counted back from the
     * unfinished jobs now (each later minute's finished minus created). Jobs are read through
     * the indexes on finished_at and created_at, a minute's worth at a time. */
    return store_query_json_p(
        c, err,
        "WITH s AS (SELECT date_trunc('minute', now()) - make_interval(mins => $1::int - 1) AS start),"
        " m AS (SELECT generate_series(s.start, date_trunc('minute', now()), interval '1 minute') AS t FROM s),"
        " f AS (SELECT date_trunc('minute', finished_at) AS t, count(*) AS n FROM jobs, s"
        "        WHERE finished_at >= s.start GROUP BY 1),"
        " c AS (SELECT date_trunc('minute', created_at) AS t, count(*) AS n FROM jobs, s"
        "        WHERE created_at >= s.start GROUP BY 1),"
        " u AS (SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running', 'failed'))"
        " SELECT coalesce(f.n, 0) AS done,"
        "        greatest(0, u.n + coalesce(sum(coalesce(f.n, 0) - coalesce(c.n, 0))"
        "            OVER (ORDER BY m.t DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS depth"
        "   FROM m CROSS JOIN u LEFT JOIN f ON f.t = m.t LEFT JOIN c ON c.t = m.t"
        "  ORDER BY m.t",
        &p);
}

json_t *store_tui_dashboard_slow_brokers(PGconn *c, long long insurer_id, int limit, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, limit);
    return store_query_json_p(
        c, err,
        "SELECT coalesce(b.name, '(no broker)') AS broker, count(*) AS cases,"
        "       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM"
        "             coalesce(k.ready_at, now()) - coalesce(m.received_at, k.created_at)))::numeric, 1)::float8 AS median_seconds,"
        "       count(*) FILTER (WHERE k.ready_at IS NULL) AS waiting"
        "  FROM cases k LEFT JOIN messages m ON m.id = k.message_id LEFT JOIN brokers b ON b.id = k.broker_id"
        " WHERE k.insurer_id = $1::bigint AND k.created_at > now() - interval '30 days'"
        " GROUP BY 1 ORDER BY median_seconds DESC, broker LIMIT $2::int",
        &p);
}
