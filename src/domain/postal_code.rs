//! French postal code (`code postal`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::trim_numeric_cell;

/// A French postal code: exactly 5 ASCII digits, e.g. `"80000"`, `"97400"`.
///
/// Accepts, as found in spreadsheets:
/// - surrounding whitespace (including non-breaking spaces) and inner spaces
///   (`"80 000"`),
/// - a 4-digit code whose leading zero was dropped by Excel (`"1000"` ->
///   `"01000"`),
/// - a float export (`"80000.0"`) and a leading `'` (text marker).
///
/// Rejects anything else, and codes whose first digits match no
/// département: `00…`, `96…`, `99…`, `970…`, `977…`–`979…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode(String);

/// Overseas département or collectivity whose postal codes start with
/// 971–976. Saint-Barthélemy (97133) and Saint-Martin (97150) use 971 codes
/// and are reported as [`Overseas::Guadeloupe`] (same phone numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Overseas {
    /// 971 — Guadeloupe (also Saint-Barthélemy and Saint-Martin).
    Guadeloupe,
    /// 972 — Martinique.
    Martinique,
    /// 973 — Guyane.
    Guyane,
    /// 974 — La Réunion.
    Reunion,
    /// 975 — Saint-Pierre-et-Miquelon.
    SaintPierreEtMiquelon,
    /// 976 — Mayotte.
    Mayotte,
}

impl Overseas {
    /// All variants, in postal-code order.
    pub const ALL: [Overseas; 6] = [
        Overseas::Guadeloupe,
        Overseas::Martinique,
        Overseas::Guyane,
        Overseas::Reunion,
        Overseas::SaintPierreEtMiquelon,
        Overseas::Mayotte,
    ];

    /// The 3-digit postal prefix ("971".."976").
    pub fn postal_prefix(self) -> &'static str {
        match self {
            Overseas::Guadeloupe => "971",
            Overseas::Martinique => "972",
            Overseas::Guyane => "973",
            Overseas::Reunion => "974",
            Overseas::SaintPierreEtMiquelon => "975",
            Overseas::Mayotte => "976",
        }
    }

    /// The international calling code (without `+`): 590, 596, 594, 262,
    /// 508 or 262.
    pub fn calling_code(self) -> &'static str {
        match self {
            Overseas::Guadeloupe => "590",
            Overseas::Martinique => "596",
            Overseas::Guyane => "594",
            Overseas::Reunion | Overseas::Mayotte => "262",
            Overseas::SaintPierreEtMiquelon => "508",
        }
    }

    /// French name.
    pub fn name_fr(self) -> &'static str {
        match self {
            Overseas::Guadeloupe => "Guadeloupe",
            Overseas::Martinique => "Martinique",
            Overseas::Guyane => "Guyane",
            Overseas::Reunion => "La Réunion",
            Overseas::SaintPierreEtMiquelon => "Saint-Pierre-et-Miquelon",
            Overseas::Mayotte => "Mayotte",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Overseas> {
        Overseas::ALL
            .into_iter()
            .find(|o| o.postal_prefix() == prefix)
    }
}

impl fmt::Display for Overseas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_fr())
    }
}

/// Why a postal code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostalCodeError {
    #[error("postal code is empty")]
    Empty,
    #[error("postal code contains an invalid character {0:?} (digits only)")]
    InvalidCharacter(char),
    #[error("postal code has {0} digits, expected 5")]
    TooShort(usize),
    #[error("postal code has {0} digits, expected 5")]
    TooLong(usize),
    #[error("postal code {0} matches no French département")]
    UnknownDepartement(String),
}

