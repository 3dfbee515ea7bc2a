//! The day-two operations on callers: absences, departures and returns, the roster.
//!
//! Every change is audited (ids and codes only). A departure ends the caller's
//! account(s) and sessions in the transaction that marks them inactive, then the weeks
//! already planned from this one on are rebalanced, so that their people not yet called
//! go to others at once; the history (assignments, calls) stays.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{query, query_as, query_scalar, AuditEvent, Campaign, PlanMode, Store, StoreError};
use crate::domain::{names::fold, IsoWeek};
use crate::planning::AssignmentStatus;

/// A refused or failed change to a caller, in the coordinator's terms.
#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    #[error("no caller has the email {0}: check the address, or import the caller first")]
    UnknownCaller(String),
    #[error("the absence ends on {to} before it starts on {from}: give an end date on or after the start date")]
    AbsenceEndsBeforeStart { from: NaiveDate, to: NaiveDate },
    #[error("capacity {0} is outside 0 to 1000 calls a week: give a number in that range")]
    CapacityOutOfBounds(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CallerError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl CallerError {
    /// Stable code, for the catalogues of the pages and the command line.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownCaller(_) => "unknown_caller",
            Self::AbsenceEndsBeforeStart { .. } => "absence_inverted",
            Self::CapacityOutOfBounds(_) => "capacity_out_of_bounds",
            Self::Store(_) => "store",
        }
    }
}

/// Who makes a change: an account, or the command line (`None`).
#[derive(Debug, Clone, Copy)]
pub struct ChangedBy(pub Option<i64>);

impl ChangedBy {
    fn event<'a>(self, action: &'a str, caller_id: i64, detail: Option<String>) -> AuditEvent<'a> {
        AuditEvent {
            actor_user_id: self.0,
            actor_label: if self.0.is_some() { "user" } else { "cli" },
            action,
            subject_type: "caller",
            subject_id: Some(caller_id),
            detail,
        }
    }
}

/// A caller as the roster and the commands show them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CallerLine {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub weekly_capacity: i32,
    pub available_weekdays: i32,
    pub languages: String,
    pub territory_preference_id: Option<i64>,
    pub territory: Option<String>,
    pub active: bool,
    /// An absence overlaps the week shown.
    pub absent: bool,
    /// This week's assignments in the campaign shown, and those with a call.
    pub assigned: i64,
    pub called: i64,
    pub last_call_at: Option<DateTime<Utc>>,
}

impl CallerLine {
    /// Whether every word of `text` is in the name or the email (case and accents
    /// ignored).
    pub fn matches(&self, text: &str) -> bool {
        let haystack = fold(&format!(
            "{} {} {}",
            self.first_name, self.last_name, self.email
        ));
        fold(text)
            .split_whitespace()
            .all(|word| haystack.contains(word))
    }

    pub fn not_started(&self) -> bool {
        self.last_call_at.is_none()
    }
}

/// One absence of a caller.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Absence {
    pub id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// A week already planned that a change to a caller touches: it has assignments of
/// theirs not yet called.
#[derive(Debug, Clone, Serialize)]
pub struct TouchedWeek {
    pub campaign: String,
    pub week: IsoWeek,
}

/// One person a rebalance moves: from which caller to which (None: left without one).
#[derive(Debug, Clone, Serialize)]
pub struct Move {
    pub beneficiary_id: i64,
    pub external_ref: Option<String>,
    pub from_caller: String,
    pub to_caller: Option<String>,
}

/// What a departure or a return changed.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveChange {
    pub caller_id: i64,
    pub active: bool,
    pub accounts: u64,
    pub sessions_ended: u64,
    /// Weeks rebalanced, and the people moved in them.
    pub rebalanced: Vec<TouchedWeek>,
    pub moved: usize,
}

/// Editable facts of a caller (the coordinator's form).
#[derive(Debug, Clone)]
pub struct CallerSettings {
    pub weekly_capacity: i64,
    pub available_weekdays: crate::domain::Weekdays,
    pub languages: String,
    pub territory_preference_id: Option<i64>,
}

