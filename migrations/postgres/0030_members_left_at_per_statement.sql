-- Issue 15, import at national scale: a member's `left_at` (migration 0008) was set by a
-- BEFORE INSERT row trigger, a PL/pgSQL call and a lookup of the person for every row:
-- a quarter of the time of a million-person first import. It is now set once per
-- INSERT statement, from its transition table, and only for the members who are not
-- active (an active member's `left_at` stays NULL, as before).
DROP TRIGGER campaign_members_left_at ON campaign_members;
DROP FUNCTION campaign_members_set_left_at();

CREATE FUNCTION campaign_members_set_left_at() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    -- Each new member's person by primary key (OFFSET 0 keeps the lookup per member:
    -- joined whole, the planner may scan every person once per statement, which an
    -- import makes once per chunk).
    UPDATE campaign_members AS m
       SET left_at = x.left_at
      FROM (SELECT n.campaign_id, n.beneficiary_id, b.left_at
              FROM new_rows AS n
             CROSS JOIN LATERAL (
                   SELECT COALESCE(p.status_changed_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS left_at
                     FROM beneficiaries AS p
                    WHERE p.id = n.beneficiary_id AND p.status <> 'active'
                   OFFSET 0) AS b) AS x
     WHERE m.campaign_id = x.campaign_id
       AND m.beneficiary_id = x.beneficiary_id;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER campaign_members_left_at AFTER INSERT ON campaign_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_members_set_left_at();
