//! Planning a campaign week against the database: load the planner's inputs, run the
//! pure planner (`crate::planning`), write the result — all in one write transaction,
//! so that two coordinators planning at once cannot interleave.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::bulk::{self, Value};
use super::{
    db, query, query_as, query_scalar, Campaign, NoProgress, Progress, Store, StoreError, Tx,
};
use crate::domain::{IsoWeek, LanguageCode, Outcome, Weekdays};
use crate::planning::{
    effective_capacity, AssignmentStatus, BeneficiaryInput, CallerInput, ExistingAssignment,
    LastCaller, Plan, PlanInput, PlannedAssignment, RemovedAssignment,
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

/// Where the time went, for `--json` and the benchmarks: the three steps, and the
/// parts of loading and writing (`load_people_ms`, `write_insert_ms` …).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanTimings {
    pub load_ms: f64,
    pub plan_ms: f64,
    pub write_ms: f64,
    #[serde(flatten)]
    pub parts: BTreeMap<String, f64>,
}

/// Times the parts of a step, one lap after the other, and tells the progress.
struct Clock<'p> {
    lap_start: Instant,
    parts: BTreeMap<String, f64>,
    progress: &'p dyn Progress,
}

impl<'p> Clock<'p> {
    fn new(progress: &'p dyn Progress) -> Self {
        Clock {
            lap_start: Instant::now(),
            parts: BTreeMap::new(),
            progress,
        }
    }

    /// Starts the next part now (what ran since the last lap is not counted).
    fn restart(&mut self) {
        self.lap_start = Instant::now();
    }

    /// Ends the running part, named `name`, and starts the next one.
    fn lap(&mut self, name: &str) {
        self.parts.insert(format!("{name}_ms"), ms(self.lap_start));
        self.lap_start = Instant::now();
    }
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
    pub async fn plan_week(
        &self,
        campaign: &Campaign,
        week: IsoWeek,
        mode: PlanMode,
        dry_run: bool,
    ) -> Result<PlanOutcome, StoreError> {
        self.plan_week_with_progress(campaign, week, mode, dry_run, &NoProgress)
            .await
    }

