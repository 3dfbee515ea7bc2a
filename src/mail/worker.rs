//! The outbox worker: claims due messages, sends them (several at once over pooled SMTP
//! connections), and records each result: sent; failed for now (tried again after an
//! exponential backoff with jitter); refused for good (failed, shown to coordinators).
//! Sent messages are marked in groups: while one `UPDATE` marks some sent, the ones sent
//! meanwhile wait for the next, which takes them all (one commit for many on a fast
//! server, one each on a slow one); a sending slot takes its next message only once its
//! last one is marked, and a batch is over only once all its marks are.
//!
//! It runs inside `lien serve` and alone as `lien outbox run`. On shutdown it finishes
//! the messages being sent and gives back the ones it claimed but did not start. If it
//! is killed, its claims lapse after the lease and another worker (or itself, restarted)
//! takes them again: a message is never lost; at worst it is sent twice, with the same
//! Message-ID.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use rand::Rng;
use tokio::sync::{mpsc, oneshot, watch};

use super::transport::{SendError, Transport};
use crate::store::{OutboxMessage, Store, StoreError};

/// When to try a message again after a transient failure.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The wait after the first failure; doubled after each further one.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            max: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`, after `attempts` failures (1 or more):
    /// `base × 2^(attempts-1)`, capped at `max`, with ±20 % jitter so that messages
    /// refused together do not come back together.
    pub fn delay(&self, attempts: i32) -> Duration {
        let exponent = attempts.clamp(1, 30) as u32 - 1;
        let raw = self.base.saturating_mul(2u32.saturating_pow(exponent));
        let capped = raw.min(self.max);
        let jitter = rand::rng().random_range(0.8..=1.2);
        capped.mul_f64(jitter)
    }
}

/// How a worker works.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Messages claimed at once.
    pub batch: i64,
    /// Messages sent at the same time.
    pub concurrency: usize,
    /// Wait between two looks at an empty queue.
    pub idle_poll: Duration,
    /// After this long, a claim by a worker that went silent lapses.
    pub lease: Duration,
    pub retry: RetryPolicy,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            batch: 50,
            concurrency: super::transport::SMTP_POOL_SIZE as usize,
            idle_poll: Duration::from_secs(2),
            lease: Duration::from_secs(300),
            retry: RetryPolicy::default(),
        }
    }
}

/// What one pass over the queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PassReport {
    pub claimed: u64,
    pub sent: u64,
    pub retry_later: u64,
    pub failed: u64,
    pub released: u64,
}

impl PassReport {
    /// Some message was settled (sent or failed for good): more may be due at once.
    pub fn progressed(&self) -> bool {
        self.sent + self.failed > 0
    }

    fn add(&mut self, other: PassReport) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retry_later += other.retry_later;
        self.failed += other.failed;
        self.released += other.released;
    }
}

/// Sends the outbox.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    transport: Transport,
    from: Mailbox,
    id: String,
    options: WorkerOptions,
    /// Set when the worker also queues the territories' daily digests (it needs the
    /// links' address and key).
    digests: Option<super::MailLinks>,
}

/// The digests are queued from this hour on (Europe/Paris).
pub const DIGEST_HOUR: u32 = 8;

/// A message that went out, handed to the marker: its id, and how to say it is marked.
type Sent = (i64, oneshot::Sender<()>);

/// What became of one claimed message.
enum Delivery {
    Sent,
    RetryLater,
    Failed,
    Released,
}

