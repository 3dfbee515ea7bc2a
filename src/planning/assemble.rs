//! Turns engine outcomes into a [`Plan`]: statuses against the existing
//! rows, one reason per assignment, removals, summary.

use crate::planning::algorithm::{UNSERVED_CAPACITY, UNSERVED_LANGUAGE};
use crate::planning::input::ExistingAssignment;
use crate::planning::output::{
    AssignmentStatus, InputIssue, Plan, PlannedAssignment, RemovedAssignment, Unassigned,
};
use crate::planning::prepare::{CallerState, Existing, Prepared, NONE};
use crate::planning::reasons::{Reason, RemovalCause, UnassignedReason};
use crate::planning::summary::{summarize, Outcomes};

/// What happens to one eligible beneficiary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Their existing row stays exactly as it is (has calls, or untouched
    /// by a rebalance).
    Untouched(ExistingAssignment),
    /// Placed by the engine on a caller position.
    Placed(u32),
    /// Not served (`UNSERVED_*` marker), or `NONE` = not planned
    /// (rebalance).
    Unserved(u32),
}

/// The one reason of a non-locked assignment (precedence documented on
/// [`Reason`]).
pub(crate) fn reason_for(
    p: &Prepared<'_>,
    b: usize,
    caller_id: i64,
    caller_pos: u32,
    status: AssignmentStatus,
    load: &[u32],
) -> Reason {
    let ben = p.bens[b];
    let lang = p.ben_lang[b];
    // The previous caller, and its position (`NONE` if not in the list).
    let prior = match status {
        AssignmentStatus::Moved { from } => Some((from, p.caller_position(from).unwrap_or(NONE))),
        _ => ben.last_caller.map(|l| (l.caller_id, p.ben_last[b])),
    };
    if let Some((_, prev_pos)) = prior.filter(|&(prev, _)| prev != caller_id) {
        return match p.caller_state_at(prev_pos, lang) {
            CallerState::Absent => Reason::ReassignedCallerAbsent,
            CallerState::Language => Reason::ReassignedLanguage {
                language: ben.language.clone(),
            },
            // Kept with another caller than last week's although that one
            // still has room: stability of this week's plan.
            CallerState::Available
                if status == AssignmentStatus::Kept
                    && load[prev_pos as usize] < p.cap(prev_pos as usize) =>
            {
                Reason::KeptPlanned
            }
            CallerState::Available => Reason::ReassignedCallerFull,
        };
    }
    if ben.open_escalations > 0 {
        return Reason::OpenNeed;
    }
    if ben.callback_due_this_week {
        return Reason::CallbackDue;
    }
    if ben.not_reached_last_week {
        return Reason::NotReachedLastWeek;
    }
    match ben.last_caller {
        None if ben.weeks_since_last_conversation.is_none() => return Reason::FirstCall,
        Some(last) if last.caller_id == caller_id => {
            return Reason::SameCaller { week: last.week };
        }
        _ => {}
    }
    if !ben.language.is_french() {
        return Reason::Language {
            language: ben.language.clone(),
        };
    }
    if let Some(t) = ben.territory_id {
        if caller_pos != NONE && p.callers[caller_pos as usize].territory_preference == Some(t) {
            return Reason::SameTerritory;
        }
    }
    Reason::WeeklyCall
}

/// Why the existing row `row` of eligible beneficiary `b` goes away.
fn removal_cause(
    p: &Prepared<'_>,
    b: usize,
    row: &ExistingAssignment,
    served: bool,
) -> RemovalCause {
    match p.caller_state(row.caller_id, p.ben_lang[b]) {
        CallerState::Absent => RemovalCause::CallerUnavailable,
        CallerState::Language => RemovalCause::LanguageMismatch,
        CallerState::Available if served => RemovalCause::CallerFull,
        CallerState::Available => RemovalCause::NoCapacity,
    }
}

/// Rows outside the eligible population: what becomes of each.
pub(crate) enum Outside {
    Keep(ExistingAssignment, Reason),
    Remove(RemovedAssignment),
}

