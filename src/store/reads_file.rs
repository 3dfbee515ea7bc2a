//! SQLite: the queue's reads recorded in a file of their own beside the database
//! (`lien.db-reads` beside `lien.db`), and moved from there into the audit trail.
//!
//! Every commit to an SQLite file makes each other connection of that file drop its page
//! cache and its memory map at its next read (SQLite cannot know which pages changed).
//! The reads, written before each answer, were most of the database file's commits:
//! under load the queue's other connections spent their time mapping the file again.
//! Written to their own file, they empty no cache of the database's connections
//! (docs/PERFORMANCE.md, "The reads in their own file").
//!
//! One transaction cannot span the two files (in WAL mode SQLite commits each file on
//! its own), so the move is made exact by a mark in the database: `contact_reads_settled`
//! holds the last read moved, written in the same transaction as the audit rows, by a
//! compare-and-set that two settlers cannot both win. Reads at or below the mark are
//! deleted from the reads file afterwards; a stop between the two leaves them there, to
//! be deleted with the next batch or when nothing is left to move, never moved twice.
//!
//! The reads file belongs to one database: it carries the database's own name
//! (`database_id`, made by migration 0036). Before its first use by a process, the file
//! is checked ([`ReadsFile::ready`]):
//! - a new file (the old one lost) is given the name, and its ids start past the mark,
//!   so that no new read is taken for one already moved;
//! - a file that names another database (the database file was replaced, its reads file
//!   left behind) holds reads of people of that other database: they are dropped, with
//!   a warning that says how many, and the file is given this database's name.

use std::sync::Arc;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::SqlitePool;
use tokio::sync::OnceCell;

use super::read_journal::settled_columns;
use super::{query, query_scalar, Store, StoreError};

/// The reads file's tables: the reads (ids never given twice, so that an id at or below
/// the mark is always a read already moved) and the name of the database they belong to.
const SCHEMA: &str = "\
    CREATE TABLE IF NOT EXISTS contact_reads (\
        id              INTEGER PRIMARY KEY AUTOINCREMENT,\
        at              TEXT NOT NULL,\
        user_id         INTEGER,\
        context         TEXT NOT NULL,\
        beneficiary_ids TEXT NOT NULL);\
    CREATE TABLE IF NOT EXISTS reads_owner (\
        only_row    INTEGER PRIMARY KEY CHECK (only_row = 1),\
        database_id TEXT NOT NULL);";

/// The file beside an SQLite database where its queue's reads are recorded: a pool
/// opened at its first use, and checked once per process before it.
#[derive(Debug, Clone)]
pub struct ReadsFile {
    pool: SqlitePool,
    ready: Arc<OnceCell<()>>,
}

impl ReadsFile {
    /// The reads file of the database `options` open: the same settings, the file's
    /// name with `-reads` after it. Nothing is opened or created before the first use.
    pub(super) fn beside(options: &SqliteConnectOptions) -> Self {
        let file = format!("{}-reads", options.get_filename().display());
        let pool = SqlitePoolOptions::new()
            // One writer task records the reads; settling reads them.
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .test_before_acquire(false)
            .after_connect(|conn, _| Box::pin(super::sqlite_lock::install(conn)))
            .connect_lazy_with(options.clone().filename(file));
        Self {
            pool,
            ready: Arc::new(OnceCell::new()),
        }
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }

    /// The store of the reads file, checked against `database` first (once per process).
    async fn ready(&self, database: &Store) -> Result<Store, StoreError> {
        // Its writers (one task) and readers share the file's two connections.
        let side = super::SqliteSide {
            writer: self.pool.clone(),
            reads: None,
        };
        let reads = Store::Sqlite(self.pool.clone(), side);
        self.ready
            .get_or_try_init(|| check_owner(database, &reads))
            .await?;
        Ok(reads)
    }
}

