//! Planning a campaign week against the database: load the planner's inputs, run the
//! pure planner (`crate::planning`), write the result — all in one write transaction,
//! so that two coordinators planning at once cannot interleave.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{in_transaction, Backend, Campaign, Store, StoreError};
use crate::domain::{IsoWeek, LanguageCode, Outcome, Weekdays};
use crate::planning::{
    effective_capacity, AssignmentStatus, BeneficiaryInput, CallerInput, ExistingAssignment,
    LastCaller, Plan, PlanInput,
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
        let reached = outcome_list(Outcome::is_reached);
        let conversations = outcome_list(Outcome::is_conversation);
        let week_text = week.to_string();
        let previous = week.previous().to_string();
        let postgres = self.backend() == Backend::Postgres;
        let campaign_days = campaign.calling_hours().weekdays();
        let plan: Plan = in_transaction!(self, tx, commit_if !dry_run => {
            let started = Instant::now();
            if postgres {
                // Serialises planners of one campaign (SQLite's BEGIN IMMEDIATE already does).
                sqlx::query("SELECT id FROM campaigns WHERE id = $1 FOR UPDATE")
                    .bind(campaign.id).execute(&mut *tx).await?;
            }
            let people: Vec<(i64, Option<i64>, String)> = sqlx::query_as(
                "SELECT b.id, b.territory_id, b.preferred_language FROM campaign_members m \
                 JOIN beneficiaries b ON b.id = m.beneficiary_id \
                 WHERE m.campaign_id = $1 AND b.status = 'active' \
                 AND (b.paused_until IS NULL OR b.paused_until < $2) ORDER BY b.id")
                .bind(campaign.id).bind(week.sunday()).fetch_all(&mut *tx).await?;
            let open_needs: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
                "SELECT beneficiary_id, COUNT(*) FROM escalations WHERE status IN ('open', 'in_progress') \
                 GROUP BY beneficiary_id")
                .fetch_all(&mut *tx).await?.into_iter().collect();
            let callbacks: HashSet<i64> = sqlx::query_as::<_, (i64,)>(
                "SELECT DISTINCT beneficiary_id FROM calls WHERE outcome = 'callback' \
                 AND callback_at >= $1 AND callback_at < $2")
                .bind(week.starts_at()).bind(week.ends_at())
                .fetch_all(&mut *tx).await?.into_iter().map(|(id,)| id).collect();
            let last_week: Vec<(i64, bool)> = sqlx::query_as(&format!(
                "SELECT a.beneficiary_id, EXISTS (SELECT 1 FROM calls c WHERE c.assignment_id = a.id \
                 AND c.outcome IN ({reached})) FROM assignments a WHERE a.campaign_id = $1 AND a.week = $2"))
                .bind(campaign.id).bind(&previous).fetch_all(&mut *tx).await?;
            let not_reached: HashSet<i64> = last_week.into_iter().filter(|(_, r)| !r).map(|(id, _)| id).collect();
            let last_talk: HashMap<i64, DateTime<Utc>> = sqlx::query_as::<_, (i64, DateTime<Utc>)>(&format!(
                "SELECT beneficiary_id, MAX(called_at) FROM calls WHERE outcome IN ({conversations}) \
                 GROUP BY beneficiary_id"))
                .fetch_all(&mut *tx).await?.into_iter().collect();
            let last_callers: HashMap<i64, (i64, String)> = sqlx::query_as::<_, (i64, i64, String)>(
                "SELECT a.beneficiary_id, a.caller_id, a.week FROM assignments a \
                 JOIN (SELECT beneficiary_id, MAX(week) AS week FROM assignments \
                       WHERE campaign_id = $1 AND week < $2 GROUP BY beneficiary_id) l \
                   ON l.beneficiary_id = a.beneficiary_id AND l.week = a.week \
                 WHERE a.campaign_id = $1")
                .bind(campaign.id).bind(&week_text)
                .fetch_all(&mut *tx).await?.into_iter().map(|(b, c, w)| (b, (c, w))).collect();
            let callers: Vec<(i64, i32, i32, String, Option<i64>)> = sqlx::query_as(
                "SELECT id, weekly_capacity, available_weekdays, languages, territory_preference_id \
                 FROM callers WHERE active = TRUE ORDER BY id")
                .fetch_all(&mut *tx).await?;
            let mut absences: HashMap<i64, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
            for (caller, from, to) in sqlx::query_as::<_, (i64, NaiveDate, NaiveDate)>(
                "SELECT caller_id, starts_on, ends_on FROM caller_absences WHERE ends_on >= $1 AND starts_on <= $2")
                .bind(week.monday()).bind(week.sunday()).fetch_all(&mut *tx).await?
            {
                absences.entry(caller).or_default().push((from, to));
            }
            let existing: Vec<(i64, i64, bool)> = sqlx::query_as(
                "SELECT a.beneficiary_id, a.caller_id, EXISTS (SELECT 1 FROM calls c WHERE c.assignment_id = a.id) \
                 FROM assignments a WHERE a.campaign_id = $1 AND a.week = $2")
                .bind(campaign.id).bind(&week_text).fetch_all(&mut *tx).await?;

            let input = PlanInput {
                week,
                beneficiaries: people.into_iter().map(|(id, territory_id, language)| BeneficiaryInput {
                    id,
                    territory_id,
                    language: LanguageCode::parse(&language).unwrap_or_else(|_| LanguageCode::french()),
                    open_escalations: open_needs.get(&id).copied().unwrap_or(0) as u32,
                    callback_due_this_week: callbacks.contains(&id),
                    not_reached_last_week: not_reached.contains(&id),
                    weeks_since_last_conversation: last_talk
                        .get(&id)
                        .map(|at| IsoWeek::containing(*at).weeks_until(week).max(0) as u32),
                    last_caller: last_callers.get(&id).and_then(|(caller_id, w)| {
                        IsoWeek::parse(w).ok().map(|week| LastCaller { caller_id: *caller_id, week })
                    }),
                }).collect(),
                callers: callers.into_iter().map(|(id, capacity, days, languages, territory)| CallerInput {
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
                }).collect(),
                existing: existing.iter().map(|&(beneficiary_id, caller_id, has_calls)| ExistingAssignment {
                    beneficiary_id, caller_id, has_calls,
                }).collect(),
            };
            timings.load_ms = ms(started);

            let started = Instant::now();
            let plan = tokio::task::spawn_blocking(move || match mode {
                PlanMode::Plan => crate::planning::plan(&input),
                PlanMode::Rebalance => {
                    let current = input.existing.clone();
                    crate::planning::rebalance(&input, &current)
                }
            })
            .await
            .map_err(|e| StoreError::Constraint(format!("the planner stopped: {e}")))?;
            timings.plan_ms = ms(started);

            let started = Instant::now();
            if postgres {
                // Lock order shared with `record_call`: a week's per-caller sums (kept by
                // triggers, migration 0008) before its assignments, so a planner and a
                // caller recording a call in that week wait for each other, never
                // deadlock.
                sqlx::query("SELECT caller_id FROM week_caller_totals WHERE campaign_id = $1 AND week = $2 \
                             ORDER BY caller_id FOR UPDATE")
                    .bind(campaign.id).bind(&week_text).execute(&mut *tx).await?;
            }
            // A first plan of a week writes every row of it (1,000,000 at national
            // scale): on SQLite, the per-row triggers that keep the week's per-caller sums
            // are held back and the sums set from one recount at the end (migration 0008).
            let bulk = !postgres && existing.is_empty();
            if bulk {
                sqlx::query(super::report::DEFER_WEEK_TOTALS)
                    .bind(campaign.id).bind(&week_text).execute(&mut *tx).await?;
            }
            for r in &plan.removed {
                sqlx::query(
                    "DELETE FROM assignments WHERE campaign_id = $1 AND week = $2 AND beneficiary_id = $3 \
                     AND caller_id = $4 AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.assignment_id = assignments.id)")
                    .bind(campaign.id).bind(&week_text).bind(r.beneficiary_id).bind(r.caller_id)
                    .execute(&mut *tx).await?;
            }
            let to_insert: Vec<_> = plan.assignments.iter()
                .filter(|a| !matches!(a.status, AssignmentStatus::Kept))
                .collect();
            for chunk in to_insert.chunks(INSERT_CHUNK) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO assignments (campaign_id, week, beneficiary_id, caller_id, reason_code, reason, created_at) ");
                insert.push_values(chunk, |mut row, a| {
                    row.push_bind(campaign.id)
                        .push_bind(&week_text)
                        .push_bind(a.beneficiary_id)
                        .push_bind(a.caller_id)
                        .push_bind(a.reason.code())
                        .push_bind(a.reason.text())
                        .push_bind(now);
                });
                insert.build().execute(&mut *tx).await?;
            }
            if bulk {
                for sql in super::report::rebuild_week_totals_sql() {
                    sqlx::query(&sql).bind(campaign.id).bind(&week_text).execute(&mut *tx).await?;
                }
                sqlx::query(super::report::UNDEFER_WEEK_TOTALS)
                    .bind(campaign.id).bind(&week_text).execute(&mut *tx).await?;
            }
            timings.write_ms = ms(started);
            Ok(plan)
        })?;
        if !dry_run {
            self.record_audit(&super::AuditEvent {
                actor_user_id: None,
                actor_label: "planner",
                action: if mode == PlanMode::Plan {
                    "week_planned"
                } else {
                    "week_rebalanced"
                },
                subject_type: "campaign",
                subject_id: Some(campaign.id),
                detail: Some(format!(
                    "{week}: {} assigned, {} new, {} moved, {} removed",
                    plan.summary.assigned,
                    plan.summary.new,
                    plan.summary.moved,
                    plan.summary.removed
                )),
            })
            .await?;
        }
        Ok(PlanOutcome {
            campaign: campaign.name.clone(),
            dry_run,
            plan,
            timings,
        })
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
        Ok(super::on_pool!(self, pool => {
            sqlx::query_as(sql).bind(campaign_id).bind(week.to_string()).fetch_all(pool).await?
        }))
    }
}
