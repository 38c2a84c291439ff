-- An export version of a case can hold the Gcotiza workbook and the PDF quote summary: one
-- exports row per file, both with the same version when written together.
ALTER TABLE exports ADD COLUMN format text NOT NULL DEFAULT 'xlsx' CHECK (format IN ('xlsx', 'pdf'));
ALTER TABLE exports DROP CONSTRAINT exports_case_id_version_key;
ALTER TABLE exports ADD CONSTRAINT exports_case_version_format UNIQUE (case_id, version, format);
