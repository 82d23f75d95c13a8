-- What a form's POST has to say on the page it redirects to (a batch's
-- results, an administration form's outcome): kept for the session, taken
-- once by the next page that shows it.
CREATE TABLE flashes (
    session_hash TEXT PRIMARY KEY REFERENCES sessions (id_hash) ON DELETE CASCADE,
    body         JSONB NOT NULL
);
