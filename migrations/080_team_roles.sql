-- A desk for a team: each person is a database role of their login's name, a member of the
-- group role minca_staff, admitted by peer authentication on the service's socket. What a
-- person's session sees and writes follows the roles that session_user holds in users and
-- user_roles (written by the owner and the functions below only); no setting the client
-- writes widens it. Every table has row-level security (the structure test checks it); sessions
-- of the owner and of minca_app (one person's embedded desk) keep what they had.

-- ---- the desk's own settings (the service marks a team desk here) ----------------------------
CREATE TABLE desk_settings (
    key           text PRIMARY KEY,
    value         text NOT NULL
);

CREATE FUNCTION minca_team_desk() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM desk_settings WHERE key = 'mode' AND value = 'team')
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'minca_staff') THEN
        CREATE ROLE minca_staff NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;   -- another database of the cluster created it a moment ago
END $$;

-- Only the owner creates objects in the schema (a person's function could otherwise shadow one).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- ---- who the session is ------------------------------------------------------------------------
CREATE FUNCTION minca_role_level(p_role text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_role WHEN 'viewer' THEN 1 WHEN 'reviewer' THEN 2 WHEN 'supervisor' THEN 3 WHEN 'admin' THEN 4
                       ELSE 0 END
$$;

-- A person of a team desk: the session's own role is a direct member of minca_staff.
CREATE FUNCTION minca_is_staff() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                     JOIN pg_roles u ON u.oid = m.member
                    WHERE g.rolname = 'minca_staff' AND u.rolname = session_user)
$$;

-- The session's person's highest role that applies to an insurer (NULL: the grants for every
-- insurer only); 0 for none or a disabled user.
CREATE FUNCTION minca_staff_level(p_insurer bigint) RETURNS int LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT coalesce(max(minca_role_level(r.role)), 0)
      FROM users u JOIN user_roles r ON r.user_id = u.id
     WHERE u.login = session_user AND u.active AND (r.insurer_id IS NULL OR r.insurer_id = p_insurer)
$$;

-- Highest role of the session's person on any insurer.
CREATE FUNCTION minca_staff_max_level() RETURNS int LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT coalesce(max(minca_role_level(r.role)), 0)
      FROM users u JOIN user_roles r ON r.user_id = u.id
     WHERE u.login = session_user AND u.active
$$;

-- The insurers on which the session's person holds at least p_level.
CREATE FUNCTION minca_staff_insurers(p_level int) RETURNS SETOF bigint LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT i.id FROM insurers i
     WHERE EXISTS (SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id
                    WHERE u.login = session_user AND u.active
                      AND (r.insurer_id IS NULL OR r.insurer_id = i.id) AND minca_role_level(r.role) >= p_level)
$$;

-- ---- rights of the group role --------------------------------------------------------------------
GRANT USAGE ON SCHEMA public TO minca_staff;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO minca_staff;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO minca_staff;
-- Users, roles, insurer settings and the audit trail change through the functions below only.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON users, user_roles, insurers, audit_log, audit_chain_heads,
    desk_settings, workers, metric_defs, metric_totals FROM minca_staff;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON desk_settings FROM minca_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO minca_staff;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO minca_staff;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'schema_migrations') THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM minca_staff;
    END IF;
END $$;

-- ---- row-level security on every table -----------------------------------------------------------
-- A table of an insurer's rows: read with any role there, written with the role its changes need
-- (the same the commands check); rows of no insurer go with the grants for every insurer.
CREATE TABLE desk_write_roles (
    tablename     text PRIMARY KEY,
    role          text NOT NULL CHECK (minca_role_level(role) > 0)
);
INSERT INTO desk_write_roles VALUES
    ('catalog_versions', 'admin'), ('catalog_entries', 'admin'), ('tariffs', 'admin'), ('intake_sources', 'admin'),
    ('brokers', 'supervisor'), ('broker_domains', 'supervisor'), ('broker_profiles', 'supervisor'),
    ('exports', 'supervisor');
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON desk_write_roles FROM minca_staff, minca_app;

-- Row-level security and the staff group's four policies on one tenant table: read where the
-- person holds any role, write where they hold the role desk_write_roles names (reviewer by
-- default). Kept for later migrations, which call it for the tables they add.
CREATE FUNCTION minca_guard_tenant_table(p_table text) RETURNS void LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
    w int := coalesce((SELECT minca_role_level(role) FROM desk_write_roles WHERE tablename = p_table), 2);
    sees text := 'insurer_id IN (SELECT minca_staff_insurers(%s)) OR (insurer_id IS NULL AND (SELECT minca_staff_level(NULL)) >= %s)';
