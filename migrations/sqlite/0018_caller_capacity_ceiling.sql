-- Issue 13, caller self-service (/moi): the capacity the coordinator set, kept when a
-- caller lowers their own weekly capacity. NULL: the current weekly_capacity is the
-- ceiling (the coordinator's figure). A coordinator's edit resets it to NULL.
ALTER TABLE callers ADD COLUMN capacity_ceiling INTEGER CHECK (capacity_ceiling IS NULL OR capacity_ceiling >= 0);
