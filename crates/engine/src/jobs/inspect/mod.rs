//! The `inspect` job: what a CSV holds, in one streaming pass.
//!
//! [`Inspector`] is the front: feed it the input in chunks and
//! [`finish`](Inspector::finish) it to get an [`Inspection`] — the layout
//! sniffed from the first 64 KiB (byte-order mark, delimiter, line ending),
//! the header, the row count, how many rows have each field count, and per
//! column the non-empty count, whether every value is a number, and the
//! least and greatest number, compared exactly.
//!
//! Input that is not CSV text — a NUL byte anywhere, a UTF-16 byte-order
//! mark, a header that is not UTF-8, an unclosed quote, a row past the
//! length limit — never fails the run: the inspection says so in
//! [`Inspection::problem`], with the byte offset or line of the first
//! problem, and the facts gathered up to it.
//!
//! ```
//! use sluice_engine::Inspector;
//!
//! let mut inspector = Inspector::new(Default::default());
//! inspector.feed(b"name;price\r\nbolt;0.25\r\n\"nut; small\";-1e1\r\n");
//! let report = inspector.finish();
//! assert_eq!(report.delimiter, b';');
//! assert_eq!(report.rows, 2);
//! assert_eq!(report.columns[1].bounds, Some(("-1e1".into(), "0.25".into())));
//! ```

mod column;

use crate::csv::Dialect;
use crate::csv::{first_nul, sniff, Bom, LineEnding, Sniff, SNIFF_BYTES};
use crate::engine::Engine;
use crate::error::JobError;
use crate::error::{Error, ErrorKind};
use crate::job::{Flow, Header, Job, Outcome, Row};
use column::Column;
use std::collections::BTreeMap;

/// Columns beyond this many get no statistics (their values still count
/// in the field-count histogram); it bounds memory on very wide rows.
pub const MAX_COLUMNS: usize = 4096;

/// How the input is read; the delimiter is sniffed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InspectOptions {
    /// Whether the first row is a header (default true).
    pub has_header: bool,
    /// The longest row accepted, in bytes (default 16 MiB).
    pub max_record_bytes: usize,
}

impl Default for InspectOptions {
    fn default() -> Self {
        let d = Dialect::default();
        InspectOptions {
            has_header: d.has_header,
            max_record_bytes: d.max_record_bytes,
        }
    }
}

/// Why the input is not (all) CSV, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The 0-based byte offset of the first offending byte, when known.
    pub offset: Option<u64>,
    /// The 1-based line, when known.
    pub line: Option<u64>,
    pub message: String,
}

/// The facts of one column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnFacts {
    /// The header's name for it (lossy UTF-8), if there is one.
    pub name: Option<String>,
    /// Values that are not empty.
    pub non_empty: u64,
    /// Every non-empty value is a number, and there is at least one.
    pub numeric: bool,
    /// The least and greatest value as written (quotes and surrounding
    /// spaces removed), for numeric columns.
    pub bounds: Option<(String, String)>,
}

/// What an input holds; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// Bytes read.
    pub bytes: u64,
    pub bom: Option<Bom>,
    pub delimiter: u8,
    pub line_ending: Option<LineEnding>,
    /// Header names (lossy UTF-8); `None` without a header.
    pub header: Option<Vec<String>>,
    /// Data rows (the header and blank lines are not rows).
    pub rows: u64,
    /// `(fields, rows with that many)`, by field count.
    pub field_counts: Vec<(usize, u64)>,
    /// One per column, as many as the widest row (up to [`MAX_COLUMNS`]).
    pub columns: Vec<ColumnFacts>,
    /// Some row is wider than [`MAX_COLUMNS`].
    pub columns_truncated: bool,
    /// The first reason the input is not CSV; `None` when it all is.
    pub problem: Option<Problem>,
}

/// The streaming front of the `inspect` job; see the [module docs](self).
#[derive(Debug)]
pub struct Inspector {
    options: InspectOptions,
    /// The start of the input, held until it is long enough to sniff.
    sample: Vec<u8>,
    sniffed: Option<Sniff>,
    engine: Option<Engine<Inspect>>,
    bytes: u64,
    problem: Option<Problem>,
}

