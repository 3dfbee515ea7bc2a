//! Weekly planning: who calls whom this week.
//!
//! Pure and deterministic: no I/O, no clock, no dependence on the order of
//! the input rows nor on hash-map iteration order. The same [`PlanInput`]
//! (rows in any order) gives a byte-identical [`Plan`].
//!
//! # API
//!
//! - [`plan`]: the week's plan from the eligible beneficiaries, the
//!   available callers (with this week's capacity, see
//!   [`effective_capacity`]) and the week's existing assignments.
//! - [`rebalance`]: a caller dropped out mid-week: move only that
//!   caller's not-yet-called assignments.
//! - [`priority_key`]: the need ranking used when capacity is short.
//!
//! # Rules
//!
//! Hard: at most one caller per beneficiary; no caller above capacity
//! (except assignments that already have calls: they are never touched
//! and count in their caller's load, even beyond capacity); a beneficiary
//! whose language is not French only gets a caller who speaks it (French
//! speakers need a caller listing French — an empty list means French).
//!
//! Objectives, lexicographic:
//! 1. **coverage by need**: as many beneficiaries as capacity allows and,
//!    when capacity is short, the neediest ([`priority_key`]: open
//!    escalations, then call-back due this week, then not reached last
//!    week, then longest without conversation — never reached counts as
//!    longest — then smallest id);
//! 2. **stability**: an existing, not yet called assignment of this week
//!    stays with its caller when still valid (caller available, speaks the
//!    language, has room): re-planning creates nothing new;
//! 3. **continuity**: last week's caller, whenever that caller is
//!    available and has room;
//! 4. **territory**: a caller whose preferred territory is the
//!    beneficiary's;
//! 5. **balance**: even load ratios (assigned / capacity).
//!
//! # Algorithm and optimality
//!
//! 1. *Coverage* (`coverage.rs`): the coverable sets form a transversal
//!    matroid, so greedy in priority order with an augmenting-path
//!    independence test gives the Gale-optimal set: maximum size, and
//!    lexicographically neediest. The test runs on language classes ×
//!    caller types (callers with the same languages are interchangeable),
//!    a graph of a few dozen nodes.
//! 2. *Stability, continuity, territory* (`algorithm.rs` stage 2): an
//!    exact min-cost max-flow (`flow.rs`) on an aggregated network where
//!    beneficiaries with the same (language, territory, planned caller,
//!    last caller) form one node; lexicographic weights make one cost
//!    encode objectives 2 > 3 > 4. Members of a node are identical, so the
//!    integral flow splits back into an optimal assignment (when a caller
//!    can keep only part of a node, its neediest members keep it).
//! 3. *Territory and balance for the flexible ones* (stage 3): the
//!    beneficiaries not kept by their planned/last caller are
//!    redistributed by a small transportation problem over caller types
//!    (territory first — keeping stage 2's optimum — then load bands),
//!    then water-filling within each type (lowest load ratio after
//!    assignment, ties by caller id). Balance is a heuristic (bands of
//!    1/32 of capacity across types, exact greedy within a type); 1–4 are
//!    exact and checked against brute force in the tests.
//!
//! Cost: two sorts of the beneficiaries plus linear passes; the flow
//! networks have about one node per (caller, language, territory) in use.
//! See `examples/bench_plan.rs` for 1,000,000 × 20,000.
//!
//! # Reasons
//!
//! One [`Reason`] per assignment, the first that applies in this order:
//! already called this week; caller changed (previous caller absent /
//! full / does not speak the language; or "kept: already planned" when an
//! earlier plan of this week is kept although the last caller is back);
//! open need; call-back due; not reached last week; first call (never
//! reached, no last caller); same caller as in week W; language other than
//! French; same territory; weekly call. The previous caller is the one of
//! the moved row for a [`AssignmentStatus::Moved`], last week's otherwise.
//!
//! # Applying a plan (store side)
//!
//! Inputs: eligible beneficiaries (active, in the campaign population),
//! active callers with [`effective_capacity`] for the week, each
//! beneficiary's most recent earlier assignment (caller + week), the need
//! facts, and *every* assignment row of the campaign week with a
//! `has_calls` flag. Ids are plain `i64`; rows in any order (sorted by id
//! is fastest).
//!
//! In one transaction, after re-reading that the week's rows did not
//! change since the input was loaded (or under a lock):
//! - `removed`: delete these rows (never rows with calls);
//! - `assignments` with status `New`: insert; `Moved { from }`: insert
//!   (the old row was deleted above) or update the caller in place —
//!   either way store `reason.code()` / `reason.text()`;
//! - `Kept`: nothing.
//!
//! Re-running [`plan`] on the resulting state with the same data gives
//! only `Kept` and no `removed`: applying is idempotent.

