//! SQLite: a large bulk insert builds a table's secondary indexes once, after its rows,
//! rather than entry by entry. Inserting a million people into `beneficiaries` updates
//! the identity index at random places (a page read, changed and written back per row
//! once the index outgrows the page cache); `CREATE INDEX` sorts the keys and writes each
//! page once.
//!
//! The indexes are dropped and created again *inside the caller's transaction*: other
//! connections keep reading the last committed schema, indexes included (WAL snapshot),
//! and a rollback or a crash gives the indexes back with the rows. The definitions are
//! read from `sqlite_master`, so an index a later migration adds is kept as written.
//! Indexes that back a constraint (`UNIQUE`, primary keys: SQLite's `sqlite_autoindex_*`,
//! which have no SQL) stay, and so does every check they make.
//!
//! PostgreSQL is never asked: `DROP INDEX` there locks the table against readers until
//! the import commits.

use sqlx::SqliteConnection;

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

/// The secondary indexes of some tables, dropped until [`Deferred::rebuild`].
#[derive(Debug, Default)]
pub(super) struct Deferred {
    /// `CREATE INDEX …` statements, as `sqlite_master` holds them.
    definitions: Vec<String>,
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
                sqlx::query(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
                    .execute(&mut *conn)
                    .await?;
                definitions.push(sql);
            }
        }
        Ok(Self { definitions })
    }

    /// Creates the dropped indexes again, over every row now in the tables.
    pub async fn rebuild(self, conn: &mut SqliteConnection) -> Result<(), StoreError> {
        tracing::debug!(indexes = self.len(), "building the deferred indexes");
        for sql in self.definitions {
            sqlx::query(&sql).execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// How many indexes wait to be built.
    pub fn len(&self) -> usize {
        self.definitions.len()
    }
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

    async fn schema(conn: &mut SqliteConnection) -> Vec<(String, Option<String>)> {
        sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
            .fetch_all(conn)
            .await
            .unwrap()
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
        deferred.rebuild(&mut conn).await.unwrap();
        conn.execute("COMMIT").await.unwrap();
        assert_eq!(schema(&mut conn).await, before);

        conn.execute("BEGIN").await.unwrap();
        Deferred::drop_indexes(&mut conn, &["t"]).await.unwrap();
        conn.execute("ROLLBACK").await.unwrap();
        assert_eq!(schema(&mut conn).await, before);
    }
}
