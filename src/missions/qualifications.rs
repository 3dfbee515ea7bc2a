//! Qualifications a need requires and a volunteer holds.
//!
//! A list is typed comma-separated (`;` and new lines also separate). Each
//! item is folded (lower case, no accents, punctuation as spaces) and looked up
//! among the known qualifications and their usual spellings
//! ([`KNOWN`]: `Éducatrice spécialisée`, `educ spé` and `educateur_specialise`
//! are one key). An item that is not known is **kept** as free text (its folded
//! form is its key) and reported in [`ParsedQualifications::unknown`], so an
//! import can warn without dropping anything.
//!
//! The canonical text, stored in `mission_needs.qualifications` and
//! `volunteers.qualifications`, is the sorted keys joined by `", "`
//! (`auxiliaire_puericulture, permis_b`; free text in its folded form,
//! `cap cuisine`); it parses back to the same list. Matching compares keys.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::domain::names::fold;

/// A known qualification: its key, its labels and the spellings people type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownQualification {
    pub key: &'static str,
    pub label_fr: &'static str,
    pub label_en: &'static str,
    /// Folded spellings besides the folded key and labels.
    pub aliases: &'static [&'static str],
}

/// The known qualifications (social work, care, childhood, youth work, driving).
pub const KNOWN: &[KnownQualification] = &[
    known(
        "educateur_specialise",
        "éducateur spécialisé",
        "specialised educator",
        &[
            "educatrice specialisee",
            "educ spe",
            "educateur specialisee",
            "dees",
        ],
    ),
    known(
        "moniteur_educateur",
        "moniteur éducateur",
        "assistant educator",
        &[
            "monitrice educatrice",
            "moniteur educatrice",
            "monitrice educateur",
        ],
    ),
    known(
        "educateur_jeunes_enfants",
        "éducateur de jeunes enfants",
        "early childhood educator",
        &["educatrice de jeunes enfants", "eje"],
    ),
    known(
        "auxiliaire_puericulture",
        "auxiliaire de puériculture",
        "nursery nurse",
        &[
            "auxiliaire puericulture",
            "auxiliaire de puericultrice",
            "ap",
        ],
    ),
    known(
        "puericultrice",
        "puéricultrice",
        "paediatric nurse",
        &[
            "puericulteur",
            "infirmiere puericultrice",
            "infirmier puericulteur",
        ],
    ),
    known(
        "infirmier",
        "infirmier",
        "nurse",
        &[
            "infirmiere",
            "ide",
            "infirmier diplome d etat",
            "infirmiere diplomee d etat",
        ],
    ),
    known(
        "aide_soignant",
        "aide-soignant",
        "care assistant",
        &["aide soignante", "aide soignant e"],
    ),
    known(
        "assistant_social",
        "assistant social",
        "social worker",
        &[
            "assistante sociale",
            "assistant de service social",
            "assistante de service social",
            "ass",
        ],
    ),
    known(
        "cesf",
        "conseiller en économie sociale et familiale",
        "social and family economy adviser",
        &[
            "conseillere en economie sociale et familiale",
            "conseiller esf",
            "conseillere esf",
        ],
    ),
    known(
        "aes",
        "accompagnant éducatif et social",
        "social care support worker",
        &[
            "accompagnante educative et sociale",
            "accompagnant educatif et social",
            "amp",
            "aide medico psychologique",
        ],
    ),
    known(
        "tisf",
        "technicien de l'intervention sociale et familiale",
        "family support technician",
        &["technicienne de l intervention sociale et familiale"],
    ),
    known("psychologue", "psychologue", "psychologist", &["psy"]),
    known(
        "medecin",
        "médecin",
        "doctor",
        &["docteur", "medecin generaliste"],
    ),
    known(
        "cap_aepe",
        "CAP accompagnant éducatif petite enfance",
        "early childhood care certificate",
        &[
            "cap petite enfance",
            "cap aepe",
            "cap accompagnant educatif petite enfance",
        ],
    ),
    known(
        "bafa",
        "BAFA",
        "youth leader certificate (BAFA)",
        &["animateur bafa", "animatrice bafa"],
    ),
    known(
        "bafd",
        "BAFD",
        "youth centre director certificate (BAFD)",
        &[],
    ),
    known(
        "psc1",
        "PSC1 (premiers secours)",
        "first aid (PSC1)",
        &["psc 1", "premiers secours", "first aid"],
    ),
    known(
        "permis_b",
        "permis B",
        "driving licence",
        &[
            "permis",
            "permis de conduire",
            "driving licence",
            "driving license",
            "permis voiture",
        ],
    ),
];

