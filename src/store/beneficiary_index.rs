//! Who is stored, held in memory as compact keys for a bulk import.
//!
//! One pass over the stored people (and one over their phones) gives, for each
//! person: the id, the status, a keyed 64-bit hash of the reference and of the
//! identity key (what the import looks people up by), and a hash of the whole stored
//! row with its phones (what "unchanged" compares). A million people take 48 MB here
//! (in blocks, never copied to grow), plus two tables of 4-byte positions (21 MB),
//! instead of a query per row.
//!
//! Keys are compared by keyed hash (random keys per import): two different references
//! share a hash with a probability of about one in 10^7 for a million-row import. When
//! both people are known, the lookup finds the two and the row is refused as
//! ambiguous; a new reference whose hash meets one stored person's would be taken for
//! that person, as no exact comparison follows (docs/IMPORT.md, Large files).

use std::hash::{BuildHasher, Hash, Hasher};

use foldhash::fast::RandomState;
use hashbrown::HashTable;

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
/// date style is set to ISO for the import's transaction). One `concat_ws` rather than
/// twenty-four `||`, each of which copied the text so far (a million-row re-import
/// took 0.4 s of CPU less, docs/PERFORMANCE.md).
pub(super) const DIGEST: &str = "concat_ws('\u{1f}', COALESCE(external_ref, '\u{1e}'), \
     last_name, first_name, COALESCE(CAST(birth_date AS TEXT), '\u{1e}'), \
     COALESCE(address, '\u{1e}'), COALESCE(postal_code, '\u{1e}'), \
     COALESCE(commune, '\u{1e}'), COALESCE(insee_code, '\u{1e}'), preferred_language, \
     COALESCE(CAST(territory_id AS TEXT), '\u{1e}'), status, \
     COALESCE(relative_name, '\u{1e}'), COALESCE(relative_phone, '\u{1e}'))";

impl Fields {
    /// The text [`DIGEST`] computes in the database, computed here (into one string:
    /// a re-import makes one a row).
    pub fn digest(&self) -> String {
        use std::fmt::Write;
        const NULL: &str = "\u{1e}";
        const SEP: char = '\u{1f}';
        let mut out = String::with_capacity(256);
        let text = |out: &mut String, v: Option<&str>| {
            out.push_str(v.unwrap_or(NULL));
            out.push(SEP);
        };
        text(&mut out, self.external_ref.as_deref());
        text(&mut out, Some(&self.last_name));
        text(&mut out, Some(&self.first_name));
        match self.birth_date {
            Some(date) => write!(out, "{date}{SEP}").expect("a String takes any text"),
            None => text(&mut out, None),
        }
        for v in [
            &self.address,
            &self.postal_code,
            &self.commune,
            &self.insee_code,
        ] {
            text(&mut out, v.as_deref());
        }
        text(&mut out, Some(&self.preferred_language));
        match self.territory_id {
            Some(id) => write!(out, "{id}{SEP}").expect("a String takes any text"),
            None => text(&mut out, None),
        }
        text(&mut out, Some(self.status.as_str()));
        text(&mut out, self.relative_name.as_deref());
        out.push_str(self.relative_phone.as_deref().unwrap_or(NULL));
        out
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
    /// The person added before this one under the same identity key hash
    /// ([`NO_HOMONYM`]: none), in what was the struct's padding.
    next_homonym: u32,
}

/// The end of a chain of homonyms.
const NO_HOMONYM: u32 = u32::MAX;

/// The people the import knows, by reference and by identity key.
pub(super) struct Index {
    hasher: RandomState,
    pub people: People,
    /// How many of `people` were loaded (sorted by id); the rest are new.
    loaded: usize,
    /// Positions in `people`, found by the hash of the reference (of the identity key)
    /// that the person holds: four bytes an entry, the hash is not repeated here.
    /// Several people may share a hash (one key twice, or two keys that collide): a
    /// lookup gives them all.
    by_ref: HashTable<u32>,
    /// By the hash of the identity key, one entry a hash: the person added last with
    /// it, who leads to the others ([`Person::next_homonym`]). A chain rather than an
    /// entry a person: a table's entries sharing one hash are probed one after the
    /// other, so a million people with the same name and no birth date took 31 s to
    /// load (docs/PERFORMANCE.md).
    by_key: HashTable<u32>,
    /// The people without a reference, by the hash of the identity key (an entry a
    /// person): what a row whose reference is new looks for. Apart, so that a file of
    /// many people with a reference sharing one identity key (homonyms without a birth
    /// date) does not walk them all at each row, which took a hundred thousand such
    /// rows 23 s (docs/PERFORMANCE.md).
    unreferenced: HashTable<u32>,
}

/// People in blocks of [`BLOCK`]: growing never copies them (a `Vec` that doubles
/// holds the old and the new array at once, 1.5 times the memory, at the worst time).
#[derive(Default)]
pub(super) struct People {
    blocks: Vec<Vec<Person>>,
    len: usize,
}

/// People per block (3 MB).
const BLOCK: usize = 1 << 16;

impl People {
    pub fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, person: Person) {
        if self.len % BLOCK == 0 {
            self.blocks.push(Vec::with_capacity(BLOCK));
        }
        self.blocks
            .last_mut()
            .expect("a block was just made")
            .push(person);
        self.len += 1;
    }

