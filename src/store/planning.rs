//! Planning a campaign week against the database: load the planner's inputs, run the
//! pure planner (`crate::planning`), write the result — all in one write transaction,
//! so that two coordinators planning at once cannot interleave.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{db, query, query_as, query_scalar, Campaign, Store, StoreError, Tx};
use crate::domain::{IsoWeek, LanguageCode, Outcome, Weekdays};
use crate::planning::{
    effective_capacity, AssignmentStatus, BeneficiaryInput, CallerInput, ExistingAssignment,
    LastCaller, Plan, PlanInput, PlannedAssignment,
};

/// Plan the week (new and kept assignments), or only move the uncalled assignments of
/// callers who became unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanMode {
    Plan,
    Rebalance,
}

/// Days a campaign calls on by default: Monday to Saturday (each campaign may set its
/// own, see [`Campaign::calling_hours`]).
pub fn calling_days() -> Weekdays {
    Weekdays::from_range(chrono::Weekday::Mon, chrono::Weekday::Sat)
}

/// Where the time went, for `--json` and the benchmarks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanTimings {
    pub load_ms: f64,
    pub plan_ms: f64,
    pub write_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanOutcome {
    pub campaign: String,
    pub dry_run: bool,
    pub plan: Plan,
    pub timings: PlanTimings,
}

/// One line of `lien assignments --csv`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AssignmentLine {
    pub external_ref: Option<String>,
    pub caller_email: String,
    pub reason: String,
}

const INSERT_CHUNK: usize = 1000;

