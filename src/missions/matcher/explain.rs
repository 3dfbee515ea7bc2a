//! The outcome with its reasons: why each placement, why each need is short,
//! each organisation's share, and the proof for the least-served ones.

use std::collections::BTreeMap;

use crate::domain::IsoWeek;
use crate::missions::matcher::prepare::{bits_of, intersects, Prepared, Share};
use crate::missions::matcher::state::{fits, State};
use crate::missions::model::{
    BlockingOrganisation, Exclusions, MatchOutcome, NeedProof, OrganisationProof,
    OrganisationShare, Placement, PlacementReason, Proof, Unfilled, UnfilledReason,
};
use crate::missions::qualifications::Qualification;

pub(crate) fn outcome(p: &Prepared, state: &State, week: IsoWeek) -> MatchOutcome {
    let placements = state
        .pairs()
        .into_iter()
        .map(|(n, v)| placement(p, n, v))
        .collect();
    let unfilled: Vec<Unfilled> = (0..p.needs.len() as u32)
        .filter(|&n| state.missing(p, n) > 0)
        .map(|n| unfilled(p, state, n))
        .collect();
    let mut organisations: Vec<(Share, OrganisationShare)> = (0..p.orgs.len() as u32)
        .map(|o| {
            let share = state.share(p, o);
            let org = &p.orgs[o as usize];
            (
                share,
                OrganisationShare {
                    organisation_id: org.id,
                    organisation: org.name.to_owned(),
                    wanted_minutes: org.wanted,
                    filled_minutes: share.filled,
                    share: share.as_f64(),
                },
            )
        })
        .collect();
    organisations.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.organisation_id.cmp(&b.1.organisation_id))
    });
    let proof = proof(p, state, &unfilled);
    MatchOutcome {
        week,
        placements,
        unfilled,
        organisations: organisations.into_iter().map(|(_, o)| o).collect(),
        proof,
    }
}

fn placement(p: &Prepared, n: u32, v: u32) -> Placement {
    let need = p.needs[n as usize];
    let distance = p.tier(n, v);
    let candidates = p.candidates[n as usize].len() as u32;
    let reason = if p.continuity(n, v) {
        PlacementReason::SameAsLastWeek { distance }
    } else if candidates == 1 {
        PlacementReason::OnlyCandidate { distance }
    } else {
        PlacementReason::QualifiedAndFree {
            distance,
            candidates,
        }
    };
    Placement {
        need_id: need.id,
        need_reference: need.reference.clone(),
        need_version: need.version,
        organisation_id: need.organisation_id,
        organisation: need.organisation.clone(),
        volunteer_id: p.vols[v as usize].id,
        volunteer_email: p.vols[v as usize].email.clone(),
        minutes: need.weekly_minutes,
        reason,
    }
}

/// How the pool splits for need `n` by the first rule that excludes each volunteer.
pub(crate) fn exclusions(p: &Prepared, state: &State, n: u32) -> Exclusions {
    let (qualified, free) = p.qualified_and_free(n);
    let count = |set: &[u64]| set.iter().map(|w| w.count_ones()).sum::<u32>();
    let pool = p.vols.len() as u32;
    let mut e = Exclusions {
        pool,
        without_qualification: pool - count(&qualified),
        not_available: count(&qualified) - count(&free),
        ..Exclusions::default()
    };
    let time = p.need_time.row(n as usize);
    let minutes = p.minutes(n);
    for v in bits_of(&free) {
        if p.vol_unapproved[v] {
            e.not_approved += 1;
        } else if p.vol_limit[v] < minutes {
            e.allowance_exceeded += 1;
        } else if state.vol_needs[v].contains(&n) {
            e.placed_here += 1;
        } else if intersects(state.busy_row(v as u32), time)
            || !fits(p.vol_limit[v], state.used[v], minutes)
        {
            e.placed_elsewhere += 1;
        } else {
            e.still_free += 1;
        }
    }
    e
}

