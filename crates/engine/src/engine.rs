//! The caller-driven front of the engine: feed chunks, collect output.

use crate::csv::{write_reject, Counts, Dialect, Scanner};
use crate::error::{Error, ErrorKind};
use crate::job::Job;

/// The least the engine copies into its carry buffer at a time when a row
/// spans chunks.
const CARRY_STEP: usize = 64 << 10;

/// A streaming run of one job over one input.
///
/// Feed it the input in chunks of any size — a row may span chunks — and
/// take the output after each chunk; memory stays bounded by the chunk
/// size plus the longest row.
///
/// ```
/// use sluice_engine::{Engine, Dialect, Filter, FilterOptions};
///
/// let filter = Filter::new(FilterOptions::default());
/// let mut engine = Engine::new(Dialect::default(), filter);
/// for chunk in [&b"id,value\na,4.8\nb,"[..], b"4.6\nc,9\n"] {
///     engine.feed(chunk).unwrap();
/// }
/// let counts = engine.finish().unwrap();
/// assert_eq!(engine.output(), b"id,value\na,4.8\nc,9\n");
/// assert_eq!((counts.rows, counts.selected, counts.dropped), (3, 2, 1));
/// ```
#[derive(Debug)]
pub struct Engine<J: Job> {
    scanner: Scanner,
    job: J,
    /// The unconsumed tail of the input: the start of a row.
    carry: Vec<u8>,
    out: Vec<u8>,
    rejects: Vec<u8>,
    bytes: u64,
}

impl<J: Job> Engine<J> {
    /// A run of `job` over input laid out as `dialect` says.
    pub fn new(dialect: Dialect, job: J) -> Self {
        Engine {
            scanner: Scanner::new(dialect),
            job,
            carry: Vec::new(),
            out: Vec::new(),
            rejects: Vec::new(),
            bytes: 0,
        }
    }

    /// Feeds the next chunk of input.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.feed_rows(chunk)?;
        self.check_halt()
    }

    /// The job's reason to stop, as an error, if it has one.
    fn check_halt(&mut self) -> Result<(), Error> {
        match self.job.halt() {
            None => Ok(()),
            Some((line, e)) => Err(Error {
                line: Some(line),
                kind: ErrorKind::Job(e),
            }),
        }
    }

    fn feed_rows(&mut self, mut chunk: &[u8]) -> Result<(), Error> {
        self.bytes += chunk.len() as u64;
        // First finish the row carried over from the previous chunk.
        let mut taken = 0;
        while !self.carry.is_empty() {
            if taken == chunk.len() {
                return Ok(());
            }
            let n = (chunk.len() - taken).min(self.carry.len().max(CARRY_STEP));
            let old = self.carry.len();
            self.carry.extend_from_slice(&chunk[taken..taken + n]);
            taken += n;
            let used = self.pass_carry(false)?;
            if used >= old {
                // Everything carried is consumed: go on from the chunk.
                chunk = &chunk[taken - (self.carry.len() - used)..];
                self.carry.clear();
                break;
            }
            self.carry.drain(..used);
            self.check_row_length(self.carry.len())?;
        }
        let used = self.scanner.pass(
            chunk,
            false,
            &mut self.job,
            &mut self.out,
            &mut self.rejects,
        )?;
        self.carry.extend_from_slice(&chunk[used..]);
        self.check_row_length(self.carry.len())
    }

    /// Ends the input: processes the last row and lets the job finish.
    pub fn finish(&mut self) -> Result<Counts, Error> {
        self.pass_carry(true)?;
        self.carry.clear();
        self.check_halt()?;
        self.job.finish(&mut self.out).map_err(|msg| Error {
            line: None,
            kind: ErrorKind::Job(msg),
        })?;
        Ok(self.scanner.counts)
    }

    fn pass_carry(&mut self, eof: bool) -> Result<usize, Error> {
        let carry = std::mem::take(&mut self.carry);
        let used = self
            .scanner
            .pass(&carry, eof, &mut self.job, &mut self.out, &mut self.rejects);
        self.carry = carry;
        used
    }

    fn check_row_length(&self, len: usize) -> Result<(), Error> {
        let limit = self.scanner.dialect.max_record_bytes;
        if len > limit {
            return Err(Error {
                line: Some(self.scanner.line),
                kind: ErrorKind::RecordTooLong { limit },
            });
        }
        Ok(())
    }

    /// Output produced so far and not yet taken.
    pub fn output(&self) -> &[u8] {
        &self.out
    }

    /// Takes the output produced so far, leaving the buffer empty (its
    /// capacity is kept, so a feed loop allocates once).
    pub fn take_output(&mut self, into: &mut Vec<u8>) {
        into.clear();
        std::mem::swap(into, &mut self.out);
    }

    /// Rejected rows so far (`line,reason,row` CSV, header first), not yet
    /// taken.
    pub fn rejects(&self) -> &[u8] {
        &self.rejects
    }

    /// Takes the rejects produced so far.
    pub fn take_rejects(&mut self, into: &mut Vec<u8>) {
        into.clear();
        std::mem::swap(into, &mut self.rejects);
    }

    /// Rejects a row the job had selected, for a reason found after the
    /// engine handed it on (a store that refused to write it): it moves
    /// from the selected rows to the rejected ones and goes to the rejects
    /// with its line and reason, as the engine's own rejects do.
    pub fn reject_selected(&mut self, line: u64, reason: &str, row: &[u8]) {
        let counts = &mut self.scanner.counts;
        counts.selected = counts.selected.saturating_sub(1);
        counts.rejected += 1;
        if counts.rejected == 1 {
            self.rejects.extend_from_slice(b"line,reason,row\n");
        }
        write_reject(&mut self.rejects, line, reason, row);
    }

    /// Row counts so far.
    pub fn counts(&self) -> Counts {
        self.scanner.counts
    }

    /// Input bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The layout the input is read with.
    pub fn dialect(&self) -> &Dialect {
        &self.scanner.dialect
    }

    /// The job, for results it keeps itself.
    pub fn job(&self) -> &J {
        &self.job
    }

    /// The job, mutably.
    pub fn job_mut(&mut self) -> &mut J {
        &mut self.job
    }
}
