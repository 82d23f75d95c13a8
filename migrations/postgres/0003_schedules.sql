-- Schedule slots: one row per schedule and slot, so that a slot fires once
-- however many replicas run; and instances opened once per unit and period.

CREATE TABLE schedule_slots (
    schedule    TEXT NOT NULL,
    slot        TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    lease_owner TEXT,
    lease_until BIGINT,
    fired_at    TIMESTAMPTZ,
    note        TEXT,
    PRIMARY KEY (schedule, slot)
);

ALTER TABLE instances ADD COLUMN unique_key TEXT;
CREATE UNIQUE INDEX instances_unique_key ON instances (unique_key) WHERE unique_key IS NOT NULL;
CREATE INDEX instances_workflow ON instances (workflow, status);
