//! Figures of a plan for `--json` and the coordinator page.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::IsoWeek;
use crate::planning::output::{AssignmentStatus, PlannedAssignment, RemovedAssignment, Unassigned};
use crate::planning::prepare::{CallerState, Prepared, NONE};
use crate::planning::reasons::{Reason, RemovalCause, UnassignedReason};

/// Totals of a [`crate::planning::Plan`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub week: IsoWeek,
    /// `"plan"` or `"rebalance"`.
    pub mode: &'static str,
    /// Eligible beneficiaries (the input's, duplicates merged).
    pub eligible: usize,
    /// Eligible beneficiaries with a caller.
    pub assigned: usize,
    /// Eligible beneficiaries without a caller.
    pub unassigned: usize,
    /// `unassigned` by reason code (every code present, zeros included).
    pub unassigned_by_reason: BTreeMap<&'static str, usize>,
    /// Assignments by status (all of `Plan::assignments`).
    pub new: usize,
    pub kept: usize,
    pub moved: usize,
    /// Rows of `Plan::removed` (moved ones included).
    pub removed: usize,
    /// Called assignments of beneficiaries no longer eligible, left alone.
    pub kept_outside_population: usize,
    pub continuity: Continuity,
    /// Eligible assignments whose caller prefers the beneficiary's
    /// territory.
    pub territory_matches: usize,
    /// Load ratio (assignments / capacity) over callers with capacity > 0.
    pub load: LoadStats,
    /// Active callers in the input.
    pub callers: usize,
    pub callers_with_capacity: usize,
    /// Callers with at least one assignment.
    pub callers_used: usize,
    /// Sum of the capacities.
    pub capacity: u64,
    /// Counts by reason code ("explain"), assignments then unassigned then
    /// removals, in each family's precedence order; zero counts omitted.
    pub explain: Vec<ExplainLine>,
    /// Per territory of the beneficiaries (`null` = no territory), sorted.
    pub territories: Vec<TerritorySummary>,
}

/// Continuity with the last caller.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Continuity {
    /// Eligible beneficiaries who had a last caller.
    pub with_last_caller: usize,
    /// …whose last caller is active this week, with capacity, and speaks
    /// their language (continuity was possible).
    pub last_caller_available: usize,
    /// …who keep that caller.
    pub kept_last_caller: usize,
    /// `kept_last_caller / with_last_caller`, in %, one decimal; `null`
    /// when nobody had a last caller.
    pub percent: Option<f64>,
    /// `kept_last_caller / last_caller_available`, in %, one decimal.
    pub percent_of_available: Option<f64>,
}

/// Load ratio figures (3 decimals).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct LoadStats {
    pub min: f64,
    /// Median (mean of the two middle values for an even count).
    pub median: f64,
    pub max: f64,
}

/// Figures of one territory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TerritorySummary {
    pub territory_id: Option<i64>,
    pub eligible: usize,
    pub assigned: usize,
    pub unassigned: usize,
    pub continuity: Continuity,
}

/// One line of the explanation: how many assignments (or unassigned
/// beneficiaries, or removed rows) have this reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplainLine {
    /// `"assignment"`, `"unassigned"` or `"removed"`.
    pub kind: &'static str,
    pub code: &'static str,
    pub label: &'static str,
    pub count: usize,
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[derive(Default, Clone, Copy)]
struct ContinuityCount {
    with_last: usize,
    available: usize,
    kept: usize,
}

impl ContinuityCount {
    fn finish(self) -> Continuity {
        Continuity {
            with_last_caller: self.with_last,
            last_caller_available: self.available,
            kept_last_caller: self.kept,
            percent: percent(self.kept, self.with_last),
            percent_of_available: percent(self.kept, self.available),
        }
    }
}

/// What the assembly knows about each eligible beneficiary.
pub(crate) struct Outcomes<'a> {
    /// Final caller id and position (`NONE` if not in the callers list),
    /// per eligible beneficiary position.
    pub(crate) final_caller: &'a [Option<(i64, u32)>],
    /// Assignments per caller position.
    pub(crate) load: &'a [u32],
    pub(crate) assignments: &'a [PlannedAssignment],
    pub(crate) unassigned: &'a [Unassigned],
    pub(crate) removed: &'a [RemovedAssignment],
    pub(crate) kept_outside_population: usize,
}