impl Inspector {
    pub fn new(options: InspectOptions) -> Self {
        Inspector {
            options,
            sample: Vec::new(),
            sniffed: None,
            engine: None,
            bytes: 0,
            problem: None,
        }
    }

    /// False once the input is known not to be CSV: the rest need not be
    /// read.
    pub fn wants_more(&self) -> bool {
        self.problem.is_none()
    }

    /// Feeds the next chunk of input.
    pub fn feed(&mut self, chunk: &[u8]) {
        let at = self.bytes;
        self.bytes += chunk.len() as u64;
        if self.problem.is_some() {
            return;
        }
        let chunk = match first_nul(chunk) {
            Some(i) => {
                self.problem = Some(binary(at + i as u64));
                &chunk[..i]
            }
            None => chunk,
        };
        match &mut self.engine {
            Some(engine) => {
                if let Err(e) = engine.feed(chunk) {
                    self.fail(e);
                }
            }
            None => {
                self.sample.extend_from_slice(chunk);
                if self.sample.len() >= SNIFF_BYTES {
                    self.start();
                }
            }
        }
    }

    /// Sniffs the sample, starts the scan and feeds it the sample.
    fn start(&mut self) {
        let sniffed = sniff(&self.sample);
        self.sniffed = Some(sniffed);
        if let Some(bom @ (Bom::Utf16Le | Bom::Utf16Be)) = sniffed.bom {
            self.problem.get_or_insert(Problem {
                offset: Some(0),
                line: None,
                message: format!("{} text (byte-order mark), not UTF-8 CSV", bom.name()),
            });
            return;
        }
        let dialect = Dialect {
            delimiter: sniffed.delimiter,
            has_header: self.options.has_header,
            max_record_bytes: self.options.max_record_bytes,
        };
        let mut engine = Engine::new(dialect, Inspect::default());
        let sample = std::mem::take(&mut self.sample);
        let result = engine.feed(&sample);
        self.engine = Some(engine);
        if let Err(e) = result {
            self.fail(e);
        }
    }

    /// Records a scan error as the problem (the first one stays).
    fn fail(&mut self, e: Error) {
        let offset = match (&e.kind, self.engine.as_ref()) {
            (ErrorKind::Job(_), Some(engine)) => engine.job().header_offset,
            _ => None,
        };
        self.problem.get_or_insert(Problem {
            offset,
            line: e.line,
            message: e.kind_message(),
        });
    }

    /// Ends the input and returns what it holds.
    pub fn finish(mut self) -> Inspection {
        if self.sniffed.is_none() {
            self.start();
        }
        if let (None, Some(engine)) = (&self.problem, &mut self.engine) {
            if let Err(e) = engine.finish() {
                self.fail(e);
            }
        }
        let sniffed = self.sniffed.expect("sniffed above");
        let mut inspection = Inspection {
            bytes: self.bytes,
            bom: sniffed.bom,
            delimiter: sniffed.delimiter,
            line_ending: sniffed.line_ending,
            header: None,
            rows: 0,
            field_counts: Vec::new(),
            columns: Vec::new(),
            columns_truncated: false,
            problem: self.problem,
        };
        if let Some(engine) = &self.engine {
            inspection.rows = engine.counts().rows;
            engine.job().report(&mut inspection);
        }
        inspection
    }
}

fn binary(offset: u64) -> Problem {
    Problem {
        offset: Some(offset),
        line: None,
        message: "a NUL byte: binary data, not CSV text".into(),
    }
}

impl Error {
    /// The message without the line.
    fn kind_message(&self) -> String {
        Error {
            line: None,
            kind: self.kind.clone(),
        }
        .to_string()
    }
}

