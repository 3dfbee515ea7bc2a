//! The assignment engine shared by [`crate::planning::plan`] and
//! [`crate::planning::rebalance`]: places *candidates* (beneficiaries to
//! give a caller) into the capacity left by *fixed* assignments.
//!
//! Objectives, lexicographic:
//! 1. coverage by need ([`crate::planning::coverage`]): the Gale-optimal
//!    set `S` of candidates to serve;
//! 2. stability: keep the caller already planned for this week (an
//!    existing, not yet called assignment that is still valid);
//! 3. continuity: last week's caller;
//! 4. territory: caller's preferred territory = beneficiary's territory;
//! 5. balance of load ratios (heuristic, see stage 3).
//!
//! **Stage 2 (exact for 2–4).** With `S` fixed, choosing callers is a
//! maximum-weight b-matching in which every member of `S` must be matched.
//! Edge value = `Ws·[existing caller] + Wc·[last caller] + Wt·[territory]`
//! with `Wt = 1`, `Wc = |S| + 1` (more than any territory total) and
//! `Ws = (|S| + 1)²` (more than any continuity + territory total), so
//! maximising the value is the lexicographic optimum of 2, 3, 4. A
//! beneficiary's value for a caller only depends on its language `ℓ`,
//! territory `t`, planned caller `e` and last caller `l`, so beneficiaries
//! with the same `(ℓ, t, e, l)` are interchangeable: they form one *class*
//! node with supply = their number. Non-special callers are reached
//! through group nodes `G(ℓ, t)` (callers speaking `ℓ` who prefer `t`,
//! value `Wt`) and `G(ℓ, *)` (any caller speaking `ℓ`, value 0). The
//! network (source → classes → {e, l, G(ℓ,t), G(ℓ,*)}; groups → callers →
//! sink with residual capacity) has tens of thousands of nodes for a
//! million beneficiaries; a min-cost max-flow on it ([`crate::planning::flow`])
//! is exact, and its integral flow splits back into individual
//! assignments because members of a class are identical.
//!
//! **Stage 3 (territory exact, balance heuristic).** Stage 2 fixes who is
//! *kept* by a special caller (`e` or `l`). The others ("flexible": new
//! beneficiaries, those whose caller left or is full) are redistributed:
//! a small transportation problem from pools `(ℓ, t)` to caller types
//! (same languages, same preferred territory; callers of a type are
//! interchangeable) maximises territory matches first — so the total
//! stays equal to stage 2's optimum: stage 2's own distribution is a
//! candidate, and doing better would contradict stage 2's optimality —
//! and then, through capacity *bands* of increasing cost (load ratio up to
//! 1/32, 2/32, … of capacity), spreads the load evenly across types.
//! Within a type, units go one by one to the caller whose load ratio after
//! the assignment is lowest (ties: smallest caller id). Stability and
//! continuity cannot change in stage 3 (a flexible beneficiary landing on
//! its own special caller would beat stage 2's optimum).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use crate::planning::coverage;
use crate::planning::flow::{Cost, Network, UNBOUNDED};
use crate::planning::input::priority_key;
use crate::planning::prepare::{Prepared, NONE};

/// Outcome marker: not served, capacity.
pub(crate) const UNSERVED_CAPACITY: u32 = u32::MAX;
/// Outcome marker: no available caller speaks the language.
pub(crate) const UNSERVED_LANGUAGE: u32 = u32::MAX - 1;
/// Outcome marker (rebalance): left as it was, without caller.
pub(crate) const NOT_PLANNED: u32 = u32::MAX - 2;

/// Number of load-ratio bands used to balance load across caller types.
const BANDS: u64 = 32;

/// Internal figures, for tests and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EngineStats {
    pub(crate) classes: usize,
    pub(crate) stage2_nodes: usize,
    pub(crate) stage2_phases: usize,
    pub(crate) stage3_phases: usize,
    pub(crate) wide_costs: bool,
    /// Test hook (input): use `i128` costs whatever the size.
    pub(crate) force_wide: bool,
}