    pub fn iter(&self) -> impl Iterator<Item = &Person> {
        self.blocks.iter().flatten()
    }
}

impl std::ops::Index<usize> for People {
    type Output = Person;

    fn index(&self, at: usize) -> &Person {
        &self.blocks[at / BLOCK][at % BLOCK]
    }
}

impl std::ops::IndexMut<usize> for People {
    fn index_mut(&mut self, at: usize) -> &mut Person {
        &mut self.blocks[at / BLOCK][at % BLOCK]
    }
}

/// A phone list's hash under way: the hasher and the numbers so far.
pub(super) struct PhoneHasher(foldhash::fast::FoldHasher<'static>, u32);

/// Which of a person's two keys a table holds.
#[derive(Clone, Copy)]
enum Key {
    Reference,
    Identity,
}

impl Key {
    fn of(self, person: &Person) -> u64 {
        match self {
            Key::Reference => person.ref_hash,
            Key::Identity => person.key_hash,
        }
    }
}

/// Adds position `at` under `hash`.
fn add(table: &mut HashTable<u32>, people: &People, key: Key, hash: u64, at: u32) {
    table.insert_unique(hash, at, |&p| key.of(&people[p as usize]));
}

/// Removes position `at`, held under `hash`.
fn remove(table: &mut HashTable<u32>, hash: u64, at: u32) {
    if let Ok(entry) = table.find_entry(hash, |&p| p == at) {
        entry.remove();
    }
}

impl Index {
    /// An empty index with room for `capacity` people.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            hasher: RandomState::default(),
            people: People::default(),
            loaded: 0,
            by_ref: HashTable::with_capacity(capacity),
            by_key: HashTable::with_capacity(capacity),
            unreferenced: HashTable::new(),
        }
    }

    /// Makes room for `n` more people in the lookup tables.
    pub fn reserve(&mut self, n: usize) {
        let people = &self.people;
        self.by_ref
            .reserve(n, |&p| Key::Reference.of(&people[p as usize]));
        self.by_key
            .reserve(n, |&p| Key::Identity.of(&people[p as usize]));
    }

    /// How many people were loaded from the database.
    pub fn loaded_count(&self) -> usize {
        self.loaded
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
        let ref_hash = external_ref.map_or(0, |r| self.hash_str(r));
        let key_hash = self.hash_str(identity_key);
        self.push_hashed(id, ref_hash, key_hash, status, content, phones)
    }

    /// Adds a person by the hashes of their keys.
    fn push_hashed(
        &mut self,
        id: i64,
        ref_hash: u64,
        key_hash: u64,
        status: BeneficiaryStatus,
        content: u64,
        phones: u64,
    ) -> u32 {
        let at = self.people.len() as u32;
        self.people.push(Person {
            id,
            content,
            phones,
            ref_hash,
            key_hash,
            status,
            member: false,
            seen: false,
            next_homonym: NO_HOMONYM,
        });
        if ref_hash != 0 {
            add(&mut self.by_ref, &self.people, Key::Reference, ref_hash, at);
        } else {
            self.add_unreferenced(key_hash, at);
        }
        self.add_homonym(key_hash, at);
        at
    }

    /// Ends the load: the people so far are sorted by id.
    pub fn loaded(&mut self) {
        self.loaded = self.people.len();
    }

    /// Marks a loaded person as a member of the campaign.
    pub fn mark_member(&mut self, id: i64) {
        let (mut low, mut high) = (0, self.loaded);
        while low < high {
            let middle = low + (high - low) / 2;
            match self.people[middle].id.cmp(&id) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => {
                    self.people[middle].member = true;
                    return;
                }
            }
        }
    }

    /// The people the first fruitful lookup finds, as positions.
    pub fn find(&self, lookups: &[Lookup]) -> Vec<u32> {
        for lookup in lookups {
            let found: Vec<u32> = match lookup {
                Lookup::Reference(r) => {
                    self.lookup_hash(Key::Reference, self.hash_str(r)).collect()
                }
                Lookup::Identity {
                    key,
                    without_reference: false,
                } => self.homonyms(self.hash_str(key)),
                Lookup::Identity {
                    key,
                    without_reference: true,
                } => self.lookup_unreferenced(key).collect(),
                Lookup::Phone(_) => Vec::new(),
            };
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// The positions of the people whose identity key has this hash: all of them,
    /// whether they share the key or only its hash, the last added first.
    fn homonyms(&self, hash: u64) -> Vec<u32> {
        let people = &self.people;
        let mut found = Vec::new();
        let head = self
            .by_key
            .find(hash, |&p| people[p as usize].key_hash == hash);
        let mut at = head.copied().unwrap_or(NO_HOMONYM);
        while at != NO_HOMONYM {
            found.push(at);
            at = people[at as usize].next_homonym;
        }
        found
    }

    /// Puts the person at `at` (their key hash set) at the head of their homonyms.
    fn add_homonym(&mut self, hash: u64, at: u32) {
        let people = &mut self.people;
        let head = self
            .by_key
            .find_mut(hash, |&p| people[p as usize].key_hash == hash);
        let next = match head {
            Some(head) => std::mem::replace(head, at),
            None => {
                let of = |&p: &u32| people[p as usize].key_hash;
                self.by_key.insert_unique(hash, at, of);
                NO_HOMONYM
            }
        };
        people[at as usize].next_homonym = next;
    }

    /// Takes the person at `at` out of the homonyms of `hash` (their key hash may be
    /// changed already).
    fn remove_homonym(&mut self, hash: u64, at: u32) {
        let people = &mut self.people;
        let is_head = |&p: &u32| p == at || people[p as usize].key_hash == hash;
        let Ok(entry) = self.by_key.find_entry(hash, is_head) else {
            return;
        };
        let next = people[at as usize].next_homonym;
        let head = *entry.get();
        if head == at && next == NO_HOMONYM {
            entry.remove();
        } else if head == at {
            *entry.into_mut() = next;
        } else {
            let mut before = head;
            while people[before as usize].next_homonym != at {
                before = people[before as usize].next_homonym;
                assert_ne!(before, NO_HOMONYM, "a person is among their homonyms");
            }
            people[before as usize].next_homonym = next;
        }
        people[at as usize].next_homonym = NO_HOMONYM;
    }

    /// The positions of the people whose key of kind `key` has this hash (by identity:
    /// the people without a reference): all of them, whether they share the key or
    /// only its hash.
    fn lookup_hash(&self, key: Key, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let table = match key {
            Key::Reference => &self.by_ref,
            Key::Identity => &self.unreferenced,
        };
        table
            .iter_hash(hash)
            .copied()
            .filter(move |&at| key.of(&self.people[at as usize]) == hash)
    }

    /// Adds the person at `at`, who has no reference, under their identity key's hash.
    fn add_unreferenced(&mut self, key_hash: u64, at: u32) {
        add(
            &mut self.unreferenced,
            &self.people,
            Key::Identity,
            key_hash,
            at,
        );
    }

    /// The positions of the people without a reference whose identity key hashes as
    /// `key` does.
    fn lookup_unreferenced(&self, key: &str) -> impl Iterator<Item = u32> + '_ {
        self.lookup_hash(Key::Identity, self.hash_str(key))
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
        // The new hashes go into the person before the tables: a table that grows
        // rehashes its entries from the people.
        let stored = &mut self.people[at as usize];
        let (old_ref, old_key) = (stored.ref_hash, stored.key_hash);
        stored.ref_hash = ref_hash;
        stored.key_hash = key_hash;
        if old_ref != ref_hash {
            if old_ref != 0 {
                remove(&mut self.by_ref, old_ref, at);
            }
            if ref_hash != 0 {
                add(&mut self.by_ref, &self.people, Key::Reference, ref_hash, at);
            }
        }
        if old_key != key_hash {
            self.remove_homonym(old_key, at);
            self.add_homonym(key_hash, at);
        }
        if old_ref == 0 && (ref_hash != 0 || old_key != key_hash) {
            remove(&mut self.unreferenced, old_key, at);
        }
        if ref_hash == 0 && (old_ref != 0 || old_key != key_hash) {
            self.add_unreferenced(key_hash, at);
        }
        let person = &mut self.people[at as usize];
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::import_rules::{identify_by, Identified};

    const ACTIVE: BeneficiaryStatus = BeneficiaryStatus::Active;

    fn sorted(found: impl Iterator<Item = u32>) -> Vec<u32> {
        let mut found: Vec<u32> = found.collect();
        found.sort_unstable();
        found
    }

    /// The digest is every column in order, NULL as U+001E, joined by U+001F, as the
    /// database's [`DIGEST`] writes it (the integration tests compare the two).
    #[test]
    fn the_digest_joins_every_column_in_order() {
        let mut fields = Fields {
            external_ref: Some("80-1".into()),
            last_name: "Herbet".into(),
            first_name: "Simone".into(),
            birth_date: NaiveDate::from_ymd_opt(1946, 4, 13),
            address: Some("2 rue".into()),
            postal_code: Some("80230".into()),
            commune: None,
            insee_code: Some("80721".into()),
            preferred_language: "fr".into(),
            territory_id: Some(12),
            status: ACTIVE,
            relative_name: None,
            relative_phone: Some("+33639983755".into()),
        };
        let (n, s) = ("\u{1e}", "\u{1f}");
        let expected = [
            "80-1",
            "Herbet",
            "Simone",
            "1946-04-13",
            "2 rue",
            "80230",
            n,
            "80721",
            "fr",
            "12",
            "active",
            n,
            "+33639983755",
        ]
        .join(s);
        assert_eq!(fields.digest(), expected);
        fields.external_ref = None;
        fields.birth_date = None;
        fields.territory_id = None;
        fields.relative_phone = None;
        let expected = [
            n, "Herbet", "Simone", n, "2 rue", "80230", n, "80721", "fr", n, "active", n, n,
        ]
        .join(s);
        assert_eq!(fields.digest(), expected);
    }

    /// Two different references whose hashes collide: a lookup finds both people, so the
    /// row is refused as ambiguous; it is never taken for one of them.
    #[test]
    fn a_hash_shared_by_two_people_finds_both() {
        let mut index = Index::with_capacity(0);
        let a = index.push_hashed(1, 77, 5, ACTIVE, 0, 0);
        let b = index.push_hashed(2, 77, 6, ACTIVE, 0, 0);
        let c = index.push_hashed(3, 78, 5, ACTIVE, 0, 0);
        let by_ref = sorted(index.lookup_hash(Key::Reference, 77));
        assert_eq!(by_ref, vec![a, b]);
        assert_eq!(identify_by(by_ref, |_| false), Identified::Ambiguous);
        assert_eq!(sorted(index.homonyms(5).into_iter()), vec![a, c]);
        assert_eq!(sorted(index.lookup_hash(Key::Reference, 78)), vec![c]);
        assert!(sorted(index.lookup_hash(Key::Reference, 79)).is_empty());
    }

    /// More people than the tables were made for and than a block holds: every one is
    /// found by reference and by identity, members are marked across blocks, and an
    /// update moves a person to their new keys.
    #[test]
    fn tables_grow_and_updates_move_keys() {
        let n = BLOCK + 1000;
        let mut index = Index::with_capacity(10);
        for i in 0..n {
            let (r, k) = (format!("80-{i}"), format!("nom|prenom|{i}"));
            index.push(2 * i as i64 + 1, Some(&r), &k, ACTIVE, 0, 0);
        }
        index.loaded();
        for i in [0, 1, BLOCK - 1, BLOCK, n - 1] {
            let r = Lookup::Reference(format!("80-{i}"));
            assert_eq!(index.find(&[r]), vec![i as u32]);
            let k = Lookup::Identity {
                key: format!("nom|prenom|{i}"),
                without_reference: false,
            };
            assert_eq!(index.find(&[k]), vec![i as u32]);
            index.mark_member(2 * i as i64 + 1);
            assert!(index.people[i].member);
        }
        index.mark_member(2);
        assert_eq!(index.people.iter().filter(|p| p.member).count(), 5);

        let at = BLOCK as u32 + 3;
        index.updated(at, None, "autre|nom|", ACTIVE, 1, 1);
        let old = Lookup::Reference(format!("80-{at}"));
        assert!(index.find(&[old]).is_empty());
        let new = Lookup::Identity {
            key: "autre|nom|".to_owned(),
            without_reference: true,
        };
        assert_eq!(index.find(&[new]), vec![at]);
        assert_eq!(index.stored_with_reference(at), None);
        assert_eq!(index.stored_with_reference(0), Some(1));
    }

    /// Homonyms with and without a reference: a row whose reference is new finds only
    /// those without one, a row without a reference finds them all, and updates that
    /// give, take or move a person's keys keep both lookups right.
    #[test]
    fn homonyms_without_a_reference_are_found_apart() {
        let mut index = Index::with_capacity(0);
        let key = "martin|jeanne|";
        for i in 0..1000 {
            index.push(i, Some(&format!("80-{i}")), key, ACTIVE, 0, 0);
        }
        let lonely = index.push(1000, None, key, ACTIVE, 0, 0);
        let elsewhere = index.push(1001, None, "petit|paul|", ACTIVE, 0, 0);
        index.loaded();
        let identity = |key: &str, without_reference| {
            let key = key.to_owned();
            [Lookup::Identity {
                key,
                without_reference,
            }]
        };
        assert_eq!(index.find(&identity(key, true)), vec![lonely]);
        assert_eq!(index.find(&identity(key, false)).len(), 1001);

        // Given a reference: no longer found by a new reference's row.
        index.updated(lonely, Some("80-new"), key, ACTIVE, 0, 0);
        assert!(index.find(&identity(key, true)).is_empty());
        assert_eq!(index.find(&identity(key, false)).len(), 1001);
        // A reference taken away: found again.
        index.updated(7, None, key, ACTIVE, 0, 0);
        assert_eq!(index.find(&identity(key, true)), vec![7]);
        // Without a reference, under another key: found there only.
        index.updated(elsewhere, None, key, ACTIVE, 0, 0);
        assert_eq!(
            sorted(index.find(&identity(key, true)).into_iter()),
            vec![7, elsewhere]
        );
        assert!(index.find(&identity("petit|paul|", true)).is_empty());
        index.updated(7, None, "petit|paul|", ACTIVE, 0, 0);
        assert_eq!(index.find(&identity("petit|paul|", true)), vec![7]);
        assert_eq!(index.find(&identity(key, true)), vec![elsewhere]);

        // Every homonym found once, whichever place of the chain a person left it from
        // (the middle: 7; the head: `elsewhere`, added last; the tail: 0, added first).
        let homonyms = |index: &Index, key| sorted(index.find(&identity(key, false)).into_iter());
        let mut expected: Vec<u32> = (1..1001).filter(|&at| at != 7).collect();
        expected.push(elsewhere);
        index.updated(0, Some("80-0"), "petit|paul|", ACTIVE, 0, 0);
        assert_eq!(homonyms(&index, key), expected);
        index.updated(elsewhere, None, "petit|paul|", ACTIVE, 0, 0);
        expected.pop();
        assert_eq!(homonyms(&index, key), expected);
        assert_eq!(homonyms(&index, "petit|paul|"), vec![0, 7, elsewhere]);
        // The last of a key's people gone: the key is found no more.
        for at in [0, 7, elsewhere] {
            index.updated(at, None, "durand|anne|", ACTIVE, 0, 0);
        }
        assert!(homonyms(&index, "petit|paul|").is_empty());
        assert_eq!(homonyms(&index, "durand|anne|"), vec![0, 7, elsewhere]);
    }

    /// The homonyms' chain lives in what was the padding of a person: a million people
    /// still take 48 MB.
    #[test]
    fn a_person_takes_48_bytes() {
        assert_eq!(std::mem::size_of::<Person>(), 48);
    }
}
