-- PostgreSQL's naxian_apply changed (0016); SQLite's trigger already closes tasks by key.
SELECT 1;
