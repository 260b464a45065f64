//! # sluice-engine
//!
//! The sans-I/O core of Sluice: it knows bytes, rows, numbers and jobs, and
//! nothing of files, networks or clouds. The caller feeds it chunks of a
//! CSV input of any size and takes output bytes back, so the same code runs
//! over a Lambda response stream, a local file, stdin or a test slice, in
//! memory bounded by the chunk size and the longest row.
//!
//! - [`Engine`] — feed chunks, take output and rejects, get [`Counts`].
//! - [`Job`] — the trait every job implements; [`Filter`] (with its
//!   `--where` language: [`parse_where`], [`Expr`], [`ExprError`]), [`OrderReports`]
//!   and [`Load`] are jobs. A job takes fields one by one, or reads the
//!   few it needs from the whole [`Row`] ([`Row::field`]).
//! - [`Inspector`] — the `inspect` job's front: sniffs the layout
//!   ([`sniff`]) and returns an [`Inspection`] of what the input holds.
//! - [`Dialect`] — delimiter, header, row-length limit.
//! - [`Threshold`], [`is_numeric`] and [`compare_decimals`] — decimals
//!   compared exactly as written; [`Dec`] — decimals computed with
//!   exactly, as scaled integers.
//! - [`unquote`] and [`write_csv_field`] — RFC 4180 field values.
//!
//! ```
//! use sluice_engine::{Dialect, Engine, Filter, FilterOptions};
//!
//! let options = FilterOptions { columns: vec!["price".into()], ..Default::default() };
//! let mut engine = Engine::new(Dialect::default(), Filter::new(options));
//! engine.feed(b"name,price\n\"Widget, large\",12.5\nBolt,0.25\n").unwrap();
//! let counts = engine.finish().unwrap();
//! assert_eq!(engine.output(), b"name,price\n\"Widget, large\",12.5\n");
//! assert_eq!(counts.selected, 1);
//! ```

mod csv;
mod engine;
mod error;
mod job;
mod jobs;
mod number;

pub use csv::{
    check_text, first_nul, sniff, unquote, write_csv_field, wrong_delimiter, Bom, Counts, Dialect,
    LineEnding, NotText, Sniff, BOM, CANDIDATES, SNIFF_BYTES,
};
pub use engine::Engine;
pub use error::{Error, ErrorKind, JobError};
pub use job::{Flow, Header, Job, Outcome, Reason, Row};
pub use jobs::filter::expr::{
    parse as parse_where, At, Expr, ExprError, Function, Op, Operand, Type,
};
pub use jobs::filter::{Filter, FilterOptions, ThresholdFilter};
pub use jobs::inspect::{
    ColumnFacts, Inspect, InspectOptions, Inspection, Inspector, Problem, MAX_COLUMNS,
};
pub use jobs::load::{
    Item, KeyType, Load, LoadOptions, Value, MAX_ITEM_BYTES, MAX_PARTITION_KEY_BYTES,
    MAX_SORT_KEY_BYTES,
};
pub use jobs::report::{
    OrderReports, ReportOptions, Role, Rollup, DEFAULT_MAX_GROUPS, GROUP_BYTES, REPORT_NAMES,
};
pub use number::{
    compare_decimals, is_numeric, number_identity, numeric_text, write_fixed, Dec, DecError,
    Threshold, ThresholdError, Verdict,
};
