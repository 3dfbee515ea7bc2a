//! Hours given on missions (issue 17): recorded per placement and day by the volunteer
//! (or a coordinator on their behalf), one record per placement and day (recording it
//! again replaces it: idempotent), refused when the calendar month's recorded hours
//! would pass an agent's monthly allowance — with the time that remains. And the
//! report of the time given: missions and phone calls together, per agent and month.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate, Utc};
use serde::Serialize;

use super::db::{query_as, query_scalar, Tx};
use super::users::audit_in;
use super::{query, AuditEvent, Store, StoreError};
use crate::domain::iso_week::paris_midnight;
use crate::domain::IsoWeek;
use crate::report::{TimeGiven, TimeGivenRow};

/// How long a day of allowance is, in minutes, unless the settings say otherwise
/// (the issue: "a day counts 7 hours").
pub const DEFAULT_DAY_MINUTES: i64 = crate::missions::model::DEFAULT_MINUTES_PER_DAY as i64;

/// Hours done on a day of a placement.
#[derive(Debug, Clone)]
pub struct HoursInput {
    pub placement_id: i64,
    pub worked_on: NaiveDate,
    pub minutes: i32,
    /// The account that records (the volunteer or a coordinator).
    pub user_id: Option<i64>,
    /// Minutes in a day of allowance.
    pub day_minutes: i64,
}

/// Why hours were not recorded.
#[derive(Debug, thiserror::Error)]
pub enum HoursError {
    #[error("no placement #{0}")]
    UnknownPlacement(i64),
    #[error("the placement is only proposed: hours are recorded once it is confirmed")]
    NotConfirmed,
    #[error("{day} is outside the placement's week ({from} to {to})")]
    DayOutsideWeek {
        day: NaiveDate,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error("{0} minutes: give from 1 minute to 24 hours")]
    BadMinutes(i32),
    #[error(
        "this would pass the month's allowance of {allowance_minutes} minutes \
         ({used_minutes} already recorded): {remaining_minutes} minutes remain"
    )]
    OverAllowance {
        allowance_minutes: i64,
        used_minutes: i64,
        remaining_minutes: i64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for HoursError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl HoursError {
    /// Stable code, for the pages' catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownPlacement(_) => "unknown_placement",
            Self::NotConfirmed => "not_confirmed",
            Self::DayOutsideWeek { .. } => "day_outside_week",
            Self::BadMinutes(_) => "bad_minutes",
            Self::OverAllowance { .. } => "over_allowance",
            Self::Store(_) => "store",
        }
    }
}

/// What a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoursRecorded {
    Inserted,
    Updated,
    /// The same minutes were already recorded for that day.
    Unchanged,
}

/// The first day of `day`'s month and of the next.
pub fn month_bounds(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    (first, next)
}

/// A volunteer's allowance and what is recorded in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MonthAllowance {
    /// `None`: no allowance applies (association professionals, students).
    pub allowance_minutes: Option<i64>,
    pub used_minutes: i64,
}

impl MonthAllowance {
    pub fn remaining_minutes(&self) -> Option<i64> {
        self.allowance_minutes
            .map(|a| (a - self.used_minutes).max(0))
    }
}

#[derive(sqlx::FromRow)]
struct PlacementFacts {
    volunteer_id: i64,
    week_start: NaiveDate,
    state: crate::domain::PlacementState,
    days_per_month_centi: Option<i32>,
}

/// Refuses a record that would take the month's recorded minutes past the volunteer's
/// allowance (other days of the month, plus this one's new minutes).
async fn check_allowance(
    tx: &mut Tx,
    facts: &PlacementFacts,
    input: &HoursInput,
) -> Result<(), HoursError> {
    let Some(centi) = facts.days_per_month_centi else {
        return Ok(());
    };
    let (from, to) = month_bounds(input.worked_on);
    let others: i64 = query_scalar(
        "SELECT COALESCE(SUM(minutes), 0) FROM mission_hours WHERE volunteer_id = $1 \
         AND worked_on >= $2 AND worked_on < $3 AND NOT (placement_id = $4 AND worked_on = $5)",
    )
    .bind(facts.volunteer_id)
    .bind(from)
    .bind(to)
    .bind(input.placement_id)
    .bind(input.worked_on)
    .fetch_one(&mut *tx)
    .await?;
    let allowance = i64::from(centi) * input.day_minutes / 100;
    if others + i64::from(input.minutes) > allowance {
        return Err(HoursError::OverAllowance {
            allowance_minutes: allowance,
            used_minutes: others,
            remaining_minutes: (allowance - others).max(0),
        });
    }
    Ok(())
}

