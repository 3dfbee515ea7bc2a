//! Weekly totals for coordinators, pure part: the figures, their definitions, the
//! change from last week, the CSV form, the time callers gave and the trend chart.
//! The store (`store/report.rs`) reads the rows; everything here is arithmetic.
//!
//! Definitions (also in docs/COORDINATOR.md): the week is an assignment week
//! (`assignments.week`); each assignment is classified by the summary of its calls kept
//! on the row by `Store::record_call` (migration 0006):
//! - `assigned`: assignments of the week; `attempted`: those with at least one call;
//!   `calls`: the calls recorded on them (sum of attempts);
//! - `reached`: at least one call whose outcome is "reached" in the sense of
//!   [`Outcome::is_reached`](crate::domain::Outcome::is_reached) (someone answered:
//!   reached_ok, reached_need, refused, opt_out, callback, paused); `conversations`: at
//!   least one real check-in conversation (reached_ok, reached_need);
//! - `not_reached`: never reached, last call unanswered (no answer, voicemail, busy), and
//!   no attempt left: closed after the campaign's maximum of attempts, or still open when
//!   the week is over; `in_progress`: never reached, last call unanswered, still open in
//!   a week that is not over;
//! - `opted_out`, `paused` (in hospital or away), `deceased`, `wrong_numbers`: the
//!   assignment's last outcome;
//! - escalations: those created within the ISO week (Monday 00:00 to Monday 00:00,
//!   Europe/Paris);
//! - `coverage_pct`: reached ÷ eligible × 100.

mod chart;
mod csv_export;
mod summary;
mod time_given;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use chart::{line_chart_svg, Series};
pub use csv_export::{
    csv_cell, csv_uncell, totals_csv, totals_from_csv, write_safe_record, TotalsCsvError,
};
pub use summary::{percent, signed, write_summary_fr};
pub use time_given::{estimated_seconds, TimeGiven, TimeGivenRow};

use crate::domain::{EscalationKind, EscalationStatus, NeedCategory};

/// One caller's assignments of the week, summed by the database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CallerWeek {
    pub caller_id: i64,
    pub assigned: i64,
    pub attempted: i64,
    pub calls: i64,
    pub reached: i64,
    pub conversations: i64,
    /// Never reached, last call unanswered, closed (no attempt left).
    pub unanswered_closed: i64,
    /// Never reached, last call unanswered, still open.
    pub unanswered_open: i64,
    pub opted_out: i64,
    pub paused: i64,
    pub deceased: i64,
    pub wrong_numbers: i64,
}

/// Escalations of the week, counted by the database per combination.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EscalationCount {
    pub kind: EscalationKind,
    pub category: NeedCategory,
    pub status: EscalationStatus,
    /// The territory's code, `None` for an escalation without a territory.
    pub territory: Option<String>,
    pub n: i64,
}

/// The key used for escalations without a territory in `escalations_by_territory`.
pub const NO_TERRITORY: &str = "none";

/// The headline figures of a week, as compared from one week to the next.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    pub eligible: i64,
    pub assigned: i64,
    pub attempted: i64,
    pub calls: i64,
    pub reached: i64,
    pub conversations: i64,
    pub not_reached: i64,
    pub escalations: i64,
    pub callers_active: i64,
    pub coverage_pct: Option<f64>,
}

/// How calls spread over the callers who had assignments this week.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub min: i64,
    pub median: f64,
    pub max: i64,
    /// Callers per band of calls: `0`, `1-9`, `10-24`, `25-49`, `50+`.
    pub buckets: BTreeMap<String, i64>,
}

/// Everything a coordinator reads about one week of one campaign. The JSON of
/// `lien report --json` and of `GET /api/campaigns/{c}/weeks/{w}/totals`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekTotals {
    pub campaign: String,
    pub week: String,
    pub generated_at: DateTime<Utc>,
    /// The current week: figures still move.
    pub live: bool,
    /// Whether the week is over (its Sunday has passed, Europe/Paris).
    pub week_over: bool,
    pub eligible: i64,
    pub assigned: i64,
    pub attempted: i64,
    pub not_attempted: i64,
    pub calls: i64,
    pub reached: i64,
    pub conversations: i64,
    pub not_reached: i64,
    pub in_progress: i64,
    pub opted_out: i64,
    pub paused: i64,
    pub deceased: i64,
    pub wrong_numbers: i64,
    pub escalations: i64,
    pub escalations_by_kind: BTreeMap<String, i64>,
    pub escalations_by_category: BTreeMap<String, i64>,
    /// By territory code (`none`: without a territory); only territories with escalations.
    #[serde(default)]
    pub escalations_by_territory: BTreeMap<String, i64>,
    pub escalations_by_status: BTreeMap<String, i64>,
    pub callers_assigned: i64,
    pub callers_active: i64,
    pub callers_not_started: i64,
    pub calls_per_caller: Distribution,
    pub coverage_pct: Option<f64>,
    /// Share of the week's assignments with at least one call.
    pub attempted_pct: Option<f64>,
    /// Share of the week's assignments reached.
    pub reached_pct: Option<f64>,
    pub previous_week: String,
    pub previous: Headline,
    /// This week minus the previous week, figure by figure (`coverage_pct` in points).
    pub change: Headline,
}

