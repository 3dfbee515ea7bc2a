//! The weekly matching of needs and volunteers, store side: load the matcher's input
//! (`missions::model::MatchInput`) for a week, run the pure matcher, and save its
//! proposals.
//!
//! Rules of the input (docs/MISSIONS.md, "How the week's input is built"):
//! - needs: active needs of active organisations whose dates meet the week (Monday to
//!   Sunday; no date is open-ended);
//! - volunteers: active ones; agents carry their allowance (`days_per_month_centi` ×
//!   minutes per day) and their manager's approval;
//! - the month a week counts in is the month of its Thursday (`MatchInput::month`: the
//!   month holding at least four of its days). An agent's used minutes in that month are
//!   the placements held (confirmed, signed or ended) in the month's weeks, this week
//!   included: a confirmed or signed placement counts its planned minutes, or the hours
//!   recorded on it when more; an ended one counts the hours recorded on it;
//! - placements held this week stay as they are: their need asks that many volunteers
//!   fewer, their volunteer is not free at that need's times, and the organisations'
//!   figures of the outcome count them as filled;
//! - continuity: last week's held placements.
//!
//! Saving replaces the week's `proposed` rows, never a held one; each row records the
//! need's version and the reason (code and parameters) as JSON.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::{query, query_as, Store, StoreError, Tx};
use crate::domain::{IsoWeek, PlacementBasis, PlacementState, VolunteerOrigin};
use crate::missions::matcher::match_week;
use crate::missions::model::{
    Allowance, ContinuityPair, MatchInput, MatchOutcome, NeedInput, OrganisationShare,
    VolunteerInput, DEFAULT_MINUTES_PER_DAY,
};
use crate::missions::qualifications::parse_qualifications;
use crate::missions::slots::{parse_slots, Slot};

/// The settings of a matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissionSettings {
    /// What a day of allowance is worth, in minutes (7 hours by default).
    pub minutes_per_day: u32,
}

impl Default for MissionSettings {
    fn default() -> Self {
        Self {
            minutes_per_day: DEFAULT_MINUTES_PER_DAY,
        }
    }
}

/// What a matching did.
#[derive(Debug, Clone, Serialize)]
pub struct MatchRun {
    pub outcome: MatchOutcome,
    /// Placements held this week (confirmed or later), left as they were.
    pub held: usize,
    /// Proposals of an earlier run replaced.
    pub replaced: u64,
    /// Proposals written (0 for a dry run).
    pub saved: u64,
}

/// One placement of a week, for lists and pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PlacementLine {
    pub id: i64,
    pub need_id: i64,
    pub reference: String,
    pub organisation: String,
    pub establishment: String,
    pub volunteer_id: i64,
    pub volunteer_email: String,
    pub first_name: String,
    pub last_name: String,
    pub week_start: NaiveDate,
    pub minutes: i32,
    pub state: PlacementState,
    pub basis: Option<PlacementBasis>,
    /// The matcher's reason as JSON (`{"code": "nearest", …}`).
    pub reason: String,
    pub need_version: i32,
    /// The need's version now: a difference means it changed since the proposal.
    pub current_version: i32,
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl PlacementLine {
    /// The reason's code.
    pub fn reason_code(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.reason)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
            .unwrap_or_default()
    }
}

/// A placement held this week: it stays.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Held {
    need_id: i64,
    volunteer_id: i64,
    organisation_id: i64,
    organisation: String,
    minutes: i32,
}

#[derive(Debug, sqlx::FromRow)]
struct NeedRow {
    id: i64,
    reference: String,
    organisation_id: i64,
    organisation: String,
    volunteers_wanted: i32,
    weekly_minutes: i32,
    slots: String,
    qualifications: String,
    postcode: Option<String>,
    commune: Option<String>,
    version: i32,
}

#[derive(Debug, sqlx::FromRow)]
struct VolunteerRow {
    id: i64,
    email: String,
    qualifications: String,
    availability: String,
    postcode: Option<String>,
    commune: Option<String>,
    origin: VolunteerOrigin,
    days_per_month_centi: Option<i32>,
    manager_approved: bool,
}

impl Store {
    /// The matcher's input for `week` (read only).
    pub async fn load_match_input(
        &self,
        week: IsoWeek,
        settings: &MissionSettings,
    ) -> Result<MatchInput, StoreError> {
        let mut tx = self.begin().await?;
        let (input, _) = load_match_input(&mut tx, week, settings).await?;
        tx.rollback().await?;
        Ok(input)
    }

