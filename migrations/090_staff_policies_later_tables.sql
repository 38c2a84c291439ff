-- Tables added after the team desk's policies (080) get them too, through one function every
-- later migration calls for its own tables: row-level security on, and for the staff group the
-- same four policies as every tenant table (read where the person holds any role; write where
-- they hold the role desk_write_roles names, reviewer by default). The loop below applies it to
-- every tenant table that still has no staff policy.
INSERT INTO desk_write_roles VALUES ('rated_imports', 'supervisor'), ('rated_premiums', 'supervisor')
    ON CONFLICT DO NOTHING;

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
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'insurer_id'
                                                         AND NOT a.attisdropped)
                AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
                                   AND (SELECT oid FROM pg_roles WHERE rolname = 'minca_staff') = ANY (p.polroles))
              ORDER BY c.relname LOOP
        PERFORM minca_guard_tenant_table(t.relname);
    END LOOP;
END $$;
