//! The groups of the finest key, and how a row's raw key is packed,
//! hashed and compared to find its group.
//!
//! Memory per group is what bounds the job, so a group holds no string:
//! its raw key lies once in one byte arena, its values are ids of strings
//! interned once for all groups ([`Interner`]), and the rest is counters —
//! about 60 bytes of table and the raw key's bytes a group, plus each
//! distinct value once.

/// One group of the finest key: orders and profit.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Totals {
    pub(super) orders: u64,
    /// Profit × 10^PROFIT_SCALE.
    pub(super) profit: i128,
}

/// Bytes of zeros kept past the arena's end, so that a [`Packed`] window
/// over its last run is read without a bounds branch.
const SLACK: usize = Packed::BYTES;

/// The groups of the finest key: an open-addressing table that compares a
/// row's raw key by its [`Packed`] words against the arena and copies a
/// key only when it is new. Built for few distinct keys seen millions of
/// times, and lean for millions of keys.
#[derive(Debug)]
pub(super) struct Groups {
    /// `index + 1` of an entry, 0 for a free slot. Its length is a power
    /// of two, at least twice the number of entries.
    slots: Vec<u32>,
    entries: Vec<Group>,
    /// Each group's raw runs, one after another, each as its length (u32,
    /// little-endian) and bytes; [`SLACK`] zeros at the end.
    raw: Vec<u8>,
    /// The values of every key, unquoted, each distinct one once.
    pub(super) values: Interner,
}

/// 56 bytes: the profit in two words keeps the alignment at 8.
#[derive(Debug)]
struct Group {
    hash: u64,
    /// Where the group's runs start in [`Groups::raw`].
    at: usize,
    /// The key's values (in [`super::KEY_ROLES`] order) in
    /// [`Groups::values`].
    values: [u32; 4],
    orders: u64,
    profit: [u64; 2],
}

impl Group {
    fn profit(&self) -> i128 {
        (i128::from(self.profit[1] as i64) << 64) | i128::from(self.profit[0])
    }

    #[inline(always)]
    fn add(&mut self, profit: i128) {
        self.orders += 1;
        let sum = self.profit() + profit;
        self.profit = [sum as u64, (sum >> 64) as u64];
    }
}

impl Default for Groups {
    fn default() -> Self {
        Groups {
            slots: Vec::new(),
            entries: Vec::new(),
            raw: vec![0; SLACK],
            values: Interner::default(),
        }
    }
}

impl Groups {
    /// Counts one order with `profit` in the group of the key whose raw
    /// runs are `texts`, packed as `key`; `false` when there is no such
    /// group yet.
    #[inline]
    pub(super) fn add(&mut self, key: &[Packed], texts: &[&[u8]], profit: i128) -> bool {
        let hash = hash_key(key, texts);
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = hash as usize & mask;
        while let Some(&slot) = self.slots.get(i).filter(|&&s| s != 0) {
            let group = &mut self.entries[slot as usize - 1];
            if group.hash == hash && same_key(&self.raw, group.at, key, texts) {
                group.add(profit);
                return true;
            }
            i = (i + 1) & mask;
        }
        false
    }

    /// Adds a new group with one order: its raw runs `texts` (packed as
    /// `key`) and its values.
    #[cold]
    pub(super) fn insert(
        &mut self,
        key: &[Packed],
        texts: &[&[u8]],
        values: [&[u8]; 4],
        profit: i128,
    ) {
        let at = self.raw.len() - SLACK;
        self.raw.truncate(at);
        for text in texts {
            let len = u32::try_from(text.len()).expect("a row is shorter than 4 GiB");
            self.raw.extend_from_slice(&len.to_le_bytes());
            self.raw.extend_from_slice(text);
        }
        self.raw.resize(self.raw.len() + SLACK, 0);
        let mut group = Group {
            hash: hash_key(key, texts),
            at,
            values: values.map(|v| self.values.intern(v)),
            orders: 0,
            profit: [0; 2],
        };
        group.add(profit);
        self.entries.push(group);
        if self.entries.len() * 2 > self.slots.len() {
            self.slots = vec![0; (self.slots.len() * 2).max(256)];
            for n in 1..=self.entries.len() {
                self.place(n);
            }
        } else {
            self.place(self.entries.len());
        }
    }

    /// How many groups there are.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Puts entry `n` (1-based) in the first free slot from its hash.
    fn place(&mut self, n: usize) {
        let mask = self.slots.len() - 1;
        let mut i = self.entries[n - 1].hash as usize & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = u32::try_from(n).expect("fewer than 2^32 groups");
    }

