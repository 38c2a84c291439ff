-- Configured mail sources (IMAP, Microsoft Graph, Maildir, ...) and what each has handed in.
-- The cursor advances in the same transaction that stores a message, so a crash or restart
-- neither loses nor repeats mail. Credentials never live here.
CREATE TABLE intake_sources (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    name          text NOT NULL,
    kind          text NOT NULL,
    cursor        text,                       -- IMAP "UIDVALIDITY:UID", Graph delta link, ...
    messages      bigint NOT NULL DEFAULT 0,  -- messages stored from this source
    failed        bigint NOT NULL DEFAULT 0,  -- messages it could not hand in (too large, unreadable)
    polls         bigint NOT NULL DEFAULT 0,
    last_poll_at  timestamptz,
    last_ok_at    timestamptz,
    last_error    text,
    failures      integer NOT NULL DEFAULT 0, -- consecutive failed polls (back-off)
    failing_since timestamptz,
    next_poll_at  timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (insurer_id, name)
);

-- One row per message a source handed in, by the source's own id: stored once.
CREATE TABLE intake_seen (
    source_id     bigint NOT NULL REFERENCES intake_sources(id) ON DELETE CASCADE,
    ext_id        text NOT NULL,              -- file name, "UIDVALIDITY:UID", Graph message id
    raw_sha256    text REFERENCES blobs(sha256),
    job_id        bigint,
    error         text,
    seen_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, ext_id)
);

ALTER TABLE messages ADD COLUMN source_name text;   -- the configured source, or NULL (batch)
