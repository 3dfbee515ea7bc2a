-- Escalation mail (issue 6).
-- After how many unanswered attempts in a row a person counts as unreachable (the caller
-- is shown the relative's number, then an 'unreachable' escalation goes to the
-- territory). NULL: every attempt of two weeks, i.e. 2 x max_attempts_per_week.
ALTER TABLE campaigns ADD COLUMN unreachable_after_attempts INTEGER
    CHECK (unreachable_after_attempts IS NULL OR unreachable_after_attempts BETWEEN 1 AND 100);

-- The mail of an escalation, and the messages a stopped worker left claimed.
CREATE INDEX outbox_escalation ON outbox (escalation_id);
CREATE INDEX outbox_claimed ON outbox (status, claimed_at);
