-- 消息: the in-app copy of what the service tells a user (a new task, a
-- return, an urge, a copy, a delegation…), written with its e-mail in the
-- same transaction and under the same key, read or not.
CREATE TABLE notices (
    id          TEXT PRIMARY KEY,
    login       TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL UNIQUE,
    template    TEXT NOT NULL,
    params      TEXT NOT NULL,
    instance_id TEXT,
    task_id     TEXT,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
CREATE INDEX notices_of ON notices (login, created_at);
CREATE INDEX notices_unread ON notices (login, task_id) WHERE read_at IS NULL;
CREATE INDEX notices_instance ON notices (instance_id);