impl Store {
    /// The volunteer a signed-in account records hours for: its own volunteer record
    /// (`users.volunteer_id`), or the volunteer linked to its caller record.
    pub async fn volunteer_of_user(
        &self,
        user_id: i64,
        caller_id: Option<i64>,
    ) -> Result<Option<i64>, StoreError> {
        let id: Option<i64> = query_scalar(
            "SELECT v.id FROM volunteers v WHERE v.id = \
             (SELECT u.volunteer_id FROM users u WHERE u.id = $1) \
             OR ($2 IS NOT NULL AND v.caller_id = $2) ORDER BY v.id LIMIT 1",
        )
        .bind(user_id)
        .bind(caller_id)
        .fetch_optional(self)
        .await?;
        Ok(id)
    }

    /// The volunteer's allowance and the minutes recorded in `day`'s month.
    pub async fn month_allowance(
        &self,
        volunteer_id: i64,
        day: NaiveDate,
        day_minutes: i64,
    ) -> Result<MonthAllowance, StoreError> {
        let (from, to) = month_bounds(day);
        let centi: Option<Option<i32>> =
            query_scalar("SELECT days_per_month_centi FROM volunteers WHERE id = $1")
                .bind(volunteer_id)
                .fetch_optional(self)
                .await?;
        let used: i64 = query_scalar(
            "SELECT COALESCE(SUM(minutes), 0) FROM mission_hours \
             WHERE volunteer_id = $1 AND worked_on >= $2 AND worked_on < $3",
        )
        .bind(volunteer_id)
        .bind(from)
        .bind(to)
        .fetch_one(self)
        .await?;
        Ok(MonthAllowance {
            allowance_minutes: centi.flatten().map(|c| i64::from(c) * day_minutes / 100),
            used_minutes: used,
        })
    }

    /// Records the hours of a day of a placement, or replaces the day's record; refused
    /// when the month's recorded hours would pass the volunteer's allowance. Audited.
    pub async fn record_mission_hours(
        &self,
        input: &HoursInput,
    ) -> Result<HoursRecorded, HoursError> {
        if !(1..=1440).contains(&input.minutes) {
            return Err(HoursError::BadMinutes(input.minutes));
        }
        let mut tx = self.begin().await?;
        let facts: PlacementFacts = query_as(
            "SELECT p.volunteer_id, p.week_start, p.state, v.days_per_month_centi \
             FROM mission_placements p JOIN volunteers v ON v.id = p.volunteer_id WHERE p.id = $1",
        )
        .bind(input.placement_id)
        .fetch_optional(&mut tx)
        .await?
        .ok_or(HoursError::UnknownPlacement(input.placement_id))?;
        if facts.state == crate::domain::PlacementState::Proposed {
            return Err(HoursError::NotConfirmed);
        }
        let week = IsoWeek::from_date(facts.week_start);
        if !week.contains(input.worked_on) {
            return Err(HoursError::DayOutsideWeek {
                day: input.worked_on,
                from: week.monday(),
                to: week.sunday(),
            });
        }
        check_allowance(&mut tx, &facts, input).await?;
        let before: Option<i32> = query_scalar(
            "SELECT minutes FROM mission_hours WHERE placement_id = $1 AND worked_on = $2",
        )
        .bind(input.placement_id)
        .bind(input.worked_on)
        .fetch_optional(&mut tx)
        .await?;
        if before == Some(input.minutes) {
            return Ok(HoursRecorded::Unchanged);
        }
        let recorded_by = input
            .user_id
            .map_or_else(|| "cli".to_string(), |id| format!("user:{id}"));
        query(
            "INSERT INTO mission_hours (placement_id, volunteer_id, worked_on, minutes, \
             recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (placement_id, worked_on) DO UPDATE SET minutes = excluded.minutes, \
             recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
        )
        .bind(input.placement_id)
        .bind(facts.volunteer_id)
        .bind(input.worked_on)
        .bind(input.minutes)
        .bind(recorded_by)
        .bind(Utc::now())
        .execute(&mut tx)
        .await?;
        let event = AuditEvent {
            actor_user_id: input.user_id,
            actor_label: if input.user_id.is_some() {
                "user"
            } else {
                "cli"
            },
            action: "mission_hours_recorded",
            subject_type: "mission_placement",
            subject_id: Some(input.placement_id),
            detail: Some(format!("{} {} min", input.worked_on, input.minutes)),
        };
        audit_in(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(match before {
            Some(_) => HoursRecorded::Updated,
            None => HoursRecorded::Inserted,
        })
    }
}

/// A confirmed (or signed, or ended) placement of a volunteer, with the days recorded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnPlacement {
    pub id: i64,
    pub week_start: NaiveDate,
    pub state: String,
    pub minutes: i32,
    pub organisation: String,
    pub establishment: String,
    pub mission_kind: String,
    pub slots: String,
    #[sqlx(skip)]
    pub days: Vec<(NaiveDate, i32)>,
}

