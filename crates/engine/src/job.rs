//! The contract between the scanner and a job.
//!
//! The scanner splits bytes into rows and fields; a [`Job`] decides what a
//! row means. The scanner hands a job the fields it asks for, one at a
//! time, then the whole row — or, for a job that reads its fields in the
//! row ([`Job::fields_in_row`]), only the row with where each field starts
//! ([`Row::field`]). The job answers with an [`Outcome`] so that every row
//! is accounted for: selected, dropped by the job's rule, or rejected with
//! a reason.

use crate::error::JobError;
use std::fmt;

/// What the scanner does after handing a job one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Hand over the next field too (up to [`Job::fields_wanted`]).
    Next,
    /// The job has decided: skip the rest of this row's fields.
    SkipRow,
}

/// The header row: its bytes as they came in and its field names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The row as it came in, line ending and byte-order mark included.
    pub raw: Vec<u8>,
    /// Field values, unquoted, the byte-order mark removed from the first.
    pub names: Vec<Vec<u8>>,
}

impl Header {
    /// The index of the field whose name is `name`, if any.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name.as_bytes())
    }

    /// The names joined for an error message: `a, b, c`.
    pub fn listing(&self) -> String {
        let names: Vec<_> = self
            .names
            .iter()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect();
        names.join(", ")
    }
}

/// One complete row as the scanner found it.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    /// The row's bytes exactly as in the input, line ending included (a
    /// last row without a line ending has none).
    pub bytes: &'a [u8],
    /// The 1-based line on which the row starts.
    pub line: u64,
    /// How many fields the row has.
    pub fields: usize,
    /// How many fields a row should have: the header's count, or the first
    /// row's when there is no header.
    pub expected_fields: usize,
    /// For a job that reads fields in [`Job::row`] ([`Job::fields_in_row`]):
    /// where each of the row's first fields starts in `bytes`, followed by
    /// one past where the last of them ends. Empty for other jobs.
    pub starts: &'a [usize],
}

impl<'a> Row<'a> {
    /// Field `index` as it appears in the input (quotes included), for a
    /// job that reads fields in [`Job::row`]; `None` past the row's last
    /// field or past [`Job::fields_wanted`].
    ///
    /// ```
    /// use sluice_engine::{Dialect, Engine, Job, Outcome, Row};
    ///
    /// /// Sums the second column.
    /// struct Sum(u64);
    /// impl Job for Sum {
    ///     fn fields_in_row(&self) -> bool {
    ///         true
    ///     }
    ///     fn fields_wanted(&self) -> usize {
    ///         2
    ///     }
    ///     fn row(&mut self, row: &Row<'_>, _: &mut Vec<u8>) -> Outcome {
    ///         let field = row.field(1).unwrap_or_default();
    ///         self.0 += std::str::from_utf8(field).unwrap().parse::<u64>().unwrap();
    ///         Outcome::Selected
    ///     }
    /// }
    /// let mut engine = Engine::new(Dialect::default(), Sum(0));
    /// engine.feed(b"a,n\n\"x,y\",2\nz,3,extra\n").unwrap();
    /// engine.finish().unwrap();
    /// assert_eq!(engine.job().0, 5);
    /// ```
    #[inline]
    pub fn field(&self, index: usize) -> Option<&'a [u8]> {
        self.bytes.get(self.field_range(index)?)
    }

    /// Where field `index` lies in [`Row::bytes`]; see [`Row::field`].
    #[inline]
    pub fn field_range(&self, index: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.starts.get(index)?;
        let next = *self.starts.get(index + 1)?;
        Some(start..next - 1)
    }

    /// The row without its line ending.
    pub fn content(&self) -> &[u8] {
        let mut s = self.bytes;
        while let [rest @ .., b'\n' | b'\r'] = s {
            s = rest;
        }
        s
    }

    /// `Some(reason)` when the row's field count differs from the expected.
    pub fn field_count_problem(&self) -> Option<Reason> {
        (self.fields != self.expected_fields).then_some(Reason::FieldCount {
            expected: self.expected_fields,
            found: self.fields,
        })
    }
}

/// Why a row was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The row has a different number of fields than the header.
    FieldCount { expected: usize, found: usize },
    /// A job-specific reason.
    Other(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::FieldCount { expected, found } => {
                write!(f, "expected {expected} fields, found {found}")
            }
            Reason::Other(s) => f.write_str(s),
        }
    }
}

/// What became of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The job used or kept the row.
    Selected,
    /// The job's rule left the row out.
    Dropped,
    /// The row could not be used; it goes to the rejects with the reason.
    Rejected(Reason),
}

/// A job: fed fields and rows by the scanner, writes its output to `out`.
///
/// Field calls are provisional: when a row turns out to continue past the
/// bytes at hand, the scanner hands its fields again from index 0 once
/// more bytes arrive. A job therefore resets its per-row state when it
/// sees field 0 and commits only in [`Job::row`].
pub trait Job {
    /// Called once before any row, with the header unless the input has
    /// none. An error stops the run before anything is written.
    fn begin(&mut self, header: Option<&Header>, out: &mut Vec<u8>) -> Result<(), JobError> {
        let _ = (header, out);
        Ok(())
    }

    /// How many leading fields of each row the job wants to see; the
    /// scanner skips the rest, which is what makes narrow jobs fast.
    fn fields_wanted(&self) -> usize {
        usize::MAX
    }

    /// `true` for a job that takes the fields it wants from
    /// [`Row::field`] in [`Job::row`] rather than one by one through
    /// [`Job::field`]: the scanner then only notes where fields start,
    /// which suits jobs that use a few fields spread across the row.
    fn fields_in_row(&self) -> bool {
        false
    }

    /// One field of the current row, as it appears in the input (quotes
    /// included). Not called for a job whose [`Job::fields_in_row`] is
    /// `true`.
    fn field(&mut self, index: usize, raw: &[u8]) -> Flow {
        let _ = (index, raw);
        Flow::Next
    }

    /// The current row is complete.
    fn row(&mut self, row: &Row<'_>, out: &mut Vec<u8>) -> Outcome;

    /// Checked after each chunk: a reason to stop the run, with the line
    /// that gave it — a limit the job's memory would pass, say. `None`
    /// (the default) goes on.
    fn halt(&mut self) -> Option<(u64, JobError)> {
        None
    }

    /// Called once after the last row.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), JobError> {
        let _ = out;
        Ok(())
    }
}