impl Worker {
    pub fn new(store: Store, transport: Transport, from: Mailbox, options: WorkerOptions) -> Self {
        let host = hostname_or_default();
        Self {
            store,
            transport,
            from,
            id: format!(
                "{host}-{}-{}",
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
            options,
            digests: None,
        }
    }

    /// Also queues the daily digests of the territories that chose one, each morning.
    pub fn with_digests(mut self, links: super::MailLinks) -> Self {
        self.digests = Some(links);
        self
    }

    /// Queues today's digests if it is time (from [`DIGEST_HOUR`], Paris time) and this
    /// worker does digests; another worker having queued them already is fine.
    pub async fn queue_digests_if_due(
        &self,
        now: chrono::DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        use chrono::Timelike;
        match &self.digests {
            Some(links) if now.with_timezone(&crate::domain::time::PARIS).hour() >= DIGEST_HOUR => {
                self.store.queue_daily_digests(links, now).await
            }
            _ => Ok(0),
        }
    }

    /// This worker's name in `outbox.claimed_by`.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Claims one batch of due messages and sends it. When `stop` turns true, messages
    /// not started yet are given back.
    pub async fn run_once(&self, stop: &AtomicBool) -> Result<PassReport, StoreError> {
        let now = Utc::now();
        let lease =
            chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::minutes(5));
        let batch = self
            .store
            .claim_outbox(&self.id, now, now - lease, self.options.batch)
            .await?;
        let mut report = PassReport {
            claimed: batch.len() as u64,
            ..PassReport::default()
        };
        if batch.is_empty() {
            return Ok(report);
        }
        // The sends run `concurrency` at a time; each one that went out hands its id to
        // the marker and waits until it is marked: the marker marks sent, in one
        // statement, every id waiting for it (group commit: one at a time when mail is
        // slow, many when it is fast). As before, a sending slot is free again only
        // once its message is marked, so a crash can make at most `concurrency`
        // messages go twice; and the batch ends with its last mark.
        let (sent_tx, sent_rx) = mpsc::unbounded_channel::<Sent>();
        let sends = async move {
            let sent_tx = &sent_tx;
            futures_util::stream::iter(batch)
                .map(|message| async move { self.deliver(&message, stop, sent_tx).await })
                .buffer_unordered(self.options.concurrency.max(1))
                .collect::<Vec<Result<Delivery, StoreError>>>()
                .await
        };
        let (results, marked) = tokio::join!(sends, self.mark_sent(sent_rx));
        for result in results {
            match result? {
                Delivery::Sent => report.sent += 1,
                Delivery::RetryLater => report.retry_later += 1,
                Delivery::Failed => report.failed += 1,
                Delivery::Released => report.released += 1,
            }
        }
        marked?;
        Ok(report)
    }

