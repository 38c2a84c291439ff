-- Owners and clocks as the insurer's data (settings):
--   business_hours "HH:MM-HH:MM" and business_days [ISO weekdays, 1 = Monday] (default 1..5):
--     the turnaround (turnaround_hours, default 24) counts only those hours, on the insurer's
--     clock (timezone, default America/Mexico_City); without business_hours it counts calendar
--     hours as before. holidays ["YYYY-MM-DD", ...] are days off.
--   reviewers ["login", ...] with assign "round_robin": a new case goes to the reviewer after
--     the one who got the insurer's last case so assigned.
-- Settings that cannot be read (a bad time or date) fall back to calendar hours, with a warning
-- in the server log, never a refused case.
CREATE FUNCTION minca_due_at(ins bigint, received timestamptz) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    s jsonb;
    hours numeric;
    tz text;
    span text[];
    open_t time;
    close_t time;
    days int[];
    off date[];
    t timestamp;
    left_s numeric;
    d date;
    step numeric;
    n int := 0;
BEGIN
    SELECT settings INTO s FROM insurers WHERE id = ins;
    hours := coalesce((s->>'turnaround_hours')::numeric, 24);
    IF s->>'business_hours' IS NULL THEN
        RETURN received + make_interval(secs => hours * 3600);
    END IF;
    BEGIN
        tz := coalesce(s->>'timezone', 'America/Mexico_City');
        span := regexp_match(s->>'business_hours', '^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$');
        open_t := span[1]::time;
        close_t := span[2]::time;
        IF open_t IS NULL OR close_t <= open_t THEN
            RAISE EXCEPTION 'business_hours % is not HH:MM-HH:MM', s->>'business_hours';
        END IF;
        days := CASE WHEN jsonb_typeof(s->'business_days') = 'array'
                     THEN ARRAY(SELECT jsonb_array_elements_text(s->'business_days')::int)
                     ELSE ARRAY[1, 2, 3, 4, 5] END;
        off := CASE WHEN jsonb_typeof(s->'holidays') = 'array'
                    THEN ARRAY(SELECT jsonb_array_elements_text(s->'holidays')::date)
                    ELSE '{}'::date[] END;
        t := received AT TIME ZONE tz;
        left_s := hours * 3600;
        -- Day by day, at most ~3 years of days: a calendar with no working day ends there.
        WHILE n < 1100 LOOP
            d := t::date;
            IF extract(isodow FROM d)::int = ANY (days) AND NOT (d = ANY (off)) THEN
                IF t < d + open_t THEN
                    t := d + open_t;
                END IF;
                IF t < d + close_t THEN
                    step := extract(epoch FROM (d + close_t) - t);
                    IF step >= left_s THEN
                        RETURN (t + make_interval(secs => left_s)) AT TIME ZONE tz;
                    END IF;
                    left_s := left_s - step;
                END IF;
            END IF;
            t := (d + 1)::timestamp;
            n := n + 1;
        END LOOP;
        RETURN t AT TIME ZONE tz;
    EXCEPTION WHEN others THEN
        RAISE WARNING 'insurer %: business hours unreadable (%); due time in calendar hours', ins, SQLERRM;
        RETURN received + make_interval(secs => hours * 3600);
    END;
END $$;

CREATE FUNCTION minca_next_assignee(ins bigint) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    s jsonb;
    team text[];
    last text;
    i int;
BEGIN
    SELECT settings INTO s FROM insurers WHERE id = ins;
    IF s->>'assign' IS DISTINCT FROM 'round_robin' OR jsonb_typeof(s->'reviewers') <> 'array'
       OR jsonb_array_length(s->'reviewers') = 0 THEN
        RETURN NULL;
    END IF;
    team := ARRAY(SELECT jsonb_array_elements_text(s->'reviewers'));
    -- One assignment at a time per insurer, so two cases opened at once go to two reviewers.
    PERFORM pg_advisory_xact_lock(hashtext('minca_round_robin'), ins::int);
    SELECT assignee INTO last FROM cases
     WHERE insurer_id = ins AND assignee = ANY (team) AND auto_assigned
     ORDER BY created_at DESC, id DESC LIMIT 1;
    i := coalesce(array_position(team, last), 0);
    RETURN team[i % array_length(team, 1) + 1];
END $$;

ALTER TABLE cases ADD COLUMN auto_assigned boolean NOT NULL DEFAULT false;