    /// Matches `week` and, unless `dry_run`, saves the proposals, in one transaction.
    #[tracing::instrument(skip(self, settings))]
    pub async fn match_missions(
        &self,
        week: IsoWeek,
        settings: &MissionSettings,
        dry_run: bool,
    ) -> Result<MatchRun, StoreError> {
        let mut tx = self.begin().await?;
        let (input, held) = load_match_input(&mut tx, week, settings).await?;
        let mut outcome = match_week(&input);
        count_held(&mut outcome, &held);
        let (replaced, saved) = save_proposals(&mut tx, &outcome).await?;
        tx.commit_if(!dry_run).await?;
        let (replaced, saved) = if dry_run { (0, 0) } else { (replaced, saved) };
        Ok(MatchRun {
            outcome,
            held: held.len(),
            replaced,
            saved,
        })
    }

    /// The placements of a week, every state, by organisation, need and volunteer.
    pub async fn placements_of_week(
        &self,
        week: IsoWeek,
    ) -> Result<Vec<PlacementLine>, StoreError> {
        let sql = "SELECT p.id, p.need_id, n.reference, o.name AS organisation, \
             n.establishment, p.volunteer_id, v.email AS volunteer_email, v.first_name, \
             v.last_name, p.week_start, p.minutes, p.state, p.basis, p.reason, \
             p.need_version, n.version AS current_version, p.confirmed_at \
             FROM mission_placements p JOIN mission_needs n ON n.id = p.need_id \
             JOIN organisations o ON o.id = n.organisation_id \
             JOIN volunteers v ON v.id = p.volunteer_id \
             WHERE p.week_start = $1 ORDER BY o.name_key, n.reference, v.email";
        Ok(query_as(sql).bind(week.monday()).fetch_all(self).await?)
    }
}

/// The formal basis that usually fits a volunteer's origin: an agent's secondment
/// agreement, a student's fixed-term contract, an agreement between associations.
pub fn usual_basis(origin: VolunteerOrigin) -> PlacementBasis {
    match origin {
        VolunteerOrigin::Agent => PlacementBasis::Secondment,
        VolunteerOrigin::School => PlacementBasis::FixedTerm,
        VolunteerOrigin::Association => PlacementBasis::AssociationAgreement,
    }
}

impl Store {
    /// The demo's placements: one proposal of `week` in `every` (by id, the first
    /// included) moved to `state`, with the basis usual for the volunteer's origin.
    /// Gives how many moved. Not for coordinators' confirmations, which check the
    /// need's version and mail the volunteer and the establishment.
    pub async fn settle_demo_placements(
        &self,
        week: IsoWeek,
        state: PlacementState,
        every: usize,
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let rows: Vec<(i64, VolunteerOrigin)> = query_as(
            "SELECT p.id, v.origin FROM mission_placements p \
             JOIN volunteers v ON v.id = p.volunteer_id \
             WHERE p.week_start = $1 AND p.state = 'proposed' ORDER BY p.id",
        )
        .bind(week.monday())
        .fetch_all(&mut tx)
        .await?;
        let now = Utc::now();
        let mut moved = 0;
        for (id, origin) in rows.into_iter().step_by(every.max(1)) {
            query(
                "UPDATE mission_placements SET state = $2, basis = $3, confirmed_at = $4 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(state)
            .bind(usual_basis(origin))
            .bind(now)
            .execute(&mut tx)
            .await?;
            moved += 1;
        }
        tx.commit().await?;
        Ok(moved)
    }
}

/// The first and last Monday of the weeks that count in `week`'s month (the month of
/// their Thursday).
pub fn month_mondays(week: IsoWeek) -> (NaiveDate, NaiveDate) {
    let (year, month) = MatchInput::month(week);
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(week.monday());
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or(week.sunday());
    let last = next - Duration::days(1);
    // A week counts in the month of its Thursday, three days after its Monday.
    debug_assert_eq!(first.day(), 1);
    (first - Duration::days(3), last - Duration::days(3))
}

/// Builds the matcher's input inside `tx`, and the placements held this week.
async fn load_match_input(
    tx: &mut Tx,
    week: IsoWeek,
    settings: &MissionSettings,
) -> Result<(MatchInput, Vec<Held>), StoreError> {
    let held: Vec<Held> = query_as(
        "SELECT p.need_id, p.volunteer_id, n.organisation_id, o.name AS organisation, \
         p.minutes FROM mission_placements p JOIN mission_needs n ON n.id = p.need_id \
         JOIN organisations o ON o.id = n.organisation_id \
         WHERE p.week_start = $1 AND p.state <> 'proposed' ORDER BY p.id",
    )
    .bind(week.monday())
    .fetch_all(&mut *tx)
    .await?;
    let needs = load_needs(tx, week).await?;
    let held_slots: HashMap<i64, Vec<Slot>> = needs
        .iter()
        .map(|n| (n.id, parse_or_empty(&n.slots, "need", n.id)))
        .collect();
    let needs: Vec<NeedInput> = needs
        .into_iter()
        .filter_map(|n| need_input(n, &held))
        .collect();
    let volunteers = load_volunteers(tx, week, settings, &held, &held_slots).await?;
    let last_week: Vec<ContinuityPair> = query_as::<(i64, i64)>(
        "SELECT need_id, volunteer_id FROM mission_placements \
         WHERE week_start = $1 AND state <> 'proposed' ORDER BY need_id, volunteer_id",
    )
    .bind(week.previous().monday())
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(need_id, volunteer_id)| ContinuityPair {
        need_id,
        volunteer_id,
    })
    .collect();
    let input = MatchInput {
        week,
        needs,
        volunteers,
        last_week,
        minutes_per_day: settings.minutes_per_day,
    };
    Ok((input, held))
}