BEGIN
    IF NOT (SELECT relrowsecurity FROM pg_class WHERE oid = p_table::regclass) THEN
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', p_table);
        -- minca_app had the whole table: it keeps it.
        EXECUTE format('CREATE POLICY app_all ON %I TO minca_app USING (true) WITH CHECK (true)', p_table);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = p_table::regclass
                  AND (SELECT oid FROM pg_roles WHERE rolname = 'minca_staff') = ANY (p.polroles)) THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE POLICY staff_read ON %I FOR SELECT TO minca_staff USING (' || sees || ')', p_table, 1, 1);
    EXECUTE format('CREATE POLICY staff_insert ON %I FOR INSERT TO minca_staff WITH CHECK (' || sees || ')', p_table, w, w);
    EXECUTE format('CREATE POLICY staff_update ON %I FOR UPDATE TO minca_staff USING (' || sees || ') WITH CHECK ('
                   || sees || ')', p_table, w, w, w, w);
    EXECUTE format('CREATE POLICY staff_delete ON %I FOR DELETE TO minca_staff USING (' || sees || ')', p_table, w, w);
END $$;
REVOKE ALL ON FUNCTION minca_guard_tenant_table(text) FROM PUBLIC;

DO $$
DECLARE
    t record;
    special text[] := ARRAY['users', 'user_roles', 'insurers', 'audit_log', 'audit_chain_heads', 'schema_migrations',
                            'desk_settings', 'desk_write_roles', 'blobs', 'intake_seen', 'workers', 'metric_defs',
                            'metric_totals', 'metric_deltas'];
BEGIN
    FOR t IN SELECT c.relname, c.relrowsecurity,
                    EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'insurer_id'
                                                           AND NOT a.attisdropped) AS tenant
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname LOOP
        IF NOT t.relrowsecurity THEN
            EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
            -- minca_app had the whole table: it keeps it.
            EXECUTE format('CREATE POLICY app_all ON %I TO minca_app USING (true) WITH CHECK (true)', t.relname);
        END IF;
        IF t.tenant AND NOT t.relname = ANY (special) THEN
            PERFORM minca_guard_tenant_table(t.relname);
        END IF;
    END LOOP;
END $$;

-- Users and roles: a person reads their own; an admin reads everyone's.
CREATE POLICY staff_read ON users FOR SELECT TO minca_staff
    USING (login = session_user OR (SELECT minca_staff_max_level()) >= 4);
CREATE POLICY staff_read ON user_roles FOR SELECT TO minca_staff
    USING (user_id IN (SELECT id FROM users WHERE login = session_user) OR (SELECT minca_staff_max_level()) >= 4);
CREATE POLICY staff_read ON insurers FOR SELECT TO minca_staff USING (id IN (SELECT minca_staff_insurers(1)));
-- The audit trail: read by a reviewer of the insurer; written by minca_audit_add only.
CREATE POLICY staff_read ON audit_log FOR SELECT TO minca_staff
    USING (insurer_id IN (SELECT minca_staff_insurers(2)) OR (insurer_id IS NULL AND (SELECT minca_staff_level(NULL)) >= 2));
CREATE POLICY staff_read ON audit_chain_heads FOR SELECT TO minca_staff
    USING (chain IN (SELECT minca_staff_insurers(2)) OR (chain = 0 AND (SELECT minca_staff_level(NULL)) >= 2));
CREATE POLICY staff_read ON desk_settings FOR SELECT TO minca_staff USING (true);
CREATE POLICY staff_read ON desk_write_roles FOR SELECT TO minca_staff USING (true);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'schema_migrations') THEN
        CREATE POLICY staff_read ON schema_migrations FOR SELECT TO minca_staff USING (true);
    END IF;
END $$;
-- Bytes: read where a visible message, attachment, export or outgoing mail names them; written
-- by a reviewer (an export, a reply), never changed.
CREATE POLICY staff_read ON blobs FOR SELECT TO minca_staff
    USING (EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = blobs.sha256)
        OR EXISTS (SELECT 1 FROM messages m WHERE m.raw_sha256 = blobs.sha256)
        OR EXISTS (SELECT 1 FROM exports e WHERE e.sha256 = blobs.sha256)
        OR EXISTS (SELECT 1 FROM outbox o WHERE o.raw_sha256 = blobs.sha256));
CREATE POLICY staff_insert ON blobs FOR INSERT TO minca_staff WITH CHECK ((SELECT minca_staff_max_level()) >= 2);
CREATE POLICY staff_read ON intake_seen FOR SELECT TO minca_staff
    USING (source_id IN (SELECT id FROM intake_sources));
