//! Exact search on small independent parts of the problem.
//!
//! Organisations, needs and volunteers split into components: two needs are
//! linked when they belong to the same organisation or share a candidate.
//! Components do not interact, and the lexicographic max-min of the whole is
//! the union of each component's. A component with few candidate pairs
//! ([`EXACT_PAIRS`]) is solved exactly by branch and bound over its pairs
//! (each in or out, preferred candidates first), starting from the engine's
//! plan and replacing it only by one whose sorted shares are lexicographically
//! larger; a branch is cut when even filling every remaining pair could not
//! do better than the best plan found. The search stops after
//! [`NODE_BUDGET`] nodes with the best plan found.

use crate::missions::matcher::prepare::{Prepared, Share};
use crate::missions::matcher::state::State;

/// Components with at most this many candidate pairs are searched exactly.
pub(crate) const EXACT_PAIRS: usize = 40;
/// Nodes of the search per component.
pub(crate) const NODE_BUDGET: u64 = 200_000;

pub(crate) struct Component {
    pub needs: Vec<u32>,
    pub orgs: Vec<u32>,
    pub pairs: usize,
}

/// The components, in order of their first need.
pub(crate) fn components(p: &Prepared) -> Vec<Component> {
    let n_needs = p.needs.len();
    let n_vols = p.vols.len();
    let mut parent: Vec<u32> = (0..(n_needs + n_vols + p.orgs.len()) as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    fn union(parent: &mut [u32], a: u32, b: u32) {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent[ra.max(rb) as usize] = ra.min(rb);
        }
    }
    for n in 0..n_needs {
        let org_node = (n_needs + n_vols) as u32 + p.need_org[n];
        union(&mut parent, n as u32, org_node);
        for &v in &p.candidates[n] {
            union(&mut parent, n as u32, (n_needs as u32) + v);
        }
    }
    let mut by_root: std::collections::BTreeMap<u32, Component> = Default::default();
    for n in 0..n_needs as u32 {
        let root = find(&mut parent, n);
        let c = by_root.entry(root).or_insert(Component {
            needs: Vec::new(),
            orgs: Vec::new(),
            pairs: 0,
        });
        c.needs.push(n);
        c.pairs += p.candidates[n as usize].len();
        let o = p.need_org[n as usize];
        if !c.orgs.contains(&o) {
            c.orgs.push(o);
        }
    }
    let mut out: Vec<Component> = by_root.into_values().collect();
    out.sort_by_key(|c| c.needs[0]);
    out
}

/// The component's shares, sorted ascending: a plan is better when this is
/// lexicographically larger.
fn sorted_shares(p: &Prepared, state: &State, c: &Component) -> Vec<Share> {
    let mut shares: Vec<Share> = c.orgs.iter().map(|&o| state.share(p, o)).collect();
    shares.sort();
    shares
}

struct Search<'p, 'a> {
    p: &'p Prepared<'a>,
    c: &'p Component,
    pairs: Vec<(u32, u32)>,
    /// Pairs of each need from index i on: `left[i][k]` for `c.needs[k]`.
    left: Vec<Vec<u32>>,
    best: Vec<Share>,
    best_pairs: Vec<(u32, u32)>,
    nodes: u64,
}

/// Replaces the component's plan in `state` by the best one the search finds.
pub(crate) fn solve(p: &Prepared, state: &mut State, c: &Component) {
    let pairs: Vec<(u32, u32)> = c
        .needs
        .iter()
        .flat_map(|&n| p.candidates[n as usize].iter().map(move |&v| (n, v)))
        .collect();
    let mut left = vec![vec![0u32; c.needs.len()]; pairs.len() + 1];
    for i in (0..pairs.len()).rev() {
        left[i] = left[i + 1].clone();
        let k = c.needs.binary_search(&pairs[i].0).unwrap_or(0);
        left[i][k] += 1;
    }
    let current: Vec<(u32, u32)> = c
        .needs
        .iter()
        .flat_map(|&n| state.placed[n as usize].iter().map(move |&v| (n, v)))
        .collect();
    let mut search = Search {
        p,
        c,
        pairs,
        left,
        best: sorted_shares(p, state, c),
        best_pairs: current.clone(),
        nodes: 0,
    };
    for &(n, v) in &current {
        state.remove(p, n, v);
    }
    search.visit(state, 0);
    for (n, v) in search.best_pairs {
        state.place(p, n, v);
    }
}

impl Search<'_, '_> {
    fn visit(&mut self, state: &mut State, i: usize) {
        self.nodes += 1;
        if self.nodes > NODE_BUDGET || self.bound_below(state, i) {
            return;
        }
        if i == self.pairs.len() {
            let shares = sorted_shares(self.p, state, self.c);
            if shares > self.best {
                self.best = shares;
                self.best_pairs = state_pairs(state, self.c);
            }
            return;
        }
        let (n, v) = self.pairs[i];
        if state.missing(self.p, n) > 0 && state.free_for(self.p, n, v) {
            state.place(self.p, n, v);
            self.visit(state, i + 1);
            state.remove(self.p, n, v);
        }
        self.visit(state, i + 1);
    }

    /// Whether even filling every remaining pair could not beat the best shares.
    fn bound_below(&self, state: &State, i: usize) -> bool {
        let p = self.p;
        let mut extra = vec![0u64; self.c.orgs.len()];
        for (k, &n) in self.c.needs.iter().enumerate() {
            let seats = state.missing(p, n).min(self.left[i][k]);
            let o = p.need_org[n as usize];
            let at = self.c.orgs.iter().position(|&x| x == o).unwrap_or(0);
            extra[at] += u64::from(seats) * u64::from(p.minutes(n));
        }
        let mut optimistic: Vec<Share> = self
            .c
            .orgs
            .iter()
            .zip(&extra)
            .map(|(&o, &e)| {
                let s = state.share(p, o);
                Share {
                    filled: s.filled + e,
                    wanted: s.wanted,
                }
            })
            .collect();
        optimistic.sort();
        optimistic <= self.best
    }
}

fn state_pairs(state: &State, c: &Component) -> Vec<(u32, u32)> {
    c.needs
        .iter()
        .flat_map(|&n| state.placed[n as usize].iter().map(move |&v| (n, v)))
        .collect()
}
