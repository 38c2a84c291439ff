/* The business report: cases, vehicles and the codifier's decisions over a period, the
 * codifier's real precision (auto-accepted rows a reviewer later changed), time from email to
 * ready and to the first quote sent (p50, p90), cases past due, reviewers' pace and the brokers whose lists most often need the profile wizard.
 *
 * A row's codifier decision is its match's decision while no reviewer touched it, else the
 * "before" the first review decision on the row recorded in the audit log. */
#include "store_internal.h"
#include "minca/store.h"
#include "minca/store_report.h"

#include <stdio.h>
#include <string.h>

/* Cases of the period with the group they fall in ($3: all | day | week | broker). */
#define REPORT_CASES                                                                                           \
    "WITH p AS (SELECT $1::bigint AS ins, $2::timestamptz AS since, $3::text AS by,"                           \
    "                  coalesce((SELECT settings->>'timezone' FROM insurers WHERE id = $1::bigint),"           \
    "                           'America/Mexico_City') AS tz),"                                                \
    " k AS (SELECT c.id, c.status, c.needs_profile, c.ready_at, c.created_at,"                                 \
    "              coalesce(m.received_at, c.created_at) AS received, b.name AS broker,"                       \
    "              EXISTS (SELECT 1 FROM exports e WHERE e.case_id = c.id) AS exported,"                       \
    "              (SELECT min(o.sent_at) FROM outbox o WHERE o.case_id = c.id AND o.kind = 'quote'"           \
    "                  AND o.state = 'sent') AS quoted_at, minca_case_late(c) AS late,"                        \
    "              coalesce(m.sent_at, m.received_at, c.created_at) AS requested,"                             \
    "              CASE p.by WHEN 'day' THEN to_char(c.created_at AT TIME ZONE p.tz, 'YYYY-MM-DD')"             \
    "                        WHEN 'week' THEN to_char(c.created_at AT TIME ZONE p.tz, 'IYYY-\"W\"IW')"         \
    "                        WHEN 'broker' THEN coalesce(b.name, '(no broker)')"                               \
    "                        ELSE 'all' END AS grp"                                                           \
    "         FROM p JOIN cases c ON c.insurer_id = p.ins AND (p.since IS NULL OR c.created_at >= p.since)"    \
    "         LEFT JOIN messages m ON m.id = c.message_id LEFT JOIN brokers b ON b.id = c.broker_id)"

/* Time to quote over the cases k: the request's date to the first quote sent, p50 and p90 of
 * the cases quoted; the cases quoted and those past due now. */
#define REPORT_QUOTE_CLOCK                                                                                     \
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM quoted_at - requested))"                    \
    "  FILTER (WHERE quoted_at IS NOT NULL) AS p50_seconds_to_quote,"                                           \
    "percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM quoted_at - requested))"                    \
    "  FILTER (WHERE quoted_at IS NOT NULL) AS p90_seconds_to_quote,"                                           \
    "count(*) FILTER (WHERE quoted_at IS NOT NULL) AS cases_quoted,"                                            \
    "count(*) FILTER (WHERE late) AS cases_past_due"

json_t *store_report_quote_clock(PGconn *c, long long insurer_id, const char *since, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, since);
    store_param_text(&p, "all");
    return store_query_json_p(c, err,
                              REPORT_CASES
                              " SELECT round(p50_seconds_to_quote::numeric, 1)::float8 AS p50_seconds_to_quote,"
                              "        round(p90_seconds_to_quote::numeric, 1)::float8 AS p90_seconds_to_quote,"
                              "        cases_quoted, cases_past_due"
                              "   FROM (SELECT " REPORT_QUOTE_CLOCK " FROM k) q",
                              &p);
}

