-- Issue 15: PostgreSQL's twin of this migration checks a person's territory and a
-- member's campaign once per statement instead of by a foreign key per row. SQLite's
-- foreign keys are one index probe per row inside the same process: they stay.
SELECT 1;