/// What the store read for one week.
#[derive(Debug, Clone, Default)]
pub struct WeekRows {
    pub eligible: i64,
    pub callers: Vec<CallerWeek>,
    pub escalations: Vec<EscalationCount>,
}

/// Which week, and how it stands against the clock.
#[derive(Debug, Clone)]
pub struct WeekContext {
    pub campaign: String,
    pub week: crate::domain::IsoWeek,
    pub now: DateTime<Utc>,
}

fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

fn calls_distribution(callers: &[CallerWeek]) -> Distribution {
    let mut calls: Vec<i64> = callers.iter().map(|c| c.calls).collect();
    calls.sort_unstable();
    let median = match calls.len() {
        0 => 0.0,
        n if n % 2 == 1 => calls[n / 2] as f64,
        n => (calls[n / 2 - 1] + calls[n / 2]) as f64 / 2.0,
    };
    let bands: [(&str, i64, i64); 5] = [
        ("0", 0, 0),
        ("1-9", 1, 9),
        ("10-24", 10, 24),
        ("25-49", 25, 49),
        ("50+", 50, i64::MAX),
    ];
    Distribution {
        min: calls.first().copied().unwrap_or(0),
        median,
        max: calls.last().copied().unwrap_or(0),
        buckets: bands
            .iter()
            .map(|(label, lo, hi)| {
                let n = calls.iter().filter(|c| (*lo..=*hi).contains(*c)).count();
                (label.to_string(), n as i64)
            })
            .collect(),
    }
}

/// The figures of one week on their own (no comparison yet).
struct Figures {
    headline: Headline,
    in_progress: i64,
    opted_out: i64,
    paused: i64,
    deceased: i64,
    wrong_numbers: i64,
    callers_assigned: i64,
    callers_not_started: i64,
    distribution: Distribution,
}

fn figures(rows: &WeekRows, week_over: bool) -> Figures {
    let sum = |f: fn(&CallerWeek) -> i64| rows.callers.iter().map(f).sum::<i64>();
    let unanswered_open = sum(|c| c.unanswered_open);
    let reached = sum(|c| c.reached);
    let (not_reached, in_progress) = if week_over {
        (sum(|c| c.unanswered_closed) + unanswered_open, 0)
    } else {
        (sum(|c| c.unanswered_closed), unanswered_open)
    };
    let callers_active = rows.callers.iter().filter(|c| c.calls > 0).count() as i64;
    Figures {
        headline: Headline {
            eligible: rows.eligible,
            assigned: sum(|c| c.assigned),
            attempted: sum(|c| c.attempted),
            calls: sum(|c| c.calls),
            reached,
            conversations: sum(|c| c.conversations),
            not_reached,
            escalations: rows.escalations.iter().map(|e| e.n).sum(),
            callers_active,
            coverage_pct: pct(reached, rows.eligible),
        },
        in_progress,
        opted_out: sum(|c| c.opted_out),
        paused: sum(|c| c.paused),
        deceased: sum(|c| c.deceased),
        wrong_numbers: sum(|c| c.wrong_numbers),
        callers_assigned: rows.callers.len() as i64,
        callers_not_started: rows.callers.len() as i64 - callers_active,
        distribution: calls_distribution(&rows.callers),
    }
}

fn change(now: &Headline, before: &Headline) -> Headline {
    Headline {
        eligible: now.eligible - before.eligible,
        assigned: now.assigned - before.assigned,
        attempted: now.attempted - before.attempted,
        calls: now.calls - before.calls,
        reached: now.reached - before.reached,
        conversations: now.conversations - before.conversations,
        not_reached: now.not_reached - before.not_reached,
        escalations: now.escalations - before.escalations,
        callers_active: now.callers_active - before.callers_active,
        coverage_pct: match (now.coverage_pct, before.coverage_pct) {
            (Some(a), Some(b)) => Some(((a - b) * 10.0).round() / 10.0),
            _ => None,
        },
    }
}

