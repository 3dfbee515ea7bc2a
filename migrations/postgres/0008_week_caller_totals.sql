-- Weekly totals (issue 7): the per-caller sums of each week's assignments, kept by
-- triggers on `assignments` whatever writes them (planning, rebalancing, recorded
-- calls), in the writing transaction. A week's totals then read one row per caller
-- (about 2,000 at national scale) instead of every assignment of the week (125,000).
-- The definitions are those of `crate::report` (docs/COORDINATOR.md); the unanswered
-- outcomes are those of `Outcome::is_unanswered` (a unit test holds this file to it).
-- `Store::recount_caller_weeks` recomputes the same sums from the assignments, for
-- the tests and `lien report --check`.
CREATE TABLE week_caller_totals (
    campaign_id       BIGINT NOT NULL,
    week              TEXT NOT NULL,
    caller_id         BIGINT NOT NULL,
    assigned          BIGINT NOT NULL DEFAULT 0,
    attempted         BIGINT NOT NULL DEFAULT 0,
    calls             BIGINT NOT NULL DEFAULT 0,
    reached           BIGINT NOT NULL DEFAULT 0,
    conversations     BIGINT NOT NULL DEFAULT 0,
    unanswered_closed BIGINT NOT NULL DEFAULT 0,
    unanswered_open   BIGINT NOT NULL DEFAULT 0,
    opted_out         BIGINT NOT NULL DEFAULT 0,
    paused            BIGINT NOT NULL DEFAULT 0,
    deceased          BIGINT NOT NULL DEFAULT 0,
    wrong_numbers     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, week, caller_id)
);

-- The statement that adds the counts of the assignment rows `source` selects (with a
-- column `sign`: 1 to add a row, -1 to take it away) to their callers' weeks. The
-- expressions of what one assignment counts for live here once. The triggers below are
-- statement-level: a planning run that writes 125,000 assignments makes one grouped
-- upsert, not 125,000.
CREATE FUNCTION week_caller_totals_sql(source TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
    SELECT 'INSERT INTO week_caller_totals AS t (campaign_id, week, caller_id, assigned, attempted, calls, reached,
            conversations, unanswered_closed, unanswered_open, opted_out, paused, deceased, wrong_numbers)
        SELECT campaign_id, week, caller_id, SUM(sign),
            SUM(sign * CASE WHEN attempts > 0 THEN 1 ELSE 0 END),
            SUM(sign * attempts),
            SUM(sign * CASE WHEN reached_at IS NOT NULL THEN 1 ELSE 0 END),
            SUM(sign * CASE WHEN conversation_at IS NOT NULL THEN 1 ELSE 0 END),
            SUM(sign * CASE WHEN reached_at IS NULL AND last_outcome IN (''no_answer'', ''voicemail'', ''busy'')
                            AND status = ''closed'' THEN 1 ELSE 0 END),
            SUM(sign * CASE WHEN reached_at IS NULL AND last_outcome IN (''no_answer'', ''voicemail'', ''busy'')
                            AND status = ''open'' THEN 1 ELSE 0 END),
            SUM(sign * CASE WHEN last_outcome = ''opt_out'' THEN 1 ELSE 0 END),
            SUM(sign * CASE WHEN last_outcome = ''paused'' THEN 1 ELSE 0 END),
            SUM(sign * CASE WHEN last_outcome = ''deceased'' THEN 1 ELSE 0 END),
            SUM(sign * CASE WHEN last_outcome = ''wrong_number'' THEN 1 ELSE 0 END)
        FROM (' || source || ') AS r
        GROUP BY campaign_id, week, caller_id
        ORDER BY campaign_id, week, caller_id
        ON CONFLICT (campaign_id, week, caller_id) DO UPDATE SET
            assigned = t.assigned + excluded.assigned, attempted = t.attempted + excluded.attempted,
            calls = t.calls + excluded.calls, reached = t.reached + excluded.reached,
            conversations = t.conversations + excluded.conversations,
            unanswered_closed = t.unanswered_closed + excluded.unanswered_closed,
            unanswered_open = t.unanswered_open + excluded.unanswered_open,
            opted_out = t.opted_out + excluded.opted_out, paused = t.paused + excluded.paused,
            deceased = t.deceased + excluded.deceased, wrong_numbers = t.wrong_numbers + excluded.wrong_numbers'