json_t *store_report_groups(PGconn *c, long long insurer_id, const char *since, const char *by, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, since);
    store_param_text(&p, by ? by : "all");
    return store_query_json_p(
        c, err,
        REPORT_CASES ","
        " v AS (SELECT k.grp, x.decision, x.reviewed_by, x.cvegs, x.year, f.before,"
        "              coalesce(CASE WHEN x.reviewed_by IS NULL THEN x.decision END, f.before->>'decision',"
        "                       x.decision) AS codifier"
        "         FROM k JOIN vehicle_rows r ON r.case_id = k.id"
        "         LEFT JOIN matches x ON x.vehicle_row_id = r.id"
        "         LEFT JOIN LATERAL (SELECT a.details->'before' AS before FROM audit_log a"
        "                             WHERE a.entity = 'vehicle_row' AND a.entity_id = r.id::text"
        "                               AND a.action IN ('review.accept', 'review.pick', 'review.no_match')"
        "                             ORDER BY a.id LIMIT 1) f ON x.reviewed_by IS NOT NULL),"
        " rs AS (SELECT grp, count(*) AS vehicles,"
        "               count(*) FILTER (WHERE codifier = 'auto_accept') AS auto_accepted,"
        "               count(*) FILTER (WHERE codifier = 'needs_review') AS sent_to_review,"
        "               count(*) FILTER (WHERE codifier = 'no_match') AS no_match,"
        "               count(*) FILTER (WHERE codifier = 'auto_accept' AND reviewed_by IS NOT NULL"
        "                                  AND (decision = 'rejected' OR cvegs IS DISTINCT FROM before->>'cvegs'"
        "                                       OR year IS DISTINCT FROM (before->>'year')::int))"
        "                 AS auto_accepted_changed"
        "          FROM v GROUP BY grp),"
        " cs AS (SELECT grp, count(*) AS cases_opened,"
        "               count(*) FILTER (WHERE status IN ('ready', 'exported')) AS cases_ready,"
        "               count(*) FILTER (WHERE exported) AS cases_exported,"
        "               count(*) FILTER (WHERE needs_profile) AS cases_needing_profile,"
        "               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ready_at - received))"
        "                 FILTER (WHERE ready_at IS NOT NULL) AS median_seconds_to_ready,"
        "               " REPORT_QUOTE_CLOCK
        "          FROM k GROUP BY grp)"
        " SELECT cs.grp AS \"group\", cs.cases_opened, cs.cases_ready, cs.cases_exported, cs.cases_needing_profile,"
        "        coalesce(rs.vehicles, 0) AS vehicles, coalesce(rs.auto_accepted, 0) AS auto_accepted,"
        "        coalesce(rs.sent_to_review, 0) AS sent_to_review, coalesce(rs.no_match, 0) AS no_match,"
        "        coalesce(rs.auto_accepted_changed, 0) AS auto_accepted_changed,"
        "        round(rs.auto_accepted::numeric / nullif(rs.vehicles, 0), 4)::float8 AS auto_accept_rate,"
        "        round(rs.sent_to_review::numeric / nullif(rs.vehicles, 0), 4)::float8 AS review_rate,"
        "        round(rs.no_match::numeric / nullif(rs.vehicles, 0), 4)::float8 AS no_match_rate,"
        "        round(rs.auto_accepted_changed::numeric / nullif(rs.auto_accepted, 0), 4)::float8"
        "          AS auto_accepted_changed_rate,"
        "        round(cs.median_seconds_to_ready::numeric, 1)::float8 AS median_seconds_to_ready,"
        "        round(cs.p50_seconds_to_quote::numeric, 1)::float8 AS p50_seconds_to_quote,"
        "        round(cs.p90_seconds_to_quote::numeric, 1)::float8 AS p90_seconds_to_quote,"
        "        cs.cases_quoted, cs.cases_past_due"
        "   FROM cs LEFT JOIN rs USING (grp) ORDER BY 1",
        &p);
}

STORE_ROW_READER(store_report_reviewer, STORE_REPORT_REVIEWER_COLUMNS)
STORE_ROW_READER(store_report_wizard_broker, STORE_REPORT_WIZARD_BROKER_COLUMNS)

int store_report_reviewers(PGconn *c, long long insurer_id, const char *since, store_report_reviewer_list *out,
                           minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, since);
    /* Active hours: the clock hours in which the person made at least one decision. */
    return store_report_reviewer_list_query(
        c,
        "SELECT actor AS \"user\", count(*) AS decisions, count(DISTINCT entity_id) AS rows_reviewed,"
        "       count(DISTINCT date_trunc('hour', at)) AS active_hours,"
        "       round(count(*)::numeric / count(DISTINCT date_trunc('hour', at)), 1)::float8 AS rows_per_hour"
        "  FROM audit_log WHERE insurer_id = $1::bigint AND ($2::timestamptz IS NULL OR at >= $2::timestamptz)"
        "   AND action IN ('review.accept', 'review.pick', 'review.no_match')"
        " GROUP BY actor ORDER BY rows_reviewed DESC, actor",
        &p, out, err);
}

int store_report_wizard_brokers(PGconn *c, long long insurer_id, const char *since, int limit,
                                store_report_wizard_broker_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, since);
    store_param_text(&p, "broker");
    store_param_ll(&p, limit);
    return store_report_wizard_broker_list_query(
        c,
        REPORT_CASES
        " SELECT grp AS broker, count(*) AS cases, count(*) FILTER (WHERE needs_profile) AS needed_wizard,"
        "        round(count(*) FILTER (WHERE needs_profile)::numeric / count(*), 4)::float8 AS share"
        "   FROM k GROUP BY grp HAVING count(*) FILTER (WHERE needs_profile) > 0"
        "  ORDER BY needed_wizard DESC, share DESC, broker LIMIT $4::int",
        &p, out, err);
}

int store_report_since_check(PGconn *c, const char *since, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, since);
    return store_exec_p(c, err, "SELECT $1::timestamptz", &p);
}