/// Counts per code, every code of `all` present (zero when absent).
fn by_code<'a>(
    all: impl Iterator<Item = &'a str>,
    rows: &[EscalationCount],
    key: fn(&EscalationCount) -> &str,
) -> BTreeMap<String, i64> {
    let mut map: BTreeMap<String, i64> = all.map(|c| (c.to_string(), 0)).collect();
    for r in rows {
        *map.entry(key(r).to_string()).or_default() += r.n;
    }
    map
}

/// Whether `week` is over at `now` (Europe/Paris).
pub fn week_is_over(week: crate::domain::IsoWeek, now: DateTime<Utc>) -> bool {
    now >= week.ends_at()
}

/// The week's totals from the rows of this week and of the week before.
pub fn week_totals(ctx: &WeekContext, this: &WeekRows, previous: &WeekRows) -> WeekTotals {
    let week_over = week_is_over(ctx.week, ctx.now);
    let current = figures(this, week_over);
    let before = figures(previous, true);
    let h = &current.headline;
    let escalations = &this.escalations;
    let mut by_territory: BTreeMap<String, i64> = BTreeMap::new();
    for e in escalations {
        *by_territory
            .entry(e.territory.clone().unwrap_or_else(|| NO_TERRITORY.into()))
            .or_default() += e.n;
    }
    WeekTotals {
        campaign: ctx.campaign.clone(),
        week: ctx.week.to_string(),
        generated_at: ctx.now,
        live: crate::domain::IsoWeek::containing(ctx.now) == ctx.week,
        week_over,
        eligible: h.eligible,
        assigned: h.assigned,
        attempted: h.attempted,
        not_attempted: h.assigned - h.attempted,
        calls: h.calls,
        reached: h.reached,
        conversations: h.conversations,
        not_reached: h.not_reached,
        in_progress: current.in_progress,
        opted_out: current.opted_out,
        paused: current.paused,
        deceased: current.deceased,
        wrong_numbers: current.wrong_numbers,
        escalations: h.escalations,
        escalations_by_kind: by_code(
            EscalationKind::ALL.iter().map(|k| k.as_str()),
            escalations,
            |e| e.kind.as_str(),
        ),
        escalations_by_category: by_code(
            NeedCategory::ALL.iter().map(|c| c.as_str()),
            escalations,
            |e| e.category.as_str(),
        ),
        escalations_by_territory: by_territory,
        escalations_by_status: by_code(
            EscalationStatus::ALL.iter().map(|s| s.as_str()),
            escalations,
            |e| e.status.as_str(),
        ),
        callers_assigned: current.callers_assigned,
        callers_active: h.callers_active,
        callers_not_started: current.callers_not_started,
        calls_per_caller: current.distribution,
        coverage_pct: h.coverage_pct,
        attempted_pct: pct(h.attempted, h.assigned),
        reached_pct: pct(h.reached, h.assigned),
        previous_week: ctx.week.previous().to_string(),
        change: change(h, &before.headline),
        previous: before.headline,
    }
}

/// One week of the trend: the campaign's totals week after week.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TrendWeek {
    pub week: String,
    pub assigned: i64,
    pub attempted: i64,
    pub reached: i64,
    pub conversations: i64,
    #[sqlx(skip)]
    pub escalations: i64,
}

/// One territory's share of a week.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TerritoryWeek {
    pub territory_id: Option<i64>,
    pub assigned: i64,
    pub attempted: i64,
    pub reached: i64,
    pub conversations: i64,
    #[sqlx(skip)]
    pub name: String,
    #[sqlx(skip)]
    pub escalations: i64,
}

/// Data that needs a coordinator's hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct DataQuality {
    /// Rejected rows of applied imports not marked fixed.
    pub rejected_rows_to_fix: i64,
    /// Campaign members with a phone number reported wrong by a caller.
    pub wrong_numbers_reported: i64,
    /// Active campaign members without a territory (their needs cannot be routed).
    pub without_territory: i64,
    /// Open escalations of the campaign with no territory or no outbox row.
    pub unroutable_escalations: i64,
}

#[cfg(test)]
pub(crate) mod tests;
