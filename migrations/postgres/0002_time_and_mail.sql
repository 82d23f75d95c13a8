-- Working-day calendar, task due dates and timers, and the e-mail outbox.
-- Lease times are milliseconds since the epoch from the database's own clock.

CREATE TABLE calendar_days (
    day  DATE PRIMARY KEY,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday'))
);

CREATE TABLE timers (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES instances (id),
    task_id     TEXT NOT NULL REFERENCES tasks (id),
    kind        TEXT NOT NULL,
    fire_at     TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    lease_owner TEXT,
    lease_until BIGINT,
    fired_at    TIMESTAMPTZ
);
CREATE INDEX timers_due ON timers (fire_at) WHERE status = 'pending';
CREATE INDEX timers_task ON timers (task_id) WHERE status = 'pending';

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,
    recipients      JSONB NOT NULL,
    template        TEXT NOT NULL,
    params          JSONB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE status = 'pending';

CREATE TABLE outbox_attempts (
    outbox_id TEXT NOT NULL REFERENCES outbox (id),
    at        TIMESTAMPTZ NOT NULL,
    ok        BOOLEAN NOT NULL,
    error     TEXT
);
CREATE INDEX outbox_attempts_row ON outbox_attempts (outbox_id);
