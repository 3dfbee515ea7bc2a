//! How an SQLite connection waits for the write lock another one holds: in short steps.
//!
//! SQLite lets one connection write at a time. A connection that finds the lock taken
//! calls its busy handler and tries again when the handler returns. The handler that
//! `busy_timeout` installs sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and then
//! 100 ms between tries: a write transaction of a few hundred microseconds made the
//! requests behind it wait tens of milliseconds, and under load (calls recorded while
//! queues are read and audited) those sleeps were the p99 of every route
//! (docs/PERFORMANCE.md, "Under load"). This one tries again after a tenth of a
//! millisecond, then every half millisecond, and gives up after the same ten seconds.
//!
//! Inside one process the writers do not poll at all: [`writer_turn`] queues every
//! write transaction of a database file behind one asynchronous lock, taken before the
//! pool's connection and before `BEGIN IMMEDIATE`. The next writer starts as soon as the
//! one before commits, instead of at its next poll (the write lock sat idle for up to
//! half a millisecond between two transactions of a few hundred microseconds), and a
//! waiting writer holds no connection that a reader could use. The busy handler still
//! covers writers that take no turn: other processes (`lien` commands beside a server)
//! and single statements outside a transaction.
//!
//! The writer whose turn it is runs on a connection of its own ([`writer_pool`]), not
//! one of the readers' pool: taken from that pool, it waited with the turn held for a
//! connection that a queue read gave back (under the mixed load a recorded call held
//! the turn 3.5–4.0 ms, median, for a few hundred microseconds of work, and the calls
//! behind it waited 108–187 ms; docs/PERFORMANCE.md, "A connection and a thread for
//! the writer"). Its page cache is also never emptied by another connection's commit:
//! in its turn, the last commit was its own.

use std::collections::HashMap;
use std::os::raw::{c_int, c_void};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::OwnedMutexGuard;

/// How long a connection waits for the write lock before its statement fails with
/// "database is locked".
pub(super) const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Short waits first (the lock is usually held for well under a millisecond).
const SHORT_STEP: Duration = Duration::from_micros(100);
const SHORT_STEPS: c_int = 50;
const LONG_STEP: Duration = Duration::from_micros(500);

/// Tries before giving up: [`SHORT_STEPS`] short ones, then long ones up to
/// [`LOCK_TIMEOUT`] in all.
fn max_tries() -> c_int {
    let short = SHORT_STEP * SHORT_STEPS as u32;
    let long = (LOCK_TIMEOUT - short).as_micros() / LONG_STEP.as_micros();
    SHORT_STEPS + long as c_int
}

/// The wait before try number `count` (0 for the first), or `None` to give up.
fn step(count: c_int) -> Option<Duration> {
    if count >= max_tries() {
        None
    } else if count < SHORT_STEPS {
        Some(SHORT_STEP)
    } else {
        Some(LONG_STEP)
    }
}

/// The write turns of each database file this process opened, by file name.
static TURNS: LazyLock<Mutex<HashMap<PathBuf, Arc<Turns>>>> = LazyLock::new(Default::default);

/// One database file's write turn, and how many turns were asked for so far.
#[derive(Debug, Default)]
struct Turns {
    lock: Arc<tokio::sync::Mutex<()>>,
    asked: AtomicU64,
}

/// A write transaction's turn on its database file: the next writer of this process
/// starts when it is dropped (after the commit or the rollback).
#[derive(Debug)]
pub struct WriterTurn(#[allow(dead_code)] OwnedMutexGuard<()>);

/// Waits for this process's writers of the pool's database file that came before (in
/// order of arrival), at most [`LOCK_TIMEOUT`]; then the pool is unavailable, as when
/// no connection comes.
pub(super) async fn writer_turn(pool: &SqlitePool) -> Result<WriterTurn, sqlx::Error> {
    writer_turn_within(pool, LOCK_TIMEOUT).await
}

async fn writer_turn_within(
    pool: &SqlitePool,
    timeout: Duration,
) -> Result<WriterTurn, sqlx::Error> {
    let turns = turns_of(pool.connect_options().get_filename());
    turns.asked.fetch_add(1, Ordering::Relaxed);
    match tokio::time::timeout(timeout, turns.lock.clone().lock_owned()).await {
        Ok(guard) => Ok(WriterTurn(guard)),
        Err(_) => Err(sqlx::Error::PoolTimedOut),
    }
}

/// How many write turns this process has asked for on the pool's database file so far:
/// the difference between two readings is the write transactions begun between them.
pub(super) fn turns_asked(pool: &SqlitePool) -> u64 {
    turns_of(pool.connect_options().get_filename())
        .asked
        .load(Ordering::Relaxed)
}

fn turns_of(file: &Path) -> Arc<Turns> {
    let mut turns = TURNS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    turns.entry(file.to_path_buf()).or_default().clone()
}

/// The pool of the write transactions of the database `options` open: one connection,
/// since they take turns ([`writer_turn`]); opened at the first write, then kept
/// between two transactions ([`super::writer_connection`]).
pub(super) fn writer_pool(options: &SqliteConnectOptions) -> SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(LOCK_TIMEOUT)
        .test_before_acquire(false)
        .after_connect(|conn, _| Box::pin(install(conn)))
        .connect_lazy_with(options.clone())
}

