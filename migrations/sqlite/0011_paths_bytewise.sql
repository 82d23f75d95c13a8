-- SQLite compares text byte by byte already (the PostgreSQL schema is brought
-- in line by its own migration 0011); nothing to change.
SELECT 1;
