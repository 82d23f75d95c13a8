-- History is append-only (0001) for each row updated or deleted; TRUNCATE
-- fires no row trigger and emptied it all the same. Refused too.
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();
