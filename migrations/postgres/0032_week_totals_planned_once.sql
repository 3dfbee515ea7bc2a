-- Issue 16: the weekly totals' trigger on `assignments` (migration 0008) ran its
-- grouped upsert with EXECUTE, so PostgreSQL parsed and planned it again for every
-- statement that wrote assignments: every call recorded (one UPDATE of one row) paid a
-- full plan of a fourteen-column grouped upsert. Under `POST /api/calls` the trigger was
-- a third of PostgreSQL's time, and planning it 8 % of the machine's (`perf record -a`,
-- docs/PERFORMANCE.md). A PL/pgSQL function can read its trigger's transition tables
-- in plain statements, and it keeps their plans for the session: the function below is
-- the same three statements, written into its body once, here, from the same
-- `week_caller_totals_sql` text (one definition of what an assignment counts for).
DO $do$
BEGIN
    EXECUTE format($create$
CREATE OR REPLACE FUNCTION assignments_keep_week_totals() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
        %s;
    ELSIF TG_OP = 'DELETE' THEN
        %s;
    ELSE
        %s;
    END IF;
    RETURN NULL;
END
$body$
$create$,
        week_caller_totals_sql('SELECT 1 AS sign, * FROM new_rows'),
        week_caller_totals_sql('SELECT -1 AS sign, * FROM old_rows'),
        week_caller_totals_sql(
            'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1 AS sign, * FROM old_rows'));
END
$do$;
