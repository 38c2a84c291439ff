-- A message is the same message only when its Message-ID and its content match: content_sha256
-- hashes the raw bytes without the headers added in transit (so a redelivery through another
-- server still matches), which covers the sender and the body. A Message-ID seen first from
-- another sender no longer turns the real email into a "duplicate" without a case. Messages
-- stored before this have no content hash; they match by Message-ID and sender.
ALTER TABLE messages ADD COLUMN content_sha256 text;
ALTER TABLE messages DROP CONSTRAINT messages_insurer_id_message_id_key;
CREATE UNIQUE INDEX messages_identity ON messages (insurer_id, message_id, content_sha256);
CREATE INDEX messages_message_id ON messages (insurer_id, message_id);
