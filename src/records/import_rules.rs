//! The rules of an import, as pure functions: the store reads and writes, these decide.
//!
//! - A person of the file is looked up by external reference first, else by folded name
//!   and birth date ([`beneficiary_lookups`]); two matches are ambiguous, a person met
//!   twice in the file is a duplicate ([`identify`]).
//! - A row identical to what is stored (phones included) is unchanged ([`decide_write`]).
//! - A final status (opted out, deceased) is never reverted ([`status_after_import`]).
//! - A territory comes from the file's code, else the commune (INSEE code), else the
//!   postal code it covers ([`TerritoryIndex::resolve`]).
//! - People known before but absent from the file are reported, never deleted
//!   ([`missing_from_file`]).

use std::collections::{HashMap, HashSet};

use super::imports::{FieldError, NewBeneficiary, OptOutEntry};
use super::suppression::SuppressionKey;
use crate::domain::names::identity_key;
use crate::domain::BeneficiaryStatus;

/// How many people missing from a file are named in the report.
pub const MISSING_SAMPLE: usize = 20;

/// One way to look a beneficiary up among those stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// By external reference (file number).
    Reference(String),
    /// By identity key (folded names and birth date); with `without_reference`, only
    /// among people who have no reference yet (the file gives one nobody has).
    Identity {
        key: String,
        without_reference: bool,
    },
    /// By phone number (E.164), for do-not-call lists.
    Phone(String),
}

/// The lookups for a beneficiary row, in order: the first that finds someone wins.
pub fn beneficiary_lookups(b: &NewBeneficiary) -> Vec<Lookup> {
    let key = identity_key(&b.last_name, &b.first_name, b.birth_date);
    match &b.external_ref {
        Some(reference) => vec![
            Lookup::Reference(reference.clone()),
            Lookup::Identity {
                key,
                without_reference: true,
            },
        ],
        None => vec![Lookup::Identity {
            key,
            without_reference: false,
        }],
    }
}

/// The identity key among a beneficiary row's lookups ([`beneficiary_lookups`]
/// always gives one).
pub fn identity_lookup_key(lookups: Vec<Lookup>) -> String {
    lookups
        .into_iter()
        .find_map(|lookup| match lookup {
            Lookup::Identity { key, .. } => Some(key),
            _ => None,
        })
        .expect("a beneficiary row is always looked up by identity")
}

/// The lookups for a do-not-call entry, in order: reference, else name and birth date
/// (all three needed), else phone.
pub fn opt_out_lookups(e: &OptOutEntry) -> Vec<Lookup> {
    let mut lookups = Vec::new();
    if let Some(reference) = &e.external_ref {
        lookups.push(Lookup::Reference(reference.clone()));
    }
    if let (Some(last), Some(first), Some(birth)) = (&e.last_name, &e.first_name, e.birth_date) {
        lookups.push(Lookup::Identity {
            key: identity_key(last, first, Some(birth)),
            without_reference: false,
        });
    }
    if let Some(phone) = &e.phone {
        lookups.push(Lookup::Phone(phone.as_str().to_string()));
    }
    lookups
}

/// The suppression keys of a do-not-call entry: its phone, and its name and birth date
/// when all three are given.
pub fn opt_out_keys(e: &OptOutEntry) -> Vec<SuppressionKey> {
    let mut keys: Vec<SuppressionKey> = e
        .phone
        .iter()
        .map(|p| SuppressionKey::phone(p.as_str()))
        .collect();
    if let (Some(last), Some(first), Some(birth)) = (&e.last_name, &e.first_name, e.birth_date) {
        keys.extend(SuppressionKey::identity(&identity_key(
            last,
            first,
            Some(birth),
        )));
    }
    keys
}

/// Who a row of the file is, among the stored candidates its lookups found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identified<T> {
    /// Nobody: a new person.
    New,
    /// Exactly one stored person, not yet met in the file.
    Known(T),
    /// Several stored people match: the row is refused.
    Ambiguous,
    /// The person was already met higher in the file: the row is refused.
    DuplicateInFile,
}

