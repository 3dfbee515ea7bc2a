//! Property tests on random instances.

use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{rngs::StdRng, SeedableRng};

use super::brute::Problem;
use super::*;
use crate::planning::algorithm::EngineStats;
use crate::planning::{plan, plan_with_stats, rebalance, AssignmentStatus, LastCaller};

/// Raw caller: (capacity, language profile, territory preference).
type RawCaller = (u32, u8, u8);
/// Raw beneficiary: (language, territory, escalations, callback, not
/// reached, weeks since conversation, last caller, week of last caller).
type RawBen = (u8, u8, u32, bool, bool, u8, u8, u8);
/// Raw existing row: (beneficiary index, caller index, has calls).
type RawRow = (u8, u8, u8);

fn build(callers: &[RawCaller], bens: &[RawBen], rows: &[RawRow], shift: i64) -> PlanInput {
    let caller_id = |i: usize| 10 * (i as i64 + 1) + shift;
    let ben_id = |i: usize| 7 * i as i64 - 20 + shift;
    let callers_v: Vec<CallerInput> = callers
        .iter()
        .enumerate()
        .map(|(i, &(cap, profile, pref))| {
            let langs: &[&str] = match profile {
                0 | 1 => &["fr"],
                2 => &["fr", "ar"],
                3 => &["ar"],
                4 => &[],
                _ => &["pt", "fr"],
            };
            let mut c = caller_langs(caller_id(i), cap, langs);
            c.territory_preference = match pref {
                0 => None,
                t => Some(i64::from(t)),
            };
            c
        })
        .collect();
    let bens_v: Vec<BeneficiaryInput> = bens
        .iter()
        .enumerate()
        .map(|(i, &(l, t, esc, cb, nr, weeks, last, lw))| {
            let mut b = BeneficiaryInput::new(ben_id(i));
            b.language = match l {
                0..=5 => lang("fr"),
                6 | 7 => lang("ar"),
                _ => lang("pt"),
            };
            b.territory_id = match t {
                0 => None,
                t => Some(i64::from(t)),
            };
            b.open_escalations = esc;
            b.callback_due_this_week = cb;
            b.not_reached_last_week = nr;
            b.weeks_since_last_conversation = match weeks {
                0 => None,
                w => Some(u32::from(w) - 1),
            };
            let last_id = if (last as usize) < callers.len() {
                Some(caller_id(last as usize))
            } else if last == 5 {
                Some(999)
            } else {
                None
            };
            b.last_caller = last_id.map(|caller_id| LastCaller {
                caller_id,
                week: if lw == 0 { week("2026-W45") } else { w47() },
            });
            b
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let existing: Vec<ExistingAssignment> = rows
        .iter()
        .filter_map(|&(bi, ci, calls)| {
            let b = if (bi as usize) < bens.len() {
                ben_id(bi as usize)
            } else {
                500 + i64::from(bi)
            };
            if !seen.insert(b) {
                return None; // the database has one row per beneficiary
            }
            let c = if (ci as usize) < callers.len() {
                caller_id(ci as usize)
            } else {
                999
            };
            Some(row(b, c, calls == 0))
        })
        .collect();
    input(bens_v, callers_v, existing)
}

fn instance(max_callers: usize, max_bens: usize) -> impl Strategy<Value = PlanInput> {
    (
        prop::collection::vec((0u32..=3, 0u8..6, 0u8..3), 0..=max_callers),
        prop::collection::vec(
            (
                0u8..9,
                0u8..3,
                0u32..3,
                any::<bool>(),
                any::<bool>(),
                0u8..5,
                0u8..7,
                0u8..2,
            ),
            0..=max_bens,
        ),
        prop::collection::vec((0u8..12, 0u8..6, 0u8..6), 0..=max_bens),
        -3i64..=3,
    )
        .prop_map(move |(c, b, r, s)| {
            let mut c = c;
            // scale capacities for bigger instances
            if max_bens > 10 {
                for x in &mut c {
                    x.0 *= 4;
                }
            }
            build(&c, &b, &r, s)
        })
}

fn shuffled(input: &PlanInput, seed: u64) -> PlanInput {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut s = input.clone();
    s.beneficiaries.shuffle(&mut rng);
    s.callers.shuffle(&mut rng);
    s.existing.shuffle(&mut rng);
    for c in &mut s.callers {
        c.languages.shuffle(&mut rng);
    }
    s
}

fn json(p: &crate::planning::Plan) -> String {
    serde_json::to_string(p).unwrap_or_else(|e| panic!("{e}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Hard rules on medium random instances.
    #[test]
    fn hard_rules_hold(input in instance(8, 60)) {
        let p = plan(&input);
        check_hard_rules(&input, &p);
    }

    /// Same input -> same plan; shuffled rows -> byte-identical plan.
    #[test]
    fn deterministic_and_order_independent(input in instance(8, 60), seed in any::<u64>()) {
        let a = plan(&input);
        let b = plan(&input);
        prop_assert_eq!(&a, &b);
        let c = plan(&shuffled(&input, seed));
        prop_assert_eq!(json(&a), json(&c));
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    /// Coverage (by priority), stability, continuity and territory equal
    /// those of an exhaustive search.
    #[test]
    fn optimal_against_brute_force(input in instance(4, 8)) {
        let p = plan(&input);
        check_hard_rules(&input, &p);
        let problem = Problem::of_plan(&input);
        prop_assert_eq!(problem.value_of(&p), problem.optimum());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Shortfall: few slots, many needs; the neediest are served.
    #[test]
    fn priority_under_shortfall(input in instance(2, 8)) {
        let p = plan(&input);
        let problem = Problem::of_plan(&input);
        prop_assert_eq!(problem.value_of(&p).coverage, problem.optimum().coverage);
    }

    /// The 128-bit cost path gives the same plan.
    #[test]
    fn wide_costs_same_plan(input in instance(4, 20)) {
        let mut wide = EngineStats { force_wide: true, ..EngineStats::default() };
        let a = plan_with_stats(&input, &mut wide);
        prop_assert!(wide.wide_costs || wide.classes == 0);
        prop_assert_eq!(a, plan(&input));
    }

    /// Medium instances: Gale-optimal coverage (checked with an
    /// independent matching) and no improving single move.
    #[test]
    fn greedy_coverage_and_local_optimality(input in instance(8, 60)) {
        let p = plan(&input);
        Problem::of_plan(&input).check_local(&p);
    }

    /// Planning again on the applied plan creates, moves and removes
    /// nothing.
    #[test]
    fn replanning_is_idempotent(input in instance(8, 60)) {
        let first = plan(&input);
        let mut again = input.clone();
        again.existing = applied(&input, &first);
        let second = plan(&again);
        check_hard_rules(&again, &second);
        prop_assert!(second.removed.is_empty(), "{:?}", second.removed);
        prop_assert!(second.assignments.iter().all(|a| a.status == AssignmentStatus::Kept));
        prop_assert_eq!(mapping(&first), mapping(&second));
        prop_assert_eq!(&first.unassigned, &second.unassigned);
    }

    /// Rebalance after callers drop out: only their uncalled rows move,
    /// optimally for the displaced (brute force), nobody else changes.
    #[test]
    fn rebalance_touches_only_displaced(
        input in instance(4, 8),
        drop in prop::collection::vec(any::<bool>(), 4),
        zero in any::<bool>(),
        called in prop::collection::vec(any::<bool>(), 8),
    ) {
        let first = plan(&input);
        let mut current = applied(&input, &first);
        for (r, &c) in current.iter_mut().zip(&called) {
            r.has_calls |= c && r.beneficiary_id % 2 == 0;
        }
        let mut after = input.clone();
        let dropped: Vec<i64> = after.callers.iter().zip(&drop).filter(|(_, &d)| d).map(|(c, _)| c.id).collect();
        if zero {
            for c in &mut after.callers {
                if dropped.contains(&c.id) { c.capacity = 0; }
            }
        } else {
            after.callers.retain(|c| !dropped.contains(&c.id));
        }
        let r = rebalance(&after, &current);
        let mut with_rows = after.clone();
        with_rows.existing = current.clone();
        check_hard_rules(&with_rows, &r);
        let now = mapping(&r);
        let available = |id: i64| after.callers.iter().any(|c| c.id == id && c.capacity > 0);
        for row in &current {
            let displaced = !row.has_calls && !available(row.caller_id);
            if displaced {
                prop_assert_ne!(now.get(&row.beneficiary_id), Some(&row.caller_id));
            } else {
                prop_assert_eq!(now.get(&row.beneficiary_id), Some(&row.caller_id));
            }
        }
        // nobody without a row gets one
        for b in &after.beneficiaries {
            if !current.iter().any(|r| r.beneficiary_id == b.id) {
                prop_assert!(!now.contains_key(&b.id));
            }
        }
        let problem = Problem::of_rebalance(&after, &current);
        prop_assert_eq!(problem.value_of(&r), problem.optimum());
    }
}
