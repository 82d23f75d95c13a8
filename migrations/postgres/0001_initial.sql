-- Naxian schema, PostgreSQL flavour.
CREATE TABLE org_units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent      TEXT REFERENCES org_units (code),
    function    TEXT,
    path        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX org_units_parent ON org_units (parent, kind);

CREATE TABLE bodies (
    org_unit      TEXT PRIMARY KEY REFERENCES org_units (code),
    term_start    DATE NOT NULL,
    term_end      DATE NOT NULL,
    congress_date DATE,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE members (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_unit    TEXT NOT NULL REFERENCES org_units (code),
    name        TEXT NOT NULL,
    sector      TEXT NOT NULL,
    post        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    since       DATE NOT NULL,
    term_end    DATE,
    instance_id TEXT UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX members_org_unit ON members (org_unit);

CREATE TABLE users (
    login         TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE grants (
    login      TEXT NOT NULL REFERENCES users (login),
    role       TEXT NOT NULL,
    org_unit   TEXT NOT NULL REFERENCES org_units (code),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (login, role, org_unit)
);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    login      TEXT NOT NULL REFERENCES users (login),
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE workflow_versions (
    name       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    title      TEXT NOT NULL,
    source     TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE instances (
    id         TEXT PRIMARY KEY,
    workflow   TEXT NOT NULL,
    version    BIGINT NOT NULL,
    step       TEXT NOT NULL,
    status     TEXT NOT NULL,
    outcome    TEXT,
    data       JSONB NOT NULL,
    creator    TEXT NOT NULL,
    org_unit   TEXT NOT NULL,
    org_path   TEXT NOT NULL,
    completed  JSONB NOT NULL,
    revision   BIGINT NOT NULL,
    audit_seq  BIGINT NOT NULL,
    audit_head TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (workflow, version) REFERENCES workflow_versions (name, version)
);
CREATE INDEX instances_org_path ON instances (org_path text_pattern_ops);
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
    created_at   TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ,
    due_at       TIMESTAMPTZ
);
CREATE INDEX tasks_instance ON tasks (instance_id);
CREATE INDEX tasks_open_user ON tasks (user_login) WHERE status = 'open';
CREATE INDEX tasks_open_role ON tasks (role, unit_path) WHERE status = 'open';
CREATE INDEX tasks_actor ON tasks (actor, completed_at);
-- At most one open task per assignee of a step: the database, not hope, keeps it so.
CREATE UNIQUE INDEX tasks_one_open ON tasks (instance_id, step, assignee_key) WHERE status = 'open';

CREATE TABLE history (
    instance_id TEXT NOT NULL REFERENCES instances (id),
    seq         BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
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
CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only';
END;
$$;
CREATE TRIGGER history_no_change BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_append_only();

CREATE TABLE idempotency (
    login        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER,
    body         TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (login, key)
);
