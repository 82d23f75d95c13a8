-- When a user's last role was taken away: their phone, kept for the liaison
-- list (联络表) only, is personal data that retention removes once this is
-- older than the retention period. Cleared when a role is granted again.
ALTER TABLE users ADD COLUMN roles_ended_at TEXT;
