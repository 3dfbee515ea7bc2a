//! The outbox: every mail lien sends is a row written in the same transaction as the
//! fact that causes it; workers claim due rows, send them and record what happened.
//!
//! Claiming: PostgreSQL locks the rows it takes with `FOR UPDATE SKIP LOCKED`, so that
//! several workers (several `lien serve`) never take the same row; SQLite claims inside
//! a `BEGIN IMMEDIATE` transaction, which already serialises writers. A claimed row is
//! `sending` with the worker's id and the claim time; a worker that died leaves its
//! rows `sending`, and they are claimed again once their lease is over.
//!
//! Secrets: a mail that carries a login, invitation or escalation link keeps its token in
//! `secret_token`, never in its body (which holds [`crate::records::SECRET_PLACEHOLDER`]);
//! the transport puts it in when it builds the message, and the column is emptied in the
//! same `UPDATE` that marks the mail sent. A mail that waits (SMTP outage) or failed
//! keeps its token so that a retry still works; once sent, the outbox holds no token.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{query, query_as, query_scalar, Backend, Store, StoreError};
use crate::domain::{OutboxKind, OutboxStatus};

/// A message as a worker sends it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: i64,
    pub kind: OutboxKind,
    pub escalation_id: Option<i64>,
    pub recipients: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub message_id: String,
    pub attempts: i32,
    /// The token the body's placeholder stands for, until the mail is sent.
    pub secret_token: Option<String>,
}

