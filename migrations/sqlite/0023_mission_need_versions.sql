-- Issue 17: every version of a staffing need, kept by triggers whatever writes the need
-- (import, the organisation's signed-link form, a coordinator). A proposal records the
-- need's version it was made on (`mission_placements.need_version`); a confirmation on
-- a need that changed since is refused, and the page shows what changed by comparing
-- the version proposed on with the need as it is now.
CREATE TABLE mission_need_versions (
    need_id           INTEGER NOT NULL REFERENCES mission_needs (id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,
    establishment     TEXT NOT NULL,
    address           TEXT,
    postcode          TEXT,
    commune           TEXT,
    phone             TEXT,
    email             TEXT,
    public            TEXT,
    mission_kind      TEXT NOT NULL,
    volunteers_wanted INTEGER NOT NULL,
    weekly_minutes    INTEGER NOT NULL,
    slots             TEXT NOT NULL,
    qualifications    TEXT NOT NULL,
    starts_on         TEXT,
    ends_on           TEXT,
    active            INTEGER NOT NULL,
    recorded_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (need_id, version)
);

INSERT INTO mission_need_versions (need_id, version, establishment, address, postcode, commune,
    phone, email, public, mission_kind, volunteers_wanted, weekly_minutes, slots, qualifications,
    starts_on, ends_on, active)
SELECT id, version, establishment, address, postcode, commune, phone, email, public, mission_kind,
    volunteers_wanted, weekly_minutes, slots, qualifications, starts_on, ends_on, active
FROM mission_needs;

CREATE TRIGGER mission_need_versions_insert AFTER INSERT ON mission_needs BEGIN
    INSERT OR REPLACE INTO mission_need_versions (need_id, version, establishment, address,
        postcode, commune, phone, email, public, mission_kind, volunteers_wanted, weekly_minutes,
        slots, qualifications, starts_on, ends_on, active)
    VALUES (NEW.id, NEW.version, NEW.establishment, NEW.address, NEW.postcode, NEW.commune,
        NEW.phone, NEW.email, NEW.public, NEW.mission_kind, NEW.volunteers_wanted,
        NEW.weekly_minutes, NEW.slots, NEW.qualifications, NEW.starts_on, NEW.ends_on, NEW.active);
END;

CREATE TRIGGER mission_need_versions_update AFTER UPDATE ON mission_needs BEGIN
    INSERT OR REPLACE INTO mission_need_versions (need_id, version, establishment, address,
        postcode, commune, phone, email, public, mission_kind, volunteers_wanted, weekly_minutes,
        slots, qualifications, starts_on, ends_on, active)
    VALUES (NEW.id, NEW.version, NEW.establishment, NEW.address, NEW.postcode, NEW.commune,
        NEW.phone, NEW.email, NEW.public, NEW.mission_kind, NEW.volunteers_wanted,
        NEW.weekly_minutes, NEW.slots, NEW.qualifications, NEW.starts_on, NEW.ends_on, NEW.active);
END;
