-- A case is a conversation: every message that belongs to it (the one that opened it and the
-- replies that joined it) names it, and says how it joined (in_reply_to, references, cot).
-- thread_refs keeps the ids a message answers (In-Reply-To, then References newest first).
ALTER TABLE messages ADD COLUMN case_id bigint REFERENCES cases(id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN joined_by text;
ALTER TABLE messages ADD COLUMN thread_refs text[] NOT NULL DEFAULT '{}';
UPDATE messages m SET case_id = k.id FROM cases k WHERE k.message_id = m.id;
CREATE INDEX messages_case ON messages (case_id, id) WHERE case_id IS NOT NULL;