fn unfilled(p: &Prepared, state: &State, n: u32) -> Unfilled {
    let need = p.needs[n as usize];
    let e = exclusions(p, state, n);
    let qualified = e.pool - e.without_qualification;
    let free = qualified - e.not_available;
    let approved = free - e.not_approved;
    let eligible = approved - e.allowance_exceeded;
    let reason = if qualified == 0 {
        UnfilledReason::NoQualifiedVolunteer {
            missing: held_by_nobody(p, &need.qualifications),
        }
    } else if free == 0 {
        UnfilledReason::NoVolunteerFree { qualified }
    } else if approved == 0 {
        UnfilledReason::NotApproved { free }
    } else if eligible == 0 {
        UnfilledReason::AllowancesUsed { approved }
    } else if e.placed_elsewhere == 0 {
        UnfilledReason::TooFewCandidates { eligible }
    } else if held_by_others(p, state, n) {
        let share = state.share(p, p.need_org[n as usize]);
        UnfilledReason::FairShare {
            eligible,
            share_permille: crate::missions::model::permille(share.filled, share.wanted),
        }
    } else {
        UnfilledReason::PlacedElsewhere { eligible }
    };
    Unfilled {
        need_id: need.id,
        reference: need.reference.clone(),
        organisation_id: need.organisation_id,
        organisation: need.organisation.clone(),
        missing: state.missing(p, n),
        reason,
        exclusions: e,
    }
}

fn held_by_nobody(p: &Prepared, required: &[Qualification]) -> Vec<Qualification> {
    required
        .iter()
        .filter(|q| !p.vols.iter().any(|v| v.qualifications.contains(q)))
        .cloned()
        .collect()
}

/// Whether some candidate of `n` is placed with another organisation at its time.
fn held_by_others(p: &Prepared, state: &State, n: u32) -> bool {
    let o = p.need_org[n as usize];
    p.candidates[n as usize].iter().any(|&v| {
        state.vol_needs[v as usize]
            .iter()
            .any(|&m| p.need_org[m as usize] != o)
            && !state.vol_needs[v as usize].contains(&n)
    })
}

fn proof(p: &Prepared, state: &State, unfilled: &[Unfilled]) -> Proof {
    let Some(min) = (0..p.orgs.len() as u32).map(|o| state.share(p, o)).min() else {
        return Proof {
            min_share: 1.0,
            least_served: Vec::new(),
        };
    };
    let least_served = (0..p.orgs.len() as u32)
        .filter(|&o| state.share(p, o) == min)
        .map(|o| {
            let org = &p.orgs[o as usize];
            let mut needs: Vec<u32> = org
                .needs
                .iter()
                .copied()
                .filter(|&n| state.missing(p, n) > 0)
                .collect();
            needs.sort_unstable();
            OrganisationProof {
                organisation_id: org.id,
                organisation: org.name.to_owned(),
                share: state.share(p, o).as_f64(),
                needs: needs
                    .into_iter()
                    .map(|n| need_proof(p, state, n, unfilled))
                    .collect(),
            }
        })
        .collect();
    Proof {
        min_share: min.as_f64(),
        least_served,
    }
}

fn need_proof(p: &Prepared, state: &State, n: u32, unfilled: &[Unfilled]) -> NeedProof {
    let need = p.needs[n as usize];
    let listed = unfilled.iter().find(|u| u.need_id == need.id);
    let exclusions = listed.map_or_else(|| exclusions(p, state, n), |u| u.exclusions);
    // Candidates placed elsewhere, by the organisation of the placement that blocks them.
    let mut by_org: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
    for &v in &p.candidates[n as usize] {
        if state.vol_needs[v as usize].contains(&n) || state.free_for(p, n, v) {
            continue;
        }
        let blocking = state
            .blocker(p, n, v)
            .map_or_else(|| state.vol_needs[v as usize].clone(), |m| vec![m]);
        for m in blocking {
            let o = p.need_org[m as usize];
            let entry = by_org.entry(o).or_insert((0, u32::MAX));
            entry.0 += 1;
            entry.1 = entry.1.min(p.minutes(m));
        }
    }
    let blocked_by = by_org
        .into_iter()
        .map(|(o, (volunteers, smallest))| {
            let org = &p.orgs[o as usize];
            let share = state.share(p, o);
            BlockingOrganisation {
                organisation_id: org.id,
                organisation: org.name.to_owned(),
                volunteers,
                share_permille: crate::missions::model::permille(share.filled, share.wanted),
                share_after_move_permille: crate::missions::model::permille(
                    share.filled.saturating_sub(u64::from(smallest)),
                    share.wanted,
                ),
            }
        })
        .collect();
    NeedProof {
        need_id: need.id,
        reference: need.reference.clone(),
        missing: state.missing(p, n),
        exclusions,
        blocked_by,
    }
}
