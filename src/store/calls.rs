//! Recording a call and everything it causes, in one transaction.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::escalations::{insert_need_escalation, unreachable_escalation, EscalationSource};
use super::suppressions;
use super::{query, query_as, query_scalar, writer_thread, Backend, Store, StoreError, Tx};
use crate::calling::outcome::{effects, CallEffects, CallFacts};
use crate::calling::refusal::{refusal, CallTargetState};
use crate::domain::{AssignmentStatus, BeneficiaryStatus, IsoWeek, NeedCategory, Outcome, Urgency};
use crate::messages::MailLinks;
use crate::records::suppression::SuppressionSource;

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
    /// The assignment is closed or of a past week, or the person opted out or died:
    /// nothing was written (shown as 409 with a sentence).
    #[error(transparent)]
    Refused(#[from] crate::calling::refusal::CallRefused),
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
    status: BeneficiaryStatus,
    assignment_status: AssignmentStatus,
    week: String,
    /// The call already recorded with this form's idempotency key, if any.
    earlier_call_id: Option<i64>,
}

impl CallContext {
    fn target_state(&self) -> CallTargetState {
        CallTargetState {
            assignment: self.assignment_status,
            week: IsoWeek::parse(&self.week).ok(),
            person: self.status,
        }
    }
}

/// A call as the history shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallHistoryRow {
    pub called_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub notes: Option<String>,
}

/// An assignment as the call page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallTarget {
    pub assignment_id: i64,
    pub status: AssignmentStatus,
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

const TARGET_SQL: &str = "SELECT a.id AS assignment_id, a.status, a.attempts, a.week, cp.call_script, \
     cp.title AS campaign_title, cp.id AS campaign_id, b.id AS beneficiary_id, b.first_name, b.last_name, \
     b.address, b.postal_code, b.commune, b.preferred_language \
     FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id JOIN campaigns cp ON cp.id = a.campaign_id \
     WHERE a.id = $1 AND a.caller_id = $2";

impl Store {
    /// The assignment, only if it is `caller_id`'s.
    pub async fn call_target(
        &self,
        assignment_id: i64,
        caller_id: i64,
    ) -> Result<Option<CallTarget>, StoreError> {
        let target: Option<CallTarget> = query_as(TARGET_SQL)
            .bind(assignment_id)
            .bind(caller_id)
            .fetch_optional(self)
            .await?;
        let Some(mut target) = target else {
            return Ok(None);
        };
        target.phones = query_scalar(
            "SELECT e164 FROM beneficiary_phones WHERE beneficiary_id = $1 \
             AND wrong_reported_at IS NULL ORDER BY position",
        )
        .bind(target.beneficiary_id)
        .fetch_all(self)
        .await?;
        Ok(Some(target))
    }

    /// The person's earlier calls, newest first.
    pub async fn call_history(
        &self,
        beneficiary_id: i64,
        limit: i64,
    ) -> Result<Vec<CallHistoryRow>, StoreError> {
        Ok(query_as(
            "SELECT called_at, outcome, notes FROM calls WHERE beneficiary_id = $1 \
             ORDER BY called_at DESC, id DESC LIMIT $2",
        )
        .bind(beneficiary_id)
        .bind(limit)
        .fetch_all(self)
        .await?)
    }

