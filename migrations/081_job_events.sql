-- Live updates without Redis: a job that leaves the running state (done, failed, dead, waiting)
-- notifies the channel minca_events, so a desk that reaches no Redis (a person of a team desk)
-- checks for changes at once. The notice carries nothing: every listener of the database may
-- receive it, whatever its rows.
CREATE FUNCTION minca_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('minca_events', '');
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_event AFTER UPDATE OF state ON jobs
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.state <> 'running')
    EXECUTE FUNCTION minca_job_event();