const LINE_SQL: &str = "SELECT c.id, c.email, c.first_name, c.last_name, c.weekly_capacity, \
     c.available_weekdays, c.languages, c.territory_preference_id, t.name AS territory, \
     c.active = TRUE AS active, \
     EXISTS (SELECT 1 FROM caller_absences x WHERE x.caller_id = c.id \
             AND x.ends_on >= $3 AND x.starts_on <= $4) AS absent, \
     (SELECT COUNT(*) FROM assignments a WHERE a.caller_id = c.id \
             AND a.campaign_id = $1 AND a.week = $2) AS assigned, \
     (SELECT COUNT(*) FROM assignments a WHERE a.caller_id = c.id \
             AND a.campaign_id = $1 AND a.week = $2 \
             AND EXISTS (SELECT 1 FROM calls k WHERE k.assignment_id = a.id)) AS called, \
     (SELECT MAX(k.called_at) FROM calls k WHERE k.caller_id = c.id) AS last_call_at \
     FROM callers c LEFT JOIN territories t ON t.id = c.territory_preference_id";

impl Store {
    /// Every caller, with this week's load in `campaign`, by name.
    pub async fn caller_lines(
        &self,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<Vec<CallerLine>, StoreError> {
        let sql = format!("{LINE_SQL} ORDER BY c.last_name, c.first_name, c.id");
        Ok(query_as(&sql)
            .bind(campaign_id)
            .bind(week.to_string())
            .bind(week.monday())
            .bind(week.sunday())
            .fetch_all(self)
            .await?)
    }

    /// One caller, with this week's load in `campaign`.
    pub async fn caller_line(
        &self,
        caller_id: i64,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<Option<CallerLine>, StoreError> {
        let sql = format!("{LINE_SQL} WHERE c.id = $5");
        Ok(query_as(&sql)
            .bind(campaign_id)
            .bind(week.to_string())
            .bind(week.monday())
            .bind(week.sunday())
            .bind(caller_id)
            .fetch_optional(self)
            .await?)
    }

    /// The id of the caller with this email (any case), or `UnknownCaller`.
    pub async fn caller_by_email(&self, email: &str) -> Result<i64, CallerError> {
        let id: Option<i64> = query_scalar("SELECT id FROM callers WHERE lower(email) = lower($1)")
            .bind(email.trim())
            .fetch_optional(self)
            .await?;
        id.ok_or_else(|| CallerError::UnknownCaller(email.trim().to_string()))
    }

    /// The caller's absences that end today or later, soonest first.
    pub async fn caller_absences(
        &self,
        caller_id: i64,
        since: NaiveDate,
    ) -> Result<Vec<Absence>, StoreError> {
        Ok(query_as(
            "SELECT id, starts_on, ends_on FROM caller_absences \
             WHERE caller_id = $1 AND ends_on >= $2 ORDER BY starts_on, id",
        )
        .bind(caller_id)
        .bind(since)
        .fetch_all(self)
        .await?)
    }

    /// Records that the caller is away from `from` to `to` (both days included). The
    /// plans of weeks made later prorate their capacity; weeks already planned are
    /// given by [`Store::weeks_touched`] to be rebalanced.
    pub async fn record_absence(
        &self,
        caller_id: i64,
        from: NaiveDate,
        to: NaiveDate,
        actor: ChangedBy,
    ) -> Result<i64, CallerError> {
        if to < from {
            return Err(CallerError::AbsenceEndsBeforeStart { from, to });
        }
        let mut tx = self.begin().await?;
        let exists: Option<i64> = query_scalar("SELECT id FROM callers WHERE id = $1")
            .bind(caller_id)
            .fetch_optional(&mut tx)
            .await?;
        if exists.is_none() {
            return Err(CallerError::UnknownCaller(format!("#{caller_id}")));
        }
        let id: i64 = query_scalar(
            "INSERT INTO caller_absences (caller_id, starts_on, ends_on) \
             VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(caller_id)
        .bind(from)
        .bind(to)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        let detail = format!("absence {id}: {from}..{to}");
        self.record_audit(&actor.event("caller_absence_recorded", caller_id, Some(detail)))
            .await?;
        Ok(id)
    }

    /// The weeks from the current one on, between `from` and `to`, where the caller
    /// has assignments not yet called: those a rebalance would change.
    pub async fn weeks_touched(
        &self,
        caller_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<TouchedWeek>, StoreError> {
        let first = IsoWeek::from_date(from).max(IsoWeek::current());
        let last = IsoWeek::from_date(to);
        let rows: Vec<(String, String)> = query_as(
            "SELECT DISTINCT c.name, a.week FROM assignments a \
             JOIN campaigns c ON c.id = a.campaign_id \
             WHERE a.caller_id = $1 AND a.week >= $2 AND a.week <= $3 \
             AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.assignment_id = a.id) \
             ORDER BY a.week, c.name",
        )
        .bind(caller_id)
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(self)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(campaign, week)| {
                IsoWeek::parse(&week)
                    .ok()
                    .map(|week| TouchedWeek { campaign, week })
            })
            .collect())
    }

    /// What rebalancing `week` would move (a dry run): each moved person from whom to
    /// whom, and those it would leave without a caller.
    pub async fn rebalance_moves(
        &self,
        campaign: &Campaign,
        week: IsoWeek,
    ) -> Result<Vec<Move>, StoreError> {
        let outcome = self
            .plan_week(campaign, week, PlanMode::Rebalance, true)
            .await?;
        let emails = self.caller_emails().await?;
        let name = |id: i64| emails.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
        let mut moves: Vec<Move> = Vec::new();
        for a in &outcome.plan.assignments {
            if let AssignmentStatus::Moved { from } = a.status {
                moves.push(Move {
                    beneficiary_id: a.beneficiary_id,
                    external_ref: None,
                    from_caller: name(from),
                    to_caller: Some(name(a.caller_id)),
                });
            }
        }
        let moved: std::collections::HashSet<i64> =
            moves.iter().map(|m| m.beneficiary_id).collect();
        for r in &outcome.plan.removed {
            if !moved.contains(&r.beneficiary_id) {
                moves.push(Move {
                    beneficiary_id: r.beneficiary_id,
                    external_ref: None,
                    from_caller: name(r.caller_id),
                    to_caller: None,
                });
            }
        }
        self.add_references(&mut moves).await?;
        Ok(moves)
    }

    async fn caller_emails(&self) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        let rows: Vec<(i64, String)> = query_as("SELECT id, email FROM callers")
            .fetch_all(self)
            .await?;
        Ok(rows.into_iter().collect())
    }

    async fn add_references(&self, moves: &mut [Move]) -> Result<(), StoreError> {
        for m in moves.iter_mut() {
            m.external_ref = query_scalar("SELECT external_ref FROM beneficiaries WHERE id = $1")
                .bind(m.beneficiary_id)
                .fetch_optional(self)
                .await?
                .flatten();
        }
        Ok(())
    }

    /// Rebalances each week given (see [`Store::plan_week`]); gives how many people moved.
    pub async fn rebalance_weeks(&self, weeks: &[TouchedWeek]) -> Result<usize, StoreError> {
        let mut moved = 0;
        for touched in weeks {
            let name = crate::domain::CampaignName::parse(&touched.campaign)
                .map_err(|e| StoreError::Constraint(e.to_string()))?;
            let campaign = self.campaign_by_name(&name).await?;
            let outcome = self
                .plan_week(&campaign, touched.week, PlanMode::Rebalance, false)
                .await?;
            moved += outcome.plan.summary.moved;
        }
        Ok(moved)
    }

    /// A caller leaves (`active = false`) or comes back. Leaving: the caller and their
    /// accounts are marked inactive and every session of those accounts deleted in one
    /// transaction (their next page or API call needs a login, which is refused), then
    /// the weeks already planned from this one on are rebalanced. Coming back restores
    /// the caller and the accounts, not the sessions.
    pub async fn set_caller_active(
        &self,
        caller_id: i64,
        active: bool,
        actor: ChangedBy,
    ) -> Result<ActiveChange, CallerError> {
        let mut tx = self.begin().await?;
        let updated = query("UPDATE callers SET active = $1, updated_at = $2 WHERE id = $3")
            .bind(active)
            .bind(Utc::now())
            .bind(caller_id)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err(CallerError::UnknownCaller(format!("#{caller_id}")));
        }
        let sessions_ended = query(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE caller_id = $1)",
        )
        .bind(caller_id)
        .execute(&mut tx)
        .await?
        .rows_affected();
        let accounts = query("UPDATE users SET active = $1 WHERE caller_id = $2")
            .bind(active)
            .bind(caller_id)
            .execute(&mut tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        let action = if active {
            "caller_reactivated"
        } else {
            "caller_deactivated"
        };
        let detail = format!("accounts {accounts}, sessions ended {sessions_ended}");
        self.record_audit(&actor.event(action, caller_id, Some(detail)))
            .await?;
        let mut change = ActiveChange {
            caller_id,
            active,
            accounts,
            sessions_ended,
            rebalanced: Vec::new(),
            moved: 0,
        };
        if !active {
            let today = crate::domain::time::today_in_paris();
            let end = today + chrono::Duration::days(366);
            change.rebalanced = self.weeks_touched(caller_id, today, end).await?;
            change.moved = self.rebalance_weeks(&change.rebalanced).await?;
        }
        Ok(change)
    }

