//! Exact min-cost maximum flow (primal-dual: Dijkstra with potentials, then
//! a Dinic blocking flow on the zero-reduced-cost arcs).
//!
//! Used twice by the planner, always on small *aggregated* networks (tens of
//! thousands of nodes for a million beneficiaries, see `algorithm.rs`).
//!
//! Correctness (standard, e.g. Ahuja–Magnanti–Orlin ch. 9): the potentials
//! keep every residual arc at a non-negative reduced cost; each phase
//! computes shortest distances `d` (Dijkstra, stopped when the sink is
//! settled at distance `D`), raises every potential by `min(d(v), D)` —
//! which keeps reduced costs non-negative — and then saturates *all*
//! shortest augmenting paths at once with a maximum flow restricted to the
//! arcs of reduced cost 0. Augmenting only along shortest paths keeps the
//! flow of minimum cost for its value, so the loop ends, when the sink is
//! no longer reachable, on a maximum flow of minimum cost. Everything is
//! integral and the arc order is the insertion order, so the result is
//! deterministic.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Debug;
use std::ops::{Add, Mul, Sub};

/// Integer cost type: `i64`, or `i128` when lexicographic weights would
/// not fit in 64 bits.
pub(crate) trait Cost:
    Copy + Ord + Debug + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self>
{
    const ZERO: Self;
    const INF: Self;
    fn from_i64(v: i64) -> Self;
}

impl Cost for i64 {
    const ZERO: Self = 0;
    const INF: Self = i64::MAX / 4;
    fn from_i64(v: i64) -> Self {
        v
    }
}

impl Cost for i128 {
    const ZERO: Self = 0;
    const INF: Self = i128::MAX / 4;
    fn from_i64(v: i64) -> Self {
        i128::from(v)
    }
}

/// "Unbounded" arc capacity.
pub(crate) const UNBOUNDED: i64 = i64::MAX / 8;

/// A flow network; arcs are stored in pairs (`a`, `a ^ 1` = its reverse).
pub(crate) struct Network<C: Cost> {
    n: usize,
    to: Vec<u32>,
    /// Residual capacity.
    cap: Vec<i64>,
    cost: Vec<C>,
    first: Vec<u32>,
    adj: Vec<u32>,
    pot: Vec<C>,
    /// Number of primal-dual phases of the last solve (for benchmarks).
    pub(crate) phases: usize,
}

impl<C: Cost> Network<C> {
    pub(crate) fn new(n: usize) -> Self {
        Network {
            n,
            to: Vec::new(),
            cap: Vec::new(),
            cost: Vec::new(),
            first: Vec::new(),
            adj: Vec::new(),
            pot: Vec::new(),
            phases: 0,
        }
    }

    pub(crate) fn reserve(&mut self, arcs: usize) {
        self.to.reserve(2 * arcs);
        self.cap.reserve(2 * arcs);
        self.cost.reserve(2 * arcs);
    }

    /// Adds an arc `u -> v`; returns its id (for [`Network::flow`]).
    pub(crate) fn add_arc(&mut self, u: usize, v: usize, cap: i64, cost: C) -> usize {
        debug_assert!(u < self.n && v < self.n && cap >= 0);
        let id = self.to.len();
        self.to.push(v as u32);
        self.cap.push(cap);
        self.cost.push(cost);
        self.to.push(u as u32);
        self.cap.push(0);
        self.cost.push(C::ZERO - cost);
        id
    }

    /// Flow currently carried by arc `id`.
    pub(crate) fn flow(&self, id: usize) -> i64 {
        self.cap[id ^ 1]
    }

    fn tail(&self, a: usize) -> usize {
        self.to[a ^ 1] as usize
    }

    fn build_adjacency(&mut self) {
        let mut deg = vec![0u32; self.n + 1];
        for a in 0..self.to.len() {
            deg[self.tail(a)] += 1;
        }
        let mut first = vec![0u32; self.n + 1];
        for v in 0..self.n {
            first[v + 1] = first[v] + deg[v];
        }
        let mut fill = first.clone();
        let mut adj = vec![0u32; self.to.len()];
        for a in 0..self.to.len() {
            let u = self.tail(a);
            adj[fill[u] as usize] = a as u32;
            fill[u] += 1;
        }
        self.first = first;
        self.adj = adj;
    }

