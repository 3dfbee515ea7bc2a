-- Issue 13 (people): a coordinator's handover "from now on". The caller the planner
-- treats as the person's continuity caller, in preference to last week's; NULL when
-- the planner follows the weeks as before. A caller removed leaves it NULL.
ALTER TABLE beneficiaries ADD COLUMN continuity_caller_id INTEGER REFERENCES callers (id) ON DELETE SET NULL;