    /// Changes a caller's capacity, days, languages and territory preference.
    pub async fn update_caller(
        &self,
        caller_id: i64,
        settings: &CallerSettings,
        actor: ChangedBy,
    ) -> Result<(), CallerError> {
        if !(0..=1000).contains(&settings.weekly_capacity) {
            return Err(CallerError::CapacityOutOfBounds(settings.weekly_capacity));
        }
        let updated = query(
            "UPDATE callers SET weekly_capacity = $1, available_weekdays = $2, languages = $3, \
             territory_preference_id = $4, updated_at = $5, capacity_ceiling = NULL WHERE id = $6",
        )
        .bind(settings.weekly_capacity as i32)
        .bind(i32::from(settings.available_weekdays.bits()))
        .bind(settings.languages.clone())
        .bind(settings.territory_preference_id)
        .bind(Utc::now())
        .bind(caller_id)
        .execute(self)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(CallerError::UnknownCaller(format!("#{caller_id}")));
        }
        let detail = format!(
            "capacity {}, days {}",
            settings.weekly_capacity,
            settings.available_weekdays.bits()
        );
        self.record_audit(&actor.event("caller_updated", caller_id, Some(detail)))
            .await?;
        Ok(())
    }
}

/// Applies the `Absent du` / `Absent au` and `Actif` columns of an imported caller in
/// the import's transaction: the absence is recorded unless the very same one is; the
/// caller (and their accounts) are deactivated or reactivated, sessions ended on
/// departure. Gives true when the caller left by this row (to rebalance after commit).
pub(super) async fn apply_file_facts(
    tx: &mut super::Tx,
    caller_id: i64,
    caller: &crate::records::imports::NewCaller,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if let Some((from, to)) = caller.absence {
        let known: Option<i64> = query_scalar(
            "SELECT id FROM caller_absences WHERE caller_id = $1 AND starts_on = $2 AND ends_on = $3",
        )
        .bind(caller_id)
        .bind(from)
        .bind(to)
        .fetch_optional(&mut *tx)
        .await?;
        if known.is_none() {
            query(
                "INSERT INTO caller_absences (caller_id, starts_on, ends_on) VALUES ($1, $2, $3)",
            )
            .bind(caller_id)
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        }
    }
    let Some(active) = caller.active else {
        return Ok(false);
    };
    let changed =
        query("UPDATE callers SET active = $1, updated_at = $2 WHERE id = $3 AND active <> $1")
            .bind(active)
            .bind(now)
            .bind(caller_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    if !active {
        query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE caller_id = $1)")
            .bind(caller_id)
            .execute(&mut *tx)
            .await?;
    }
    query("UPDATE users SET active = $1 WHERE caller_id = $2")
        .bind(active)
        .bind(caller_id)
        .execute(&mut *tx)
        .await?;
    Ok(!active)
}