const fn known(
    key: &'static str,
    label_fr: &'static str,
    label_en: &'static str,
    aliases: &'static [&'static str],
) -> KnownQualification {
    KnownQualification {
        key,
        label_fr,
        label_en,
        aliases,
    }
}

const MAX_LEN: usize = 120;

/// Every folded spelling of the known qualifications (key, labels, aliases) →
/// its key; the first entry of [`KNOWN`] wins if two share a spelling.
fn spellings() -> &'static HashMap<String, &'static str> {
    static SPELLINGS: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    SPELLINGS.get_or_init(|| {
        let mut map = HashMap::new();
        for k in KNOWN {
            let all = [k.key, k.label_fr, k.label_en]
                .into_iter()
                .chain(k.aliases.iter().copied());
            for spelling in all {
                map.entry(fold(spelling)).or_insert(k.key);
            }
        }
        map
    })
}

/// One qualification, by its canonical key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Qualification(String);

impl Qualification {
    /// The qualification an item of a list names, or `None` for an empty item.
    pub fn parse(raw: &str) -> Option<Qualification> {
        let folded: String = fold(raw).chars().take(MAX_LEN).collect();
        let folded = folded.trim_end().to_owned();
        if folded.is_empty() {
            return None;
        }
        Some(Qualification(match spellings().get(&folded) {
            Some(key) => (*key).to_owned(),
            None => folded,
        }))
    }

    /// The key (stored, compared).
    pub fn key(&self) -> &str {
        &self.0
    }

    /// The known qualification, if this is one.
    pub fn known(&self) -> Option<&'static KnownQualification> {
        KNOWN.iter().find(|k| k.key == self.0)
    }

    /// Whether it is one of [`KNOWN`].
    pub fn is_known(&self) -> bool {
        self.known().is_some()
    }

    /// French label (the free text itself when unknown).
    pub fn label_fr(&self) -> &str {
        self.known().map_or(&self.0, |k| k.label_fr)
    }

    /// English label (the free text itself when unknown).
    pub fn label_en(&self) -> &str {
        self.known().map_or(&self.0, |k| k.label_en)
    }
}

impl fmt::Display for Qualification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Qualification> for String {
    fn from(q: Qualification) -> String {
        q.0
    }
}

impl TryFrom<String> for Qualification {
    type Error = &'static str;
    fn try_from(raw: String) -> Result<Qualification, &'static str> {
        Qualification::parse(&raw).ok_or("empty qualification")
    }
}

/// A parsed list: every item kept (sorted, without duplicates), and the
/// items that are not known, as typed (trimmed), for a warning.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedQualifications {
    pub qualifications: Vec<Qualification>,
    pub unknown: Vec<String>,
}

/// Parses a comma-separated list (see the module documentation). Never fails:
/// an unknown item is kept as free text and listed in `unknown`.
pub fn parse_qualifications(raw: &str) -> ParsedQualifications {
    let mut out = ParsedQualifications::default();
    for item in raw.split([',', ';', '\n']) {
        let Some(q) = Qualification::parse(item) else {
            continue;
        };
        if !q.is_known() {
            let typed = crate::domain::names::clean_name(item);
            if !out.unknown.contains(&typed) {
                out.unknown.push(typed);
            }
        }
        out.qualifications.push(q);
    }
    out.qualifications.sort();
    out.qualifications.dedup();
    out
}

/// The canonical text: sorted keys joined by `", "` (empty for none).
pub fn format_qualifications(qualifications: &[Qualification]) -> String {
    let mut keys: Vec<&str> = qualifications.iter().map(Qualification::key).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.join(", ")
}
