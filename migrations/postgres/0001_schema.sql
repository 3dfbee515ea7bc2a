-- lien schema, PostgreSQL flavour. The SQLite twin lives in ../sqlite/0001_schema.sql:
-- same tables, columns and constraints; only types and defaults differ.

CREATE TABLE campaigns (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    title                 TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description           TEXT,
    starts_on             DATE NOT NULL,
    ends_on               DATE,
    cadence_weeks         INTEGER NOT NULL DEFAULT 1 CHECK (cadence_weeks BETWEEN 1 AND 8),
    call_script           TEXT NOT NULL DEFAULT 'hebdomadaire',
    population_filter     TEXT,
    coordinator_email     TEXT,
    max_attempts_per_week INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts_per_week BETWEEN 1 AND 20),
    retry_gap_minutes     INTEGER NOT NULL DEFAULT 120 CHECK (retry_gap_minutes BETWEEN 0 AND 10080),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    archived_at           TIMESTAMPTZ,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);

CREATE TABLE import_batches (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('territories', 'callers', 'beneficiaries', 'opt_out', 'fixtures')),
    campaign_id        BIGINT REFERENCES campaigns (id),
    filename           TEXT NOT NULL,
    file_sha256        TEXT,
    encoding           TEXT,
    delimiter          TEXT,
    status             TEXT NOT NULL CHECK (status IN ('preview', 'applied', 'dry_run', 'rejected', 'cancelled')),
    rows_read          INTEGER NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    inserted           INTEGER NOT NULL DEFAULT 0 CHECK (inserted >= 0),
    updated            INTEGER NOT NULL DEFAULT 0 CHECK (updated >= 0),
    unchanged          INTEGER NOT NULL DEFAULT 0 CHECK (unchanged >= 0),
    rejected           INTEGER NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    warnings           TEXT,
    created_by_user_id BIGINT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE import_rejected_rows (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id    BIGINT NOT NULL REFERENCES import_batches (id) ON DELETE CASCADE,
    line        INTEGER NOT NULL CHECK (line >= 1),
    column_name TEXT,
    raw_value   TEXT,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    raw_record  TEXT,
    fixed_at    TIMESTAMPTZ
);
CREATE INDEX import_rejected_rows_batch ON import_rejected_rows (batch_id, line);

