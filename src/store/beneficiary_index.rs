//! Who is stored, held in memory as compact keys for a bulk import.
//!
//! One pass over the stored people (and one over their phones) gives, for each
//! person: the id, the status, a keyed 64-bit hash of the reference and of the
//! identity key (what the import looks people up by), and a hash of the whole stored
//! row with its phones (what "unchanged" compares). A million people take about 40 MB
//! here, plus two hash maps of 16-byte entries, instead of a query per row.
//!
//! Keys are compared by keyed hash (random keys per import): two different references
//! share a hash with a probability of about one in 10^7 for a million-row import, and
//! the lookup then finds two people, which refuses the row as ambiguous.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use foldhash::fast::RandomState;

use chrono::NaiveDate;

use crate::domain::BeneficiaryStatus;
use crate::records::import_rules::Lookup;

/// A person as the import compares them: every stored column the file can set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fields {
    pub external_ref: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: Option<NaiveDate>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub commune: Option<String>,
    pub insee_code: Option<String>,
    pub preferred_language: String,
    pub territory_id: Option<i64>,
    pub status: BeneficiaryStatus,
    pub relative_name: Option<String>,
    pub relative_phone: Option<String>,
}

/// Every column of [`Fields`] as one text, computed by the database: one column to
/// read per person instead of fourteen (a million-row read spent its time decoding
/// columns). NULL is `\u{1e}`, columns are separated by `\u{1f}`; the same SQL on both
/// databases (dates and numbers cast to text come out as Rust writes them; PostgreSQL's
/// date style is set to ISO for the import's transaction).
pub(super) const DIGEST: &str = "COALESCE(external_ref, '\u{1e}') || '\u{1f}' || \
     last_name || '\u{1f}' || first_name || '\u{1f}' || \
     COALESCE(CAST(birth_date AS TEXT), '\u{1e}') || '\u{1f}' || \
     COALESCE(address, '\u{1e}') || '\u{1f}' || COALESCE(postal_code, '\u{1e}') || '\u{1f}' || \
     COALESCE(commune, '\u{1e}') || '\u{1f}' || COALESCE(insee_code, '\u{1e}') || '\u{1f}' || \
     preferred_language || '\u{1f}' || \
     COALESCE(CAST(territory_id AS TEXT), '\u{1e}') || '\u{1f}' || status || '\u{1f}' || \
     COALESCE(relative_name, '\u{1e}') || '\u{1f}' || COALESCE(relative_phone, '\u{1e}')";

impl Fields {
    /// The text [`DIGEST`] computes in the database, computed here.
    pub fn digest(&self) -> String {
        const NULL: &str = "\u{1e}";
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| NULL.to_owned());
        [
            text(&self.external_ref),
            self.last_name.clone(),
            self.first_name.clone(),
            text(&self.birth_date.map(|d| d.to_string())),
            text(&self.address),
            text(&self.postal_code),
            text(&self.commune),
            text(&self.insee_code),
            self.preferred_language.clone(),
            text(&self.territory_id.map(|t| t.to_string())),
            self.status.as_str().to_owned(),
            text(&self.relative_name),
            text(&self.relative_phone),
        ]
        .join("\u{1f}")
    }
}

/// One stored (or newly inserted) person.
#[derive(Debug, Clone, Copy)]
pub(super) struct Person {
    pub id: i64,
    /// Hash of the stored row with its phones, and of the phones alone.
    pub content: u64,
    pub phones: u64,
    /// Hash of the reference; 0 when the person has none.
    ref_hash: u64,
    key_hash: u64,
    pub status: BeneficiaryStatus,
    pub member: bool,
    /// Met in the file already.
    pub seen: bool,
}

/// The people the import knows, by reference and by identity key.
pub(super) struct Index {
    hasher: RandomState,
    pub people: Vec<Person>,
    /// How many of `people` were loaded (sorted by id); the rest are new.
    loaded: usize,
    by_ref: Multi,
    by_key: Multi,
}

