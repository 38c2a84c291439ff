-- Minca core schema: tenants, catalogs, brokers and profiles, messages and blobs, cases,
-- vehicle rows and matches, corrections, exports, jobs, audit log.
-- Every tenant-owned row carries insurer_id.

CREATE TABLE insurers (
    id            bigserial PRIMARY KEY,
    slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]*$'),
    name          text NOT NULL,
    cot_prefix    text NOT NULL DEFAULT 'COT',
    -- codifier decision thresholds and other per-insurer settings
    settings      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Catalogs: every import is a new version; one active version per insurer.
CREATE TABLE catalog_versions (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    label         text NOT NULL,
    source_name   text,
    source_sha256 text,
    row_count     integer NOT NULL DEFAULT 0,
    active        boolean NOT NULL DEFAULT false,
    imported_by   text,
    imported_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX catalog_versions_one_active ON catalog_versions (insurer_id) WHERE active;

CREATE TABLE catalog_entries (
    catalog_version_id bigint NOT NULL REFERENCES catalog_versions(id) ON DELETE CASCADE,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    line_no       integer NOT NULL,
    marca         text NOT NULL,
    submarca      text NOT NULL,
    numver        integer,
    ramo          integer,
    cvemarc       integer,
    cvesubm       integer,
    martip        text,
    cvesegm       text,
    modelo        integer NOT NULL,
    cvegs         text NOT NULL,
    descveh       text NOT NULL,
    idperiod      text,
    sumabas       numeric,
    tipveh        text,
    transmision   text,
    PRIMARY KEY (catalog_version_id, line_no)
);
CREATE INDEX catalog_entries_key ON catalog_entries (catalog_version_id, cvegs, modelo);

CREATE TABLE brokers (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    name          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (insurer_id, name)
);

CREATE TABLE broker_domains (
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    domain        text NOT NULL CHECK (domain = lower(domain)),
    broker_id     bigint NOT NULL REFERENCES brokers(id) ON DELETE CASCADE,
    PRIMARY KEY (insurer_id, domain)
);

CREATE TABLE broker_profiles (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    broker_id     bigint REFERENCES brokers(id),
    name          text NOT NULL,
    version       integer NOT NULL,
    yaml          text NOT NULL,
    author        text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (insurer_id, name, version)
);
CREATE UNIQUE INDEX broker_profiles_one_active ON broker_profiles (insurer_id, name) WHERE active;

-- Content-addressed bytes (attachments, raw messages, exports), deduplicated by SHA-256.
CREATE TABLE blobs (
    sha256        text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size          bigint NOT NULL,
    data          bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE messages (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    source        text NOT NULL,              -- eml | maildir | imap | graph | manual
    source_ref    text,                       -- file path, IMAP UID, Graph id
    message_id    text NOT NULL,
    message_id_synthetic boolean NOT NULL DEFAULT false,
    in_reply_to   text,
    from_addr     text,
    from_name     text,
    sender_domain text,
    to_addrs      text,
    subject       text,
    sent_at       timestamptz,
    received_at   timestamptz NOT NULL DEFAULT now(),
    headers       jsonb NOT NULL DEFAULT '{}'::jsonb,
    body_text     text,
    body_html     text,
    raw_sha256    text REFERENCES blobs(sha256),
    broker_id     bigint REFERENCES brokers(id),
    status        text NOT NULL DEFAULT 'received'
                  CHECK (status IN ('received', 'processed', 'ignored', 'error')),
    error         text,
    problems      jsonb NOT NULL DEFAULT '[]'::jsonb,
    UNIQUE (insurer_id, message_id)
);
CREATE INDEX messages_received ON messages (insurer_id, received_at DESC);

CREATE TABLE attachments (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    message_id    bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    ordinal       integer NOT NULL,
    filename      text,
    content_type  text,
    container     text,
    role          text,
    sha256        text NOT NULL REFERENCES blobs(sha256),
    size          bigint NOT NULL,
    status        text NOT NULL DEFAULT 'stored'
                  CHECK (status IN ('stored', 'extracted', 'skipped', 'error')),
    error         text,
    extraction    jsonb,                      -- sheet, header row, rows read, problems
    UNIQUE (message_id, ordinal)
);

-- COT numbers: one counter per insurer and year, taken under a row lock, never reused.
CREATE TABLE cot_counters (
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    year          integer NOT NULL,
    last_value    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (insurer_id, year)
);

CREATE TABLE cases (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    cot           text NOT NULL,
    message_id    bigint REFERENCES messages(id),
    broker_id     bigint REFERENCES brokers(id),
    status        text NOT NULL DEFAULT 'new'
                  CHECK (status IN ('new', 'extracting', 'codifying', 'review', 'ready',
                                    'exported', 'error')),
    status_reason text,
    client_name   text,
    rfc           text,
    contact       jsonb,
    coverage      text,
    payment_terms text,
    uso           text,
    validity_start date,
    validity_end  date,
    preanalysis_status text NOT NULL DEFAULT 'pending'
                  CHECK (preanalysis_status IN ('pending', 'complete', 'incomplete')),
    missing_requirements jsonb NOT NULL DEFAULT '[]'::jsonb,
    needs_profile boolean NOT NULL DEFAULT false,
    profile_id    bigint REFERENCES broker_profiles(id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (insurer_id, cot)
);
CREATE UNIQUE INDEX cases_one_per_message ON cases (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX cases_status ON cases (insurer_id, status, created_at DESC);

CREATE TABLE vehicle_rows (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    case_id       bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    attachment_id bigint REFERENCES attachments(id),
    source_sheet  text,
    source_row    integer NOT NULL,
    inciso        integer,
    raw_cells     jsonb NOT NULL DEFAULT '{}'::jsonb,
    marca         text,
    submarca      text,
    year          integer,
    description   text,
    vin           text,
    engine_number text,
    plates        text,
    use           text,
    service       text,
    coverage      text,
    insured_amount numeric(14,2),
    sum_basis     text CHECK (sum_basis IN ('comercial', 'factura', 'convenido')),
    issues        jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- A row of a source is stored once, whatever retries happen.
CREATE UNIQUE INDEX vehicle_rows_source ON vehicle_rows
    (case_id, coalesce(attachment_id, 0), coalesce(source_sheet, ''), source_row);

CREATE TABLE matches (
    vehicle_row_id bigint PRIMARY KEY REFERENCES vehicle_rows(id) ON DELETE CASCADE,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    catalog_version_id bigint REFERENCES catalog_versions(id),
    cvegs         text,
    year          integer,
    confidence    double precision CHECK (confidence BETWEEN 0 AND 1),
    decision      text NOT NULL CHECK (decision IN ('auto_accept', 'needs_review', 'no_match',
                                                    'accepted', 'picked', 'rejected')),
    candidates    jsonb NOT NULL DEFAULT '[]'::jsonb,
    note          text,
    reviewed_by   text,
    reviewed_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Reviewer corrections: the codifier resolves the same normalised description to this key.
CREATE TABLE corrections (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    broker_id     bigint REFERENCES brokers(id),
    norm_key      text NOT NULL,
    cvegs         text,                        -- NULL: "no match" decided by a reviewer
    year          integer,
    source_vehicle_row_id bigint REFERENCES vehicle_rows(id) ON DELETE SET NULL,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_by    text,
    revoked_at    timestamptz
);
CREATE INDEX corrections_lookup ON corrections (insurer_id, norm_key) WHERE revoked_at IS NULL;

CREATE TABLE exports (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    case_id       bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    version       integer NOT NULL,
    template_name text NOT NULL,
    template_version text NOT NULL,
    sha256        text NOT NULL REFERENCES blobs(sha256),
    path          text,
    forced        boolean NOT NULL DEFAULT false,
    exported_by   text NOT NULL,
    exported_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, version)
);

-- Jobs: PostgreSQL is the truth; Redis only dispatches their ids.
CREATE TABLE jobs (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint REFERENCES insurers(id),
    kind          text NOT NULL,
    payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
    idempotency_key text,
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed', 'dead')),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 5,
    run_at        timestamptz NOT NULL DEFAULT now(),
    lease_until   timestamptz,
    worker        text,
    last_error    text,
    batch_id      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (kind, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_runnable ON jobs (run_at) WHERE state IN ('queued', 'failed');
CREATE INDEX jobs_batch ON jobs (batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE workers (
    name          text PRIMARY KEY,
    host          text NOT NULL,
    pid           integer NOT NULL,
    threads       integer NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint REFERENCES insurers(id),
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text NOT NULL,
    action        text NOT NULL,
    entity        text NOT NULL,
    entity_id     text,
    details       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
