-- Who works a case and when it is due. due_at: the request's received time (its Date header,
-- else when it arrived) plus the insurer's turnaround (settings.turnaround_hours, default 24,
-- in calendar hours). A case is late while it is past due and its quote is neither exported
-- nor sent.
ALTER TABLE cases ADD COLUMN assignee text;
ALTER TABLE cases ADD COLUMN due_at timestamptz;
UPDATE cases k SET due_at = coalesce(m.sent_at, m.received_at, k.created_at)
       + make_interval(hours => coalesce((i.settings->>'turnaround_hours')::int, 24))
  FROM insurers i, cases c LEFT JOIN messages m ON m.id = c.message_id
 WHERE c.id = k.id AND i.id = k.insurer_id;
CREATE INDEX cases_due ON cases (insurer_id, due_at);
CREATE FUNCTION minca_case_late(k cases) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT k.due_at < now() AND k.status <> 'exported'
       AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.case_id = k.id AND o.kind = 'quote' AND o.state = 'sent')
$$;
