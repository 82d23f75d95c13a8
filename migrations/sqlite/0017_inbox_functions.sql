-- PostgreSQL's inbox moved into functions that keep one plan (migration 0017
-- there); SQLite plans a statement once when sqlx prepares it. Nothing to do.
SELECT 1;
