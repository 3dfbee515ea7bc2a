//! SQLite's write transactions on one connection, kept from one to the next.
//!
//! The write transactions of an SQLite store take turns ([`super::sqlite_lock`]) on a
//! pool of one connection of their own. sqlx pings every connection given back to its
//! pool, a hand-off to the connection's thread and back, before another task may take
//! it: the writer whose turn had come waited for the last one's ping with the turn held.
//! The connection is now kept in a slot between transactions: a transaction takes it
//! with the turn, gives it back when it ends, and the next one starts on it at once.
//!
//! A transaction dropped unfinished (an early return, a dry run) asks the connection's
//! thread to roll back before the connection goes back to the slot; the next
//! transaction's statements are queued behind that rollback on the same thread. A
//! transaction whose commit or rollback failed gives its connection back to the pool,
//! which tests it, and the next transaction takes a connection from the pool.

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteTransactionManager;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, TransactionManager};

/// The writers' pool of one connection, and the slot where that connection waits
/// between two transactions; shared by every clone of a store.
#[derive(Clone, Debug)]
pub struct Writer {
    pool: SqlitePool,
    slot: Arc<Mutex<Option<Kept>>>,
}

/// The connection in the slot. Dropped outside any runtime (a store dropped after its
/// runtime ended), it is closed rather than handed back to its pool, which would need one.
#[derive(Debug)]
struct Kept(Option<PoolConnection<Sqlite>>);

impl Drop for Kept {
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_err() {
            if let Some(connection) = self.0.take() {
                drop(connection.leak());
            }
        }
    }
}

impl Writer {
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            slot: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Kept>> {
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn take(&self) -> Option<PoolConnection<Sqlite>> {
        self.lock().take().and_then(|mut kept| kept.0.take())
    }

    /// Keeps `connection` for the next transaction, unless the pool is closing: then it
    /// goes back to the pool, whose `close` waits for it.
    fn put(&self, connection: PoolConnection<Sqlite>) {
        let mut slot = self.lock();
        if self.pool.is_closed() {
            drop(slot);
            drop(connection);
        } else {
            *slot = Some(Kept(Some(connection)));
        }
    }

    /// Begins a transaction with `statement` on the kept connection, or on one of the
    /// pool when none is kept. Called with the writers' turn held.
    pub async fn begin(&self, statement: &'static str) -> Result<SqliteTx, sqlx::Error> {
        // A closed pool refuses, as it did before any connection was kept.
        let kept = self.take().filter(|_| !self.pool.is_closed());
        let mut connection = match kept {
            Some(connection) => connection,
            None => self.pool.acquire().await?,
        };
        // On an error the connection goes back to its pool, which tests it.
        SqliteTransactionManager::begin(&mut connection, Some(Cow::Borrowed(statement))).await?;
        Ok(SqliteTx {
            connection: Some(connection),
            writer: self.clone(),
        })
    }

    /// Closes the pool, whose kept connection goes back to it first. The pool is marked
    /// closed before the slot is emptied, so that a transaction ending meanwhile gives
    /// its connection to the pool rather than to the slot: the close waits for every
    /// connection taken from the pool, and would wait for ever for one in the slot.
    pub async fn close(&self) {
        let closing = self.pool.close();
        drop(self.take());
        closing.await;
    }
}

/// An SQLite write transaction on the writers' connection; rolled back when dropped
/// unfinished.
#[derive(Debug)]
pub struct SqliteTx {
    /// `Some` until the transaction ends.
    connection: Option<PoolConnection<Sqlite>>,
    /// Where the connection goes back when the transaction ends.
    writer: Writer,
}

impl SqliteTx {
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let mut connection = self.connection.take().expect("open until it ends");
        match SqliteTransactionManager::commit(&mut connection).await {
            Ok(()) => {
                self.writer.put(connection);
                Ok(())
            }
            Err(e) => {
                SqliteTransactionManager::start_rollback(&mut connection);
                Err(e)
            }
        }
    }

    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        let mut connection = self.connection.take().expect("open until it ends");
        SqliteTransactionManager::rollback(&mut connection).await?;
        self.writer.put(connection);
        Ok(())
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            // Queued on the connection's thread before anything the next writer sends.
            SqliteTransactionManager::start_rollback(&mut connection);
            self.writer.put(connection);
        }
    }
}

impl Deref for SqliteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        self.connection.as_ref().expect("open until it ends")
    }
}

