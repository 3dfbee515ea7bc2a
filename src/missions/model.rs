//! What the matcher reads ([`MatchInput`]) and what it returns ([`MatchOutcome`]).
//!
//! The caller (the store) loads the week's needs and volunteers and filters
//! them first: only active needs whose dates (`starts_on`/`ends_on`) meet the
//! week, only active organisations and active volunteers. The matcher checks
//! every other rule itself.
//!
//! Minutes everywhere (integers, as stored); hours only in the JSON view.

use chrono::{Datelike, Weekday};
use serde::{Deserialize, Serialize};

use crate::domain::IsoWeek;
use crate::missions::distance::DistanceTier;
use crate::missions::qualifications::Qualification;
use crate::missions::slots::Slot;

/// Minutes a day of allowance counts for, unless the settings say otherwise (7 h).
pub const DEFAULT_MINUTES_PER_DAY: u32 = 420;

/// Everything the matcher reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchInput {
    pub week: IsoWeek,
    /// Active needs of active organisations whose dates meet the week.
    pub needs: Vec<NeedInput>,
    /// Active volunteers.
    pub volunteers: Vec<VolunteerInput>,
    /// Who was placed where last week (confirmed or later): continuity.
    pub last_week: Vec<ContinuityPair>,
    /// What a day of allowance is worth, in minutes (setting, default 420).
    pub minutes_per_day: u32,
}

/// A volunteer placed on a need last week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContinuityPair {
    pub need_id: i64,
    pub volunteer_id: i64,
}

/// One staffing need of an establishment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedInput {
    pub id: i64,
    /// `Réf.` of the département's table.
    pub reference: String,
    pub organisation_id: i64,
    /// The organisation's name.
    pub organisation: String,
    /// At least 1.
    pub volunteers_wanted: u32,
    /// What one placement gives, in minutes a week (at least 1).
    pub weekly_minutes: u32,
    /// When a volunteer must be there (all of them).
    pub slots: Vec<Slot>,
    /// Required: a volunteer must hold every one.
    pub qualifications: Vec<Qualification>,
    pub postcode: Option<String>,
    pub commune: Option<String>,
    /// `mission_needs.version`, carried into each placement.
    pub version: i64,
}

/// One volunteer of the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolunteerInput {
    pub id: i64,
    pub email: String,
    pub qualifications: Vec<Qualification>,
    /// When they are free (empty: never).
    pub availability: Vec<Slot>,
    pub postcode: Option<String>,
    pub commune: Option<String>,
    /// Agents only: the monthly allowance on working time. `None` for association
    /// professionals and students (no monthly limit).
    pub allowance: Option<Allowance>,
}

/// An agent's monthly allowance of solidarity time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowance {
    /// `days_per_month_centi × minutes_per_day / 100` (see [`Allowance::from_centi_days`]).
    pub minutes_per_month: u32,
    /// Their manager's approval: without it, an agent is never placed.
    pub approved: bool,
    /// Minutes already placed or recorded in the week's month ([`MatchInput::month`]),
    /// other than this week's proposals.
    pub used_minutes_this_month: u32,
}

impl Allowance {
    /// The allowance of `days_per_month_centi` hundredths of a day (50..=200).
    pub fn from_centi_days(
        days_per_month_centi: u32,
        minutes_per_day: u32,
        approved: bool,
        used_minutes_this_month: u32,
    ) -> Allowance {
        Allowance {
            minutes_per_month: days_per_month_centi * minutes_per_day / 100,
            approved,
            used_minutes_this_month,
        }
    }

    /// Minutes left this month.
    pub fn remaining(&self) -> u32 {
        self.minutes_per_month
            .saturating_sub(self.used_minutes_this_month)
    }
}

impl MatchInput {
    /// An input with the default minutes per day.
    pub fn new(week: IsoWeek, needs: Vec<NeedInput>, volunteers: Vec<VolunteerInput>) -> Self {
        MatchInput {
            week,
            needs,
            volunteers,
            last_week: Vec::new(),
            minutes_per_day: DEFAULT_MINUTES_PER_DAY,
        }
    }

    /// The calendar month a week's placements count in: the month of its
    /// Thursday (the month that holds at least four of its days, as ISO weeks
    /// belong to the year of their Thursday). `(year, month 1..=12)`.
    pub fn month(week: IsoWeek) -> (i32, u32) {
        let thursday = week.day(Weekday::Thu);
        (thursday.year(), thursday.month())
    }
}

/// The matcher's proposal for a week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchOutcome {
    pub week: IsoWeek,
    /// Sorted by need id, then volunteer id.
    pub placements: Vec<Placement>,
    /// Needs with fewer volunteers than wanted, sorted by need id.
    pub unfilled: Vec<Unfilled>,
    /// Every organisation with a need, sorted by share then id.
    pub organisations: Vec<OrganisationShare>,
    pub proof: Proof,
}

