//! The suppression list (durable opt-out, issue 14): the keys of people who asked not
//! to be called, kept for good, so that an import matching any of them brings the
//! person in as opted out whatever their file reference.
//!
//! A key is a phone number (E.164) or an identity (folded last name, folded first name
//! and birth date: `domain::names::identity_key`, the import's own identity). Neither is
//! stored as such: the list holds a SHA-256 of the kind and the value (domain-separated,
//! hex), and an import compares the hashes of its rows with them. The hash is not keyed
//! on purpose: losing or rotating a key would silently void every opt-out, the one
//! failure this list exists to prevent (docs/PRIVACY.md, "Opt-out is forever").
//! An identity without a birth date is no key: a name alone is too weak (homonyms).

use std::collections::HashSet;

use sha2::{Digest, Sha256};

/// What a key was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuppressionKind {
    Phone,
    Identity,
}

impl SuppressionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Identity => "identity",
        }
    }
}

/// Where a key came from (kept for the record of processing; never used to match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionSource {
    /// A call recorded the outcome "opt out".
    Call,
    /// An entry of a do-not-call list (`lien import opt-out`).
    OptOutList,
    /// A beneficiary list gave the person the status "opted out".
    Import,
    /// Another path of the store (the people page, an erasure keeping the key).
    Person,
}

impl SuppressionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::OptOutList => "opt_out_list",
            Self::Import => "import",
            Self::Person => "person",
        }
    }
}

/// One key of the list: its kind and the SHA-256 of the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SuppressionKey {
    pub kind: SuppressionKind,
    pub hash: [u8; 32],
}

impl SuppressionKey {
    fn of(kind: SuppressionKind, value: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"lien suppression v1\x1f");
        h.update(kind.as_str().as_bytes());
        h.update(b"\x1f");
        h.update(value.as_bytes());
        Self {
            kind,
            hash: h.finalize().into(),
        }
    }

    /// The key of a phone number, in E.164 (`+33612345678`).
    pub fn phone(e164: &str) -> Self {
        Self::of(SuppressionKind::Phone, e164)
    }

    /// The key of an identity key (`domain::names::identity_key`); none without a
    /// birth date or a last name.
    pub fn identity(identity_key: &str) -> Option<Self> {
        let mut parts = identity_key.split('|');
        let (last, _first, date) = (parts.next()?, parts.next()?, parts.next()?);
        (!last.is_empty() && !date.is_empty())
            .then(|| Self::of(SuppressionKind::Identity, identity_key))
    }

    /// The hash as stored: 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        hex::encode(self.hash)
    }

    /// A stored key back; none when the text is not one.
    pub fn from_stored(kind: &str, hex_hash: &str) -> Option<Self> {
        let kind = match kind {
            "phone" => SuppressionKind::Phone,
            "identity" => SuppressionKind::Identity,
            _ => return None,
        };
        let hash = hex::decode(hex_hash).ok()?.try_into().ok()?;
        Some(Self { kind, hash })
    }

    /// The first 16 bytes: what the in-memory set compares.
    fn compact(&self) -> u128 {
        let mut first = [0u8; 16];
        first.copy_from_slice(&self.hash[..16]);
        u128::from_le_bytes(first)
    }
}

/// The list in memory, for a bulk import: compact keys in two hash sets. A row is
/// hashed only against a kind the list holds (an empty list costs nothing).
#[derive(Debug, Default, Clone)]
pub struct SuppressionSet {
    phones: HashSet<u128>,
    identities: HashSet<u128>,
}

impl SuppressionSet {
    pub fn insert(&mut self, key: &SuppressionKey) {
        let set = match key.kind {
            SuppressionKind::Phone => &mut self.phones,
            SuppressionKind::Identity => &mut self.identities,
        };
        set.insert(key.compact());
    }

    pub fn len(&self) -> usize {
        self.phones.len() + self.identities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a person with this identity key and these phones (E.164) is on the list
    /// by any of them.
    pub fn matches<'a>(
        &self,
        identity_key: &str,
        mut phones: impl Iterator<Item = &'a str>,
    ) -> bool {
        let by_identity = !self.identities.is_empty()
            && SuppressionKey::identity(identity_key)
                .is_some_and(|k| self.identities.contains(&k.compact()));
        by_identity
            || (!self.phones.is_empty()
                && phones.any(|p| self.phones.contains(&SuppressionKey::phone(p).compact())))
    }
}

/// The keys of one person: each phone, and the identity when it has a birth date.
pub fn person_keys<'a>(
    identity_key: &str,
    phones: impl IntoIterator<Item = &'a str>,
) -> Vec<SuppressionKey> {
    let mut keys: Vec<SuppressionKey> = phones.into_iter().map(SuppressionKey::phone).collect();
    keys.extend(SuppressionKey::identity(identity_key));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::names::identity_key;
    use chrono::NaiveDate;

    fn born() -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(1938, 4, 2)
    }

    #[test]
    fn an_identity_key_folds_like_the_import() {
        let a = SuppressionKey::identity(&identity_key("Lefèvre", "Hélène", born()));
        let b = SuppressionKey::identity(&identity_key("LEFEVRE", "helene", born()));
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_ne!(
            a,
            SuppressionKey::identity(&identity_key("Lefèvre", "Hélène", None))
        );
    }

    #[test]
    fn no_identity_key_without_a_birth_date_or_a_name() {
        assert_eq!(
            SuppressionKey::identity(&identity_key("Martin", "Paul", None)),
            None
        );
        assert_eq!(
            SuppressionKey::identity(&identity_key("", "", born())),
            None
        );
        assert_eq!(SuppressionKey::identity("garbage"), None);
    }

    #[test]
    fn kinds_do_not_collide_and_keys_round_trip() {
        let phone = SuppressionKey::phone("+33612345678");
        assert_ne!(
            phone.hash,
            SuppressionKey::of(SuppressionKind::Identity, "+33612345678").hash
        );
        assert_eq!(phone.hex().len(), 64);
        assert!(!phone.hex().contains("612345678"));
        assert_eq!(
            SuppressionKey::from_stored("phone", &phone.hex()),
            Some(phone)
        );
        assert_eq!(SuppressionKey::from_stored("name", &phone.hex()), None);
        assert_eq!(SuppressionKey::from_stored("phone", "zz"), None);
    }

    #[test]
    fn the_set_matches_by_any_key() {
        let key = identity_key("Durand", "Marie", born());
        let mut set = SuppressionSet::default();
        assert!(!set.matches(&key, ["+33612345678"].into_iter()));
        set.insert(&SuppressionKey::phone("+33612345678"));
        assert!(set.matches(
            "other|person|1950-01-01",
            ["+33100000000", "+33612345678"].into_iter()
        ));
        assert!(!set.matches(&key, ["+33100000000"].into_iter()));
        set.insert(&SuppressionKey::identity(&key).unwrap());
        assert!(set.matches(&key, std::iter::empty()));
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn a_persons_keys_are_their_phones_and_identity() {
        let keys = person_keys(&identity_key("Durand", "Marie", born()), ["+33612345678"]);
        assert_eq!(keys.len(), 2);
        assert_eq!(
            person_keys(&identity_key("Durand", "Marie", None), []).len(),
            0
        );
    }
}