impl DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.connection.as_mut().expect("open until it ends")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::{ConnectOptions, Connection};

    use crate::store::{query, query_scalar, Store};

    async fn store_with_table(dir: &tempfile::TempDir) -> (Store, String) {
        let path = dir.path().join("writer.db");
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url).await.unwrap();
        query("CREATE TABLE t (n INTEGER NOT NULL)")
            .execute(&store)
            .await
            .unwrap();
        (store, url)
    }

    /// A transaction begun on `store` that has run `sql`.
    async fn tx_after(store: &Store, sql: &str) -> crate::store::Tx {
        let mut tx = store.begin().await.unwrap();
        query(sql).execute(&mut tx).await.unwrap();
        tx
    }

    async fn count(store: &Store) -> i64 {
        query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(store)
            .await
            .unwrap()
    }

    fn kept(store: &Store) -> bool {
        match store {
            Store::Sqlite(_, side) => side.writer.lock().is_some(),
            Store::Postgres(_) => unreachable!(),
        }
    }

    /// A temporary table lives on the connection that made it: the next transaction
    /// sees it only on the same connection.
    #[tokio::test]
    async fn the_next_transaction_runs_on_the_same_connection() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = store_with_table(&dir).await;
        let tx = tx_after(&store, "CREATE TEMPORARY TABLE writer_probe (n INTEGER)").await;
        tx.commit().await.unwrap();
        assert!(kept(&store), "the connection waits in the slot");
        for _ in 0..3 {
            let mut tx = store.begin().await.unwrap();
            let n: i64 = query_scalar("SELECT COUNT(*) FROM writer_probe")
                .fetch_one(&mut tx)
                .await
                .expect("the probe is on this connection");
            assert_eq!(n, 0);
            assert!(!kept(&store), "taken by the transaction");
            tx.rollback().await.unwrap();
        }
        tokio::time::timeout(Duration::from_secs(10), store.close())
            .await
            .expect("the store closes with its writer's connection kept");
    }

    /// A transaction dropped unfinished writes nothing and frees the file's write lock
    /// at once, for another process's connection; the next one works as usual.
    #[tokio::test]
    async fn a_transaction_dropped_unfinished_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let (store, url) = store_with_table(&dir).await;
        let unfinished = tx_after(&store, "INSERT INTO t (n) VALUES (1)").await;
        drop(unfinished);
        let mut other = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .unwrap()
            .busy_timeout(Duration::from_secs(5))
            .connect()
            .await
            .unwrap();
        let mut outside = other
            .begin_with("BEGIN IMMEDIATE")
            .await
            .expect("the lock is free");
        sqlx::query("INSERT INTO t (n) VALUES (2)")
            .execute(&mut *outside)
            .await
            .unwrap();
        outside.commit().await.unwrap();
        other.close().await.unwrap();

        let tx = tx_after(&store, "INSERT INTO t (n) VALUES (3)").await;
        tx.commit().await.unwrap();
        let kept: Vec<i64> = query_scalar("SELECT n FROM t ORDER BY n")
            .fetch_all(&store)
            .await
            .unwrap();
        assert_eq!(kept, vec![2, 3], "the dropped transaction's row is gone");
        assert_eq!(count(&store).await, 2);
        store.close().await;
    }

    /// A store closed while a transaction is open: the close waits for that transaction,
    /// then ends (the connection goes to the closing pool, not back to the slot).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_waits_for_an_open_transaction_only() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = store_with_table(&dir).await;
        let tx = tx_after(&store, "INSERT INTO t (n) VALUES (1)").await;
        let closing = tokio::spawn({
            let store = store.clone();
            async move { store.close().await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !closing.is_finished(),
            "the close waits for the open transaction"
        );
        tx.commit().await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), closing)
            .await
            .expect("closed once the transaction ended")
            .unwrap();
        assert!(
            store.begin().await.is_err(),
            "a closed store begins nothing"
        );
    }

    /// A store dropped after its runtime ended closes the kept connection instead of
    /// handing it back to a pool (which would need a runtime, and panic without one).
    #[test]
    fn a_store_dropped_outside_a_runtime_does_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let store = runtime.block_on(async {
            let (store, _) = store_with_table(&dir).await;
            let tx = tx_after(&store, "INSERT INTO t (n) VALUES (1)").await;
            tx.commit().await.unwrap();
            store
        });
        drop(runtime);
        drop(store);
    }
}
