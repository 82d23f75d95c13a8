-- A file may be uploaded into one of its workflow's attachment slots (the
-- stamped scan, the Word file); a file in no slot is a plain attachment.
ALTER TABLE attachments ADD COLUMN slot TEXT;