impl Store {
    /// The volunteer's placements from `since` (a Monday) on, confirmed or later, each
    /// with the days recorded; newest week first.
    pub async fn volunteer_placements(
        &self,
        volunteer_id: i64,
        since: NaiveDate,
    ) -> Result<Vec<OwnPlacement>, StoreError> {
        let mut placements: Vec<OwnPlacement> = query_as(
            "SELECT p.id, p.week_start, p.state, p.minutes, o.name AS organisation, \
             n.establishment, n.mission_kind, n.slots FROM mission_placements p \
             JOIN mission_needs n ON n.id = p.need_id JOIN organisations o ON o.id = n.organisation_id \
             WHERE p.volunteer_id = $1 AND p.week_start >= $2 AND p.state <> 'proposed' \
             ORDER BY p.week_start DESC, o.name, p.id",
        )
        .bind(volunteer_id)
        .bind(since)
        .fetch_all(self)
        .await?;
        let days: Vec<(i64, NaiveDate, i32)> = query_as(
            "SELECT h.placement_id, h.worked_on, h.minutes FROM mission_hours h \
             JOIN mission_placements p ON p.id = h.placement_id \
             WHERE h.volunteer_id = $1 AND p.week_start >= $2 ORDER BY h.worked_on",
        )
        .bind(volunteer_id)
        .bind(since)
        .fetch_all(self)
        .await?;
        for (placement_id, day, minutes) in days {
            if let Some(p) = placements.iter_mut().find(|p| p.id == placement_id) {
                p.days.push((day, minutes));
            }
        }
        Ok(placements)
    }

    /// The volunteer's name, for a coordinator recording on their behalf.
    pub async fn volunteer_name(&self, volunteer_id: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(String, String)> =
            query_as("SELECT first_name, last_name FROM volunteers WHERE id = $1")
                .bind(volunteer_id)
                .fetch_optional(self)
                .await?;
        Ok(row.map(|(f, l)| format!("{f} {l}").trim().to_string()))
    }
}

/// The report's sums while they are made: (month, email, organisation, kind) →
/// (name, service, minutes).
type Sums = BTreeMap<(NaiveDate, String, Option<String>, TimeKind), (String, Option<String>, i64)>;

/// What a line of the time report counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "kind", rename_all = "snake_case")]
pub enum TimeKind {
    /// Hours on a mission of this kind (`mission_needs.mission_kind`).
    Mission(String),
    /// Phone calls of the solidarity campaigns (recorded or estimated durations).
    Calls,
}

/// One line of the time report: one agent's minutes in a month with one organisation
/// on one kind of mission (or on phone calls).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeLine {
    /// First day of the month.
    pub month: NaiveDate,
    pub name: String,
    pub email: String,
    /// Service, association or school the person comes from.
    pub service: Option<String>,
    /// `None` for phone calls.
    pub organisation: Option<String>,
    pub kind: TimeKind,
    pub minutes: i64,
}

#[derive(sqlx::FromRow)]
struct HoursRow {
    worked_on: NaiveDate,
    first_name: String,
    last_name: String,
    email: String,
    origin_structure: Option<String>,
    organisation: String,
    mission_kind: String,
    minutes: i32,
}

/// Who a caller is in the report: their volunteer record when there is one, so that
/// both kinds of time meet under one person.
#[derive(sqlx::FromRow)]
struct CallerPerson {
    id: i64,
    first_name: String,
    last_name: String,
    email: String,
    volunteer_first_name: Option<String>,
    volunteer_last_name: Option<String>,
    volunteer_email: Option<String>,
    service: Option<String>,
}