fn parse_or_empty(text: &str, what: &str, id: i64) -> Vec<Slot> {
    parse_slots(text).unwrap_or_else(|e| {
        tracing::warn!(what, id, error = e.code(), "stored slots do not parse");
        Vec::new()
    })
}

async fn load_needs(tx: &mut Tx, week: IsoWeek) -> Result<Vec<NeedRow>, StoreError> {
    Ok(query_as(
        "SELECT n.id, n.reference, n.organisation_id, o.name AS organisation, \
         n.volunteers_wanted, n.weekly_minutes, n.slots, n.qualifications, n.postcode, \
         n.commune, n.version FROM mission_needs n \
         JOIN organisations o ON o.id = n.organisation_id \
         WHERE n.active AND o.active AND (n.starts_on IS NULL OR n.starts_on <= $2) \
         AND (n.ends_on IS NULL OR n.ends_on >= $1) ORDER BY n.id",
    )
    .bind(week.monday())
    .bind(week.sunday())
    .fetch_all(&mut *tx)
    .await?)
}

/// The need as the matcher sees it: the volunteers held on it this week are not
/// wanted again (None when none is).
fn need_input(n: NeedRow, held: &[Held]) -> Option<NeedInput> {
    let taken = held.iter().filter(|h| h.need_id == n.id).count() as i32;
    let wanted = n.volunteers_wanted - taken;
    (wanted > 0).then(|| NeedInput {
        slots: parse_or_empty(&n.slots, "need", n.id),
        qualifications: parse_qualifications(&n.qualifications).qualifications,
        id: n.id,
        reference: n.reference,
        organisation_id: n.organisation_id,
        organisation: n.organisation,
        volunteers_wanted: wanted as u32,
        weekly_minutes: n.weekly_minutes.max(1) as u32,
        postcode: n.postcode,
        commune: n.commune,
        version: i64::from(n.version),
    })
}

