//! Exhaustive search of the lexicographic optimum on small instances.

use std::collections::BTreeMap;

use crate::domain::LanguageCode;
use crate::planning::{priority_key, BeneficiaryInput, CurrentAssignment, Plan, PlanInput};

/// Objective values, compared lexicographically in field order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Objective {
    /// Served or not, candidates in priority order (neediest first):
    /// lexicographic max = Gale-optimal coverage.
    pub(crate) coverage: Vec<bool>,
    pub(crate) stability: usize,
    pub(crate) continuity: usize,
    pub(crate) territory: usize,
}

struct BruteCaller {
    id: i64,
    room: u32,
    langs: Vec<LanguageCode>,
    pref: Option<i64>,
}

/// The placement problem the engine solves for a plan or a rebalance.
pub(crate) struct Problem {
    cands: Vec<BeneficiaryInput>,
    preferred: Vec<Option<i64>>,
    callers: Vec<BruteCaller>,
}

/// Primary row per beneficiary: with calls first, then smallest caller.
fn primary_rows(rows: &[CurrentAssignment]) -> BTreeMap<i64, CurrentAssignment> {
    let mut m: BTreeMap<i64, CurrentAssignment> = BTreeMap::new();
    for r in rows {
        let better = match m.get(&r.beneficiary_id) {
            None => true,
            Some(cur) => (!r.has_calls, r.caller_id) < (!cur.has_calls, cur.caller_id),
        };
        if better {
            m.insert(r.beneficiary_id, *r);
        }
    }
    m
}

fn make_callers(input: &PlanInput, load: &BTreeMap<i64, u32>) -> Vec<BruteCaller> {
    input
        .callers
        .iter()
        .filter(|c| c.capacity > 0)
        .map(|c| BruteCaller {
            id: c.id,
            room: c
                .capacity
                .saturating_sub(load.get(&c.id).copied().unwrap_or(0)),
            langs: if c.languages.is_empty() {
                vec![LanguageCode::french()]
            } else {
                c.languages.clone()
            },
            pref: c.territory_preference,
        })
        .collect()
}

fn sorted(
    mut cands: Vec<(BeneficiaryInput, Option<i64>)>,
) -> (Vec<BeneficiaryInput>, Vec<Option<i64>>) {
    cands.sort_by_key(|(b, _)| priority_key(b));
    cands.into_iter().unzip()
}

impl Problem {
    /// What `plan(input)` must solve.
    pub(crate) fn of_plan(input: &PlanInput) -> Problem {
        let prim = primary_rows(&input.existing);
        let mut load: BTreeMap<i64, u32> = BTreeMap::new();
        for r in &input.existing {
            // every row with calls is locked (primary or extra)
            if r.has_calls {
                *load.entry(r.caller_id).or_default() += 1;
            }
        }
        let cands = input
            .beneficiaries
            .iter()
            .filter_map(|b| match prim.get(&b.id) {
                Some(r) if r.has_calls => None,
                Some(r) => Some((b.clone(), Some(r.caller_id))),
                None => Some((b.clone(), None)),
            })
            .collect();
        let (cands, preferred) = sorted(cands);
        Problem {
            cands,
            preferred,
            callers: make_callers(input, &load),
        }
    }

    /// What `rebalance(input, current)` must solve.
    pub(crate) fn of_rebalance(input: &PlanInput, current: &[CurrentAssignment]) -> Problem {
        let available = |id: i64| input.callers.iter().any(|c| c.id == id && c.capacity > 0);
        let prim = primary_rows(current);
        let mut load: BTreeMap<i64, u32> = BTreeMap::new();
        let mut cands = Vec::new();
        for r in current {
            let is_primary = prim.get(&r.beneficiary_id) == Some(r);
            let displaced = is_primary && !r.has_calls && !available(r.caller_id);
            if displaced {
                if let Some(b) = input
                    .beneficiaries
                    .iter()
                    .find(|b| b.id == r.beneficiary_id)
                {
                    cands.push((b.clone(), None));
                }
            } else {
                *load.entry(r.caller_id).or_default() += 1;
            }
        }
        let (cands, preferred) = sorted(cands);
        Problem {
            cands,
            preferred,
            callers: make_callers(input, &load),
        }
    }

    fn objective(&self, choice: &[Option<usize>]) -> Objective {
        let mut o = Objective {
            coverage: Vec::with_capacity(choice.len()),
            stability: 0,
            continuity: 0,
            territory: 0,
        };
        for (i, ch) in choice.iter().enumerate() {
            o.coverage.push(ch.is_some());
            if let Some(c) = *ch {
                let caller = &self.callers[c];
                let b = &self.cands[i];
                if self.preferred[i] == Some(caller.id) {
                    o.stability += 1;
                }
                if b.last_caller.map(|l| l.caller_id) == Some(caller.id) {
                    o.continuity += 1;
                }
                if b.territory_id.is_some() && b.territory_id == caller.pref {
                    o.territory += 1;
                }
            }
        }
        o
    }

