-- Each submission of an instance's data kept as it was sent (an action that
-- amends the data, e.g. a report submitted, returned and submitted again);
-- who sent it and when is the history entry of the same seq.
CREATE TABLE data_versions (
    instance_id TEXT NOT NULL REFERENCES instances (id),
    seq         INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
);
