-- Files uploaded on the import page wait here between the preview and the
-- coordinator's confirmation (so that several instances can share them), and batches
-- remember the file's headers for the download of rejected rows.
CREATE TABLE import_uploads (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('territories', 'callers', 'beneficiaries', 'opt_out')),
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    filename    TEXT NOT NULL,
    content     BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

ALTER TABLE import_batches ADD COLUMN headers TEXT;
