-- SQLite writes a transition through a view's trigger (migration 0013
-- there); PostgreSQL has its naxian_apply function. Nothing to do here.
SELECT 1;
