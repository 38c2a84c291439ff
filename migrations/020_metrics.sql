-- Operational metrics kept in the database, so that any host's /metrics shows the whole team's
-- numbers and a scrape never scans the big tables.
--
-- Statement-level triggers (with transition tables, so a bulk insert adds one row per label set
-- rather than one per row) append what happened to metric_deltas in the same transaction as the
-- change itself: a rolled-back job counts nothing. Appending never waits on another writer (no
-- hot counter row to lock). minca_metrics_rollup(), called by the scrape, folds the deltas into
-- metric_totals under an advisory lock; readers add whatever deltas are still pending.
--
-- Counters and gauges are rows with bucket = 'Infinity'; a histogram has one row per bucket
-- (non-cumulative counts; the scrape accumulates them) and carries the sum of the observations.

CREATE TABLE metric_defs (
    metric        text PRIMARY KEY,
    type          text NOT NULL CHECK (type IN ('counter', 'gauge', 'histogram')),
    help          text NOT NULL,
    bounds        double precision[]          -- histogram bucket upper bounds, ascending
);

CREATE TABLE metric_totals (
    metric        text NOT NULL REFERENCES metric_defs(metric),
    labels        text NOT NULL,              -- rendered: insurer="demo",source="eml"
    bucket        double precision NOT NULL DEFAULT 'Infinity',
    n             bigint NOT NULL DEFAULT 0,
    sum           double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (metric, labels, bucket)
);

CREATE TABLE metric_deltas (
    metric        text NOT NULL,
    labels        text NOT NULL,
    bucket        double precision NOT NULL DEFAULT 'Infinity',
    n             bigint NOT NULL,
    sum           double precision NOT NULL DEFAULT 0
);

INSERT INTO metric_defs (metric, type, help, bounds) VALUES
 ('minca_messages_ingested_total', 'counter', 'Emails stored, by insurer and mail source.', NULL),
 ('minca_cases_opened_total', 'counter', 'Quote cases opened, by insurer.', NULL),
 ('minca_cases', 'gauge', 'Quote cases by insurer and current status.', NULL),
 ('minca_jobs_total', 'counter', 'Pipeline job attempts that ended, by kind and outcome (done, failed, dead, lease_expired).', NULL),
 ('minca_job_duration_seconds', 'histogram', 'Time a pipeline job attempt ran, from claim to its end, by kind.',
  '{0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10,30,60,300}'),
 ('minca_codify_decisions_total', 'counter', 'Vehicle rows codified, by insurer and the codifier''s decision.', NULL),
 ('minca_codify_confidence', 'histogram', 'Confidence of the codifier''s proposal, by insurer.',
  '{0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.95,0.99,1}'),
 ('minca_review_decisions_total', 'counter', 'Reviewer decisions, by insurer and kind (accept, pick, no_match, note, undo).', NULL),
 ('minca_case_time_to_ready_seconds', 'histogram', 'Time from an email''s arrival to its case becoming ready, by insurer.',
  '{60,300,900,1800,3600,7200,14400,28800,86400,172800,604800}'),
 ('minca_exports_total', 'counter', 'Quote files exported, by insurer, format and whether forced.', NULL);

