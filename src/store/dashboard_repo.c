/* The desk's Dashboard pane: small aggregates over recent data, each through an index
 * (cases by creation time, jobs by finish time, the metric totals), never a full scan. */
#include "minca/store_tui.h"

#include <stdio.h>

json_t *store_tui_dashboard_summary(PGconn *c, long long insurer_id, minca_err *err)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins};
    return store_query_json(
        c, err,
        "SELECT (SELECT count(*) FROM cases WHERE insurer_id = $1::bigint AND created_at >= date_trunc('day', now())) AS opened_today,"
        "       coalesce((SELECT sum(n) FROM (SELECT labels, n FROM metric_totals WHERE metric = 'minca_cases'"
        "                     UNION ALL SELECT labels, n FROM metric_deltas WHERE metric = 'minca_cases') s"
        "                     WHERE labels = minca_insurer_label($1::bigint) || ',status=\"review\"'), 0) AS in_review,"
        "       coalesce((SELECT sum(n) FROM (SELECT labels, n FROM metric_totals WHERE metric = 'minca_cases'"
        "                     UNION ALL SELECT labels, n FROM metric_deltas WHERE metric = 'minca_cases') s"
        "                     WHERE labels = minca_insurer_label($1::bigint) || ',status=\"ready\"'), 0) AS ready,"
        "       (SELECT count(*) FROM workers WHERE heartbeat_at > now() - interval '60 seconds') AS workers",
        1, p);
}

json_t *store_tui_dashboard_days(PGconn *c, long long insurer_id, int days, minca_err *err)
{
    char ins[32], nd[16];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(nd, sizeof nd, "%d", days);
    const char *p[] = {ins, nd};
    /* Rows by the day their case was opened: decided by the codifier, needing a person,
     * or without a key. */
    return store_query_json(
        c, err,
        "WITH d AS (SELECT generate_series(date_trunc('day', now()) - make_interval(days => $2::int - 1),"
        "                                  date_trunc('day', now()), interval '1 day') AS day),"
        " r AS (SELECT date_trunc('day', k.created_at) AS day, x.decision, x.reviewed_by"
        "         FROM cases k JOIN vehicle_rows v ON v.case_id = k.id LEFT JOIN matches x ON x.vehicle_row_id = v.id"
        "        WHERE k.insurer_id = $1::bigint AND k.created_at >= date_trunc('day', now()) - make_interval(days => $2::int - 1))"
        " SELECT to_char(d.day, 'MM-DD') AS day,"
        "        count(r.day) FILTER (WHERE r.decision = 'auto_accept'"
        "                             OR (r.decision = 'accepted' AND r.reviewed_by IS NULL)) AS auto,"
        "        count(r.day) FILTER (WHERE r.decision IN ('needs_review', 'accepted', 'picked')"
        "                             AND NOT (r.decision = 'accepted' AND r.reviewed_by IS NULL)) AS review,"
        "        count(r.day) FILTER (WHERE r.decision IN ('no_match', 'rejected') OR r.decision IS NULL) AS no_match"
        "   FROM d LEFT JOIN r ON r.day = d.day GROUP BY d.day ORDER BY d.day",
        2, p);
}

json_t *store_tui_dashboard_confidence(PGconn *c, long long insurer_id, minca_err *err)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins};
    return store_query_json(
        c, err,
        "SELECT b.bound, coalesce(sum(s.n), 0)::bigint AS n"
        "  FROM metric_defs d, unnest(d.bounds || 'Infinity'::float8) b(bound)"
        "  LEFT JOIN (SELECT bucket, n FROM metric_totals WHERE metric = 'minca_codify_confidence'"
        "               AND labels = minca_insurer_label($1::bigint)"
        "             UNION ALL SELECT bucket, n FROM metric_deltas WHERE metric = 'minca_codify_confidence'"
        "               AND labels = minca_insurer_label($1::bigint)) s ON s.bucket = b.bound"
        " WHERE d.metric = 'minca_codify_confidence' AND b.bound < 'Infinity'"
        " GROUP BY b.bound ORDER BY b.bound",
        1, p);
}

json_t *store_tui_dashboard_minutes(PGconn *c, int minutes, minca_err *err)
{
    char nm[16];
    snprintf(nm, sizeof nm, "%d", minutes);
    const char *p[] = {nm};
    /* Per minute: jobs finished in it, and jobs waiting or running at its end. */
    return store_query_json(
        c, err,
        "WITH j AS (SELECT created_at, finished_at FROM jobs"
        "            WHERE finished_at > date_trunc('minute', now()) - make_interval(mins => $1::int)"
        "           UNION ALL SELECT created_at, NULL FROM jobs WHERE state IN ('queued', 'running', 'failed')),"
        " m AS (SELECT generate_series(date_trunc('minute', now()) - make_interval(mins => $1::int - 1),"
        "                              date_trunc('minute', now()), interval '1 minute') AS t)"
        " SELECT (SELECT count(*) FROM j WHERE j.finished_at >= m.t AND j.finished_at < m.t + interval '1 minute') AS done,"
        "        (SELECT count(*) FROM j WHERE j.created_at < least(m.t + interval '1 minute', now())"
        "            AND (j.finished_at IS NULL OR j.finished_at >= least(m.t + interval '1 minute', now()))) AS depth"
        "   FROM m ORDER BY m.t",
        1, p);
}

json_t *store_tui_dashboard_slow_brokers(PGconn *c, long long insurer_id, int limit, minca_err *err)
{
    char ins[32], lim[16];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {ins, lim};
    return store_query_json(
        c, err,
        "SELECT coalesce(b.name, '(no broker)') AS broker, count(*) AS cases,"
        "       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM"
        "             coalesce(k.ready_at, now()) - coalesce(m.received_at, k.created_at)))::numeric, 1)::float8 AS median_seconds,"
        "       count(*) FILTER (WHERE k.ready_at IS NULL) AS waiting"
        "  FROM cases k LEFT JOIN messages m ON m.id = k.message_id LEFT JOIN brokers b ON b.id = k.broker_id"
        " WHERE k.insurer_id = $1::bigint AND k.created_at > now() - interval '30 days'"
        " GROUP BY 1 ORDER BY median_seconds DESC, broker LIMIT $2::int",
        2, p);
}
