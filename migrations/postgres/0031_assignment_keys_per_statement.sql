-- Issue 15, `lien plan` at national scale: a week's plan writes about a million
-- assignments by `COPY`, and their three foreign keys (campaign, person, caller) were
-- checked one row at a time, by three `SELECT … FOR KEY SHARE` each: 48 % of the `COPY`.
-- The same rules are now checked once per statement, on the statement's transition
-- table, by an anti-join per key. What the foreign keys also did is kept:
--
-- * a row whose campaign, person or caller does not exist is refused, with the
--   foreign-key error (SQLSTATE 23503) and the constraint name of before;
-- * a campaign, person or caller that assignments refer to cannot be deleted (they
--   never are: an erasure anonymises the person in place), nor its id changed;
-- * no concurrent transaction can delete a parent that a new assignment refers to. The
--   foreign key locked each parent row; here a writer of assignments holds a shared
--   transaction-level advisory lock, `lien_assignment_parents_lock()`, from its check
--   to its commit, and a deletion of a parent takes it exclusively before it looks for
--   assignments. In READ COMMITTED (lien's level), the check that follows the lock sees
--   every transaction that held it before; at stricter levels the check also locks the
--   parent rows `FOR KEY SHARE`, as the foreign key did.
ALTER TABLE assignments DROP CONSTRAINT assignments_campaign_id_fkey;
ALTER TABLE assignments DROP CONSTRAINT assignments_beneficiary_id_fkey;
ALTER TABLE assignments DROP CONSTRAINT assignments_caller_id_fkey;

CREATE FUNCTION lien_assignment_parents_lock() RETURNS BIGINT LANGUAGE sql IMMUTABLE AS
$$ SELECT 7308890461283020545::BIGINT $$;

-- The keys of the new rows (`new_rows`, in a statement trigger) or of the changed row
-- (NEW, in a row trigger) whose parent is missing: raises the foreign-key error for the
-- first one. TG_ARGV: column, parent table, constraint, repeated.
CREATE FUNCTION assignments_check_parents() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
            EXECUTE format('SELECT n.%1$I FROM new_rows AS n WHERE NOT EXISTS '
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

-- Inserts: once per statement, on all its rows.
CREATE TRIGGER assignments_parents_insert AFTER INSERT ON assignments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION assignments_check_parents(
        'campaign_id', 'campaigns', 'assignments_campaign_id_fkey',
        'beneficiary_id', 'beneficiaries', 'assignments_beneficiary_id_fkey',
        'caller_id', 'callers', 'assignments_caller_id_fkey');

-- A row trigger limited to the key columns and to rows whose key changed: the calls'
-- updates of attempts and outcomes never run it.
CREATE TRIGGER assignments_parents_update AFTER UPDATE OF campaign_id, beneficiary_id, caller_id
    ON assignments FOR EACH ROW
    WHEN (OLD.campaign_id IS DISTINCT FROM NEW.campaign_id
          OR OLD.beneficiary_id IS DISTINCT FROM NEW.beneficiary_id
          OR OLD.caller_id IS DISTINCT FROM NEW.caller_id)
    EXECUTE FUNCTION assignments_check_parents(
        'campaign_id', 'campaigns', 'assignments_campaign_id_fkey',
        'beneficiary_id', 'beneficiaries', 'assignments_beneficiary_id_fkey',
        'caller_id', 'callers', 'assignments_caller_id_fkey');

-- The parents' side: a deletion (or a change of id, or a TRUNCATE) of a campaign,
-- person or caller that assignments refer to is refused, as the foreign keys' NO ACTION
-- did, after waiting for the writers of assignments in flight. TG_ARGV: the column of
-- `assignments` that refers to this table, the constraint.
CREATE FUNCTION assignments_parent_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    referenced BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(lien_assignment_parents_lock());
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('SELECT a.%I FROM assignments AS a LIMIT 1', TG_ARGV[0]) INTO referenced;
    ELSE
        EXECUTE format('SELECT o.id FROM old_rows AS o WHERE EXISTS '
                       '(SELECT 1 FROM assignments AS a WHERE a.%I = o.id) LIMIT 1', TG_ARGV[0])
            INTO referenced;
    END IF;
    IF referenced IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "assignments"',
                TG_TABLE_NAME, TG_ARGV[1]
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = TG_ARGV[1],
                  TABLE = TG_TABLE_NAME,
                  DETAIL = format('Key (id)=(%s) is still referenced from table "assignments".', referenced);
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER assignments_parent_campaign_deleted AFTER DELETE ON campaigns
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION assignments_parent_deleted('campaign_id', 'assignments_campaign_id_fkey');
CREATE TRIGGER assignments_parent_beneficiary_deleted AFTER DELETE ON beneficiaries
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION assignments_parent_deleted('beneficiary_id', 'assignments_beneficiary_id_fkey');
CREATE TRIGGER assignments_parent_caller_deleted AFTER DELETE ON callers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION assignments_parent_deleted('caller_id', 'assignments_caller_id_fkey');

CREATE TRIGGER assignments_parent_campaign_truncated BEFORE TRUNCATE ON campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION assignments_parent_deleted('campaign_id', 'assignments_campaign_id_fkey');
CREATE TRIGGER assignments_parent_beneficiary_truncated BEFORE TRUNCATE ON beneficiaries
    FOR EACH STATEMENT EXECUTE FUNCTION assignments_parent_deleted('beneficiary_id', 'assignments_beneficiary_id_fkey');
CREATE TRIGGER assignments_parent_caller_truncated BEFORE TRUNCATE ON callers
    FOR EACH STATEMENT EXECUTE FUNCTION assignments_parent_deleted('caller_id', 'assignments_caller_id_fkey');

-- An id is an identity and never changes; if it did, the rows that refer to it would be
-- orphaned: refused like a deletion.
CREATE FUNCTION assignments_parent_id_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "assignments"',
            TG_TABLE_NAME, TG_ARGV[0]
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME,
              DETAIL = 'An id that assignments may refer to cannot change.';
END
$fn$;
CREATE TRIGGER assignments_parent_campaign_id_changed BEFORE UPDATE OF id ON campaigns
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION assignments_parent_id_changed('assignments_campaign_id_fkey');
CREATE TRIGGER assignments_parent_beneficiary_id_changed BEFORE UPDATE OF id ON beneficiaries
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION assignments_parent_id_changed('assignments_beneficiary_id_fkey');
CREATE TRIGGER assignments_parent_caller_id_changed BEFORE UPDATE OF id ON callers
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION assignments_parent_id_changed('assignments_caller_id_fkey');
