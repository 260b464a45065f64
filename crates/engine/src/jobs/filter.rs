//! The `filter` job: keep the rows whose numbers exceed a threshold.
//!
//! The header is written first; a row is written, byte for byte as it came
//! in, when any numeric field among those considered is strictly greater
//! than the threshold — or, in `all` mode, when every numeric field
//! considered is and there is at least one. Rows whose field count differs
//! from the header's are rejected unless the filter is `flexible`.

use crate::error::JobError;
use crate::job::{Flow, Header, Job, Outcome, Row};
use crate::number::{Threshold, Verdict};

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
}

impl Default for FilterOptions {
    fn default() -> Self {
        FilterOptions {
            threshold: "4.7".parse().expect("the default threshold parses"),
            columns: Vec::new(),
            all: false,
            flexible: false,
        }
    }
}

/// The `filter` job. See the [module docs](self).
#[derive(Debug)]
pub struct Filter {
    options: FilterOptions,
    /// Per 0-based column, whether it is considered; `None` for all.
    considered: Option<Vec<bool>>,
    /// Per-row state: a value above, a numeric value not above.
    above: bool,
    not_above: bool,
}

impl Filter {
    /// A filter with these options; columns are resolved against the
    /// header when the run begins.
    pub fn new(options: FilterOptions) -> Self {
        Filter {
            options,
            considered: None,
            above: false,
            not_above: false,
        }
    }

    fn resolve(&mut self, header: Option<&Header>) -> Result<(), JobError> {
        if self.options.columns.is_empty() {
            return Ok(());
        }
        let mut considered = Vec::new();
        for token in &self.options.columns {
            let Some(index) = column_index(token, header)? else {
                continue;
            };
            if considered.len() <= index {
                considered.resize(index + 1, false);
            }
            considered[index] = true;
        }
        self.considered = Some(considered);
        Ok(())
    }

    #[inline]
    fn is_considered(&self, index: usize) -> bool {
        match &self.considered {
            None => true,
            Some(c) => c.get(index).copied().unwrap_or(false),
        }
    }
}

/// Resolves a `--columns` token: a header name first, then a 1-based
/// index. `None` for a name when there is no header (an empty input).
fn column_index(token: &str, header: Option<&Header>) -> Result<Option<usize>, JobError> {
    if let Some(i) = header.and_then(|h| h.position(token)) {
        return Ok(Some(i));
    }
    match token.parse::<usize>() {
        Ok(0) => Err(JobError::BadIndex(token.to_string())),
        Ok(n) => Ok(Some(n - 1)),
        Err(_) => match header {
            None => Ok(None),
            Some(h) => Err(missing_column(token, h)),
        },
    }
}

fn missing_column(token: &str, header: &Header) -> JobError {
    let note = header
        .names
        .iter()
        .enumerate()
        .find_map(|(i, n)| Some((i, std::str::from_utf8(n).err()?)))
        .map(|(i, bad)| {
            format!(
                "header field {} is not valid UTF-8 at byte {} of the name",
                i + 1,
                bad.valid_up_to()
            )
        });
    JobError::MissingColumn {
        role: "column".into(),
        column: token.to_string(),
        header: header.listing(),
        note,
    }
}

impl Job for Filter {
    fn begin(&mut self, header: Option<&Header>, out: &mut Vec<u8>) -> Result<(), JobError> {
        self.resolve(header)?;
        if let Some(h) = header {
            out.extend_from_slice(&h.raw);
        }
        Ok(())
    }

    fn fields_wanted(&self) -> usize {
        match &self.considered {
            None => usize::MAX,
            Some(c) => c.len(),
        }
    }

    #[inline(always)]
    fn field(&mut self, index: usize, raw: &[u8]) -> Flow {
        if index == 0 {
            self.above = false;
            self.not_above = false;
        }
        if !self.is_considered(index) {
            return Flow::Next;
        }
        match (self.options.threshold.judge(raw), self.options.all) {
            (Verdict::Above, false) => {
                self.above = true;
                Flow::SkipRow
            }
            (Verdict::NotAbove, true) => {
                self.not_above = true;
                Flow::SkipRow
            }
            (Verdict::Above, true) => {
                self.above = true;
                Flow::Next
            }
            _ => Flow::Next,
        }
    }

    #[inline]
    fn row(&mut self, row: &Row<'_>, out: &mut Vec<u8>) -> Outcome {
        let keep = self.above && !self.not_above;
        self.above = false;
        self.not_above = false;
        if !self.options.flexible {
            if let Some(reason) = row.field_count_problem() {
                return Outcome::Rejected(reason);
            }
        }
        if keep {
            out.extend_from_slice(row.bytes);
            Outcome::Selected
        } else {
            Outcome::Dropped
        }
    }
}
