//! The queue's reads written to the audit trail together (group commit): requests that
//! show people at the same moment hand their rows to one writer task, which inserts
//! them all in one transaction and answers each request only once that transaction has
//! committed. A request never answers before its reads are in the database, so no read
//! goes unrecorded after a crash that its answer survived; under load one commit serves
//! tens of requests instead of one each (docs/PERFORMANCE.md, "Under load").

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::queue::{insert_reads, ReadRow, AUDIT_CHUNK};
use super::{Store, StoreError};

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

/// At most this many rows in one transaction: past it, the rest waits for the next.
const BATCH_ROWS: usize = 20_000;

/// The handle requests record their reads through; cheap to clone.
#[derive(Debug, Clone)]
pub struct ReadJournal {
    sender: mpsc::UnboundedSender<(ContactRead, Reply)>,
}

impl ReadJournal {
    /// Starts the writer task on the current Tokio runtime; it ends when every handle
    /// is dropped.
    pub fn start(store: Store) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(store, receiver));
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

impl Store {
    /// Every read of `reads` in one transaction: all written, or none.
    pub async fn record_contact_read_batch(&self, reads: &[ContactRead]) -> Result<(), StoreError> {
        let rows: Vec<ReadRow> = reads
            .iter()
            .flat_map(|r| {
                r.beneficiary_ids
                    .iter()
                    .map(move |&id| (r.at, r.user_id, id, r.context))
            })
            .collect();
        let mut tx = self.begin().await?;
        for chunk in rows.chunks(AUDIT_CHUNK) {
            insert_reads(&mut tx, self.backend(), chunk).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
