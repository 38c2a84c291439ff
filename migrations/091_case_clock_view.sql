-- When a case's clock stops, said once: the quote is exported or sent. The case list's
-- clock_stopped column and the late cases (the Cases pane, the dashboard, /metrics, the
-- report) read this view instead of each carrying its own copy of the rule.
-- security_invoker: read with the caller's rights and row-level security.
CREATE VIEW case_clock WITH (security_invoker = true) AS
    SELECT k.id, k.insurer_id, k.due_at,
           (k.status = 'exported'
            OR EXISTS (SELECT 1 FROM outbox o WHERE o.case_id = k.id AND o.kind = 'quote' AND o.state = 'sent'))
               AS clock_stopped
      FROM cases k;

CREATE OR REPLACE VIEW cases_late WITH (security_invoker = true) AS
    SELECT c.id, c.insurer_id, c.due_at FROM case_clock c
     WHERE c.due_at < now() AND NOT c.clock_stopped;

GRANT SELECT ON case_clock TO minca_app;
