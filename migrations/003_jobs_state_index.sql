-- Cheap counts of unfinished jobs for status lines and `minca status`.
CREATE INDEX jobs_unfinished ON jobs (state, kind) WHERE state IN ('queued', 'running', 'failed');