/// A row as `lien outbox status` and the coordinators' page list it (no body).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OutboxLine {
    pub id: i64,
    pub kind: OutboxKind,
    pub escalation_id: Option<i64>,
    pub recipients: String,
    pub subject: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The queue at a glance.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutboxSummary {
    pub pending: i64,
    /// Pending and due now.
    pub due: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    /// Pending messages already tried at least once (the server refused them for now).
    pub retrying: i64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

const MESSAGE_COLUMNS: &str = "id, kind, escalation_id, recipients, reply_to, subject, \
     body_text, body_html, message_id, attempts, secret_token";
const LINE_COLUMNS: &str = "id, kind, escalation_id, recipients, subject, status, attempts, \
     next_attempt_at, last_error, created_at, sent_at";

/// Ids per statement of [`Store::outbox_sent_many`].
const SENT_IN_LIST: usize = 500;

/// The claim of [`Store::claim_outbox`]: `$1` now, `$2` the worker, `$3` the end of the
/// stale claims, `$4` the limit; `lock` ends the inner `SELECT` (PostgreSQL's row locks).
fn claim_sql(lock: &str) -> String {
    let due = "(status = 'pending' AND next_attempt_at <= $1) \
               OR (status = 'sending' AND claimed_at < $3)";
    format!(
        "UPDATE outbox SET status = 'sending', claimed_at = $1, claimed_by = $2 WHERE id IN \
         (SELECT id FROM outbox WHERE {due} ORDER BY next_attempt_at, id LIMIT $4{lock}) \
         RETURNING {MESSAGE_COLUMNS}"
    )
}

impl Store {
    /// Takes up to `limit` messages that are due (pending with `next_attempt_at <= now`,
    /// or `sending` under a claim older than `stale_before`) for `worker`.
    pub async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        // PostgreSQL: several workers, each skipping the rows another one is claiming.
        // SQLite: one writer at a time, `BEGIN IMMEDIATE` takes the write lock first.
        let lock = if self.backend() == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = claim_sql(lock);
        let claim = query_as::<OutboxMessage>(&sql)
            .bind(now)
            .bind(worker)
            .bind(stale_before)
            .bind(limit);
        let mut rows = match self {
            Store::Postgres(_) => claim.fetch_all(self).await?,
            Store::Sqlite(..) => {
                let mut tx = self.begin().await?;
                let rows = claim.fetch_all(&mut tx).await?;
                tx.commit().await?;
                rows
            }
        };
        rows.sort_by_key(|m| m.id);
        Ok(rows)
    }

    /// The message went out.
    pub async fn outbox_sent(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.outbox_sent_many(&[id], worker, now).await? == [id])
    }

    /// These messages went out: marks them sent in one statement per
    /// [`SENT_IN_LIST`] ids (one commit), as [`Store::outbox_sent`] does one — attempt
    /// counted, error and claim cleared, secret token emptied — but only those `worker`
    /// still holds. Gives the ids it marked, in ascending order; the others' claim lapsed
    /// and another worker took them.
    pub async fn outbox_sent_many(
        &self,
        ids: &[i64],
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut marked = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(SENT_IN_LIST) {
            // `$1` the worker, `$2` the time, `$3…` the ids (few: numbered placeholders
            // are fine on SQLite at this size).
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "UPDATE outbox SET status = 'sent', attempts = attempts + 1, \
                 last_error = NULL, sent_at = $2, next_attempt_at = $2, claimed_at = NULL, \
                 claimed_by = NULL, secret_token = NULL \
                 WHERE claimed_by = $1 AND status = 'sending' AND id IN ({}) RETURNING id",
                list.join(", ")
            );
            let mut update = query_scalar::<i64>(&sql).bind(worker).bind(now);
            for id in chunk {
                update = update.bind(*id);
            }
            marked.extend(update.fetch_all(self).await?);
        }
        marked.sort_unstable();
        Ok(marked)
    }

    /// The message failed for now: it is tried again at `next_attempt_at`.
    pub async fn outbox_retry_later(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let status = OutboxStatus::Pending;
        self.outbox_finish(id, worker, status, Some(error), None, next_attempt_at)
            .await
    }

    /// The message was refused for good: it waits for a coordinator.
    pub async fn outbox_failed(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.outbox_finish(id, worker, OutboxStatus::Failed, Some(error), None, now)
            .await
    }

    /// Records the end of one attempt, only if `worker` still holds the claim; false when
    /// it does not (its lease ran out and another worker took the message).
    async fn outbox_finish(
        &self,
        id: i64,
        worker: &str,
        status: OutboxStatus,
        error: Option<&str>,
        sent_at: Option<DateTime<Utc>>,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let error: Option<String> = error.map(|e| e.chars().take(1000).collect());
        let done = query(
            "UPDATE outbox SET status = $3, attempts = attempts + 1, last_error = $4, \
             sent_at = $5, next_attempt_at = $6, claimed_at = NULL, claimed_by = NULL, \
             secret_token = CASE WHEN $3 = 'sent' THEN NULL ELSE secret_token END \
             WHERE id = $1 AND claimed_by = $2 AND status = 'sending'",
        )
        .bind(id)
        .bind(worker)
        .bind(status)
        .bind(error)
        .bind(sent_at)
        .bind(next_attempt_at)
        .execute(self)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives back messages claimed but not tried (the worker is stopping).
    pub async fn outbox_release(&self, ids: &[i64], worker: &str) -> Result<u64, StoreError> {
        let mut released = 0;
        for id in ids {
            let done = query(
                "UPDATE outbox SET status = 'pending', claimed_at = NULL, claimed_by = NULL \
                 WHERE id = $1 AND claimed_by = $2 AND status = 'sending'",
            )
            .bind(*id)
            .bind(worker)
            .execute(self)
            .await?;
            released += done.rows_affected();
        }
        Ok(released)
    }

    /// Puts failed messages back in the queue, due now: one (`Some(id)`) or all. Gives how
    /// many were put back.
    pub async fn outbox_retry(
        &self,
        id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = query(
            "UPDATE outbox SET status = 'pending', next_attempt_at = $2 \
             WHERE status = 'failed' AND ($1 IS NULL OR id = $1)",
        )
        .bind(id)
        .bind(now)
        .execute(self)
        .await?;
        Ok(done.rows_affected())
    }

    /// Counts by status.
    pub async fn outbox_summary(&self, now: DateTime<Utc>) -> Result<OutboxSummary, StoreError> {
        let rows: Vec<(OutboxStatus, i64, i64, i64)> = query_as(
            "SELECT status, COUNT(*), \
             COALESCE(SUM(CASE WHEN next_attempt_at <= $1 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) \
             FROM outbox GROUP BY status",
        )
        .bind(now)
        .fetch_all(self)
        .await?;
        let mut summary = OutboxSummary::default();
        for (status, n, due, tried) in rows {
            match status {
                OutboxStatus::Pending => {
                    summary.pending = n;
                    summary.due = due;
                    summary.retrying = tried;
                }
                OutboxStatus::Sending => summary.sending = n,
                OutboxStatus::Sent => summary.sent = n,
                OutboxStatus::Failed => summary.failed = n,
            }
        }
        summary.oldest_pending_at = query_scalar(
            "SELECT created_at FROM outbox WHERE status IN ('pending', 'sending') \
             ORDER BY created_at LIMIT 1",
        )
        .fetch_optional(self)
        .await?;
        Ok(summary)
    }

    /// Messages that need a look: failed ones, and pending ones already refused at least
    /// once (newest first).
    pub async fn outbox_problems(&self, limit: i64) -> Result<Vec<OutboxLine>, StoreError> {
        let sql = format!(
            "SELECT {LINE_COLUMNS} FROM outbox WHERE status = 'failed' \
             OR (status = 'pending' AND attempts > 0) ORDER BY status, id DESC LIMIT $1"
        );
        Ok(query_as(&sql).bind(limit).fetch_all(self).await?)
    }

    /// One message's line.
    pub async fn outbox_line(&self, id: i64) -> Result<Option<OutboxLine>, StoreError> {
        let sql = format!("SELECT {LINE_COLUMNS} FROM outbox WHERE id = $1");
        Ok(query_as(&sql).bind(id).fetch_optional(self).await?)
    }
}
