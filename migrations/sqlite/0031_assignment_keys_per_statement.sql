-- Issue 15: PostgreSQL's twin of this migration checks the three keys of `assignments`
-- (campaign, person, caller) once per statement, by triggers on the statement's
-- transition table, instead of row by row by foreign keys. SQLite has no
-- statement-level triggers, and its foreign-key checks are index lookups in process:
-- its foreign keys stay as they are.
SELECT 1;
