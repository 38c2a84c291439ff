-- Who may do what, for which insurer: users and their roles per insurer, an application role
-- subject to row-level security on every tenant table, and an append-only audit log whose
-- entries are chained by SHA-256.

-- ---- users and roles ----------------------------------------------------------------------
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    login         text NOT NULL UNIQUE CHECK (login ~ '^[A-Za-z0-9._@-]+$'),
    display_name  text NOT NULL DEFAULT '',
    active        boolean NOT NULL DEFAULT true,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- One role per user and insurer; insurer_id NULL means every insurer, present and future.
CREATE TABLE user_roles (
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    insurer_id    bigint REFERENCES insurers(id) ON DELETE CASCADE,
    role          text NOT NULL CHECK (role IN ('viewer', 'reviewer', 'supervisor', 'admin')),
    granted_by    text NOT NULL,
    granted_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX user_roles_one ON user_roles (user_id, coalesce(insurer_id, 0));

-- ---- the audit chain ------------------------------------------------------------------------
-- Each entry carries the hash of the one before it in its chain (one chain per insurer, chain 0
-- for entries of no insurer), so changing or deleting an entry breaks the chain from there on.
ALTER TABLE audit_log ADD COLUMN os_login text;
ALTER TABLE audit_log ADD COLUMN chain bigint;
ALTER TABLE audit_log ADD COLUMN seq bigint;
ALTER TABLE audit_log ADD COLUMN prev_hash text;
ALTER TABLE audit_log ADD COLUMN hash text;
CREATE UNIQUE INDEX audit_log_chain ON audit_log (chain, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, at);

-- The head of each chain: its last sequence number and hash (a deleted last entry shows).
CREATE TABLE audit_chain_heads (
    chain         bigint PRIMARY KEY,
    last_seq      bigint NOT NULL,
    last_hash     text NOT NULL
);

-- The hash of one entry: SHA-256 over the previous hash and every field, in a fixed format.
CREATE FUNCTION minca_audit_hash(prev text, chain bigint, seq bigint, insurer_id bigint, at timestamptz,
                                 actor text, os_login text, action text, entity text, entity_id text,
                                 details jsonb)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(concat_ws(E'\x1f', prev, chain::text, seq::text,
                                              coalesce(insurer_id::text, ''),
                                              to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                                              actor, coalesce(os_login, ''), action, entity,
                                              coalesce(entity_id, ''), details::text), 'UTF8')), 'hex')
$$;

CREATE FUNCTION minca_audit_seal() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
    head audit_chain_heads%ROWTYPE;
BEGIN
    NEW.chain := coalesce(NEW.insurer_id, 0);
    NEW.at := date_trunc('microseconds', coalesce(NEW.at, now()));
    INSERT INTO audit_chain_heads (chain, last_seq, last_hash) VALUES (NEW.chain, 0, repeat('0', 64))
        ON CONFLICT (chain) DO NOTHING;
    -- The head row's lock orders the entries of one chain (held until the entry commits).
    SELECT * INTO head FROM audit_chain_heads WHERE chain = NEW.chain FOR UPDATE;
    NEW.seq := head.last_seq + 1;
    NEW.prev_hash := head.last_hash;
    NEW.hash := minca_audit_hash(NEW.prev_hash, NEW.chain, NEW.seq, NEW.insurer_id, NEW.at, NEW.actor,
                                 NEW.os_login, NEW.action, NEW.entity, NEW.entity_id, NEW.details);
    UPDATE audit_chain_heads SET last_seq = NEW.seq, last_hash = NEW.hash WHERE chain = NEW.chain;
    RETURN NEW;
END $$;

CREATE FUNCTION minca_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: entries are never changed or deleted';
END $$;

-- Entries written before the chain existed are sealed now, in id order.
DO $$
DECLARE
    e record;
    prev text;
    n bigint;
    h text;