pub(crate) fn summarize(p: &Prepared<'_>, mode: &'static str, o: &Outcomes<'_>) -> Summary {
    let n_terr = p.terr_ids.len();
    // Per territory (index n_terr = no territory).
    let mut terr = vec![(0usize, 0usize, ContinuityCount::default()); n_terr + 1];
    let mut all = ContinuityCount::default();
    let mut assigned = 0;
    let mut territory_matches = 0;
    for (b, ben) in p.bens.iter().enumerate() {
        let t = p.ben_terr[b];
        let slot = &mut terr[if t == NONE { n_terr } else { t as usize }];
        slot.0 += 1;
        let fin = o.final_caller[b];
        if let Some((_, pos)) = fin {
            assigned += 1;
            slot.1 += 1;
            if t != NONE && pos != NONE && p.caller_pref[pos as usize] == t {
                territory_matches += 1;
            }
        }
        if let Some(last) = ben.last_caller {
            let mut c = ContinuityCount {
                with_last: 1,
                ..Default::default()
            };
            if p.caller_state_at(p.ben_last[b], p.ben_lang[b]) == CallerState::Available {
                c.available = 1;
            }
            if fin.map(|(id, _)| id) == Some(last.caller_id) {
                c.kept = 1;
            }
            for acc in [&mut slot.2, &mut all] {
                acc.with_last += c.with_last;
                acc.available += c.available;
                acc.kept += c.kept;
            }
        }
    }
    let territories = terr
        .iter()
        .enumerate()
        .filter(|(_, s)| s.0 > 0)
        .map(|(i, s)| TerritorySummary {
            territory_id: p.terr_ids.get(i).copied(),
            eligible: s.0,
            assigned: s.1,
            unassigned: s.0 - s.1,
            continuity: s.2.finish(),
        });
    // `None` (no territory) first, like `Option`'s order.
    let mut territories: Vec<TerritorySummary> = territories.collect();
    territories.sort_by_key(|t| t.territory_id);

    let mut ratios: Vec<f64> = Vec::new();
    let mut callers_used = 0;
    let mut capacity = 0u64;
    for (c, caller) in p.callers.iter().enumerate() {
        capacity += u64::from(caller.capacity);
        if o.load[c] > 0 {
            callers_used += 1;
        }
        if caller.capacity > 0 {
            ratios.push(f64::from(o.load[c]) / f64::from(caller.capacity));
        }
    }
    ratios.sort_by(f64::total_cmp);
    let load = if ratios.is_empty() {
        LoadStats::default()
    } else {
        let m = ratios.len();
        let median = if m % 2 == 1 {
            ratios[m / 2]
        } else {
            (ratios[m / 2 - 1] + ratios[m / 2]) / 2.0
        };
        LoadStats {
            min: round3(ratios[0]),
            median: round3(median),
            max: round3(ratios[m - 1]),
        }
    };

    let (mut new, mut kept, mut moved) = (0, 0, 0);
    let mut by_reason: BTreeMap<&'static str, usize> = BTreeMap::new();
    for a in o.assignments {
        match a.status {
            AssignmentStatus::New => new += 1,
            AssignmentStatus::Kept => kept += 1,
            AssignmentStatus::Moved { .. } => moved += 1,
        }
        *by_reason.entry(a.reason.code()).or_default() += 1;
    }
    let mut unassigned_by_reason: BTreeMap<&'static str, usize> =
        UnassignedReason::CODES.iter().map(|&c| (c, 0)).collect();
    for u in o.unassigned {
        *unassigned_by_reason.entry(u.reason.code()).or_default() += 1;
    }
    let mut removed_by_cause: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in o.removed {
        *removed_by_cause.entry(r.cause.code()).or_default() += 1;
    }
    let mut explain = Vec::new();
    for code in Reason::CODES {
        if let Some(&count) = by_reason.get(code) {
            explain.push(ExplainLine {
                kind: "assignment",
                code,
                label: Reason::label_fr(code),
                count,
            });
        }
    }
    for code in UnassignedReason::CODES {
        let count = unassigned_by_reason[code];
        if count > 0 {
            explain.push(ExplainLine {
                kind: "unassigned",
                code,
                label: UnassignedReason::label_fr(code),
                count,
            });
        }
    }
    for cause in RemovalCause::ALL {
        if let Some(&count) = removed_by_cause.get(cause.code()) {
            explain.push(ExplainLine {
                kind: "removed",
                code: cause.code(),
                label: cause.text(),
                count,
            });
        }
    }

    Summary {
        week: p.week,
        mode,
        eligible: p.bens.len(),
        assigned,
        unassigned: p.bens.len() - assigned,
        unassigned_by_reason,
        new,
        kept,
        moved,
        removed: o.removed.len(),
        kept_outside_population: o.kept_outside_population,
        continuity: all.finish(),
        territory_matches,
        load,
        callers: p.callers.len(),
        callers_with_capacity: p.callers.iter().filter(|c| c.capacity > 0).count(),
        callers_used,
        capacity,
        explain,
        territories,
    }
}
