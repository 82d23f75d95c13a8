-- Who read which candidate's record, and how (a page, the API, an export).
CREATE TABLE access_log (
    at          TIMESTAMPTZ NOT NULL,
    login       TEXT NOT NULL,
    instance_id TEXT,
    what        TEXT NOT NULL
);
CREATE INDEX access_log_instance ON access_log (instance_id, at);