/// Places `cands` (beneficiary positions). `preferred[i]` is the caller
/// position of candidate `i`'s existing, not yet called assignment (or
/// `NONE`); `base_load[c]` is what fixed assignments already use of caller
/// `c`. Returns, per candidate, a caller position or an `UNSERVED_*`
/// marker.
pub(crate) fn assign(
    p: &Prepared<'_>,
    base_load: &[u32],
    cands: &[u32],
    preferred: &[u32],
    stats: &mut EngineStats,
) -> Vec<u32> {
    let nc = p.callers.len();
    let nl = p.langs.len();
    let resid: Vec<u32> = (0..nc)
        .map(|c| p.cap(c).saturating_sub(base_load[c]))
        .collect();
    let mut out = vec![UNSERVED_CAPACITY; cands.len()];
    if cands.is_empty() {
        return out;
    }

    // Priority order (ids are unique, so the order is total).
    let mut keyed: Vec<(u128, u32)> = cands
        .iter()
        .enumerate()
        .map(|(i, &b)| (priority_key(p.bens[b as usize]).as_u128(), i as u32))
        .collect();
    keyed.sort_unstable();
    let order: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();

    // ---- Stage 1: coverage -------------------------------------------
    let mut lang_has_caller = vec![false; nl];
    let mut type_of_row: BTreeMap<&[u64], usize> = BTreeMap::new();
    let mut type_cap: Vec<u64> = Vec::new();
    for (c, &room) in resid.iter().enumerate() {
        if p.cap(c) == 0 {
            continue;
        }
        let row = p.lang_row(c);
        for (l, has) in lang_has_caller.iter_mut().enumerate() {
            *has |= p.speaks(c, l as u16);
        }
        if room > 0 && row.iter().any(|&w| w != 0) {
            let next = type_of_row.len();
            let t = *type_of_row.entry(row).or_insert(next);
            if t == type_cap.len() {
                type_cap.push(0);
            }
            type_cap[t] += u64::from(room);
        }
    }
    // Types were numbered in caller order; renumber in row order so the
    // numbering only depends on the set of rows.
    let mut type_langs: Vec<Vec<u16>> = vec![Vec::new(); type_cap.len()];
    let mut caps_sorted = vec![0u64; type_cap.len()];
    for (rank, (row, &t)) in type_of_row.iter().enumerate() {
        caps_sorted[rank] = type_cap[t];
        type_langs[rank] = (0..nl)
            .filter(|&l| row[l / 64] & (1 << (l % 64)) != 0)
            .map(|l| l as u16)
            .collect();
    }
    let mut demand: Vec<u16> = Vec::with_capacity(order.len());
    let mut demand_idx: Vec<u32> = Vec::with_capacity(order.len());
    for &i in &order {
        let l = p.ben_lang[cands[i as usize] as usize];
        if lang_has_caller[usize::from(l)] {
            demand.push(l);
            demand_idx.push(i);
        } else {
            out[i as usize] = UNSERVED_LANGUAGE;
        }
    }
    let selected = coverage::select(nl, &demand, &type_langs, &caps_sorted);
    // Covered candidates, in priority order.
    let covered: Vec<u32> = demand_idx
        .iter()
        .zip(&selected)
        .filter(|(_, &s)| s)
        .map(|(&i, _)| i)
        .collect();
    if covered.is_empty() {
        return out;
    }

    // ---- Stage 2: stability, continuity, territory (exact) ------------
    let special = |c: u32, l: u16| -> u32 {
        if c != NONE && resid[c as usize] > 0 && p.speaks(c as usize, l) {
            c
        } else {
            NONE
        }
    };
    // Class key: (ℓ, t, e, l) packed; sort with the priority rank so the
    // neediest members of a class come first.
    let mut items: Vec<(u128, u32)> = covered
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let b = cands[i as usize] as usize;
            let l = p.ben_lang[b];
            let e = special(preferred[i as usize], l);
            let last = special(p.ben_last[b], l);
            let key = (u128::from(l) << 96)
                | (u128::from(p.ben_terr[b]) << 64)
                | (u128::from(e) << 32)
                | u128::from(last);
            (key, rank as u32)
        })
        .collect();
    items.sort_unstable();
    // Cost width: potentials stay within a few times (nodes × largest arc
    // cost) — the sink's distance, summed over phases, is bounded by one
    // simple path — so i64 is exact when 16 × nodes × max cost fits.
    let n = covered.len() as u128;
    let wc = n + 1;
    let ws = (n + 1) * (n + 1);
    let max_edge = ws + wc + 1;
    let n_classes = 1 + items.windows(2).filter(|w| w[0].0 != w[1].0).count();
    let mut prefs: Vec<u32> = p
        .caller_pref
        .iter()
        .copied()
        .filter(|&t| t != NONE)
        .collect();
    prefs.sort_unstable();
    prefs.dedup();
    let node_bound = (2 + nc + nl * (1 + prefs.len()) + n_classes) as u128;
    let fits_i64 = max_edge.saturating_mul(node_bound).saturating_mul(16) < i64::MAX as u128;
    stats.wide_costs = stats.force_wide || !fits_i64;
    let (kept_flow, caller_kept) = if !stats.wide_costs {
        stage2::<i64>(p, &resid, &items, wc as i64, ws as i64, stats)
    } else {
        stage2::<i128>(p, &resid, &items, wc as i128, ws as i128, stats)
    };

    // Split classes back into people.
    let mut pools: BTreeMap<(u16, u32), Vec<u32>> = BTreeMap::new();
    let mut start = 0;
    for &(fe, fl) in &kept_flow {
        let key = items[start].0;
        let mut end = start;
        while end < items.len() && items[end].0 == key {
            end += 1;
        }
        let lang = (key >> 96) as u16;
        let terr = (key >> 64) as u32;
        let e = (key >> 32) as u32;
        let last = key as u32;
        for (j, &(_, rank)) in items[start..end].iter().enumerate() {
            let cand = covered[rank as usize] as usize;
            let j = j as i64;
            if j < fe {
                out[cand] = e;
            } else if j < fe + fl {
                out[cand] = last;
            } else {
                pools.entry((lang, terr)).or_default().push(rank);
            }
        }
        start = end;
    }
    for members in pools.values_mut() {
        members.sort_unstable();
    }

    // ---- Stage 3: flexible beneficiaries, territory then balance -------
    let room: Vec<u32> = (0..nc).map(|c| resid[c] - caller_kept[c]).collect();
    let load0: Vec<u32> = (0..nc).map(|c| base_load[c] + caller_kept[c]).collect();
    let flex = stage3(p, &room, &load0, &pools, stats);
    for ((_, members), callers) in pools.iter().zip(flex) {
        for (&rank, c) in members.iter().zip(callers) {
            out[covered[rank as usize] as usize] = c;
        }
    }
    out
}

