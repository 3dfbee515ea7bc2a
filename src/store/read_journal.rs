//! The queue's reads written to the audit trail together (group commit): requests that
//! show people at the same moment hand their reads to one writer task, which writes them
//! all in one transaction and answers each request only once that transaction has
//! committed. A request never answers before its reads are in the database, so no read
//! goes unrecorded after a crash that its answer survived; under load one commit serves
//! tens of requests instead of one each (docs/PERFORMANCE.md, "Under load").
//!
//! A read is written as one row of `contact_reads` (the ids of the people shown; on
//! SQLite in a file of its own beside the database, [`super::reads_file`]), not as one
//! indexed `audit_events` row per person: those rows, written on the request's path,
//! were two thirds of a queue read's cost. [`Store::settle_contact_reads`] turns the
//! reads into the audit trail's rows, one `contact_details_read` per read about the set
//! of people it showed ([`super::people_shown`]), in large transactions: every few
//! seconds in the background, and before anything reads the audit trail (its page and
//! `lien audit`, a person's export, the retention purge).

use chrono::{DateTime, Utc};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::people_shown::{self, ShownSet};
use super::{query, query_as, Store, StoreError};

/// One request's reading of people's contact details.
#[derive(Debug, Clone)]
pub struct ContactRead {
    pub at: DateTime<Utc>,
    pub user_id: i64,
    pub beneficiary_ids: Vec<i64>,
    /// Where they were shown (`queue`, `api_queue`).
    pub context: &'static str,
}

/// The writer's answer: written, or why not (the same for the whole batch).
type Reply = oneshot::Sender<Result<(), String>>;

/// At most this many people's ids in one transaction: past it, the rest waits for the next.
const BATCH_ROWS: usize = 20_000;

/// Reads written per `INSERT` into `contact_reads` (5 values each).
const READS_PER_INSERT: usize = 500;

/// How often the background task settles the reads written since.
const SETTLE_EVERY: Duration = Duration::from_secs(2);

/// PostgreSQL: reads settled per transaction, short enough not to hold the rows' locks
/// for long, large enough that each index page is written once for many rows (500 gave
/// nothing more under load: docs/PERFORMANCE.md, "One audit row per read"; SQLite:
/// [`super::reads_file::READS_PER_TRANSACTION`]).
const SETTLE_BATCH: i64 = 50;

/// The handle requests record their reads through; cheap to clone.
#[derive(Debug, Clone)]
pub struct ReadJournal {
    sender: mpsc::UnboundedSender<(ContactRead, Reply)>,
}

impl ReadJournal {
    /// Starts the writer task and the settling task on the current Tokio runtime; the
    /// writer ends when every handle is dropped, the settler with the runtime.
    pub fn start(store: Store) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(store.clone(), receiver));
        tokio::spawn(settle_in_background(store));
        Self { sender }
    }

    /// Records the read and returns once it is committed (with the other requests'
    /// reads of the same batch).
    pub async fn record(&self, read: ContactRead) -> Result<(), StoreError> {
        if read.beneficiary_ids.is_empty() {
            return Ok(());
        }
        // Not kept while the writer commits: it may need a connection of the pool.
        super::request_connection::release();
        let stopped = || StoreError::AuditTrail("the audit writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.sender.send((read, reply)).map_err(|_| stopped())?;
        answer
            .await
            .map_err(|_| stopped())?
            .map_err(StoreError::AuditTrail)
    }
}

