-- The codifier's decisions per insurer and day (in the insurer's time zone), for the desk's
-- Dashboard: kept like the metrics (appended by the matches trigger, folded by
-- minca_metrics_rollup()), so the chart reads a few rows per day instead of every vehicle row.
CREATE TABLE codify_daily (
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    day           date NOT NULL,
    decision      text NOT NULL,
    n             bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (insurer_id, day, decision)
);
CREATE TABLE codify_daily_deltas (
    insurer_id    bigint NOT NULL,
    day           date NOT NULL,
    decision      text NOT NULL,
    n             bigint NOT NULL
);

CREATE FUNCTION minca_insurer_today(insurer bigint) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE coalesce((SELECT settings->>'timezone' FROM insurers WHERE id = insurer),
                                        'America/Mexico_City'))::date
$$;

CREATE OR REPLACE FUNCTION minca_metrics_matches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The codifier's own decisions: rows a reviewer inserted directly carry reviewed_by.
    INSERT INTO metric_deltas (metric, labels, n)
    SELECT 'minca_codify_decisions_total',
           minca_insurer_label(insurer_id) || ',' || minca_metric_label('decision', decision), count(*)
      FROM new_rows WHERE reviewed_by IS NULL GROUP BY insurer_id, decision;
    INSERT INTO metric_deltas (metric, labels, bucket, n, sum)
    SELECT 'minca_codify_confidence', minca_insurer_label(insurer_id),
           minca_metric_bucket('minca_codify_confidence', confidence), count(*), sum(confidence)
      FROM new_rows WHERE reviewed_by IS NULL AND confidence IS NOT NULL GROUP BY 1, 2, 3;
    INSERT INTO codify_daily_deltas (insurer_id, day, decision, n)
    SELECT insurer_id, minca_insurer_today(insurer_id), decision, count(*)
      FROM new_rows WHERE reviewed_by IS NULL GROUP BY insurer_id, decision;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION minca_metrics_rollup() RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('minca_metrics_rollup')) THEN
        RETURN false;
    END IF;
    WITH d AS (DELETE FROM metric_deltas RETURNING *)
    INSERT INTO metric_totals (metric, labels, bucket, n, sum)
    SELECT metric, labels, bucket, sum(n), sum(sum) FROM d GROUP BY 1, 2, 3
    ON CONFLICT (metric, labels, bucket)
    DO UPDATE SET n = metric_totals.n + excluded.n, sum = metric_totals.sum + excluded.sum;
    WITH d AS (DELETE FROM codify_daily_deltas RETURNING *)
    INSERT INTO codify_daily (insurer_id, day, decision, n)
    SELECT insurer_id, day, decision, sum(n) FROM d GROUP BY 1, 2, 3
    ON CONFLICT (insurer_id, day, decision) DO UPDATE SET n = codify_daily.n + excluded.n;
    RETURN true;
END $$;

-- What the codifier decided before: by the day its vehicle row was stored, the decision of a
-- reviewed row taken from the first review's "before".
INSERT INTO codify_daily_deltas (insurer_id, day, decision, n)
SELECT m.insurer_id,
       (v.created_at AT TIME ZONE coalesce(i.settings->>'timezone', 'America/Mexico_City'))::date, d.decision, count(*)
  FROM matches m JOIN vehicle_rows v ON v.id = m.vehicle_row_id JOIN insurers i ON i.id = m.insurer_id
  CROSS JOIN LATERAL (
      SELECT coalesce(CASE WHEN m.reviewed_by IS NULL THEN m.decision END,
                      (SELECT a.details->'before'->>'decision' FROM audit_log a
                        WHERE a.entity = 'vehicle_row' AND a.entity_id = m.vehicle_row_id::text
                          AND a.action IN ('review.accept', 'review.pick', 'review.no_match')
                        ORDER BY a.id LIMIT 1),
                      'needs_review') AS decision) d
 GROUP BY 1, 2, 3;
SELECT minca_metrics_rollup();
