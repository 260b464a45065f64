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

use crate::classify::{classify, classify_tail, prefix_xor, BLOCK};
use crate::job::{Flow, Header, Job, Outcome, Row};
use std::fmt;

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Errors that stop a run. Each names the line it happened on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The 1-based line, when the error has one.
    pub line: Option<u64>,
    /// What went wrong.
    pub kind: ErrorKind,
}

/// The kinds of [`Error`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A quoted field is still open at the end of the input.
    UnclosedQuote,
    /// A single row is longer than the configured limit.
    RecordTooLong { limit: usize },
    /// The job refused the input (for example a missing column).
    Job(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        match &self.kind {
            ErrorKind::UnclosedQuote => {
                f.write_str("a quoted field opened in this row is never closed")
            }
            ErrorKind::RecordTooLong { limit } => write!(
                f,
                "row is longer than {limit} bytes (an unclosed quote?); raise the record limit if it is real"
            ),
            ErrorKind::Job(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {}

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
    fn reset(&mut self, limit: usize, first: usize) {
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
    fn restart(&mut self) {
        self.at[0] = 0;
        self.len = 1;
    }

    /// The starts noted so far.
    #[inline(always)]
    fn get(&self) -> &[usize] {
        &self.at[..self.len]
    }

    /// A field starts at `offset` (kept while under the limit).
    #[inline(always)]
    fn note(&mut self, offset: usize) {
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
    fn note_all(&mut self, mut bits: u64, after: usize) -> usize {
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

/// Where a field scanned byte by byte ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldEnd {
    /// At a delimiter at this position.
    Delim(usize),
    /// At a line ending (`\n` or `\r`) at this position.
    Term(usize),
    /// The buffer ended; `quoted` when inside an open quote.
    End { quoted: bool },
}

/// Scans one field from its first byte with the rules of RFC 4180 readers:
/// a quote opens a quoted field only as the field's first byte; inside, a
/// doubled quote is a literal quote; after the closing quote, the rest of
/// the field is plain bytes. Counts the line feeds inside quotes.
fn scan_field(buf: &[u8], start: usize, delim: u8, quoted_lf: &mut u64) -> FieldEnd {
    let mut i = start;
    if buf.get(i) == Some(&b'"') {
        i += 1;
        loop {
            match buf.get(i) {
                None => return FieldEnd::End { quoted: true },
                Some(b'"') if buf.get(i + 1) == Some(&b'"') => i += 2,
                Some(b'"') => {
                    i += 1;
                    break;
                }
                Some(b) => {
                    *quoted_lf += u64::from(*b == b'\n');
                    i += 1;
                }
            }
        }
    }
    while let Some(&b) = buf.get(i) {
        if b == delim {
            return FieldEnd::Delim(i);
        }
        if b == b'\n' || b == b'\r' {
            return FieldEnd::Term(i);
        }
        i += 1;
    }
    FieldEnd::End { quoted: false }
}

/// The value of a raw field: enclosing quotes removed and doubled quotes
/// made single, as RFC 4180 readers do.
///
/// ```
/// use sluice_engine::unquote;
/// assert_eq!(&*unquote(b"\"a \"\"b\"\", c\""), &b"a \"b\", c"[..]);
/// assert_eq!(&*unquote(b"plain"), &b"plain"[..]);
/// ```
pub fn unquote(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    if raw.first() != Some(&b'"') {
        return Cow::Borrowed(raw);
    }
    let mut value = Vec::with_capacity(raw.len());
    unquote_into(raw, &mut value);
    Cow::Owned(value)
}

/// Whether a raw field's value is nothing but spaces, quoted or not:
/// `unquote(raw).trim_ascii().is_empty()` without making the value.
#[inline(always)]
pub(crate) fn is_blank(raw: &[u8]) -> bool {
    match raw.first() {
        // The common case, a value that starts with a letter or digit.
        Some(&b) if !b.is_ascii_whitespace() && b != b'"' => false,
        _ => is_blank_slow(raw),
    }
}

#[cold]
fn is_blank_slow(raw: &[u8]) -> bool {
    match raw {
        [b'"', rest @ ..] => {
            // Inside the quotes a doubled quote is a `"`, not a space; the
            // closing quote is the lone one, and what follows is as it is.
            let closing = rest.windows(2).position(|w| w == b"\"\"");
            let lone = rest.iter().position(|&b| b == b'"');
            match lone {
                Some(at) if closing != Some(at) => {
                    rest[..at].trim_ascii().is_empty() && rest[at + 1..].trim_ascii().is_empty()
                }
                Some(_) => false,
                None => rest.trim_ascii().is_empty(),
            }
        }
        _ => raw.trim_ascii().is_empty(),
    }
}

/// Appends the value of a raw field that starts with a quote to `value`
/// (see [`unquote`]).
pub(crate) fn unquote_into(raw: &[u8], value: &mut Vec<u8>) {
    let rest = raw.get(1..).unwrap_or_default();
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b'"' if rest.get(i + 1) == Some(&b'"') => {
                value.push(b'"');
                i += 2;
            }
            b'"' => {
                // Closing quote: whatever follows is taken as it is.
                value.extend_from_slice(&rest[i + 1..]);
                break;
            }
            b => {
                value.push(b);
                i += 1;
            }
        }
    }
}

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

    fn error(&self, kind: ErrorKind) -> Error {
        Error {
            line: Some(self.line),
            kind,
        }
    }
}

/// Where the line ending at `p` ends: after `\n`, `\r\n` or a lone `\r`.
/// `None` when `buf` ends right after a `\r` and more input may follow.
#[inline]
fn line_end(buf: &[u8], p: usize, eof: bool) -> Option<usize> {
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
fn below(n: u32) -> u64 {
    (1u64 << n) - 1
}

/// The result of reaching a line ending.
enum Step {
    Done,
    /// The row may continue past the buffer: stop here.
    Incomplete,
}

/// One pass over a buffer: the current row's state and where output goes.
struct Pass<'a, J: Job> {
    buf: &'a [u8],
    eof: bool,
    scanner: &'a mut Scanner,
    job: &'a mut J,
    out: &'a mut Vec<u8>,
    rejects: &'a mut Vec<u8>,
    wanted: usize,
    row_start: usize,
    field_start: usize,
    /// Delimiters seen (and so fields handed over) while not skipping.
    field: usize,
    /// Delimiters passed over while skipping.
    skipped_delims: usize,
    skipping: bool,
    /// Line feeds inside quotes in the current row.
    quoted_lf: u64,
    /// The job reads fields in the row ([`Job::fields_in_row`]).
    in_row: bool,
    /// The current row's field starts when `in_row`.
    starts: Starts,
}

impl<J: Job> Pass<'_, J> {
    fn run(&mut self) -> Result<usize, Error> {
        let buf = self.buf;
        let delim = self.scanner.dialect.delimiter;
        let mut b = self.row_start;
        // All ones while inside quotes at the end of the previous block.
        let mut inside_carry = 0u64;
        // Bit 0: the byte before the block may precede an opening quote.
        let mut prev_carry = 1u64;
        while b < buf.len() {
            let m = match buf.get(b..b + BLOCK) {
                Some(block) => classify(block.try_into().unwrap(), delim),
                None => classify_tail(&buf[b..], delim),
            };
            let inside = prefix_xor(m.quote) ^ inside_carry;
            inside_carry = ((inside as i64) >> 63) as u64;
            let structural = m.delim | m.lf | m.cr | m.quote;
            let may_open = (structural << 1) | prev_carry;
            prev_carry = structural >> 63;
            let stray = m.quote & inside & !may_open;
            let keep = if stray == 0 {
                !0
            } else {
                below(stray.trailing_zeros())
            };
            let delims = m.delim & !inside & keep;
            let terms = (m.lf | m.cr) & !inside & keep;
            let quoted_lf = m.lf & inside & keep;
            // Jobs that want every field of the row take the tighter walk.
            let every_field = self
                .scanner
                .expected_fields
                .is_some_and(|n| self.wanted >= n);
            let step = if self.in_row {
                self.walk_in_row(b, delims, terms, quoted_lf)?
            } else if self.skipping || !every_field {
                self.walk(b, delims, terms, quoted_lf)?
            } else {
                self.walk_all(b, delims, terms, quoted_lf)?
            };
            if let Step::Incomplete = step {
                return Ok(self.row_start);
            }
            if stray != 0 {
                // From the current field on, this row is read byte by byte.
                match self.slow_row()? {
                    Step::Done => {}
                    Step::Incomplete => return Ok(self.row_start),
                }
                b = self.row_start;
                inside_carry = 0;
                prev_carry = 1;
                continue;
            }
            b += BLOCK;
        }
        if !self.eof {
            return Ok(self.row_start);
        }
        if inside_carry != 0 {
            return Err(self.scanner.error(ErrorKind::UnclosedQuote));
        }
        self.end_row(buf.len(), buf.len());
        Ok(buf.len())
    }

    /// Handles the structural bits of the block at `b`.
    #[inline(always)]
    fn walk(
        &mut self,
        b: usize,
        mut delims: u64,
        mut terms: u64,
        quoted_lf: u64,
    ) -> Result<Step, Error> {
        let mut quoted_lf = quoted_lf;
        loop {
            if self.skipping {
                if terms == 0 {
                    self.skipped_delims += delims.count_ones() as usize;
                    if delims != 0 {
                        // Where the slow path would resume, should it.
                        self.field_start = b + BLOCK - delims.leading_zeros() as usize;
                    }
                    break;
                }
                let t = terms.trailing_zeros();
                let before = below(t);
                self.skipped_delims += (delims & before).count_ones() as usize;
                delims &= !before;
                terms &= terms - 1;
                if let Step::Incomplete = self.term_at(b, t, &mut quoted_lf)? {
                    return Ok(Step::Incomplete);
                }
                continue;
            }
            let next = delims | terms;
            if next == 0 {
                break;
            }
            let p = next.trailing_zeros();
            let bit = 1u64 << p;
            if delims & bit != 0 {
                delims ^= bit;
                self.delim(b + p as usize);
            } else {
                terms ^= bit;
                if let Step::Incomplete = self.term_at(b, p, &mut quoted_lf)? {
                    return Ok(Step::Incomplete);
                }
            }
        }
        self.quoted_lf += u64::from(quoted_lf.count_ones());
        Ok(Step::Done)
    }

    /// [`walk`](Self::walk) for a job that wants every field, with the
    /// field state in locals: the common case of jobs that look at whole
    /// rows. Should the job skip the rest of a row (or a ragged row run
    /// past the fields wanted), the general walk takes over the block's
    /// remaining bits.
    #[inline(always)]
    fn walk_all(
        &mut self,
        b: usize,
        delims: u64,
        terms: u64,
        mut quoted_lf: u64,
    ) -> Result<Step, Error> {
        let (mut delims, mut terms) = (delims, terms);
        let mut field = self.field;
        let mut field_start = self.field_start;
        loop {
            // The delimiters before the next line ending, in a tight loop.
            let until = match terms {
                0 => !0,
                t => below(t.trailing_zeros()),
            };
            let mut ahead = delims & until;
            delims &= !until;
            while ahead != 0 {
                let pos = b + ahead.trailing_zeros() as usize;
                ahead &= ahead - 1;
                let flow = self.job.field(field, &self.buf[field_start..pos]);
                field += 1;
                field_start = pos + 1;
                if flow == Flow::SkipRow || field >= self.wanted {
                    self.field = field;
                    self.field_start = field_start;
                    self.skipping = true;
                    return self.walk(b, ahead | delims, terms, quoted_lf);
                }
            }
            if terms == 0 {
                break;
            }
            let p = terms.trailing_zeros();
            terms &= terms - 1;
            self.field = field;
            self.field_start = field_start;
            if let Step::Incomplete = self.term_at(b, p, &mut quoted_lf)? {
                return Ok(Step::Incomplete);
            }
            field = self.field;
            field_start = self.field_start;
        }
        self.field = field;
        self.field_start = field_start;
        self.quoted_lf += u64::from(quoted_lf.count_ones());
        Ok(Step::Done)
    }

    /// [`walk`](Self::walk) for a job that reads fields in the row: only
    /// notes where the fields start.
    #[inline(always)]
    fn walk_in_row(
        &mut self,
        b: usize,
        mut delims: u64,
        mut terms: u64,
        mut quoted_lf: u64,
    ) -> Result<Step, Error> {
        loop {
            let until = match terms {
                0 => !0,
                t => below(t.trailing_zeros()),
            };
            let ahead = delims & until;
            delims &= !until;
            if ahead != 0 {
                // After the last of them.
                self.field_start = b + BLOCK - ahead.leading_zeros() as usize;
                // Offsets in the row of the bytes after the delimiters; a
                // row may start inside the block, hence wrapping.
                let after = (b + 1).wrapping_sub(self.row_start);
                self.field += self.starts.note_all(ahead, after);
            }
            if terms == 0 {
                break;
            }
            let p = terms.trailing_zeros();
            terms &= terms - 1;
            if let Step::Incomplete = self.term_at(b, p, &mut quoted_lf)? {
                return Ok(Step::Incomplete);
            }
        }
        self.quoted_lf += u64::from(quoted_lf.count_ones());
        Ok(Step::Done)
    }

    /// A field ends at `p` (a delimiter, or the row's end) for a job that
    /// reads fields in the row: the next field starts after it.
    #[inline(always)]
    fn note_field_end(&mut self, p: usize) {
        self.field += 1;
        self.field_start = p + 1;
        self.starts.note(p + 1 - self.row_start);
    }

    /// A delimiter at `p` ends the current field.
    #[inline(always)]
    fn delim(&mut self, p: usize) {
        if self.in_row {
            self.note_field_end(p);
            return;
        }
        if self.skipping {
            self.skipped_delims += 1;
            self.field_start = p + 1;
            return;
        }
        let index = self.field;
        let raw = &self.buf[self.field_start..p];
        self.field += 1;
        self.field_start = p + 1;
        let flow = self.job.field(index, raw);
        if flow == Flow::SkipRow || self.field >= self.wanted {
            self.skipping = true;
        }
    }

    /// The line ending at bit `p` of the block at `b`. The line feeds
    /// inside quotes before it (taken out of `quoted_lf`) belong to the
    /// row it ends.
    #[inline(always)]
    fn term_at(&mut self, b: usize, p: u32, quoted_lf: &mut u64) -> Result<Step, Error> {
        let before = below(p);
        self.quoted_lf += u64::from((*quoted_lf & before).count_ones());
        *quoted_lf &= !before;
        self.term(b + p as usize)
    }

    /// A line ending at `p` (`\n` or `\r`, outside quotes).
    #[inline(always)]
    fn term(&mut self, p: usize) -> Result<Step, Error> {
        if p < self.row_start {
            // The `\n` of a `\r\n` already taken with its row.
            return Ok(Step::Done);
        }
        match line_end(self.buf, p, self.eof) {
            Some(end) => {
                self.end_row(p, end);
                Ok(Step::Done)
            }
            None => Ok(Step::Incomplete),
        }
    }

    /// The row ends: its last field ends at `p`, its bytes at `end`.
    fn end_row(&mut self, p: usize, end: usize) {
        let delims = self.field + self.skipped_delims;
        let blank = delims == 0 && p == self.field_start;
        if !blank {
            if self.in_row {
                self.starts.note(p + 1 - self.row_start);
            } else if !self.skipping {
                let raw = &self.buf[self.field_start..p];
                self.job.field(self.field, raw);
            }
            self.emit(end, delims + 1);
        }
        let s = &mut *self.scanner;
        s.line += 1 + self.quoted_lf;
        s.at_start = false;
        self.row_start = end;
        self.field_start = end;
        self.field = 0;
        self.skipped_delims = 0;
        self.skipping = self.wanted == 0 && !self.in_row;
        self.quoted_lf = 0;
        if self.in_row {
            self.starts.restart();
        }
    }

    /// Hands the finished row to the job and accounts for it.
    fn emit(&mut self, end: usize, fields: usize) {
        let s = &mut *self.scanner;
        let expected_fields = *s.expected_fields.get_or_insert(fields);
        let row = Row {
            bytes: &self.buf[self.row_start..end],
            line: s.line,
            fields,
            expected_fields,
            starts: self.starts.get(),
        };
        s.counts.rows += 1;
        match self.job.row(&row, self.out) {
            Outcome::Selected => s.counts.selected += 1,
            Outcome::Dropped => s.counts.dropped += 1,
            Outcome::Rejected(reason) => {
                s.counts.rejected += 1;
                if s.counts.rejected == 1 {
                    self.rejects.extend_from_slice(b"line,reason,row\n");
                }
                write_reject(self.rejects, row.line, &reason.to_string(), row.content());
            }
        }
    }

    /// Finishes the current row byte by byte from the current field.
    fn slow_row(&mut self) -> Result<Step, Error> {
        let delim = self.scanner.dialect.delimiter;
        loop {
            let mut lf = 0;
            let end = scan_field(self.buf, self.field_start, delim, &mut lf);
            self.quoted_lf += lf;
            match end {
                FieldEnd::Delim(p) => self.delim(p),
                FieldEnd::Term(p) => return self.term(p),
                FieldEnd::End { quoted: true } if self.eof => {
                    return Err(self.scanner.error(ErrorKind::UnclosedQuote));
                }
                FieldEnd::End { .. } if self.eof => {
                    self.end_row(self.buf.len(), self.buf.len());
                    return Ok(Step::Done);
                }
                FieldEnd::End { .. } => return Ok(Step::Incomplete),
            }
        }
    }
}

/// Appends one rejects line: `line,reason,row` (the caller writes that
/// header once, before the first).
pub(crate) fn write_reject(rejects: &mut Vec<u8>, line: u64, reason: &str, row: &[u8]) {
    rejects.extend_from_slice(line.to_string().as_bytes());
    rejects.push(b',');
    write_csv_field(rejects, reason.as_bytes());
    rejects.push(b',');
    write_csv_field(rejects, row);
    rejects.push(b'\n');
}

/// Appends `value` as one CSV field, quoted when it needs to be.
pub fn write_csv_field(out: &mut Vec<u8>, value: &[u8]) {
    let needs_quotes = value
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        || value.first().is_some_and(|b| b.is_ascii_whitespace())
        || value.last().is_some_and(|b| b.is_ascii_whitespace());
    if !needs_quotes {
        out.extend_from_slice(value);
        return;
    }
    out.push(b'"');
    for &b in value {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_are_found_without_unquoting() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let raw: Vec<u8> = (0..state % 7)
                .map(|i| b"\" \"\ta"[(state >> (8 * i + 8)) as usize % 5])
                .collect();
            assert_eq!(
                is_blank(&raw),
                unquote(&raw).trim_ascii().is_empty(),
                "{:?}",
                String::from_utf8_lossy(&raw)
            );
        }
    }
}