/// Installs the handler on a new connection (it replaces `busy_timeout`'s).
pub(super) async fn install(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this connection's open handle, held locked by `handle` for the
    // call; the handler keeps no state (its argument is null) and only sleeps.
    let rc = unsafe { libsqlite3_sys::sqlite3_busy_handler(db, Some(wait), std::ptr::null_mut()) };
    if rc == libsqlite3_sys::SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Protocol(format!(
            "sqlite3_busy_handler failed with code {rc}"
        )))
    }
}

/// The busy handler: sleeps on SQLite's own thread for this connection (sqlx gives each
/// connection its own), then asks SQLite to try again; 0 gives up.
extern "C" fn wait(_: *mut c_void, count: c_int) -> c_int {
    match step(count) {
        Some(pause) => {
            std::thread::sleep(pause);
            1
        }
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{query, query_scalar, Store};

    /// A store on a new SQLite file with a one-row counter.
    async fn counter_store(dir: &tempfile::TempDir, name: &str) -> Store {
        let path = dir.path().join(name);
        let store = Store::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        query("CREATE TABLE counter (n INTEGER NOT NULL)")
            .execute(&store)
            .await
            .unwrap();
        query("INSERT INTO counter (n) VALUES (0)")
            .execute(&store)
            .await
            .unwrap();
        store
    }

    fn pool(store: &Store) -> &SqlitePool {
        match store {
            Store::Sqlite(pool, _) => pool,
            Store::Postgres(_) => unreachable!(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_of_a_file_take_turns_and_lose_no_update() {
        let dir = tempfile::tempdir().unwrap();
        let store = counter_store(&dir, "turns.db").await;
        // Read, then write what was read plus one: without one writer at a time some
        // increments would be lost or fail with "database is locked".
        let writers = (0..40).map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let n: i64 = query_scalar("SELECT n FROM counter")
                    .fetch_one(&mut tx)
                    .await
                    .unwrap();
                tokio::task::yield_now().await;
                query("UPDATE counter SET n = $1")
                    .bind(n + 1)
                    .execute(&mut tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            })
        });
        for writer in writers.collect::<Vec<_>>() {
            writer.await.unwrap();
        }
        let n: i64 = query_scalar("SELECT n FROM counter")
            .fetch_one(&store)
            .await
            .unwrap();
        assert_eq!(n, 40);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_does_not_wait_for_the_readers_connections() {
        let dir = tempfile::tempdir().unwrap();
        let store = counter_store(&dir, "writer.db").await;
        // Every reader's connection busy, as under a load of queue reads.
        let mut readers = Vec::new();
        for _ in 0..pool(&store).options().get_max_connections() {
            readers.push(pool(&store).acquire().await.unwrap());
        }
        let write = async {
            let mut tx = store.begin().await.unwrap();
            query("UPDATE counter SET n = n + 1")
                .execute(&mut tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        };
        // The readers' pool would give a connection only after its 10 s timeout.
        tokio::time::timeout(Duration::from_secs(5), write)
            .await
            .expect("the write transaction waited for a reader's connection");
        drop(readers);
        let n: i64 = query_scalar("SELECT n FROM counter")
            .fetch_one(&store)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }

    #[tokio::test]
    async fn a_writer_waits_for_the_one_before_while_readers_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = counter_store(&dir, "wait.db").await;
        let first = store.begin().await.unwrap();
        let second = tokio::spawn({
            let store = store.clone();
            async move { store.begin().await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !second.is_finished(),
            "the second writer did not wait its turn"
        );
        // A waiting writer holds no connection: reads still get one.
        let n: i64 = query_scalar("SELECT n FROM counter")
            .fetch_one(&store)
            .await
            .unwrap();
        assert_eq!(n, 0);
        // Its turn comes when the first ends, committed or not.
        first.rollback().await.unwrap();
        second.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn each_file_has_its_own_turns_and_a_long_wait_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let one = counter_store(&dir, "one.db").await;
        let other = counter_store(&dir, "other.db").await;
        let _held = one.begin().await.unwrap();
        // Another file's writer does not wait for this one.
        let started = std::time::Instant::now();
        other.begin().await.unwrap().commit().await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        // This file's writer gives up after its time: the database is unavailable.
        let waited = writer_turn_within(pool(&one), Duration::from_millis(30)).await;
        assert!(
            matches!(waited, Err(sqlx::Error::PoolTimedOut)),
            "{waited:?}"
        );
    }

    #[test]
    fn waits_in_short_steps_and_gives_up_after_the_timeout() {
        assert_eq!(step(0), Some(SHORT_STEP));
        assert_eq!(step(SHORT_STEPS), Some(LONG_STEP));
        let total: Duration = (0..max_tries()).filter_map(step).sum();
        assert!(total <= LOCK_TIMEOUT, "{total:?}");
        assert!(total >= LOCK_TIMEOUT - LONG_STEP, "{total:?}");
        assert_eq!(step(max_tries()), None);
    }
}
