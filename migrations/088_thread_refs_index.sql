-- A message that arrives after an answer to it (files read out of order) finds that answer by
-- the ids the answer names: thread_refs searched by containment.
CREATE INDEX messages_thread_refs ON messages USING gin (thread_refs);
