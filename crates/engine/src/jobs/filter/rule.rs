//! The threshold rule as a job of its own: a row is kept when a numeric
//! field among those considered is strictly greater than the threshold
//! (or, in `all` mode, every numeric one is, and there is one), judged
//! field by field, stopping at the first field that decides the row.
//!
//! [`Filter`](super::Filter) runs this rule too, beside `--where` and
//! `--select`; a run without those takes this job directly, so the most
//! common filter pays nothing per field for the expression machinery.

use super::columns::column_index;
use super::FilterOptions;
use crate::error::JobError;
use crate::job::{Flow, Header, Job, Outcome, Row};
use crate::number::Verdict;

/// The threshold rule. See the [module docs](self).
#[derive(Debug)]
pub struct ThresholdFilter {
    options: FilterOptions,
    /// Per 0-based column, whether it is considered; `None` for all.
    considered: Option<Vec<bool>>,
    /// Per-row state: a value above, a numeric value not above.
    above: bool,
    not_above: bool,
}

impl ThresholdFilter {
    /// The rule of these options (their expression and projection are
    /// [`Filter`](super::Filter)'s, not this job's).
    pub fn new(options: FilterOptions) -> Self {
        ThresholdFilter {
            options,
            considered: None,
            above: false,
            not_above: false,
        }
    }

    /// Finds the considered columns in the header.
    pub(super) fn resolve(&mut self, header: Option<&Header>) -> Result<(), JobError> {
        if self.options.columns.is_empty() {
            return Ok(());
        }
        let mut considered = Vec::new();
        for token in &self.options.columns {
            let Some(index) = column_index(token, header, "column")? else {
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

    /// Per column, whether it is considered; `None` for all.
    pub(super) fn considered(&self) -> Option<&Vec<bool>> {
        self.considered.as_ref()
    }

    #[inline]
    fn is_considered(&self, index: usize) -> bool {
        match &self.considered {
            None => true,
            Some(c) => c.get(index).copied().unwrap_or(false),
        }
    }

    /// Whether the row just judged is kept; readies the next row.
    #[inline]
    pub(super) fn take_keep(&mut self) -> bool {
        let keep = self.above && !self.not_above;
        self.above = false;
        self.not_above = false;
        keep
    }
}

impl Job for ThresholdFilter {
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
        let keep = self.take_keep();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::filter::Filter;
    use crate::{Dialect, Engine};

    fn run<J: Job>(job: J, csv: &[u8]) -> (Vec<u8>, Vec<u8>, crate::Counts) {
        let mut engine = Engine::new(Dialect::default(), job);
        engine.feed(csv).unwrap();
        let counts = engine.finish().unwrap();
        (engine.output().to_vec(), engine.rejects().to_vec(), counts)
    }

    /// The rule run alone gives what `Filter` gives with the same options:
    /// every mode, over ragged rows, quotes and non-numbers.
    #[test]
    fn the_rule_alone_is_the_filter_without_an_expression() {
        let mut csv = b"a,b,c\n".to_vec();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let cells = ["5", "4.7", "4.71", "\"9\"", "x", "", "-3", "1e1"];
            let n = 2 + (state % 3) as usize;
            let row: Vec<&str> = (0..n)
                .map(|i| cells[((state >> (8 * i)) % 8) as usize])
                .collect();
            csv.extend_from_slice(row.join(",").as_bytes());
            csv.push(b'\n');
        }
        for (columns, all, flexible) in [
            (vec![], false, false),
            (vec![], true, false),
            (vec!["b".to_string()], false, true),
            (vec!["c".to_string(), "1".to_string()], true, true),
        ] {
            let options = FilterOptions {
                columns,
                all,
                flexible,
                ..FilterOptions::default()
            };
            let alone = run(ThresholdFilter::new(options.clone()), &csv);
            assert_eq!(
                alone,
                run(Filter::new(options.clone()), &csv),
                "{options:?}"
            );
            assert!(alone.2.selected > 0 && alone.2.dropped > 0, "{options:?}");
        }
    }
}