/// The job the [`Inspector`] runs over the scanner.
#[derive(Debug, Default)]
pub struct Inspect {
    columns: Vec<Column>,
    /// The number of the current row (rows ended so far).
    row: u64,
    /// Rows per field count: small counts indexed, large ones in the map.
    counts: Vec<u64>,
    wide_counts: BTreeMap<usize, u64>,
    columns_truncated: bool,
    header: Option<Vec<String>>,
    /// Where the header stops being UTF-8, if it does.
    header_offset: Option<u64>,
}

impl Inspect {
    fn report(&self, into: &mut Inspection) {
        into.header = self.header.clone();
        into.columns_truncated = self.columns_truncated;
        let small = self.counts.iter().enumerate().filter(|(_, &n)| n > 0);
        into.field_counts = small.map(|(f, &n)| (f, n)).collect();
        into.field_counts
            .extend(self.wide_counts.iter().map(|(&f, &n)| (f, n)));
        let names = self.header.as_deref().unwrap_or_default();
        let width = self.columns.len().max(names.len().min(MAX_COLUMNS));
        // Rows that reach column i: those with more than i fields.
        let mut reaching = vec![0u64; width + 1];
        for &(fields, rows) in &into.field_counts {
            reaching[fields.min(width)] += rows;
        }
        for i in (0..width).rev() {
            reaching[i] += reaching[i + 1];
        }
        into.columns = (0..width)
            .map(|i| {
                let c = self.columns.get(i).cloned().unwrap_or_default();
                let non_empty = reaching[i + 1] - c.empty;
                let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                ColumnFacts {
                    name: names.get(i).cloned(),
                    non_empty,
                    numeric: c.numeric && non_empty > 0,
                    bounds: c.bounds().map(|(lo, hi)| (text(lo), text(hi))),
                }
            })
            .collect();
    }

    #[inline(never)]
    fn widen(&mut self, index: usize) -> Option<&mut Column> {
        if index >= MAX_COLUMNS {
            self.columns_truncated = true;
            return None;
        }
        self.columns.resize_with(index + 1, Column::default);
        self.columns.last_mut()
    }

    #[inline(always)]
    fn count_row(&mut self, fields: usize) {
        match self.counts.get_mut(fields) {
            Some(n) => *n += 1,
            None if fields < MAX_COLUMNS => {
                self.counts.resize(fields + 1, 0);
                self.counts[fields] = 1;
            }
            None => *self.wide_counts.entry(fields).or_default() += 1,
        }
    }
}

impl Job for Inspect {
    fn begin(&mut self, header: Option<&Header>, _: &mut Vec<u8>) -> Result<(), JobError> {
        let Some(h) = header else {
            return Ok(());
        };
        let names = h.names.iter();
        self.header = Some(
            names
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect(),
        );
        // The raw header starts at the first byte of the input.
        if let Err(e) = std::str::from_utf8(&h.raw) {
            self.header_offset = Some(e.valid_up_to() as u64);
            return Err(JobError::BadHeader {
                offset: Some(e.valid_up_to() as u64),
                message: format!("the header is not UTF-8 text (byte {})", e.valid_up_to()),
            });
        }
        Ok(())
    }

    /// Fields are final once handed over (each ends at a delimiter), but
    /// the scanner hands a row's fields again from 0 when the row runs
    /// past a chunk. Taking a value twice changes no column fact (see
    /// [`Column::add`]), so the statistics need no per-row buffer, and
    /// rows are counted in [`Job::row`], once.
    #[inline(always)]
    fn field(&mut self, index: usize, raw: &[u8]) -> Flow {
        let row = self.row;
        match self.columns.get_mut(index) {
            Some(c) => c.add(raw, row),
            None => {
                if let Some(c) = self.widen(index) {
                    c.add(raw, row);
                }
            }
        }
        Flow::Next
    }