    /// [`Store::plan_week`], telling `progress` of its steps: `load`, `plan`, then
    /// `write` with the rows to write.
    #[tracing::instrument(skip(self, campaign, progress), fields(campaign = %campaign.name, week = %week))]
    pub async fn plan_week_with_progress(
        &self,
        campaign: &Campaign,
        week: IsoWeek,
        mode: PlanMode,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<PlanOutcome, StoreError> {
        if mode == PlanMode::Plan {
            campaign.weeks().check(week)?;
        }
        let mut timings = PlanTimings::default();
        let mut clock = Clock::new(progress);
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let started = Instant::now();
        progress.step("load", None);
        let input = load_plan_input(&mut tx, campaign, week, mode, &mut clock).await?;
        timings.load_ms = ms(started);

        let started = Instant::now();
        progress.step("plan", None);
        let existing = input.existing.len();
        let plan = run_planner(input, mode).await?;
        timings.plan_ms = ms(started);

        let started = Instant::now();
        clock.restart();
        write_plan(
            &mut tx,
            campaign.id,
            week,
            &plan,
            existing == 0,
            now,
            &mut clock,
        )
        .await?;
        tx.commit_if(!dry_run).await?;
        clock.lap("write_commit");
        timings.write_ms = ms(started);
        timings.parts = clock.parts;
        if !dry_run {
            self.record_plan_audit(campaign.id, week, mode, &plan)
                .await?;
            // Issue 13, caller self-service: "your list for week W is ready".
            if mode == PlanMode::Plan {
                self.queue_list_ready_mails(campaign.id, week).await?;
            }
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

/// Everything the planner needs, read in the planning transaction in few passes: the
/// people to call with their last week's assignment (one pass over the campaign's
/// people), this week's rows, the last callers of before last week, the people's call
/// and escalation facts (one query), the callers. On PostgreSQL the campaign row is
/// locked first: it serialises planners of one campaign (SQLite's `BEGIN IMMEDIATE`
/// already does).
async fn load_plan_input(
    tx: &mut Tx,
    campaign: &Campaign,
    week: IsoWeek,
    mode: PlanMode,
    clock: &mut Clock<'_>,
) -> Result<PlanInput, StoreError> {
    if tx.is_postgres() {
        query("SELECT id FROM campaigns WHERE id = $1 FOR UPDATE")
            .bind(campaign.id)
            .execute(&mut *tx)
            .await?;
        // The loads run once each, over a million rows: PostgreSQL's JIT compiles them
        // for about a second (measured on `load_people`: 2.8 s with it, 1.9 s without)
        // and never runs the code again.
        query("SET LOCAL jit = off").execute(&mut *tx).await?;
    }
    let people = load_people(tx, campaign.id, week).await?;
    clock.lap("load_people");
    let history = load_history(tx, week).await?;
    clock.lap("load_history");
    let existing = load_existing(tx, campaign.id, week).await?;
    clock.lap("load_existing");
    // A rebalance looks at the rest of the week only (see `rest_of_week`).
    let today = (mode == PlanMode::Rebalance).then(crate::domain::time::today_in_paris);
    let mut callers = load_callers(tx, week, campaign.calling_hours().weekdays(), today).await?;
    clock.lap("load_callers");
    share_capacity(tx, campaign.id, week, &mut callers).await?;
    clock.lap("load_other_campaigns");
    let beneficiaries = people
        .into_iter()
        .map(|p| beneficiary_input(p, &history, week))
        .collect();
    Ok(PlanInput {
        week,
        beneficiaries,
        callers,
        existing,
    })
}

/// One person to call, with last week's assignment when there was one.
#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    territory_id: Option<i64>,
    preferred_language: String,
    /// Last week's caller.
    last_week_caller: Option<i64>,
    /// Last week's assignment: 1 if a call reached the person, 0 if calls did not,
    /// NULL without calls.
    last_week_reached: Option<i32>,
    /// A coordinator's handover "from now on" (migration 0015): preferred to last week's.
    continuity_caller_id: Option<i64>,
    /// Without either: the person's last assignment of the weeks before last week, as
    /// `2026-W45 123` (its week, then its caller).
    older_assignment: Option<String>,
}

impl PersonRow {
    /// The week and caller of `older_assignment`.
    fn older_caller(&self) -> Option<LastCaller> {
        let (week, caller) = self.older_assignment.as_deref()?.split_once(' ')?;
        Some(LastCaller {
            caller_id: caller.parse().ok()?,
            week: IsoWeek::parse(week).ok()?,
        })
    }
}

/// What the planner weighs about each person, beyond who they are and last week.
#[derive(Default)]
struct PersonHistory {
    open_needs: HashMap<i64, i64>,
    callbacks: HashSet<i64>,
    last_talk: HashMap<i64, DateTime<Utc>>,
}

fn beneficiary_input(p: PersonRow, history: &PersonHistory, week: IsoWeek) -> BeneficiaryInput {
    let id = p.id;
    let last_caller = match p.continuity_caller_id.or(p.last_week_caller) {
        Some(caller_id) => Some(LastCaller {
            caller_id,
            week: week.previous(),
        }),
        None => p.older_caller(),
    };
    BeneficiaryInput {
        id,
        territory_id: p.territory_id,
        language: LanguageCode::parse(&p.preferred_language)
            .unwrap_or_else(|_| LanguageCode::french()),
        open_escalations: history.open_needs.get(&id).copied().unwrap_or(0) as u32,
        callback_due_this_week: history.callbacks.contains(&id),
        not_reached_last_week: p.last_week_caller.is_some() && p.last_week_reached != Some(1),
        weeks_since_last_conversation: history
            .last_talk
            .get(&id)
            .map(|at| IsoWeek::containing(*at).weeks_until(week).max(0) as u32),
        last_caller,
    }
}

/// The person's weeks read, latest first, to find their last one in the campaign. The
/// limit is there to keep the campaign's filter outside the lookup (a subquery with a
/// limit is neither flattened nor given the outer filter, on either backend): with it
/// inside, PostgreSQL may walk the `(campaign, week, person)` index of every earlier
/// week for each person when its statistics lag behind a plan of a million rows.
const OLDER_WEEKS: u32 = 100_000;

/// The campaign's people who can be called this week, each with last week's
/// assignment (its caller, and whether a call reached the person), and for the few
/// without one nor a continuity caller, their last assignment before: one pass. The
/// earlier weeks are looked up by person (an index probe each, and none when the
/// campaign has no week before last week), never grouped whole: the campaign's
/// history grows by a week of rows each week.
async fn load_people(
    tx: &mut Tx,
    campaign_id: i64,
    week: IsoWeek,
) -> Result<Vec<PersonRow>, StoreError> {
    let last_week = week.previous().to_string();
    let older_weeks: i64 = query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM assignments WHERE campaign_id = $1 AND week < $2 \
         LIMIT 1) x",
    )
    .bind(campaign_id)
    .bind(&last_week)
    .fetch_one(&mut *tx)
    .await?;
    let reached = outcome_list(Outcome::is_reached);
    let sql = format!(
        "SELECT b.id, b.territory_id, b.preferred_language, p.caller_id AS last_week_caller, \
         (SELECT MAX(CASE WHEN c.outcome IN ({reached}) THEN 1 ELSE 0 END) FROM calls c \
          WHERE c.assignment_id = p.id) AS last_week_reached, b.continuity_caller_id, \
         CASE WHEN p.id IS NULL AND b.continuity_caller_id IS NULL AND $4 > 0 THEN \
           (SELECT h.assignment FROM (SELECT o.week || ' ' || CAST(o.caller_id AS TEXT) \
              AS assignment, o.campaign_id FROM assignments o \
              WHERE o.beneficiary_id = m.beneficiary_id AND o.week < $3 \
              ORDER BY o.week DESC LIMIT {OLDER_WEEKS}) h \
            WHERE h.campaign_id = m.campaign_id LIMIT 1) \
         END AS older_assignment \
         FROM campaign_members m JOIN beneficiaries b ON b.id = m.beneficiary_id \
         LEFT JOIN assignments p ON p.campaign_id = m.campaign_id AND p.week = $3 \
           AND p.beneficiary_id = m.beneficiary_id \
         WHERE m.campaign_id = $1 AND b.status = 'active' \
         AND (b.paused_until IS NULL OR b.paused_until < $2) ORDER BY b.id"
    );
    Ok(query_as(&sql)
        .bind(campaign_id)
        .bind(week.sunday())
        .bind(last_week)
        .bind(older_weeks)
        .fetch_all(tx)
        .await?)
}

/// The week's rows as they stand, and whether a call was logged on each.
async fn load_existing(
    tx: &mut Tx,
    campaign_id: i64,
    week: IsoWeek,
) -> Result<Vec<ExistingAssignment>, StoreError> {
    let rows: Vec<(i64, i64, bool)> = query_as(
        "SELECT a.beneficiary_id, a.caller_id, EXISTS (SELECT 1 FROM calls c WHERE c.assignment_id = a.id) \
         FROM assignments a WHERE a.campaign_id = $1 AND a.week = $2",
    )
    .bind(campaign_id)
    .bind(week.to_string())
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(beneficiary_id, caller_id, has_calls)| ExistingAssignment {
                beneficiary_id,
                caller_id,
                has_calls,
            },
        )
        .collect())
}

