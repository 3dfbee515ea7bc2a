-- Issue 16: a caller's queue counts each person's open needs. Through the index of every
-- escalation by person, each count visited the person's closed escalations too (most of
-- them); this partial index holds the open ones alone, so a person with none is one
-- probe of a small index. Escalations are written one by one (a need recorded, a status
-- changed), so the index costs the writers next to nothing, and no import writes them.
CREATE INDEX escalations_open_by_person ON escalations (beneficiary_id)
    WHERE status IN ('open', 'in_progress');
