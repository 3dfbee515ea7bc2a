-- 0019 rebuilt the users table (to widen its role CHECK) without the columns 0004 had
-- added: every login then failed on SQLite (the second-factor state reads them). They
-- are added back; their values were lost on databases that ran 0019 (pending set-ups,
-- confirmation times, last code steps, invitation times), which lien survives: a
-- pending set-up is started again, and totp_secret, the second factor itself, was kept.
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE users ADD COLUMN totp_confirmed_at TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
ALTER TABLE users ADD COLUMN invited_at TEXT;
