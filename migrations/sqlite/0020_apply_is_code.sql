-- The transition write is code now, created by the store on its writer
-- connection (crates/store-sqlite/src/apply.sql): the view and trigger the
-- migrations 0013 and 0018 created go.
DROP TRIGGER main.apply_change;
DROP VIEW main.apply_change;