async fn load_volunteers(
    tx: &mut Tx,
    week: IsoWeek,
    settings: &MissionSettings,
    held: &[Held],
    need_slots: &HashMap<i64, Vec<Slot>>,
) -> Result<Vec<VolunteerInput>, StoreError> {
    let rows: Vec<VolunteerRow> = query_as(
        "SELECT id, email, qualifications, availability, postcode, commune, origin, \
         days_per_month_centi, manager_approved FROM volunteers WHERE active ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let used = used_minutes(tx, week).await?;
    Ok(rows
        .into_iter()
        .map(|v| {
            // Not free at the times of the placements held this week.
            let busy: Vec<&Slot> = held
                .iter()
                .filter(|h| h.volunteer_id == v.id)
                .flat_map(|h| need_slots.get(&h.need_id).into_iter().flatten())
                .collect();
            let availability = parse_or_empty(&v.availability, "volunteer", v.id)
                .into_iter()
                .filter(|s| !busy.iter().any(|b| b.overlaps(s)))
                .collect();
            let allowance = (v.origin == VolunteerOrigin::Agent).then(|| {
                Allowance::from_centi_days(
                    v.days_per_month_centi.unwrap_or(0).max(0) as u32,
                    settings.minutes_per_day,
                    v.manager_approved,
                    used.get(&v.id).copied().unwrap_or(0),
                )
            });
            VolunteerInput {
                id: v.id,
                email: v.email,
                qualifications: parse_qualifications(&v.qualifications).qualifications,
                availability,
                postcode: v.postcode,
                commune: v.commune,
                allowance,
            }
        })
        .collect())
}

/// Each volunteer's minutes held in the month `week` counts in (see the module's
/// documentation).
async fn used_minutes(tx: &mut Tx, week: IsoWeek) -> Result<HashMap<i64, u32>, StoreError> {
    let (first, last) = month_mondays(week);
    let rows: Vec<(i64, i64)> = query_as(
        "SELECT p.volunteer_id, CAST(SUM(CASE \
           WHEN p.state = 'ended' THEN COALESCE(h.minutes, 0) \
           WHEN h.minutes > p.minutes THEN h.minutes ELSE p.minutes END) AS BIGINT) \
         FROM mission_placements p LEFT JOIN \
           (SELECT placement_id, SUM(minutes) AS minutes FROM mission_hours \
            GROUP BY placement_id) h ON h.placement_id = p.id \
         WHERE p.state <> 'proposed' AND p.week_start >= $1 AND p.week_start <= $2 \
         GROUP BY p.volunteer_id",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, minutes)| (id, minutes.clamp(0, i64::from(u32::MAX)) as u32))
        .collect())
}

/// The organisations' figures count the placements held this week as filled (the
/// matcher saw only what was left to fill); an organisation whose needs are all filled
/// by them shows too. Sorted again by share, then id.
fn count_held(outcome: &mut MatchOutcome, held: &[Held]) {
    for h in held {
        let at = match outcome
            .organisations
            .iter()
            .position(|o| o.organisation_id == h.organisation_id)
        {
            Some(at) => at,
            None => {
                outcome.organisations.push(OrganisationShare {
                    organisation_id: h.organisation_id,
                    organisation: h.organisation.clone(),
                    wanted_minutes: 0,
                    filled_minutes: 0,
                    share: 1.0,
                });
                outcome.organisations.len() - 1
            }
        };
        let o = &mut outcome.organisations[at];
        let minutes = h.minutes.max(0) as u64;
        o.wanted_minutes += minutes;
        o.filled_minutes += minutes;
        o.share = if o.wanted_minutes == 0 {
            1.0
        } else {
            o.filled_minutes as f64 / o.wanted_minutes as f64
        };
    }
    outcome.organisations.sort_by(|a, b| {
        a.share
            .total_cmp(&b.share)
            .then(a.organisation_id.cmp(&b.organisation_id))
    });
}

/// Replaces the week's `proposed` rows by the outcome's placements; held rows are
/// never touched. Gives (rows replaced, rows written).
pub async fn save_proposals(tx: &mut Tx, outcome: &MatchOutcome) -> Result<(u64, u64), StoreError> {
    let monday = outcome.week.monday();
    let replaced =
        query("DELETE FROM mission_placements WHERE week_start = $1 AND state = 'proposed'")
            .bind(monday)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    let now = Utc::now();
    let mut saved = 0;
    for p in &outcome.placements {
        let reason = serde_json::to_string(&p.reason).unwrap_or_else(|_| "{}".to_owned());
        saved += query(
            "INSERT INTO mission_placements (need_id, volunteer_id, week_start, minutes, \
             state, reason, need_version, proposed_at) \
             VALUES ($1, $2, $3, $4, 'proposed', $5, $6, $7) \
             ON CONFLICT (need_id, volunteer_id, week_start) DO NOTHING",
        )
        .bind(p.need_id)
        .bind(p.volunteer_id)
        .bind(monday)
        .bind(p.minutes.clamp(1, 10080) as i32)
        .bind(reason)
        .bind(p.need_version as i32)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    Ok((replaced, saved))
}
