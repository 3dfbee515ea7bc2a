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
) WITHOUT ROWID;

-- The assignments written before this migration.
INSERT INTO week_caller_totals (campaign_id, week, caller_id, assigned, attempted, calls, reached, conversations,
        unanswered_closed, unanswered_open, opted_out, paused, deceased, wrong_numbers)
SELECT campaign_id, week, caller_id,
    SUM(1),
    SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END),
    SUM(attempts),
    SUM(CASE WHEN reached_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN conversation_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN reached_at IS NULL AND last_outcome IN ('no_answer', 'voicemail', 'busy') AND status = 'closed' THEN 1 ELSE 0 END),
    SUM(CASE WHEN reached_at IS NULL AND last_outcome IN ('no_answer', 'voicemail', 'busy') AND status = 'open' THEN 1 ELSE 0 END),
    SUM(CASE WHEN last_outcome = 'opt_out' THEN 1 ELSE 0 END),
    SUM(CASE WHEN last_outcome = 'paused' THEN 1 ELSE 0 END),
    SUM(CASE WHEN last_outcome = 'deceased' THEN 1 ELSE 0 END),
    SUM(CASE WHEN last_outcome = 'wrong_number' THEN 1 ELSE 0 END)
FROM assignments GROUP BY campaign_id, week, caller_id;

-- What one assignment counts for (the same expressions in each trigger, on NEW or OLD;
-- reading the row through a view, or an `IN (…)` list, which SQLite builds into a
-- temporary index on each run, made planning several times slower). A row's
-- counts are added when it is inserted, moved from its old values to its new ones when
-- it changes, and taken away when it is deleted.
-- A bulk writer (the planner, 1,000,000 rows a week at national scale) holds the
-- insert and delete triggers back for its week by a row here, in its own transaction,
-- then sets the week's sums from a recount of the assignments (Store::plan_week): one
-- grouped pass instead of a trigger run per row.
CREATE TABLE week_totals_deferred (
    campaign_id BIGINT NOT NULL,
    week        TEXT NOT NULL,
    PRIMARY KEY (campaign_id, week)
) WITHOUT ROWID;

CREATE TRIGGER assignments_totals_insert AFTER INSERT ON assignments
    WHEN NOT EXISTS (SELECT 1 FROM week_totals_deferred d WHERE d.campaign_id = NEW.campaign_id AND d.week = NEW.week)
BEGIN
    INSERT INTO week_caller_totals (campaign_id, week, caller_id, assigned, attempted, calls, reached, conversations,
        unanswered_closed, unanswered_open, opted_out, paused, deceased, wrong_numbers)
    VALUES (NEW.campaign_id, NEW.week, NEW.caller_id,
        1,
        CASE WHEN NEW.attempts > 0 THEN 1 ELSE 0 END,
        NEW.attempts,
        CASE WHEN NEW.reached_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.conversation_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.reached_at IS NULL AND (NEW.last_outcome = 'no_answer' OR NEW.last_outcome = 'voicemail' OR NEW.last_outcome = 'busy') AND NEW.status = 'closed' THEN 1 ELSE 0 END,
        CASE WHEN NEW.reached_at IS NULL AND (NEW.last_outcome = 'no_answer' OR NEW.last_outcome = 'voicemail' OR NEW.last_outcome = 'busy') AND NEW.status = 'open' THEN 1 ELSE 0 END,
        CASE WHEN NEW.last_outcome = 'opt_out' THEN 1 ELSE 0 END,
        CASE WHEN NEW.last_outcome = 'paused' THEN 1 ELSE 0 END,
        CASE WHEN NEW.last_outcome = 'deceased' THEN 1 ELSE 0 END,
        CASE WHEN NEW.last_outcome = 'wrong_number' THEN 1 ELSE 0 END)
    ON CONFLICT (campaign_id, week, caller_id) DO UPDATE SET
        assigned = assigned + excluded.assigned,
        attempted = attempted + excluded.attempted,
        calls = calls + excluded.calls,
        reached = reached + excluded.reached,
        conversations = conversations + excluded.conversations,
        unanswered_closed = unanswered_closed + excluded.unanswered_closed,
        unanswered_open = unanswered_open + excluded.unanswered_open,
        opted_out = opted_out + excluded.opted_out,
        paused = paused + excluded.paused,
        deceased = deceased + excluded.deceased,
        wrong_numbers = wrong_numbers + excluded.wrong_numbers;
