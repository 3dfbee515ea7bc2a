//! The demo's past (`lien demo`): calls recorded at their own times through the same
//! steps as a caller's form, and the mail of those old escalations settled. What to
//! record is drawn by `fixtures::history`; the absence and the departure go through the
//! coordinator's own steps (`store::callers`).

use chrono::{DateTime, Utc};

use super::calls::{record_call_in, CallError, CallInput, CallRecorded};
use super::{query, query_as, Store, StoreError};
use crate::domain::IsoWeek;
use crate::messages::MailLinks;

/// An assignment of a week: who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct AssignmentRef {
    pub assignment_id: i64,
    pub caller_id: i64,
}

impl Store {
    /// The week's assignments of a campaign, by id.
    pub async fn assignment_refs(
        &self,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<Vec<AssignmentRef>, StoreError> {
        Ok(query_as(
            "SELECT id AS assignment_id, caller_id FROM assignments \
             WHERE campaign_id = $1 AND week = $2 ORDER BY id",
        )
        .bind(campaign_id)
        .bind(week.to_string())
        .fetch_all(self)
        .await?)
    }

    /// Records calls made in the past, each at its own time, in one transaction, by the
    /// steps of [`Store::record_call`] (effects, escalations and their mail). A call the
    /// rules refuse at its time (the person opted out earlier in the story, the
    /// assignment was closed) writes nothing and gives `None`.
    pub async fn record_past_calls(
        &self,
        calls: &[(CallInput, DateTime<Utc>)],
        links: &MailLinks,
    ) -> Result<Vec<Option<CallRecorded>>, StoreError> {
        let mut tx = self.begin().await?;
        let mut recorded = Vec::with_capacity(calls.len());
        for (input, at) in calls {
            match record_call_in(&mut tx, input, *at, links).await {
                Ok(call) => recorded.push(Some(call)),
                Err(CallError::Store(e)) => return Err(e),
                Err(_) => recorded.push(None),
            }
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// The escalation mails queued before `before` count as sent when they were queued:
    /// the demo's past is not mailed. Gives how many.
    pub async fn settle_past_mail(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(query(
            "UPDATE outbox SET status = 'sent', sent_at = created_at, secret_token = NULL \
             WHERE status = 'pending' AND escalation_id IS NOT NULL AND created_at < $1",
        )
        .bind(before)
        .execute(self)
        .await?
        .rows_affected())
    }
}
