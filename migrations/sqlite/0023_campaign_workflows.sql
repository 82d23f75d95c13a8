-- A campaign opens any workflow marked `campaign: true` (the census, the
-- implementation plan), with data of its own for every target; campaigns
-- opened before were all of the deadline workflow.
ALTER TABLE campaigns ADD COLUMN workflow TEXT NOT NULL DEFAULT 'deadline-campaign';
ALTER TABLE campaigns ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
