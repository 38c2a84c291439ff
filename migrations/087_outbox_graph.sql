-- Replies through a Microsoft Graph source: the Graph id of the message a reply answers
-- (createReply is called on it; NULL: a new message, sendMail) and the draft an attempt left
-- in the mailbox (deleted before the next attempt, so a retried step leaves no second draft).
ALTER TABLE outbox ADD COLUMN reply_ref text;
ALTER TABLE outbox ADD COLUMN remote_draft text;
