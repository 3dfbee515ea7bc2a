//! E-mail address (users, territory contacts).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::trim_cell;

/// A normalised e-mail address: trimmed and lowercased, e.g.
/// `"claire.martin@mairie-amiens.fr"`.
///
/// Accepts a bare address, the display-name form
/// `"Claire Martin <Claire@X.org>"` and a `mailto:` prefix; keeps only the
/// address. Requires exactly one `@`, a non-empty local part of at most 64
/// characters (letters, digits and ``!#$%&'*+/=?^_`{|}~.-``, no leading,
/// trailing or doubled dot), a domain with at least one dot made of
/// letters/digits/hyphens labels (internationalised letters allowed, a TLD
/// of 2+ characters that is not all digits), no spaces, 254 bytes at most.
/// Quoted local parts and IP-literal domains are rejected: they are legal
/// but never what a coordinator meant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

/// Why an e-mail address was rejected. Never contains the address itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("e-mail address is empty")]
    Empty,
    #[error("e-mail address is longer than 254 characters")]
    TooLong,
    #[error("e-mail address contains a space")]
    ContainsSpace,
    #[error("e-mail address has no '@'")]
    MissingAt,
    #[error("e-mail address has several '@' (several addresses in one cell?)")]
    SeveralAt,
    #[error("e-mail address has nothing before the '@'")]
    EmptyLocalPart,
    #[error("the part before the '@' is longer than 64 characters")]
    LocalPartTooLong,
    #[error("the part before the '@' starts or ends with a dot, or has two dots in a row")]
    MisplacedDot,
    #[error("e-mail address contains an invalid character {0:?}")]
    InvalidCharacter(char),
    #[error("e-mail address has nothing after the '@'")]
    MissingDomain,
    #[error("e-mail domain has no dot (e.g. \"gmail\" instead of \"gmail.com\")")]
    DomainWithoutDot,
    #[error("e-mail domain is malformed")]
    InvalidDomain,
}

impl EmailError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            EmailError::Empty => "email_empty",
            EmailError::TooLong => "email_too_long",
            EmailError::ContainsSpace => "email_contains_space",
            EmailError::MissingAt => "email_missing_at",
            EmailError::SeveralAt => "email_several_at",
            EmailError::EmptyLocalPart => "email_empty_local_part",
            EmailError::LocalPartTooLong => "email_local_part_too_long",
            EmailError::MisplacedDot => "email_misplaced_dot",
            EmailError::InvalidCharacter(_) => "email_invalid_character",
            EmailError::MissingDomain => "email_missing_domain",
            EmailError::DomainWithoutDot => "email_domain_without_dot",
            EmailError::InvalidDomain => "email_invalid_domain",
        }
    }

    /// French message for the coordinator.
    pub fn message_fr(&self) -> String {
        const EXAMPLE: &str = "ex. claire.martin@mairie.fr";
        match self {
            EmailError::Empty => "L'adresse e-mail est vide.".to_owned(),
            EmailError::TooLong => "L'adresse e-mail est trop longue (254 caractères au plus).".to_owned(),
            EmailError::ContainsSpace => {
                format!("L'adresse e-mail contient une espace : retirez-la ({EXAMPLE}).")
            }
            EmailError::MissingAt => format!("L'adresse e-mail ne contient pas de « @ » ({EXAMPLE})."),
            EmailError::SeveralAt => "L'adresse e-mail contient plusieurs « @ » : n'indiquez qu'une seule adresse par cellule.".to_owned(),
            EmailError::EmptyLocalPart => format!("Il manque la partie avant le « @ » ({EXAMPLE})."),
            EmailError::LocalPartTooLong => "La partie avant le « @ » est trop longue (64 caractères au plus).".to_owned(),
            EmailError::MisplacedDot => "La partie avant le « @ » ne peut ni commencer ni finir par un point, ni contenir deux points qui se suivent.".to_owned(),
            EmailError::InvalidCharacter(c) => {
                format!("L'adresse e-mail contient le caractère « {c} », qui n'est pas accepté ({EXAMPLE}).")
            }
            EmailError::MissingDomain => format!("Il manque le domaine après le « @ » ({EXAMPLE})."),
            EmailError::DomainWithoutDot => format!(
                "Le domaine après le « @ » doit contenir un point, par ex. « gmail.com » et non « gmail » ({EXAMPLE})."
            ),
            EmailError::InvalidDomain => format!(
                "Le domaine après le « @ » est mal formé (point en trop, tiret mal placé, extension invalide) : {EXAMPLE}."
            ),
        }
    }
}

