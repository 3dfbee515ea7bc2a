-- Issue 17: every version of a staffing need, kept by triggers whatever writes the need
-- (import, the organisation's signed-link form, a coordinator). A proposal records the
-- need's version it was made on (`mission_placements.need_version`); a confirmation on
-- a need that changed since is refused, and the page shows what changed by comparing
-- the version proposed on with the need as it is now.
CREATE TABLE mission_need_versions (
    need_id           BIGINT NOT NULL REFERENCES mission_needs (id) ON DELETE CASCADE,
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
    starts_on         DATE,
    ends_on           DATE,
    active            BOOLEAN NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (need_id, version)
);

INSERT INTO mission_need_versions (need_id, version, establishment, address, postcode, commune,
    phone, email, public, mission_kind, volunteers_wanted, weekly_minutes, slots, qualifications,
    starts_on, ends_on, active)
SELECT id, version, establishment, address, postcode, commune, phone, email, public, mission_kind,
    volunteers_wanted, weekly_minutes, slots, qualifications, starts_on, ends_on, active
FROM mission_needs;

CREATE FUNCTION mission_needs_keep_versions() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO mission_need_versions (need_id, version, establishment, address, postcode,
        commune, phone, email, public, mission_kind, volunteers_wanted, weekly_minutes, slots,
        qualifications, starts_on, ends_on, active)
    VALUES (NEW.id, NEW.version, NEW.establishment, NEW.address, NEW.postcode, NEW.commune,
        NEW.phone, NEW.email, NEW.public, NEW.mission_kind, NEW.volunteers_wanted,
        NEW.weekly_minutes, NEW.slots, NEW.qualifications, NEW.starts_on, NEW.ends_on, NEW.active)
    ON CONFLICT (need_id, version) DO UPDATE SET
        establishment = excluded.establishment, address = excluded.address,
        postcode = excluded.postcode, commune = excluded.commune, phone = excluded.phone,
        email = excluded.email, public = excluded.public, mission_kind = excluded.mission_kind,
        volunteers_wanted = excluded.volunteers_wanted, weekly_minutes = excluded.weekly_minutes,
        slots = excluded.slots, qualifications = excluded.qualifications,
        starts_on = excluded.starts_on, ends_on = excluded.ends_on, active = excluded.active,
        recorded_at = now();
    RETURN NULL;
END
$fn$;

CREATE TRIGGER mission_need_versions_keep AFTER INSERT OR UPDATE ON mission_needs
    FOR EACH ROW EXECUTE FUNCTION mission_needs_keep_versions();
