-- When a finished instance's personal data was removed (retention).
ALTER TABLE instances ADD COLUMN purged_at TIMESTAMPTZ;
CREATE INDEX instances_unpurged ON instances (updated_at) WHERE purged_at IS NULL AND status = 'completed';