/// Creates the file's tables if needed, gives a new file the database's name, drops the
/// reads of a file that names another database, and moves the file's next id past the
/// database's mark.
async fn check_owner(database: &Store, reads: &Store) -> Result<(), StoreError> {
    let Store::Sqlite(pool, _) = reads else {
        unreachable!("a reads file is SQLite")
    };
    sqlx::raw_sql(SCHEMA).execute(pool).await?;
    let (database_id, up_to): (String, i64) =
        super::query_as("SELECT database_id, up_to FROM contact_reads_settled")
            .fetch_one(database)
            .await?;
    let mut tx = reads.begin().await?;
    let owner: Option<String> = query_scalar("SELECT database_id FROM reads_owner")
        .fetch_optional(&mut tx)
        .await?;
    if owner.as_deref() != Some(database_id.as_str()) {
        if owner.is_some() {
            let dropped = query("DELETE FROM contact_reads")
                .execute(&mut tx)
                .await?
                .rows_affected();
            tracing::warn!(
                dropped,
                "the reads file belonged to another database (the database file was \
                 replaced, not its -reads file): its reads were not this database's"
            );
        }
        query("INSERT OR REPLACE INTO reads_owner (only_row, database_id) VALUES (1, $1)")
            .bind(&database_id)
            .execute(&mut tx)
            .await?;
    }
    // A new file (or one restored from an older copy) would give ids the mark has
    // already passed: its sequence starts at the mark.
    query(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'contact_reads', 0 \
         WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'contact_reads')",
    )
    .execute(&mut tx)
    .await?;
    query("UPDATE sqlite_sequence SET seq = $1 WHERE name = 'contact_reads' AND seq < $1")
        .bind(up_to)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

impl Store {
    /// Where the queue's reads are recorded: on SQLite the reads file's store, checked
    /// before its first use by this process; on PostgreSQL the database itself.
    pub async fn reads_store(&self) -> Result<Store, StoreError> {
        match self {
            Store::Sqlite(_, side) => match &side.reads {
                Some(reads) => reads.ready(self).await,
                None => Ok(self.clone()),
            },
            Store::Postgres(_) => Ok(self.clone()),
        }
    }
}

/// A read waiting in the reads file: id, when, by whom, where, the people's ids as
/// stored.
type WaitingRead = (i64, String, Option<i64>, String, String);

