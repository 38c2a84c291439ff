-- Tables added after the team desk's policies (080) get them too, through 080's
-- minca_guard_tenant_table (which later migrations call for their own tables): applied here to
-- every tenant table that still has no staff policy.
INSERT INTO desk_write_roles VALUES ('rated_imports', 'supervisor'), ('rated_premiums', 'supervisor')
    ON CONFLICT DO NOTHING;

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
