-- Per-insurer tariffs kept as data: the file the insurer edits (YAML, see samples/tariff/demo.yaml)
-- stored whole with a version per insurer, like catalogs; the active one prices the exports.
CREATE TABLE tariffs (
    id            bigserial PRIMARY KEY,
    insurer_id    bigint NOT NULL REFERENCES insurers(id) ON DELETE CASCADE,
    version       integer NOT NULL,
    name          text NOT NULL,
    source_name   text,
    body          text NOT NULL,
    sha256        text NOT NULL,
    active        boolean NOT NULL DEFAULT false,
    imported_by   text,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (insurer_id, version)
);
CREATE UNIQUE INDEX tariffs_one_active ON tariffs (insurer_id) WHERE active;
ALTER TABLE tariffs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON tariffs TO minca_app USING (minca_insurer_visible(insurer_id));
GRANT SELECT, INSERT, UPDATE, DELETE ON tariffs TO minca_app;
GRANT USAGE, SELECT ON SEQUENCE tariffs_id_seq TO minca_app;
