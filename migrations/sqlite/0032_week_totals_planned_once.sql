-- Issue 16: PostgreSQL's twin of this migration writes the weekly totals' trigger
-- statements into the trigger function's body instead of running them with EXECUTE,
-- which planned them again for every call recorded. SQLite's triggers are compiled
-- with the statement that fires them, and sqlx keeps that statement prepared: nothing
-- to change here.
SELECT 1;
