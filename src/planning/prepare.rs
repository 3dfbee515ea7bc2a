//! Canonical, dense view of the input: beneficiaries and callers sorted by
//! id (duplicates resolved), languages and territories numbered in sorted
//! order. Every later step iterates these dense arrays only, so the plan
//! does not depend on the order of the input rows.

use std::collections::HashMap;

use crate::domain::{IsoWeek, LanguageCode};
use crate::planning::input::{BeneficiaryInput, CallerInput, ExistingAssignment};
use crate::planning::output::InputIssue;

/// "No index" marker in dense `u32` arrays.
pub(crate) const NONE: u32 = u32::MAX;

pub(crate) struct Prepared<'a> {
    pub(crate) week: IsoWeek,
    /// Sorted by id, unique.
    pub(crate) bens: Vec<&'a BeneficiaryInput>,
    /// Sorted by id, unique.
    pub(crate) callers: Vec<&'a CallerInput>,
    caller_pos: HashMap<i64, u32>,
    /// Distinct languages of the beneficiaries, sorted by code.
    pub(crate) langs: Vec<LanguageCode>,
    pub(crate) ben_lang: Vec<u16>,
    /// Territory index (into `terr_ids`) or `NONE`.
    pub(crate) ben_terr: Vec<u32>,
    /// Distinct territory ids of the beneficiaries, sorted.
    pub(crate) terr_ids: Vec<i64>,
    /// Position of the last caller in `callers` (whatever its capacity),
    /// or `NONE` when there is none or it is not in the list.
    pub(crate) ben_last: Vec<u32>,
    /// Territory index of the caller's preference, `NONE` when it has none
    /// or no beneficiary lives there.
    pub(crate) caller_pref: Vec<u32>,
    /// `u64` words per caller in `speaks`.
    pub(crate) words: usize,
    /// Caller × language bit matrix (over `langs`).
    speaks: Vec<u64>,
    pub(crate) issues: Vec<InputIssue>,
}

/// Sorts by id (keeping, for a duplicated id, the smallest row by all its
/// fields) unless already strictly increasing, the usual case (`ORDER BY
/// id`), which costs one pass.
fn canonical<T: Ord>(rows: &[T], id: impl Fn(&T) -> i64) -> (Vec<&T>, Vec<i64>) {
    let mut v: Vec<&T> = rows.iter().collect();
    if !v.windows(2).all(|w| id(w[0]) < id(w[1])) {
        v.sort_unstable_by(|a, b| id(a).cmp(&id(b)).then_with(|| a.cmp(b)));
    }
    let mut dups = Vec::new();
    v.dedup_by(|later, first| {
        let same = id(later) == id(first);
        if same && dups.last() != Some(&id(first)) {
            dups.push(id(first));
        }
        same
    });
    (v, dups)
}

impl<'a> Prepared<'a> {
    pub(crate) fn new(
        week: IsoWeek,
        beneficiaries: &'a [BeneficiaryInput],
        callers: &'a [CallerInput],
    ) -> Prepared<'a> {
        let (bens, dup_b) = canonical(beneficiaries, |b| b.id);
        let (callers, dup_c) = canonical(callers, |c| c.id);
        let mut issues: Vec<InputIssue> = dup_b
            .into_iter()
            .map(|beneficiary_id| InputIssue::DuplicateBeneficiary { beneficiary_id })
            .chain(
                dup_c
                    .into_iter()
                    .map(|caller_id| InputIssue::DuplicateCaller { caller_id }),
            )
            .collect();
        issues.sort_unstable();

        // Languages: French is by far the most common; others are few.
        let mut others: Vec<&LanguageCode> = Vec::new();
        let mut french = false;
        for b in &bens {
            if b.language.is_french() {
                french = true;
            } else if !others.contains(&&b.language) {
                others.push(&b.language);
            }
        }
        let mut langs: Vec<LanguageCode> = others.into_iter().cloned().collect();
        if french {
            langs.push(LanguageCode::french());
        }
        langs.sort_unstable();
        assert!(langs.len() < usize::from(u16::MAX), "too many languages");
        let fr_idx = langs.iter().position(|l| l.is_french()).unwrap_or(0) as u16;
        let lang_idx = |l: &LanguageCode| -> Option<u16> {
            if l.is_french() {
                french.then_some(fr_idx)
            } else {
                langs.binary_search(l).ok().map(|i| i as u16)
            }
        };
        let ben_lang: Vec<u16> = bens
            .iter()
            .map(|b| lang_idx(&b.language).unwrap_or(fr_idx))
            .collect();