    /// Every group's value ids (in [`super::KEY_ROLES`] order) and totals.
    pub(super) fn iter(&self) -> impl Iterator<Item = ([u32; 4], Totals)> + '_ {
        self.entries.iter().map(|g| {
            let totals = Totals {
                orders: g.orders,
                profit: g.profit(),
            };
            (g.values, totals)
        })
    }
}

/// Whether the runs stored at `at` of `raw` are `texts`, packed as `key`.
#[inline(always)]
fn same_key(raw: &[u8], mut at: usize, key: &[Packed], texts: &[&[u8]]) -> bool {
    for (packed, text) in key.iter().zip(texts) {
        let Some(len) = raw.get(at..at + 4) else {
            return false;
        };
        let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        at += 4;
        // Packed holds the length: equal words mean equal runs up to
        // Packed::BYTES; past that the rest is compared too.
        if len != packed.len
            || Packed::new(raw, at, len) != *packed
            || (len > Packed::BYTES && raw.get(at..at + len) != Some(*text))
        {
            return false;
        }
        at += len;
    }
    true
}

/// Strings kept once each, numbered in the order they came: one byte
/// arena, the end of each string in it, and an open-addressing table.
#[derive(Debug, Default)]
pub(super) struct Interner {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// `id + 1`, 0 for free; a power of two, at least twice the strings.
    slots: Vec<u32>,
}

impl Interner {
    /// The id of `s`, kept if new.
    pub(super) fn intern(&mut self, s: &[u8]) -> u32 {
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = hash_bytes(s) as usize & mask;
        while let Some(&slot) = self.slots.get(i).filter(|&&n| n != 0) {
            if self.get(slot - 1) == s {
                return slot - 1;
            }
            i = (i + 1) & mask;
        }
        self.bytes.extend_from_slice(s);
        self.ends.push(self.bytes.len());
        let id = u32::try_from(self.ends.len() - 1).expect("fewer than 2^32 strings");
        if self.ends.len() * 2 > self.slots.len() {
            self.slots = vec![0; (self.slots.len() * 2).max(64)];
            for id in 0..self.ends.len() as u32 {
                self.place(id);
            }
        } else {
            self.place(id);
        }
        id
    }

    fn place(&mut self, id: u32) {
        let mask = self.slots.len() - 1;
        let mut i = hash_bytes(self.get(id)) as usize & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = id + 1;
    }

    /// The string numbered `id`.
    pub(super) fn get(&self, id: u32) -> &[u8] {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        &self.bytes[start..self.ends[id]]
    }

    /// How many strings there are.
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The rank of each string (by id) in byte order: equal ranks only for
    /// equal strings, which interning rules out.
    pub(super) fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| self.get(a).cmp(self.get(b)));
        let mut ranks = vec![0; order.len()];
        for (rank, id) in order.into_iter().enumerate() {
            ranks[id as usize] = rank as u32;
        }
        ranks
    }
}

/// A hash of a string, for the interner (new keys only, never per row).
fn hash_bytes(s: &[u8]) -> u64 {
    let mut h = s.len() as u64;
    let mut chunks = s.chunks_exact(16);
    for c in &mut chunks {
        let word = |i: usize| u64::from_le_bytes(c[i..i + 8].try_into().expect("8 bytes"));
        h = mix(
            word(0) ^ h ^ 0x9E37_79B9_7F4A_7C15,
            word(8) ^ 0xD6E8_FEB8_6659_FD93,
        );
    }
    let mut tail = [0u8; 16];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    let word = |i: usize| u64::from_le_bytes(tail[i..i + 8].try_into().expect("8 bytes"));
    mix(
        word(0) ^ h ^ 0x9E37_79B9_7F4A_7C15,
        word(8) ^ 0xD6E8_FEB8_6659_FD93,
    )
}

/// A run of raw key bytes as its length and first [`Packed::BYTES`] bytes
/// in little-endian words, zero past its end: two runs of at most that
/// many bytes are equal exactly when their `Packed` are. Made without a
/// branch on the length, which varies from row to row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Packed {
    len: usize,
    words: [u64; 4],
}

impl Packed {
    const BYTES: usize = 32;

