-- When a case first became ready (every vehicle decided), for the time from email to ready in
-- `minca report`. Set by the database on the first change to 'ready', kept afterwards (a case
-- that goes back to review and is ready again keeps its first time).
ALTER TABLE cases ADD COLUMN ready_at timestamptz;

CREATE FUNCTION minca_case_ready_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('ready', 'exported') AND NEW.ready_at IS NULL THEN
        NEW.ready_at := CASE WHEN TG_OP = 'UPDATE' THEN coalesce(OLD.ready_at, clock_timestamp()) ELSE clock_timestamp() END;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER cases_ready_at BEFORE INSERT OR UPDATE OF status ON cases
    FOR EACH ROW EXECUTE FUNCTION minca_case_ready_at();

-- Before this migration the moment was not kept: the last update of a ready case is the best
-- estimate (a decision after ready would have moved the case back to review).
UPDATE cases SET ready_at = updated_at WHERE status IN ('ready', 'exported') AND ready_at IS NULL;
CREATE INDEX cases_created ON cases (insurer_id, created_at);
-- Jobs finished and created in the last minutes, for the desk's throughput and queue sparklines.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_created ON jobs (created_at);
