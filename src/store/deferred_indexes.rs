//! A large bulk insert builds a table's secondary indexes once, after its rows, rather
//! than entry by entry. Inserting a million people into `beneficiaries` updates the
//! identity index at random places (a page read, changed and written back per row once
//! the index outgrows the cache); `CREATE INDEX` sorts the keys and writes each page
//! once.
//!
//! **SQLite**: the indexes are dropped and created again *inside the caller's
//! transaction*: other connections keep reading the last committed schema, indexes
//! included (WAL snapshot), and a rollback or a crash gives the indexes back with the
//! rows. The definitions are read from `sqlite_master`, so an index a later migration
//! adds is kept as written. Indexes that back a constraint (`UNIQUE`, primary keys:
//! SQLite's `sqlite_autoindex_*`, which have no SQL) stay, and so does every check they
//! make. A row trigger may be dropped the same way ([`Deferred::drop_trigger`]): it is
//! created again after the indexes, once the caller has done its work for every row
//! written meanwhile (the members' `left_at`, one statement instead of a lookup per
//! member).
//!
//! **PostgreSQL**: `DROP INDEX` there locks the table against readers until the import
//! commits, so it is done only for an *empty* register ([`worth_taking`]), whose tables
//! nobody has anything to read from yet, and only if the lock comes within
//! [`LOCK_WAIT`] (otherwise the import writes as usual). Besides the secondary indexes,
//! the foreign keys *between* the tables taken are dropped and added again at the end:
//! PostgreSQL checks a foreign key one row at a time (a `SELECT … FOR KEY SHARE` per
//! row: more than the indexes cost), `ADD CONSTRAINT` checks every row with one join.
//! Foreign keys to other tables (import batches …) stay: dropping one would lock the
//! table it refers to, and with it the whole application (a person's territory and a
//! member's campaign are checked once per statement by triggers, migration 0035). Indexes that back a
//! constraint, and unique indexes, stay too, with every check they make; so do the
//! triggers, and the partial indexes: they hold few of the new rows (the people who are
//! not active, the phones marked wrong …), and the triggers that run during the import
//! read by them (the members' `left_at` looks each new member up among the people who
//! are not active: without that index, a million-person import took 15 s longer). A
//! rollback or a crash gives everything back (PostgreSQL's schema changes are
//! transactional).

use sqlx::{PgConnection, SqliteConnection};

use super::StoreError;

/// Below this many new rows, inserting into the indexes as they are costs less than
/// building them again over the whole table.
pub(super) const LEAST_ROWS: usize = 50_000;

/// Whether `new_rows` added to `stored_rows` are worth building the indexes again: at
/// least [`LEAST_ROWS`], and at least as many as the table holds (the rebuild reads the
/// whole table: the stored rows as well as the new ones).
pub(super) fn worth_deferring(new_rows: usize, stored_rows: usize) -> bool {
    new_rows >= LEAST_ROWS && new_rows >= stored_rows
}

/// PostgreSQL: whether to take the register's tables for a large first import. Only
/// when no person is stored at all: the lock keeps every reader of the tables waiting
/// until the import commits.
pub(super) fn worth_taking(new_rows: usize, stored_rows: usize) -> bool {
    new_rows >= LEAST_ROWS && stored_rows == 0
}

/// How long a large first import on PostgreSQL waits for the register's tables before it
/// writes into them as they are.
pub(super) const LOCK_WAIT: &str = "2s";

/// PostgreSQL's "lock not available" (a `lock_timeout` reached).
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// The secondary indexes of some tables (and on PostgreSQL their foreign keys to one
/// another), dropped until [`Deferred::rebuild`]; on SQLite, row triggers dropped until
/// [`Triggers::create`].
#[derive(Debug, Default)]
pub(super) struct Deferred {
    /// `CREATE INDEX …` statements (SQLite: as `sqlite_master` holds them), then on
    /// PostgreSQL `ALTER TABLE … ADD CONSTRAINT …` statements.
    definitions: Vec<String>,
    /// SQLite: (name, `CREATE TRIGGER …` statement as `sqlite_master` holds it).
    triggers: Vec<(String, String)>,
}

/// SQLite: triggers dropped for a bulk insert, to be created again once their work is
/// done for every row at once ([`Deferred::rebuild`] gives them back).
#[derive(Debug)]
#[must_use = "the triggers must be created again before the transaction commits"]
pub(super) struct Triggers(Vec<(String, String)>);

impl Triggers {
    /// Whether the trigger `name` was dropped.
    pub fn dropped(&self, name: &str) -> bool {
        self.0.iter().any(|(dropped, _)| dropped == name)
    }