/// Builds and solves the stage-2 network. Returns, per class (runs of equal
/// keys in `items`), the flow kept by `e` and by `l`, and per caller the
/// number of beneficiaries kept.
fn stage2<C: Cost>(
    p: &Prepared<'_>,
    resid: &[u32],
    items: &[(u128, u32)],
    wc: C,
    ws: C,
    stats: &mut EngineStats,
) -> (Vec<(i64, i64)>, Vec<u32>) {
    let nc = p.callers.len();
    let nl = p.langs.len();
    let wt = C::from_i64(1);
    let zero = C::ZERO;
    // Classes.
    struct Class {
        lang: u16,
        terr: u32,
        e: u32,
        l: u32,
        size: i64,
    }
    let mut classes: Vec<Class> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let key = items[i].0;
        let mut j = i;
        while j < items.len() && items[j].0 == key {
            j += 1;
        }
        classes.push(Class {
            lang: (key >> 96) as u16,
            terr: (key >> 64) as u32,
            e: (key >> 32) as u32,
            l: key as u32,
            size: (j - i) as i64,
        });
        i = j;
    }
    // Nodes: 0 source, 1 sink, callers with room, groups, classes.
    let mut node_of_caller = vec![NONE; nc];
    let mut next = 2usize;
    for c in 0..nc {
        if resid[c] > 0 {
            node_of_caller[c] = next as u32;
            next += 1;
        }
    }
    let mut g_any = vec![NONE; nl];
    let mut g_terr: BTreeMap<(u16, u32), u32> = BTreeMap::new();
    for (c, _) in resid.iter().enumerate().filter(|(_, &r)| r > 0) {
        for l in 0..nl as u16 {
            if p.speaks(c, l) {
                g_any[usize::from(l)] = 0;
                if p.caller_pref[c] != NONE {
                    g_terr.insert((l, p.caller_pref[c]), 0);
                }
            }
        }
    }
    for g in g_any.iter_mut().filter(|g| **g == 0) {
        *g = next as u32;
        next += 1;
    }
    for g in g_terr.values_mut() {
        *g = next as u32;
        next += 1;
    }
    let first_class = next;
    let n_nodes = first_class + classes.len();
    stats.classes = classes.len();
    stats.stage2_nodes = n_nodes;
    let mut net = Network::<C>::new(n_nodes);
    net.reserve(nc * 4 + classes.len() * 5);
    for c in 0..nc {
        if resid[c] == 0 {
            continue;
        }
        let cn = node_of_caller[c] as usize;
        for l in 0..nl as u16 {
            if p.speaks(c, l) {
                net.add_arc(g_any[usize::from(l)] as usize, cn, UNBOUNDED, zero);
                if p.caller_pref[c] != NONE {
                    let g = g_terr[&(l, p.caller_pref[c])];
                    net.add_arc(g as usize, cn, UNBOUNDED, zero);
                }
            }
        }
        net.add_arc(cn, 1, i64::from(resid[c]), zero);
    }
    let terr_bonus = |c: u32, t: u32| -> C {
        if t != NONE && p.caller_pref[c as usize] == t {
            wt
        } else {
            zero
        }
    };
    let mut arcs: Vec<(usize, usize)> = Vec::with_capacity(classes.len());
    for (k, cl) in classes.iter().enumerate() {
        let node = first_class + k;
        net.add_arc(0, node, cl.size, zero);
        let mut arc_e = usize::MAX;
        let mut arc_l = usize::MAX;
        if cl.e != NONE {
            let mut value = ws + terr_bonus(cl.e, cl.terr);
            if cl.l == cl.e {
                value = value + wc;
            }
            arc_e = net.add_arc(
                node,
                node_of_caller[cl.e as usize] as usize,
                cl.size,
                zero - value,
            );
        }
        if cl.l != NONE && cl.l != cl.e {
            let value = wc + terr_bonus(cl.l, cl.terr);
            arc_l = net.add_arc(
                node,
                node_of_caller[cl.l as usize] as usize,
                cl.size,
                zero - value,
            );
        }
        if cl.terr != NONE {
            if let Some(&g) = g_terr.get(&(cl.lang, cl.terr)) {
                net.add_arc(node, g as usize, cl.size, zero - wt);
            }
        }
        net.add_arc(node, g_any[usize::from(cl.lang)] as usize, cl.size, zero);
        arcs.push((arc_e, arc_l));
    }
    net.min_cost_max_flow(0, 1);
    stats.stage2_phases = net.phases;
    let mut kept = vec![0u32; nc];
    let flows = classes
        .iter()
        .zip(&arcs)
        .map(|(cl, &(ae, al))| {
            let fe = if ae == usize::MAX { 0 } else { net.flow(ae) };
            let fl = if al == usize::MAX { 0 } else { net.flow(al) };
            if fe > 0 {
                kept[cl.e as usize] += fe as u32;
            }
            if fl > 0 {
                kept[cl.l as usize] += fl as u32;
            }
            (fe, fl)
        })
        .collect();
    (flows, kept)
}

