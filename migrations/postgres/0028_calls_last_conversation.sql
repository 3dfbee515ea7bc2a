-- Issue 16, under load: the queue shows each person's last conversation. One index
-- seek per person (newest first, LIMIT 1) instead of three scans of all their calls.
CREATE INDEX calls_beneficiary_conversations ON calls (beneficiary_id, called_at, id)
    WHERE outcome IN ('reached_ok', 'reached_need');
