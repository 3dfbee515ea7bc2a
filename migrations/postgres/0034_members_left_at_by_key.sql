-- Issue 15: the members' `left_at` trigger of migration 0030 updated the new members who
-- are not active with one `UPDATE … FROM` joined to `campaign_members`. PL/pgSQL plans
-- that statement once per session and keeps the plan; planned when the table was
-- small (the first chunk of an import), the plan read the whole of `campaign_members`
-- by a hash join at every later statement, and a million-person import spent 15 s
-- there, growing with the square of the file. The new members who are not active are
-- now found as before (each by primary key, among the people who are not active), and
-- each is updated by its primary key: a plan that stays right whatever the tables'
-- sizes. Most imports find none, and update nothing.
CREATE OR REPLACE FUNCTION campaign_members_set_left_at() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    r RECORD;
BEGIN
    -- OFFSET 0 keeps the lookup per member: joined whole, the planner may scan every
    -- person once per statement.
    FOR r IN
        SELECT n.campaign_id, n.beneficiary_id, b.left_at
          FROM new_rows AS n
         CROSS JOIN LATERAL (
               SELECT COALESCE(p.status_changed_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS left_at
                 FROM beneficiaries AS p
                WHERE p.id = n.beneficiary_id AND p.status <> 'active'
               OFFSET 0) AS b
    LOOP
        UPDATE campaign_members
           SET left_at = r.left_at
         WHERE campaign_id = r.campaign_id AND beneficiary_id = r.beneficiary_id;
    END LOOP;
    RETURN NULL;
END
$fn$;