const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~.-";

/// The address inside `Name <address>`, or the whole value.
fn unwrap_display_name(s: &str) -> Result<&str, EmailError> {
    match (s.rfind('<'), s.ends_with('>')) {
        (Some(open), true) => Ok(&s[open + 1..s.len() - 1]),
        (Some(_), false) => Err(EmailError::InvalidCharacter('<')),
        (None, true) => Err(EmailError::InvalidCharacter('>')),
        (None, false) => Ok(s),
    }
}

fn check_local(local: &str) -> Result<(), EmailError> {
    if local.is_empty() {
        return Err(EmailError::EmptyLocalPart);
    }
    if local.chars().count() > 64 {
        return Err(EmailError::LocalPartTooLong);
    }
    if let Some(c) = local
        .chars()
        .find(|&c| !(c.is_alphanumeric() || LOCAL_SPECIALS.contains(c)))
    {
        return Err(EmailError::InvalidCharacter(c));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::MisplacedDot);
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), EmailError> {
    if domain.is_empty() {
        return Err(EmailError::MissingDomain);
    }
    if let Some(c) = domain
        .chars()
        .find(|&c| !(c.is_alphanumeric() || c == '-' || c == '.'))
    {
        return Err(EmailError::InvalidCharacter(c));
    }
    if !domain.contains('.') {
        return Err(EmailError::DomainWithoutDot);
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty() && l.chars().count() <= 63 && !l.starts_with('-') && !l.ends_with('-')
    };
    let tld = labels.last().copied().unwrap_or_default();
    if !labels.iter().all(label_ok)
        || tld.chars().count() < 2
        || tld.chars().all(|c| c.is_ascii_digit())
    {
        return Err(EmailError::InvalidDomain);
    }
    Ok(())
}

