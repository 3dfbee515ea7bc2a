-- Issue 17: each matching run started from the coordinators' missions page, with what it
-- found (organisations' wanted and filled hours and shares, unfilled needs and their
-- reasons, the proof of equal treatment) as JSON, so that the proof given for a week can
-- be shown at any time afterwards, even when needs and volunteers have changed since.
CREATE TABLE mission_match_runs (
    id         INTEGER PRIMARY KEY,
    week_start TEXT NOT NULL,
    ran_at     TEXT NOT NULL,
    ran_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    summary    TEXT NOT NULL
);
CREATE INDEX mission_match_runs_week ON mission_match_runs (week_start, id);