/// A phone list's hash under way: the hasher and the numbers so far.
pub(super) struct PhoneHasher(foldhash::fast::FoldHasher<'static>, u32);

/// Hash → positions in `people`: the first in a flat map, the rare others apart.
#[derive(Default)]
struct Multi {
    first: HashMap<u64, u32>,
    others: HashMap<u64, Vec<u32>>,
}

impl Multi {
    fn with_capacity(n: usize) -> Self {
        Self {
            first: HashMap::with_capacity(n),
            others: HashMap::new(),
        }
    }

    fn add(&mut self, hash: u64, at: u32) {
        if let Some(&first) = self.first.get(&hash) {
            if first != at {
                self.others.entry(hash).or_default().push(at);
            }
        } else {
            self.first.insert(hash, at);
        }
    }

    fn remove(&mut self, hash: u64, at: u32) {
        if self.first.get(&hash) == Some(&at) {
            match self.others.get_mut(&hash).and_then(Vec::pop) {
                Some(next) => {
                    self.first.insert(hash, next);
                }
                None => {
                    self.first.remove(&hash);
                }
            }
        } else if let Some(list) = self.others.get_mut(&hash) {
            list.retain(|&p| p != at);
        }
        if self.others.get(&hash).is_some_and(Vec::is_empty) {
            self.others.remove(&hash);
        }
    }

    fn get(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        self.first
            .get(&hash)
            .copied()
            .into_iter()
            .chain(self.others.get(&hash).into_iter().flatten().copied())
    }
}

impl Index {
    /// An empty index with room for `capacity` people.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            hasher: RandomState::default(),
            people: Vec::with_capacity(capacity),
            loaded: 0,
            by_ref: Multi::with_capacity(capacity),
            by_key: Multi::with_capacity(capacity),
        }
    }

    /// Makes room for `n` more people.
    pub fn reserve(&mut self, n: usize) {
        self.people.reserve_exact(n);
        self.by_ref.first.reserve(n);
        self.by_key.first.reserve(n);
    }

    fn hash_str(&self, s: &str) -> u64 {
        // 0 means "no reference".
        self.hasher.hash_one(s).max(1)
    }

    /// Hash of a phone list, in order.
    pub fn phones_hash<'a>(&self, phones: impl Iterator<Item = &'a str>) -> u64 {
        let mut h = self.phone_hasher();
        for p in phones {
            self.add_phone(&mut h, p);
        }
        self.finish_phones(h)
    }

    /// A phone list's hash, built number by number: start.
    pub fn phone_hasher(&self) -> PhoneHasher {
        PhoneHasher(self.hasher.build_hasher(), 0)
    }

    /// The next number of the list.
    pub fn add_phone(&self, h: &mut PhoneHasher, e164: &str) {
        e164.hash(&mut h.0);
        h.1 += 1;
    }

    /// The list's hash.
    pub fn finish_phones(&self, mut h: PhoneHasher) -> u64 {
        h.1.hash(&mut h.0);
        h.0.finish()
    }

    /// Hash of a row and its phone list's hash.
    pub fn content_hash(&self, fields: &Fields, phones: u64) -> u64 {
        self.content_hash_of(&fields.digest(), phones)
    }

    /// Hash of a row's digest ([`Fields::digest`], or [`DIGEST`] read from the
    /// database) and its phone list's hash.
    pub fn content_hash_of(&self, digest: &str, phones: u64) -> u64 {
        let mut h = self.hasher.build_hasher();
        digest.hash(&mut h);
        phones.hash(&mut h);
        h.finish()
    }

    /// Adds a person (loaded, or just inserted); gives their position.
    pub fn push(
        &mut self,
        id: i64,
        external_ref: Option<&str>,
        identity_key: &str,
        status: BeneficiaryStatus,
        content: u64,
        phones: u64,
    ) -> u32 {
        let at = self.people.len() as u32;
        let ref_hash = external_ref.map_or(0, |r| self.hash_str(r));
        let key_hash = self.hash_str(identity_key);
        self.people.push(Person {
            id,
            content,
            phones,
            ref_hash,
            key_hash,
            status,
            member: false,
            seen: false,
        });
        if ref_hash != 0 {
            self.by_ref.add(ref_hash, at);
        }
        self.by_key.add(key_hash, at);
        at
    }

    /// Ends the load: the people so far are sorted by id.
    pub fn loaded(&mut self) {
        self.loaded = self.people.len();
    }

    /// Marks a loaded person as a member of the campaign.
    pub fn mark_member(&mut self, id: i64) {
        let loaded = &mut self.people[..self.loaded];
        if let Ok(at) = loaded.binary_search_by_key(&id, |p| p.id) {
            loaded[at].member = true;
        }
    }

    /// The people the first fruitful lookup finds, as positions.
    pub fn find(&self, lookups: &[Lookup]) -> Vec<u32> {
        for lookup in lookups {
            let found: Vec<u32> = match lookup {
                Lookup::Reference(r) => self.by_ref.get(self.hash_str(r)).collect(),
                Lookup::Identity {
                    key,
                    without_reference,
                } => self
                    .by_key
                    .get(self.hash_str(key))
                    .filter(|&at| !without_reference || self.people[at as usize].ref_hash == 0)
                    .collect(),
                Lookup::Phone(_) => Vec::new(),
            };
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// Records what an update wrote: new keys, status and content.
    pub fn updated(
        &mut self,
        at: u32,
        external_ref: Option<&str>,
        identity_key: &str,
        status: BeneficiaryStatus,
        content: u64,
        phones: u64,
    ) {
        let ref_hash = external_ref.map_or(0, |r| self.hash_str(r));
        let key_hash = self.hash_str(identity_key);
        let person = self.people[at as usize];
        if person.ref_hash != ref_hash {
            if person.ref_hash != 0 {
                self.by_ref.remove(person.ref_hash, at);
            }
            if ref_hash != 0 {
                self.by_ref.add(ref_hash, at);
            }
        }
        if person.key_hash != key_hash {
            self.by_key.remove(person.key_hash, at);
            self.by_key.add(key_hash, at);
        }
        let person = &mut self.people[at as usize];
        person.ref_hash = ref_hash;
        person.key_hash = key_hash;
        person.status = status;
        person.content = content;
        person.phones = phones;
    }

    /// The id of a stored person not yet met in the file who has a reference.
    pub fn stored_with_reference(&self, at: u32) -> Option<i64> {
        let p = &self.people[at as usize];
        ((at as usize) < self.loaded && !p.seen && p.ref_hash != 0).then_some(p.id)
    }
}
