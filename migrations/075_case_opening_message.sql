-- The message that opened a case names the case, however the case was written (the pipeline,
-- an import, a restore): cases.message_id and messages.case_id never disagree for it.
CREATE OR REPLACE FUNCTION cases_name_opening_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.message_id IS NOT NULL THEN
        UPDATE messages SET case_id = NEW.id WHERE id = NEW.message_id AND case_id IS DISTINCT FROM NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER cases_opening_message AFTER INSERT OR UPDATE OF message_id ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_name_opening_message();
UPDATE messages m SET case_id = k.id FROM cases k WHERE k.message_id = m.id AND m.case_id IS NULL;
