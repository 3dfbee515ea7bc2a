-- Issue 13: each campaign's call script, edited in the browser. Every version is kept
-- (who saved it, when); the call page shows the latest, else the file script the
-- campaign's call_script names.
CREATE TABLE campaign_scripts (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    body        TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 50000),
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (campaign_id, version)
);

-- Planning now refuses the weeks before a campaign's first day. The default weekly
-- campaign was given the day its database was created as first day, which is no real
-- start: it may plan earlier weeks (the demo's past weeks), so it starts on 2000-01-03.
UPDATE campaigns SET starts_on = '2000-01-03' WHERE name = 'default';