-- One label pair, value escaped as the exposition format wants.
CREATE FUNCTION minca_metric_label(name text, value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT name || '="' || replace(replace(replace(coalesce(value, ''), E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n') || '"'
$$;

-- The smallest bucket bound >= v ('Infinity' past the last one).
CREATE FUNCTION minca_metric_bucket(metric_name text, v double precision) RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT min(b) FROM metric_defs d, unnest(d.bounds) b
                      WHERE d.metric = metric_name AND b >= v), 'Infinity')
$$;

CREATE FUNCTION minca_insurer_label(insurer bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT minca_metric_label('insurer', (SELECT slug FROM insurers WHERE id = insurer))
$$;

CREATE FUNCTION minca_metrics_rollup() RETURNS boolean
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
    RETURN true;
END $$;

-- ---- triggers ------------------------------------------------------------------------------

CREATE FUNCTION minca_metrics_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metric_deltas (metric, labels, n)
    SELECT 'minca_messages_ingested_total',
           minca_insurer_label(insurer_id) || ',' || minca_metric_label('source', source), count(*)
      FROM new_rows GROUP BY insurer_id, source;
    RETURN NULL;
END $$;
CREATE TRIGGER messages_metrics AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minca_metrics_messages();

CREATE FUNCTION minca_metrics_cases_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metric_deltas (metric, labels, n)
    SELECT 'minca_cases_opened_total', minca_insurer_label(insurer_id), count(*)
      FROM new_rows GROUP BY insurer_id
    UNION ALL
    SELECT 'minca_cases', minca_insurer_label(insurer_id) || ',' || minca_metric_label('status', status), count(*)
      FROM new_rows GROUP BY insurer_id, status;
    RETURN NULL;
END $$;
CREATE TRIGGER cases_metrics_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minca_metrics_cases_insert();

CREATE FUNCTION minca_metrics_cases_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metric_deltas (metric, labels, n)
    SELECT 'minca_cases', minca_insurer_label(x.insurer_id) || ',' || minca_metric_label('status', x.status), sum(x.d)
      FROM (SELECT o.insurer_id, o.status, -1 AS d FROM old_rows o JOIN new_rows n USING (id) WHERE o.status <> n.status
            UNION ALL
            SELECT n.insurer_id, n.status, 1 FROM old_rows o JOIN new_rows n USING (id) WHERE o.status <> n.status) x
     GROUP BY x.insurer_id, x.status;
    INSERT INTO metric_deltas (metric, labels, bucket, n, sum)
    SELECT 'minca_case_time_to_ready_seconds', minca_insurer_label(t.insurer_id),
           minca_metric_bucket('minca_case_time_to_ready_seconds', t.secs), count(*), sum(t.secs)
      FROM (SELECT n.insurer_id,
                   greatest(0, extract(epoch FROM clock_timestamp() - coalesce(m.received_at, n.created_at)))::float8 AS secs
              FROM old_rows o JOIN new_rows n USING (id) LEFT JOIN messages m ON m.id = n.message_id
             WHERE n.status = 'ready' AND o.status NOT IN ('ready', 'exported')) t
     GROUP BY 1, 2, 3;
    RETURN NULL;
END $$;
CREATE TRIGGER cases_metrics_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minca_metrics_cases_update();

CREATE FUNCTION minca_metrics_cases_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metric_deltas (metric, labels, n)
    SELECT 'minca_cases', minca_insurer_label(insurer_id) || ',' || minca_metric_label('status', status), -count(*)
      FROM old_rows GROUP BY insurer_id, status;
    RETURN NULL;
END $$;
CREATE TRIGGER cases_metrics_delete AFTER DELETE ON cases
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minca_metrics_cases_delete();

CREATE FUNCTION minca_metrics_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An attempt ends when a running job leaves 'running'; its claim set updated_at.
    WITH ends AS (
        SELECT n.kind, CASE n.state WHEN 'queued' THEN 'lease_expired' ELSE n.state END AS outcome,
               greatest(0, extract(epoch FROM clock_timestamp() - o.updated_at))::float8 AS secs
          FROM old_rows o JOIN new_rows n USING (id)
         WHERE o.state = 'running' AND n.state <> 'running'),
    durations AS (
        INSERT INTO metric_deltas (metric, labels, bucket, n, sum)
        SELECT 'minca_job_duration_seconds', minca_metric_label('kind', kind),
               minca_metric_bucket('minca_job_duration_seconds', secs), count(*), sum(secs)
          FROM ends WHERE outcome <> 'lease_expired' GROUP BY 1, 2, 3)
    INSERT INTO metric_deltas (metric, labels, n)
    SELECT 'minca_jobs_total', minca_metric_label('kind', kind) || ',' || minca_metric_label('outcome', outcome), count(*)
      FROM ends GROUP BY kind, outcome;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_metrics AFTER UPDATE ON jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minca_metrics_jobs();

CREATE FUNCTION minca_metrics_matches() RETURNS trigger LANGUAGE plpgsql AS $$
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
    RETURN NULL;
END $$;
CREATE TRIGGER matches_metrics AFTER INSERT ON matches
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minca_metrics_matches();

CREATE FUNCTION minca_metrics_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metric_deltas (metric, labels, n)
    SELECT 'minca_review_decisions_total',
           minca_insurer_label(insurer_id) || ',' || minca_metric_label('kind', substr(action, 8)), count(*)
      FROM new_rows WHERE action LIKE 'review.%' GROUP BY insurer_id, action;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_log_metrics AFTER INSERT ON audit_log
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minca_metrics_audit();

CREATE FUNCTION minca_metrics_exports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metric_deltas (metric, labels, n)
    SELECT 'minca_exports_total',
           minca_insurer_label(insurer_id) || ',' || minca_metric_label('format', format) || ','
           || minca_metric_label('forced', forced::text), count(*)
      FROM new_rows GROUP BY insurer_id, format, forced;
    RETURN NULL;
END $$;
CREATE TRIGGER exports_metrics AFTER INSERT ON exports
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minca_metrics_exports();

-- Queue depth by kind and state reads jobs through partial indexes (jobs_unfinished covers
-- queued, running and failed); dead jobs get their own.
CREATE INDEX jobs_dead ON jobs (kind) WHERE state = 'dead';

-- ---- what happened before this migration ---------------------------------------------------
-- Counts rebuilt from the tables (job durations and times to ready were not recorded before).

INSERT INTO metric_deltas (metric, labels, n)
SELECT 'minca_messages_ingested_total', minca_insurer_label(insurer_id) || ',' || minca_metric_label('source', source), count(*)
  FROM messages GROUP BY insurer_id, source;
INSERT INTO metric_deltas (metric, labels, n)
SELECT 'minca_cases_opened_total', minca_insurer_label(insurer_id), count(*) FROM cases GROUP BY insurer_id;
INSERT INTO metric_deltas (metric, labels, n)
SELECT 'minca_cases', minca_insurer_label(insurer_id) || ',' || minca_metric_label('status', status), count(*)
  FROM cases GROUP BY insurer_id, status;
INSERT INTO metric_deltas (metric, labels, n)
SELECT 'minca_jobs_total', minca_metric_label('kind', kind) || ',' || minca_metric_label('outcome', state), count(*)
  FROM jobs WHERE state IN ('done', 'failed', 'dead') GROUP BY kind, state;
INSERT INTO metric_deltas (metric, labels, n)
SELECT 'minca_codify_decisions_total', minca_insurer_label(m.insurer_id) || ',' || minca_metric_label('decision', d.decision), count(*)
  FROM matches m
  CROSS JOIN LATERAL (
      SELECT coalesce(CASE WHEN m.reviewed_by IS NULL THEN m.decision END,
                      (SELECT a.details->'before'->>'decision' FROM audit_log a
                        WHERE a.entity = 'vehicle_row' AND a.entity_id = m.vehicle_row_id::text
                          AND a.action IN ('review.accept', 'review.pick', 'review.no_match')
                        ORDER BY a.id LIMIT 1),
                      'needs_review') AS decision) d
 GROUP BY m.insurer_id, d.decision;
INSERT INTO metric_deltas (metric, labels, bucket, n, sum)
SELECT 'minca_codify_confidence', minca_insurer_label(insurer_id),
       minca_metric_bucket('minca_codify_confidence', confidence), count(*), sum(confidence)
  FROM matches WHERE reviewed_by IS NULL AND confidence IS NOT NULL GROUP BY 1, 2, 3;
INSERT INTO metric_deltas (metric, labels, n)
SELECT 'minca_review_decisions_total', minca_insurer_label(insurer_id) || ',' || minca_metric_label('kind', substr(action, 8)), count(*)
  FROM audit_log WHERE action LIKE 'review.%' GROUP BY insurer_id, action;
INSERT INTO metric_deltas (metric, labels, n)
SELECT 'minca_exports_total', minca_insurer_label(insurer_id) || ',' || minca_metric_label('format', format) || ','
       || minca_metric_label('forced', forced::text), count(*)
  FROM exports GROUP BY insurer_id, format, forced;
SELECT minca_metrics_rollup();