impl PostalCodeError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            PostalCodeError::Empty => "postal_code_empty",
            PostalCodeError::InvalidCharacter(_) => "postal_code_invalid_character",
            PostalCodeError::TooShort(_) => "postal_code_too_short",
            PostalCodeError::TooLong(_) => "postal_code_too_long",
            PostalCodeError::UnknownDepartement(_) => "postal_code_unknown_departement",
        }
    }

    /// French message for the coordinator.
    pub fn message_fr(&self) -> String {
        match self {
            PostalCodeError::Empty => "Le code postal est vide.".to_owned(),
            PostalCodeError::InvalidCharacter(c) => format!(
                "Le code postal contient le caractère « {c} » : il ne doit contenir que 5 chiffres (ex. 80000)."
            ),
            PostalCodeError::TooShort(n) => format!(
                "Le code postal ne contient que {n} chiffre(s) : il en faut 5 (ex. 80000)."
            ),
            PostalCodeError::TooLong(n) => format!(
                "Le code postal contient {n} chiffres : il en faut 5 (ex. 80000)."
            ),
            PostalCodeError::UnknownDepartement(code) => format!(
                "Le code postal {code} ne correspond à aucun département français."
            ),
        }
    }
}

impl PostalCode {
    /// Parses and normalises a postal code (see the type documentation).
    pub fn parse(raw: &str) -> Result<PostalCode, PostalCodeError> {
        let s = trim_numeric_cell(raw);
        if s.is_empty() {
            return Err(PostalCodeError::Empty);
        }
        let mut digits = String::with_capacity(5);
        for c in s.chars() {
            match c {
                '0'..='9' => digits.push(c),
                c if c.is_whitespace() => {}
                c => return Err(PostalCodeError::InvalidCharacter(c)),
            }
        }
        match digits.len() {
            0 => return Err(PostalCodeError::Empty),
            4 => digits.insert(0, '0'),
            5 => {}
            n if n < 4 => return Err(PostalCodeError::TooShort(n)),
            n => return Err(PostalCodeError::TooLong(n)),
        }
        let known = match &digits[..2] {
            "00" | "96" | "99" => false,
            "97" => Overseas::from_prefix(&digits[..3]).is_some(),
            _ => true,
        };
        if !known {
            return Err(PostalCodeError::UnknownDepartement(digits));
        }
        Ok(PostalCode(digits))
    }

    /// The 5 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The département the code belongs to: the first two digits
    /// (`"80"`), `"2A"` (20000–20199) or `"2B"` (20200–20999) for Corsica,
    /// the first three digits for `97x` / `98x` codes (`"974"`, `"988"`;
    /// 980 is Monaco).
    pub fn departement(&self) -> &str {
        let s = self.0.as_str();
        match &s[..2] {
            "20" if s.as_bytes()[2] < b'2' => "2A",
            "20" => "2B",
            "97" | "98" => &s[..3],
            d => d,
        }
    }

    /// The overseas département for codes starting with 971–976.
    pub fn overseas_region(&self) -> Option<Overseas> {
        Overseas::from_prefix(&self.0[..3])
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PostalCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for PostalCode {
    type Err = PostalCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PostalCode::parse(s)
    }
}

impl TryFrom<String> for PostalCode {
    type Error = PostalCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PostalCode::parse(&s)
    }
}

impl From<PostalCode> for String {
    fn from(p: PostalCode) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_normalises() {
        let cases = [
            ("80000", "80000"),
            (" 80000 ", "80000"),
            ("80 000", "80000"),
            ("\u{a0}80\u{a0}000\u{a0}", "80000"),
            ("1000", "01000"),
            ("01000", "01000"),
            ("80000.0", "80000"),
            ("1000.0", "01000"),
            ("'01000", "01000"),
            ("97400", "97400"),
            ("97133", "97133"),
            ("98000", "98000"),
            ("20000", "20000"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                PostalCode::parse(raw).map(|p| p.0),
                Ok(want.to_owned()),
                "{raw}"
            );
        }
    }

