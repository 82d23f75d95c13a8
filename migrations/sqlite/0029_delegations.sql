-- 代理: while a user is away, their tasks also reach a delegate, for a
-- window and for all or some workflows (`workflows`: a JSON array of
-- workflow names, NULL for all). One delegation per user at a time.
CREATE TABLE delegations (
    login      TEXT PRIMARY KEY REFERENCES users (login),
    delegate   TEXT NOT NULL REFERENCES users (login),
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    workflows  TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX delegations_delegate ON delegations (delegate);

-- Whose task a delegate acted on: sealed into the entry's hash when set.
ALTER TABLE history ADD COLUMN on_behalf_of TEXT;