/// One volunteer proposed for one need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub need_id: i64,
    pub need_reference: String,
    pub need_version: i64,
    pub organisation_id: i64,
    pub organisation: String,
    pub volunteer_id: i64,
    pub volunteer_email: String,
    pub minutes: u32,
    pub reason: PlacementReason,
}

/// Why this volunteer on this need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PlacementReason {
    /// Placed on the same need last week.
    SameAsLastWeek { distance: DistanceTier },
    /// The only volunteer who met every rule for this need.
    OnlyCandidate { distance: DistanceTier },
    /// One of the `candidates` volunteers the fixed rules allow (qualified, free
    /// at those times, allowance), chosen by equal treatment, then continuity,
    /// then distance.
    QualifiedAndFree {
        distance: DistanceTier,
        candidates: u32,
    },
}

impl PlacementReason {
    /// Every code.
    pub const CODES: [&'static str; 3] =
        ["same_as_last_week", "only_candidate", "qualified_and_free"];

    /// Stable snake_case code (the `code` of the JSON).
    pub fn reason_code(&self) -> &'static str {
        match self {
            PlacementReason::SameAsLastWeek { .. } => "same_as_last_week",
            PlacementReason::OnlyCandidate { .. } => "only_candidate",
            PlacementReason::QualifiedAndFree { .. } => "qualified_and_free",
        }
    }

    /// The distance from the volunteer's home to the need.
    pub fn distance(&self) -> DistanceTier {
        match self {
            PlacementReason::SameAsLastWeek { distance }
            | PlacementReason::OnlyCandidate { distance }
            | PlacementReason::QualifiedAndFree { distance, .. } => *distance,
        }
    }
}

/// A need with fewer volunteers than wanted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfilled {
    pub need_id: i64,
    pub reference: String,
    pub organisation_id: i64,
    pub organisation: String,
    /// Volunteers wanted and not found.
    pub missing: u32,
    pub reason: UnfilledReason,
    /// How many volunteers of the pool each rule excluded from this need.
    pub exclusions: Exclusions,
}

/// Why a need is not (fully) filled: the first rule that leaves no one, in the
/// order of [`Exclusions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum UnfilledReason {
    /// No volunteer holds every required qualification; `missing` lists the
    /// required ones no volunteer holds at all (empty: each is held by someone,
    /// never all by one person).
    NoQualifiedVolunteer { missing: Vec<Qualification> },
    /// Qualified volunteers exist, none is free during all the need's slots.
    NoVolunteerFree { qualified: u32 },
    /// Qualified and free volunteers are all agents without their manager's approval.
    NotApproved { free: u32 },
    /// Qualified, free and approved volunteers have no allowance left for it this month.
    AllowancesUsed { approved: u32 },
    /// Fewer volunteers meet the fixed rules than the need wants, and all of
    /// them are placed on it.
    TooFewCandidates { eligible: u32 },
    /// Every other volunteer who could come is placed elsewhere at those times
    /// (on the organisation's other needs, or more than one move away).
    PlacedElsewhere { eligible: u32 },
    /// Volunteers could come, but they are placed with other organisations at
    /// those times and moving them would not make the shares more even: equal
    /// treatment keeps them there. `share_permille` is this organisation's share.
    FairShare { eligible: u32, share_permille: u32 },
}

impl UnfilledReason {
    /// Every code.
    pub const CODES: [&'static str; 7] = [
        "no_qualified_volunteer",
        "no_volunteer_free",
        "not_approved",
        "allowances_used",
        "too_few_candidates",
        "placed_elsewhere",
        "fair_share",
    ];

    /// Stable snake_case code (the `code` of the JSON).
    pub fn reason_code(&self) -> &'static str {
        match self {
            UnfilledReason::NoQualifiedVolunteer { .. } => "no_qualified_volunteer",
            UnfilledReason::NoVolunteerFree { .. } => "no_volunteer_free",
            UnfilledReason::NotApproved { .. } => "not_approved",
            UnfilledReason::AllowancesUsed { .. } => "allowances_used",
            UnfilledReason::TooFewCandidates { .. } => "too_few_candidates",
            UnfilledReason::PlacedElsewhere { .. } => "placed_elsewhere",
            UnfilledReason::FairShare { .. } => "fair_share",
        }
    }
}

/// For one need, how the pool splits by the first rule that excludes each
/// volunteer (each volunteer counted once, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Exclusions {
    /// Volunteers in the pool.
    pub pool: u32,
    /// Lacking a required qualification.
    pub without_qualification: u32,
    /// Not free during all the need's slots.
    pub not_available: u32,
    /// Agents without their manager's approval.
    pub not_approved: u32,
    /// Agents whose month's allowance cannot take the need's weekly minutes.
    pub allowance_exceeded: u32,
    /// Placed on this need already.
    pub placed_here: u32,
    /// Placed elsewhere at overlapping times, or with the allowance taken by
    /// their other placements this week.
    pub placed_elsewhere: u32,
    /// Free for this need as the plan stands (yet not placed: equal treatment).
    pub still_free: u32,
}

