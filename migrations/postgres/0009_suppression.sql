-- Durable opt-out (issue 14): the suppression list. One row per key of a person who
-- asked not to be called: a phone number (E.164) or an identity (folded names and birth
-- date), stored as the SHA-256 of the kind and the value (records::suppression), never
-- the value itself. Fed by calls with the outcome "opt out", do-not-call lists (entries
-- kept even when they match nobody yet) and imports that mark a person opted out; read
-- by every beneficiary import. Rows are never removed by an import, and an erasure
-- keeps them ("opt-out is forever", docs/PRIVACY.md).
CREATE TABLE suppressions (
    kind       TEXT NOT NULL CHECK (kind IN ('phone', 'identity')),
    key_hash   TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('call', 'opt_out_list', 'import', 'person')),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, key_hash)
);