    /// Records a call and its effects in one transaction: the call; the assignment closed
    /// or waiting for a retry or a callback; opt-out and death for good; a pause; a wrong
    /// number flagged; one escalation and the outbox row of its mail per need; after
    /// too many unanswered attempts in a row, an 'unreachable' escalation and its mail.
    /// The effects are decided by [`crate::calling::outcome::effects`].
    /// The same idempotency key twice records one call (the second answers with the
    /// first). A call on a closed assignment, on one of a past week (after
    /// [`crate::calling::refusal::LATE_CALL_GRACE`]), or about a person who opted out or
    /// died is refused with [`CallError::Refused`] and writes nothing.
    /// On SQLite the transaction runs on the [`writer_thread`]: once started, it goes on
    /// to its end even if the request that asked for it is gone.
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
        if self.backend() == Backend::Postgres {
            return self.record_call_here(input, now, links).await;
        }
        let (store, input, links) = (self.clone(), input.clone(), links.clone());
        writer_thread::run(async move { store.record_call_here(&input, now, &links).await }).await
    }

    /// [`Store::record_call`] on the thread it is called on.
    async fn record_call_here(
        &self,
        input: &CallInput,
        now: DateTime<Utc>,
        links: &MailLinks,
    ) -> Result<CallRecorded, CallError> {
        let mut tx = self.begin().await?;
        match record_call_in(&mut tx, input, now, links).await {
            Ok(recorded) => {
                tx.commit().await?;
                Ok(recorded)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }
}

/// [`Store::record_call`] inside a transaction the caller commits: a refused call
/// (`NotFound`, `Refused`) has written nothing when it returns, so the transaction can
/// go on (the demo's history records many calls in one).
pub(super) async fn record_call_in(
    tx: &mut Tx,
    input: &CallInput,
    now: DateTime<Utc>,
    links: &MailLinks,
) -> Result<CallRecorded, CallError> {
    let Some(context) = call_context(tx, input).await? else {
        return Err(CallError::NotFound);
    };
    // The same form twice (double click, retry after a timeout) answers with the
    // first call and changes nothing, even though that call closed the assignment.
    if let Some(first) = context.earlier_call_id {
        return Ok(replayed(first));
    }
    if let Some(refused) = refusal(context.target_state(), now) {
        // On PostgreSQL the context's snapshot was taken before the wait for the week's
        // lock: the same form, recorded meanwhile, closed the assignment, but its call
        // was not in that snapshot. Read again, it is.
        if let Some(first) = earlier_call(tx, input).await? {
            return Ok(replayed(first));
        }
        return Err(CallError::Refused(refused));
    }
    let effects = effects(&call_facts(input, &context, now));
    let Some(call_id) = write_call(tx, input, context.beneficiary_id, &effects, now).await? else {
        // Both forms passed the check above at once: the unique key let one insert
        // through; this one finds the first call.
        let first = earlier_call(tx, input)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        return Ok(replayed(first));
    };
    write_beneficiary(tx, context.beneficiary_id, &effects, now).await?;
    let escalations = raise_escalations(tx, input, &context, call_id, &effects, links, now).await?;
    Ok(CallRecorded {
        call_id,
        new: true,
        escalations,
        assignment_closed: effects.closes_assignment(),
    })
}

/// The call already recorded with this form's idempotency key, if any.
async fn earlier_call(tx: &mut Tx, input: &CallInput) -> Result<Option<i64>, sqlx::Error> {
    query_scalar("SELECT id FROM calls WHERE caller_id = $1 AND idempotency_key = $2")
        .bind(input.caller_id)
        .bind(&input.idempotency_key)
        .fetch_optional(tx)
        .await
}

/// The answer to a form recorded before: its call, nothing new.
fn replayed(call_id: i64) -> CallRecorded {
    CallRecorded {
        call_id,
        new: false,
        escalations: Vec::new(),
        assignment_closed: false,
    }
}

/// The assignment, its campaign's rules and its person, if the assignment is the caller's,
/// with the call this form recorded before: one statement, for a call is recorded under
/// SQLite's single write lock and, on PostgreSQL, under the lock of the caller's week,
/// each statement a round trip while it is held.
const CALL_CONTEXT_SQL: &str = "SELECT a.beneficiary_id, a.campaign_id, a.attempts, \
     cp.max_attempts_per_week AS max_attempts, cp.retry_gap_minutes AS gap, b.territory_id, \
     b.status, a.status AS assignment_status, a.week, \
     (SELECT c.id FROM calls c WHERE c.caller_id = $2 AND c.idempotency_key = $3) \
       AS earlier_call_id \
     FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id \
     JOIN campaigns cp ON cp.id = a.campaign_id";

/// The same on PostgreSQL, taking the planner's lock order (see `plan_week`) in the same
/// statement: the caller's sums for the week (kept by triggers, migration 0008, so every
/// call of the week writes them), then the assignment itself, in the mode its update
/// takes (`NO KEY`: the rows that refer to it, calls and escalations, are not held up).
/// The clauses lock in the order they are written. When a call or a plan changed either
/// row while this one waited, PostgreSQL locks the row's committed version and checks
/// the conditions again on it: the assignment's attempts and status are never a stale
/// snapshot's (`calls_sent_at_once_are_each_answered_as_if_alone` fails without the
/// assignment's lock). Every assignment has its row of sums: the trigger writes it with
/// the assignment.
static CALL_CONTEXT_POSTGRES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{CALL_CONTEXT_SQL} JOIN week_caller_totals t ON t.campaign_id = a.campaign_id \
         AND t.week = a.week AND t.caller_id = a.caller_id \
         WHERE a.id = $1 AND a.caller_id = $2 FOR UPDATE OF t FOR NO KEY UPDATE OF a"
    )
});

static CALL_CONTEXT_SQLITE: LazyLock<String> =
    LazyLock::new(|| format!("{CALL_CONTEXT_SQL} WHERE a.id = $1 AND a.caller_id = $2"));