pub(super) fn outcome_list(keep: impl Fn(Outcome) -> bool) -> String {
    Outcome::ALL
        .iter()
        .filter(|o| keep(**o))
        .map(|o| format!("'{}'", o.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

impl Store {
    /// Plans (or rebalances) `week` of `campaign`. With `dry_run` the plan is computed and
    /// returned, and nothing is written.
    #[tracing::instrument(skip(self, campaign), fields(campaign = %campaign.name, week = %week))]
    pub async fn plan_week(
        &self,
        campaign: &Campaign,
        week: IsoWeek,
        mode: PlanMode,
        dry_run: bool,
    ) -> Result<PlanOutcome, StoreError> {
        let mut timings = PlanTimings::default();
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let started = Instant::now();
        let input = load_plan_input(&mut tx, campaign, week).await?;
        timings.load_ms = ms(started);

        let started = Instant::now();
        let existing = input.existing.len();
        let plan = run_planner(input, mode).await?;
        timings.plan_ms = ms(started);

        let started = Instant::now();
        write_plan(&mut tx, campaign.id, week, &plan, existing == 0, now).await?;
        timings.write_ms = ms(started);
        tx.commit_if(!dry_run).await?;
        if !dry_run {
            self.record_plan_audit(campaign.id, week, mode, &plan)
                .await?;
        }
        Ok(PlanOutcome {
            campaign: campaign.name.clone(),
            dry_run,
            plan,
            timings,
        })
    }

    /// Notes in the audit trail what a (non dry-run) plan did.
    async fn record_plan_audit(
        &self,
        campaign_id: i64,
        week: IsoWeek,
        mode: PlanMode,
        plan: &Plan,
    ) -> Result<(), StoreError> {
        self.record_audit(&super::AuditEvent {
            actor_user_id: None,
            actor_label: "planner",
            action: if mode == PlanMode::Plan {
                "week_planned"
            } else {
                "week_rebalanced"
            },
            subject_type: "campaign",
            subject_id: Some(campaign_id),
            detail: Some(format!(
                "{week}: {} assigned, {} new, {} moved, {} removed",
                plan.summary.assigned, plan.summary.new, plan.summary.moved, plan.summary.removed
            )),
        })
        .await
    }

    /// The week's assignments: the person's reference, the caller's email, the reason.
    pub async fn week_assignments(
        &self,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<Vec<AssignmentLine>, StoreError> {
        let sql = "SELECT b.external_ref, c.email AS caller_email, a.reason FROM assignments a \
                   JOIN beneficiaries b ON b.id = a.beneficiary_id JOIN callers c ON c.id = a.caller_id \
                   WHERE a.campaign_id = $1 AND a.week = $2 ORDER BY c.email, b.external_ref, b.id";
        Ok(query_as(sql)
            .bind(campaign_id)
            .bind(week.to_string())
            .fetch_all(self)
            .await?)
    }
}

/// Everything the planner needs, read in the planning transaction. On PostgreSQL the
/// campaign row is locked first: it serialises planners of one campaign (SQLite's
/// `BEGIN IMMEDIATE` already does).
async fn load_plan_input(
    tx: &mut Tx,
    campaign: &Campaign,
    week: IsoWeek,
) -> Result<PlanInput, StoreError> {
    if tx.is_postgres() {
        query("SELECT id FROM campaigns WHERE id = $1 FOR UPDATE")
            .bind(campaign.id)
            .execute(&mut *tx)
            .await?;
    }
    let beneficiaries = load_beneficiaries(tx, campaign.id, week).await?;
    let callers = load_callers(tx, week, campaign.calling_hours().weekdays()).await?;
    let existing: Vec<(i64, i64, bool)> = query_as(
        "SELECT a.beneficiary_id, a.caller_id, EXISTS (SELECT 1 FROM calls c WHERE c.assignment_id = a.id) \
         FROM assignments a WHERE a.campaign_id = $1 AND a.week = $2",
    )
    .bind(campaign.id)
    .bind(week.to_string())
    .fetch_all(tx)
    .await?;
    let existing = existing
        .into_iter()
        .map(
            |(beneficiary_id, caller_id, has_calls)| ExistingAssignment {
                beneficiary_id,
                caller_id,
                has_calls,
            },
        )
        .collect();
    Ok(PlanInput {
        week,
        beneficiaries,
        callers,
        existing,
    })
}

/// What the planner weighs about each person, beyond who they are.
struct PersonHistory {
    open_needs: HashMap<i64, i64>,
    callbacks: HashSet<i64>,
    not_reached: HashSet<i64>,
    last_talk: HashMap<i64, DateTime<Utc>>,
    last_callers: HashMap<i64, (i64, String)>,
}

/// The campaign's people who can be called this week, with their history.
async fn load_beneficiaries(
    tx: &mut Tx,
    campaign_id: i64,
    week: IsoWeek,
) -> Result<Vec<BeneficiaryInput>, StoreError> {
    let people: Vec<(i64, Option<i64>, String)> = query_as(
        "SELECT b.id, b.territory_id, b.preferred_language FROM campaign_members m \
         JOIN beneficiaries b ON b.id = m.beneficiary_id \
         WHERE m.campaign_id = $1 AND b.status = 'active' \
         AND (b.paused_until IS NULL OR b.paused_until < $2) ORDER BY b.id",
    )
    .bind(campaign_id)
    .bind(week.sunday())
    .fetch_all(&mut *tx)
    .await?;
    let history = load_history(tx, campaign_id, week).await?;
    Ok(people
        .into_iter()
        .map(|(id, territory_id, language)| BeneficiaryInput {
            id,
            territory_id,
            language: LanguageCode::parse(&language).unwrap_or_else(|_| LanguageCode::french()),
            open_escalations: history.open_needs.get(&id).copied().unwrap_or(0) as u32,
            callback_due_this_week: history.callbacks.contains(&id),
            not_reached_last_week: history.not_reached.contains(&id),
            weeks_since_last_conversation: history
                .last_talk
                .get(&id)
                .map(|at| IsoWeek::containing(*at).weeks_until(week).max(0) as u32),
            last_caller: history.last_callers.get(&id).and_then(|(caller_id, w)| {
                IsoWeek::parse(w).ok().map(|week| LastCaller {
                    caller_id: *caller_id,
                    week,
                })
            }),
        })
        .collect())
}

/// Open needs, callbacks due this week, last week's misses, last conversations and
/// last callers, for every person at once.
async fn load_history(
    tx: &mut Tx,
    campaign_id: i64,
    week: IsoWeek,
) -> Result<PersonHistory, StoreError> {
    let open_needs: Vec<(i64, i64)> = query_as(
        "SELECT beneficiary_id, COUNT(*) FROM escalations WHERE status IN ('open', 'in_progress') \
         GROUP BY beneficiary_id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let callbacks: Vec<i64> = query_scalar(
        "SELECT DISTINCT beneficiary_id FROM calls WHERE outcome = 'callback' \
         AND callback_at >= $1 AND callback_at < $2",
    )
    .bind(week.starts_at())
    .bind(week.ends_at())
    .fetch_all(&mut *tx)
    .await?;
    let reached = outcome_list(Outcome::is_reached);
    let last_week_sql = format!(
        "SELECT a.beneficiary_id, EXISTS (SELECT 1 FROM calls c WHERE c.assignment_id = a.id \
         AND c.outcome IN ({reached})) FROM assignments a WHERE a.campaign_id = $1 AND a.week = $2"
    );
    let last_week: Vec<(i64, bool)> = query_as(&last_week_sql)
        .bind(campaign_id)
        .bind(week.previous().to_string())
        .fetch_all(&mut *tx)
        .await?;
    let conversations = outcome_list(Outcome::is_conversation);
    let last_talk_sql = format!(
        "SELECT beneficiary_id, MAX(called_at) FROM calls WHERE outcome IN ({conversations}) \
         GROUP BY beneficiary_id"
    );
    let last_talk: Vec<(i64, DateTime<Utc>)> = query_as(&last_talk_sql).fetch_all(&mut *tx).await?;
    let last_callers: Vec<(i64, i64, String)> = query_as(
        "SELECT a.beneficiary_id, a.caller_id, a.week FROM assignments a \
         JOIN (SELECT beneficiary_id, MAX(week) AS week FROM assignments \
               WHERE campaign_id = $1 AND week < $2 GROUP BY beneficiary_id) l \
           ON l.beneficiary_id = a.beneficiary_id AND l.week = a.week \
         WHERE a.campaign_id = $1",
    )
    .bind(campaign_id)
    .bind(week.to_string())
    .fetch_all(tx)
    .await?;
    Ok(PersonHistory {
        open_needs: open_needs.into_iter().collect(),
        callbacks: callbacks.into_iter().collect(),
        not_reached: last_week
            .into_iter()
            .filter(|(_, r)| !r)
            .map(|(id, _)| id)
            .collect(),
        last_talk: last_talk.into_iter().collect(),
        last_callers: last_callers
            .into_iter()
            .map(|(b, c, w)| (b, (c, w)))
            .collect(),
    })
}

/// The active callers, with their capacity for this week (absences and the campaign's
/// calling days taken off).
async fn load_callers(
    tx: &mut Tx,
    week: IsoWeek,
    campaign_days: Weekdays,
) -> Result<Vec<CallerInput>, StoreError> {
    let callers: Vec<(i64, i32, i32, String, Option<i64>)> = query_as(
        "SELECT id, weekly_capacity, available_weekdays, languages, territory_preference_id \
         FROM callers WHERE active = TRUE ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let rows: Vec<(i64, NaiveDate, NaiveDate)> = query_as(
        "SELECT caller_id, starts_on, ends_on FROM caller_absences WHERE ends_on >= $1 AND starts_on <= $2",
    )
    .bind(week.monday())
    .bind(week.sunday())
    .fetch_all(tx)
    .await?;
    let mut absences: HashMap<i64, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
    for (caller, from, to) in rows {
        absences.entry(caller).or_default().push((from, to));
    }
    Ok(callers
        .into_iter()
        .map(|(id, capacity, days, languages, territory)| CallerInput {
            id,
            capacity: effective_capacity(
                capacity.max(0) as u32,
                Weekdays::from_bits(days.clamp(0, 127) as u8).unwrap_or_else(|_| Weekdays::all()),
                absences.get(&id).map(Vec::as_slice).unwrap_or(&[]),
                week,
                campaign_days,
            ),
            languages: LanguageCode::parse_list(&languages).unwrap_or_default(),
            territory_preference: territory,
        })
        .collect())
}

/// Runs the pure planner off the async threads.
async fn run_planner(input: PlanInput, mode: PlanMode) -> Result<Plan, StoreError> {
    tokio::task::spawn_blocking(move || match mode {
        PlanMode::Plan => crate::planning::plan(&input),
        PlanMode::Rebalance => {
            let current = input.existing.clone();
            crate::planning::rebalance(&input, &current)
        }
    })
    .await
    .map_err(|e| StoreError::Constraint(format!("the planner stopped: {e}")))
}

/// Writes the plan: removed rows deleted, new and moved ones inserted (created at
/// `now`). `first_plan`: the week had no assignment yet.
async fn write_plan(
    tx: &mut Tx,
    campaign_id: i64,
    week: IsoWeek,
    plan: &Plan,
    first_plan: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let week_text = week.to_string();
    if tx.is_postgres() {
        // Lock order shared with `record_call`: a week's per-caller sums (kept by
        // triggers, migration 0008) before its assignments, so a planner and a
        // caller recording a call in that week wait for each other, never
        // deadlock.
        query(
            "SELECT caller_id FROM week_caller_totals WHERE campaign_id = $1 AND week = $2 \
             ORDER BY caller_id FOR UPDATE",
        )
        .bind(campaign_id)
        .bind(&week_text)
        .execute(&mut *tx)
        .await?;
    }
    // A first plan of a week writes every row of it (1,000,000 at national
    // scale): on SQLite, the per-row triggers that keep the week's per-caller sums
    // are held back and the sums set from one recount at the end (migration 0008).
    let bulk = !tx.is_postgres() && first_plan;
    if bulk {
        query(super::report::DEFER_WEEK_TOTALS)
            .bind(campaign_id)
            .bind(&week_text)
            .execute(&mut *tx)
            .await?;
    }
    for r in &plan.removed {
        query(
            "DELETE FROM assignments WHERE campaign_id = $1 AND week = $2 AND beneficiary_id = $3 \
             AND caller_id = $4 AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.assignment_id = assignments.id)",
        )
        .bind(campaign_id)
        .bind(&week_text)
        .bind(r.beneficiary_id)
        .bind(r.caller_id)
        .execute(&mut *tx)
        .await?;
    }
    insert_assignments(tx, campaign_id, &week_text, plan, now).await?;
    if bulk {
        for sql in super::report::rebuild_week_totals_sql() {
            query(&sql)
                .bind(campaign_id)
                .bind(&week_text)
                .execute(&mut *tx)
                .await?;
        }
        query(super::report::UNDEFER_WEEK_TOTALS)
            .bind(campaign_id)
            .bind(&week_text)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Inserts the plan's new and moved assignments, [`INSERT_CHUNK`] rows per statement.
async fn insert_assignments(
    tx: &mut Tx,
    campaign_id: i64,
    week_text: &str,
    plan: &Plan,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const INSERT: &str = "INSERT INTO assignments (campaign_id, week, beneficiary_id, caller_id, \
                          reason_code, reason, created_at) VALUES ";
    let to_insert: Vec<&PlannedAssignment> = plan
        .assignments
        .iter()
        .filter(|a| !matches!(a.status, AssignmentStatus::Kept))
        .collect();
    // Every chunk but the last has the same placeholders: built once.
    let full_chunk = format!(
        "{INSERT}{}",
        db::values_placeholders(tx.backend(), INSERT_CHUNK, 7)
    );
    for chunk in to_insert.chunks(INSERT_CHUNK) {
        let sql = if chunk.len() == INSERT_CHUNK {
            std::borrow::Cow::Borrowed(full_chunk.as_str())
        } else {
            std::borrow::Cow::Owned(format!(
                "{INSERT}{}",
                db::values_placeholders(tx.backend(), chunk.len(), 7)
            ))
        };
        let mut insert = query(&sql);
        for a in chunk {
            insert = insert
                .bind(campaign_id)
                .bind(week_text)
                .bind(a.beneficiary_id)
                .bind(a.caller_id)
                .bind(a.reason.code())
                .bind(a.reason.text())
                .bind(now);
        }
        insert.execute(&mut *tx).await?;
    }
    Ok(())
}
