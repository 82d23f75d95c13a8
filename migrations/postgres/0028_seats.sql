-- A body's seats per post (JSON {"post": seats}) and its target of chiefs
-- (三长). Apart from `bodies` so that a new term (换届) keeps the plan.
CREATE TABLE seats (
    org_unit     TEXT PRIMARY KEY REFERENCES org_units (code),
    posts        TEXT NOT NULL,
    chief_target INTEGER,
    updated_at   TIMESTAMPTZ NOT NULL
);
