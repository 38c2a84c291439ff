-- Catalog search from the review desk: a typed model year narrows the active version's rows
-- through this index before the words are matched.
CREATE INDEX catalog_entries_year ON catalog_entries (catalog_version_id, modelo);
