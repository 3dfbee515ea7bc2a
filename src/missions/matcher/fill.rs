//! Progressive filling with augmenting paths: the matcher's engine.
//!
//! Organisations wait in a queue ordered by their share (filled / wanted
//! volunteer-minutes, exact fractions), lowest first, ties by id. The lowest
//! gets one more volunteer:
//! 1. directly: the first of its needs (scarcest first) that has a candidate
//!    still free, and the first such candidate in the need's preference order
//!    (last week's volunteer, then the nearest, then the one with the fewest
//!    other needs he could serve, then by id);
//! 2. else through an augmenting path: a candidate busy elsewhere moves here,
//!    and the seat he leaves is taken by someone free or, in turn, by someone
//!    else who moves (breadth first, so the shortest chain wins). Failing a
//!    chain that ends with a free volunteer, a chain that ends with a seat left
//!    empty is taken if that makes the sorted vector of shares larger
//!    (lexicographically), e.g. the organisation that loses stays above the
//!    one that gains.
//!
//! An organisation that can get nobody more is frozen at its share. Every step
//! makes the sorted vector of shares strictly larger, so the loop ends; it ends
//! when every organisation is full or frozen, and then no unfilled need has a
//! candidate free (the plan is maximal).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::missions::matcher::prepare::{Prepared, Share};
use crate::missions::matcher::state::State;

/// Candidates an augmenting-path search may look at (bounds each step's work).
const SEARCH_BUDGET: usize = 200_000;
const NONE: u32 = u32::MAX;

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    share: Share,
    org: u32,
    stamp: u32,
}

struct Queue {
    heap: BinaryHeap<Reverse<Entry>>,
    stamps: Vec<u32>,
}

impl Queue {
    fn push(&mut self, p: &Prepared, state: &State, o: u32) {
        self.stamps[o as usize] += 1;
        self.heap.push(Reverse(Entry {
            share: state.share(p, o),
            org: o,
            stamp: self.stamps[o as usize],
        }));
    }

    /// The organisation with the lowest share (skipping outdated entries).
    fn pop(&mut self) -> Option<u32> {
        while let Some(Reverse(entry)) = self.heap.pop() {
            if entry.stamp == self.stamps[entry.org as usize] {
                return Some(entry.org);
            }
        }
        None
    }
}

/// Fills the plan as described in the module documentation.
pub(crate) fn progressive_fill(p: &Prepared, state: &mut State) {
    let mut queue = Queue {
        heap: BinaryHeap::new(),
        stamps: vec![0; p.orgs.len()],
    };
    for o in 0..p.orgs.len() as u32 {
        queue.push(p, state, o);
    }
    let mut frozen = vec![false; p.orgs.len()];
    let mut search = Search::new(p);
    // Needs known to have no free candidate, valid while `epoch` is unchanged
    // (an augmenting path moves volunteers and bumps it).
    let mut exhausted = vec![u32::MAX; p.needs.len()];
    let mut epoch = 0u32;
    while let Some(o) = queue.pop() {
        if let Some((n, v)) = direct(p, state, o, &mut exhausted, epoch) {
            state.place(p, n, v);
            queue.push(p, state, o);
            continue;
        }
        match search.augment(p, state, o, &frozen) {
            Some(loser) => {
                epoch += 1;
                queue.push(p, state, o);
                if let Some(l) = loser {
                    queue.push(p, state, l);
                }
                // A volunteer who moved may now be free for a need of a frozen
                // organisation: it gets another turn.
                for f in search.thawed(p, state, &frozen) {
                    frozen[f as usize] = false;
                    queue.push(p, state, f);
                }
            }
            None => frozen[o as usize] = true,
        }
    }
}

/// A need of `o` with a seat left and a candidate free, and that candidate.
fn direct(
    p: &Prepared,
    state: &State,
    o: u32,
    exhausted: &mut [u32],
    epoch: u32,
) -> Option<(u32, u32)> {
    for &n in &p.orgs[o as usize].needs {
        if exhausted[n as usize] == epoch || state.missing(p, n) == 0 {
            continue;
        }
        let free = p.candidates[n as usize]
            .iter()
            .find(|&&v| state.free_for(p, n, v));
        if let Some(&v) = free {
            return Some((n, v));
        }
        exhausted[n as usize] = epoch;
    }
    None
}

/// A seat to fill: a missing volunteer of one of the organisation's needs (a
/// root), or the seat `mover` leaves on `need` to take the parent's.
#[derive(Clone, Copy)]
struct Hole {
    need: u32,
    parent: u32,
    mover: u32,
}

/// Scratch space of the augmenting-path search, reused across steps.
struct Search {
    need_seen: Vec<u32>,
    vol_seen: Vec<u32>,
    generation: u32,
    holes: Vec<Hole>,
    /// The volunteers the last applied path moved.
    moved: Vec<u32>,
}

impl Search {
    fn new(p: &Prepared) -> Search {
        Search {
            need_seen: vec![0; p.needs.len()],
            vol_seen: vec![0; p.vols.len()],
            generation: 0,
            holes: Vec::new(),
            moved: Vec::new(),
        }
    }

