-- Issue 14: the second factor is set up through a one-time enrolment link (mailed after
-- a password login, or printed by `lien users add` / `reset-totp`), never by whoever
-- first logs in with the password. The link carries a random token, the table only its
-- SHA-256; a link works once, before it expires.
CREATE TABLE enrolment_links (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX enrolment_links_user ON enrolment_links (user_id);