/// Decides who a row is from its candidates and the ids already met in the file.
pub fn identify<T>(
    candidates: Vec<T>,
    seen: &HashSet<i64>,
    id: impl Fn(&T) -> i64,
) -> Identified<T> {
    identify_by(candidates, |c| seen.contains(&id(c)))
}

/// Decides who a row is from its candidates, `seen` telling who was met in the file.
pub fn identify_by<T>(mut candidates: Vec<T>, seen: impl Fn(&T) -> bool) -> Identified<T> {
    if candidates.len() > 1 {
        return Identified::Ambiguous;
    }
    match candidates.pop() {
        None => Identified::New,
        Some(c) if seen(&c) => Identified::DuplicateInFile,
        Some(c) => Identified::Known(c),
    }
}

/// The status a person gets from an import, and whether a final status was kept
/// rather than reverted.
pub fn status_after_import(
    stored: Option<BeneficiaryStatus>,
    wanted: Option<BeneficiaryStatus>,
) -> (BeneficiaryStatus, bool) {
    match (stored, wanted) {
        (Some(s), Some(w)) if w != s => {
            if s.is_final() {
                (s, true)
            } else {
                (w, false)
            }
        }
        (Some(s), _) => (s, false),
        (None, w) => (w.unwrap_or(BeneficiaryStatus::Active), false),
    }
}

/// What to write for one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Insert,
    /// Stored and identical: nothing to write.
    Unchanged,
    /// Stored and different; `list_changed`: its list (phones, areas) differs too.
    Update {
        list_changed: bool,
    },
}

/// Compares what is stored (the row with its list) with what the file wants.
pub fn decide_write<T: PartialEq, L: PartialEq>(
    stored: Option<(&T, &[L])>,
    wanted: &T,
    wanted_list: &[L],
) -> Write {
    match stored {
        None => Write::Insert,
        Some((row, list)) => {
            let list_same = list == wanted_list;
            if row == wanted && list_same {
                Write::Unchanged
            } else {
                Write::Update {
                    list_changed: !list_same,
                }
            }
        }
    }
}

/// The territories by code, by INSEE code and by postal code.
#[derive(Debug, Clone, Default)]
pub struct TerritoryIndex {
    pub by_code: HashMap<String, i64>,
    pub by_insee: HashMap<String, i64>,
    pub by_postal_code: HashMap<String, i64>,
}

/// A territory found for a row, and the file's code when no territory has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryFound<'a> {
    pub id: Option<i64>,
    pub unknown_code: Option<&'a str>,
}

impl TerritoryIndex {
    /// The file's territory code, else the commune's territory, else the postal code's.
    pub fn resolve<'a>(
        &self,
        code: Option<&'a str>,
        insee: Option<&str>,
        postal_code: Option<&str>,
    ) -> TerritoryFound<'a> {
        let by_code = code.and_then(|c| self.by_code.get(c).copied());
        let unknown_code = code.filter(|_| by_code.is_none());
        let id = by_code
            .or_else(|| insee.and_then(|c| self.by_insee.get(c).copied()))
            .or_else(|| postal_code.and_then(|p| self.by_postal_code.get(p).copied()));
        TerritoryFound { id, unknown_code }
    }
}

/// Who was known before but is absent from the file: (count, first labels by the
/// order of `known`), from (id, label) pairs.
pub fn missing_from_file(known: Vec<(i64, String)>, seen: &HashSet<i64>) -> (usize, Vec<String>) {
    let absent: Vec<String> = known
        .into_iter()
        .filter(|(id, _)| !seen.contains(id))
        .map(|(_, label)| label)
        .collect();
    let count = absent.len();
    (count, absent.into_iter().take(MISSING_SAMPLE).collect())
}

/// Members absent from the file: (count, the smallest ids to name in the report).
pub fn absent_members(members: &HashSet<i64>, seen: &HashSet<i64>) -> (usize, Vec<i64>) {
    let mut absent: Vec<i64> = members.difference(seen).copied().collect();
    let count = absent.len();
    absent.sort_unstable();
    absent.truncate(MISSING_SAMPLE);
    (count, absent)
}