/// Stage 3: assigns the pooled flexible beneficiaries. Returns, for each
/// pool (in `pools` order), the caller position of each member.
fn stage3(
    p: &Prepared<'_>,
    room: &[u32],
    load0: &[u32],
    pools: &BTreeMap<(u16, u32), Vec<u32>>,
    stats: &mut EngineStats,
) -> Vec<Vec<u32>> {
    let total: u64 = pools.values().map(|v| v.len() as u64).sum();
    if total == 0 {
        return pools.values().map(|_| Vec::new()).collect();
    }
    // Caller types: same languages and preferred territory.
    type TypeKey<'r> = (&'r [u64], u32);
    let mut types: BTreeMap<TypeKey<'_>, Vec<u32>> = BTreeMap::new();
    for (c, _) in room.iter().enumerate().filter(|(_, &r)| r > 0) {
        types
            .entry((p.lang_row(c), p.caller_pref[c]))
            .or_default()
            .push(c as u32);
    }
    let types: Vec<(TypeKey<'_>, Vec<u32>)> = types.into_iter().collect();
    let n_pools = pools.len();
    let n_types = types.len();
    let w = (total as i64 + 1) * BANDS as i64;
    let mut net = Network::<i64>::new(2 + n_pools + n_types);
    let mut pool_arcs: Vec<Vec<(usize, usize)>> = Vec::with_capacity(n_pools);
    for (pi, (&(lang, terr), members)) in pools.iter().enumerate() {
        net.add_arc(0, 2 + pi, members.len() as i64, 0);
        let mut v = Vec::new();
        for (ti, ((row, pref), _)) in types.iter().enumerate() {
            let l = usize::from(lang);
            if row[l / 64] & (1 << (l % 64)) == 0 {
                continue;
            }
            let cost = if terr != NONE && *pref == terr { -w } else { 0 };
            let a = net.add_arc(2 + pi, 2 + n_pools + ti, UNBOUNDED, cost);
            v.push((ti, a));
        }
        pool_arcs.push(v);
    }
    for (ti, (_, callers)) in types.iter().enumerate() {
        // Room usable while keeping each caller's load ratio <= k/BANDS.
        let mut prev = 0u64;
        for k in 1..=BANDS {
            let upto: u64 = callers
                .iter()
                .map(|&c| {
                    let c = c as usize;
                    let cap = u64::from(p.cap(c));
                    let limit = if k == BANDS { cap } else { cap * k / BANDS };
                    limit
                        .saturating_sub(u64::from(load0[c]))
                        .min(u64::from(room[c]))
                })
                .sum();
            if upto > prev {
                net.add_arc(2 + n_pools + ti, 1, (upto - prev) as i64, k as i64 - 1);
            }
            prev = upto;
        }
    }
    net.min_cost_max_flow(0, 1);
    stats.stage3_phases = net.phases;

    // Water-filling inside each type.
    let mut amount = vec![0u64; n_types];
    for arcs in &pool_arcs {
        for &(ti, a) in arcs {
            amount[ti] += net.flow(a) as u64;
        }
    }
    let mut slots: Vec<Vec<(u32, u32)>> = Vec::with_capacity(n_types);
    for (ti, (_, callers)) in types.iter().enumerate() {
        let mut heap: BinaryHeap<Fill> = callers
            .iter()
            .map(|&c| Fill {
                load: u64::from(load0[c as usize]),
                cap: u64::from(p.cap(c as usize)),
                left: room[c as usize],
                pos: c,
            })
            .collect();
        let mut got: BTreeMap<u32, u32> = BTreeMap::new();
        for _ in 0..amount[ti] {
            let Some(mut f) = heap.pop() else { break };
            *got.entry(f.pos).or_default() += 1;
            f.load += 1;
            f.left -= 1;
            if f.left > 0 {
                heap.push(f);
            }
        }
        slots.push(got.into_iter().collect());
    }
    // Hand the slots out: pools in order, each pool's members in priority
    // order, each type's slots in caller order.
    let mut cursor = vec![(0usize, 0u32); n_types];
    let mut result = Vec::with_capacity(n_pools);
    for (pi, members) in pools.values().enumerate() {
        let mut assigned = Vec::with_capacity(members.len());
        for &(ti, a) in &pool_arcs[pi] {
            for _ in 0..net.flow(a) {
                let (idx, used) = &mut cursor[ti];
                let (caller, count) = slots[ti][*idx];
                assigned.push(caller);
                *used += 1;
                if *used == count {
                    *idx += 1;
                    *used = 0;
                }
            }
        }
        result.push(assigned);
    }
    result
}

/// A caller in the water-filling heap: pops the lowest load ratio after
/// one more assignment, `(load + 1) / cap`, then the smallest position.
struct Fill {
    load: u64,
    cap: u64,
    left: u32,
    pos: u32,
}

impl Ord for Fill {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: "greater" = lower ratio.
        let a = (self.load + 1) * other.cap;
        let b = (other.load + 1) * self.cap;
        b.cmp(&a).then_with(|| other.pos.cmp(&self.pos))
    }
}

impl PartialOrd for Fill {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Fill {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Fill {}