/// [`CALL_CONTEXT_SQL`] for the transaction's database. SQLite's `BEGIN IMMEDIATE`
/// already serialises writers.
async fn call_context(tx: &mut Tx, input: &CallInput) -> Result<Option<CallContext>, sqlx::Error> {
    let sql: &str = if tx.is_postgres() {
        &CALL_CONTEXT_POSTGRES
    } else {
        &CALL_CONTEXT_SQLITE
    };
    query_as(sql)
        .bind(input.assignment_id)
        .bind(input.caller_id)
        .bind(&input.idempotency_key)
        .fetch_optional(tx)
        .await
}

/// What the pure rules of [`effects`] need to know.
fn call_facts<'a>(
    input: &'a CallInput,
    context: &CallContext,
    now: DateTime<Utc>,
) -> CallFacts<'a> {
    CallFacts {
        outcome: input.outcome,
        attempts_before: context.attempts,
        max_attempts: context.max_attempts,
        retry_gap_minutes: context.gap,
        beneficiary_status: context.status,
        callback_at: input.callback_at,
        paused_until: input.paused_until,
        wrong_phone: input.wrong_phone.as_deref(),
        now,
    }
}

/// The call, inserted unless this idempotency key was recorded before.
const INSERT_CALL_SQL: &str = "INSERT INTO calls (assignment_id, caller_id, beneficiary_id, \
     called_at, outcome, notes, callback_at, paused_until, idempotency_key, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $4) \
     ON CONFLICT (caller_id, idempotency_key) DO NOTHING RETURNING id";

/// The assignment after the call: attempts, open or closed, next attempt or callback,
/// and the summary the weekly totals read (migration 0006); completed below by the
/// condition that the call was inserted.
const UPDATE_ASSIGNMENT_SQL: &str = "UPDATE assignments SET attempts = $10, status = $11, \
     next_attempt_at = $12, callback_at = $13, closed_at = $14, last_outcome = $5, \
     last_called_at = $4, reached_at = COALESCE(reached_at, $15), \
     conversation_at = COALESCE(conversation_at, $16) WHERE id = $1 AND ";

/// The call and its assignment in one statement on PostgreSQL (the assignment is
/// updated only when the call was inserted) …
static WRITE_CALL_POSTGRES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH c AS ({INSERT_CALL_SQL}), \
         u AS ({UPDATE_ASSIGNMENT_SQL}EXISTS (SELECT 1 FROM c)) SELECT id FROM c"
    )
});

/// … and in two statements sent at once on SQLite, which has no writes in `WITH`: the
/// update follows the insert, and `changes()` is the number of rows the insert wrote.
static WRITE_CALL_SQLITE: LazyLock<String> =
    LazyLock::new(|| format!("{INSERT_CALL_SQL}; {UPDATE_ASSIGNMENT_SQL}changes() = 1"));

/// Inserts the call and writes its assignment after it, in one round trip to the
/// database: under SQLite's single write lock, each statement of a call is a hand-off
/// between threads while the lock is held, and on PostgreSQL a round trip while the
/// caller's week is locked (docs/PERFORMANCE.md, "Fewer statements per call").
/// `None`, with nothing written, when this idempotency key was recorded before.
async fn write_call(
    tx: &mut Tx,
    input: &CallInput,
    beneficiary_id: i64,
    effects: &CallEffects,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let sql: &str = if tx.is_postgres() {
        &WRITE_CALL_POSTGRES
    } else {
        &WRITE_CALL_SQLITE
    };
    let a = &effects.assignment;
    // Every row, not the first: asked for one row, sqlx's SQLite stops at the insert's
    // and never runs the update.
    let ids: Vec<i64> = query_scalar(sql)
        .bind(input.assignment_id)
        .bind(input.caller_id)
        .bind(beneficiary_id)
        .bind(now)
        .bind(input.outcome)
        .bind(input.notes.as_deref().filter(|n| !n.trim().is_empty()))
        .bind(input.callback_at)
        .bind(input.paused_until)
        .bind(&input.idempotency_key)
        .bind(a.attempts)
        .bind(a.status)
        .bind(a.next_attempt_at)
        .bind(a.callback_at)
        .bind(a.closed_at)
        .bind(a.reached_at)
        .bind(a.conversation_at)
        .fetch_all(tx)
        .await?;
    Ok(ids.into_iter().next())
}

