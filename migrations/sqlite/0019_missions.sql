-- Issue 17: volunteer missions. Organisations post staffing needs; volunteers (agents,
-- association professionals, students) give hours; a weekly matching proposes
-- placements that a coordinator confirms; hours given are recorded against a monthly
-- allowance. Two new roles: 'relay' (an associations' reserve or a school managing its
-- own volunteers) and 'volunteer'.
--
-- SQLite cannot change a CHECK constraint in place: the users table is rebuilt with the
-- documented procedure (foreign keys off, new table, copy, drop, rename). Foreign keys
-- can only be switched off outside a transaction, and sqlx runs every SQLite migration
-- inside one (it ignores `-- no-transaction` for SQLite): so this file ends sqlx's
-- transaction, does its work in its own, and opens a transaction again for sqlx's
-- bookkeeping, which sqlx then commits. Should the process die between the two commits,
-- the migration is applied but not recorded: everything below can run a second time
-- (IF NOT EXISTS, and the users rebuild copies the same rows again).
COMMIT;
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE IF NOT EXISTS organisations (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) >= 1),
    -- The folded name (lower case, no accents, single spaces): the import's key.
    name_key   TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL DEFAULT 'association' CHECK (kind IN ('association', 'establishment', 'relay', 'school', 'other')),
    -- The contact who gets the Monday/Thursday "are these needs still right?" mail.
    email      TEXT CHECK (email IS NULL OR email LIKE '%_@_%'),
    phone      TEXT,
    language   TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE IF NOT EXISTS mission_needs (
    id                INTEGER PRIMARY KEY,
    -- `Réf.` of the département's table: the need's key, stable across imports.
    reference         TEXT NOT NULL UNIQUE CHECK (length(reference) >= 1),
    organisation_id   INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    establishment     TEXT NOT NULL,
    address           TEXT,
    postcode          TEXT,
    commune           TEXT,
    phone             TEXT,
    email             TEXT,
    public            TEXT,
    mission_kind      TEXT NOT NULL,
    volunteers_wanted INTEGER NOT NULL CHECK (volunteers_wanted BETWEEN 1 AND 1000),
    weekly_minutes    INTEGER NOT NULL CHECK (weekly_minutes BETWEEN 1 AND 10080),
    -- Canonical slots, `lun 09:00-12:00, jeu 14:30-18:00` (missions::slots).
    slots             TEXT NOT NULL,
    -- Canonical comma-separated qualifications, '' for none.
    qualifications    TEXT NOT NULL DEFAULT '',
    starts_on         TEXT,
    ends_on           TEXT,
    active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    -- Bumped on every change: a proposal made on an older version cannot be confirmed.
    version           INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_by        TEXT,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on)
);
CREATE INDEX IF NOT EXISTS mission_needs_organisation ON mission_needs (organisation_id);

