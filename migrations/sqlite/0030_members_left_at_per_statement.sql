-- Issue 15: PostgreSQL's twin of this migration sets a member's `left_at` once per
-- INSERT statement instead of once per row. SQLite has no statement-level triggers; its
-- row trigger (migration 0008) only runs for a member who is not active (its WHEN) and
-- costs a lookup by primary key, in process: it stays as it is.
SELECT 1;