END;

CREATE TRIGGER assignments_totals_update AFTER UPDATE OF campaign_id, week, caller_id, status, attempts,
    last_outcome, reached_at, conversation_at ON assignments BEGIN
    UPDATE week_caller_totals SET
        assigned = assigned - (1),
        attempted = attempted - (CASE WHEN OLD.attempts > 0 THEN 1 ELSE 0 END),
        calls = calls - (OLD.attempts),
        reached = reached - (CASE WHEN OLD.reached_at IS NOT NULL THEN 1 ELSE 0 END),
        conversations = conversations - (CASE WHEN OLD.conversation_at IS NOT NULL THEN 1 ELSE 0 END),
        unanswered_closed = unanswered_closed - (CASE WHEN OLD.reached_at IS NULL AND (OLD.last_outcome = 'no_answer' OR OLD.last_outcome = 'voicemail' OR OLD.last_outcome = 'busy') AND OLD.status = 'closed' THEN 1 ELSE 0 END),
        unanswered_open = unanswered_open - (CASE WHEN OLD.reached_at IS NULL AND (OLD.last_outcome = 'no_answer' OR OLD.last_outcome = 'voicemail' OR OLD.last_outcome = 'busy') AND OLD.status = 'open' THEN 1 ELSE 0 END),
        opted_out = opted_out - (CASE WHEN OLD.last_outcome = 'opt_out' THEN 1 ELSE 0 END),
        paused = paused - (CASE WHEN OLD.last_outcome = 'paused' THEN 1 ELSE 0 END),
        deceased = deceased - (CASE WHEN OLD.last_outcome = 'deceased' THEN 1 ELSE 0 END),
        wrong_numbers = wrong_numbers - (CASE WHEN OLD.last_outcome = 'wrong_number' THEN 1 ELSE 0 END)
    WHERE campaign_id = OLD.campaign_id AND week = OLD.week AND caller_id = OLD.caller_id;
    INSERT INTO week_caller_totals (campaign_id, week, caller_id, assigned, attempted, calls, reached, conversations,
        unanswered_closed, unanswered_open, opted_out, paused, deceased, wrong_numbers)
    VALUES (NEW.campaign_id, NEW.week, NEW.caller_id,
        1,
        CASE WHEN NEW.attempts > 0 THEN 1 ELSE 0 END,
        NEW.attempts,
        CASE WHEN NEW.reached_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.conversation_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.reached_at IS NULL AND (NEW.last_outcome = 'no_answer' OR NEW.last_outcome = 'voicemail' OR NEW.last_outcome = 'busy') AND NEW.status = 'closed' THEN 1 ELSE 0 END,
        CASE WHEN NEW.reached_at IS NULL AND (NEW.last_outcome = 'no_answer' OR NEW.last_outcome = 'voicemail' OR NEW.last_outcome = 'busy') AND NEW.status = 'open' THEN 1 ELSE 0 END,
        CASE WHEN NEW.last_outcome = 'opt_out' THEN 1 ELSE 0 END,
        CASE WHEN NEW.last_outcome = 'paused' THEN 1 ELSE 0 END,
        CASE WHEN NEW.last_outcome = 'deceased' THEN 1 ELSE 0 END,
        CASE WHEN NEW.last_outcome = 'wrong_number' THEN 1 ELSE 0 END)
    ON CONFLICT (campaign_id, week, caller_id) DO UPDATE SET
        assigned = assigned + excluded.assigned,
        attempted = attempted + excluded.attempted,
        calls = calls + excluded.calls,
        reached = reached + excluded.reached,
        conversations = conversations + excluded.conversations,
        unanswered_closed = unanswered_closed + excluded.unanswered_closed,
        unanswered_open = unanswered_open + excluded.unanswered_open,
        opted_out = opted_out + excluded.opted_out,
        paused = paused + excluded.paused,
        deceased = deceased + excluded.deceased,
        wrong_numbers = wrong_numbers + excluded.wrong_numbers;
