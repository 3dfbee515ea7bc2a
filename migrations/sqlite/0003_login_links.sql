-- One-time login links sent by email (volunteers forget passwords): the link carries a
-- random token, the table only its SHA-256; a link works once, before it expires.
CREATE TABLE login_links (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX login_links_user ON login_links (user_id);