mod algorithm;
mod assemble;
mod capacity;
mod coverage;
mod flow;
mod input;
mod output;
mod prepare;
mod reasons;
mod rebalance;
mod summary;

#[cfg(test)]
mod tests;

pub use capacity::effective_capacity;
pub use input::{
    priority_key, BeneficiaryInput, CallerInput, CurrentAssignment, ExistingAssignment, LastCaller,
    PlanInput, PriorityKey,
};
pub use output::{
    AssignmentStatus, InputIssue, Plan, PlannedAssignment, RemovedAssignment, Unassigned,
};
pub use reasons::{Reason, RemovalCause, UnassignedReason};
pub use rebalance::rebalance;
pub use summary::{Continuity, ExplainLine, LoadStats, Summary, TerritorySummary};

use algorithm::{assign, EngineStats};
use assemble::{build, Fate, Outside};
use prepare::{Existing, Prepared, NONE};
use reasons::RemovalCause as Cause;

/// Plans `input.week` (see the module documentation).
pub fn plan(input: &PlanInput) -> Plan {
    plan_with_stats(input, &mut EngineStats::default())
}

pub(crate) fn plan_with_stats(input: &PlanInput, stats: &mut EngineStats) -> Plan {
    let p = Prepared::new(input.week, &input.beneficiaries, &input.callers);
    let ex = Existing::new(&input.existing, &p);

    // Rows with calls are locked: they stay and use capacity.
    let mut base = vec![0u32; p.callers.len()];
    let locked = ex
        .primary
        .iter()
        .flatten()
        .chain(&ex.ineligible)
        .chain(&ex.extras)
        .filter(|row| row.has_calls);
    for row in locked {
        if let Some(c) = p.caller_position(row.caller_id) {
            base[c as usize] += 1;
        }
    }

    let mut cands = Vec::with_capacity(p.bens.len());
    let mut preferred = Vec::with_capacity(p.bens.len());
    for (b, row) in ex.primary.iter().enumerate() {
        match row {
            Some(row) if row.has_calls => {}
            Some(row) => {
                cands.push(b as u32);
                preferred.push(p.caller_position(row.caller_id).unwrap_or(NONE));
            }
            None => {
                cands.push(b as u32);
                preferred.push(NONE);
            }
        }
    }
    let outcome = assign(&p, &base, &cands, &preferred, stats);

    let mut fates: Vec<Fate> = ex
        .primary
        .iter()
        .map(|row| match row {
            Some(row) if row.has_calls => Fate::Untouched(*row),
            _ => Fate::Unserved(algorithm::UNSERVED_CAPACITY),
        })
        .collect();
    for (&b, &o) in cands.iter().zip(&outcome) {
        fates[b as usize] = if (o as usize) < p.callers.len() {
            Fate::Placed(o)
        } else {
            Fate::Unserved(o)
        };
    }
    let outside = ex
        .ineligible
        .iter()
        .map(|row| {
            if row.has_calls {
                Outside::Keep(*row, Reason::KeptAlreadyCalled)
            } else {
                Outside::Remove(RemovedAssignment {
                    beneficiary_id: row.beneficiary_id,
                    caller_id: row.caller_id,
                    cause: Cause::NotEligible,
                })
            }
        })
        .collect();
    build(&p, &ex, "plan", &fates, outside, true)
}
