-- Issue 16, under load: a queue read is recorded as one row (the people shown, by id)
-- committed before the answer, instead of one indexed audit row per person on the
-- request's path. `Store::settle_contact_reads` moves them into `audit_events` (one
-- `contact_details_read` row per person, as before) in the background and before the
-- audit trail is read.
CREATE TABLE contact_reads (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL,
    user_id         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    context         TEXT NOT NULL,
    beneficiary_ids TEXT NOT NULL
);
