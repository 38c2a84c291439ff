-- A reply with a new vehicle list is revision N+1 of the case's list. The case's vehicle rows
-- are always its current revision, read from list_message_id (NULL: the message that opened
-- the case); each revision keeps the message it came from, the difference from the one before
-- (units added, removed, changed field by field, kept) and the units it replaced with their
-- decisions.
ALTER TABLE cases ADD COLUMN revision integer NOT NULL DEFAULT 1;
ALTER TABLE cases ADD COLUMN list_message_id bigint REFERENCES messages(id);
CREATE TABLE case_revisions (
    id             bigserial PRIMARY KEY,
    insurer_id     bigint NOT NULL REFERENCES insurers(id),
    case_id        bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    revision       integer NOT NULL,
    message_id     bigint REFERENCES messages(id),
    diff           jsonb NOT NULL DEFAULT '{}'::jsonb,
    previous_units jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, revision)
);
ALTER TABLE case_revisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON case_revisions TO minca_app USING (minca_insurer_visible(insurer_id));
-- Client fields a later message of the conversation filled: field -> the message's id.
ALTER TABLE cases ADD COLUMN filled_from jsonb NOT NULL DEFAULT '{}'::jsonb;
