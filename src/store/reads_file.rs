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
//! compare-and-set that two settlers cannot both win. The reads are moved a slice per
//! transaction, smaller while calls are recorded ([`settle`]); those at or below the
//! mark are deleted from the reads file at the end of the settling; a stop between the
//! two leaves them there, to be deleted at the end of the next one, never moved twice.
//!
//! The reads file belongs to one database: it carries the database's own name
//! (`database_id`, made by migration 0036). Before its first use by a process, the file
//! is checked ([`ReadsFile::ready`]):
//! - a new file (the old one lost) is given the name, and its ids start past the mark,
//!   so that no new read is taken for one already moved;
//! - a file that names another database (the database file was replaced, its reads file
//!   left behind) holds reads of people of that other database: they are dropped, with
//!   a warning that says how many, and the file is given this database's name.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::SqlitePool;
use tokio::sync::OnceCell;

use super::people_shown::{self, ShownSet};
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
    /// Its write transactions, on a connection of the pool kept between them.
    writer: super::writer_connection::Writer,
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
            writer: super::writer_connection::Writer::new(pool.clone()),
            pool,
            ready: Arc::new(OnceCell::new()),
        }
    }

    /// Closes the file's pool, which its readers and its writer share.
    pub(super) async fn close(&self) {
        self.writer.close().await;
    }

    /// The store of the reads file, checked against `database` first (once per process).
    async fn ready(&self, database: &Store) -> Result<Store, StoreError> {
        // Its writers (one task) and readers share the file's two connections.
        let side = super::SqliteSide {
            writer: self.writer.clone(),
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

/// Reads taken from the reads file at a time, then moved a slice per transaction.
const FETCH: i64 = 2_000;

/// Reads moved per write transaction while other write transactions come (calls
/// recorded): they wait for the database's turn no longer than one such transaction.
/// When a read was 30 audit rows, 500 at a time held the turn 70–120 ms (p99) under the
/// mixed load; made smaller by reading the mark and deleting what was moved at every
/// step, it fell behind the reads (docs/PERFORMANCE.md, "The settling in slices"). A
/// read is now one row and its set's people are written once (migration 0037).
const READS_WHILE_OTHERS_WRITE: usize = 100;

/// Reads moved per write transaction while no other write comes: every commit empties
/// the readers' page caches, so fewer, larger ones (the queue's reads alone, 100 at a
/// time, fell behind them).
pub(super) const READS_PER_TRANSACTION: usize = 500;

/// [`Store::settle_contact_reads`] on SQLite: every read past the mark moved into the
/// audit trail, a slice per transaction on the writer thread (each of
/// [`READS_WHILE_OTHERS_WRITE`] when another write began during the slice before, else
/// of [`READS_PER_TRANSACTION`]), the mark read once and kept; the reads moved deleted
/// from the reads file at the end. Returns the number of reads moved.
pub(super) async fn settle(database: &Store) -> Result<u64, StoreError> {
    let reads = database.reads_store().await?;
    let mut mark = settled_mark(database).await?;
    let mut moved = 0;
    let mut others_write = true;
    loop {
        let waiting = waiting_reads(&reads, mark).await?;
        let mut rest = &waiting[..];
        while !rest.is_empty() {
            let size = if others_write {
                READS_WHILE_OTHERS_WRITE
            } else {
                READS_PER_TRANSACTION
            };
            let (slice, after) = rest.split_at(size.min(rest.len()));
            let before = turns_asked(database);
            let Some(last) = move_slice(database, mark, slice).await? else {
                // Another settler moved these first: on from its mark.
                mark = settled_mark(database).await?;
                break;
            };
            // Its own turn is one of those asked for meanwhile.
            others_write = turns_asked(database) > before + 1;
            (mark, rest) = (last, after);
            moved += slice.len() as u64;
        }
        if rest.is_empty() && (waiting.len() as i64) < FETCH {
            break;
        }
    }
    // Reads at or below the mark, moved by this round or a stop's, leave the file.
    forget_moved(&reads, mark).await?;
    Ok(moved)
}

/// The write turns asked for on the database file so far ([`super::sqlite_lock`]).
fn turns_asked(database: &Store) -> u64 {
    match database {
        Store::Sqlite(pool, _) => super::sqlite_lock::turns_asked(pool),
        Store::Postgres(_) => 0,
    }
}

/// The last read moved into the audit trail.
async fn settled_mark(database: &Store) -> Result<i64, StoreError> {
    Ok(query_scalar("SELECT up_to FROM contact_reads_settled")
        .fetch_one(database)
        .await?)
}

/// The next [`FETCH`] reads past the mark, oldest first.
async fn waiting_reads(reads: &Store, mark: i64) -> Result<Vec<WaitingRead>, StoreError> {
    Ok(super::query_as(
        "SELECT id, at, user_id, context, beneficiary_ids FROM contact_reads \
         WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(mark)
    .bind(FETCH)
    .fetch_all(reads)
    .await?)
}

/// Moves the reads of `slice` (the next ones past `mark`) in one transaction on the
/// writer thread, the mark moved to the last of them by a compare-and-set: the new mark,
/// or `None` when another settler moved the mark first (nothing is written then).
async fn move_slice(
    database: &Store,
    mark: i64,
    slice: &[WaitingRead],
) -> Result<Option<i64>, StoreError> {
    let Some(last) = slice.last().map(|read| read.0) else {
        return Ok(Some(mark));
    };
    let reads = settled_reads(slice)?;
    let database = database.clone();
    super::writer_thread::run(async move {
        let mut tx = database.begin().await?;
        let won = query("UPDATE contact_reads_settled SET up_to = $1 WHERE up_to = $2")
            .bind(last)
            .bind(mark)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if won == 0 {
            return Ok(None);
        }
        let sets: Vec<&ShownSet> = reads.iter().map(|read| &read.3).collect();
        let ids = people_shown::set_ids(&mut tx, &sets).await?;
        let written = query(SETTLE_SQLITE)
            .bind(batch_json(&reads, &ids)?)
            .execute(&mut tx)
            .await?
            .rows_affected();
        people_shown::all_written(written, reads.len())?;
        tx.commit().await?;
        Ok(Some(last))
    })
    .await
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

/// The audit trail's rows of a slice, written by the database from one JSON value (one
/// bound value, one statement text whatever the slice): per read, `[at, user, screen,
/// set]`, one row about the set of people it showed ([`super::people_shown`]). An account
/// deleted since the read is written as none, as the foreign key does for older rows.
const SETTLE_SQLITE: &str = concat!(
    settled_columns!(),
    "r.set_id, r.context FROM (SELECT j.key, json_extract(j.value, '$[0]') AS at, \
       u.id AS user_id, json_extract(j.value, '$[2]') AS context, \
       json_extract(j.value, '$[3]') AS set_id \
       FROM json_each($1) j LEFT JOIN users u ON u.id = json_extract(j.value, '$[1]')) r \
     ORDER BY r.key"
);

/// A read ready to be settled: when, by whom, where, the people it showed.
type SettledRead = (String, Option<i64>, String, ShownSet);

/// The reads of a slice with their sets of people; a read whose people are not a list of
/// ids (a damaged row) stops the slice, named, and stays where it is.
fn settled_reads(waiting: &[WaitingRead]) -> Result<Vec<SettledRead>, StoreError> {
    waiting
        .iter()
        .map(|(id, at, user_id, context, ids)| {
            let set = ShownSet::parse(ids).ok_or_else(|| {
                people_shown::damaged_read(*id, ids, "contact_reads (the database's -reads file)")
            })?;
            Ok((at.clone(), *user_id, context.clone(), set))
        })
        .collect()
}

/// The slice as [`SETTLE_SQLITE`] takes it, each read with its set's id.
fn batch_json(reads: &[SettledRead], ids: &HashMap<String, i64>) -> Result<String, StoreError> {
    let mut batch = Vec::with_capacity(reads.len());
    for (at, user_id, context, set) in reads {
        let set_id = people_shown::id_of(ids, set)?;
        batch.push(serde_json::json!([at, user_id, context, set_id]));
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

    /// The slice handed to SQLite: each read's time, account, screen and set of people
    /// (by id), as recorded; a damaged list names the read and the column; a set with
    /// no id is never written as none.
    #[test]
    fn a_slice_is_written_as_one_json_value_and_a_damaged_read_is_named() {
        let read = |id: i64, ids: &str| -> WaitingRead {
            let at = "2026-12-01T08:00:00+00:00".to_string();
            (id, at, Some(3), "queue".into(), ids.into())
        };
        let reads = settled_reads(&[read(1, "9000000000,7"), read(2, "7,9000000000")]).unwrap();
        assert_eq!(reads[0].3, reads[1].3, "the same people: one set");
        let ids = HashMap::from([(reads[0].3.digest.clone(), 41)]);
        assert_eq!(
            batch_json(&reads, &ids).unwrap(),
            r#"[["2026-12-01T08:00:00+00:00",3,"queue",41],["2026-12-01T08:00:00+00:00",3,"queue",41]]"#
        );
        let err = batch_json(&reads, &HashMap::new()).unwrap_err().to_string();
        assert!(err.contains(&reads[0].3.digest), "{err}");
        let err = settled_reads(&[read(1, "7"), read(4, "7,x")]).unwrap_err();
        let said = err.to_string();
        assert!(
            said.contains("read 4") && said.contains("beneficiary_ids"),
            "{said}"
        );
    }
}
