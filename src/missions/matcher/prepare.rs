//! The canonical, indexed view the matcher works on: everything sorted by id
//! (so the result does not depend on the input's order), qualifications as bit
//! masks, time as bit sets over the week's elementary intervals, and each
//! need's candidates (the volunteers the fixed rules allow) in preference order.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::missions::distance::{DistanceTier, Place};
use crate::missions::model::{MatchInput, NeedInput, VolunteerInput};
use crate::missions::slots::Slot;

/// A fraction filled / wanted, compared exactly.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Share {
    pub filled: u64,
    pub wanted: u64,
}

impl Share {
    pub fn as_f64(self) -> f64 {
        if self.wanted == 0 {
            1.0
        } else {
            self.filled as f64 / self.wanted as f64
        }
    }
}

impl PartialEq for Share {
    fn eq(&self, other: &Share) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Share {}
impl PartialOrd for Share {
    fn partial_cmp(&self, other: &Share) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Share {
    fn cmp(&self, other: &Share) -> std::cmp::Ordering {
        let a = u128::from(self.filled) * u128::from(other.wanted.max(1));
        let b = u128::from(other.filled) * u128::from(self.wanted.max(1));
        a.cmp(&b)
    }
}

/// An organisation with at least one need.
pub(crate) struct Org<'a> {
    pub id: i64,
    pub name: &'a str,
    /// Σ volunteers_wanted × weekly_minutes.
    pub wanted: u64,
    /// Its needs (indices), scarcest first (fewest candidates), then by id.
    pub needs: Vec<u32>,
}

/// Fixed-width bit sets stored flat: row `i` is `words[i * width..(i + 1) * width]`.
pub(crate) struct Bits {
    pub width: usize,
    pub words: Vec<u64>,
}

impl Bits {
    pub fn row(&self, i: usize) -> &[u64] {
        &self.words[i * self.width..(i + 1) * self.width]
    }
}

pub(crate) fn intersects(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).any(|(x, y)| x & y != 0)
}

pub(crate) fn subset(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x & !y == 0)
}

pub(crate) struct Prepared<'a> {
    pub needs: Vec<&'a NeedInput>,
    pub vols: Vec<&'a VolunteerInput>,
    pub orgs: Vec<Org<'a>>,
    pub need_org: Vec<u32>,
    /// Time each need's slots take (bits over elementary intervals).
    pub need_time: Bits,
    /// Time each volunteer is free.
    pub vol_time: Bits,
    pub need_quals: Bits,
    pub vol_quals: Bits,
    /// Minutes each volunteer may still give this month (`u32::MAX`: no limit).
    pub vol_limit: Vec<u32>,
    /// Agents without their manager's approval.
    pub vol_unapproved: Vec<bool>,
    need_place: Vec<(u32, u32, u32)>,
    vol_place: Vec<(u32, u32, u32)>,
    /// Each need's candidates, in preference order (continuity, distance,
    /// fewest other needs, id).
    pub candidates: Vec<Vec<u32>>,
    /// Each volunteer's number of candidate needs.
    pub degree: Vec<u32>,
    pub last_week: HashSet<(u32, u32)>,
}

const NONE: u32 = u32::MAX;