impl EmailAddress {
    /// Parses and normalises an address (see the type documentation).
    pub fn parse(raw: &str) -> Result<EmailAddress, EmailError> {
        let s = trim_cell(raw);
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        let s = trim_cell(unwrap_display_name(s)?);
        let s = match s.get(..7) {
            Some(prefix) if prefix.eq_ignore_ascii_case("mailto:") => trim_cell(&s[7..]),
            _ => s,
        };
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        let address = s.to_lowercase();
        if address.len() > 254 {
            return Err(EmailError::TooLong);
        }
        match address.matches('@').count() {
            0 => return Err(EmailError::MissingAt),
            1 => {}
            _ => return Err(EmailError::SeveralAt),
        }
        if address.chars().any(char::is_whitespace) {
            return Err(EmailError::ContainsSpace);
        }
        let (local, domain) = address.split_once('@').ok_or(EmailError::MissingAt)?;
        check_local(local)?;
        check_domain(domain)?;
        Ok(EmailAddress(address))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(l, _)| l)
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for EmailAddress {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(s)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> String {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_normalises() {
        let cases = [
            ("claire@x.org", "claire@x.org"),
            (
                "  Claire.Martin@Mairie-Amiens.FR \u{a0}",
                "claire.martin@mairie-amiens.fr",
            ),
            ("Claire Martin <claire@x.org>", "claire@x.org"),
            ("\"Martin, Claire\" <Claire@X.org>", "claire@x.org"),
            ("<claire@x.org>", "claire@x.org"),
            ("mailto:claire@x.org", "claire@x.org"),
            ("MAILTO:Claire@X.org", "claire@x.org"),
            ("claire+ccas@x.org", "claire+ccas@x.org"),
            ("o'brien@x.org", "o'brien@x.org"),
            ("c_m-1@sub.domain.co.uk", "c_m-1@sub.domain.co.uk"),
            ("élodie@mairie-évry.fr", "élodie@mairie-évry.fr"),
            ("a@b.co", "a@b.co"),
            ("x@xn--mairie-vry-bbb.fr", "x@xn--mairie-vry-bbb.fr"),
            ("123@456.fr", "123@456.fr"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                EmailAddress::parse(raw).map(|e| e.0),
                Ok(want.to_owned()),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn rejects_with_codes() {
        let long_local = format!("{}@x.org", "a".repeat(65));
        let long_total = format!("a@{}.org", "b.".repeat(130));
        let cases: Vec<(&str, &str)> = vec![
            ("", "email_empty"),
            ("   ", "email_empty"),
            ("<>", "email_empty"),
            ("mailto:", "email_empty"),
            ("claire.x.org", "email_missing_at"),
            ("Claire Martin", "email_missing_at"),
            ("a@b@x.org", "email_several_at"),
            ("a@x.org; b@y.org", "email_several_at"),
            ("a@x.org, b@y.org", "email_several_at"),
            ("claire martin@x.org", "email_contains_space"),
            ("claire@x .org", "email_contains_space"),
            ("@x.org", "email_empty_local_part"),
            (&long_local, "email_local_part_too_long"),
            (".claire@x.org", "email_misplaced_dot"),
            ("claire.@x.org", "email_misplaced_dot"),
            ("claire..martin@x.org", "email_misplaced_dot"),
            ("claire,martin@x.org", "email_invalid_character"),
            ("\"claire\"@x.org", "email_invalid_character"),
            ("claire@x_y.org", "email_invalid_character"),
            ("claire@[1.2.3.4]", "email_invalid_character"),
            ("claire@x.org>", "email_invalid_character"),
            ("Claire <claire@x.org", "email_invalid_character"),
            ("claire@", "email_missing_domain"),
            ("claire@gmail", "email_domain_without_dot"),
            ("claire@localhost", "email_domain_without_dot"),
            ("claire@x.org.", "email_invalid_domain"),
            ("claire@.x.org", "email_invalid_domain"),
            ("claire@x..org", "email_invalid_domain"),
            ("claire@-x.org", "email_invalid_domain"),
            ("claire@x-.org", "email_invalid_domain"),
            ("claire@x.o", "email_invalid_domain"),
            ("claire@1.2.3.4", "email_invalid_domain"),
            (&long_total, "email_too_long"),
        ];
        for (raw, code) in cases {
            let e = EmailAddress::parse(raw).expect_err(raw);
            assert_eq!(e.code(), code, "{raw:?}");
            assert!(!e.message_fr().is_empty());
            assert!(!e.to_string().contains("claire"));
        }
    }

    #[test]
    fn accessors_and_serde() {
        let e = EmailAddress::parse("Claire <Claire.Martin@Mairie.fr>").unwrap();
        assert_eq!(e.as_str(), "claire.martin@mairie.fr");
        assert_eq!(e.local_part(), "claire.martin");
        assert_eq!(e.domain(), "mairie.fr");
        assert_eq!(e.to_string(), "claire.martin@mairie.fr");
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            "\"claire.martin@mairie.fr\""
        );
        let back: EmailAddress = serde_json::from_str("\"CLAIRE.MARTIN@MAIRIE.FR\"").unwrap();
        assert_eq!(back, e);
        assert!(serde_json::from_str::<EmailAddress>("\"claire@gmail\"").is_err());
    }

    proptest! {
        #[test]
        fn valid_addresses_round_trip(local in "[A-Za-z0-9_+-]{1,20}(\\.[A-Za-z0-9]{1,8}){0,2}", domain in "[a-z0-9]{1,12}(-[a-z0-9]{1,5})?(\\.[a-z0-9]{1,8}){0,2}\\.[a-z]{2,6}", name in proptest::option::of("[A-Za-z ]{1,20}")) {
            let raw = match &name {
                Some(n) => format!("{n} <{local}@{domain}>"),
                None => format!(" {local}@{domain} "),
            };
            let e = EmailAddress::parse(&raw).map_err(|err| TestCaseError::fail(format!("{raw:?}: {err}")))?;
            prop_assert_eq!(e.as_str(), format!("{local}@{domain}").to_lowercase());
            prop_assert_eq!(EmailAddress::parse(e.as_str()), Ok(e.clone()));
            prop_assert_eq!(e.local_part(), local.to_lowercase());
            prop_assert_eq!(e.domain(), domain.as_str());
        }

        #[test]
        fn parsed_addresses_are_normalised(s in "\\PC{0,40}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert_eq!(e.as_str().matches('@').count(), 1);
                prop_assert!(!e.as_str().chars().any(char::is_whitespace));
                prop_assert_eq!(e.as_str().to_lowercase(), e.as_str());
                prop_assert_eq!(EmailAddress::parse(e.as_str()), Ok(e.clone()));
            }
        }
    }
}
