//! Tests of the planner: scenarios, properties, and exhaustive search on
//! small instances.

mod brute;
mod props;
mod scenarios;

use std::collections::BTreeMap;

use crate::domain::{IsoWeek, LanguageCode};
use crate::planning::{
    AssignmentStatus, BeneficiaryInput, CallerInput, ExistingAssignment, LastCaller, Plan,
    PlanInput,
};

pub(crate) fn week(s: &str) -> IsoWeek {
    IsoWeek::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

pub(crate) fn lang(s: &str) -> LanguageCode {
    LanguageCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

pub(crate) fn w48() -> IsoWeek {
    week("2026-W48")
}

pub(crate) fn w47() -> IsoWeek {
    week("2026-W47")
}

pub(crate) fn ben(id: i64) -> BeneficiaryInput {
    let mut b = BeneficiaryInput::new(id);
    b.weeks_since_last_conversation = Some(1);
    b
}

pub(crate) fn ben_last(id: i64, caller: i64) -> BeneficiaryInput {
    let mut b = ben(id);
    b.last_caller = Some(LastCaller {
        caller_id: caller,
        week: w47(),
    });
    b
}

pub(crate) fn caller(id: i64, capacity: u32) -> CallerInput {
    CallerInput::new(id, capacity)
}

pub(crate) fn caller_langs(id: i64, capacity: u32, langs: &[&str]) -> CallerInput {
    let mut c = CallerInput::new(id, capacity);
    c.languages = langs.iter().map(|l| lang(l)).collect();
    c
}

pub(crate) fn row(b: i64, c: i64, has_calls: bool) -> ExistingAssignment {
    ExistingAssignment {
        beneficiary_id: b,
        caller_id: c,
        has_calls,
    }
}

pub(crate) fn input(
    bens: Vec<BeneficiaryInput>,
    callers: Vec<CallerInput>,
    existing: Vec<ExistingAssignment>,
) -> PlanInput {
    PlanInput {
        week: w48(),
        beneficiaries: bens,
        callers,
        existing,
    }
}

/// beneficiary id -> caller id.
pub(crate) fn mapping(plan: &Plan) -> BTreeMap<i64, i64> {
    plan.assignments
        .iter()
        .map(|a| (a.beneficiary_id, a.caller_id))
        .collect()
}

/// The week's rows once `plan` is applied (called rows keep their flag;
/// rows the plan leaves alone too).
pub(crate) fn applied(input: &PlanInput, plan: &Plan) -> Vec<ExistingAssignment> {
    let called: BTreeMap<(i64, i64), bool> = input
        .existing
        .iter()
        .map(|r| ((r.beneficiary_id, r.caller_id), r.has_calls))
        .collect();
    plan.assignments
        .iter()
        .map(|a| ExistingAssignment {
            beneficiary_id: a.beneficiary_id,
            caller_id: a.caller_id,
            has_calls: a.status == AssignmentStatus::Kept
                && called
                    .get(&(a.beneficiary_id, a.caller_id))
                    .copied()
                    .unwrap_or(false),
        })
        .collect()
}

/// Checks the hard rules of a plan against its input.
pub(crate) fn check_hard_rules(input: &PlanInput, plan: &Plan) {
    use std::collections::{BTreeSet, HashMap};
    // sorted, one caller per beneficiary
    for w in plan.assignments.windows(2) {
        assert!(
            w[0].beneficiary_id < w[1].beneficiary_id,
            "assignments sorted and unique"
        );
    }
    for w in plan.unassigned.windows(2) {
        assert!(w[0].beneficiary_id < w[1].beneficiary_id);
    }
    let assigned: BTreeSet<i64> = plan.assignments.iter().map(|a| a.beneficiary_id).collect();
    for u in &plan.unassigned {
        assert!(
            !assigned.contains(&u.beneficiary_id),
            "both assigned and unassigned"
        );
    }
    // every eligible beneficiary is either assigned or unassigned
    let eligible: BTreeSet<i64> = input.beneficiaries.iter().map(|b| b.id).collect();
    let unassigned: BTreeSet<i64> = plan.unassigned.iter().map(|u| u.beneficiary_id).collect();
    for id in &eligible {
        assert!(
            assigned.contains(id) ^ unassigned.contains(id),
            "{id} accounted once"
        );
    }
    // capacity: rows with calls may exceed; new/moved/kept uncalled may not
    let called: BTreeSet<(i64, i64)> = input
        .existing
        .iter()
        .filter(|r| r.has_calls)
        .map(|r| (r.beneficiary_id, r.caller_id))
        .collect();
    let caps: HashMap<i64, &CallerInput> = input.callers.iter().map(|c| (c.id, c)).collect();
    let mut load: HashMap<i64, (u32, u32)> = HashMap::new();
    for a in &plan.assignments {
        let e = load.entry(a.caller_id).or_default();
        if called.contains(&(a.beneficiary_id, a.caller_id)) {
            e.0 += 1;
        } else {
            e.1 += 1;
            let c = caps
                .get(&a.caller_id)
                .unwrap_or_else(|| panic!("uncalled assignment to unknown caller {a:?}"));
            // language
            if let Some(b) = input
                .beneficiaries
                .iter()
                .find(|b| b.id == a.beneficiary_id)
            {
                let speaks = if c.languages.is_empty() {
                    b.language.is_french()
                } else {
                    c.languages.contains(&b.language)
                };
                assert!(speaks, "language violated: {a:?}");
            }
        }
    }
    for (c, (locked, free)) in load {
        if free > 0 {
            let cap = caps[&c].capacity;
            assert!(
                locked + free <= cap,
                "caller {c} over capacity: {locked}+{free} > {cap}"
            );
        }
    }
    // removed rows never have calls
    for r in &plan.removed {
        assert!(
            !called.contains(&(r.beneficiary_id, r.caller_id)),
            "removed a called row"
        );
    }
    // every called row stays
    for (b, c) in &called {
        assert!(
            plan.assignments
                .iter()
                .any(|a| a.beneficiary_id == *b && a.caller_id == *c),
            "called row ({b},{c}) dropped"
        );
    }
    // statuses consistent with existing rows
    let existing: BTreeMap<i64, Vec<i64>> =
        input.existing.iter().fold(BTreeMap::new(), |mut m, r| {
            m.entry(r.beneficiary_id).or_default().push(r.caller_id);
            m
        });
    for a in &plan.assignments {
        match a.status {
            AssignmentStatus::New => assert!(!existing.contains_key(&a.beneficiary_id)),
            AssignmentStatus::Kept => {
                assert!(existing[&a.beneficiary_id].contains(&a.caller_id))
            }
            AssignmentStatus::Moved { from } => {
                assert!(existing[&a.beneficiary_id].contains(&from));
                assert!(plan
                    .removed
                    .iter()
                    .any(|r| r.beneficiary_id == a.beneficiary_id && r.caller_id == from));
            }
        }
    }
    // summary consistency
    assert_eq!(plan.summary.eligible, eligible.len());
    assert_eq!(plan.summary.unassigned, plan.unassigned.len());
    assert_eq!(
        plan.summary.assigned + plan.summary.unassigned,
        plan.summary.eligible
    );
    assert_eq!(plan.summary.removed, plan.removed.len());
}
