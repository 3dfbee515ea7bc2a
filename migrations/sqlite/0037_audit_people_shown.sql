-- Issue 16, under load: a queue read settled into the audit trail was one
-- `contact_details_read` row per person shown (about 30 rows and 60 index entries per
-- read), and writing them was most of what the settling cost. A caller's queue shows the
-- same people read after read, so the people shown are kept once as a set, and a read is
-- one row about that set (`subject_type = 'people_shown'`, `subject_id` the set).
--
-- A set is known by the SHA-256 of its people's ids, sorted and comma-separated (hex), so
-- that the same people in any order are the same set; its people are kept by id, never
-- by name. Rows written before this migration keep their form.
CREATE TABLE audit_people_shown (
    id     INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE
);
CREATE TABLE audit_person_shown (
    set_id         INTEGER NOT NULL REFERENCES audit_people_shown (id) ON DELETE CASCADE,
    beneficiary_id INTEGER NOT NULL,
    PRIMARY KEY (set_id, beneficiary_id)
) WITHOUT ROWID;
CREATE INDEX audit_person_shown_person ON audit_person_shown (beneficiary_id);

-- The audit trail as its readers see it (the journal, `lien audit`, a person's export):
-- a read of a set is one row per person in it, as before. The people come first
-- (`CROSS JOIN` keeps SQLite's order): a person's reads are found by the index of the
-- people shown, then by the events' index of subjects.
CREATE VIEW audit_trail AS
SELECT e.id, e.at, e.actor_user_id, e.actor_label, e.action,
       CAST('beneficiary' AS TEXT) AS subject_type, m.beneficiary_id AS subject_id, e.detail
FROM audit_person_shown m CROSS JOIN audit_events e
WHERE e.subject_type = 'people_shown' AND e.subject_id = m.set_id
UNION ALL
SELECT e.id, e.at, e.actor_user_id, e.actor_label, e.action, e.subject_type, e.subject_id,
       e.detail
FROM audit_events e
WHERE e.subject_type <> 'people_shown';