    /// The bytes `within[start..start + len]`.
    #[inline(always)]
    pub(super) fn new(within: &[u8], start: usize, len: usize) -> Packed {
        let mut padded = [0u8; Self::BYTES];
        let window = match within.get(start..start + Self::BYTES) {
            // The run and what follows it in the row: no copy.
            Some(window) => window,
            None => {
                let n = len.min(Self::BYTES);
                padded[..n].copy_from_slice(&within[start..start + n]);
                &padded
            }
        };
        let keep = &KEEP[len.min(Self::BYTES)];
        let word = |i: usize| {
            u64::from_le_bytes(window[8 * i..8 * i + 8].try_into().expect("8 bytes")) & keep[i]
        };
        Packed {
            len,
            words: [word(0), word(1), word(2), word(3)],
        }
    }
}

/// `KEEP[n]`: the masks of the first `n` bytes of four little-endian words.
const KEEP: [[u64; 4]; Packed::BYTES + 1] = {
    let mut table = [[0u64; 4]; Packed::BYTES + 1];
    let mut n = 1;
    while n <= Packed::BYTES {
        let mut w = 0;
        while w < 4 {
            let rest = n.saturating_sub(8 * w);
            let bytes = if rest > 8 { 8 } else { rest };
            table[n][w] = if bytes == 8 {
                u64::MAX
            } else {
                (1u64 << (bytes * 8)) - 1
            };
            w += 1;
        }
        n += 1;
    }
    table
};

/// A hash of a group key (its runs `texts`, packed as `key`): one
/// multiply-mix per two words, and the bytes of a run past
/// [`Packed::BYTES`] too — runs that differ only there (long names, a
/// number at the end) would otherwise share a hash and turn the table
/// into one long probe. Keys chosen to collide cost time here, never
/// correctness.
#[inline(always)]
fn hash_key(key: &[Packed], texts: &[&[u8]]) -> u64 {
    const K0: u64 = 0x9E37_79B9_7F4A_7C15;
    const K1: u64 = 0xD6E8_FEB8_6659_FD93;
    key.iter().zip(texts).fold(0, |h, (p, text)| {
        let h = mix(p.words[0] ^ K0 ^ p.len as u64, p.words[1] ^ K1 ^ h);
        let h = mix(p.words[2] ^ K0, p.words[3] ^ K1 ^ h);
        match text.get(Packed::BYTES..) {
            Some(tail) if !tail.is_empty() => h ^ hash_bytes(tail),
            _ => h,
        }
    })
}

/// The folded 128-bit product: high-quality mixing for one multiply.
#[inline(always)]
fn mix(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_takes_at_most_56_bytes_of_entry() {
        assert_eq!(std::mem::size_of::<Group>(), 56);
    }

    #[test]
    fn interned_strings_keep_their_ids_and_rank_in_byte_order() {
        let mut strings = Interner::default();
        let words: Vec<String> = (0..1000).map(|i| format!("w{}", 999 - i)).collect();
        let ids: Vec<u32> = words.iter().map(|w| strings.intern(w.as_bytes())).collect();
        assert_eq!(strings.len(), 1000);
        for (w, &id) in words.iter().zip(&ids) {
            assert_eq!(strings.intern(w.as_bytes()), id);
            assert_eq!(strings.get(id), w.as_bytes());
        }
        let ranks = strings.ranks();
        let mut by_rank: Vec<_> = ids.iter().map(|&id| (ranks[id as usize], id)).collect();
        by_rank.sort();
        let sorted: Vec<_> = by_rank.iter().map(|&(_, id)| strings.get(id)).collect();
        assert!(sorted.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn runs_that_differ_past_the_packed_bytes_are_two_groups() {
        let (a, b) = ("x".repeat(40) + "a", "x".repeat(40) + "b");
        let mut groups = Groups::default();
        assert_ne!(
            hash_key(&[Packed::new(a.as_bytes(), 0, a.len())], &[a.as_bytes()]),
            hash_key(&[Packed::new(b.as_bytes(), 0, b.len())], &[b.as_bytes()]),
            "the bytes past the packed ones are hashed too"
        );
        for (text, profit) in [(a.as_str(), 1), (&b, 2), (&a, 3), ("", 4), ("", 5)] {
            let key = [Packed::new(text.as_bytes(), 0, text.len())];
            let texts = [text.as_bytes()];
            if !groups.add(&key, &texts, profit) {
                let values = [text.as_bytes(); 4];
                groups.insert(&key, &texts, values, profit);
            }
        }
        let totals: Vec<_> = groups.iter().map(|(_, t)| (t.orders, t.profit)).collect();
        assert_eq!(totals, [(2, 4), (1, 2), (2, 9)]);
        assert_eq!(groups.values.len(), 3);
    }
}
