-- The inbox query is code now, written once (crates/store/src/inbox.rs) and
-- made into functions by the store on connect under names of their own
-- version: the functions of migration 0017 go.
DROP FUNCTION IF EXISTS naxian_inbox(text, bigint);
DROP FUNCTION IF EXISTS naxian_inbox_count(text);