/// Last conversations, open needs and callbacks due this week (one query over the
/// calls and escalations).
async fn load_history(tx: &mut Tx, week: IsoWeek) -> Result<PersonHistory, StoreError> {
    let conversations = outcome_list(Outcome::is_conversation);
    // kind 0: last conversation (its time); 1: open needs (their count); 2: a
    // callback due this week.
    let facts_sql = format!(
        "SELECT 0 AS kind, beneficiary_id, COUNT(*) AS n, MAX(called_at) AS at FROM calls \
         WHERE outcome IN ({conversations}) GROUP BY beneficiary_id \
         UNION ALL SELECT 1, beneficiary_id, COUNT(*), NULL FROM escalations \
         WHERE status IN ('open', 'in_progress') GROUP BY beneficiary_id \
         UNION ALL SELECT 2, beneficiary_id, COUNT(*), NULL FROM calls WHERE outcome = 'callback' \
         AND callback_at >= $1 AND callback_at < $2 GROUP BY beneficiary_id"
    );
    let facts: Vec<(i32, i64, i64, Option<DateTime<Utc>>)> = query_as(&facts_sql)
        .bind(week.starts_at())
        .bind(week.ends_at())
        .fetch_all(&mut *tx)
        .await?;
    let mut history = PersonHistory::default();
    for (kind, id, n, at) in facts {
        match (kind, at) {
            (0, Some(at)) => {
                history.last_talk.insert(id, at);
            }
            (1, _) => {
                history.open_needs.insert(id, n);
            }
            (2, _) => {
                history.callbacks.insert(id);
            }
            _ => {}
        }
    }
    Ok(history)
}

