-- Issue 15, a million people imported: each new person's territory and each new
-- member's campaign were checked by a foreign key, one `SELECT … FOR KEY SHARE` per row,
-- about 3 s and 4.6 s of a first import's `COPY`s. Both keys are now checked once per
-- statement, on its transition table, by the checker of migration 0031 (renamed, as it
-- now serves three tables). What the foreign keys did is kept:
--
-- * a person whose territory does not exist, or a member whose campaign does not, is
--   refused with the foreign-key error (SQLSTATE 23503) and the constraint name of
--   before; a person without a territory is allowed, as before;
-- * a change of a person's territory is checked on that row (a row trigger limited to
--   the column and to rows whose territory changed: other updates never run it);
-- * deleting a territory leaves its people without one (ON DELETE SET NULL), deleting a
--   campaign removes its members (ON DELETE CASCADE); lien does neither, a database
--   administrator may;
-- * no concurrent transaction can delete a parent that a new row refers to: the writers
--   hold 0031's advisory lock shared from their check to their commit, and a deletion
--   takes it exclusively before it acts on the rows that refer to what it deleted.
--
-- The foreign keys inside the register (a phone's or a member's person) stay: a first
-- import drops and rebuilds them itself (`store::deferred_indexes`).
ALTER TABLE beneficiaries DROP CONSTRAINT beneficiaries_territory_id_fkey;
ALTER TABLE campaign_members DROP CONSTRAINT campaign_members_campaign_id_fkey;

-- 0031's checker, for nullable keys too: a row whose key is NULL refers to nothing and is
-- not a missing parent (it hid a real one behind it in `LIMIT 1`).
CREATE OR REPLACE FUNCTION assignments_check_parents() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    i INT := 0;
    key BIGINT;
    missing BIGINT;
    lock_rows BOOLEAN := current_setting('transaction_isolation') <> 'read committed';
BEGIN
    PERFORM pg_advisory_xact_lock_shared(lien_assignment_parents_lock());
    WHILE i < TG_NARGS LOOP
        IF TG_LEVEL = 'ROW' THEN
            key := (to_jsonb(NEW) ->> TG_ARGV[i])::BIGINT;
            IF lock_rows THEN
                EXECUTE format('SELECT 1 FROM %I AS p WHERE p.id = $1 FOR KEY SHARE OF p',
                               TG_ARGV[i + 1]) USING key;
            END IF;
            EXECUTE format('SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM %I AS p WHERE p.id = $1)',
                           TG_ARGV[i + 1])
                INTO missing USING key;
        ELSE
            IF lock_rows THEN
                EXECUTE format('SELECT 1 FROM %2$I AS p WHERE p.id IN (SELECT n.%1$I FROM new_rows AS n) '
                               'FOR KEY SHARE OF p', TG_ARGV[i], TG_ARGV[i + 1]);
            END IF;
            EXECUTE format('SELECT n.%1$I FROM new_rows AS n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
                           '(SELECT 1 FROM %2$I AS p WHERE p.id = n.%1$I) LIMIT 1',
                           TG_ARGV[i], TG_ARGV[i + 1])
                INTO missing;
        END IF;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"',
                    TG_TABLE_NAME, TG_ARGV[i + 2]
                USING ERRCODE = 'foreign_key_violation',
                      CONSTRAINT = TG_ARGV[i + 2],
                      TABLE = TG_TABLE_NAME,
                      DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                                      TG_ARGV[i], missing, TG_ARGV[i + 1]);
        END IF;
        i := i + 3;
    END LOOP;
    RETURN NULL;
END
$fn$;
ALTER FUNCTION assignments_check_parents() RENAME TO lien_check_parents;

CREATE TRIGGER beneficiaries_territory_insert AFTER INSERT ON beneficiaries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION lien_check_parents('territory_id', 'territories', 'beneficiaries_territory_id_fkey');
CREATE TRIGGER beneficiaries_territory_update AFTER UPDATE OF territory_id ON beneficiaries
    FOR EACH ROW WHEN (NEW.territory_id IS NOT NULL AND OLD.territory_id IS DISTINCT FROM NEW.territory_id)
    EXECUTE FUNCTION lien_check_parents('territory_id', 'territories', 'beneficiaries_territory_id_fkey');

CREATE TRIGGER campaign_members_campaign_insert AFTER INSERT ON campaign_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION lien_check_parents('campaign_id', 'campaigns', 'campaign_members_campaign_id_fkey');
CREATE TRIGGER campaign_members_campaign_update AFTER UPDATE OF campaign_id ON campaign_members
    FOR EACH ROW WHEN (OLD.campaign_id IS DISTINCT FROM NEW.campaign_id)
    EXECUTE FUNCTION lien_check_parents('campaign_id', 'campaigns', 'campaign_members_campaign_id_fkey');

-- The parents' side: what the foreign keys' ON DELETE did, once per statement, after
-- waiting for the writers in flight. TG_ARGV: the child table, its column, and
-- 'set null' or 'cascade'. A TRUNCATE of the parent acts on every child row.
CREATE FUNCTION lien_parent_deleted_act() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    rows_of_deleted TEXT := CASE WHEN TG_OP = 'TRUNCATE'
        THEN format('c.%I IS NOT NULL', TG_ARGV[1])
        ELSE format('c.%I IN (SELECT o.id FROM old_rows AS o)', TG_ARGV[1]) END;
BEGIN
    PERFORM pg_advisory_xact_lock(lien_assignment_parents_lock());
    IF TG_ARGV[2] = 'cascade' THEN
        EXECUTE format('DELETE FROM %I AS c WHERE %s', TG_ARGV[0], rows_of_deleted);
    ELSE
        EXECUTE format('UPDATE %1$I AS c SET %2$I = NULL WHERE %3$s',
                       TG_ARGV[0], TG_ARGV[1], rows_of_deleted);
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER beneficiaries_territory_deleted AFTER DELETE ON territories
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION lien_parent_deleted_act('beneficiaries', 'territory_id', 'set null');
CREATE TRIGGER beneficiaries_territory_truncated BEFORE TRUNCATE ON territories
    FOR EACH STATEMENT EXECUTE FUNCTION lien_parent_deleted_act('beneficiaries', 'territory_id', 'set null');
CREATE TRIGGER campaign_members_campaign_deleted AFTER DELETE ON campaigns
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION lien_parent_deleted_act('campaign_members', 'campaign_id', 'cascade');
CREATE TRIGGER campaign_members_campaign_truncated BEFORE TRUNCATE ON campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION lien_parent_deleted_act('campaign_members', 'campaign_id', 'cascade');

-- An id is an identity and never changes: 0031's refusal, now naming the table that
-- refers to it (TG_ARGV[1], assignments when absent), for territories too, as the
-- foreign key's ON UPDATE NO ACTION would have refused it for a territory with people.
CREATE OR REPLACE FUNCTION assignments_parent_id_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    child TEXT := COALESCE(TG_ARGV[1], 'assignments');
BEGIN
    RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "%"',
            TG_TABLE_NAME, TG_ARGV[0], child
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME,
              DETAIL = format('An id that %s may refer to cannot change.', child);
END
$fn$;
ALTER FUNCTION assignments_parent_id_changed() RENAME TO lien_parent_id_changed;
CREATE TRIGGER beneficiaries_territory_id_changed BEFORE UPDATE OF id ON territories
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION lien_parent_id_changed('beneficiaries_territory_id_fkey', 'beneficiaries');