CREATE TABLE territories (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 40),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    referent_emails TEXT NOT NULL CHECK (referent_emails LIKE '%@%'),
    daily_digest    BOOLEAN NOT NULL DEFAULT FALSE,
    source_batch_id BIGINT REFERENCES import_batches (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The postal codes and INSEE commune codes a territory covers; each area has one territory.
CREATE TABLE territory_areas (
    kind         TEXT NOT NULL CHECK (kind IN ('postal_code', 'insee')),
    code         TEXT NOT NULL CHECK (length(code) = 5),
    territory_id BIGINT NOT NULL REFERENCES territories (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, code)
);
CREATE INDEX territory_areas_territory ON territory_areas (territory_id);

CREATE TABLE callers (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                   TEXT NOT NULL UNIQUE CHECK (email LIKE '%_@_%'),
    last_name               TEXT NOT NULL CHECK (length(last_name) >= 1),
    first_name              TEXT NOT NULL,
    phone                   TEXT CHECK (phone IS NULL OR phone LIKE '+%'),
    languages               TEXT NOT NULL DEFAULT 'fr',
    weekly_capacity         INTEGER NOT NULL CHECK (weekly_capacity BETWEEN 0 AND 1000),
    half_days               INTEGER CHECK (half_days IS NULL OR half_days BETWEEN 0 AND 14),
    available_weekdays      INTEGER NOT NULL DEFAULT 127 CHECK (available_weekdays BETWEEN 0 AND 127),
    territory_preference_id BIGINT REFERENCES territories (id) ON DELETE SET NULL,
    active                  BOOLEAN NOT NULL DEFAULT TRUE,
    source_batch_id         BIGINT REFERENCES import_batches (id),
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE caller_absences (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    caller_id BIGINT NOT NULL REFERENCES callers (id) ON DELETE CASCADE,
    starts_on DATE NOT NULL,
    ends_on   DATE NOT NULL,
    reason    TEXT,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX caller_absences_caller ON caller_absences (caller_id, starts_on);

CREATE TABLE beneficiaries (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_ref       TEXT UNIQUE CHECK (external_ref IS NULL OR length(external_ref) BETWEEN 1 AND 64),
    identity_key       TEXT NOT NULL,
    last_name          TEXT NOT NULL CHECK (length(last_name) >= 1),
    first_name         TEXT NOT NULL,
    birth_date         DATE,
    address            TEXT,
    postal_code        TEXT CHECK (postal_code IS NULL OR length(postal_code) = 5),
    commune            TEXT,
    insee_code         TEXT CHECK (insee_code IS NULL OR length(insee_code) = 5),
    programme          TEXT,
    preferred_language TEXT NOT NULL DEFAULT 'fr',
    territory_id       BIGINT REFERENCES territories (id) ON DELETE SET NULL,
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'opted_out', 'deceased', 'moved')),
    status_changed_at  TIMESTAMPTZ,
    paused_until       DATE,
    relative_name      TEXT,
    relative_phone     TEXT CHECK (relative_phone IS NULL OR relative_phone LIKE '+%'),
    source_batch_id    BIGINT REFERENCES import_batches (id),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX beneficiaries_identity ON beneficiaries (identity_key);
CREATE INDEX beneficiaries_territory ON beneficiaries (territory_id);
CREATE INDEX beneficiaries_postal_code ON beneficiaries (postal_code);

-- A person's phone numbers in the order the source listed them (landline, mobile…).
CREATE TABLE beneficiary_phones (
    beneficiary_id     BIGINT NOT NULL REFERENCES beneficiaries (id) ON DELETE CASCADE,
    position           INTEGER NOT NULL CHECK (position >= 0),
    e164               TEXT NOT NULL CHECK (e164 LIKE '+%'),
    kind               TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('landline', 'mobile', 'other')),
    wrong_reported_at  TIMESTAMPTZ,
    PRIMARY KEY (beneficiary_id, position)
);

-- Who a campaign calls: enrolled by imports into that campaign, then narrowed by its
-- population filter.
CREATE TABLE campaign_members (
    campaign_id     BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    beneficiary_id  BIGINT NOT NULL REFERENCES beneficiaries (id) ON DELETE CASCADE,
    added_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    source_batch_id BIGINT REFERENCES import_batches (id),
    PRIMARY KEY (campaign_id, beneficiary_id)
);
CREATE INDEX campaign_members_beneficiary ON campaign_members (beneficiary_id);

CREATE TABLE assignments (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id     BIGINT NOT NULL REFERENCES campaigns (id),
    week            TEXT NOT NULL CHECK (week ~ '^[0-9]{4}-W[0-9]{2}$'),
    beneficiary_id  BIGINT NOT NULL REFERENCES beneficiaries (id),
    caller_id       BIGINT NOT NULL REFERENCES callers (id),
    reason_code     TEXT NOT NULL,
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ,
    callback_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at       TIMESTAMPTZ,
    UNIQUE (campaign_id, week, beneficiary_id)
);
CREATE INDEX assignments_caller_week ON assignments (caller_id, campaign_id, week);
CREATE INDEX assignments_beneficiary ON assignments (beneficiary_id, week);

CREATE TABLE calls (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assignment_id    BIGINT NOT NULL REFERENCES assignments (id),
    caller_id        BIGINT NOT NULL REFERENCES callers (id),
    beneficiary_id   BIGINT NOT NULL REFERENCES beneficiaries (id),
    called_at        TIMESTAMPTZ NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('reached_ok', 'reached_need', 'no_answer', 'voicemail', 'busy',
                         'wrong_number', 'refused', 'opt_out', 'paused', 'deceased', 'callback')),
    notes            TEXT,
    callback_at      TIMESTAMPTZ,
    paused_until     DATE,
    duration_seconds INTEGER CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
    idempotency_key  TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 8 AND 100),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (caller_id, idempotency_key),
    CHECK (outcome <> 'callback' OR callback_at IS NOT NULL)
);
CREATE INDEX calls_assignment ON calls (assignment_id);
CREATE INDEX calls_beneficiary ON calls (beneficiary_id, called_at);
CREATE INDEX calls_called_at ON calls (called_at);