BEGIN
    FOR e IN SELECT * FROM audit_log ORDER BY id LOOP
        SELECT last_seq, last_hash INTO n, prev FROM audit_chain_heads WHERE chain = coalesce(e.insurer_id, 0);
        IF NOT FOUND THEN
            n := 0;
            prev := repeat('0', 64);
            INSERT INTO audit_chain_heads VALUES (coalesce(e.insurer_id, 0), 0, prev);
        END IF;
        h := minca_audit_hash(prev, coalesce(e.insurer_id, 0), n + 1, e.insurer_id,
                              date_trunc('microseconds', e.at), e.actor, e.os_login, e.action, e.entity,
                              e.entity_id, e.details);
        UPDATE audit_log SET chain = coalesce(e.insurer_id, 0), seq = n + 1, prev_hash = prev, hash = h,
                             at = date_trunc('microseconds', e.at)
         WHERE id = e.id;
        UPDATE audit_chain_heads SET last_seq = n + 1, last_hash = h WHERE chain = coalesce(e.insurer_id, 0);
    END LOOP;
END $$;

CREATE TRIGGER audit_log_seal BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION minca_audit_seal();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION minca_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION minca_audit_append_only();

-- ---- the application role -------------------------------------------------------------------
-- minca_app owns nothing: it reads and writes rows, and only inserts and reads the audit log.
-- The login that runs migrations owns the schema; the application switches to minca_app (or
-- logs in as a member of it) once the user is known.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'minca_app') THEN
        CREATE ROLE minca_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;   -- another database of the cluster created it a moment ago
END $$;

GRANT USAGE ON SCHEMA public TO minca_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO minca_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO minca_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM minca_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain_heads, schema_migrations FROM minca_app;
-- Tables and sequences of later migrations (run by the same owner) get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO minca_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO minca_app;

-- The janitor ends the database session of a stalled worker; minca_app may not signal the
-- owner's sessions, so this function does it for sessions named after a minca worker only.
CREATE FUNCTION minca_end_worker_session(p_pid integer, p_worker text) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(bool_or(pg_terminate_backend(a.pid)), false) FROM pg_stat_activity a
     WHERE a.pid = p_pid AND a.pid <> pg_backend_pid() AND a.datname = current_database()
       AND a.application_name = left(p_worker, 63) AND p_worker <> ''
$$;
REVOKE ALL ON FUNCTION minca_end_worker_session(integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION minca_end_worker_session(integer, text) TO minca_app;

-- ---- row-level security ---------------------------------------------------------------------
-- The session setting minca.insurer_ids holds the insurers the logged-in user holds a role on
-- ("1,4"), or "*" for a user with a role on every insurer; set after the login check.
CREATE FUNCTION minca_insurer_visible(p_insurer bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT CASE coalesce(current_setting('minca.insurer_ids', true), '')
           WHEN '*' THEN true
           WHEN '' THEN false
           ELSE p_insurer = ANY (string_to_array(current_setting('minca.insurer_ids', true), ',')::bigint[]) END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['catalog_versions', 'catalog_entries', 'brokers', 'broker_domains',
                             'broker_profiles', 'messages', 'attachments', 'cot_counters', 'cases',
                             'vehicle_rows', 'matches', 'corrections', 'exports'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I TO minca_app USING (minca_insurer_visible(insurer_id))', t);
    END LOOP;
END $$;
-- Rows of no insurer (jobs of the whole desk, audit entries about users of every insurer) are
-- visible to users of every insurer only.
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON jobs TO minca_app
    USING (minca_insurer_visible(insurer_id) OR (insurer_id IS NULL AND current_setting('minca.insurer_ids', true) <> ''));
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON audit_log FOR SELECT TO minca_app
    USING (minca_insurer_visible(insurer_id) OR (insurer_id IS NULL AND current_setting('minca.insurer_ids', true) = '*'));
CREATE POLICY tenant_append ON audit_log FOR INSERT TO minca_app
    WITH CHECK (insurer_id IS NULL OR minca_insurer_visible(insurer_id));