impl Store {
    /// After an import that deactivated callers (`Actif` = non): audited, and the weeks
    /// already planned from this one on rebalanced, as [`Store::set_caller_active`] does.
    pub(super) async fn after_file_departures(
        &self,
        callers: &[i64],
        by: Option<i64>,
    ) -> Result<(), StoreError> {
        let today = crate::domain::time::today_in_paris();
        for &caller_id in callers {
            let event = ChangedBy(by).event("caller_deactivated", caller_id, Some("import".into()));
            self.record_audit(&event).await?;
            let weeks = self
                .weeks_touched(caller_id, today, today + chrono::Duration::days(366))
                .await?;
            self.rebalance_weeks(&weeks).await?;
        }
        Ok(())
    }
}

// Issue 13, caller self-service (`/moi`): the caller's own availability and history.

/// A capacity a caller gave for themself outside what the coordinator allows.
#[derive(Debug, thiserror::Error)]
pub enum OwnCapacityError {
    #[error("capacity {capacity} is outside 0 to {ceiling} calls a week (the coordinator's figure): give a number in that range")]
    OutOfRange { capacity: i64, ceiling: i64 },
    #[error(transparent)]
    Caller(#[from] CallerError),
}

impl From<StoreError> for OwnCapacityError {
    fn from(e: StoreError) -> Self {
        Self::Caller(e.into())
    }
}

impl From<sqlx::Error> for OwnCapacityError {
    fn from(e: sqlx::Error) -> Self {
        Self::Caller(e.into())
    }
}

/// A caller's own weekly availability, and the most they may give.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OwnAvailability {
    pub weekly_capacity: i32,
    pub available_weekdays: i32,
    /// The coordinator's figure: the capacity may not go above it.
    pub ceiling: i32,
    /// Opted in to the weekly mail "your list is ready".
    pub weekly_list_mail: bool,
}

