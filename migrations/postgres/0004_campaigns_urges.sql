-- Deadline campaigns, and urges (at most one per task and day).
CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    remind_before JSONB NOT NULL,
    targets       JSONB NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE urges (
    task_id TEXT NOT NULL REFERENCES tasks (id),
    day     DATE NOT NULL,
    login   TEXT NOT NULL,
    at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (task_id, day)
);