END;

CREATE TRIGGER assignments_totals_delete AFTER DELETE ON assignments
    WHEN NOT EXISTS (SELECT 1 FROM week_totals_deferred d WHERE d.campaign_id = OLD.campaign_id AND d.week = OLD.week)
BEGIN
    UPDATE week_caller_totals SET
        assigned = assigned - (1),
        attempted = attempted - (CASE WHEN OLD.attempts > 0 THEN 1 ELSE 0 END),
        calls = calls - (OLD.attempts),
        reached = reached - (CASE WHEN OLD.reached_at IS NOT NULL THEN 1 ELSE 0 END),
        conversations = conversations - (CASE WHEN OLD.conversation_at IS NOT NULL THEN 1 ELSE 0 END),
        unanswered_closed = unanswered_closed - (CASE WHEN OLD.reached_at IS NULL AND (OLD.last_outcome = 'no_answer' OR OLD.last_outcome = 'voicemail' OR OLD.last_outcome = 'busy') AND OLD.status = 'closed' THEN 1 ELSE 0 END),
        unanswered_open = unanswered_open - (CASE WHEN OLD.reached_at IS NULL AND (OLD.last_outcome = 'no_answer' OR OLD.last_outcome = 'voicemail' OR OLD.last_outcome = 'busy') AND OLD.status = 'open' THEN 1 ELSE 0 END),
        opted_out = opted_out - (CASE WHEN OLD.last_outcome = 'opt_out' THEN 1 ELSE 0 END),
        paused = paused - (CASE WHEN OLD.last_outcome = 'paused' THEN 1 ELSE 0 END),
        deceased = deceased - (CASE WHEN OLD.last_outcome = 'deceased' THEN 1 ELSE 0 END),
        wrong_numbers = wrong_numbers - (CASE WHEN OLD.last_outcome = 'wrong_number' THEN 1 ELSE 0 END)
    WHERE campaign_id = OLD.campaign_id AND week = OLD.week AND caller_id = OLD.caller_id;
END;

-- A week's escalations, counted without reading the table.
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
ALTER TABLE campaign_members ADD COLUMN left_at TEXT;
UPDATE campaign_members SET left_at = (SELECT COALESCE(b.status_changed_at, '1970-01-01T00:00:00+00:00') FROM beneficiaries b
    WHERE b.id = campaign_members.beneficiary_id)
WHERE beneficiary_id IN (SELECT id FROM beneficiaries WHERE status <> 'active');
CREATE INDEX campaign_members_left ON campaign_members (campaign_id, left_at, added_at) WHERE left_at IS NOT NULL;

CREATE TRIGGER beneficiaries_left_at AFTER UPDATE OF status, status_changed_at ON beneficiaries
    WHEN OLD.status IS NOT NEW.status OR OLD.status_changed_at IS NOT NEW.status_changed_at BEGIN
    UPDATE campaign_members SET left_at = CASE WHEN NEW.status <> 'active'
        THEN COALESCE(NEW.status_changed_at, '1970-01-01T00:00:00+00:00') END
    WHERE beneficiary_id = NEW.id;
END;

CREATE TRIGGER campaign_members_left_at AFTER INSERT ON campaign_members
    WHEN (SELECT status FROM beneficiaries WHERE id = NEW.beneficiary_id) <> 'active' BEGIN
    UPDATE campaign_members SET left_at = (SELECT COALESCE(b.status_changed_at, '1970-01-01T00:00:00+00:00')
        FROM beneficiaries b WHERE b.id = NEW.beneficiary_id)
    WHERE campaign_id = NEW.campaign_id AND beneficiary_id = NEW.beneficiary_id;
END;

-- People to call, pauses: the pauses still running on a week's Sunday, recorded by calls
-- or imported, found by their end date; a person's paused calls by person.
CREATE INDEX calls_paused_until ON calls (paused_until, called_at, beneficiary_id) WHERE outcome = 'paused';
CREATE INDEX calls_paused ON calls (beneficiary_id) WHERE outcome = 'paused';
DROP INDEX beneficiaries_paused;
CREATE INDEX beneficiaries_paused ON beneficiaries (paused_until) WHERE paused_until IS NOT NULL;
