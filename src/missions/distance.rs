//! How far a volunteer lives from a need, in tiers read from postcodes and
//! communes (no geocoding): same commune, same postcode, same département,
//! elsewhere. The last criterion of the matcher, after equal treatment and
//! continuity.

use serde::{Deserialize, Serialize};

use crate::domain::names::fold;

/// Nearest first: `SameCommune < SamePostcode < SameDepartement < Elsewhere`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceTier {
    /// Same commune (folded names equal, in the same département when both are known).
    SameCommune,
    /// Same postcode, other or unknown commune.
    SamePostcode,
    /// Same département (first two digits; Corsica 2A/2B; overseas three digits).
    SameDepartement,
    /// Anything else, or not known.
    Elsewhere,
}

impl DistanceTier {
    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            DistanceTier::SameCommune => "same_commune",
            DistanceTier::SamePostcode => "same_postcode",
            DistanceTier::SameDepartement => "same_departement",
            DistanceTier::Elsewhere => "elsewhere",
        }
    }
}

/// A place as the matcher compares it: folded commune, 5-digit postcode, département.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Place {
    pub commune: Option<String>,
    pub postcode: Option<String>,
    pub departement: Option<String>,
}

impl Place {
    /// Reads a postcode and a commune as stored (either may be missing or odd).
    pub fn new(postcode: Option<&str>, commune: Option<&str>) -> Place {
        let postcode = postcode
            .map(|p| p.chars().filter(|c| !c.is_whitespace()).collect::<String>())
            .filter(|p| p.len() == 5 && p.bytes().all(|b| b.is_ascii_digit()));
        let commune = commune.map(fold).filter(|c| !c.is_empty());
        let departement = postcode.as_deref().map(departement_of);
        Place {
            commune,
            postcode,
            departement,
        }
    }

    /// The tier between two places.
    pub fn tier(&self, other: &Place) -> DistanceTier {
        let known_equal = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        // Saint-Denis (93) is not Saint-Denis (974); Paris 11e and 12e are one commune.
        let departements_differ = matches!(
            (&self.departement, &other.departement),
            (Some(a), Some(b)) if a != b
        );
        if known_equal(&self.commune, &other.commune) && !departements_differ {
            DistanceTier::SameCommune
        } else if known_equal(&self.postcode, &other.postcode) {
            DistanceTier::SamePostcode
        } else if known_equal(&self.departement, &other.departement) {
            DistanceTier::SameDepartement
        } else {
            DistanceTier::Elsewhere
        }
    }
}

/// The département of a 5-digit postcode: its first two digits, `2A` (20000–20199)
/// or `2B` (20200–20999) in Corsica, three digits overseas and beyond (`97x`, `98x`).
pub fn departement_of(postcode: &str) -> String {
    if let Some(rest) = postcode.strip_prefix("20") {
        return if rest < "200" { "2A" } else { "2B" }.to_owned();
    }
    if postcode.starts_with("97") || postcode.starts_with("98") {
        return postcode.chars().take(3).collect();
    }
    postcode.chars().take(2).collect()
}