    /// Initial potentials: shortest distances from `s` over the arcs with
    /// capacity (the networks built by the planner are acyclic, so a
    /// topological order exists; Kahn's algorithm finds it).
    fn init_potentials(&mut self, s: usize) {
        let mut indeg = vec![0u32; self.n];
        for a in 0..self.to.len() {
            if self.cap[a] > 0 {
                indeg[self.to[a] as usize] += 1;
            }
        }
        let mut order = Vec::with_capacity(self.n);
        order.extend((0..self.n).filter(|&v| indeg[v] == 0));
        let mut i = 0;
        while i < order.len() {
            let u = order[i];
            i += 1;
            for k in self.first[u]..self.first[u + 1] {
                let a = self.adj[k as usize] as usize;
                if self.cap[a] > 0 {
                    let v = self.to[a] as usize;
                    indeg[v] -= 1;
                    if indeg[v] == 0 {
                        order.push(v);
                    }
                }
            }
        }
        assert_eq!(order.len(), self.n, "planner networks are acyclic");
        let mut dist = vec![C::INF; self.n];
        dist[s] = C::ZERO;
        for &u in &order {
            if dist[u] == C::INF {
                continue;
            }
            for k in self.first[u]..self.first[u + 1] {
                let a = self.adj[k as usize] as usize;
                if self.cap[a] > 0 {
                    let v = self.to[a] as usize;
                    let nd = dist[u] + self.cost[a];
                    if nd < dist[v] {
                        dist[v] = nd;
                    }
                }
            }
        }
        // Nodes unreachable from `s` stay unreachable forever (flow only
        // ever runs through reachable nodes): any potential will do.
        self.pot = dist
            .into_iter()
            .map(|d| if d == C::INF { C::ZERO } else { d })
            .collect();
    }

    fn reduced(&self, a: usize, u: usize) -> C {
        self.cost[a] + self.pot[u] - self.pot[self.to[a] as usize]
    }

    /// Dijkstra on reduced costs, stopped once `t` is settled; updates the
    /// potentials. Returns false when `t` is unreachable.
    fn dijkstra(&mut self, s: usize, t: usize, dist: &mut [C], done: &mut [bool]) -> bool {
        dist.fill(C::INF);
        done.fill(false);
        let mut heap = BinaryHeap::new();
        dist[s] = C::ZERO;
        heap.push(Reverse((C::ZERO, s as u32)));
        let mut reached = false;
        while let Some(Reverse((d, u))) = heap.pop() {
            let u = u as usize;
            if done[u] || d > dist[u] {
                continue;
            }
            done[u] = true;
            if u == t {
                reached = true;
                break;
            }
            for k in self.first[u]..self.first[u + 1] {
                let a = self.adj[k as usize] as usize;
                if self.cap[a] == 0 {
                    continue;
                }
                let v = self.to[a] as usize;
                if done[v] {
                    continue;
                }
                let nd = d + self.reduced(a, u);
                if nd < dist[v] {
                    dist[v] = nd;
                    heap.push(Reverse((nd, v as u32)));
                }
            }
        }
        if !reached {
            return false;
        }
        let cutoff = dist[t];
        for v in 0..self.n {
            let d = if done[v] { dist[v] } else { cutoff };
            self.pot[v] = self.pot[v] + d.min(cutoff);
        }
        true
    }

    /// Maximum flow from `s` to `t` over arcs of reduced cost 0 (Dinic).
    fn blocking_flow(&mut self, s: usize, t: usize, level: &mut [i32], it: &mut [u32]) -> i64 {
        let mut total = 0i64;
        let mut queue: Vec<u32> = Vec::new();
        let mut path: Vec<u32> = Vec::new();
        loop {
            level.fill(-1);
            level[s] = 0;
            queue.clear();
            queue.push(s as u32);
            let mut qi = 0;
            while qi < queue.len() {
                let u = queue[qi] as usize;
                qi += 1;
                for k in self.first[u]..self.first[u + 1] {
                    let a = self.adj[k as usize] as usize;
                    let v = self.to[a] as usize;
                    if self.cap[a] > 0 && level[v] < 0 && self.reduced(a, u) == C::ZERO {
                        level[v] = level[u] + 1;
                        queue.push(v as u32);
                    }
                }
            }
            if level[t] < 0 {
                return total;
            }
            it.copy_from_slice(&self.first[..self.n]);
            path.clear();
            let mut u = s;
            loop {
                if u == t {
                    let f = path
                        .iter()
                        .map(|&a| self.cap[a as usize])
                        .min()
                        .unwrap_or(0);
                    for &a in &path {
                        self.cap[a as usize] -= f;
                        self.cap[a as usize ^ 1] += f;
                    }
                    total += f;
                    let k = path
                        .iter()
                        .position(|&a| self.cap[a as usize] == 0)
                        .unwrap_or(0);
                    path.truncate(k);
                    u = match path.last() {
                        Some(&a) => self.to[a as usize] as usize,
                        None => s,
                    };
                    continue;
                }
                let end = self.first[u + 1];
                let mut next = None;
                while it[u] < end {
                    let a = self.adj[it[u] as usize] as usize;
                    let v = self.to[a] as usize;
                    if self.cap[a] > 0 && level[v] == level[u] + 1 && self.reduced(a, u) == C::ZERO
                    {
                        next = Some(a);
                        break;
                    }
                    it[u] += 1;
                }
                match next {
                    Some(a) => {
                        path.push(a as u32);
                        u = self.to[a] as usize;
                    }
                    None => {
                        if u == s {
                            break;
                        }
                        level[u] = -1;
                        let a = path.pop().map(|a| a as usize).unwrap_or(0);
                        u = self.tail(a);
                        it[u] += 1;
                    }
                }
            }
        }
    }