/// The person after the call: a final status, a pause, a wrong number flagged.
async fn write_beneficiary(
    tx: &mut Tx,
    beneficiary_id: i64,
    effects: &CallEffects,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if let Some(status) = effects.beneficiary_status {
        query(
            "UPDATE beneficiaries SET status = $2, status_changed_at = $3, updated_at = $3 \
             WHERE id = $1",
        )
        .bind(beneficiary_id)
        .bind(status)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if status == BeneficiaryStatus::OptedOut {
            // The person's phones and identity go on the suppression list with the call.
            suppressions::suppress_people(tx, &[beneficiary_id], SuppressionSource::Call, now)
                .await?;
        }
    }
    if let Some(paused_until) = effects.pause {
        query("UPDATE beneficiaries SET paused_until = $2, updated_at = $3 WHERE id = $1")
            .bind(beneficiary_id)
            .bind(paused_until)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(phone) = &effects.wrong_number {
        query(
            "UPDATE beneficiary_phones SET wrong_reported_at = $2 WHERE beneficiary_id = $1 \
             AND wrong_reported_at IS NULL AND ($3 IS NULL OR e164 = $3)",
        )
        .bind(beneficiary_id)
        .bind(now)
        .bind(phone.as_deref())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// One escalation (and its mail) per need heard; after an unanswered call, the
/// 'unreachable' escalation when it is due. Gives their ids.
async fn raise_escalations(
    tx: &mut Tx,
    input: &CallInput,
    context: &CallContext,
    call_id: i64,
    effects: &CallEffects,
    links: &MailLinks,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let source = EscalationSource {
        call_id,
        campaign_id: context.campaign_id,
        beneficiary_id: context.beneficiary_id,
        territory_id: context.territory_id,
    };
    let mut escalations = Vec::new();
    for need in &input.needs {
        escalations.push(insert_need_escalation(tx, &source, need, links, now).await?);
    }
    if effects.check_unreachable {
        if let Some(id) = unreachable_escalation(tx, &source, links, now).await? {
            escalations.push(id);
        }
    }
    Ok(escalations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calling::outcome::CallFacts;

    fn callback(key: &str) -> CallInput {
        CallInput {
            assignment_id: 1,
            caller_id: 2,
            outcome: Outcome::Callback,
            notes: None,
            callback_at: Some(Utc::now()),
            paused_until: None,
            wrong_phone: None,
            needs: Vec::new(),
            idempotency_key: key.into(),
        }
    }

    fn effects_of(input: &CallInput, attempts_before: i32) -> CallEffects {
        effects(&CallFacts {
            outcome: input.outcome,
            attempts_before,
            max_attempts: 5,
            retry_gap_minutes: 60,
            beneficiary_status: BeneficiaryStatus::Active,
            callback_at: input.callback_at,
            paused_until: None,
            wrong_phone: None,
            now: Utc::now(),
        })
    }

    /// SQLite's two statements sent at once: the assignment is written after a call
    /// inserted, and left alone when the key was recorded before (the insert did
    /// nothing). On the columns the statements name, without the schema's triggers.
    #[tokio::test]
    async fn sqlite_writes_the_assignment_only_after_an_inserted_call() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("calls.db").display());
        let store = Store::connect(&url).await.unwrap();
        for sql in [
            "CREATE TABLE calls (id INTEGER PRIMARY KEY, assignment_id, caller_id, beneficiary_id, \
             called_at, outcome, notes, callback_at, paused_until, idempotency_key, created_at, \
             UNIQUE (caller_id, idempotency_key))",
            "CREATE TABLE assignments (id INTEGER PRIMARY KEY, attempts, status, next_attempt_at, \
             callback_at, closed_at, last_outcome, last_called_at, reached_at, conversation_at)",
            "INSERT INTO assignments (id, attempts, status) VALUES (1, 0, 'open')",
        ] {
            query(sql).execute(&store).await.unwrap();
        }
        let attempts = || async {
            query_scalar::<i64>("SELECT attempts FROM assignments WHERE id = 1")
                .fetch_one(&store)
                .await
                .unwrap()
        };
        let written = |key: &'static str, attempts_before: i32| {
            let store = store.clone();
            async move {
                let input = callback(key);
                let effects = effects_of(&input, attempts_before);
                let mut tx = store.begin().await.unwrap();
                let id = write_call(&mut tx, &input, 3, &effects, Utc::now()).await;
                tx.commit().await.unwrap();
                id.unwrap()
            }
        };
        assert_eq!(written("key-one", 0).await, Some(1));
        assert_eq!(attempts().await, 1);
        // The same key again (the check before it missed it): nothing is written.
        assert_eq!(written("key-one", 4).await, None);
        assert_eq!(attempts().await, 1);
        assert_eq!(written("key-two", 1).await, Some(2));
        assert_eq!(attempts().await, 2);
        store.close().await;
    }
}