    /// Marks sent the ids the sends hand over, as they come, and answers each send once
    /// its mark is done: each statement takes every id waiting, so a mark follows its
    /// send by at most two statements' time. Runs until the sends are over; on a
    /// database error it still tries the next ids (each one left unmarked is sent again
    /// once its claim lapses) and gives the first error.
    async fn mark_sent(&self, mut sent: mpsc::UnboundedReceiver<Sent>) -> Result<(), StoreError> {
        let mut first_error = None;
        let mut ids = Vec::new();
        let mut waiting = Vec::new();
        while let Some(first) = sent.recv().await {
            ids.clear();
            let mut next = Some(first);
            while let Some((id, done)) = next {
                ids.push(id);
                waiting.push(done);
                next = sent.try_recv().ok();
            }
            let marked = self
                .store
                .outbox_sent_many(&ids, &self.id, Utc::now())
                .await;
            for done in waiting.drain(..) {
                let _ = done.send(());
            }
            match marked {
                Ok(marked) => {
                    for id in ids.iter().filter(|id| marked.binary_search(id).is_err()) {
                        tracing::warn!(outbox_id = id, "message sent after its claim lapsed");
                    }
                }
                Err(error) => {
                    tracing::error!(error = %error, unmarked = ids.len(), "sent mail not marked sent");
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn deliver(
        &self,
        message: &OutboxMessage,
        stop: &AtomicBool,
        sent: &mpsc::UnboundedSender<Sent>,
    ) -> Result<Delivery, StoreError> {
        if stop.load(Ordering::SeqCst) {
            self.store.outbox_release(&[message.id], &self.id).await?;
            return Ok(Delivery::Released);
        }
        let outcome = self.transport.send(&self.from, message).await;
        let now = Utc::now();
        // Logs carry ids and kinds only: never an address, a name or a subject.
        match outcome {
            Ok(()) => {
                // The marker outlives every send of the batch: it cannot be gone.
                let (done, marked) = oneshot::channel();
                let _ = sent.send((message.id, done));
                let _ = marked.await;
                tracing::info!(outbox_id = message.id, kind = %message.kind, "mail sent");
                Ok(Delivery::Sent)
            }
            Err(SendError::Transient(error)) => {
                let wait = self.options.retry.delay(message.attempts + 1);
                let next =
                    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                self.store
                    .outbox_retry_later(message.id, &self.id, &error, next)
                    .await?;
                tracing::warn!(
                    outbox_id = message.id,
                    attempts = message.attempts + 1,
                    retry_in_s = wait.as_secs(),
                    "mail not sent, will retry"
                );
                Ok(Delivery::RetryLater)
            }
            Err(SendError::Permanent(error)) => {
                self.store
                    .outbox_failed(message.id, &self.id, &error, now)
                    .await?;
                tracing::error!(outbox_id = message.id, kind = %message.kind, "mail refused for good; shown to coordinators");
                Ok(Delivery::Failed)
            }
        }
    }

    /// Sends every message due now, batch after batch, until none is left (or `stop`).
    pub async fn drain(&self, stop: &AtomicBool) -> Result<PassReport, StoreError> {
        self.queue_digests_if_due(Utc::now()).await?;
        let mut total = PassReport::default();
        loop {
            let pass = self.run_once(stop).await?;
            total.add(pass);
            // A batch where every message failed for now ends the drain (the server is
            // down): the messages wait for their next attempt time.
            if !pass.progressed() || stop.load(Ordering::SeqCst) {
                return Ok(total);
            }
        }
    }

    /// Runs until `shutdown` says stop: then finishes the messages in flight, gives
    /// back the others, and returns. Database errors are logged and retried.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = {
            let stop = stop.clone();
            let mut shutdown = shutdown.clone();
            tokio::spawn(async move {
                while !*shutdown.borrow() {
                    if shutdown.changed().await.is_err() {
                        break;
                    }
                }
                stop.store(true, Ordering::SeqCst);
            })
        };
        tracing::info!(worker = %self.id, transport = %self.transport.describe(), "outbox worker started");
        let mut digests_checked: Option<std::time::Instant> = None;
        while !stop.load(Ordering::SeqCst) {
            if digests_checked.is_none_or(|at| at.elapsed() >= Duration::from_secs(600)) {
                digests_checked = Some(std::time::Instant::now());
                if let Err(error) = self.queue_digests_if_due(Utc::now()).await {
                    tracing::error!(error = %error, "daily digests could not be queued");
                }
            }
            let pause = match self.run_once(&stop).await {
                Ok(pass) if pass.progressed() => None,
                Ok(_) => Some(self.options.idle_poll),
                Err(error) => {
                    tracing::error!(error = %error, "outbox worker: database error, trying again");
                    Some(self.options.idle_poll.max(Duration::from_secs(1)))
                }
            };
            if let Some(pause) = pause {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        watcher.abort();
        tracing::info!(worker = %self.id, "outbox worker stopped");
    }
}

fn hostname_or_default() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "lien".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_with_jitter_and_is_capped() {
        let policy = RetryPolicy {
            base: Duration::from_secs(30),
            max: Duration::from_secs(3600),
        };
        for _ in 0..50 {
            let first = policy.delay(1).as_secs_f64();
            assert!((24.0..=36.0).contains(&first), "{first}");
            let third = policy.delay(3).as_secs_f64();
            assert!((96.0..=144.0).contains(&third), "{third}");
            let late = policy.delay(40).as_secs_f64();
            assert!((2880.0..=4320.0).contains(&late), "{late}");
        }
    }
}
