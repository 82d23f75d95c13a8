-- PostgreSQL writes a transition through a function (migration 0012 there);
-- SQLite, in-process, writes it statement by statement. Nothing to do here.
SELECT 1;
