-- Issue 14, login throttling: attempt counters kept in the database, so that every
-- instance of lien charges the same allowance. One row per bucket (an account's login
-- attempts, a client address's, an account's wrong one-time codes); `key` is an HMAC of
-- the bucket's name under the secret key, never an email or an address in clear. A row
-- counts the attempts of one fixed window and is reset once `expires_at` has passed;
-- rows past their expiry are deleted as attempts come in.
CREATE TABLE attempt_counters (
    key          TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    attempts     INTEGER NOT NULL CHECK (attempts >= 0)
);
CREATE INDEX attempt_counters_expiry ON attempt_counters (expires_at);
