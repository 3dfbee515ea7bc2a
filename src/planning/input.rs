//! What the planner reads: plain values the store fills from SQL rows
//! (ids as `i64`, no references between structs, any order).
//!
//! The planner never trusts the order of the vectors: everything is
//! canonicalised (sorted by id) first, so the same rows in any order give
//! the same plan, byte for byte.

use serde::{Deserialize, Serialize};

use crate::domain::{IsoWeek, LanguageCode};

/// Everything needed to plan one campaign week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    /// The week being planned.
    pub week: IsoWeek,
    /// Eligible beneficiaries only: active, in the campaign population, not
    /// paused this week (the store filters).
    pub beneficiaries: Vec<BeneficiaryInput>,
    /// Active callers, with their capacity *for this week* (see
    /// [`crate::planning::effective_capacity`]). A caller with capacity 0
    /// is treated exactly like a caller absent from the list.
    pub callers: Vec<CallerInput>,
    /// Every assignment of this campaign and week already in the database,
    /// including those of beneficiaries who are no longer eligible.
    pub existing: Vec<ExistingAssignment>,
}

/// One eligible beneficiary and the facts that rank their need.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BeneficiaryInput {
    pub id: i64,
    pub territory_id: Option<i64>,
    /// Preferred language. Anything but French is a hard constraint: only a
    /// caller who speaks it may be assigned.
    pub language: LanguageCode,
    /// Escalations of this beneficiary still open (need to follow up).
    pub open_escalations: u32,
    /// A call-back was promised for a day of this week.
    pub callback_due_this_week: bool,
    /// Last week's calls all failed (no answer, voicemail, busy…).
    pub not_reached_last_week: bool,
    /// Whole weeks since the last conversation; `None` = never reached.
    pub weeks_since_last_conversation: Option<u32>,
    /// The caller of the beneficiary's most recent assignment before this
    /// week, and that week.
    pub last_caller: Option<LastCaller>,
}

impl BeneficiaryInput {
    /// A French-speaking beneficiary without territory, history or need
    /// (convenient for tests and for the store's row mapping).
    pub fn new(id: i64) -> BeneficiaryInput {
        BeneficiaryInput {
            id,
            territory_id: None,
            language: LanguageCode::french(),
            open_escalations: 0,
            callback_due_this_week: false,
            not_reached_last_week: false,
            weeks_since_last_conversation: None,
            last_caller: None,
        }
    }
}

/// Who called a beneficiary last, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LastCaller {
    pub caller_id: i64,
    pub week: IsoWeek,
}

/// One active caller.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CallerInput {
    pub id: i64,
    /// Beneficiaries this caller can take this week (already prorated for
    /// absences and weekdays).
    pub capacity: u32,
    /// Languages spoken. An empty list means French only (the column's
    /// default); a caller whose list lacks French takes no French speaker.
    pub languages: Vec<LanguageCode>,
    pub territory_preference: Option<i64>,
}

impl CallerInput {
    /// A French-speaking caller without territory preference.
    pub fn new(id: i64, capacity: u32) -> CallerInput {
        CallerInput {
            id,
            capacity,
            languages: vec![LanguageCode::french()],
            territory_preference: None,
        }
    }
}

/// An assignment row of the planned week already in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ExistingAssignment {
    pub beneficiary_id: i64,
    pub caller_id: i64,
    /// At least one call was logged on it: the planner never touches it.
    pub has_calls: bool,
}

/// An assignment of the week as it stands when a coordinator asks for a
/// [`crate::planning::rebalance`]: the same row shape.
pub type CurrentAssignment = ExistingAssignment;

/// Rank of a beneficiary's need; smaller is needier (sorts first).
///
/// Order: more open escalations, then a call-back due this week, then not
/// reached last week, then longer since the last conversation (never
/// reached counts as longest), then smaller beneficiary id (a
/// deterministic, documented tie-break).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PriorityKey(u128);

impl PriorityKey {
    /// The key as one integer (for radix sorts and benchmarks).
    pub fn as_u128(self) -> u128 {
        self.0
    }
}

/// The need ranking of `b` (see [`PriorityKey`]).
pub fn priority_key(b: &BeneficiaryInput) -> PriorityKey {
    let esc = u128::from(0xFFFF - b.open_escalations.min(0xFFFF));
    let callback = u128::from(!b.callback_due_this_week);
    let reached = u128::from(!b.not_reached_last_week);
    let weeks = match b.weeks_since_last_conversation {
        None => 0u128,
        Some(w) => u128::from(u32::MAX - w.min(u32::MAX - 1)),
    };
    let id = u128::from((b.id as u64) ^ (1 << 63));
    PriorityKey((esc << 98) | (callback << 97) | (reached << 96) | (weeks << 64) | id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_order() {
        let base = BeneficiaryInput::new(10);
        let mut esc = base.clone();
        esc.open_escalations = 1;
        esc.id = 99;
        let mut cb = base.clone();
        cb.callback_due_this_week = true;
        cb.id = 98;
        let mut nr = base.clone();
        nr.not_reached_last_week = true;
        nr.id = 97;
        let mut never = base.clone();
        never.weeks_since_last_conversation = None;
        never.id = 96;
        let mut long = base.clone();
        long.weeks_since_last_conversation = Some(9);
        long.id = 1;
        let mut short = base.clone();
        short.weeks_since_last_conversation = Some(1);
        short.id = -5;
        let mut more_esc = esc.clone();
        more_esc.open_escalations = 3;
        more_esc.id = 1000;
        let mut v = [
            short.clone(),
            long.clone(),
            never.clone(),
            nr.clone(),
            cb.clone(),
            esc.clone(),
            more_esc.clone(),
        ];
        v.sort_by_key(priority_key);
        let ids: Vec<i64> = v.iter().map(|b| b.id).collect();
        assert_eq!(ids, vec![1000, 99, 98, 97, 96, 1, -5]);
        // id tie-break, negative ids included
        let a = BeneficiaryInput::new(-3);
        let b = BeneficiaryInput::new(2);
        assert!(priority_key(&a) < priority_key(&b));
    }
}