CREATE TABLE escalations (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL DEFAULT 'need' CHECK (kind IN ('need', 'unreachable')),
    call_id         BIGINT REFERENCES calls (id),
    campaign_id     BIGINT NOT NULL REFERENCES campaigns (id),
    beneficiary_id  BIGINT NOT NULL REFERENCES beneficiaries (id),
    territory_id    BIGINT REFERENCES territories (id),
    category        TEXT NOT NULL CHECK (category IN ('food', 'health', 'isolation', 'home_help', 'housing', 'money',
                        'paperwork', 'other')),
    description     TEXT NOT NULL,
    urgency         TEXT NOT NULL CHECK (urgency IN ('today', 'this_week', 'no_rush')),
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'handled', 'relayed')),
    relayed_to      TEXT CHECK (relayed_to IS NULL OR relayed_to IN ('town_hall', 'ccas', 'psychologist', 'other')),
    status_comment  TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    taken_at        TIMESTAMPTZ,
    handled_at      TIMESTAMPTZ,
    relayed_at      TIMESTAMPTZ,
    updated_by      BIGINT,
    CHECK (kind <> 'need' OR call_id IS NOT NULL),
    CHECK (status <> 'relayed' OR relayed_to IS NOT NULL)
);
CREATE INDEX escalations_territory ON escalations (territory_id, status);
CREATE INDEX escalations_beneficiary ON escalations (beneficiary_id);
CREATE INDEX escalations_campaign_created ON escalations (campaign_id, created_at);

CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('escalation', 'invitation', 'login_link', 'digest', 'other')),
    escalation_id   BIGINT REFERENCES escalations (id),
    recipients      TEXT NOT NULL CHECK (recipients LIKE '%@%'),
    reply_to        TEXT,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT,
    message_id      TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_at      TIMESTAMPTZ,
    claimed_by      TEXT,
    last_error      TEXT,
    sent_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE CHECK (email LIKE '%_@_%'),
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('coordinator', 'caller', 'territory', 'admin')),
    password_hash TEXT,
    totp_secret   TEXT,
    caller_id     BIGINT REFERENCES callers (id) ON DELETE CASCADE,
    territory_id  BIGINT REFERENCES territories (id) ON DELETE CASCADE,
    language      TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at TIMESTAMPTZ,
    CHECK (role <> 'caller' OR caller_id IS NOT NULL),
    CHECK (role <> 'territory' OR territory_id IS NOT NULL)
);

-- Server-side sessions: the cookie carries a random token, the table its SHA-256.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Who did what to which record. Never holds personal data itself: ids and codes only.
CREATE TABLE audit_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    actor_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor_label   TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    BIGINT,
    detail        TEXT
);
CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id, at);
CREATE INDEX audit_events_actor ON audit_events (actor_user_id, at);

ALTER TABLE import_batches ADD FOREIGN KEY (created_by_user_id) REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE escalations ADD FOREIGN KEY (updated_by) REFERENCES users (id) ON DELETE SET NULL;

INSERT INTO campaigns (name, title, description, starts_on)
VALUES ('default', 'Appels de solidarité', 'Campagne hebdomadaire de prise de nouvelles', CURRENT_DATE);
