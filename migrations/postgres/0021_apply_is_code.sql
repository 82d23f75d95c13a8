-- The transition write is code now, installed by the store on connect
-- (crates/store-postgres/src/apply.sql) under a name of its own version:
-- the function the migrations 0012 to 0018 re-created goes.
DROP FUNCTION IF EXISTS naxian_apply(jsonb);
