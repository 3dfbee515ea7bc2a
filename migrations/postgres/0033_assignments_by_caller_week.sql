-- Issue 16: a caller's queue and progress read their assignments by caller and week,
-- and every query that names a caller names the week too. The index was keyed by
-- (caller, campaign, week), so those reads went through every week the caller ever had
-- (SQLite searched by the caller alone, then read each of those rows to test the week):
-- a queue read grew with the campaign's age. Same columns, week second; queries that
-- give the caller, campaign and week still use all three.
DROP INDEX assignments_caller_week;
CREATE INDEX assignments_caller_week ON assignments (caller_id, week, campaign_id);
