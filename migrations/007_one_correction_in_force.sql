-- At most one reviewer correction in force per description of an insurer: two reviewers
-- deciding rows with the same description at once could leave two (the codifier then used
-- the newest silently). Older duplicates in force are revoked, newest kept.
UPDATE corrections c SET revoked_by = 'migration 006 (duplicate in force)', revoked_at = now()
 WHERE c.revoked_at IS NULL
   AND EXISTS (SELECT 1 FROM corrections d WHERE d.insurer_id = c.insurer_id AND d.norm_key = c.norm_key
                                            AND d.revoked_at IS NULL AND d.id > c.id);
DROP INDEX corrections_lookup;
CREATE UNIQUE INDEX corrections_one_in_force ON corrections (insurer_id, norm_key) WHERE revoked_at IS NULL;