        // Territories: numbered in sorted id order.
        let mut terr_map: HashMap<i64, u32> = HashMap::new();
        let mut last_seen: Option<(i64, u32)> = None;
        let mut raw_terr: Vec<u32> = Vec::with_capacity(bens.len());
        for b in &bens {
            let t = match b.territory_id {
                None => NONE,
                Some(id) => match last_seen {
                    Some((seen, idx)) if seen == id => idx,
                    _ => {
                        let next = terr_map.len() as u32;
                        let idx = *terr_map.entry(id).or_insert(next);
                        last_seen = Some((id, idx));
                        idx
                    }
                },
            };
            raw_terr.push(t);
        }
        let mut sorted_ids: Vec<(i64, u32)> = terr_map.iter().map(|(&id, &i)| (id, i)).collect();
        sorted_ids.sort_unstable();
        let mut remap = vec![NONE; sorted_ids.len()];
        for (rank, &(_, i)) in sorted_ids.iter().enumerate() {
            remap[i as usize] = rank as u32;
        }
        let ben_terr: Vec<u32> = raw_terr
            .into_iter()
            .map(|t| if t == NONE { NONE } else { remap[t as usize] })
            .collect();
        let terr_of = |id: Option<i64>| -> u32 {
            id.and_then(|id| terr_map.get(&id))
                .map_or(NONE, |&i| remap[i as usize])
        };
        let terr_ids: Vec<i64> = sorted_ids.iter().map(|&(id, _)| id).collect();
        let caller_pref: Vec<u32> = callers
            .iter()
            .map(|c| terr_of(c.territory_preference))
            .collect();

        let caller_pos: HashMap<i64, u32> = callers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i as u32))
            .collect();
        let ben_last: Vec<u32> = bens
            .iter()
            .map(|b| {
                b.last_caller
                    .and_then(|l| caller_pos.get(&l.caller_id).copied())
                    .unwrap_or(NONE)
            })
            .collect();

        let words = langs.len().div_ceil(64).max(1);
        let mut speaks = vec![0u64; words * callers.len()];
        for (c, caller) in callers.iter().enumerate() {
            let row = &mut speaks[c * words..(c + 1) * words];
            if caller.languages.is_empty() {
                if french {
                    row[usize::from(fr_idx) / 64] |= 1 << (fr_idx % 64);
                }
            } else {
                for l in &caller.languages {
                    if let Some(i) = lang_idx(l) {
                        row[usize::from(i) / 64] |= 1 << (i % 64);
                    }
                }
            }
        }

        Prepared {
            week,
            bens,
            callers,
            caller_pos,
            langs,
            ben_lang,
            ben_terr,
            terr_ids,
            ben_last,
            caller_pref,
            words,
            speaks,
            issues,
        }
    }

    pub(crate) fn caller_position(&self, id: i64) -> Option<u32> {
        self.caller_pos.get(&id).copied()
    }

    pub(crate) fn cap(&self, c: usize) -> u32 {
        self.callers[c].capacity
    }

    pub(crate) fn speaks(&self, c: usize, lang: u16) -> bool {
        let l = usize::from(lang);
        self.speaks[c * self.words + l / 64] & (1 << (l % 64)) != 0
    }

    /// The caller's row of the language matrix (equal rows = same
    /// languages, as far as the beneficiaries are concerned).
    pub(crate) fn lang_row(&self, c: usize) -> &[u64] {
        &self.speaks[c * self.words..(c + 1) * self.words]
    }

    /// Why `caller_id` cannot (or could not) keep a beneficiary speaking
    /// language `lang`: absent (not in the list or capacity 0), language,
    /// or else full.
    pub(crate) fn caller_state(&self, caller_id: i64, lang: u16) -> CallerState {
        self.caller_state_at(self.caller_position(caller_id).unwrap_or(NONE), lang)
    }

    /// [`Prepared::caller_state`] by caller position (`NONE` = absent).
    pub(crate) fn caller_state_at(&self, pos: u32, lang: u16) -> CallerState {
        if pos == NONE || self.cap(pos as usize) == 0 {
            CallerState::Absent
        } else if !self.speaks(pos as usize, lang) {
            CallerState::Language
        } else {
            CallerState::Available
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallerState {
    Absent,
    Language,
    Available,
}

/// Existing rows of the week, canonicalised: at most one *primary* row per
/// beneficiary (with calls first, then the smallest caller id), the other
/// rows of the same beneficiary are *extras*.
pub(crate) struct Existing {
    /// Primary row of each eligible beneficiary (by position), if any.
    pub(crate) primary: Vec<Option<ExistingAssignment>>,
    /// Primary rows of beneficiaries not in the input, sorted.
    pub(crate) ineligible: Vec<ExistingAssignment>,
    /// Extra rows (same beneficiary twice), sorted.
    pub(crate) extras: Vec<ExistingAssignment>,
}

impl Existing {
    pub(crate) fn new(rows: &[ExistingAssignment], p: &Prepared<'_>) -> Existing {
        let key = |r: &ExistingAssignment| (r.beneficiary_id, !r.has_calls, r.caller_id);
        let mut rows: Vec<ExistingAssignment> = rows.to_vec();
        if !rows.windows(2).all(|w| key(&w[0]) < key(&w[1])) {
            rows.sort_unstable_by_key(key);
        }
        rows.dedup();
        let mut primary = vec![None; p.bens.len()];
        let mut ineligible = Vec::new();
        let mut extras = Vec::new();
        let mut bi = 0usize;
        let mut prev: Option<i64> = None;
        for r in rows {
            if prev == Some(r.beneficiary_id) {
                extras.push(r);
                continue;
            }
            prev = Some(r.beneficiary_id);
            while bi < p.bens.len() && p.bens[bi].id < r.beneficiary_id {
                bi += 1;
            }
            if bi < p.bens.len() && p.bens[bi].id == r.beneficiary_id {
                primary[bi] = Some(r);
            } else {
                ineligible.push(r);
            }
        }
        Existing {
            primary,
            ineligible,
            extras,
        }
    }
}