/// The writer: takes every read waiting (up to [`BATCH_ROWS`] rows), writes them in one
/// transaction, answers each, and starts again.
async fn write_batches(store: Store, mut receiver: mpsc::UnboundedReceiver<(ContactRead, Reply)>) {
    while let Some(first) = receiver.recv().await {
        let mut rows = first.0.beneficiary_ids.len();
        let mut batch = vec![first];
        while rows < BATCH_ROWS {
            match receiver.try_recv() {
                Ok(next) => {
                    rows += next.0.beneficiary_ids.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let (reads, replies): (Vec<ContactRead>, Vec<Reply>) = batch.into_iter().unzip();
        let written = store
            .record_contact_read_batch(&reads)
            .await
            .map_err(|e| e.to_string());
        if let Err(e) = &written {
            tracing::error!(error = %e, requests = reads.len(), "audit trail not written");
        }
        for reply in replies {
            // A request that went away (client gone) needs no answer.
            let _ = reply.send(written.clone());
        }
    }
}

/// Settles the reads every [`SETTLE_EVERY`]; a failure is logged and tried again.
async fn settle_in_background(store: Store) {
    let mut every = tokio::time::interval(SETTLE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = store.settle_contact_reads().await {
            tracing::warn!(error = %e, "contact reads not settled yet");
        }
    }
}

impl Store {
    /// Every read of `reads` in one transaction: all written, or none. On SQLite they go
    /// to the reads file beside the database ([`super::reads_file`]).
    pub async fn record_contact_read_batch(&self, reads: &[ContactRead]) -> Result<(), StoreError> {
        let journal = self.reads_store().await?;
        let mut tx = journal.begin().await?;
        for chunk in reads.chunks(READS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO contact_reads (at, user_id, context, beneficiary_ids) VALUES {}",
                super::db::values_placeholders(journal.backend(), chunk.len(), 4)
            );
            let mut insert = query(&sql);
            for read in chunk {
                insert = insert
                    .bind(read.at)
                    .bind(read.user_id)
                    .bind(read.context)
                    .bind(id_list(&read.beneficiary_ids));
            }
            insert.execute(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves every read written so far into the audit trail: one `contact_details_read`
    /// row about the set of people it showed (written once per set), with the read's
    /// time, account and screen. Each read is moved once, whatever the number of servers
    /// settling at once, and none is lost. Returns the number of reads moved.
    pub async fn settle_contact_reads(&self) -> Result<u64, StoreError> {
        if self.backend() == super::Backend::Sqlite {
            return super::reads_file::settle(self).await;
        }
        let mut moved = 0;
        let mut wait = false;
        loop {
            let batch = self.settle_postgres_batch(wait).await?;
            moved += batch;
            if batch == SETTLE_BATCH as u64 {
                continue;
            }
            if wait {
                return Ok(moved);
            }
            // Reads another server is moving at this moment were skipped: waited for
            // once, so that the trail is whole when this returns (a journal read right
            // after a queue read finds it), and whatever came meanwhile moved too.
            wait = true;
        }
    }

    /// The most reads [`Store::settle_contact_reads`] moves in one transaction: a damaged
    /// read stops its own transaction's reads and those after them.
    pub fn reads_settled_per_transaction(&self) -> usize {
        match self.backend() {
            super::Backend::Sqlite => super::reads_file::READS_PER_TRANSACTION,
            super::Backend::Postgres => SETTLE_BATCH as usize,
        }
    }

    /// One transaction of [`Store::settle_contact_reads`] on PostgreSQL: the oldest
    /// reads (those another server is taking are skipped, so each is moved once; with
    /// `wait`, waited for, and gone once that server commits), their sets of people
    /// written if new ([`super::people_shown`]), then moved, one audit row each
    /// ([`SETTLE_POSTGRES`]). A read whose people are not a list of ids stops the batch,
    /// named.
    async fn settle_postgres_batch(&self, wait: bool) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let sql = if wait {
            "SELECT id, beneficiary_ids FROM contact_reads ORDER BY id LIMIT $1 FOR UPDATE"
        } else {
            "SELECT id, beneficiary_ids FROM contact_reads ORDER BY id LIMIT $1 \
             FOR UPDATE SKIP LOCKED"
        };
        let waiting: Vec<(i64, String)> =
            query_as(sql).bind(SETTLE_BATCH).fetch_all(&mut tx).await?;
        if waiting.is_empty() {
            return Ok(0);
        }
        let reads = waiting
            .iter()
            .map(|(id, ids)| {
                let set = ShownSet::parse(ids)
                    .ok_or_else(|| people_shown::damaged_read(*id, ids, "contact_reads"))?;
                Ok((*id, set))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let sets: Vec<&ShownSet> = reads.iter().map(|(_, set)| set).collect();
        let ids = people_shown::set_ids(&mut tx, &sets).await?;
        let sql = SETTLE_POSTGRES.replace(
            "{reads}",
            &super::db::values_placeholders(tx.backend(), reads.len(), 2),
        );
        let mut moved = query(&sql);
        for (id, set) in &reads {
            moved = moved.bind(*id).bind(people_shown::id_of(&ids, set)?);
        }
        let written = moved.execute(&mut tx).await?.rows_affected();
        people_shown::all_written(written, reads.len())?;
        tx.commit().await?;
        Ok(reads.len() as u64)
    }
}

/// The audit trail's columns of a settled read's row: when (`r.at`), by whom
/// (`r.user_id`), `contact_details_read` about the set of people it showed
/// ([`super::people_shown`]); the set's id and the screen follow.
macro_rules! settled_columns {
    () => {
        "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, \
         subject_id, detail) SELECT r.at, r.user_id, 'user', 'contact_details_read', \
         'people_shown', "
    };
}
pub(super) use settled_columns;

/// The reads of a batch (`{reads}`: their ids and their sets' ids) taken out of
/// `contact_reads` and written into the audit trail, one row each, in their order.
const SETTLE_POSTGRES: &str = concat!(
    "WITH k (id, set_id) AS (VALUES {reads}), \
     r AS (DELETE FROM contact_reads c USING k WHERE c.id = k.id \
       RETURNING c.id, c.at, c.user_id, c.context, k.set_id) ",
    settled_columns!(),
    "r.set_id, r.context FROM r ORDER BY r.id"
);

/// The people of a read as stored: their ids, comma-separated.
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_people_of_a_read_are_stored_as_comma_separated_ids() {
        assert_eq!(id_list(&[7, 123_456_789_012, 1]), "7,123456789012,1");
        assert_eq!(id_list(&[42]), "42");
    }
}