    /// The best objective over every feasible assignment.
    pub(crate) fn optimum(&self) -> Objective {
        let mut used = vec![0u32; self.callers.len()];
        let mut choice = vec![None; self.cands.len()];
        let mut best = None;
        self.rec(0, &mut used, &mut choice, &mut best);
        best.unwrap_or_else(|| self.objective(&choice))
    }

    fn rec(
        &self,
        i: usize,
        used: &mut [u32],
        choice: &mut Vec<Option<usize>>,
        best: &mut Option<Objective>,
    ) {
        if i == self.cands.len() {
            let o = self.objective(choice);
            if best.as_ref().is_none_or(|b| o > *b) {
                *best = Some(o);
            }
            return;
        }
        for (c, caller) in self.callers.iter().enumerate() {
            if used[c] < caller.room && caller.langs.contains(&self.cands[i].language) {
                used[c] += 1;
                choice[i] = Some(c);
                self.rec(i + 1, used, choice, best);
                used[c] -= 1;
            }
        }
        choice[i] = None;
        self.rec(i + 1, used, choice, best);
    }

    /// Whether the candidates `set` can all be served together (Kuhn's
    /// augmenting paths over capacity slots: independent of the planner).
    pub(crate) fn coverable(&self, set: &[usize]) -> bool {
        let slots: Vec<usize> = self
            .callers
            .iter()
            .enumerate()
            .flat_map(|(c, caller)| std::iter::repeat_n(c, caller.room as usize))
            .collect();
        let mut owner: Vec<Option<usize>> = vec![None; slots.len()];
        fn try_place(
            i: usize,
            me: &Problem,
            slots: &[usize],
            owner: &mut Vec<Option<usize>>,
            seen: &mut Vec<bool>,
        ) -> bool {
            for s in 0..slots.len() {
                let caller = &me.callers[slots[s]];
                if seen[s] || !caller.langs.contains(&me.cands[i].language) {
                    continue;
                }
                seen[s] = true;
                let free = match owner[s] {
                    None => true,
                    Some(j) => try_place(j, me, slots, owner, seen),
                };
                if free {
                    owner[s] = Some(i);
                    return true;
                }
            }
            false
        }
        set.iter().all(|&i| {
            let mut seen = vec![false; slots.len()];
            try_place(i, self, &slots, &mut owner, &mut seen)
        })
    }

    /// Checks, on instances too big for [`Problem::optimum`], that the plan
    /// is the greedy (Gale-optimal) coverage and that no single move of a
    /// served candidate to a caller with room improves stability,
    /// continuity or territory.
    pub(crate) fn check_local(&self, plan: &Plan) {
        let m = super::mapping(plan);
        let served: Vec<bool> = self.cands.iter().map(|b| m.contains_key(&b.id)).collect();
        let all: Vec<usize> = (0..self.cands.len()).filter(|&i| served[i]).collect();
        assert!(self.coverable(&all), "served set not coverable");
        for i in 0..self.cands.len() {
            if served[i] {
                continue;
            }
            let mut set: Vec<usize> = (0..i).filter(|&j| served[j]).collect();
            set.push(i);
            assert!(
                !self.coverable(&set),
                "{} could be served instead of less needy ones",
                self.cands[i].id
            );
        }
        let mut load: BTreeMap<i64, u32> = BTreeMap::new();
        for b in &self.cands {
            if let Some(c) = m.get(&b.id) {
                *load.entry(*c).or_default() += 1;
            }
        }
        let has_room = |c: &BruteCaller| load.get(&c.id).copied().unwrap_or(0) < c.room;
        for (i, b) in self.cands.iter().enumerate() {
            let Some(&at) = m.get(&b.id) else { continue };
            let fits = |c: &&BruteCaller| c.langs.contains(&b.language) && has_room(c);
            let special = |id: Option<i64>| {
                self.callers
                    .iter()
                    .find(|c| Some(c.id) == id)
                    .filter(fits)
                    .is_some()
            };
            let pref = self.preferred[i];
            let last = b.last_caller.map(|l| l.caller_id);
            if pref != Some(at) {
                assert!(!special(pref), "{}: planned caller has room", b.id);
                if last != Some(at) {
                    assert!(!special(last), "{}: last caller has room", b.id);
                    let here = self
                        .callers
                        .iter()
                        .find(|c| c.id == at)
                        .and_then(|c| c.pref);
                    if b.territory_id.is_some() && here != b.territory_id {
                        assert!(
                            !self
                                .callers
                                .iter()
                                .filter(fits)
                                .any(|c| c.pref == b.territory_id),
                            "{}: a caller of the territory has room",
                            b.id
                        );
                    }
                }
            }
        }
    }

    /// The objective of what `plan` did for these candidates.
    pub(crate) fn value_of(&self, plan: &Plan) -> Objective {
        let m = super::mapping(plan);
        let choice: Vec<Option<usize>> = self
            .cands
            .iter()
            .map(|b| {
                m.get(&b.id).map(|cid| {
                    self.callers
                        .iter()
                        .position(|c| c.id == *cid)
                        .unwrap_or_else(|| panic!("placed on unknown caller {cid}"))
                })
            })
            .collect();
        self.objective(&choice)
    }
}
