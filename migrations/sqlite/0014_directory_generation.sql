-- The directory's generation: one number that every change to units,
-- bodies, users or grants moves on. Reads that feed a transition carry it,
-- so that a process may keep what it read of the directory for as long as
-- the number stays the same (crates/engine/src/directory_cache.rs), on
-- every replica.
CREATE TABLE directory_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO directory_generation (id, generation) VALUES (1, 0);

CREATE TRIGGER org_units_inserted AFTER INSERT ON org_units
BEGIN UPDATE directory_generation SET generation = generation + 1; END;
CREATE TRIGGER org_units_updated AFTER UPDATE ON org_units
BEGIN UPDATE directory_generation SET generation = generation + 1; END;
CREATE TRIGGER org_units_deleted AFTER DELETE ON org_units
BEGIN UPDATE directory_generation SET generation = generation + 1; END;

CREATE TRIGGER bodies_inserted AFTER INSERT ON bodies
BEGIN UPDATE directory_generation SET generation = generation + 1; END;
CREATE TRIGGER bodies_updated AFTER UPDATE ON bodies
BEGIN UPDATE directory_generation SET generation = generation + 1; END;
CREATE TRIGGER bodies_deleted AFTER DELETE ON bodies
BEGIN UPDATE directory_generation SET generation = generation + 1; END;

CREATE TRIGGER users_inserted AFTER INSERT ON users
BEGIN UPDATE directory_generation SET generation = generation + 1; END;
CREATE TRIGGER users_updated AFTER UPDATE ON users
BEGIN UPDATE directory_generation SET generation = generation + 1; END;
CREATE TRIGGER users_deleted AFTER DELETE ON users
BEGIN UPDATE directory_generation SET generation = generation + 1; END;

CREATE TRIGGER grants_inserted AFTER INSERT ON grants
BEGIN UPDATE directory_generation SET generation = generation + 1; END;
CREATE TRIGGER grants_updated AFTER UPDATE ON grants
BEGIN UPDATE directory_generation SET generation = generation + 1; END;
CREATE TRIGGER grants_deleted AFTER DELETE ON grants
BEGIN UPDATE directory_generation SET generation = generation + 1; END;
