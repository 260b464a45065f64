//! The record scanner: splits a buffer into rows and fields and drives a
//! [`Job`].
//!
//! The fast path classifies 64-byte blocks into bitmasks (delimiters,
//! quotes, line endings), derives the bytes inside quotes with a prefix
//! XOR of the quote mask, and walks only the structural bits a job needs.
//! A quote that the XOR would misread — one that does not open a field,
//! like the inch mark in `5" pipe` — sends that one row through a
//! byte-at-a-time state machine, so the result is always the one RFC 4180
//! readers (and the `csv` crate) give.
//!
//! A pass is handed a buffer that starts at a row boundary and consumes
//! whole rows only; the [`Engine`](crate::Engine) keeps the unconsumed
//! tail for the next chunk.

use super::field::{scan_field, unquote, FieldEnd, BOM};
use super::pass::Pass;
use super::starts::Starts;
use crate::error::{Error, ErrorKind};
use crate::job::{Header, Job};

/// How the input is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// The field delimiter (default `,`). Never `"`, `\r` or `\n`.
    pub delimiter: u8,
    /// Whether the first row is a header (default true).
    pub has_header: bool,
    /// The longest row accepted, in bytes; longer is an error, which keeps
    /// memory bounded when a quote is never closed (default 16 MiB).
    pub max_record_bytes: usize,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: b',',
            has_header: true,
            max_record_bytes: 16 << 20,
        }
    }
}

/// Row counts of a run: every data row is selected, dropped or rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Data rows read (the header and blank lines are not rows).
    pub rows: u64,
    /// Rows the job selected.
    pub selected: u64,
    /// Rows the job's rule left out.
    pub dropped: u64,
    /// Rows that could not be used, each written to the rejects.
    pub rejected: u64,
}

/// Scanner state that lasts across passes.
#[derive(Debug)]
pub(crate) struct Scanner {
    pub dialect: Dialect,
    /// The line on which the next row starts.
    pub line: u64,
    pub counts: Counts,
    /// Fields per row, from the header or the first row.
    pub expected_fields: Option<usize>,
    /// Nothing consumed yet: a byte-order mark may come, and the header.
    pub at_start: bool,
    pub header_done: bool,
    /// Field starts of the current row, for jobs that read fields in the
    /// row (kept between passes so its allocation is reused).
    pub starts: Starts,
}

impl Scanner {
    pub fn new(dialect: Dialect) -> Self {
        Scanner {
            dialect,
            line: 1,
            counts: Counts::default(),
            expected_fields: None,
            at_start: true,
            header_done: false,
            starts: Starts::default(),
        }
    }

    /// Consumes the whole rows at the front of `buf` (all of it when
    /// `eof`), returning how many bytes that was.
    pub fn pass<J: Job>(
        &mut self,
        buf: &[u8],
        eof: bool,
        job: &mut J,
        out: &mut Vec<u8>,
        rejects: &mut Vec<u8>,
    ) -> Result<usize, Error> {
        let mut skip = 0;
        if self.at_start {
            if !eof && buf.len() < BOM.len() && BOM.starts_with(buf) {
                return Ok(0);
            }
            skip = if buf.starts_with(BOM) { BOM.len() } else { 0 };
        }
        let mut start = 0;
        if !self.header_done && !self.dialect.has_header {
            job.begin(None, out)
                .map_err(|msg| self.error(ErrorKind::Job(msg)))?;
            self.header_done = true;
        }
        if !self.header_done {
            match self.header(buf, skip, eof, job, out)? {
                Some(end) => start = end,
                None => return Ok(0),
            }
            skip = 0;
        }
        let wanted = job.fields_wanted();
        let in_row = job.fields_in_row();
        let mut starts = std::mem::take(&mut self.starts);
        if in_row {
            // One start per wanted field, and one past the last of them.
            starts.reset(wanted.saturating_add(1), skip);
        }
        let mut pass = Pass {
            buf,
            eof,
            scanner: self,
            job,
            out,
            rejects,
            wanted,
            row_start: start,
            field_start: start + skip,
            field: 0,
            skipped_delims: 0,
            skipping: wanted == 0 && !in_row,
            quoted_lf: 0,
            in_row,
            starts,
        };
        let result = pass.run();
        self.starts = pass.starts;
        result
    }

    /// Reads the header row (blank lines before it are kept with it);
    /// `Some(end)` once it is complete.
    fn header<J: Job>(
        &mut self,
        buf: &[u8],
        skip: usize,
        eof: bool,
        job: &mut J,
        out: &mut Vec<u8>,
    ) -> Result<Option<usize>, Error> {
        let delim = self.dialect.delimiter;
        let mut names = Vec::new();
        let mut quoted_lf = 0;
        let mut blank_lines = 0;
        let mut field_start = skip;
        let end = loop {
            match scan_field(buf, field_start, delim, &mut quoted_lf) {
                FieldEnd::Delim(p) => {
                    names.push(unquote(&buf[field_start..p]).into_owned());
                    field_start = p + 1;
                }
                FieldEnd::Term(p) => {
                    let Some(end) = line_end(buf, p, eof) else {
                        return Ok(None);
                    };
                    if names.is_empty() && p == field_start {
                        blank_lines += 1;
                        field_start = end;
                        continue;
                    }
                    names.push(unquote(&buf[field_start..p]).into_owned());
                    break end;
                }
                FieldEnd::End { quoted: true } if eof => {
                    self.line += blank_lines;
                    return Err(self.error(ErrorKind::UnclosedQuote));
                }
                FieldEnd::End { .. } if eof => {
                    if field_start < buf.len() || !names.is_empty() {
                        names.push(unquote(&buf[field_start..]).into_owned());
                    }
                    break buf.len();
                }
                FieldEnd::End { .. } => return Ok(None),
            }
        };
        self.line += blank_lines;
        let header = (!names.is_empty()).then(|| Header {
            raw: buf[..end].to_vec(),
            names,
        });
        if let Some(h) = &header {
            self.expected_fields = Some(h.names.len());
        }
        job.begin(header.as_ref(), out)
            .map_err(|msg| self.error(ErrorKind::Job(msg)))?;
        self.line += u64::from(header.is_some()) + quoted_lf;
        self.at_start = false;
        self.header_done = true;
        Ok(Some(end))
    }

    pub(super) fn error(&self, kind: ErrorKind) -> Error {
        Error {
            line: Some(self.line),
            kind,
        }
    }
}

/// Where the line ending at `p` ends: after `\n`, `\r\n` or a lone `\r`.
/// `None` when `buf` ends right after a `\r` and more input may follow.
#[inline]
pub(super) fn line_end(buf: &[u8], p: usize, eof: bool) -> Option<usize> {
    if buf[p] == b'\r' {
        match buf.get(p + 1) {
            Some(b'\n') => Some(p + 2),
            Some(_) => Some(p + 1),
            None if eof => Some(p + 1),
            None => None,
        }
    } else {
        Some(p + 1)
    }
}

/// Bits below position `n` (n < 64).
#[inline(always)]
pub(super) fn below(n: u32) -> u64 {
    (1u64 << n) - 1
}
