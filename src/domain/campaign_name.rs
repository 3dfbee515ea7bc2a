//! The short name of a campaign, as typed after `--campaign` and shown in URLs.

use std::fmt;

/// Lower-case letters, digits, `-` and `_`, starting with a letter or digit, at most 63
/// characters: `default`, `canicule-2026`. Surrounding spaces are trimmed and capitals
/// lowered; anything else is refused.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct CampaignName(String);

/// Why a campaign name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignNameError {
    #[error("a campaign name cannot be empty")]
    Empty,
    #[error("a campaign name has at most 63 characters")]
    TooLong,
    #[error("a campaign name uses only a-z, 0-9, '-' and '_', and starts with a letter or digit (got {0:?})")]
    InvalidCharacter(String),
}

impl CampaignName {
    pub const DEFAULT: &'static str = "default";

    pub fn parse(raw: &str) -> Result<Self, CampaignNameError> {
        let name = raw.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(CampaignNameError::Empty);
        }
        if name.len() > 63 {
            return Err(CampaignNameError::TooLong);
        }
        let first_ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !first_ok || !rest_ok {
            return Err(CampaignNameError::InvalidCharacter(raw.trim().to_string()));
        }
        Ok(Self(name))
    }

    /// The campaign every installation starts with.
    pub fn default_campaign() -> Self {
        Self(Self::DEFAULT.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CampaignName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for CampaignName {
    type Err = CampaignNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CampaignName {
    type Error = CampaignNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CampaignName> for String {
    fn from(n: CampaignName) -> Self {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_slugs_and_lowers_case() {
        assert_eq!(
            CampaignName::parse(" Canicule-2026 ").unwrap().as_str(),
            "canicule-2026"
        );
        assert_eq!(
            CampaignName::parse("default").unwrap(),
            CampaignName::default_campaign()
        );
        assert_eq!(CampaignName::parse("a_b").unwrap().as_str(), "a_b");
    }

    #[test]
    fn refuses_the_rest() {
        assert_eq!(CampaignName::parse("  "), Err(CampaignNameError::Empty));
        assert!(matches!(
            CampaignName::parse("-x"),
            Err(CampaignNameError::InvalidCharacter(_))
        ));
        assert!(matches!(
            CampaignName::parse("été"),
            Err(CampaignNameError::InvalidCharacter(_))
        ));
        assert!(matches!(
            CampaignName::parse("a b"),
            Err(CampaignNameError::InvalidCharacter(_))
        ));
        assert_eq!(
            CampaignName::parse(&"a".repeat(64)),
            Err(CampaignNameError::TooLong)
        );
    }

    proptest! {
        #[test]
        fn valid_names_round_trip(s in "[a-z0-9][a-z0-9_-]{0,62}") {
            let n = CampaignName::parse(&s).unwrap();
            prop_assert_eq!(CampaignName::parse(n.as_str()).unwrap(), n);
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = CampaignName::parse(&s);
        }
    }
}
