-- PostgreSQL's naxian_apply skips the kinds of rows a change has none of
-- (migration 0015 there); SQLite's trigger reads them out of JSONB, where an
-- empty array costs nothing. Nothing to do here.
SELECT 1;
