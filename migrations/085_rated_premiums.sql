-- Premiums the insurer's rating system returned: the Gcotiza workbook sent back with its PRIMA
-- column filled, imported for one case (matched by COT, export version, list revision and
-- inciso). Each import is the case's next version; the newest is the active one and replaces
-- the tariff's prima neta per unit in the next export, while the list keeps its revision.
CREATE TABLE rated_imports (
    id             bigserial PRIMARY KEY,
    insurer_id     bigint NOT NULL REFERENCES insurers(id) ON DELETE CASCADE,
    case_id        bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    version        integer NOT NULL,
    export_version integer NOT NULL,       -- the export the workbook was written by
    revision       integer NOT NULL,       -- the case's vehicle list it prices
    source_name    text NOT NULL,
    sha256         text NOT NULL,
    total_cents    bigint NOT NULL,        -- sum of the units' prima neta
    active         boolean NOT NULL DEFAULT false,
    imported_by    text,
    imported_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, version)
);
CREATE UNIQUE INDEX rated_imports_one_active ON rated_imports (case_id) WHERE active;
CREATE TABLE rated_premiums (
    import_id      bigint NOT NULL REFERENCES rated_imports(id) ON DELETE CASCADE,
    insurer_id     bigint NOT NULL REFERENCES insurers(id) ON DELETE CASCADE,
    inciso         integer NOT NULL,       -- the unit's number in the quote
    cvegs          text,                   -- the unit as it was priced
    vin            text,
    cents          bigint NOT NULL CHECK (cents >= 0),
    PRIMARY KEY (import_id, inciso)
);
ALTER TABLE rated_imports ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON rated_imports TO minca_app USING (minca_insurer_visible(insurer_id));
ALTER TABLE rated_premiums ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON rated_premiums TO minca_app USING (minca_insurer_visible(insurer_id));
GRANT SELECT, INSERT, UPDATE ON rated_imports, rated_premiums TO minca_app;
GRANT USAGE, SELECT ON SEQUENCE rated_imports_id_seq TO minca_app;