    /// Creates the triggers again, as they were.
    pub async fn create(self, conn: &mut SqliteConnection) -> Result<(), StoreError> {
        for (_, sql) in self.0 {
            sqlx::query(&sql).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

impl Deferred {
    /// Drops the secondary indexes of `tables` (those with a definition of their own).
    pub async fn drop_indexes(
        conn: &mut SqliteConnection,
        tables: &[&str],
    ) -> Result<Self, StoreError> {
        let mut definitions = Vec::new();
        for table in tables {
            let found: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, sql FROM sqlite_master \
                 WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await?;
            for (name, sql) in found {
                sqlx::query(&format!("DROP INDEX {}", quoted(&name)))
                    .execute(&mut *conn)
                    .await?;
                definitions.push(sql);
            }
        }
        Ok(Self {
            definitions,
            ..Self::default()
        })
    }

    /// SQLite: drops the trigger `name` too (if there is one), kept to be created
    /// again after the indexes. The caller does its work for the rows written meanwhile.
    pub async fn drop_trigger(
        &mut self,
        conn: &mut SqliteConnection,
        name: &str,
    ) -> Result<(), StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
        )
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(sql) = found {
            sqlx::query(&format!("DROP TRIGGER {}", quoted(name)))
                .execute(&mut *conn)
                .await?;
            self.triggers.push((name.to_string(), sql));
        }
        Ok(())
    }

    /// Creates the dropped indexes again, over every row now in the tables; gives back
    /// the dropped triggers, to create once their work is done.
    pub async fn rebuild(self, conn: &mut SqliteConnection) -> Result<Triggers, StoreError> {
        tracing::debug!(indexes = self.len(), "building the deferred indexes");
        for sql in self.definitions {
            sqlx::query(&sql).execute(&mut *conn).await?;
        }
        Ok(Triggers(self.triggers))
    }

    /// PostgreSQL: locks `tables` (waiting at most [`LOCK_WAIT`]), then drops their
    /// secondary indexes and the foreign keys between them. `None`, and nothing
    /// changed, when the lock did not come in time.
    pub async fn take_tables(
        conn: &mut PgConnection,
        tables: &[&str],
    ) -> Result<Option<Self>, StoreError> {
        if !lock_tables(conn, tables).await? {
            return Ok(None);
        }
        // Statements written by the server, names quoted by it: (drop, create again).
        let found: Vec<(String, String)> = sqlx::query_as(PG_DEFERRABLE)
            .bind(tables)
            .fetch_all(&mut *conn)
            .await?;
        let mut definitions = Vec::with_capacity(found.len());
        for (drop, create) in found {
            sqlx::query(&drop).execute(&mut *conn).await?;
            definitions.push(create);
        }
        Ok(Some(Self {
            definitions,
            ..Self::default()
        }))
    }

    /// PostgreSQL: creates the indexes again and adds the foreign keys back (each
    /// checked over every row by one join), with room to sort in memory.
    pub async fn rebuild_pg(self, conn: &mut PgConnection) -> Result<(), StoreError> {
        tracing::debug!(
            statements = self.len(),
            "building the deferred indexes and keys"
        );
        sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
            .execute(&mut *conn)
            .await?;
        for sql in self.definitions {
            sqlx::query(&sql).execute(&mut *conn).await?;
        }
        sqlx::query("SET LOCAL maintenance_work_mem TO DEFAULT")
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// How many indexes wait to be built.
    pub fn len(&self) -> usize {
        self.definitions.len()
    }
}

/// A name quoted for SQLite's SQL.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The secondary indexes of the tables `$1` (neither unique, nor partial, nor backing a
/// constraint), then the foreign keys between them: each as the statement that drops it
/// and the one that creates it again, indexes first (they are created first: the keys'
/// checks use them).
const PG_DEFERRABLE: &str = "\
    SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid) \
      FROM pg_index AS i \
     WHERE i.indrelid = ANY ($1::text[]::regclass[]) AND NOT i.indisunique \
       AND i.indpred IS NULL \
       AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid) \
    UNION ALL \
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname), \
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, \
                  pg_get_constraintdef(c.oid)) \
      FROM pg_constraint AS c \
     WHERE c.contype = 'f' AND c.conrelid = ANY ($1::text[]::regclass[]) \
       AND c.confrelid = ANY ($1::text[]::regclass[])";

/// Takes `tables` in `ACCESS EXCLUSIVE` mode, waiting at most [`LOCK_WAIT`]; `false`
/// (the transaction as it was) when they are busy.
async fn lock_tables(conn: &mut PgConnection, tables: &[&str]) -> Result<bool, StoreError> {
    sqlx::query("SAVEPOINT deferred_indexes")
        .execute(&mut *conn)
        .await?;
    sqlx::query(&format!("SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
        .execute(&mut *conn)
        .await?;
    let lock = format!("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", tables.join(", "));
    let taken = match sqlx::query(&lock).execute(&mut *conn).await {
        Ok(_) => true,
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(LOCK_NOT_AVAILABLE) => {
            tracing::info!(
                "the register's tables are busy: the import writes into them as they are"
            );
            false
        }
        Err(e) => return Err(e.into()),
    };
    let end = if taken {
        "RELEASE SAVEPOINT deferred_indexes"
    } else {
        "ROLLBACK TO SAVEPOINT deferred_indexes"
    };
    sqlx::query(end).execute(&mut *conn).await?;
    sqlx::query("SET LOCAL lock_timeout TO DEFAULT")
        .execute(&mut *conn)
        .await?;
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_large_insert_into_a_smaller_table_rebuilds() {
        assert!(worth_deferring(1_000_000, 0));
        assert!(worth_deferring(LEAST_ROWS, LEAST_ROWS));
        assert!(!worth_deferring(LEAST_ROWS - 1, 0));
        // A re-import: nothing new, or a few new beside a million stored.
        assert!(!worth_deferring(0, 1_000_000));
        assert!(!worth_deferring(100_000, 1_000_000));
        // A second département's file beside the first.
        assert!(worth_deferring(600_000, 500_000));
    }

    #[test]
    fn postgres_takes_the_tables_only_of_an_empty_register() {
        assert!(worth_taking(1_000_000, 0));
        assert!(worth_taking(LEAST_ROWS, 0));
        assert!(!worth_taking(LEAST_ROWS - 1, 0));
        // Someone is stored: their readers must not wait for the import.
        assert!(!worth_taking(1_000_000, 1));
        assert!(!worth_taking(600_000, 500_000));
    }

    /// The schema's objects of one type (`index`, `trigger`): name and definition.
    async fn objects(conn: &mut SqliteConnection, kind: &str) -> Vec<(String, Option<String>)> {
        sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = ?1 ORDER BY name")
            .bind(kind)
            .fetch_all(conn)
            .await
            .unwrap()
    }

    async fn schema(conn: &mut SqliteConnection) -> Vec<(String, Option<String>)> {
        objects(conn, "index").await
    }

    #[tokio::test]
    async fn indexes_come_back_as_they_were_and_a_rollback_keeps_them() {
        use sqlx::{Connection, Executor};
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        conn.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, a TEXT, b INTEGER); \
             CREATE INDEX t_a ON t (a); CREATE INDEX t_b_partial ON t (b) WHERE b > 0;",
        )
        .await
        .unwrap();
        let before = schema(&mut conn).await;
        assert_eq!(before.len(), 3, "{before:?}");

        conn.execute("BEGIN").await.unwrap();
        let deferred = Deferred::drop_indexes(&mut conn, &["t"]).await.unwrap();
        assert_eq!(deferred.len(), 2);
        // The UNIQUE constraint's index stays, and still refuses a duplicate.
        let during = schema(&mut conn).await;
        assert_eq!(during.len(), 1);
        assert!(during[0].0.starts_with("sqlite_autoindex_t"));
        conn.execute("INSERT INTO t (k, a, b) VALUES ('x', 'a', 1)")
            .await
            .unwrap();
        assert!(conn
            .execute("INSERT INTO t (k, a, b) VALUES ('x', 'b', 2)")
            .await
            .is_err());
        let triggers = deferred.rebuild(&mut conn).await.unwrap();
        assert!(!triggers.dropped("t_log"));
        triggers.create(&mut conn).await.unwrap();
        conn.execute("COMMIT").await.unwrap();
        assert_eq!(schema(&mut conn).await, before);

        conn.execute("BEGIN").await.unwrap();
        Deferred::drop_indexes(&mut conn, &["t"]).await.unwrap();
        conn.execute("ROLLBACK").await.unwrap();
        assert_eq!(schema(&mut conn).await, before);
    }

    async fn log(conn: &mut SqliteConnection) -> Vec<i64> {
        sqlx::query_scalar("SELECT id FROM log ORDER BY id")
            .fetch_all(conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_trigger_dropped_comes_back_as_it_was_and_a_rollback_keeps_it() {
        use sqlx::{Connection, Executor};
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        conn.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX t_a ON t (a); \
             CREATE TABLE log (id INTEGER); \
             CREATE TRIGGER \"t log\" AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.id); END;",
        )
        .await
        .unwrap();
        let before = objects(&mut conn, "trigger").await;

        conn.execute("BEGIN").await.unwrap();
        let mut deferred = Deferred::drop_indexes(&mut conn, &["t"]).await.unwrap();
        deferred.drop_trigger(&mut conn, "t log").await.unwrap();
        // A trigger that is not there is no error, and nothing to create again.
        deferred.drop_trigger(&mut conn, "absent").await.unwrap();
        conn.execute("INSERT INTO t (a) VALUES ('during')")
            .await
            .unwrap();
        assert_eq!(log(&mut conn).await, Vec::<i64>::new(), "dropped meanwhile");
        let triggers = deferred.rebuild(&mut conn).await.unwrap();
        assert!(triggers.dropped("t log"));
        assert!(!triggers.dropped("absent"));
        triggers.create(&mut conn).await.unwrap();
        conn.execute("INSERT INTO t (a) VALUES ('after')")
            .await
            .unwrap();
        conn.execute("COMMIT").await.unwrap();
        assert_eq!(log(&mut conn).await, vec![2]);
        assert_eq!(objects(&mut conn, "trigger").await, before);

        conn.execute("BEGIN").await.unwrap();
        let mut deferred = Deferred::drop_indexes(&mut conn, &["t"]).await.unwrap();
        deferred.drop_trigger(&mut conn, "t log").await.unwrap();
        conn.execute("ROLLBACK").await.unwrap();
        conn.execute("INSERT INTO t (a) VALUES ('rolled back')")
            .await
            .unwrap();
        assert_eq!(log(&mut conn).await, vec![2, 3]);
    }
}