impl<'a> Prepared<'a> {
    pub fn new(input: &'a MatchInput) -> Prepared<'a> {
        let mut needs: Vec<&NeedInput> = input.needs.iter().collect();
        needs.sort_by_key(|n| n.id);
        needs.dedup_by_key(|n| n.id);
        let mut vols: Vec<&VolunteerInput> = input.volunteers.iter().collect();
        vols.sort_by_key(|v| v.id);
        vols.dedup_by_key(|v| v.id);

        let (need_time, vol_time) = time_bits(&needs, &vols);
        let qual_keys: Vec<&str> = needs
            .iter()
            .flat_map(|n| n.qualifications.iter())
            .chain(vols.iter().flat_map(|v| v.qualifications.iter()))
            .map(|q| q.key())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let need_quals = qual_bits(&qual_keys, needs.iter().map(|n| &n.qualifications[..]));
        let vol_quals = qual_bits(&qual_keys, vols.iter().map(|v| &v.qualifications[..]));
        let vol_limit = vols
            .iter()
            .map(|v| v.allowance.map_or(NONE, |a| a.remaining()))
            .collect();
        let vol_unapproved = vols
            .iter()
            .map(|v| v.allowance.is_some_and(|a| !a.approved))
            .collect();
        let (need_place, vol_place) = places(&needs, &vols);

        let need_index: HashMap<i64, u32> =
            needs.iter().enumerate().map(|(i, n)| (n.id, i as u32)).collect();
        let vol_index: HashMap<i64, u32> =
            vols.iter().enumerate().map(|(i, v)| (v.id, i as u32)).collect();
        let last_week = input
            .last_week
            .iter()
            .filter_map(|p| Some((*need_index.get(&p.need_id)?, *vol_index.get(&p.volunteer_id)?)))
            .collect();

        let mut prepared = Prepared {
            need_org: Vec::new(),
            orgs: Vec::new(),
            needs,
            vols,
            need_time,
            vol_time,
            need_quals,
            vol_quals,
            vol_limit,
            vol_unapproved,
            need_place,
            vol_place,
            candidates: Vec::new(),
            degree: Vec::new(),
            last_week,
        };
        prepared.candidates = prepared.find_candidates();
        prepared.degree = vec![0; prepared.vols.len()];
        for list in &prepared.candidates {
            for &v in list {
                prepared.degree[v as usize] += 1;
            }
        }
        prepared.sort_candidates();
        prepared.build_orgs();
        prepared
    }

    pub fn minutes(&self, n: u32) -> u32 {
        self.needs[n as usize].weekly_minutes
    }

    pub fn wanted(&self, n: u32) -> u32 {
        self.needs[n as usize].volunteers_wanted
    }

    pub fn tier(&self, n: u32, v: u32) -> DistanceTier {
        let (nc, np, nd) = self.need_place[n as usize];
        let (vc, vp, vd) = self.vol_place[v as usize];
        let known_equal = |a: u32, b: u32| a != NONE && a == b;
        let departements_differ = nd != NONE && vd != NONE && nd != vd;
        if known_equal(nc, vc) && !departements_differ {
            DistanceTier::SameCommune
        } else if known_equal(np, vp) {
            DistanceTier::SamePostcode
        } else if known_equal(nd, vd) {
            DistanceTier::SameDepartement
        } else {
            DistanceTier::Elsewhere
        }
    }

    pub fn continuity(&self, n: u32, v: u32) -> bool {
        self.last_week.contains(&(n, v))
    }

    /// Whether the volunteer holds every qualification the need requires.
    pub fn qualified(&self, n: u32, v: u32) -> bool {
        subset(self.need_quals.row(n as usize), self.vol_quals.row(v as usize))
    }

    /// Whether the volunteer is free during all the need's slots.
    pub fn available(&self, n: u32, v: u32) -> bool {
        subset(self.need_time.row(n as usize), self.vol_time.row(v as usize))
    }

    /// The fixed rules: qualified, available, approved, allowance left for it.
    pub fn eligible(&self, n: u32, v: u32) -> bool {
        self.qualified(n, v)
            && self.available(n, v)
            && !self.vol_unapproved[v as usize]
            && self.vol_limit[v as usize] >= self.minutes(n)
    }

    /// Candidates by qualification group first (most needs require few
    /// qualifications, most groups are skipped whole), then time and allowance.
    fn find_candidates(&self) -> Vec<Vec<u32>> {
        let mut groups: BTreeMap<&[u64], Vec<u32>> = BTreeMap::new();
        for v in 0..self.vols.len() {
            if self.vol_unapproved[v] {
                continue;
            }
            groups.entry(self.vol_quals.row(v)).or_default().push(v as u32);
        }
        (0..self.needs.len() as u32)
            .map(|n| {
                let required = self.need_quals.row(n as usize);
                let time = self.need_time.row(n as usize);
                let minutes = self.minutes(n);
                let mut list = Vec::new();
                for (mask, members) in &groups {
                    if !subset(required, mask) {
                        continue;
                    }
                    list.extend(members.iter().copied().filter(|&v| {
                        self.vol_limit[v as usize] >= minutes
                            && subset(time, self.vol_time.row(v as usize))
                    }));
                }
                list.sort_unstable();
                list
            })
            .collect()
    }

    fn sort_candidates(&mut self) {
        let mut candidates = std::mem::take(&mut self.candidates);
        for (n, list) in candidates.iter_mut().enumerate() {
            let n = n as u32;
            list.sort_by_cached_key(|&v| {
                (
                    !self.continuity(n, v),
                    self.tier(n, v),
                    self.degree[v as usize],
                    v,
                )
            });
        }
        self.candidates = candidates;
    }

    fn build_orgs(&mut self) {
        let mut by_org: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
        for (i, n) in self.needs.iter().enumerate() {
            by_org.entry(n.organisation_id).or_default().push(i as u32);
        }
        self.need_org = vec![0; self.needs.len()];
        for (o, (id, mut needs)) in by_org.into_iter().enumerate() {
            let first = self.needs[needs[0] as usize];
            let wanted = needs
                .iter()
                .map(|&n| u64::from(self.wanted(n)) * u64::from(self.minutes(n)))
                .sum();
            needs.sort_by_key(|&n| (self.candidates[n as usize].len(), n));
            for &n in &needs {
                self.need_org[n as usize] = o as u32;
            }
            self.orgs.push(Org {
                id,
                name: &first.organisation,
                wanted,
                needs,
            });
        }
    }
}

/// Bits over the week's elementary intervals: every slot boundary of every need
/// and volunteer cuts the week, so each interval lies wholly inside or outside
/// each slot and "covers" and "overlaps" are exact bit tests.
fn time_bits(needs: &[&NeedInput], vols: &[&VolunteerInput]) -> (Bits, Bits) {
    let all_slots = needs
        .iter()
        .flat_map(|n| n.slots.iter())
        .chain(vols.iter().flat_map(|v| v.availability.iter()));
    let mut cuts: Vec<u32> = all_slots
        .flat_map(|s| [s.week_start(), s.week_end()])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let intervals = cuts.len().saturating_sub(1);
    let width = intervals.div_ceil(64).max(1);
    let rows = |lists: Vec<&[Slot]>| {
        let mut words = vec![0u64; lists.len() * width];
        for (i, slots) in lists.iter().enumerate() {
            for s in slots.iter() {
                let from = cuts.partition_point(|&c| c < s.week_start());
                let to = cuts.partition_point(|&c| c < s.week_end());
                for k in from..to {
                    words[i * width + k / 64] |= 1 << (k % 64);
                }
            }
        }
        Bits { width, words }
    };
    (
        rows(needs.iter().map(|n| &n.slots[..]).collect()),
        rows(vols.iter().map(|v| &v.availability[..]).collect()),
    )
}

fn qual_bits<'q>(
    keys: &[&str],
    lists: impl Iterator<Item = &'q [crate::missions::Qualification]>,
) -> Bits {
    let width = keys.len().div_ceil(64).max(1);
    let mut words = Vec::new();
    for list in lists {
        let mut row = vec![0u64; width];
        for q in list {
            if let Ok(k) = keys.binary_search(&q.key()) {
                row[k / 64] |= 1 << (k % 64);
            }
        }
        words.extend(row);
    }
    Bits { width, words }
}

type PlaceIds = Vec<(u32, u32, u32)>;

/// Communes, postcodes and départements interned to numbers (`NONE` when unknown).
fn places(needs: &[&NeedInput], vols: &[&VolunteerInput]) -> (PlaceIds, PlaceIds) {
    let mut interned: HashMap<String, u32> = HashMap::new();
    let mut intern = |text: &Option<String>, kind: char| -> u32 {
        match text {
            None => NONE,
            Some(t) => {
                let next = interned.len() as u32;
                *interned.entry(format!("{kind}{t}")).or_insert(next)
            }
        }
    };
    let mut ids = |postcode: &Option<String>, commune: &Option<String>| {
        let place = Place::new(postcode.as_deref(), commune.as_deref());
        (
            intern(&place.commune, 'c'),
            intern(&place.postcode, 'p'),
            intern(&place.departement, 'd'),
        )
    };
    let need_ids = needs.iter().map(|n| ids(&n.postcode, &n.commune)).collect();
    let vol_ids = vols.iter().map(|v| ids(&v.postcode, &v.commune)).collect();
    (need_ids, vol_ids)
}
