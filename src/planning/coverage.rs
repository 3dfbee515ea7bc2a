//! Stage 1: who gets a caller at all.
//!
//! The sets of beneficiaries that can be served together (each by a
//! caller speaking their language, within residual capacities) are the
//! independent sets of a transversal matroid (a beneficiary is matched to
//! one of `capacity` slots of a compatible caller). For a matroid, the
//! greedy algorithm — take the elements in priority order, keep one when
//! it stays independent — returns the *Gale-optimal* basis: of maximum
//! size, and whose k-th neediest member is at least as needy as the k-th
//! neediest member of any other coverable set, for every k. So: as many
//! beneficiaries as capacity allows, and nobody left out while a less
//! needy one is served unless serving both is impossible.
//!
//! Independence only depends on how many beneficiaries of each language
//! are selected, and callers with the same set of languages are
//! interchangeable, so the test runs on a tiny aggregated graph: language
//! classes on one side, caller *types* (same languages) with their summed
//! residual capacity on the other. Adding one beneficiary is one
//! augmenting-path search (BFS over the few classes and types). Once a
//! language class cannot grow it never can again (parallel elements, and
//! the span of a growing set only grows), so it is marked blocked and its
//! remaining members are skipped in O(1).

use crate::planning::flow::Network;

/// Selects, for demand listed in priority order (`demand[i]` = language
/// class of the i-th neediest), which entries are served.
///
/// `type_langs[τ]` lists the classes caller type τ speaks, `type_cap[τ]`
/// its total residual capacity.
pub(crate) fn select(
    n_classes: usize,
    demand: &[u16],
    type_langs: &[Vec<u16>],
    type_cap: &[u64],
) -> Vec<bool> {
    let n_types = type_cap.len();
    // Fast path: everybody fits (checked with one small max-flow).
    let mut totals = vec![0i64; n_classes];
    for &l in demand {
        totals[usize::from(l)] += 1;
    }
    {
        let mut net = Network::<i64>::new(2 + n_classes + n_types);
        for (l, &d) in totals.iter().enumerate() {
            if d > 0 {
                net.add_arc(0, 2 + l, d, 0);
            }
        }
        for (t, langs) in type_langs.iter().enumerate() {
            for &l in langs {
                if totals[usize::from(l)] > 0 {
                    net.add_arc(
                        2 + usize::from(l),
                        2 + n_classes + t,
                        crate::planning::flow::UNBOUNDED,
                        0,
                    );
                }
            }
            net.add_arc(2 + n_classes + t, 1, type_cap[t] as i64, 0);
        }
        let want: i64 = totals.iter().sum();
        if net.min_cost_max_flow(0, 1) == want {
            return vec![true; demand.len()];
        }
    }

    // Greedy with unit augmenting paths.
    let mut classes_of: Vec<Vec<usize>> = vec![Vec::new(); n_types];
    let mut types_of: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (t, langs) in type_langs.iter().enumerate() {
        for &l in langs {
            types_of[usize::from(l)].push(t);
            classes_of[t].push(usize::from(l));
        }
    }
    let mut x = vec![vec![0u64; n_types]; n_classes];
    let mut used = vec![0u64; n_types];
    let mut blocked = vec![false; n_classes];
    let mut n_blocked = 0;
    let mut selected = vec![false; demand.len()];
    // BFS scratch
    let mut class_parent = vec![usize::MAX; n_classes];
    let mut type_parent = vec![usize::MAX; n_types];
    let mut queue: Vec<usize> = Vec::with_capacity(n_classes);
    for (i, &l) in demand.iter().enumerate() {
        let l = usize::from(l);
        if blocked[l] {
            continue;
        }
        // Direct room first (the common case).
        if let Some(&t) = types_of[l].iter().find(|&&t| used[t] < type_cap[t]) {
            used[t] += 1;
            x[l][t] += 1;
            selected[i] = true;
            continue;
        }
        class_parent.fill(usize::MAX);
        type_parent.fill(usize::MAX);
        queue.clear();
        queue.push(l);
        class_parent[l] = l;
        let mut found = None;
        let mut qi = 0;
        'bfs: while qi < queue.len() {
            let c = queue[qi];
            qi += 1;
            for &t in &types_of[c] {
                if type_parent[t] != usize::MAX {
                    continue;
                }
                type_parent[t] = c;
                if used[t] < type_cap[t] {
                    found = Some(t);
                    break 'bfs;
                }
                for &c2 in &classes_of[t] {
                    if class_parent[c2] == usize::MAX && x[c2][t] > 0 {
                        class_parent[c2] = t;
                        queue.push(c2);
                    }
                }
            }
        }
        match found {
            Some(mut t) => {
                used[t] += 1;
                loop {
                    let c = type_parent[t];
                    x[c][t] += 1;
                    if c == l {
                        break;
                    }
                    // c moves one member off the type it came through.
                    let t_prev = class_parent[c];
                    x[c][t_prev] -= 1;
                    t = t_prev;
                }
                selected[i] = true;
            }
            None => {
                blocked[l] = true;
                n_blocked += 1;
                if n_blocked == n_classes {
                    break;
                }
            }
        }
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everybody_fits() {
        let s = select(2, &[0, 1, 0], &[vec![0, 1]], &[3]);
        assert_eq!(s, vec![true; 3]);
    }

    #[test]
    fn greedy_by_priority_with_rerouting() {
        // classes: 0 = fr, 1 = ar. type 0 speaks fr+ar (cap 1), type 1 fr (cap 1).
        // demand in priority order: fr, ar, fr. The first fr takes type 0
        // (direct room), then ar needs type 0: augmenting path moves fr to
        // type 1. The last fr has no room.
        let s = select(2, &[0, 1, 0], &[vec![0, 1], vec![0]], &[1, 1]);
        assert_eq!(s, vec![true, true, false]);
    }

    #[test]
    fn blocked_class_skips() {
        let s = select(2, &[1, 1, 0, 1], &[vec![0, 1]], &[2]);
        assert_eq!(s, vec![true, true, false, false]);
    }
}
