//! One pass of the scanner over a buffer: the block walks that find rows
//! and fields, and the byte-at-a-time path for rows the bitmasks misread.

use super::classify::{classify, classify_tail, prefix_xor, BLOCK};
use super::field::{scan_field, write_reject, FieldEnd};
use super::scan::{below, line_end, Scanner};
use super::starts::Starts;
use crate::error::{Error, ErrorKind};
use crate::job::{Flow, Job, Outcome, Row};

/// The result of reaching a line ending.
pub(super) enum Step {
    Done,
    /// The row may continue past the buffer: stop here.
    Incomplete,
}

/// One pass over a buffer: the current row's state and where output goes.
pub(super) struct Pass<'a, J: Job> {
    pub(super) buf: &'a [u8],
    pub(super) eof: bool,
    pub(super) scanner: &'a mut Scanner,
    pub(super) job: &'a mut J,
    pub(super) out: &'a mut Vec<u8>,
    pub(super) rejects: &'a mut Vec<u8>,
    pub(super) wanted: usize,
    pub(super) row_start: usize,
    pub(super) field_start: usize,
    /// Delimiters seen (and so fields handed over) while not skipping.
    pub(super) field: usize,
    /// Delimiters passed over while skipping.
    pub(super) skipped_delims: usize,
    pub(super) skipping: bool,
    /// Line feeds inside quotes in the current row.
    pub(super) quoted_lf: u64,
    /// The job reads fields in the row ([`Job::fields_in_row`]).
    pub(super) in_row: bool,
    /// The current row's field starts when `in_row`.
    pub(super) starts: Starts,
}

impl<J: Job> Pass<'_, J> {
    pub(super) fn run(&mut self) -> Result<usize, Error> {
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
