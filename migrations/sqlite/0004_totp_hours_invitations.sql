-- Issue 5, second part: a TOTP second factor for coordinators and admins, calling hours
-- per campaign, and invitations sent to callers when they are imported.

-- The TOTP secret (base32) is kept in users.totp_secret (0001) once confirmed; a
-- secret being set up waits in totp_pending_secret until the first good code.
-- totp_last_step is the 30-second step of the last code accepted: a code is never
-- accepted twice.
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE users ADD COLUMN totp_confirmed_at TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
-- When the account was last sent an invitation (by a caller import).
ALTER TABLE users ADD COLUMN invited_at TEXT;

-- Calling hours (Europe/Paris): days as a bitmask (bit 0 = Monday … bit 6 = Sunday,
-- 63 = Monday to Saturday) and windows as "HH:MM-HH:MM" separated by commas.
ALTER TABLE campaigns ADD COLUMN calling_days INTEGER NOT NULL DEFAULT 63
    CHECK (calling_days BETWEEN 1 AND 127);
ALTER TABLE campaigns ADD COLUMN calling_windows TEXT NOT NULL DEFAULT '09:00-12:00,14:00-18:30'
    CHECK (length(calling_windows) BETWEEN 11 AND 200);
