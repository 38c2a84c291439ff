-- A case is late, said once beside when its clock stops: case_clock carries `late`, and
-- cases_late is its late rows. The case list reads both from one join of the view instead of
-- joining cases_late as well (which evaluated the clock's outbox lookup a second time).
CREATE OR REPLACE VIEW case_clock WITH (security_invoker = true) AS
    SELECT s.id, s.insurer_id, s.due_at, s.clock_stopped, (s.due_at IS NOT NULL AND s.due_at < now() AND NOT s.clock_stopped) AS late
      FROM (SELECT k.id, k.insurer_id, k.due_at,
                   (k.status = 'exported'
                    OR EXISTS (SELECT 1 FROM outbox o WHERE o.case_id = k.id AND o.kind = 'quote' AND o.state = 'sent'))
                       AS clock_stopped
              FROM cases k) s;

CREATE OR REPLACE VIEW cases_late WITH (security_invoker = true) AS
    SELECT c.id, c.insurer_id, c.due_at FROM case_clock c WHERE c.late;
