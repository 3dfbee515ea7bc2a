//! The canonical, indexed view the matcher works on: everything sorted by id
//! (so the result does not depend on the input's order), qualifications as bit
//! masks, time as bit sets over the week's elementary intervals, and each
//! need's candidates (the volunteers the fixed rules allow) in preference order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    /// Per qualification (interned key), the volunteers who hold it: a bit set
    /// over volunteers.
    pub holders: Bits,
    /// Per elementary interval of the week, the volunteers free during it.
    pub free_at: Bits,
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
    /// The needs each volunteer is a candidate of, by need index.
    pub needs_of: Vec<Vec<u32>>,
    /// Last week's volunteers of each need, sorted.
    pub last_week: Vec<Vec<u32>>,
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
        let holders = transpose(&vol_quals, qual_keys.len(), vols.len());
        let free_at = transpose(&vol_time, vol_time.width * 64, vols.len());
        let vol_limit = vols
            .iter()
            .map(|v| v.allowance.map_or(NONE, |a| a.remaining()))
            .collect();
        let vol_unapproved = vols
            .iter()
            .map(|v| v.allowance.is_some_and(|a| !a.approved))
            .collect();
        let (need_place, vol_place) = places(&needs, &vols);

        let need_index: HashMap<i64, u32> = needs
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id, i as u32))
            .collect();
        let vol_index: HashMap<i64, u32> = vols
            .iter()
            .enumerate()
            .map(|(i, v)| (v.id, i as u32))
            .collect();
        let mut last_week: Vec<Vec<u32>> = vec![Vec::new(); needs.len()];
        for pair in &input.last_week {
            if let (Some(&n), Some(&v)) = (
                need_index.get(&pair.need_id),
                vol_index.get(&pair.volunteer_id),
            ) {
                last_week[n as usize].push(v);
            }
        }
        for list in &mut last_week {
            list.sort_unstable();
            list.dedup();
        }

        let mut prepared = Prepared {
            need_org: Vec::new(),
            orgs: Vec::new(),
            needs,
            vols,
            need_time,
            vol_time,
            need_quals,
            vol_quals,
            holders,
            free_at,
            vol_limit,
            vol_unapproved,
            need_place,
            vol_place,
            candidates: Vec::new(),
            degree: Vec::new(),
            needs_of: Vec::new(),
            last_week,
        };
        prepared.candidates = prepared.find_candidates();
        prepared.needs_of = vec![Vec::new(); prepared.vols.len()];
        for (n, list) in prepared.candidates.iter().enumerate() {
            for &v in list {
                prepared.needs_of[v as usize].push(n as u32);
            }
        }
        prepared.degree = prepared.needs_of.iter().map(|l| l.len() as u32).collect();
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
        self.last_week[n as usize].binary_search(&v).is_ok()
    }

    /// Whether the volunteer holds every qualification the need requires.
    pub fn qualified(&self, n: u32, v: u32) -> bool {
        subset(
            self.need_quals.row(n as usize),
            self.vol_quals.row(v as usize),
        )
    }

    /// Whether the volunteer is free during all the need's slots.
    pub fn available(&self, n: u32, v: u32) -> bool {
        subset(
            self.need_time.row(n as usize),
            self.vol_time.row(v as usize),
        )
    }

    /// The fixed rules: qualified, available, approved, allowance left for it.
    pub fn eligible(&self, n: u32, v: u32) -> bool {
        self.qualified(n, v)
            && self.available(n, v)
            && !self.vol_unapproved[v as usize]
            && self.vol_limit[v as usize] >= self.minutes(n)
    }

    /// The volunteers who hold every qualification `n` requires, and those of
    /// them free during all its slots: bit sets over volunteers, the AND of one
    /// set per required qualification, then of one per interval of its slots.
    pub fn qualified_and_free(&self, n: u32) -> (Vec<u64>, Vec<u64>) {
        let words = self.holders.width;
        let mut qualified = vec![u64::MAX; words];
        if let Some(last) = qualified.last_mut() {
            let tail = self.vols.len() % 64;
            if tail != 0 {
                *last = (1u64 << tail) - 1;
            }
        }
        if self.vols.is_empty() {
            qualified.clear();
        }
        for k in bits_of(self.need_quals.row(n as usize)) {
            and_with(&mut qualified, self.holders.row(k));
        }
        let mut free = qualified.clone();
        for k in bits_of(self.need_time.row(n as usize)) {
            and_with(&mut free, self.free_at.row(k));
        }
        (qualified, free)
    }

    /// Each need's candidates, by volunteer index.
    fn find_candidates(&self) -> Vec<Vec<u32>> {
        (0..self.needs.len() as u32)
            .map(|n| {
                let minutes = self.minutes(n);
                let (_, free) = self.qualified_and_free(n);
                bits_of(&free)
                    .map(|v| v as u32)
                    .filter(|&v| {
                        !self.vol_unapproved[v as usize] && self.vol_limit[v as usize] >= minutes
                    })
                    .collect()
            })
            .collect()
    }

    /// Preference order: last week's volunteer, nearest tier, fewest other
    /// needs, id (one packed integer key per pair, sorted).
    fn sort_candidates(&mut self) {
        let mut by_degree: Vec<u32> = (0..self.vols.len() as u32).collect();
        by_degree.sort_unstable_by_key(|&v| (self.degree[v as usize], v));
        let mut rank = vec![0u32; self.vols.len()];
        for (r, &v) in by_degree.iter().enumerate() {
            rank[v as usize] = r as u32;
        }
        let mut candidates = std::mem::take(&mut self.candidates);
        let mut keys: Vec<u64> = Vec::new();
        for (n, list) in candidates.iter_mut().enumerate() {
            let n = n as u32;
            keys.clear();
            keys.extend(list.iter().map(|&v| {
                let first = u64::from(!self.continuity(n, v)) << 40;
                let tier = (self.tier(n, v) as u64) << 32;
                first | tier | u64::from(rank[v as usize])
            }));
            keys.sort_unstable();
            list.clear();
            list.extend(keys.iter().map(|k| by_degree[(k & 0xFFFF_FFFF) as usize]));
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

/// Communes, postcodes and départements interned to numbers (`NONE` when
/// unknown); each distinct (postcode, commune) as typed is read once.
fn places(needs: &[&NeedInput], vols: &[&VolunteerInput]) -> (PlaceIds, PlaceIds) {
    let raw: Vec<(Option<&str>, Option<&str>)> = needs
        .iter()
        .map(|n| (n.postcode.as_deref(), n.commune.as_deref()))
        .chain(
            vols.iter()
                .map(|v| (v.postcode.as_deref(), v.commune.as_deref())),
        )
        .collect();
    let mut interned: HashMap<String, u32> = HashMap::new();
    let mut intern = |text: Option<String>, kind: char| match text {
        None => NONE,
        Some(t) => {
            let next = interned.len() as u32;
            *interned.entry(format!("{kind}{t}")).or_insert(next)
        }
    };
    type PlaceKey<'k> = (Option<&'k str>, Option<&'k str>);
    let mut seen: HashMap<PlaceKey, (u32, u32, u32)> = HashMap::new();
    let mut ids: PlaceIds = Vec::with_capacity(raw.len());
    for key in raw {
        let found = *seen.entry(key).or_insert_with(|| {
            let place = Place::new(key.0, key.1);
            (
                intern(place.commune, 'c'),
                intern(place.postcode, 'p'),
                intern(place.departement, 'd'),
            )
        });
        ids.push(found);
    }
    let vol_ids = ids.split_off(needs.len());
    (ids, vol_ids)
}

/// Indices of the set bits, in increasing order.
pub(crate) fn bits_of(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(i, &w)| {
        let mut w = w;
        std::iter::from_fn(move || {
            if w == 0 {
                return None;
            }
            let b = w.trailing_zeros() as usize;
            w &= w - 1;
            Some(i * 64 + b)
        })
    })
}

fn and_with(acc: &mut [u64], other: &[u64]) {
    for (a, b) in acc.iter_mut().zip(other) {
        *a &= b;
    }
}

/// From one bit set per row (volunteer) over `columns` to one bit set per
/// column over the rows.
fn transpose(rows: &Bits, columns: usize, row_count: usize) -> Bits {
    let width = row_count.div_ceil(64).max(1);
    let mut words = vec![0u64; columns.max(1) * width];
    for r in 0..row_count {
        for c in bits_of(rows.row(r)) {
            words[c * width + r / 64] |= 1 << (r % 64);
        }
    }
    Bits { width, words }
}
