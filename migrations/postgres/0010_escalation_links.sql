-- Escalation mail minimisation (issue 14).
-- One link per escalation and recipient: the token itself is never stored, only its
-- SHA-256. A link works until the escalation is closed plus a number of days (a setting),
-- read-only once closed, and stops at once when a coordinator revokes it.
CREATE TABLE escalation_links (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    escalation_id BIGINT NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    recipient     TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
    revoked_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX escalation_links_escalation ON escalation_links (escalation_id);

-- The secret a queued mail carries (a login, invitation or escalation link token) is kept
-- apart from the body, which holds a placeholder; the worker puts it in at send time and
-- the column is emptied when the mail is sent.
ALTER TABLE outbox ADD COLUMN secret_token TEXT;
