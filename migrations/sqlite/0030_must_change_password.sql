-- A password an administrator set (reset) is the user's to replace: until
-- they do, the web UI takes them to 我的账户 to change it.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;
