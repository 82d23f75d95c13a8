-- Users who want a daily digest of their open tasks.
ALTER TABLE users ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