    /// Finds and applies an augmenting path towards `o`. `None`: none found;
    /// `Some(loser)`: applied, `loser` the organisation that lost a seat, if any.
    fn augment(
        &mut self,
        p: &Prepared,
        state: &mut State,
        o: u32,
        frozen: &[bool],
    ) -> Option<Option<u32>> {
        self.generation += 1;
        let generation = self.generation;
        self.holes.clear();
        for &n in &p.orgs[o as usize].needs {
            if state.missing(p, n) > 0 && !p.candidates[n as usize].is_empty() {
                self.need_seen[n as usize] = generation;
                self.holes.push(Hole {
                    need: n,
                    parent: NONE,
                    mover: NONE,
                });
            }
        }
        let before = state.share(p, o);
        let mut best_loss: Option<(usize, [Share; 2])> = None;
        let mut looked = 0usize;
        let mut i = 0;
        while i < self.holes.len() && looked < SEARCH_BUDGET {
            let hole = self.holes[i];
            for &v in &p.candidates[hole.need as usize] {
                looked += 1;
                if self.vol_seen[v as usize] == generation {
                    continue;
                }
                if state.free_for(p, hole.need, v) {
                    self.apply(p, state, i, Some(v));
                    return Some(None);
                }
                let Some(m) = state.blocker(p, hole.need, v) else {
                    continue;
                };
                if self.need_seen[m as usize] == generation {
                    continue;
                }
                self.need_seen[m as usize] = generation;
                self.vol_seen[v as usize] = generation;
                self.holes.push(Hole {
                    need: m,
                    parent: i as u32,
                    mover: v,
                });
                let j = self.holes.len() - 1;
                let loser = p.need_org[m as usize];
                if frozen[loser as usize] {
                    continue;
                }
                let gain = p.minutes(self.root_need(j));
                if let Some(after) = loss_improves(p, state, o, before, gain, loser, m) {
                    if best_loss.is_none_or(|(_, best)| after > best) {
                        best_loss = Some((j, after));
                    }
                }
            }
            i += 1;
        }
        let (j, _) = best_loss?;
        let loser = p.need_org[self.holes[j].need as usize];
        self.apply(p, state, j, None);
        Some((loser != o).then_some(loser))
    }

    /// Frozen organisations with a need that a volunteer moved by the last
    /// path is now free for.
    fn thawed(&self, p: &Prepared, state: &State, frozen: &[bool]) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for v in self.moved.iter().copied() {
            for &n in &p.needs_of[v as usize] {
                let o = p.need_org[n as usize];
                if frozen[o as usize]
                    && !out.contains(&o)
                    && state.missing(p, n) > 0
                    && state.free_for(p, n, v)
                {
                    out.push(o);
                }
            }
        }
        out
    }

    fn root_need(&self, mut j: usize) -> u32 {
        while self.holes[j].parent != NONE {
            j = self.holes[j].parent as usize;
        }
        self.holes[j].need
    }

    /// Moves every mover from hole `j` up to its root, then `free` (if any)
    /// takes the seat left at hole `j`.
    fn apply(&mut self, p: &Prepared, state: &mut State, mut j: usize, free: Option<u32>) {
        let end = self.holes[j].need;
        self.moved.clear();
        while self.holes[j].parent != NONE {
            let hole = self.holes[j];
            let parent = self.holes[hole.parent as usize].need;
            state.remove(p, hole.need, hole.mover);
            state.place(p, parent, hole.mover);
            self.moved.push(hole.mover);
            j = hole.parent as usize;
        }
        if let Some(v) = free {
            state.place(p, end, v);
        }
    }
}

/// The two shares after `o` gains `gain` minutes and `loser` loses need `m`'s,
/// sorted, if that is larger than the two before (the others do not change, so
/// this is the whole vector's lexicographic order).
fn loss_improves(
    p: &Prepared,
    state: &State,
    o: u32,
    before: Share,
    gain: u32,
    loser: u32,
    m: u32,
) -> Option<[Share; 2]> {
    let loss = u64::from(p.minutes(m));
    if loser == o {
        let after = Share {
            filled: before.filled + u64::from(gain) - loss,
            wanted: before.wanted,
        };
        return (u64::from(gain) > loss).then_some([after, after]);
    }
    let other = state.share(p, loser);
    let new_o = Share {
        filled: before.filled + u64::from(gain),
        wanted: before.wanted,
    };
    let new_l = Share {
        filled: other.filled - loss,
        wanted: other.wanted,
    };
    let sorted = |a: Share, b: Share| if a <= b { [a, b] } else { [b, a] };
    let after = sorted(new_o, new_l);
    (after > sorted(before, other)).then_some(after)
}

/// Puts last week's volunteer back on a full need when he is free for it, in
/// place of a volunteer who was not there last week (the shares do not change).
/// Returns whether anything changed (the replaced volunteers are free again,
/// so the caller fills once more).
pub(crate) fn improve_continuity(p: &Prepared, state: &mut State) -> bool {
    let mut changed = false;
    let pairs: Vec<(u32, u32)> = p
        .last_week
        .iter()
        .enumerate()
        .flat_map(|(n, vs)| vs.iter().map(move |&v| (n as u32, v)))
        .collect();
    for (n, v) in pairs {
        if state.placed[n as usize].contains(&v) || !p.eligible(n, v) || !state.free_for(p, n, v) {
            continue;
        }
        let replaced = state.placed[n as usize]
            .iter()
            .copied()
            .filter(|&u| !p.continuity(n, u))
            .max_by_key(|&u| (p.tier(n, u), u));
        if let Some(u) = replaced {
            state.remove(p, n, u);
            state.place(p, n, v);
            changed = true;
        }
    }
    changed
}

/// Adds, need by need, any candidate still free (a plan changed by the exact
/// search is maximal when the search finished, not always when it stopped on
/// its budget). Adding never lowers a share.
pub(crate) fn complete(p: &Prepared, state: &mut State) {
    for n in 0..p.needs.len() as u32 {
        for &v in &p.candidates[n as usize] {
            if state.missing(p, n) == 0 {
                break;
            }
            if state.free_for(p, n, v) {
                state.place(p, n, v);
            }
        }
    }
}
