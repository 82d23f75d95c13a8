-- 常用意见: the opinions a user keeps to hand (a JSON array of texts, in
-- their order). No row: the service's defaults. Kept apart from users so
-- that a change moves no directory generation.
CREATE TABLE phrases (
    login TEXT PRIMARY KEY REFERENCES users (login),
    texts JSONB NOT NULL
);