/// One call of the caller's own history: the person's first name and initial only.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OwnCall {
    pub called_at: DateTime<Utc>,
    pub first_name: String,
    pub last_name: String,
    pub outcome: String,
}

impl Store {
    /// The caller's days, capacity and ceiling.
    pub async fn own_availability(&self, caller_id: i64) -> Result<OwnAvailability, CallerError> {
        let row: Option<OwnAvailability> = query_as(
            "SELECT weekly_capacity, available_weekdays, \
             COALESCE(capacity_ceiling, weekly_capacity) AS ceiling, \
             weekly_list_mail = TRUE AS weekly_list_mail FROM callers WHERE id = $1",
        )
        .bind(caller_id)
        .fetch_optional(self)
        .await?;
        row.ok_or_else(|| CallerError::UnknownCaller(format!("#{caller_id}")))
    }

    /// The caller sets their own days and capacity: the capacity from 0 to the
    /// coordinator's figure (kept in `capacity_ceiling` the first time it changes), else
    /// refused and nothing changed. Audited under the caller's account.
    pub async fn update_own_availability(
        &self,
        caller_id: i64,
        days: crate::domain::Weekdays,
        capacity: i64,
        actor: ChangedBy,
    ) -> Result<(), OwnCapacityError> {
        let ceiling = i64::from(self.own_availability(caller_id).await?.ceiling);
        if !(0..=ceiling).contains(&capacity) {
            return Err(OwnCapacityError::OutOfRange { capacity, ceiling });
        }
        // The bound is checked again in the statement: a coordinator's edit in between
        // wins, and this one changes nothing.
        let updated = query(
            "UPDATE callers SET capacity_ceiling = COALESCE(capacity_ceiling, weekly_capacity), \
             weekly_capacity = $1, available_weekdays = $2, updated_at = $3 \
             WHERE id = $4 AND $1 <= COALESCE(capacity_ceiling, weekly_capacity)",
        )
        .bind(capacity as i32)
        .bind(i32::from(days.bits()))
        .bind(Utc::now())
        .bind(caller_id)
        .execute(self)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(OwnCapacityError::OutOfRange { capacity, ceiling });
        }
        let detail = format!("capacity {capacity}, days {}", days.bits());
        self.record_audit(&actor.event("caller_availability_updated", caller_id, Some(detail)))
            .await?;
        Ok(())
    }

    /// The caller's own calls since `since`, newest first (no phone, no note).
    pub async fn own_calls(
        &self,
        caller_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<OwnCall>, StoreError> {
        Ok(query_as(
            "SELECT k.called_at, b.first_name, b.last_name, k.outcome FROM calls k \
             JOIN beneficiaries b ON b.id = k.beneficiary_id \
             WHERE k.caller_id = $1 AND k.called_at >= $2 ORDER BY k.called_at DESC, k.id DESC",
        )
        .bind(caller_id)
        .bind(since)
        .fetch_all(self)
        .await?)
    }
}

