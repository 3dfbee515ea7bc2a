//! The claims met so far in a file (values that must be unique: a reference, a name
//! with a birth date…), as keyed 64-bit hashes with the line of the row that made
//! each: a flat table of 12-byte slots made once for the file's number of records
//! (open addressing, at most two thirds full), 18 MB for a million rows where a
//! `HashMap<u64, u64>` took 36 MB, and 54 MB while it doubled.

use std::collections::HashMap;

/// One slot: a claim's hash (0: empty) and its line, in three 32-bit words so that a
/// slot takes 12 bytes.
#[derive(Clone, Copy, Default)]
struct Slot {
    hash: [u32; 2],
    line: u32,
}

impl Slot {
    fn hash(&self) -> u64 {
        u64::from(self.hash[0]) | (u64::from(self.hash[1]) << 32)
    }
}

/// Claim hash → line of the first row that made it.
#[derive(Default)]
pub(crate) struct ClaimTable {
    slots: Vec<Slot>,
    len: usize,
    /// Lines past `u32::MAX` (never met in practice), kept apart.
    far: HashMap<u64, u64>,
}

/// The slots for `n` claims: half again as many, so that a lookup probes few slots.
fn slots_for(n: usize) -> usize {
    (n + n / 2).max(16)
}

impl ClaimTable {
    /// A table for `n` claims (it grows if more come).
    pub fn with_capacity(n: usize) -> Self {
        Self {
            slots: vec![Slot::default(); slots_for(n)],
            len: 0,
            far: HashMap::new(),
        }
    }

    /// The empty slot is hash 0: a claim hashing to 0 is kept as 1.
    fn key(hash: u64) -> u64 {
        hash.max(1)
    }

    /// Where `hash` is, or the empty slot where it would go.
    fn position(&self, hash: u64) -> usize {
        let n = self.slots.len();
        // The high bits of the hash, spread over the slots (no division).
        let mut at = ((u128::from(hash) * n as u128) >> 64) as usize;
        loop {
            let slot = &self.slots[at];
            let found = slot.hash();
            if found == hash || found == 0 {
                return at;
            }
            at = if at + 1 == n { 0 } else { at + 1 };
        }
    }

    /// The line of the row that made this claim, if any did.
    pub fn get(&self, hash: u64) -> Option<u64> {
        if self.slots.is_empty() {
            return None;
        }
        let hash = Self::key(hash);
        let slot = &self.slots[self.position(hash)];
        if slot.hash() != hash {
            return None;
        }
        match self.far.get(&hash) {
            Some(&line) => Some(line),
            None => Some(u64::from(slot.line)),
        }
    }

    /// Records that the row at `line` made this claim (replacing an earlier line).
    pub fn insert(&mut self, hash: u64, line: u64) {
        if (self.len + 1) * 3 > self.slots.len() * 2 {
            self.grow();
        }
        let hash = Self::key(hash);
        let at = self.position(hash);
        if self.slots[at].hash() == 0 {
            self.len += 1;
        }
        let short = u32::try_from(line).ok();
        match short {
            Some(_) => {
                self.far.remove(&hash);
            }
            None => {
                self.far.insert(hash, line);
            }
        }
        self.slots[at] = Slot {
            hash: [hash as u32, (hash >> 32) as u32],
            line: short.unwrap_or(u32::MAX),
        };
    }

    /// Twice the slots, every claim put back.
    fn grow(&mut self) {
        let old = std::mem::replace(
            &mut self.slots,
            vec![Slot::default(); slots_for(self.len.max(8) * 2)],
        );
        for slot in old.into_iter().filter(|s| s.hash() != 0) {
            let at = self.position(slot.hash());
            self.slots[at] = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_claim_with_its_line_and_grows() {
        let mut table = ClaimTable::with_capacity(4);
        let hash = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for i in 0..1000 {
            assert_eq!(table.get(hash(i)), None);
            table.insert(hash(i), i + 2);
        }
        for i in 0..1000 {
            assert_eq!(table.get(hash(i)), Some(i + 2));
        }
        assert_eq!(table.get(hash(1000)), None);
        table.insert(hash(5), 9);
        assert_eq!(table.get(hash(5)), Some(9));
        assert_eq!(table.len, 1000);
    }

    #[test]
    fn hashes_that_meet_in_one_slot_stay_apart() {
        // 2 and 3 start at the same slot (the high bits pick it), and so do the two
        // largest, at the last slot: they wrap around to the first ones.
        let mut table = ClaimTable::with_capacity(10);
        for (hash, line) in [(2, 10), (3, 11), (u64::MAX, 12), (u64::MAX - 1, 13)] {
            table.insert(hash, line);
        }
        assert_eq!(table.get(2), Some(10));
        assert_eq!(table.get(3), Some(11));
        assert_eq!(table.get(u64::MAX), Some(12));
        assert_eq!(table.get(u64::MAX - 1), Some(13));
        assert_eq!(table.get(4), None);
        table.insert(0, 14);
        assert_eq!(table.get(1), Some(14), "0 is kept as 1");
    }

    #[test]
    fn lines_past_four_billion_keep_their_value() {
        let mut table = ClaimTable::with_capacity(2);
        let far = u64::from(u32::MAX) + 7;
        table.insert(42, far);
        assert_eq!(table.get(42), Some(far));
        table.insert(42, 3);
        assert_eq!(table.get(42), Some(3));
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let table = ClaimTable::default();
        assert_eq!(table.get(7), None);
    }
}
