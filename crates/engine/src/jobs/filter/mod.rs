//! The `filter` job: keep the rows that meet a condition.
//!
//! The condition is either the threshold rule — a numeric field among
//! those considered is strictly greater than the threshold, or, in `all`
//! mode, every numeric field considered is and there is at least one — or
//! a `--where` expression ([`expr`]). The header is written first; a kept
//! row is written byte for byte as it came in, or, with `--select`, as the
//! chosen columns ([`select`]). Rows whose field count differs from the
//! header's are rejected unless the filter is `flexible`.
//!
//! The threshold rule alone runs field by field, stopping at the first
//! field that decides the row; an expression (or a projection) reads the
//! fields it needs from the row instead.

mod columns;
pub mod expr;
mod rule;
mod select;

use crate::error::JobError;
use crate::job::{Flow, Header, Job, Outcome, Row};
use crate::number::Threshold;
use columns::column_index;
use expr::{compile, Cond, OneField, Program};
pub use rule::ThresholdFilter;
use select::Select;

/// Settings of the `filter` job.
#[derive(Clone, Debug)]
pub struct FilterOptions {
    /// Rows need a value strictly greater than this (default 4.7).
    pub threshold: Threshold,
    /// The columns considered, as header names or 1-based indices; empty
    /// means every column.
    pub columns: Vec<String>,
    /// Every numeric value considered must exceed the threshold, and there
    /// must be at least one (default: any one is enough).
    pub all: bool,
    /// Judge rows whose field count differs from the header's like any
    /// other, instead of rejecting them.
    pub flexible: bool,
    /// A `--where` expression; when set, it is the condition and the
    /// threshold, columns and `all` are not used.
    pub expression: Option<String>,
    /// `--select`: the columns written, as header names or 1-based
    /// indices, in order; empty writes rows as they came in.
    pub select: Vec<String>,
    /// The delimiter of the input, which `--select` writes with.
    pub delimiter: u8,
}

impl Default for FilterOptions {
    fn default() -> Self {
        FilterOptions {
            threshold: "4.7".parse().expect("the default threshold parses"),
            columns: Vec::new(),
            all: false,
            flexible: false,
            expression: None,
            select: Vec::new(),
            delimiter: b',',
        }
    }
}

impl FilterOptions {
    /// The `--where` expression that means what the threshold options
    /// mean, over the header's columns: `(value > 4.7 OR x2 > 4.7)`, or
    /// with `all`, also `NOT (value <= 4.7)` for each column.
    pub fn threshold_expression(&self, header: &Header) -> Result<String, JobError> {
        let t = &self.threshold;
        let mut names = Vec::new();
        let indices: Vec<usize> = if self.columns.is_empty() {
            (0..header.names.len()).collect()
        } else {
            let mut found = Vec::new();
            for c in &self.columns {
                found.extend(column_index(c, Some(header), "column")?);
            }
            found.sort_unstable();
            found.dedup();
            found
        };
        for i in indices {
            names.push(format!("_{}", i + 1));
        }
        let any: Vec<String> = names.iter().map(|n| format!("{n} > {t}")).collect();
        let mut text = format!("({})", any.join(" OR "));
        if self.all {
            for n in &names {
                text.push_str(&format!(" AND NOT ({n} <= {t})"));
            }
        }
        Ok(text)
    }
}

/// The `filter` job. See the [module docs](self).
#[derive(Debug)]
pub struct Filter {
    options: FilterOptions,
    /// The threshold rule, judged field by field when no program runs.
    rule: ThresholdFilter,
    /// The compiled condition, when fields are read in the row.
    program: Option<Program>,
    /// For a program over one field and no projection: the field, judged
    /// as it is handed over; `judged` holds the verdict once it has been.
    single: Option<usize>,
    judged: Option<bool>,
    select: Option<Select>,
    scratch: expr::Scratch,
}

impl Filter {
    /// A filter with these options; columns and the expression are checked
    /// against the header when the run begins.
    pub fn new(options: FilterOptions) -> Self {
        Filter {
            rule: ThresholdFilter::new(options.clone()),
            options,
            program: None,
            single: None,
            judged: None,
            select: None,
            scratch: expr::Scratch::default(),
        }
    }