    #[inline(always)]
    fn row(&mut self, row: &Row<'_>, _: &mut Vec<u8>) -> Outcome {
        self.row += 1;
        self.count_row(row.fields);
        Outcome::Selected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspect(input: &[u8]) -> Inspection {
        let mut i = Inspector::new(InspectOptions::default());
        i.feed(input);
        i.finish()
    }

    fn bounds(lo: &str, hi: &str) -> Option<(String, String)> {
        Some((lo.into(), hi.into()))
    }

    #[test]
    fn each_delimiter_is_sniffed_and_used() {
        for d in ['|', '\t', ';', ','] {
            let text = format!("a{d}b\n\"x{d}y\"{d}2\n");
            let r = inspect(text.as_bytes());
            assert_eq!(r.delimiter, d as u8);
            assert_eq!(r.header, Some(vec!["a".into(), "b".into()]), "{d:?}");
            assert_eq!(r.field_counts, [(2, 1)], "{d:?}");
            assert_eq!(r.columns[1].bounds, bounds("2", "2"));
        }
    }

    #[test]
    fn crlf_cr_and_the_byte_order_mark() {
        let r = inspect(b"\xEF\xBB\xBFid,v\r\n1,2\r\n3,4\r\n");
        assert_eq!(r.bom, Some(Bom::Utf8));
        assert_eq!(r.line_ending, Some(LineEnding::CrLf));
        assert_eq!(
            r.header.as_ref().unwrap()[0],
            "id",
            "the mark is not in the name"
        );
        assert_eq!(r.rows, 2);
        let r = inspect(b"id,v\r1,2\r3,4");
        assert_eq!((r.line_ending, r.rows), (Some(LineEnding::Cr), 2));
        assert_eq!(r.columns[0].bounds, bounds("1", "3"));
    }

    #[test]
    fn ragged_rows_make_a_histogram() {
        let r = inspect(b"a,b,c\n1,2,3\n1,2\n1,2,3,4\n\n1,2,3\n");
        assert_eq!(r.rows, 4, "the blank line is not a row");
        assert_eq!(r.field_counts, [(2, 1), (3, 2), (4, 1)]);
        assert_eq!(r.columns.len(), 4);
        assert_eq!(r.columns[3].name, None);
        assert_eq!((r.columns[2].non_empty, r.columns[3].non_empty), (3, 1));
    }

    #[test]
    fn quoted_delimiters_and_line_breaks_are_data() {
        let r = inspect(b"k,note\n1,\"a, b\nc\"\n2,\"say \"\"hi\"\"\"\n3,\n");
        assert_eq!(r.rows, 3);
        assert_eq!(r.field_counts, [(2, 3)]);
        assert_eq!(r.columns[1].non_empty, 2);
        assert!(!r.columns[1].numeric);
        assert_eq!(r.columns[1].bounds, None);
        assert_eq!(r.problem, None);
    }

    #[test]
    fn numeric_columns_get_exact_bounds() {
        let r = inspect(b"a,b,c,d\n-3,1.50,1e2,x\n10,-0.25,-2E-3,4\n,1.5,,5\n");
        let facts: Vec<_> = r
            .columns
            .iter()
            .map(|c| (c.non_empty, c.numeric, c.bounds.clone()))
            .collect();
        assert_eq!(
            facts,
            [
                (2, true, bounds("-3", "10")),
                (3, true, bounds("-0.25", "1.50")),
                (2, true, bounds("-2E-3", "1e2")),
                (3, false, None),
            ]
        );
    }

    #[test]
    fn binary_input_is_reported_with_its_offset() {
        let mut bytes = b"a,b\n1,2\n".to_vec();
        bytes.extend_from_slice(b"\x89PNG\0\x01\x02");
        let r = inspect(&bytes);
        let p = r.problem.unwrap();
        assert_eq!(p.offset, Some(12));
        assert!(p.message.contains("binary"), "{}", p.message);
        // A NUL in a later chunk, after the sniffed sample.
        let mut i = Inspector::new(InspectOptions::default());
        let mut big = b"a,b\n".to_vec();
        big.resize(SNIFF_BYTES + 100, b'1');
        i.feed(&big);
        assert!(i.wants_more());
        i.feed(b"12\n3\x004");
        assert!(!i.wants_more());
        assert_eq!(
            i.finish().problem.unwrap().offset,
            Some(big.len() as u64 + 4)
        );
    }

    #[test]
    fn an_invalid_utf8_header_is_reported_with_its_offset() {
        let r = inspect(b"\xEF\xBB\xBFname,pr\xE9is\n1,2\n");
        let p = r.problem.unwrap();
        assert_eq!((p.offset, p.line), (Some(10), Some(1)));
        assert!(p.message.contains("not UTF-8"), "{}", p.message);
        // Latin-1 data rows are not the header's problem.
        assert_eq!(inspect(b"name\ncaf\xE9\n").problem, None);
    }

    #[test]
    fn utf16_and_unclosed_quotes_are_problems_not_crashes() {
        let r = inspect(b"\xFF\xFEa\0,\0b\0");
        assert_eq!(r.problem.unwrap().offset, Some(3), "the first NUL");
        let r = inspect(b"\xFF\xFEab");
        assert!(r.problem.unwrap().message.contains("utf-16le"));
        let r = inspect(b"a,b\n1,\"open\n2,3\n");
        let p = r.problem.unwrap();
        assert_eq!(p.line, Some(2));
        assert!(p.message.contains("never closed"), "{}", p.message);
    }

    #[test]
    fn empty_and_header_only_inputs() {
        let r = inspect(b"");
        assert_eq!(
            (r.rows, r.header.clone(), r.problem.clone()),
            (0, None, None)
        );
        let r = inspect(b"a,b\n");
        assert_eq!(r.rows, 0);
        assert_eq!(r.columns.len(), 2);
        assert!(!r.columns[0].numeric);
    }

    #[test]
    fn no_header_makes_the_first_row_data() {
        let mut i = Inspector::new(InspectOptions {
            has_header: false,
            ..Default::default()
        });
        i.feed(b"1,2\n3,4\n");
        let r = i.finish();
        assert_eq!((r.header, r.rows), (None, 2));
        assert_eq!(r.columns[0].bounds, bounds("1", "3"));
    }

    #[test]
    fn any_chunking_gives_the_same_inspection() {
        let mut input = b"id;v;name\n".to_vec();
        for i in 0..400u32 {
            // Every fifth value empty: counted once, whatever the split.
            let v = match i % 5 {
                0 => String::new(),
                _ => format!("{}.{}", i % 13, i % 10),
            };
            let line = format!("{i};{v};\"n;{}\n\"\"x\"\"\"\r\n", i % 7);
            input.extend_from_slice(line.as_bytes());
        }
        input.extend_from_slice(b"1;2\n");
        let whole = inspect(&input);
        assert_eq!(whole.rows, 401);
        assert_eq!(whole.columns[1].bounds, bounds("0.1", "12.9"));
        assert_eq!(whole.columns[1].non_empty, 321);
        for size in [1, 7, 4096] {
            let mut i = Inspector::new(InspectOptions::default());
            for chunk in input.chunks(size) {
                i.feed(chunk);
            }
            assert_eq!(i.finish(), whole, "chunks of {size}");
        }
        // The job under the engine, rows split across chunks at every
        // byte: fields handed again must not be counted twice.
        let dialect = Dialect {
            delimiter: b';',
            ..Dialect::default()
        };
        let input = &input[..590]; // ends in "30;;": a row of three fields
        let report = |splits: &[usize]| {
            let mut engine = Engine::new(dialect.clone(), Inspect::default());
            let mut from = 0;
            for &at in splits.iter().chain([&input.len()]) {
                engine.feed(&input[from..at]).unwrap();
                from = at;
            }
            engine.finish().unwrap();
            let mut r = inspect(b"");
            engine.job().report(&mut r);
            r
        };
        let once = report(&[]);
        assert_eq!(once.columns[0].non_empty, 31);
        assert_eq!(once.columns[1].non_empty, 24);
        for at in 0..input.len() {
            assert_eq!(report(&[at]), once, "split at {at}");
        }
    }
}
