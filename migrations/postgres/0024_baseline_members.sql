-- Members already on a body when the province starts with Naxian, entered by
-- hand or imported, beside those an appointment adds: whether the person is
-- one of the three chiefs (三长; only chiefs cover a sector on the coverage
-- board), where they work, and when and why they left before the term's end
-- (届中调整). Every member an appointment made is a chief.
ALTER TABLE members ADD COLUMN chief BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE members ADD COLUMN employer TEXT;
ALTER TABLE members ADD COLUMN position TEXT;
ALTER TABLE members ADD COLUMN left_on DATE;
ALTER TABLE members ADD COLUMN left_reason TEXT;
UPDATE members SET chief = TRUE WHERE instance_id IS NOT NULL;
