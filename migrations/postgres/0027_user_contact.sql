-- A user's phone and position (职务, or the responsible department), for the
-- liaison list (联络表). The phone is personal data: logs never show it whole.
ALTER TABLE users ADD COLUMN phone TEXT;
ALTER TABLE users ADD COLUMN position TEXT;
