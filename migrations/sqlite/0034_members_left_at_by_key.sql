-- Issue 15: PostgreSQL's twin of this migration updates each new member who is not
-- active by primary key, instead of a join whose plan PL/pgSQL kept from the first,
-- small chunk of an import. SQLite's row trigger (migration 0008) already looks each
-- member up by primary key: nothing to change here.
SELECT 1;
