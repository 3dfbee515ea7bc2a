//! Mid-week rebalance: "a caller dropped out".

use crate::planning::algorithm::{assign, EngineStats, NOT_PLANNED};
use crate::planning::assemble::{build, Fate, Outside};
use crate::planning::input::{CurrentAssignment, PlanInput};
use crate::planning::output::{Plan, RemovedAssignment};
use crate::planning::prepare::{Existing, Prepared, NONE};
use crate::planning::reasons::{Reason, RemovalCause};

/// Moves the not-yet-called assignments of callers who became unavailable
/// (absent from `input.callers`, or capacity 0) to callers with room, by
/// the same objectives as [`crate::planning::plan`] (need first, then last
/// week's caller, territory, balance), and touches nothing else.
///
/// - `current` is the week's assignments as they stand (`input.existing`
///   is ignored).
/// - Assignments with calls, and every assignment of an available caller,
///   stay as they are ([`crate::planning::AssignmentStatus::Kept`]) and
///   keep using their caller's capacity, even beyond it.
/// - A displaced beneficiary goes to the caller with room chosen by the
///   objectives (status `Moved`, reason "réaffecté : appelant absent
///   cette semaine": the change of caller is always shown); when no room
///   is left they become unassigned (`no_capacity`, or
///   `no_caller_for_language`), the neediest being placed first.
/// - A displaced row of a beneficiary no longer eligible is removed
///   (`not_eligible`).
/// - Eligible beneficiaries who had no assignment stay without one
///   (`not_planned`): a rebalance plans nobody new.
pub fn rebalance(input: &PlanInput, current: &[CurrentAssignment]) -> Plan {
    rebalance_with_stats(input, current, &mut EngineStats::default())
}

pub(crate) fn rebalance_with_stats(
    input: &PlanInput,
    current: &[CurrentAssignment],
    stats: &mut EngineStats,
) -> Plan {
    let p = Prepared::new(input.week, &input.beneficiaries, &input.callers);
    let ex = Existing::new(current, &p);
    let unavailable = |caller_id: i64| {
        p.caller_position(caller_id)
            .is_none_or(|c| p.cap(c as usize) == 0)
    };
    let displaced = |row: &CurrentAssignment| !row.has_calls && unavailable(row.caller_id);

    let mut base = vec![0u32; p.callers.len()];
    // Everything that stays uses capacity (extra rows always stay).
    let staying = ex
        .primary
        .iter()
        .flatten()
        .chain(&ex.ineligible)
        .filter(|row| !displaced(row))
        .chain(&ex.extras);
    for row in staying {
        if let Some(c) = p.caller_position(row.caller_id) {
            base[c as usize] += 1;
        }
    }

    let mut cands = Vec::new();
    for (b, row) in ex.primary.iter().enumerate() {
        if row.as_ref().is_some_and(displaced) {
            cands.push(b as u32);
        }
    }
    let preferred = vec![NONE; cands.len()];
    let outcome = assign(&p, &base, &cands, &preferred, stats);

    let mut fates: Vec<Fate> = ex
        .primary
        .iter()
        .map(|row| match row {
            Some(row) => Fate::Untouched(*row),
            None => Fate::Unserved(NOT_PLANNED),
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
            if displaced(row) {
                Outside::Remove(RemovedAssignment {
                    beneficiary_id: row.beneficiary_id,
                    caller_id: row.caller_id,
                    cause: RemovalCause::NotEligible,
                })
            } else if row.has_calls {
                Outside::Keep(*row, Reason::KeptAlreadyCalled)
            } else {
                Outside::Keep(*row, Reason::KeptPlanned)
            }
        })
        .collect();
    build(&p, &ex, "rebalance", &fates, outside, false)
}
