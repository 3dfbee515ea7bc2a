//! The queue's reads written to the audit trail together (group commit): requests that
//! show people at the same moment hand their reads to one writer task, which writes them
//! all in one transaction and answers each request only once that transaction has
//! committed. A request never answers before its reads are in the database, so no read
//! goes unrecorded after a crash that its answer survived; under load one commit serves
//! tens of requests instead of one each (docs/PERFORMANCE.md, "Under load").
//!
//! A read is written as one row of `contact_reads` (the ids of the people shown), not as
//! one indexed `audit_events` row per person: those rows, written on the request's path,
//! were two thirds of a queue read's cost. [`Store::settle_contact_reads`] turns the
//! reads into the audit trail's rows, one `contact_details_read` per person as before,
//! in large transactions: every few seconds in the background, and before anything reads
//! the audit trail (its page and `lien audit`, a person's export, the retention purge).

use chrono::{DateTime, Utc};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::queue::{insert_reads, ReadRow, AUDIT_CHUNK};
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

/// Reads settled per transaction (about 30 people each): short enough not to hold
/// SQLite's write lock for long (queue reads wait behind it to write theirs: 200 reads
/// a transaction showed in their p99), large enough that each index page is written
/// once for many rows.
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
    /// Every read of `reads` in one transaction: all written, or none.
    pub async fn record_contact_read_batch(&self, reads: &[ContactRead]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for chunk in reads.chunks(READS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO contact_reads (at, user_id, context, beneficiary_ids) VALUES {}",
                super::db::values_placeholders(self.backend(), chunk.len(), 4)
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
    /// row per person shown, with the read's time, account and screen. Each batch is
    /// taken out of `contact_reads` and written in the same transaction, so a read is
    /// moved once, whatever the number of servers settling at once, and none is lost.
    /// Returns the number of reads moved.
    pub async fn settle_contact_reads(&self) -> Result<u64, StoreError> {
        let mut moved = 0;
        loop {
            let batch = self.settle_batch().await?;
            moved += batch;
            if batch < SETTLE_BATCH as u64 {
                return Ok(moved);
            }
        }
    }

    /// One transaction of [`Store::settle_contact_reads`]: the oldest reads.
    async fn settle_batch(&self) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let reads: Vec<(chrono::DateTime<Utc>, Option<i64>, String, String)> = query_as(
            "DELETE FROM contact_reads WHERE id IN \
             (SELECT id FROM contact_reads ORDER BY id LIMIT $1) \
             RETURNING at, user_id, context, beneficiary_ids",
        )
        .bind(SETTLE_BATCH)
        .fetch_all(&mut tx)
        .await?;
        let mut rows: Vec<ReadRow> = Vec::new();
        for (at, user_id, context, ids) in &reads {
            for id in parse_id_list(ids)? {
                rows.push((*at, *user_id, id, context.as_str()));
            }
        }
        // In the order of the person index (`audit_events_subject`): the batch's rows
        // for one person go into neighbouring index entries, one page touched for them
        // instead of one page per read. The trail is read by time (`at`), which a read's
        // rows share, so the order of ids within a batch says nothing.
        rows.sort_by_key(|&(at, _, id, _)| (id, at));
        for chunk in rows.chunks(AUDIT_CHUNK) {
            insert_reads(&mut tx, self.backend(), chunk).await?;
        }
        tx.commit().await?;
        Ok(reads.len() as u64)
    }
}

/// The people of a read as stored: their ids, comma-separated.
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// [`id_list`] read back; anything else is an error (the batch stays unsettled).
fn parse_id_list(text: &str) -> Result<Vec<i64>, StoreError> {
    text.split(',')
        .map(|id| {
            id.parse().map_err(|_| {
                StoreError::AuditTrail(format!("a contact read holds {id:?}, not a person's id"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_people_of_a_read_are_stored_as_ids_and_read_back() {
        let ids = vec![7, 123_456_789_012, 1];
        assert_eq!(id_list(&ids), "7,123456789012,1");
        assert_eq!(parse_id_list(&id_list(&ids)).unwrap(), ids);
        assert!(parse_id_list("7,,1").is_err());
        assert!(parse_id_list("7,x").is_err());
    }
}
