-- Files uploaded on the import page wait here between the preview and the
-- coordinator's confirmation (so that several instances can share them), and batches
-- remember the file's headers for the download of rejected rows.
CREATE TABLE import_uploads (
    id          INTEGER PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('territories', 'callers', 'beneficiaries', 'opt_out')),
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    filename    TEXT NOT NULL,
    content     BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

ALTER TABLE import_batches ADD COLUMN headers TEXT;
