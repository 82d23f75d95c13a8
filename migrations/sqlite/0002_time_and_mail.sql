-- Working-day calendar, task due dates and timers, and the e-mail outbox.
-- Lease times are milliseconds since the epoch from the database's own clock.

CREATE TABLE calendar_days (
    day  TEXT PRIMARY KEY,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday'))
);

CREATE TABLE timers (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES instances (id),
    task_id     TEXT NOT NULL REFERENCES tasks (id),
    kind        TEXT NOT NULL,
    fire_at     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    lease_owner TEXT,
    lease_until INTEGER,
    fired_at    TEXT
);
CREATE INDEX timers_due ON timers (fire_at) WHERE status = 'pending';
CREATE INDEX timers_task ON timers (task_id) WHERE status = 'pending';

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,
    recipients      TEXT NOT NULL,
    template        TEXT NOT NULL,
    params          TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE status = 'pending';

CREATE TABLE outbox_attempts (
    outbox_id TEXT NOT NULL REFERENCES outbox (id),
    at        TEXT NOT NULL,
    ok        INTEGER NOT NULL,
    error     TEXT
);
CREATE INDEX outbox_attempts_row ON outbox_attempts (outbox_id);