CREATE POLICY staff_read ON workers FOR SELECT TO minca_staff USING ((SELECT minca_staff_level(NULL)) >= 1);
CREATE POLICY staff_read ON metric_defs FOR SELECT TO minca_staff USING (true);
CREATE POLICY staff_read ON metric_totals FOR SELECT TO minca_staff USING ((SELECT minca_staff_level(NULL)) >= 3);
CREATE POLICY staff_read ON metric_deltas FOR SELECT TO minca_staff USING ((SELECT minca_staff_level(NULL)) >= 3);
-- The counting triggers of a reviewer's changes append here.
CREATE POLICY staff_insert ON metric_deltas FOR INSERT TO minca_staff WITH CHECK (true);

-- ---- the audit trail: entries through this function ----------------------------------------
-- A person's entry names the session's role as actor and login and takes the server's clock;
-- the owner's and minca_app's (one person's desk) keep the names the application gives.
CREATE FUNCTION minca_audit_add(p_insurer bigint, p_actor text, p_action text, p_entity text, p_entity_id text,
                                p_details jsonb, p_os_login text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF minca_is_staff() THEN
        IF (CASE WHEN p_insurer IS NULL THEN minca_staff_max_level() ELSE minca_staff_level(p_insurer) END) < 1 THEN
            RAISE EXCEPTION 'an audit entry needs a role on its insurer (% has none)', session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        p_actor := session_user;
        p_os_login := session_user;
    ELSIF (session_user = 'minca_app' OR current_setting('role', true) = 'minca_app') AND p_insurer IS NOT NULL
          AND NOT minca_insurer_visible(p_insurer) THEN
        -- minca_app's entries stay within its scope, as its insert policy on audit_log had them.
        RAISE EXCEPTION 'an audit entry of insurer % is outside the session''s insurers', p_insurer
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO audit_log (insurer_id, actor, action, entity, entity_id, details, os_login)
    VALUES (p_insurer, p_actor, p_action, p_entity, p_entity_id, coalesce(p_details, '{}'::jsonb), p_os_login);
END $$;
REVOKE ALL ON FUNCTION minca_audit_add(bigint, text, text, text, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION minca_audit_add(bigint, text, text, text, text, jsonb, text) TO minca_app, minca_staff;

-- A person's call must hold `need` (a role level) over p_insurer (NULL: every insurer).
CREATE FUNCTION minca_staff_require(p_insurer bigint, p_need int, p_what text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF minca_is_staff() AND minca_staff_level(p_insurer) < p_need THEN
        RAISE EXCEPTION '% needs the admin role for %', p_what,
            coalesce('insurer ' || (SELECT slug FROM insurers WHERE id = p_insurer), 'every insurer')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$;

-- ---- users and roles: changes through these functions, each with its audit entry --------------
CREATE FUNCTION minca_user_add(p_login text, p_display text, p_by text, p_os_login text, p_audit_insurer bigint)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    new_id bigint;
    r pg_roles%ROWTYPE;
BEGIN
    IF minca_is_staff() AND minca_staff_max_level() < 4 THEN
        RAISE EXCEPTION 'adding a user needs the admin role' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO users (login, display_name, created_by)
    VALUES (p_login, p_display, CASE WHEN minca_is_staff() THEN session_user ELSE p_by END) RETURNING id INTO new_id;
    IF minca_team_desk() THEN
        -- The person's role: a login of the same name, member of the staff group, nothing more.
        SELECT * INTO r FROM pg_roles WHERE rolname = p_login;
        IF NOT FOUND THEN
            EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS IN ROLE minca_staff',
                           p_login);
        ELSIF r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls OR r.rolreplication
              OR p_login IN ('minca', 'minca_app', 'minca_staff', current_user) OR p_login LIKE 'pg\_%' THEN
            RAISE EXCEPTION 'the database role % exists and is not a person''s: choose another login', p_login;
        ELSE
            EXECUTE format('GRANT minca_staff TO %I', p_login);
            EXECUTE format('ALTER ROLE %I LOGIN', p_login);
        END IF;
    END IF;
    PERFORM minca_audit_add(nullif(p_audit_insurer, 0), p_by, 'user.add', 'user', p_login,
                            jsonb_build_object('display_name', p_display), p_os_login);
    RETURN new_id;
END $$;

CREATE FUNCTION minca_user_grant(p_user bigint, p_insurer bigint, p_role text, p_by text, p_os_login text)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    old text;
BEGIN
    PERFORM minca_staff_require(p_insurer, 4, 'granting a role');
    SELECT role INTO old FROM user_roles WHERE user_id = p_user AND coalesce(insurer_id, 0) = coalesce(p_insurer, 0)
       FOR UPDATE;
    INSERT INTO user_roles (user_id, insurer_id, role, granted_by)
    VALUES (p_user, p_insurer, p_role, CASE WHEN minca_is_staff() THEN session_user ELSE p_by END)
    ON CONFLICT (user_id, coalesce(insurer_id, 0))
    DO UPDATE SET role = EXCLUDED.role, granted_by = EXCLUDED.granted_by, granted_at = now();
    PERFORM minca_audit_add(p_insurer, p_by, 'user.grant', 'user', (SELECT login FROM users WHERE id = p_user),
                            jsonb_build_object('insurer', coalesce((SELECT slug FROM insurers WHERE id = p_insurer), '*'),
                                               'old', coalesce(old, ''), 'new', p_role), p_os_login);
    RETURN coalesce(old, '');
END $$;

CREATE FUNCTION minca_user_revoke(p_user bigint, p_insurer bigint, p_by text, p_os_login text)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    old text;
BEGIN
    PERFORM minca_staff_require(p_insurer, 4, 'revoking a role');
    DELETE FROM user_roles WHERE user_id = p_user AND coalesce(insurer_id, 0) = coalesce(p_insurer, 0)
    RETURNING role INTO old;
    IF old IS NOT NULL THEN
        PERFORM minca_audit_add(p_insurer, p_by, 'user.revoke', 'user', (SELECT login FROM users WHERE id = p_user),
                                jsonb_build_object('insurer', coalesce((SELECT slug FROM insurers WHERE id = p_insurer), '*'),
                                                   'old', old, 'new', NULL), p_os_login);
    END IF;
    RETURN old;
END $$;

-- Disabling takes the person's LOGIN away and ends their sessions at once (team desk).
CREATE FUNCTION minca_user_set_active(p_user bigint, p_active boolean, p_by text, p_os_login text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    u users%ROWTYPE;
BEGIN
    SELECT * INTO u FROM users WHERE id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no user with id %', p_user;
    END IF;
    IF minca_is_staff() AND (minca_staff_max_level() < 4 OR EXISTS (
            SELECT 1 FROM user_roles r WHERE r.user_id = p_user AND minca_staff_level(r.insurer_id) < 4)) THEN
        RAISE EXCEPTION 'enabling or disabling % needs the admin role over every insurer they hold a role on', u.login
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE users SET active = p_active WHERE id = p_user;
    IF minca_team_desk() AND EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                                       JOIN pg_roles p ON p.oid = m.member
                                      WHERE g.rolname = 'minca_staff' AND p.rolname = u.login) THEN
        EXECUTE format('ALTER ROLE %I %s', u.login, CASE WHEN p_active THEN 'LOGIN' ELSE 'NOLOGIN' END);
        IF NOT p_active THEN
            PERFORM pg_terminate_backend(a.pid) FROM pg_stat_activity a
              WHERE a.usename = u.login AND a.pid <> pg_backend_pid();
        END IF;
    END IF;
    PERFORM minca_audit_add(NULL, p_by, CASE WHEN p_active THEN 'user.enable' ELSE 'user.disable' END, 'user', u.login,
                            jsonb_build_object('old', u.active, 'new', p_active), p_os_login);
END $$;

-- An insurer's setting (NULL value: back to the default); the audit keeps old and new as text.
CREATE FUNCTION minca_insurer_set(p_insurer bigint, p_key text, p_value jsonb, p_by text, p_os_login text)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ins insurers%ROWTYPE;
    old jsonb;
BEGIN
    PERFORM minca_staff_require(p_insurer, 4, 'changing insurer settings');
    SELECT * INTO ins FROM insurers WHERE id = p_insurer FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no insurer with id %', p_insurer;
    END IF;
    old := ins.settings -> p_key;
    UPDATE insurers SET settings = CASE WHEN p_value IS NULL THEN settings - p_key
                                        ELSE settings || jsonb_build_object(p_key, p_value) END
     WHERE id = p_insurer;
    PERFORM minca_audit_add(p_insurer, p_by, 'insurer.set', 'insurer', ins.slug,
                            jsonb_build_object('key', p_key,
                                               'old', CASE WHEN old IS NULL OR jsonb_typeof(old) IN ('null', 'string')
                                                           THEN old ELSE to_jsonb(old::text) END,
                                               'new', CASE WHEN p_value IS NULL OR jsonb_typeof(p_value) IN ('null', 'string')
                                                           THEN p_value ELSE to_jsonb(p_value::text) END),
                            p_os_login);
    RETURN coalesce(old, 'null'::jsonb);
END $$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['minca_user_add(text, text, text, text, bigint)',
                             'minca_user_grant(bigint, bigint, text, text, text)',
                             'minca_user_revoke(bigint, bigint, text, text)',
                             'minca_user_set_active(bigint, boolean, text, text)',
                             'minca_insurer_set(bigint, text, jsonb, text, text)',
                             'minca_staff_require(bigint, integer, text)'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO minca_app, minca_staff', f);
    END LOOP;
END $$;