impl Store {
    /// The time given in the months from `from`'s to `to`'s (included): missions' hours
    /// recorded and phone calls (recorded durations, else the usual estimates), one line
    /// per month, person, organisation and kind. A caller who is also a volunteer
    /// (`volunteers.caller_id`) appears under the volunteer's name and email.
    pub async fn time_report(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<TimeLine>, StoreError> {
        let first = month_bounds(from).0;
        let end = month_bounds(to).1;
        let mut sums = Sums::new();
        let rows: Vec<HoursRow> = query_as(
            "SELECT h.worked_on, v.first_name, v.last_name, v.email, v.origin_structure, \
             o.name AS organisation, n.mission_kind, h.minutes FROM mission_hours h \
             JOIN volunteers v ON v.id = h.volunteer_id \
             JOIN mission_placements p ON p.id = h.placement_id \
             JOIN mission_needs n ON n.id = p.need_id JOIN organisations o ON o.id = n.organisation_id \
             WHERE h.worked_on >= $1 AND h.worked_on < $2",
        )
        .bind(first)
        .bind(end)
        .fetch_all(self)
        .await?;
        for r in rows {
            let name = format!("{} {}", r.first_name, r.last_name)
                .trim()
                .to_string();
            let key = (
                month_bounds(r.worked_on).0,
                r.email,
                Some(r.organisation),
                TimeKind::Mission(r.mission_kind),
            );
            let entry = sums.entry(key).or_insert((name, r.origin_structure, 0));
            entry.2 += i64::from(r.minutes);
        }
        self.add_call_time(first, end, &mut sums).await?;
        Ok(sums
            .into_iter()
            .map(
                |((month, email, organisation, kind), (name, service, minutes))| TimeLine {
                    month,
                    name,
                    email,
                    service,
                    organisation,
                    kind,
                    minutes,
                },
            )
            .collect())
    }

    /// Adds the phone-call time of each month in `[first, end)` to `sums`.
    async fn add_call_time(
        &self,
        first: NaiveDate,
        end: NaiveDate,
        sums: &mut Sums,
    ) -> Result<(), StoreError> {
        let people: Vec<CallerPerson> = query_as(
            "SELECT c.id, c.first_name, c.last_name, c.email, v.first_name AS volunteer_first_name, \
             v.last_name AS volunteer_last_name, v.email AS volunteer_email, \
             v.origin_structure AS service FROM callers c \
             LEFT JOIN volunteers v ON v.id = (SELECT MIN(w.id) FROM volunteers w WHERE w.caller_id = c.id)",
        )
        .fetch_all(self)
        .await?;
        let sql = "SELECT caller_id, outcome, COUNT(*) AS calls, COUNT(duration_seconds) AS \
                   timed_calls, COALESCE(SUM(duration_seconds), 0) AS timed_seconds FROM calls \
                   WHERE called_at >= $1 AND called_at < $2 GROUP BY caller_id, outcome";
        let mut month = first;
        while month < end {
            let next = month_bounds(month).1;
            let rows: Vec<TimeGivenRow> = query_as(sql)
                .bind(paris_midnight(month))
                .bind(paris_midnight(next))
                .fetch_all(self)
                .await?;
            let mut by_caller: BTreeMap<i64, TimeGiven> = BTreeMap::new();
            for row in &rows {
                by_caller.entry(row.caller_id).or_default().add(row);
            }
            for (caller_id, time) in by_caller {
                let Some(p) = people.iter().find(|p| p.id == caller_id) else {
                    continue;
                };
                let (name, email) = match (
                    &p.volunteer_email,
                    &p.volunteer_first_name,
                    &p.volunteer_last_name,
                ) {
                    (Some(email), Some(f), Some(l)) => (format!("{f} {l}"), email.clone()),
                    _ => (format!("{} {}", p.first_name, p.last_name), p.email.clone()),
                };
                let minutes = (time.total_seconds() + 30) / 60;
                let key = (month, email, None, TimeKind::Calls);
                let entry =
                    sums.entry(key)
                        .or_insert((name.trim().to_string(), p.service.clone(), 0));
                entry.2 += minutes;
            }
            month = next;
        }
        Ok(())
    }
}