pub(crate) fn build(
    p: &Prepared<'_>,
    ex: &Existing,
    mode: &'static str,
    fates: &[Fate],
    outside: Vec<Outside>,
    remove_uncalled_extras: bool,
) -> Plan {
    let nc = p.callers.len();
    let mut load = vec![0u32; nc];
    let mut final_caller: Vec<Option<(i64, u32)>> = vec![None; p.bens.len()];
    let mut assignments: Vec<PlannedAssignment> = Vec::with_capacity(p.bens.len());
    let mut unassigned = Vec::new();
    let mut removed = Vec::new();
    // (index in `assignments`, beneficiary, caller position) to give a
    // reason once every load is known.
    let mut pending: Vec<(u32, u32, u32)> = Vec::new();

    for (b, fate) in fates.iter().enumerate() {
        let ben = p.bens[b];
        match *fate {
            Fate::Untouched(row) => {
                let pos = p.caller_position(row.caller_id).unwrap_or(NONE);
                // Reasons of uncalled rows are set below, once loads are known.
                let reason = Reason::KeptAlreadyCalled;
                if !row.has_calls {
                    pending.push((assignments.len() as u32, b as u32, pos));
                }
                if pos != NONE {
                    load[pos as usize] += 1;
                }
                assignments.push(PlannedAssignment {
                    beneficiary_id: ben.id,
                    caller_id: row.caller_id,
                    status: AssignmentStatus::Kept,
                    reason,
                });
                final_caller[b] = Some((row.caller_id, pos));
            }
            Fate::Placed(c) => {
                let caller_id = p.callers[c as usize].id;
                let status = match ex.primary[b] {
                    Some(row) if row.caller_id == caller_id => AssignmentStatus::Kept,
                    Some(row) => {
                        removed.push(RemovedAssignment {
                            beneficiary_id: ben.id,
                            caller_id: row.caller_id,
                            cause: removal_cause(p, b, &row, true),
                        });
                        AssignmentStatus::Moved {
                            from: row.caller_id,
                        }
                    }
                    None => AssignmentStatus::New,
                };
                pending.push((assignments.len() as u32, b as u32, c));
                let reason = Reason::WeeklyCall;
                load[c as usize] += 1;
                assignments.push(PlannedAssignment {
                    beneficiary_id: ben.id,
                    caller_id,
                    status,
                    reason,
                });
                final_caller[b] = Some((caller_id, c));
            }
            Fate::Unserved(marker) => {
                let reason = match marker {
                    UNSERVED_LANGUAGE => UnassignedReason::NoCallerForLanguage {
                        language: ben.language.clone(),
                    },
                    UNSERVED_CAPACITY => UnassignedReason::NoCapacity,
                    _ => UnassignedReason::NotPlanned,
                };
                if let Some(row) = ex.primary[b] {
                    removed.push(RemovedAssignment {
                        beneficiary_id: ben.id,
                        caller_id: row.caller_id,
                        cause: removal_cause(p, b, &row, false),
                    });
                }
                unassigned.push(Unassigned {
                    beneficiary_id: ben.id,
                    reason,
                });
            }
        }
    }

    let mut kept_outside_population = 0;
    let mut extra_assignments = false;
    for o in outside {
        match o {
            Outside::Keep(row, reason) => {
                kept_outside_population += 1;
                if let Some(c) = p.caller_position(row.caller_id) {
                    load[c as usize] += 1;
                }
                extra_assignments = true;
                assignments.push(PlannedAssignment {
                    beneficiary_id: row.beneficiary_id,
                    caller_id: row.caller_id,
                    status: AssignmentStatus::Kept,
                    reason,
                });
            }
            Outside::Remove(r) => removed.push(r),
        }
    }
    let mut issues = p.issues.clone();
    for row in &ex.extras {
        issues.push(InputIssue::DuplicateAssignment {
            beneficiary_id: row.beneficiary_id,
            caller_id: row.caller_id,
        });
        if row.has_calls || !remove_uncalled_extras {
            // Left alone: still a load on its caller.
            if let Some(c) = p.caller_position(row.caller_id) {
                load[c as usize] += 1;
            }
        } else {
            removed.push(RemovedAssignment {
                beneficiary_id: row.beneficiary_id,
                caller_id: row.caller_id,
                cause: RemovalCause::Duplicate,
            });
        }
    }
    issues.sort_unstable();
    for (i, b, pos) in pending {
        let a = &assignments[i as usize];
        let reason = reason_for(p, b as usize, a.caller_id, pos, a.status, &load);
        assignments[i as usize].reason = reason;
    }
    if extra_assignments {
        // Stable sort: nearly sorted input, linear time.
        assignments.sort_by_key(|a| a.beneficiary_id);
    }
    removed.sort_by_key(|r| (r.beneficiary_id, r.caller_id));

    let summary = summarize(
        p,
        mode,
        &Outcomes {
            final_caller: &final_caller,
            load: &load,
            assignments: &assignments,
            unassigned: &unassigned,
            removed: &removed,
            kept_outside_population,
        },
    );
    Plan {
        week: p.week,
        assignments,
        unassigned,
        removed,
        summary,
        issues,
    }
}
