//! [`match_week`]: the week's placements as a pure, deterministic function of
//! its input (see docs/MISSIONS.md, "How matching works").
//!
//! - [`prepare`]: the canonical indexed view (sorted by id; bit sets for time
//!   and qualifications; each need's candidates in preference order);
//! - [`state`]: a plan being built;
//! - [`fill`]: progressive filling with augmenting paths (the engine);
//! - [`exact`]: exact search on small independent components;
//! - [`explain`]: reasons, exclusions, shares and the proof.

pub(crate) mod exact;
pub(crate) mod explain;
pub(crate) mod fill;
pub(crate) mod prepare;
pub(crate) mod state;

use crate::missions::model::{MatchInput, MatchOutcome};

/// Proposes the week's placements.
///
/// Hard rules (never broken): a volunteer holds every qualification the need
/// requires, is free during all its slots, is never placed twice at
/// overlapping times, stays within the month's allowance (agents, and only
/// with their manager's approval), and a need gets at most the volunteers it
/// wants; each placement gives the need's weekly minutes. The caller passes
/// only active needs whose dates meet the week (see [`crate::missions::model`]).
///
/// Then, in order: equal treatment (the sorted vector of organisations'
/// shares of wanted volunteer-minutes made lexicographically largest),
/// continuity (last week's volunteer on the same need), distance.
///
/// The same input in any order gives the same outcome: everything is sorted
/// by id first and every tie is broken by id.
pub fn match_week(input: &MatchInput) -> MatchOutcome {
    let p = prepare::Prepared::new(input);
    let mut state = state::State::new(&p);
    fill::progressive_fill(&p, &mut state);
    if fill::improve_continuity(&p, &mut state) {
        fill::progressive_fill(&p, &mut state);
    }
    for component in exact::components(&p) {
        if component.pairs <= exact::EXACT_PAIRS && component.pairs > 0 {
            exact::solve(&p, &mut state, &component);
        }
    }
    fill::complete(&p, &mut state);
    explain::outcome(&p, &state, input.week)
}
