//! Recording a call and everything it causes, in one transaction.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::escalations::{queue_escalation_mail, unreachable_escalation};
use super::{in_transaction, Store, StoreError};
use crate::domain::{NeedCategory, Outcome, Urgency};
use crate::mail::MailLinks;

/// A need heard during the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedInput {
    pub category: NeedCategory,
    pub description: String,
    pub urgency: Urgency,
}

/// What the caller recorded.
#[derive(Debug, Clone)]
pub struct CallInput {
    pub assignment_id: i64,
    pub caller_id: i64,
    pub outcome: Outcome,
    pub notes: Option<String>,
    pub callback_at: Option<DateTime<Utc>>,
    pub paused_until: Option<NaiveDate>,
    /// For a wrong number: which one (E.164); all of them when absent.
    pub wrong_phone: Option<String>,
    pub needs: Vec<NeedInput>,
    pub idempotency_key: String,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRecorded {
    pub call_id: i64,
    /// False when the same form was submitted before: nothing was recorded again.
    pub new: bool,
    pub escalations: Vec<i64>,
    pub assignment_closed: bool,
}

/// Why a call could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The assignment does not exist or is not this caller's (shown as 404).
    #[error("no such assignment for this caller")]
    NotFound,
    #[error("a callback needs its date and time")]
    CallbackWithoutTime,
    #[error("a need needs a description")]
    NeedWithoutDescription,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CallError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// What recording a call needs to know about its assignment.
#[derive(sqlx::FromRow)]
struct CallContext {
    beneficiary_id: i64,
    campaign_id: i64,
    attempts: i32,
    max_attempts: i32,
    gap: i32,
    territory_id: Option<i64>,
    status: String,
}

/// A call as the history shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallHistoryRow {
    pub called_at: DateTime<Utc>,
    pub outcome: String,
    pub notes: Option<String>,
}

/// An assignment as the call page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallTarget {
    pub assignment_id: i64,
    pub status: String,
    pub attempts: i32,
    pub week: String,
    pub call_script: String,
    pub campaign_title: String,
    pub campaign_id: i64,
    pub beneficiary_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub commune: Option<String>,
    pub preferred_language: String,
    #[sqlx(skip)]
    pub phones: Vec<String>,
}

impl Store {
    /// The assignment, only if it is `caller_id`'s.
    pub async fn call_target(
        &self,
        assignment_id: i64,
        caller_id: i64,
    ) -> Result<Option<CallTarget>, StoreError> {
        let sql = "SELECT a.id AS assignment_id, a.status, a.attempts, a.week, cp.call_script, cp.title AS campaign_title, cp.id AS campaign_id, \
             b.id AS beneficiary_id, b.first_name, b.last_name, b.address, b.postal_code, b.commune, b.preferred_language \
             FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id JOIN campaigns cp ON cp.id = a.campaign_id \
             WHERE a.id = $1 AND a.caller_id = $2";
        let target: Option<CallTarget> = super::on_pool!(self, pool => {
            sqlx::query_as(sql).bind(assignment_id).bind(caller_id).fetch_optional(pool).await?
        });
        let Some(mut target) = target else {
            return Ok(None);
        };
        let phones: Vec<(String,)> = super::on_pool!(self, pool => {
            sqlx::query_as("SELECT e164 FROM beneficiary_phones WHERE beneficiary_id = $1 AND wrong_reported_at IS NULL ORDER BY position")
                .bind(target.beneficiary_id).fetch_all(pool).await?
        });
        target.phones = phones.into_iter().map(|(p,)| p).collect();
        Ok(Some(target))
    }

    /// The person's earlier calls, newest first.
    pub async fn call_history(
        &self,
        beneficiary_id: i64,
        limit: i64,
    ) -> Result<Vec<CallHistoryRow>, StoreError> {
        Ok(super::on_pool!(self, pool => {
            sqlx::query_as("SELECT called_at, outcome, notes FROM calls WHERE beneficiary_id = $1 ORDER BY called_at DESC, id DESC LIMIT $2")
                .bind(beneficiary_id).bind(limit).fetch_all(pool).await?
        }))
    }