    /// Sends a maximum flow from `s` to `t` of minimum cost; returns its
    /// value. The initial network (arcs with capacity) must be acyclic.
    pub(crate) fn min_cost_max_flow(&mut self, s: usize, t: usize) -> i64 {
        self.build_adjacency();
        self.init_potentials(s);
        let mut dist = vec![C::INF; self.n];
        let mut done = vec![false; self.n];
        let mut level = vec![-1i32; self.n];
        let mut it = vec![0u32; self.n];
        let mut total = 0;
        self.phases = 0;
        while self.dijkstra(s, t, &mut dist, &mut done) {
            self.phases += 1;
            let f = self.blocking_flow(s, t, &mut level, &mut it);
            if f == 0 {
                // Cannot happen (the sink is reachable on admissible arcs
                // after the potential update); guards against a loop.
                break;
            }
            total += f;
        }
        total
    }

    /// Total cost of the current flow.
    #[cfg(test)]
    pub(crate) fn total_cost(&self) -> C {
        let mut c = C::ZERO;
        for a in (0..self.to.len()).step_by(2) {
            let f = self.flow(a);
            if f > 0 {
                c = c + C::from_i64(f) * self.cost[a];
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force min-cost assignment on a tiny bipartite instance
    /// compared with the flow.
    #[test]
    fn matches_brute_force_on_small_assignment_problems() {
        use rand::{rngs::StdRng, Rng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..300 {
            let n_left = rng.random_range(1..=5usize);
            let n_right = rng.random_range(1..=3usize);
            let caps: Vec<i64> = (0..n_right).map(|_| rng.random_range(0..=2)).collect();
            let w: Vec<Vec<Option<i64>>> = (0..n_left)
                .map(|_| {
                    (0..n_right)
                        .map(|_| {
                            if rng.random_bool(0.7) {
                                Some(rng.random_range(-5..=5))
                            } else {
                                None
                            }
                        })
                        .collect()
                })
                .collect();
            // brute force: maximise matched count, then minimise cost
            let mut best: (i64, i64) = (0, 0);
            let mut choice = vec![usize::MAX; n_left];
            fn rec(
                i: usize,
                choice: &mut Vec<usize>,
                caps: &[i64],
                w: &[Vec<Option<i64>>],
                best: &mut (i64, i64),
            ) {
                if i == choice.len() {
                    let mut used = vec![0i64; caps.len()];
                    let (mut n, mut c) = (0, 0);
                    for (l, &r) in choice.iter().enumerate() {
                        if r != usize::MAX {
                            used[r] += 1;
                            n += 1;
                            c += w[l][r].unwrap_or(0);
                        }
                    }
                    if used.iter().zip(caps).all(|(u, c)| u <= c)
                        && (n > best.0 || (n == best.0 && c < best.1))
                    {
                        *best = (n, c);
                    }
                    return;
                }
                choice[i] = usize::MAX;
                rec(i + 1, choice, caps, w, best);
                for r in 0..caps.len() {
                    if w[i][r].is_some() {
                        choice[i] = r;
                        rec(i + 1, choice, caps, w, best);
                    }
                }
                choice[i] = usize::MAX;
            }
            rec(0, &mut choice, &caps, &w, &mut best);
            for wide in [false, true] {
                let (flow, cost) = if wide {
                    let (f, c) = solve::<i128>(n_left, n_right, &caps, &w);
                    (f, c as i64)
                } else {
                    solve::<i64>(n_left, n_right, &caps, &w)
                };
                assert_eq!((flow, cost), best, "caps {caps:?} w {w:?}");
            }
        }
    }

    fn solve<C: Cost>(
        n_left: usize,
        n_right: usize,
        caps: &[i64],
        w: &[Vec<Option<i64>>],
    ) -> (i64, C) {
        let s = 0;
        let t = 1;
        let mut net = Network::<C>::new(2 + n_left + n_right);
        for (l, row) in w.iter().enumerate().take(n_left) {
            net.add_arc(s, 2 + l, 1, C::ZERO);
            for (r, cost) in row.iter().enumerate().take(n_right) {
                if let Some(c) = *cost {
                    net.add_arc(2 + l, 2 + n_left + r, 1, C::from_i64(c));
                }
            }
        }
        for (r, &c) in caps.iter().enumerate() {
            net.add_arc(2 + n_left + r, t, c, C::ZERO);
        }
        let f = net.min_cost_max_flow(s, t);
        (f, net.total_cost())
    }
}
