//! The groups of the finest key, and how a row's raw key is packed,
//! hashed and compared to find its group.

use super::MAX_RUNS;

/// One group of the finest key: orders and profit.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Totals {
    pub(super) orders: u64,
    /// Profit × 10^PROFIT_SCALE.
    pub(super) profit: i128,
}

/// The groups of the finest key: an open-addressing table that compares a
/// row's raw key by its [`Packed`] words and copies a key only when it is
/// new. Built for few distinct keys seen millions of times.
#[derive(Debug, Default)]
pub(super) struct Groups {
    /// `index + 1` of an entry, 0 for a free slot. Its length is a power
    /// of two, at least four times the number of entries, so that a lookup
    /// nearly always ends at its first slot.
    slots: Vec<u32>,
    entries: Vec<Group>,
    /// The raw runs and the values of every key, one after another.
    bytes: Vec<u8>,
}

#[derive(Debug)]
struct Group {
    hash: u64,
    key: [Packed; MAX_RUNS],
    /// Where each raw run of the key lies in [`Groups::bytes`].
    runs: [(usize, usize); MAX_RUNS],
    /// Where each value of the key (unquoted, in [`super::KEY_ROLES`] order) lies
    /// in [`Groups::bytes`].
    values: [(usize, usize); 4],
    totals: Totals,
}

impl Groups {
    /// Counts one order with `profit` in the group of the key whose raw
    /// runs are `texts`, packed as `key`; `false` when there is no such
    /// group yet.
    #[inline]
    pub(super) fn add(&mut self, key: &[Packed], texts: &[&[u8]], profit: i128) -> bool {
        let hash = hash_key(key);
        let long = key.iter().any(|p| p.len > Packed::BYTES);
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = hash as usize & mask;
        while let Some(&slot) = self.slots.get(i).filter(|&&s| s != 0) {
            let group = &mut self.entries[slot as usize - 1];
            if group.key[..key.len()] == *key
                && (!long || same_texts(&self.bytes, &group.runs, texts))
            {
                group.totals.orders += 1;
                group.totals.profit += profit;
                return true;
            }
            i = (i + 1) & mask;
        }
        false
    }

    /// Adds a new group with one order.
    #[cold]
    pub(super) fn insert(
        &mut self,
        runs: usize,
        key: [Packed; MAX_RUNS],
        texts: [&[u8]; MAX_RUNS],
        values: [Vec<u8>; 4],
        profit: i128,
    ) {
        let mut keep = |value: &[u8]| {
            let start = self.bytes.len();
            self.bytes.extend_from_slice(value);
            (start, self.bytes.len())
        };
        let hash = hash_key(&key[..runs]);
        let runs = texts.map(&mut keep);
        let values = values.map(|v| keep(&v));
        self.entries.push(Group {
            hash,
            key,
            runs,
            values,
            totals: Totals { orders: 1, profit },
        });
        if self.entries.len() * 4 > self.slots.len() {
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

    /// Every group's values (in [`super::KEY_ROLES`] order) and totals.
    pub(super) fn iter(&self) -> impl Iterator<Item = ([&[u8]; 4], Totals)> + '_ {
        self.entries.iter().map(|g| {
            (
                g.values.map(|(start, end)| &self.bytes[start..end]),
                g.totals,
            )
        })
    }
}

/// Whether the stored runs at `runs` of `bytes` are `texts`.
fn same_texts(bytes: &[u8], runs: &[(usize, usize); MAX_RUNS], texts: &[&[u8]]) -> bool {
    runs.iter()
        .zip(texts)
        .all(|(&(start, end), text)| bytes.get(start..end) == Some(*text))
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

/// A hash of a group key: one multiply-mix per two words. Fast, and good
/// enough for a table of few keys; keys chosen to collide cost time here,
/// never correctness.
#[inline(always)]
fn hash_key(key: &[Packed]) -> u64 {
    const K0: u64 = 0x9E37_79B9_7F4A_7C15;
    const K1: u64 = 0xD6E8_FEB8_6659_FD93;
    key.iter().fold(0, |h, p| {
        let h = mix(p.words[0] ^ K0 ^ p.len as u64, p.words[1] ^ K1 ^ h);
        mix(p.words[2] ^ K0, p.words[3] ^ K1 ^ h)
    })
}

/// The folded 128-bit product: high-quality mixing for one multiply.
#[inline(always)]
fn mix(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}