/// An organisation's wanted and filled volunteer-minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganisationShare {
    pub organisation_id: i64,
    pub organisation: String,
    /// Σ volunteers_wanted × weekly_minutes over its needs.
    pub wanted_minutes: u64,
    /// Σ minutes of its placements.
    pub filled_minutes: u64,
    /// filled / wanted, 0..=1.
    pub share: f64,
}

/// Why no further volunteer could go to the least-served organisation(s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proof {
    /// The smallest share (1 when every need is filled or there is none).
    pub min_share: f64,
    /// The organisations at the smallest share, sorted by id.
    pub least_served: Vec<OrganisationProof>,
}

/// One least-served organisation and, for each of its unfilled needs, what
/// excluded each volunteer of the pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganisationProof {
    pub organisation_id: i64,
    pub organisation: String,
    pub share: f64,
    pub needs: Vec<NeedProof>,
}

/// One unfilled need of a least-served organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedProof {
    pub need_id: i64,
    pub reference: String,
    pub missing: u32,
    pub exclusions: Exclusions,
    /// Volunteers placed elsewhere who could otherwise come here, by where they
    /// are: moving any of them would bring that organisation's share to or below
    /// this one's (or, through a chain of moves, someone else's).
    pub blocked_by: Vec<BlockingOrganisation>,
}

/// Volunteers held by another organisation that could serve a need of a least-served one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockingOrganisation {
    pub organisation_id: i64,
    pub organisation: String,
    pub volunteers: u32,
    /// That organisation's share, in thousandths, before the move.
    pub share_permille: u32,
    /// Its share, in thousandths, if one of them moved.
    pub share_after_move_permille: u32,
}

/// Rounds `minutes / 60` to two decimals.
pub fn hours(minutes: u64) -> f64 {
    (minutes as f64 / 60.0 * 100.0).round() / 100.0
}

/// A share in thousandths, rounded down (never shows 100 % for 99.95 %).
pub fn permille(filled: u64, wanted: u64) -> u32 {
    (filled.min(wanted) * 1000)
        .checked_div(wanted)
        .map_or(1000, |share| share as u32)
}

/// The JSON of `lien missions match --json` and of the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchJson {
    pub week: IsoWeek,
    pub placements: Vec<PlacementJson>,
    pub unfilled: Vec<UnfilledJson>,
    pub organisations: Vec<OrganisationJson>,
    pub proof: Proof,
}

/// One placement in the JSON: `need` is the reference, `volunteer` the email.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlacementJson {
    pub need: String,
    pub need_id: i64,
    pub organisation: String,
    pub organisation_id: i64,
    pub volunteer: String,
    pub volunteer_id: i64,
    pub hours: f64,
    pub minutes: u32,
    /// The reason's code.
    pub reason: &'static str,
    /// The reason with its parameters (`{"code": …, …}`).
    pub reason_details: PlacementReason,
}

/// One unfilled need in the JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnfilledJson {
    pub need: String,
    pub need_id: i64,
    pub organisation: String,
    pub missing: u32,
    pub reason: &'static str,
    pub reason_details: UnfilledReason,
    pub exclusions: Exclusions,
}

/// One organisation in the JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganisationJson {
    pub organisation: String,
    pub organisation_id: i64,
    pub wanted_hours: f64,
    pub filled_hours: f64,
    /// filled / wanted, rounded to four decimals.
    pub share: f64,
}

impl MatchOutcome {
    /// The view `--json` prints.
    pub fn json_view(&self) -> MatchJson {
        let placements = self
            .placements
            .iter()
            .map(|p| PlacementJson {
                need: p.need_reference.clone(),
                need_id: p.need_id,
                organisation: p.organisation.clone(),
                organisation_id: p.organisation_id,
                volunteer: p.volunteer_email.clone(),
                volunteer_id: p.volunteer_id,
                hours: hours(u64::from(p.minutes)),
                minutes: p.minutes,
                reason: p.reason.reason_code(),
                reason_details: p.reason.clone(),
            })
            .collect();
        let unfilled = self
            .unfilled
            .iter()
            .map(|u| UnfilledJson {
                need: u.reference.clone(),
                need_id: u.need_id,
                organisation: u.organisation.clone(),
                missing: u.missing,
                reason: u.reason.reason_code(),
                reason_details: u.reason.clone(),
                exclusions: u.exclusions,
            })
            .collect();
        let organisations = self
            .organisations
            .iter()
            .map(|o| OrganisationJson {
                organisation: o.organisation.clone(),
                organisation_id: o.organisation_id,
                wanted_hours: hours(o.wanted_minutes),
                filled_hours: hours(o.filled_minutes),
                share: (o.share * 10_000.0).round() / 10_000.0,
            })
            .collect();
        MatchJson {
            week: self.week,
            placements,
            unfilled,
            organisations,
            proof: self.proof.clone(),
        }
    }

    /// [`MatchOutcome::json_view`] as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.json_view()).unwrap_or(serde_json::Value::Null)
    }
}