impl Store {
    /// The caller opts in or out of the weekly mail "your list is ready". Audited.
    pub async fn set_weekly_list_mail(
        &self,
        caller_id: i64,
        on: bool,
        actor: ChangedBy,
    ) -> Result<(), CallerError> {
        let updated =
            query("UPDATE callers SET weekly_list_mail = $1, updated_at = $2 WHERE id = $3")
                .bind(on)
                .bind(Utc::now())
                .bind(caller_id)
                .execute(self)
                .await?
                .rows_affected();
        if updated == 0 {
            return Err(CallerError::UnknownCaller(format!("#{caller_id}")));
        }
        let detail = format!("weekly list mail {}", if on { "on" } else { "off" });
        self.record_audit(&actor.event("caller_list_mail_set", caller_id, Some(detail)))
            .await?;
        Ok(())
    }

    /// Mails per `INSERT` of [`Store::queue_list_ready_mails`] (8 values each).
    const LIST_READY_CHUNK: usize = 100;

    /// The callers who already have their "list ready" mail of this campaign and week
    /// in the outbox, read in one pass: this form, and the older one whose Message-ID
    /// ended with a random part (`<list-ready-CALLER-CAMPAIGN-WEEK-…`).
    async fn list_ready_queued(
        &self,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<HashSet<i64>, StoreError> {
        let ids: Vec<String> =
            query_scalar("SELECT message_id FROM outbox WHERE message_id LIKE $1")
                .bind(format!("<list-ready-%-{campaign_id}-{week}%"))
                .fetch_all(self)
                .await?;
        Ok(ids
            .iter()
            .filter_map(|id| list_ready_caller(id, campaign_id, week))
            .collect())
    }

    /// After a week's plan is recorded: queues in the outbox, for each active caller who
    /// opted in and has people in it, "your list for week W is ready: N people" (once per
    /// caller, campaign and week). Gives how many were queued.
    pub async fn queue_list_ready_mails(
        &self,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<usize, StoreError> {
        let rows: Vec<(i64, String, i64, String)> = query_as(
            "SELECT c.id, c.email, COUNT(a.id), COALESCE((SELECT u.language FROM users u \
             WHERE u.caller_id = c.id ORDER BY u.id LIMIT 1), 'fr') FROM callers c \
             JOIN assignments a ON a.caller_id = c.id AND a.campaign_id = $1 AND a.week = $2 \
             WHERE c.active = TRUE AND c.weekly_list_mail = TRUE GROUP BY c.id, c.email \
             ORDER BY c.id",
        )
        .bind(campaign_id)
        .bind(week.to_string())
        .fetch_all(self)
        .await?;
        let already = self.list_ready_queued(campaign_id, week).await?;
        let now = Utc::now();
        let mails: Vec<[String; 4]> = rows
            .into_iter()
            .filter(|(caller_id, ..)| !already.contains(caller_id))
            .map(|(caller_id, email, people, language)| {
                // One Message-ID per caller, campaign and week: two planners of the
                // same week (two instances) queue it once, whichever commits first.
                let message_id = format!("<list-ready-{caller_id}-{campaign_id}-{week}@lien>");
                let (subject, body) =
                    crate::messages::list_ready::render_list_ready(week, people, language == "en");
                [email, subject, body, message_id]
            })
            .collect();
        // In one transaction, by rows of LIST_READY_CHUNK: 20,000 callers who opted in
        // are 200 statements and one commit, not 20,000 of each. In the callers' order,
        // the same in every instance: two planners of one week wait for each other on
        // the same first Message-ID, never each on the other's (a deadlock).
        let mut tx = self.begin().await?;
        let mut queued = 0;
        for chunk in mails.chunks(Self::LIST_READY_CHUNK) {
            let sql = format!(
                "INSERT INTO outbox (recipients, subject, body_text, message_id, kind, status, \
                 next_attempt_at, created_at) VALUES {} ON CONFLICT (message_id) DO NOTHING",
                super::db::values_placeholders(tx.backend(), chunk.len(), 8)
            );
            let mut insert = query(&sql);
            for [email, subject, body, message_id] in chunk {
                insert = insert
                    .bind(email.as_str())
                    .bind(subject.as_str())
                    .bind(body.as_str())
                    .bind(message_id.as_str())
                    .bind("other")
                    .bind("pending")
                    .bind(now)
                    .bind(now);
            }
            queued += insert.execute(&mut tx).await?.rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(queued)
    }
}

/// The caller a "list ready" Message-ID of this campaign and week was for:
/// `<list-ready-CALLER-CAMPAIGN-WEEK@lien>`, or the older
/// `<list-ready-CALLER-CAMPAIGN-WEEK-RANDOM…>`; `None` for any other id.
fn list_ready_caller(message_id: &str, campaign_id: i64, week: IsoWeek) -> Option<i64> {
    let rest = message_id.strip_prefix("<list-ready-")?;
    let (caller, tail) = rest.split_once('-')?;
    let key = format!("{campaign_id}-{week}");
    let after = tail.strip_prefix(key.as_str())?;
    (after == "@lien>" || after.starts_with('-'))
        .then(|| caller.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::list_ready_caller;
    use crate::domain::IsoWeek;

    #[test]
    fn a_list_ready_message_id_names_its_caller_for_its_campaign_and_week_only() {
        let w48 = IsoWeek::parse("2026-W48").unwrap();
        assert_eq!(
            list_ready_caller("<list-ready-12-1-2026-W48@lien>", 1, w48),
            Some(12)
        );
        assert_eq!(
            list_ready_caller("<list-ready-12-1-2026-W48-9f3a@lien>", 1, w48),
            Some(12)
        );
        assert_eq!(
            list_ready_caller("<list-ready-12-11-2026-W48@lien>", 1, w48),
            None
        );
        assert_eq!(
            list_ready_caller("<list-ready-5-11-2026-W48@lien>", 1, w48),
            None
        );
        assert_eq!(
            list_ready_caller("<list-ready-12-1-2026-W49@lien>", 1, w48),
            None
        );
        assert_eq!(
            list_ready_caller("<list-ready-12-1-2026-W48x>", 1, w48),
            None
        );
        assert_eq!(
            list_ready_caller("<digest-12-1-2026-W48@lien>", 1, w48),
            None
        );
    }
}
