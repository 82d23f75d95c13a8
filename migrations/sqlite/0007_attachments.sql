-- Files attached to an instance, kept in the database so that every replica
-- serves them; the content type is the one detected from the bytes.
CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    instance_id  TEXT NOT NULL REFERENCES instances (id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL REFERENCES users (login),
    created_at   TEXT NOT NULL
);
CREATE INDEX attachments_instance ON attachments (instance_id, created_at);