    #[test]
    fn rejects_with_codes() {
        let cases = [
            ("", "postal_code_empty"),
            ("   ", "postal_code_empty"),
            ("8000O", "postal_code_invalid_character"),
            ("80-000", "postal_code_invalid_character"),
            ("2A000", "postal_code_invalid_character"),
            ("F-80000", "postal_code_invalid_character"),
            ("800", "postal_code_too_short"),
            ("800000", "postal_code_too_long"),
            ("80000.5", "postal_code_invalid_character"),
            ("00100", "postal_code_unknown_departement"),
            ("96000", "postal_code_unknown_departement"),
            ("99999", "postal_code_unknown_departement"),
            ("97000", "postal_code_unknown_departement"),
            ("97700", "postal_code_unknown_departement"),
            ("123", "postal_code_too_short"),
        ];
        for (raw, code) in cases {
            let err = PostalCode::parse(raw).expect_err(raw);
            assert_eq!(err.code(), code, "{raw}");
            assert!(!err.message_fr().is_empty());
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn departements() {
        let cases = [
            ("80000", "80"),
            ("01000", "01"),
            ("75015", "75"),
            ("20000", "2A"),
            ("20090", "2A"),
            ("20199", "2A"),
            ("20200", "2B"),
            ("20600", "2B"),
            ("97100", "971"),
            ("97133", "971"),
            ("97200", "972"),
            ("97300", "973"),
            ("97400", "974"),
            ("97500", "975"),
            ("97600", "976"),
            ("98000", "980"),
            ("98800", "988"),
        ];
        for (raw, dep) in cases {
            assert_eq!(PostalCode::parse(raw).unwrap().departement(), dep, "{raw}");
        }
    }

    #[test]
    fn overseas() {
        let p = |s| PostalCode::parse(s).unwrap().overseas_region();
        assert_eq!(p("97110"), Some(Overseas::Guadeloupe));
        assert_eq!(p("97200"), Some(Overseas::Martinique));
        assert_eq!(p("97300"), Some(Overseas::Guyane));
        assert_eq!(p("97400"), Some(Overseas::Reunion));
        assert_eq!(p("97500"), Some(Overseas::SaintPierreEtMiquelon));
        assert_eq!(p("97600"), Some(Overseas::Mayotte));
        assert_eq!(p("80000"), None);
        assert_eq!(p("98800"), None);
        assert_eq!(Overseas::Mayotte.calling_code(), "262");
        assert_eq!(Overseas::Reunion.to_string(), "La Réunion");
    }

    #[test]
    fn serde_goes_through_parse() {
        let p: PostalCode = serde_json::from_str("\"80 000\"").unwrap();
        assert_eq!(p.as_str(), "80000");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"80000\"");
        assert!(serde_json::from_str::<PostalCode>("\"8000X\"").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,12}") {
            let _ = PostalCode::parse(&s);
        }

        #[test]
        fn metro_codes_round_trip(n in 1_000u32..96_000, spaced in any::<bool>(), float in any::<bool>()) {
            let canonical = format!("{n:05}");
            let mut raw = if spaced { format!("{} {}", &canonical[..2], &canonical[2..]) } else { canonical.clone() };
            if float && !spaced { raw.push_str(".0"); }
            let p = PostalCode::parse(&raw).unwrap();
            prop_assert_eq!(p.as_str(), canonical.as_str());
            prop_assert_eq!(PostalCode::parse(p.as_str()).unwrap(), p.clone());
            prop_assert!(p.departement().len() == 2);
            prop_assert!(p.overseas_region().is_none());
        }

        #[test]
        fn four_digit_codes_get_their_zero(n in 1_000u32..10_000) {
            let p = PostalCode::parse(&n.to_string()).unwrap();
            prop_assert_eq!(p.as_str(), format!("0{n}"));
        }

        #[test]
        fn parsed_codes_are_five_digits(s in "[0-9 .]{0,8}") {
            if let Ok(p) = PostalCode::parse(&s) {
                prop_assert_eq!(p.as_str().len(), 5);
                prop_assert!(p.as_str().bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
