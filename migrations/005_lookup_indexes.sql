-- Indexes for lookups that otherwise scan whole tables as data grows: re-running a case
-- (corrections pointing at its deleted rows), cases by broker, the desks' change checks,
-- and a reviewer's latest decisions (undo).
CREATE INDEX corrections_source_row ON corrections (source_vehicle_row_id) WHERE source_vehicle_row_id IS NOT NULL;
CREATE INDEX cases_broker ON cases (broker_id) WHERE broker_id IS NOT NULL;
CREATE INDEX cases_updated ON cases (insurer_id, updated_at);
CREATE INDEX audit_log_review ON audit_log (insurer_id, actor, id) WHERE action LIKE 'review.%';