/// What becomes of one entry of a do-not-call list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOutDecision {
    NotFound,
    /// This many people match: the row is refused.
    Ambiguous(usize),
    /// Already opted out or deceased: unchanged.
    AlreadyFinal,
    OptOut(i64),
}

/// Decides from the people the entry's first fruitful lookup found: (id, status).
pub fn opt_out_decision(found: &[(i64, BeneficiaryStatus)]) -> OptOutDecision {
    match found {
        [] => OptOutDecision::NotFound,
        [(_, status)] if status.is_final() => OptOutDecision::AlreadyFinal,
        [(id, _)] => OptOutDecision::OptOut(*id),
        several => OptOutDecision::Ambiguous(several.len()),
    }
}

/// The error of a cell, in the report (`column` as the French header).
pub fn cell_error(
    line: u64,
    column: &str,
    value: Option<&str>,
    code: &str,
    message: String,
) -> FieldError {
    FieldError {
        line,
        column: Some(column.to_string()),
        value: value.map(str::to_string),
        code: code.to_string(),
        message,
    }
}

/// Refusal: several stored people have this name and birth date.
pub fn ambiguous_identity(line: u64, last_name: &str) -> FieldError {
    cell_error(
        line,
        "Nom",
        Some(last_name),
        "ambiguous_identity",
        format!(
            "Plusieurs personnes portent ce nom avec cette date de naissance : ajoutez leur \
             numéro de dossier pour les distinguer (ligne {line})."
        ),
    )
}

/// Refusal: the person is already higher in the file.
pub fn duplicate_in_file(line: u64, external_ref: Option<&str>) -> FieldError {
    cell_error(
        line,
        "N° dossier",
        external_ref,
        "duplicate_in_file",
        "Cette personne figure déjà plus haut dans le fichier : gardez une seule ligne.".into(),
    )
}

/// Warning: a beneficiary's territory code is unknown (the postal code is used).
pub fn territory_unknown(line: u64, code: &str) -> FieldError {
    cell_error(
        line,
        "Territoire",
        Some(code),
        "territory_unknown",
        format!(
            "Le territoire « {code} » n'existe pas : la personne est rattachée par son code \
             postal. Importez d'abord la liste des territoires."
        ),
    )
}

/// Warning: a caller's preferred territory is unknown (the preference is ignored).
pub fn preference_unknown(line: u64, code: &str) -> FieldError {
    cell_error(
        line,
        "Territoire préféré",
        Some(code),
        "territory_unknown",
        format!(
            "Le territoire « {code} » n'existe pas : préférence ignorée. Importez d'abord la \
             liste des territoires."
        ),
    )
}

/// Warning: an area is already covered by another territory.
pub fn area_in_two_territories(line: u64, code: &str, other: &str) -> FieldError {
    cell_error(
        line,
        "Codes postaux",
        Some(code),
        "area_in_two_territories",
        format!("{code} est déjà couvert par le territoire {other} : retirez-le de l'un des deux."),
    )
}

/// Refusal: nobody matches a do-not-call entry.
pub fn opt_out_not_found(line: u64, e: &OptOutEntry) -> FieldError {
    FieldError {
        line,
        column: None,
        value: e.external_ref.clone(),
        code: "not_found".into(),
        message: "Personne introuvable parmi les bénéficiaires, et rien à garder dans la \
                  liste d'opposition (ni téléphone, ni nom, prénom et date de naissance) : \
                  vérifiez la ligne."
            .into(),
    }
}

/// Refusal: several people match a do-not-call entry.
pub fn opt_out_ambiguous(line: u64, e: &OptOutEntry, count: usize) -> FieldError {
    FieldError {
        line,
        column: None,
        value: e.phone.as_ref().map(|p| p.national_display()),
        code: "ambiguous_identity".into(),
        message: format!(
            "{count} personnes correspondent à cette ligne : ajoutez le numéro de dossier."
        ),
    }
}

#[cfg(test)]
mod tests;
