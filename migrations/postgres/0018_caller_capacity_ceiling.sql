-- Issue 13, caller self-service (/moi): the capacity the coordinator set, kept when a
-- caller lowers their own weekly capacity. NULL: the current weekly_capacity is the
-- ceiling (the coordinator's figure). A coordinator's edit resets it to NULL.
ALTER TABLE callers ADD COLUMN capacity_ceiling INTEGER CHECK (capacity_ceiling IS NULL OR capacity_ceiling >= 0);
-- The caller's choice of the weekly mail "your list for week W is ready: N people",
-- queued in the outbox when a week's plan is recorded. Off until the caller opts in.
ALTER TABLE callers ADD COLUMN weekly_list_mail BOOLEAN NOT NULL DEFAULT FALSE;