    /// The program for an expression, or for the threshold rule when rows
    /// are projected.
    fn program(&self, header: Option<&Header>) -> Result<Option<Program>, JobError> {
        if let Some(text) = &self.options.expression {
            let parsed = expr::parse(text).map_err(JobError::Where)?;
            return Ok(Some(
                compile(&parsed, text, header).map_err(JobError::Where)?,
            ));
        }
        if self.options.select.is_empty() {
            return Ok(None);
        }
        let fields = self
            .rule
            .considered()
            .map(|c| (0..c.len()).filter(|&i| c[i]).collect::<Vec<_>>());
        let width = fields
            .as_ref()
            .map_or(usize::MAX, |f| f.last().map_or(0, |i| i + 1));
        Ok(Some(Program {
            cond: Cond::Threshold {
                fields,
                all: self.options.all,
                threshold: self.options.threshold.clone(),
            },
            fields: width,
            single: None,
        }))
    }

    /// A field of a run judged on one field.
    #[inline(always)]
    fn single_field(&mut self, single: usize, index: usize, raw: &[u8]) -> Flow {
        if index == 0 {
            self.judged = None;
        }
        if index != single {
            return Flow::Next;
        }
        let program = self.program.as_ref().expect("a program");
        self.judged = Some(match &program.cond {
            // The shape of `value > 4.7`, without the walk of the tree.
            Cond::Number { op, k, .. } if raw.first() != Some(&b'"') => {
                k.compare(raw).is_some_and(|o| op.holds(o))
            }
            cond => {
                let one = OneField {
                    index,
                    raw: Some(raw),
                };
                cond.eval(&one, &mut self.scratch)
            }
        });
        Flow::SkipRow
    }

    /// A row of a run judged on one field: kept as the field was judged,
    /// or, when the row ends before it, as an absent field is.
    #[inline]
    fn row_single(
        &mut self,
        index: usize,
        judged: Option<bool>,
        row: &Row<'_>,
        out: &mut Vec<u8>,
    ) -> Outcome {
        let keep = match judged {
            Some(keep) => keep,
            None => {
                let program = self.program.as_ref().expect("a program");
                let absent = OneField { index, raw: None };
                program.cond.eval(&absent, &mut self.scratch)
            }
        };
        if keep {
            out.extend_from_slice(row.bytes);
            Outcome::Selected
        } else {
            Outcome::Dropped
        }
    }

    /// A row of a run that reads fields in the row.
    #[inline]
    fn row_in_row(&mut self, row: &Row<'_>, out: &mut Vec<u8>) -> Outcome {
        let program = self.program.as_ref().expect("a program");
        if !program.cond.eval(row, &mut self.scratch) {
            return Outcome::Dropped;
        }
        match &mut self.select {
            Some(select) => select.row(row, out),
            None => out.extend_from_slice(row.bytes),
        }
        Outcome::Selected
    }
}

impl Job for Filter {
    fn begin(&mut self, header: Option<&Header>, out: &mut Vec<u8>) -> Result<(), JobError> {
        if self.options.expression.is_none() {
            self.rule.resolve(header)?;
        }
        self.program = self.program(header)?;
        self.single = self.program.as_ref().and_then(|p| p.single);
        if self.options.select.is_empty() {
            if let Some(h) = header {
                out.extend_from_slice(&h.raw);
            }
        } else {
            let (tokens, delimiter) = (&self.options.select, self.options.delimiter);
            self.select = Some(Select::begin(tokens, delimiter, header, out)?);
            self.single = None;
        }
        Ok(())
    }

    fn fields_wanted(&self) -> usize {
        if let Some(i) = self.single {
            return i.saturating_add(1);
        }
        if let Some(p) = &self.program {
            let select = self.select.as_ref().map_or(0, Select::width);
            return p.fields.max(select);
        }
        self.rule.fields_wanted()
    }

    fn fields_in_row(&self) -> bool {
        self.program.is_some() && self.single.is_none()
    }

    #[inline(always)]
    fn field(&mut self, index: usize, raw: &[u8]) -> Flow {
        if let Some(single) = self.single {
            return self.single_field(single, index, raw);
        }
        self.rule.field(index, raw)
    }

    #[inline]
    fn row(&mut self, row: &Row<'_>, out: &mut Vec<u8>) -> Outcome {
        let keep = self.rule.take_keep();
        let judged = self.judged.take();
        if !self.options.flexible {
            if let Some(reason) = row.field_count_problem() {
                return Outcome::Rejected(reason);
            }
        }
        if let Some(index) = self.single {
            return self.row_single(index, judged, row, out);
        }
        if self.program.is_some() {
            return self.row_in_row(row, out);
        }
        if keep {
            out.extend_from_slice(row.bytes);
            Outcome::Selected
        } else {
            Outcome::Dropped
        }
    }
}