$fn$;

-- The assignments written before this migration.
DO $do$ BEGIN EXECUTE week_caller_totals_sql('SELECT 1 AS sign, * FROM assignments'); END $do$;

-- The triggers run that statement on their transition tables (which only the trigger
-- function itself can see, hence the EXECUTE here).
CREATE FUNCTION assignments_keep_week_totals() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE week_caller_totals_sql('SELECT 1 AS sign, * FROM new_rows');
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE week_caller_totals_sql('SELECT -1 AS sign, * FROM old_rows');
    ELSE
        EXECUTE week_caller_totals_sql(
            'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1 AS sign, * FROM old_rows');
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER assignments_totals_insert AFTER INSERT ON assignments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION assignments_keep_week_totals();
CREATE TRIGGER assignments_totals_update AFTER UPDATE ON assignments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION assignments_keep_week_totals();
CREATE TRIGGER assignments_totals_delete AFTER DELETE ON assignments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION assignments_keep_week_totals();

-- A week's escalations, counted from the index alone.
CREATE INDEX escalations_week_totals ON escalations (campaign_id, created_at, kind, category, status, territory_id);
DROP INDEX escalations_campaign_created;

-- Time given: a period's calls summed per caller and outcome from the index alone
-- (replaces the index on the call time only).
DROP INDEX calls_called_at;
CREATE INDEX calls_called_at ON calls (called_at, caller_id, outcome, duration_seconds);
-- Data quality: the few people with a number reported wrong.
CREATE INDEX beneficiary_phones_wrong ON beneficiary_phones (beneficiary_id) WHERE wrong_reported_at IS NOT NULL;
-- Weekly totals, people to call (Store::week_eligible): when each member stopped being
-- active, NULL while active. It is the person's status date, or 1970-01-01 for a
-- status without a date ("always"), kept by triggers from `beneficiaries` so that the
-- people no longer to call before a week are counted from one index range, not looked
-- up one by one.
ALTER TABLE campaign_members ADD COLUMN left_at TIMESTAMPTZ;
UPDATE campaign_members SET left_at = (SELECT COALESCE(b.status_changed_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') FROM beneficiaries b
    WHERE b.id = campaign_members.beneficiary_id)
WHERE beneficiary_id IN (SELECT id FROM beneficiaries WHERE status <> 'active');
CREATE INDEX campaign_members_left ON campaign_members (campaign_id, left_at, added_at) WHERE left_at IS NOT NULL;

CREATE FUNCTION beneficiaries_keep_left_at() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE campaign_members SET left_at = CASE WHEN NEW.status <> 'active'
        THEN COALESCE(NEW.status_changed_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') END
    WHERE beneficiary_id = NEW.id;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER beneficiaries_left_at AFTER UPDATE OF status, status_changed_at ON beneficiaries FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.status_changed_at IS DISTINCT FROM NEW.status_changed_at)
    EXECUTE FUNCTION beneficiaries_keep_left_at();

CREATE FUNCTION campaign_members_set_left_at() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    SELECT CASE WHEN b.status <> 'active' THEN COALESCE(b.status_changed_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') END
        INTO NEW.left_at FROM beneficiaries b WHERE b.id = NEW.beneficiary_id;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER campaign_members_left_at BEFORE INSERT ON campaign_members FOR EACH ROW
    EXECUTE FUNCTION campaign_members_set_left_at();

-- People to call, pauses: the pauses still running on a week's Sunday, recorded by calls
-- or imported, found by their end date; a person's paused calls by person.
CREATE INDEX calls_paused_until ON calls (paused_until, called_at, beneficiary_id) WHERE outcome = 'paused';
CREATE INDEX calls_paused ON calls (beneficiary_id) WHERE outcome = 'paused';
DROP INDEX beneficiaries_paused;
CREATE INDEX beneficiaries_paused ON beneficiaries (paused_until) WHERE paused_until IS NOT NULL;
