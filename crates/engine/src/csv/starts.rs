//! Where the fields of the current row start, for jobs that read fields
//! in the row.

use super::classify::BLOCK;

/// The field starts of the current row, for a job that reads fields in
/// the row: offsets in the row, one per field up to a limit.
#[derive(Debug, Default)]
pub(crate) struct Starts {
    /// The starts, and always a block's worth of room past them, so that a
    /// block's delimiters are written without a check each. Grows with
    /// the widest row seen, up to the limit.
    at: Vec<usize>,
    len: usize,
    /// The most starts kept.
    limit: usize,
}

impl Starts {
    /// Starts a run that keeps up to `limit` starts; the first row's first
    /// field starts at `first`.
    pub(super) fn reset(&mut self, limit: usize, first: usize) {
        self.limit = limit.max(1);
        self.len = 0;
        self.room();
        self.at[0] = first;
        self.len = 1;
    }

    /// The block's worth of room past the last start.
    #[inline(always)]
    fn room(&mut self) -> &mut [usize; BLOCK] {
        if self.len + BLOCK > self.at.len() {
            self.grow();
        }
        (&mut self.at[self.len..self.len + BLOCK])
            .try_into()
            .expect("a block of room")
    }

    #[cold]
    fn grow(&mut self) {
        let size = (self.at.len() * 2).max(self.len + BLOCK);
        self.at.resize(size, 0);
    }

    /// The next row's first field starts at offset 0 (only the first row
    /// of an input may start after a byte-order mark).
    #[inline(always)]
    pub(super) fn restart(&mut self) {
        self.at[0] = 0;
        self.len = 1;
    }

    /// The starts noted so far.
    #[inline(always)]
    pub(super) fn get(&self) -> &[usize] {
        &self.at[..self.len]
    }

    /// A field starts at `offset` (kept while under the limit).
    #[inline(always)]
    pub(super) fn note(&mut self, offset: usize) {
        if self.len < self.limit {
            self.room()[0] = offset;
            self.len += 1;
        }
    }

    /// Fields start at `after + i` for each set bit `i` of `bits`, kept
    /// while under the limit; returns how many bits there were. Eight at
    /// a time, without a branch per field (nor a population count, slow
    /// without POPCNT).
    #[inline(always)]
    pub(super) fn note_all(&mut self, mut bits: u64, after: usize) -> usize {
        // Writes past the last start land in the spare room.
        let room = self.room();
        let (mut written, mut count) = (0, 0);
        while bits != 0 {
            for slot in &mut room[written..written + 8] {
                count += usize::from(bits != 0);
                *slot = after.wrapping_add(bits.trailing_zeros() as usize);
                bits &= bits.wrapping_sub(1);
            }
            written += 8;
        }
        self.len = (self.len + count).min(self.limit);
        count
    }
}