/// One batch of [`Store::settle_contact_reads`] on SQLite: at most `limit` reads past the
/// mark, moved into the audit trail; `None` when another settler moved them first.
pub(super) async fn settle_batch(database: &Store, limit: i64) -> Result<Option<u64>, StoreError> {
    let reads = database.reads_store().await?;
    let up_to: i64 = query_scalar("SELECT up_to FROM contact_reads_settled")
        .fetch_one(database)
        .await?;
    let waiting: Vec<WaitingRead> = super::query_as(
        "SELECT id, at, user_id, context, beneficiary_ids FROM contact_reads \
         WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(up_to)
    .bind(limit)
    .fetch_all(&reads)
    .await?;
    let Some(last) = waiting.last().map(|read| read.0) else {
        // Nothing to move: reads a stop left behind after their move are deleted now
        // (while reads come, each batch's delete takes them with its own).
        forget_moved(&reads, up_to).await?;
        return Ok(Some(0));
    };
    let people = people_shown(&waiting)?;
    let mut tx = database.begin().await?;
    let won = query("UPDATE contact_reads_settled SET up_to = $1 WHERE up_to = $2")
        .bind(last)
        .bind(up_to)
        .execute(&mut tx)
        .await?
        .rows_affected();
    if won == 0 {
        return Ok(None);
    }
    query(SETTLE_SQLITE).bind(people).execute(&mut tx).await?;
    tx.commit().await?;
    forget_moved(&reads, last).await?;
    Ok(Some(waiting.len() as u64))
}

/// Deletes the reads at or below the mark from the reads file (moved already).
async fn forget_moved(reads: &Store, up_to: i64) -> Result<(), StoreError> {
    let mut tx = reads.begin().await?;
    query("DELETE FROM contact_reads WHERE id <= $1")
        .bind(up_to)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The audit trail's rows of a batch, written by the database from one JSON value (one
/// bound value, one statement text whatever the batch): per read, `[at, user, screen,
/// [person, …]]`. An account deleted since the read is written as none, as the foreign
/// key does for older rows. The rows go in the order of the person index
/// (`audit_events_subject`): a batch's rows for one person land in neighbouring entries.
const SETTLE_SQLITE: &str = concat!(
    settled_columns!(),
    "p.value, r.context FROM (SELECT json_extract(j.value, '$[0]') AS at, u.id AS user_id, \
       json_extract(j.value, '$[2]') AS context, json_extract(j.value, '$[3]') AS people \
       FROM json_each($1) j LEFT JOIN users u ON u.id = json_extract(j.value, '$[1]')) r, \
     json_each(r.people) p ORDER BY p.value, r.at"
);

/// The batch as [`SETTLE_SQLITE`] takes it; a read whose people are not a list of ids (a
/// damaged row) stops the batch, named, and stays where it is.
fn people_shown(waiting: &[WaitingRead]) -> Result<String, StoreError> {
    let mut batch = Vec::with_capacity(waiting.len());
    for (id, at, user_id, context, ids) in waiting {
        let people: Result<Vec<i64>, _> = ids.split(',').map(|p| p.trim().parse()).collect();
        let people = people.map_err(|_| {
            StoreError::AuditTrail(format!(
                "the read {id} waiting in contact_reads (the database's -reads file) cannot \
                 be moved into the audit trail: its beneficiary_ids {ids:?} is not a \
                 comma-separated list of ids; mend or delete that row"
            ))
        })?;
        batch.push(serde_json::json!([at, user_id, context, people]));
    }
    Ok(serde_json::Value::Array(batch).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database upgraded to migration 0036 with reads still waiting in its own
    /// `contact_reads`: they are moved into the audit trail, one row per person, and the
    /// table gives way to the mark.
    #[tokio::test]
    async fn the_reads_waiting_in_the_database_are_moved_by_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("up.db").display());
        let store = Store::connect(&url).await.unwrap();
        let Store::Sqlite(pool, _) = &store else {
            unreachable!()
        };
        let before = sqlx::migrate::Migrator {
            migrations: super::super::SQLITE_MIGRATIONS
                .iter()
                .filter(|m| m.version < 36)
                .cloned()
                .collect(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        // With migration 0019's own path (it runs outside a transaction).
        super::super::migrate_sqlite(pool, &before, &[])
            .await
            .unwrap();
        query(
            "INSERT INTO contact_reads (at, user_id, context, beneficiary_ids) VALUES \
             ('2026-12-01T08:00:00+00:00', NULL, 'queue', '5,9000000000'), \
             ('2026-12-01T09:00:00+00:00', NULL, 'api_queue', '5')",
        )
        .execute(&store)
        .await
        .unwrap();
        store.migrate().await.unwrap();
        let rows: Vec<(i64, String, String)> = super::super::query_as(
            "SELECT subject_id, detail, at FROM audit_events \
             WHERE action = 'contact_details_read' ORDER BY subject_id, at",
        )
        .fetch_all(&store)
        .await
        .unwrap();
        let expected = [
            (5, "queue", "2026-12-01T08:00:00+00:00"),
            (5, "api_queue", "2026-12-01T09:00:00+00:00"),
            (9_000_000_000, "queue", "2026-12-01T08:00:00+00:00"),
        ]
        .map(|(id, screen, at)| (id, screen.to_string(), at.to_string()));
        assert_eq!(rows, expected);
        let up_to: i64 = query_scalar("SELECT up_to FROM contact_reads_settled")
            .fetch_one(&store)
            .await
            .unwrap();
        assert_eq!(up_to, 0);
        let left: i64 =
            query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'contact_reads'")
                .fetch_one(&store)
                .await
                .unwrap();
        assert_eq!(left, 0, "the table is gone from the database file");
        store.close().await;
    }

    /// The batch handed to SQLite: each read's time, account, screen and people, as
    /// recorded; a damaged list names the read and the column.
    #[test]
    fn a_batch_is_written_as_one_json_value_and_a_damaged_read_is_named() {
        let read = |id: i64, ids: &str| -> WaitingRead {
            let at = "2026-12-01T08:00:00+00:00".to_string();
            (id, at, Some(3), "queue".into(), ids.into())
        };
        assert_eq!(
            people_shown(&[read(1, "7,9000000000"), read(2, "8")]).unwrap(),
            r#"[["2026-12-01T08:00:00+00:00",3,"queue",[7,9000000000]],["2026-12-01T08:00:00+00:00",3,"queue",[8]]]"#
        );
        let err = people_shown(&[read(1, "7"), read(4, "7,x")]).unwrap_err();
        let said = err.to_string();
        assert!(
            said.contains("read 4") && said.contains("beneficiary_ids"),
            "{said}"
        );
    }
}
