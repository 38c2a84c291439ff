-- A job can wait for a condition its kind needs and that is missing (the insurer's catalog for
-- codify): parked as 'waiting' with the condition in wait_for, it is not claimable and uses no
-- attempt until whatever meets the condition (a catalog import) wakes it.
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('queued', 'running', 'done', 'failed', 'dead', 'waiting'));
ALTER TABLE jobs ADD COLUMN wait_for text;
CREATE INDEX jobs_waiting ON jobs (wait_for) WHERE state = 'waiting';
