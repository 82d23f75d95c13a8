-- Browser sessions (stored as the sha256 of the cookie value) and login throttling counters.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    login        TEXT NOT NULL REFERENCES users (login),
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_login ON sessions (login);

CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TEXT NOT NULL
);
