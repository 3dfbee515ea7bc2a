//! A plan being built: who is placed where, each volunteer's booked time and
//! minutes, each organisation's filled minutes. Every change goes through
//! [`State::place`] and [`State::remove`], which keep them in step.

use crate::missions::matcher::prepare::{intersects, Prepared, Share};

#[derive(Clone)]
pub(crate) struct State {
    /// Volunteers placed on each need.
    pub placed: Vec<Vec<u32>>,
    /// Needs each volunteer is placed on.
    pub vol_needs: Vec<Vec<u32>>,
    /// Time each volunteer is booked (same bits as the needs').
    pub busy: Vec<u64>,
    width: usize,
    /// Minutes each volunteer is placed for this week.
    pub used: Vec<u32>,
    /// Minutes filled per organisation.
    pub filled: Vec<u64>,
}

impl State {
    pub fn new(p: &Prepared) -> State {
        let width = p.need_time.width;
        State {
            placed: vec![Vec::new(); p.needs.len()],
            vol_needs: vec![Vec::new(); p.vols.len()],
            busy: vec![0; p.vols.len() * width],
            width,
            used: vec![0; p.vols.len()],
            filled: vec![0; p.orgs.len()],
        }
    }

    pub fn busy_row(&self, v: u32) -> &[u64] {
        let v = v as usize;
        &self.busy[v * self.width..(v + 1) * self.width]
    }

    pub fn share(&self, p: &Prepared, o: u32) -> Share {
        Share {
            filled: self.filled[o as usize],
            wanted: p.orgs[o as usize].wanted,
        }
    }

    pub fn missing(&self, p: &Prepared, n: u32) -> u32 {
        p.wanted(n)
            .saturating_sub(self.placed[n as usize].len() as u32)
    }

    /// Whether `v` (a candidate of `n`) can take `n` as the plan stands.
    pub fn free_for(&self, p: &Prepared, n: u32, v: u32) -> bool {
        !self.vol_needs[v as usize].contains(&n)
            && !intersects(self.busy_row(v), p.need_time.row(n as usize))
            && fits(p.vol_limit[v as usize], self.used[v as usize], p.minutes(n))
    }

    /// The one placement of `v` whose removal would let `v` take `n`, if there is
    /// exactly one that overlaps `n` (or, with none overlapping, the first, in
    /// need order, whose minutes free enough allowance).
    pub fn blocker(&self, p: &Prepared, n: u32, v: u32) -> Option<u32> {
        let mine = &self.vol_needs[v as usize];
        if mine.contains(&n) {
            return None;
        }
        let time = p.need_time.row(n as usize);
        let mut overlapping = mine
            .iter()
            .copied()
            .filter(|&m| intersects(p.need_time.row(m as usize), time));
        let limit = p.vol_limit[v as usize];
        let used = self.used[v as usize];
        let frees = |m: u32| fits(limit, used - p.minutes(m), p.minutes(n));
        match (overlapping.next(), overlapping.next()) {
            (Some(m), None) => frees(m).then_some(m),
            (Some(_), Some(_)) => None,
            (None, _) => {
                let mut sorted = mine.clone();
                sorted.sort_unstable();
                sorted.into_iter().find(|&m| frees(m))
            }
        }
    }

    pub fn place(&mut self, p: &Prepared, n: u32, v: u32) {
        self.placed[n as usize].push(v);
        self.vol_needs[v as usize].push(n);
        let w = self.width;
        let row = &mut self.busy[v as usize * w..(v as usize + 1) * w];
        for (b, t) in row.iter_mut().zip(p.need_time.row(n as usize)) {
            *b |= t;
        }
        self.used[v as usize] += p.minutes(n);
        self.filled[p.need_org[n as usize] as usize] += u64::from(p.minutes(n));
    }

    pub fn remove(&mut self, p: &Prepared, n: u32, v: u32) {
        self.placed[n as usize].retain(|&x| x != v);
        self.vol_needs[v as usize].retain(|&m| m != n);
        let w = self.width;
        let row = &mut self.busy[v as usize * w..(v as usize + 1) * w];
        row.iter_mut().for_each(|b| *b = 0);
        for &m in &self.vol_needs[v as usize] {
            for (b, t) in row.iter_mut().zip(p.need_time.row(m as usize)) {
                *b |= t;
            }
        }
        self.used[v as usize] -= p.minutes(n);
        self.filled[p.need_org[n as usize] as usize] -= u64::from(p.minutes(n));
    }

    /// The placements as sorted (need, volunteer) pairs.
    pub fn pairs(&self) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = self
            .placed
            .iter()
            .enumerate()
            .flat_map(|(n, vs)| vs.iter().map(move |&v| (n as u32, v)))
            .collect();
        out.sort_unstable();
        out
    }
}

/// Whether `extra` more minutes fit a volunteer's limit given what is used.
pub(crate) fn fits(limit: u32, used: u32, extra: u32) -> bool {
    u64::from(used) + u64::from(extra) <= u64::from(limit)
}
