-- The directory's generation: one number that every change to units,
-- bodies, users or grants moves on. Reads that feed a transition carry it,
-- so that a process may keep what it read of the directory for as long as
-- the number stays the same (crates/engine/src/directory_cache.rs), on
-- every replica. Statement triggers: a bulk import moves it once.
CREATE TABLE directory_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO directory_generation (id, generation) VALUES (1, 0);

CREATE FUNCTION naxian_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_generation SET generation = generation + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER org_units_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON org_units
    FOR EACH STATEMENT EXECUTE FUNCTION naxian_directory_changed();
CREATE TRIGGER bodies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bodies
    FOR EACH STATEMENT EXECUTE FUNCTION naxian_directory_changed();
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION naxian_directory_changed();
CREATE TRIGGER grants_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION naxian_directory_changed();
