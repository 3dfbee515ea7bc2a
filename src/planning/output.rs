//! What the planner returns.

use serde::Serialize;

use crate::domain::IsoWeek;
use crate::planning::reasons::{Reason, RemovalCause, UnassignedReason};
use crate::planning::summary::Summary;

/// The target state of a campaign week, and how to get there from the
/// rows already in the database.
///
/// Every vector is sorted by beneficiary id (then caller id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub week: IsoWeek,
    /// Every assignment the week has once the plan is applied (at most one
    /// per beneficiary): new ones, kept ones (including called assignments
    /// of beneficiaries who left the population) and moved ones.
    pub assignments: Vec<PlannedAssignment>,
    /// Eligible beneficiaries left without a caller, with the reason.
    pub unassigned: Vec<Unassigned>,
    /// Existing rows (never with calls) that disappear: dropped, or moved
    /// to another caller (those also appear in `assignments` as
    /// [`AssignmentStatus::Moved`]).
    pub removed: Vec<RemovedAssignment>,
    pub summary: Summary,
    /// Inconsistencies found in the input (the plan is still made).
    pub issues: Vec<InputIssue>,
}

/// One beneficiary's caller for the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedAssignment {
    pub beneficiary_id: i64,
    pub caller_id: i64,
    pub status: AssignmentStatus,
    pub reason: Reason,
}

/// How an assignment relates to the rows already in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AssignmentStatus {
    /// No row for this beneficiary and week: insert one.
    New,
    /// The row exists with this very caller: leave it alone.
    Kept,
    /// The row exists (without calls) with caller `from`: change its
    /// caller (and reason). Also listed in [`Plan::removed`].
    Moved { from: i64 },
}

/// An eligible beneficiary without a caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unassigned {
    pub beneficiary_id: i64,
    pub reason: UnassignedReason,
}

/// An existing row that disappears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RemovedAssignment {
    pub beneficiary_id: i64,
    pub caller_id: i64,
    pub cause: RemovalCause,
}

/// Inconsistency in the input; the planner copes deterministically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum InputIssue {
    /// Several beneficiaries with this id: the smallest row (by all its
    /// fields) is used, the others ignored.
    DuplicateBeneficiary { beneficiary_id: i64 },
    /// Several callers with this id: the smallest row is used.
    DuplicateCaller { caller_id: i64 },
    /// Several existing rows for this beneficiary: one is used (with calls
    /// first, then the smallest caller id); the extra rows without calls
    /// are removed, extra rows with calls are left alone (not in the plan)
    /// but still count in their caller's load.
    DuplicateAssignment { beneficiary_id: i64, caller_id: i64 },
}
