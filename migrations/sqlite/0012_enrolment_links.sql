-- Issue 14: the second factor is set up through a one-time enrolment link (mailed after
-- a password login, or printed by `lien users add` / `reset-totp`), never by whoever
-- first logs in with the password. The link carries a random token, the table only its
-- SHA-256; a link works once, before it expires.
CREATE TABLE enrolment_links (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX enrolment_links_user ON enrolment_links (user_id);