CREATE TABLE IF NOT EXISTS volunteers (
    id                    INTEGER PRIMARY KEY,
    email                 TEXT NOT NULL UNIQUE CHECK (email LIKE '%_@_%'),
    last_name             TEXT NOT NULL CHECK (length(last_name) >= 1),
    first_name            TEXT NOT NULL,
    phone                 TEXT CHECK (phone IS NULL OR phone LIKE '+%'),
    origin                TEXT NOT NULL CHECK (origin IN ('agent', 'association', 'school')),
    -- Service, association or school the volunteer comes from.
    origin_structure      TEXT,
    qualifications        TEXT NOT NULL DEFAULT '',
    -- Canonical availability slots (missions::slots).
    availability          TEXT NOT NULL DEFAULT '',
    postcode              TEXT,
    commune               TEXT,
    -- Agents only: the monthly allowance in hundredths of a day (50 = half a day, 200 = two days).
    days_per_month_centi  INTEGER CHECK (days_per_month_centi IS NULL OR days_per_month_centi BETWEEN 50 AND 200),
    manager_approved      INTEGER NOT NULL DEFAULT 0 CHECK (manager_approved IN (0, 1)),
    approved_by           TEXT,
    approved_at           TEXT,
    -- The relay (associations' reserve, school) that manages this volunteer, if any.
    relay_organisation_id INTEGER REFERENCES organisations (id) ON DELETE SET NULL,
    -- The same person in the callers' roster, so phone-call time joins the time given.
    caller_id             INTEGER REFERENCES callers (id) ON DELETE SET NULL,
    active                INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS volunteers_relay ON volunteers (relay_organisation_id);

CREATE TABLE IF NOT EXISTS mission_placements (
    id           INTEGER PRIMARY KEY,
    need_id      INTEGER NOT NULL REFERENCES mission_needs (id) ON DELETE CASCADE,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id) ON DELETE CASCADE,
    -- Monday of the ISO week the placement is for.
    week_start   TEXT NOT NULL,
    minutes      INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 10080),
    state        TEXT NOT NULL DEFAULT 'proposed' CHECK (state IN ('proposed', 'confirmed', 'signed', 'ended')),
    -- The formal basis of the engagement, set at confirmation.
    basis        TEXT CHECK (basis IS NULL OR basis IN ('secondment', 'fixed_term', 'association_agreement')),
    -- The matcher's reason code and its details (JSON), for the proof of equal treatment.
    reason       TEXT NOT NULL,
    need_version INTEGER NOT NULL,
    proposed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    confirmed_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    confirmed_at TEXT,
    ended_at     TEXT,
    UNIQUE (need_id, volunteer_id, week_start)
);
CREATE INDEX IF NOT EXISTS mission_placements_week ON mission_placements (week_start);
CREATE INDEX IF NOT EXISTS mission_placements_volunteer ON mission_placements (volunteer_id, week_start);

-- Hours given, recorded by the volunteer, the establishment (signed link) or a coordinator.
CREATE TABLE IF NOT EXISTS mission_hours (
    id           INTEGER PRIMARY KEY,
    placement_id INTEGER NOT NULL REFERENCES mission_placements (id) ON DELETE CASCADE,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id) ON DELETE CASCADE,
    worked_on    TEXT NOT NULL,
    minutes      INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    -- 'user:<id>' or 'organisation-link:<id>'.
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (placement_id, worked_on)
);
CREATE INDEX IF NOT EXISTS mission_hours_volunteer ON mission_hours (volunteer_id, worked_on);

-- The signed link mailed to an organisation's contact every Monday and Thursday. Only the
-- SHA-256 of the token is kept; a link expires when the next reminder goes.
CREATE TABLE IF NOT EXISTS organisation_links (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    recipient       TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    revoked_at      TEXT,
    last_used_at    TEXT
);
CREATE INDEX IF NOT EXISTS organisation_links_organisation ON organisation_links (organisation_id);

DROP TABLE IF EXISTS users_new;
CREATE TABLE users_new (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE CHECK (email LIKE '%_@_%'),
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('coordinator', 'caller', 'territory', 'admin', 'relay', 'volunteer')),
    password_hash   TEXT,
    totp_secret     TEXT,
    caller_id       INTEGER REFERENCES callers (id) ON DELETE CASCADE,
    territory_id    INTEGER REFERENCES territories (id) ON DELETE CASCADE,
    language        TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_login_at   TEXT,
    totp_pending_secret TEXT,
    totp_confirmed_at   TEXT,
    totp_last_step      INTEGER,
    invited_at          TEXT,
    organisation_id INTEGER REFERENCES organisations (id) ON DELETE CASCADE,
    volunteer_id    INTEGER REFERENCES volunteers (id) ON DELETE CASCADE,
    CHECK (role <> 'caller' OR caller_id IS NOT NULL),
    CHECK (role <> 'territory' OR territory_id IS NOT NULL),
    CHECK (role <> 'relay' OR organisation_id IS NOT NULL),
    CHECK (role <> 'volunteer' OR volunteer_id IS NOT NULL)
);
INSERT INTO users_new (id, email, display_name, role, password_hash, totp_secret, caller_id,
                       territory_id, language, active, created_at, last_login_at,
                       totp_pending_secret, totp_confirmed_at, totp_last_step, invited_at)
SELECT id, email, display_name, role, password_hash, totp_secret, caller_id,
       territory_id, language, active, created_at, last_login_at,
       totp_pending_secret, totp_confirmed_at, totp_last_step, invited_at
FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

COMMIT;
PRAGMA foreign_keys = ON;
BEGIN;
