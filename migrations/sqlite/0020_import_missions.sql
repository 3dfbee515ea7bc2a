-- no-transaction
-- Issue 17: `lien import needs|volunteers` record their batches (history, rejected rows,
-- "same file as batch N") like the other lists, and the upload page may keep such a
-- file between preview and confirmation: the kind checks of import_batches and
-- import_uploads accept 'needs' and 'volunteers'.
--
-- SQLite cannot change a CHECK constraint in place: both tables are rebuilt with the
-- documented procedure (foreign keys off, new table, copy, drop, rename, check), outside
-- sqlx's transaction (first line) and inside our own, as 0019 did for users.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE import_batches_new (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('territories', 'callers', 'beneficiaries', 'opt_out', 'needs', 'volunteers', 'fixtures')),
    campaign_id        INTEGER REFERENCES campaigns (id),
    filename           TEXT NOT NULL,
    file_sha256        TEXT,
    encoding           TEXT,
    delimiter          TEXT,
    status             TEXT NOT NULL CHECK (status IN ('preview', 'applied', 'dry_run', 'rejected', 'cancelled')),
    rows_read          INTEGER NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    inserted           INTEGER NOT NULL DEFAULT 0 CHECK (inserted >= 0),
    updated            INTEGER NOT NULL DEFAULT 0 CHECK (updated >= 0),
    unchanged          INTEGER NOT NULL DEFAULT 0 CHECK (unchanged >= 0),
    rejected           INTEGER NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    warnings           TEXT,
    created_by_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    headers            TEXT
);
INSERT INTO import_batches_new (id, kind, campaign_id, filename, file_sha256, encoding,
    delimiter, status, rows_read, inserted, updated, unchanged, rejected, warnings,
    created_by_user_id, created_at, headers)
SELECT id, kind, campaign_id, filename, file_sha256, encoding, delimiter, status, rows_read,
    inserted, updated, unchanged, rejected, warnings, created_by_user_id, created_at, headers
FROM import_batches;
DROP TABLE import_batches;
ALTER TABLE import_batches_new RENAME TO import_batches;

CREATE TABLE import_uploads_new (
    id          INTEGER PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('territories', 'callers', 'beneficiaries', 'opt_out', 'needs', 'volunteers')),
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    filename    TEXT NOT NULL,
    content     BLOB NOT NULL,
    created_at  TEXT NOT NULL
);
INSERT INTO import_uploads_new (id, token, user_id, kind, campaign_id, filename, content, created_at)
SELECT id, token, user_id, kind, campaign_id, filename, content, created_at FROM import_uploads;
DROP TABLE import_uploads;
ALTER TABLE import_uploads_new RENAME TO import_uploads;

COMMIT;
PRAGMA foreign_keys = ON;
