-- Deadline campaigns, and urges (at most one per task and day).
CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    remind_before TEXT NOT NULL,
    targets       TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE urges (
    task_id TEXT NOT NULL REFERENCES tasks (id),
    day     TEXT NOT NULL,
    login   TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (task_id, day)
);
