-- The review desk at the speed of a person.
--
-- matches.norm_key: the normalised description the codifier read (the key a reviewer's
-- correction is stored under), so rows that one decision settles are found by an index,
-- within a case and across the insurer's open cases (the review queue).
ALTER TABLE matches ADD COLUMN norm_key text;
CREATE INDEX matches_review_queue ON matches (insurer_id, norm_key) WHERE decision = 'needs_review';

-- What a row says, for recognising it after its case is read again: the vehicle fields as
-- extracted (a different reading of the sheet gives a different text).
CREATE FUNCTION minca_row_content(v vehicle_rows) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT md5(concat_ws('|', coalesce(v.marca, ''), coalesce(v.submarca, ''), coalesce(v.year::text, ''),
                         coalesce(v.description, ''), coalesce(v.vin, ''), coalesce(v.plates, '')))
$$;

-- Reviewer decisions and notes held across a re-run of the case: restored on the row read
-- again from the same source position with the same content; the others stay here until a
-- reviewer discards them (never dropped silently).
CREATE TABLE review_carryover (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id),
    case_id       bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    attachment_id bigint,
    source_sheet  text,
    source_row    integer NOT NULL,
    content       text NOT NULL,
    inciso        integer,
    description   text,
    cvegs         text,
    year          integer,
    decision      text,            -- NULL: only a note was kept
    confidence    double precision,
    note          text,
    reviewed_by   text,
    reviewed_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    restored_at   timestamptz,
    restored_row_id bigint,
    discarded_at  timestamptz,
    discarded_by  text
);
CREATE INDEX review_carryover_open ON review_carryover (case_id) WHERE restored_at IS NULL AND discarded_at IS NULL;
