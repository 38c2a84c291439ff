-- The author of the email a colleague forwarded ("RV:", "Fwd:", an attached email): the broker
-- is recognised by this address's domain when the sender's own domain names no broker.
ALTER TABLE messages ADD COLUMN forwarded_from text;
