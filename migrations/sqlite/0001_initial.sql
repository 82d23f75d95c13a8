-- Naxian schema, SQLite flavour: times are RFC 3339 text, JSON is text.
CREATE TABLE org_units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent      TEXT REFERENCES org_units (code),
    function    TEXT,
    path        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);
CREATE INDEX org_units_parent ON org_units (parent, kind);

CREATE TABLE bodies (
    org_unit      TEXT PRIMARY KEY REFERENCES org_units (code),
    term_start    TEXT NOT NULL,
    term_end      TEXT NOT NULL,
    congress_date TEXT,
    updated_at    TEXT NOT NULL
);

CREATE TABLE members (
    id          INTEGER PRIMARY KEY,
    org_unit    TEXT NOT NULL REFERENCES org_units (code),
    name        TEXT NOT NULL,
    sector      TEXT NOT NULL,
    post        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    since       TEXT NOT NULL,
    term_end    TEXT,
    instance_id TEXT UNIQUE,
    created_at  TEXT NOT NULL
);
CREATE INDEX members_org_unit ON members (org_unit);

CREATE TABLE users (
    login         TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE grants (
    login      TEXT NOT NULL REFERENCES users (login),
    role       TEXT NOT NULL,
    org_unit   TEXT NOT NULL REFERENCES org_units (code),
    created_at TEXT NOT NULL,
    PRIMARY KEY (login, role, org_unit)
);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    login      TEXT NOT NULL REFERENCES users (login),
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE workflow_versions (
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    title      TEXT NOT NULL,
    source     TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE instances (
    id         TEXT PRIMARY KEY,
    workflow   TEXT NOT NULL,
    version    INTEGER NOT NULL,
    step       TEXT NOT NULL,
    status     TEXT NOT NULL,
    outcome    TEXT,
    data       TEXT NOT NULL,
    creator    TEXT NOT NULL,
    org_unit   TEXT NOT NULL,
    org_path   TEXT NOT NULL,
    completed  TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    audit_seq  INTEGER NOT NULL,
    audit_head TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    FOREIGN KEY (workflow, version) REFERENCES workflow_versions (name, version)
);
CREATE INDEX instances_org_path ON instances (org_path);
CREATE INDEX instances_creator ON instances (creator);

CREATE TABLE tasks (
    id           TEXT PRIMARY KEY,
    instance_id  TEXT NOT NULL REFERENCES instances (id),
    step         TEXT NOT NULL,
    assignee_key TEXT NOT NULL,
    role         TEXT,
    unit         TEXT NOT NULL,
    unit_path    TEXT NOT NULL,
    user_login   TEXT,
    status       TEXT NOT NULL,
    action       TEXT,
    comment      TEXT,
    actor        TEXT,
    created_at   TEXT NOT NULL,
    completed_at TEXT,
    due_at       TEXT
);
CREATE INDEX tasks_instance ON tasks (instance_id);
CREATE INDEX tasks_open_user ON tasks (user_login) WHERE status = 'open';
CREATE INDEX tasks_open_role ON tasks (role, unit_path) WHERE status = 'open';
CREATE INDEX tasks_actor ON tasks (actor, completed_at);
-- At most one open task per assignee of a step: the database, not hope, keeps it so.
CREATE UNIQUE INDEX tasks_one_open ON tasks (instance_id, step, assignee_key) WHERE status = 'open';

CREATE TABLE history (
    instance_id TEXT NOT NULL REFERENCES instances (id),
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    step        TEXT NOT NULL,
    action      TEXT NOT NULL,
    comment     TEXT,
    note        TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
);

-- History is append-only.
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;

CREATE TABLE idempotency (
    login        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER,
    body         TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (login, key)
);