    /// Records a call and its effects in one transaction: the call; the assignment closed
    /// or waiting for a retry or a callback; opt-out and death for good; a pause; a wrong
    /// number flagged; one escalation and the outbox row of its mail per need; after
    /// too many unanswered attempts in a row, an 'unreachable' escalation and its mail.
    /// The same idempotency key twice records one call.
    pub async fn record_call(
        &self,
        input: &CallInput,
        now: DateTime<Utc>,
        links: &MailLinks,
    ) -> Result<CallRecorded, CallError> {
        if input.outcome == Outcome::Callback && input.callback_at.is_none() {
            return Err(CallError::CallbackWithoutTime);
        }
        if input.needs.iter().any(|n| n.description.trim().is_empty()) {
            return Err(CallError::NeedWithoutDescription);
        }
        let postgres = matches!(self, Store::Postgres(_));
        let result: Result<CallRecorded, StoreError> = in_transaction!(self, tx => {
            if postgres {
                // The planner's lock order (see `plan_week`): the caller's sums for the
                // week before the assignment itself.
                sqlx::query("SELECT t.caller_id FROM week_caller_totals t JOIN assignments a \
                             ON t.campaign_id = a.campaign_id AND t.week = a.week AND t.caller_id = a.caller_id \
                             WHERE a.id = $1 FOR UPDATE OF t")
                    .bind(input.assignment_id).execute(&mut *tx).await?;
            }
            let found: Option<CallContext> = sqlx::query_as(
                "SELECT a.beneficiary_id, a.campaign_id, a.attempts, cp.max_attempts_per_week AS max_attempts, \
                 cp.retry_gap_minutes AS gap, b.territory_id, b.status \
                 FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id JOIN campaigns cp ON cp.id = a.campaign_id \
                 WHERE a.id = $1 AND a.caller_id = $2")
                .bind(input.assignment_id).bind(input.caller_id).fetch_optional(&mut *tx).await?;
            let Some(CallContext { beneficiary_id, campaign_id, attempts, max_attempts, gap, territory_id, status }) = found else {
                return Err(CallError::NotFound);
            };
            // The same form twice (double click, retry after a timeout): the unique key
            // lets one insert through; the other finds the first call and changes nothing.
            let inserted: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO calls (assignment_id, caller_id, beneficiary_id, called_at, outcome, notes, callback_at, \
                 paused_until, idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $4) \
                 ON CONFLICT (caller_id, idempotency_key) DO NOTHING RETURNING id")
                .bind(input.assignment_id).bind(input.caller_id).bind(beneficiary_id).bind(now)
                .bind(input.outcome.as_str()).bind(input.notes.as_deref().filter(|n| !n.trim().is_empty()))
                .bind(input.callback_at).bind(input.paused_until).bind(&input.idempotency_key)
                .fetch_optional(&mut *tx).await?;
            let Some((call_id,)) = inserted else {
                let (call_id,): (i64,) = sqlx::query_as(
                    "SELECT id FROM calls WHERE caller_id = $1 AND idempotency_key = $2")
                    .bind(input.caller_id).bind(&input.idempotency_key).fetch_one(&mut *tx).await?;
                return Ok(CallRecorded { call_id, new: false, escalations: Vec::new(), assignment_closed: false });
            };
            let attempts = attempts + 1;
            let closes = input.outcome.closes_assignment() || (input.outcome.is_unanswered() && attempts >= max_attempts);
            let next_attempt = (!closes && input.outcome.is_unanswered()).then(|| now + Duration::minutes(i64::from(gap)));
            sqlx::query(
                "UPDATE assignments SET attempts = $2, status = $3, next_attempt_at = $4, callback_at = $5, \
                 closed_at = $6, last_outcome = $7, last_called_at = $8, reached_at = COALESCE(reached_at, $9), \
                 conversation_at = COALESCE(conversation_at, $10) WHERE id = $1")
                .bind(input.assignment_id).bind(attempts).bind(if closes { "closed" } else { "open" })
                .bind(next_attempt)
                .bind(if input.outcome == Outcome::Callback { input.callback_at } else { None })
                .bind(closes.then_some(now))
                // The summary the weekly totals read (migration 0006).
                .bind(input.outcome.as_str()).bind(now)
                .bind(input.outcome.is_reached().then_some(now))
                .bind(input.outcome.is_conversation().then_some(now))
                .execute(&mut *tx).await?;
            if let Some(final_status) = input.outcome.implied_beneficiary_status() {
                if status == "active" || status == "moved" {
                    sqlx::query("UPDATE beneficiaries SET status = $2, status_changed_at = $3, updated_at = $3 WHERE id = $1")
                        .bind(beneficiary_id).bind(final_status.as_str()).bind(now).execute(&mut *tx).await?;
                }
            }
            if input.outcome == Outcome::Paused {
                sqlx::query("UPDATE beneficiaries SET paused_until = $2, updated_at = $3 WHERE id = $1")
                    .bind(beneficiary_id).bind(input.paused_until).bind(now).execute(&mut *tx).await?;
            }
            if input.outcome == Outcome::WrongNumber {
                sqlx::query(
                    "UPDATE beneficiary_phones SET wrong_reported_at = $2 WHERE beneficiary_id = $1 \
                     AND wrong_reported_at IS NULL AND ($3 IS NULL OR e164 = $3)")
                    .bind(beneficiary_id).bind(now).bind(input.wrong_phone.as_deref())
                    .execute(&mut *tx).await?;
            }
            let mut escalations = Vec::new();
            for need in &input.needs {
                let (escalation_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO escalations (kind, call_id, campaign_id, beneficiary_id, territory_id, category, description, \
                     urgency, status, created_at) VALUES ('need', $1, $2, $3, $4, $5, $6, $7, 'open', $8) RETURNING id")
                    .bind(call_id).bind(campaign_id).bind(beneficiary_id).bind(territory_id)
                    .bind(need.category.as_str()).bind(need.description.trim()).bind(need.urgency.as_str()).bind(now)
                    .fetch_one(&mut *tx).await?;
                // The mail to the territory waits in the outbox, written with the call; an
                // escalation without a territory has no mail and shows to coordinators.
                queue_escalation_mail!(tx, escalation_id, links, now, 0, None);
                escalations.push(escalation_id);
            }
            if input.outcome.is_unanswered() {
                if let Some(escalation_id) = unreachable_escalation!(tx, call_id, campaign_id, beneficiary_id, territory_id, links, now) {
                    escalations.push(escalation_id);
                }
            }
            Ok(CallRecorded { call_id, new: true, escalations, assignment_closed: closes })
        });
        Ok(result?)
    }
}
