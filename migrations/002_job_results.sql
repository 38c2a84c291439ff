-- What a finished job reports (outcome, ids it created): read by batch summaries and status.
ALTER TABLE jobs ADD COLUMN result jsonb;
