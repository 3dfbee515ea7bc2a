-- Weekly totals (issue 7): a summary of each assignment's calls, kept by
-- Store::record_call in the same transaction as the call, so that a week's totals
-- read one row per assignment instead of scanning the calls.
--   last_outcome     outcome of the assignment's latest call
--   last_called_at   when that call was made
--   reached_at       first call whose outcome counts as "reached" (Outcome::is_reached)
--   conversation_at  first call that was a conversation (reached_ok, reached_need)
ALTER TABLE assignments ADD COLUMN last_outcome TEXT CHECK (last_outcome IS NULL OR last_outcome IN ('reached_ok',
    'reached_need', 'no_answer', 'voicemail', 'busy', 'wrong_number', 'refused', 'opt_out', 'paused', 'deceased',
    'callback'));
ALTER TABLE assignments ADD COLUMN last_called_at TEXT;
ALTER TABLE assignments ADD COLUMN reached_at TEXT;
ALTER TABLE assignments ADD COLUMN conversation_at TEXT;

-- Calls recorded before this migration.
UPDATE assignments SET
    last_outcome = (SELECT c.outcome FROM calls c WHERE c.assignment_id = assignments.id
                    ORDER BY c.called_at DESC, c.id DESC LIMIT 1),
    last_called_at = (SELECT MAX(c.called_at) FROM calls c WHERE c.assignment_id = assignments.id),
    reached_at = (SELECT MIN(c.called_at) FROM calls c WHERE c.assignment_id = assignments.id
                  AND c.outcome IN ('reached_ok', 'reached_need', 'refused', 'opt_out', 'callback', 'paused')),
    conversation_at = (SELECT MIN(c.called_at) FROM calls c WHERE c.assignment_id = assignments.id
                       AND c.outcome IN ('reached_ok', 'reached_need'))
WHERE EXISTS (SELECT 1 FROM calls c WHERE c.assignment_id = assignments.id);

-- The week's rows of a campaign, grouped by caller, without touching the table.
CREATE INDEX assignments_week_totals ON assignments (campaign_id, week, caller_id, status, attempts, last_outcome,
    reached_at, conversation_at);
-- Time given: a caller's calls over a period.
CREATE INDEX calls_caller_called_at ON calls (caller_id, called_at);
-- Who was enrolled before a week ended; the few people who are not active or paused.
CREATE INDEX campaign_members_added ON campaign_members (campaign_id, added_at);
CREATE INDEX beneficiaries_not_active ON beneficiaries (id) WHERE status <> 'active';
CREATE INDEX beneficiaries_paused ON beneficiaries (id) WHERE paused_until IS NOT NULL;
