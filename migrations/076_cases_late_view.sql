-- Late cases defined once, as a view the planner can join: a SQL function whose body holds a
-- sub-select is never inlined, so `minca_case_late(k)` over every case of a large desk ran its
-- sub-select once per case (a /metrics scrape of 100,000 cases took seconds). The view joins
-- the outbox once; the function now asks the view, for the few cases a list shows.
-- security_invoker: the view reads cases and outbox with the caller's rights and row-level
-- security, never the owner's.
CREATE VIEW cases_late WITH (security_invoker = true) AS
    SELECT k.id, k.insurer_id, k.due_at FROM cases k
     WHERE k.due_at < now() AND k.status <> 'exported'
       AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.case_id = k.id AND o.kind = 'quote' AND o.state = 'sent');

CREATE OR REPLACE FUNCTION minca_case_late(k cases) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM cases_late l WHERE l.id = k.id)
$$;

-- Cases still open by due time: what the view scans.
CREATE INDEX cases_open_due ON cases (due_at) WHERE status <> 'exported';
GRANT SELECT ON cases_late TO minca_app;