/// The active callers, with their capacity for this week (absences and the campaign's
/// calling days taken off). With `today` (a rebalance), see [`rest_of_week`].
async fn load_callers(
    tx: &mut Tx,
    week: IsoWeek,
    campaign_days: Weekdays,
    today: Option<NaiveDate>,
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
    if let Some(today) = today {
        rest_of_week(&mut absences, week, today);
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

/// For a rebalance on `today`: a caller with an absence in the rest of the week has
/// the days already gone counted as absent too, so that a caller away for the rest of
/// the week has no capacity left and their people not yet called are moved (without
/// this, the days before the absence would keep them available).
fn rest_of_week(
    absences: &mut HashMap<i64, Vec<(NaiveDate, NaiveDate)>>,
    week: IsoWeek,
    today: NaiveDate,
) {
    let Some(yesterday) = today.pred_opt() else {
        return;
    };
    if yesterday < week.monday() {
        return;
    }
    for ranges in absences.values_mut() {
        if ranges.iter().any(|&(_, to)| to >= today) {
            ranges.push((week.monday(), yesterday));
        }
    }
}

/// A caller's week is shared between the campaigns they work in: what other campaigns
/// already gave them this week comes off the capacity this campaign may use.
async fn share_capacity(
    tx: &mut Tx,
    campaign_id: i64,
    week: IsoWeek,
    callers: &mut [CallerInput],
) -> Result<(), StoreError> {
    let taken: HashMap<i64, i64> = query_as(
        "SELECT caller_id, COUNT(*) FROM assignments \
         WHERE week = $1 AND campaign_id <> $2 GROUP BY caller_id",
    )
    .bind(week.to_string())
    .bind(campaign_id)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    for caller in callers.iter_mut() {
        let elsewhere = taken.get(&caller.id).copied().unwrap_or(0);
        caller.capacity = remaining_capacity(caller.capacity, elsewhere);
    }
    Ok(())
}

/// The capacity left once `elsewhere` assignments of other campaigns are counted.
fn remaining_capacity(capacity: u32, elsewhere: i64) -> u32 {
    let elsewhere = u32::try_from(elsewhere.max(0)).unwrap_or(u32::MAX);
    capacity.saturating_sub(elsewhere)
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
    clock: &mut Clock<'_>,
) -> Result<(), StoreError> {
    let week_text = week.to_string();
    lock_week_totals(tx, campaign_id, &week_text).await?;
    let to_insert: Vec<&PlannedAssignment> = plan
        .assignments
        .iter()
        .filter(|a| !matches!(a.status, AssignmentStatus::Kept))
        .collect();
    let rows = plan.removed.len() + to_insert.len();
    clock.progress.step("write", Some(rows as u64));
    // A first plan of a week writes every row of it (1,000,000 at national
    // scale): on SQLite, the per-row triggers that keep the week's per-caller sums
    // are held back and the sums set from one recount at the end (migration 0008).
    // PostgreSQL's triggers run once per statement, on all its rows.
    let bulk = !tx.is_postgres() && first_plan;
    if bulk {
        query(super::report::DEFER_WEEK_TOTALS)
            .bind(campaign_id)
            .bind(&week_text)
            .execute(&mut *tx)
            .await?;
    }
    delete_removed(tx, campaign_id, week, &plan.removed, clock.progress).await?;
    clock.lap("write_delete");
    insert_planned(tx, campaign_id, &week_text, &to_insert, now, clock).await?;
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
        clock.lap("write_totals");
    }
    Ok(())
}

/// Locks a week's per-caller sums (kept by triggers, migration 0008) before its
/// assignments, on PostgreSQL: the lock order shared with `record_call`, so a planner
/// and a caller recording a call in that week wait for each other, never deadlock.
async fn lock_week_totals(
    tx: &mut Tx,
    campaign_id: i64,
    week_text: &str,
) -> Result<(), StoreError> {
    if tx.is_postgres() {
        query(
            "SELECT caller_id FROM week_caller_totals WHERE campaign_id = $1 AND week = $2 \
             ORDER BY caller_id FOR UPDATE",
        )
        .bind(campaign_id)
        .bind(week_text)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Inserts the new and moved assignments of the plan by the bulk path.
async fn insert_planned(
    tx: &mut Tx,
    campaign_id: i64,
    week_text: &str,
    to_insert: &[&PlannedAssignment],
    now: DateTime<Utc>,
    clock: &mut Clock<'_>,
) -> Result<(), StoreError> {
    let rows = to_insert.iter().map(|a| {
        [
            Value::Int(campaign_id),
            Value::from(week_text),
            Value::Int(a.beneficiary_id),
            Value::Int(a.caller_id),
            Value::from(a.reason.code()),
            Value::from(a.reason.text()),
            Value::Time(now),
        ]
    });
    let columns = [
        "campaign_id",
        "week",
        "beneficiary_id",
        "caller_id",
        "reason_code",
        "reason",
        "created_at",
    ];
    bulk::insert_rows(tx, "assignments", columns, rows, clock.progress).await?;
    clock.lap("write_insert");
    Ok(())
}

/// Rows of one `DELETE` of removed assignments.
const DELETE_CHUNK: usize = 1000;

/// Deletes the removed assignments that still have no call, [`DELETE_CHUNK`] per
/// statement. The week has one row per person (a unique key), and nothing but the
/// planner, in this transaction, changes its caller: the person designates the row.
async fn delete_removed(
    tx: &mut Tx,
    campaign_id: i64,
    week: IsoWeek,
    removed: &[RemovedAssignment],
    progress: &dyn Progress,
) -> Result<(), StoreError> {
    // The campaign's id and the week (a checked `YYYY-Www`) written in the text, so that
    // the only parameters are the people's, numbered as `values_placeholders` does.
    let backend = tx.backend();
    let sql = |n: usize| {
        format!(
            "DELETE FROM assignments WHERE campaign_id = {campaign_id} AND week = '{week}' \
             AND beneficiary_id IN ({}) \
             AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.assignment_id = assignments.id)",
            db::values_placeholders(backend, n, 1)
        )
    };
    let full = sql(DELETE_CHUNK);
    for chunk in removed.chunks(DELETE_CHUNK) {
        let text = if chunk.len() == DELETE_CHUNK {
            std::borrow::Cow::Borrowed(full.as_str())
        } else {
            std::borrow::Cow::Owned(sql(chunk.len()))
        };
        let mut delete = query(&text);
        for r in chunk {
            delete = delete.bind(r.beneficiary_id);
        }
        delete.execute(&mut *tx).await?;
        progress.advance(chunk.len() as u64);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::remaining_capacity;

    #[test]
    fn other_campaigns_take_their_share_of_the_week() {
        assert_eq!(remaining_capacity(10, 0), 10);
        assert_eq!(remaining_capacity(10, 4), 6);
        assert_eq!(remaining_capacity(3, 5), 0);
        assert_eq!(remaining_capacity(3, -1), 3);
    }
}
