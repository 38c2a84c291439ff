-- What the desk sends to a broker (the request for missing data, the quote): written in the
-- same transaction as the action that asks for it, sent by an 'outbox' job through SMTP and
-- retried with back-off. state: queued -> sending (marked and committed before the server is
-- spoken to) -> sent; failing while the server refuses or is out of reach; uncertain when a
-- send began and its end was never recorded (the process died): never sent again by itself,
-- so a message goes out once at most; a person checks and resends (minca case outbox).
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    insurer_id  bigint NOT NULL REFERENCES insurers(id),
    case_id     bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('missing', 'quote')),
    message_id  text NOT NULL UNIQUE,
    in_reply_to text,
    refs        text,
    from_addr   text NOT NULL,
    to_addr     text NOT NULL,
    subject     text NOT NULL,
    body        text NOT NULL,
    raw_sha256  text REFERENCES blobs(sha256),
    source_name text,
    state       text NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'sending', 'sent', 'failing', 'uncertain')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX outbox_case ON outbox (case_id, id);
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON outbox TO minca_app USING (minca_insurer_visible(insurer_id));
