//! # sluice-engine
//!
//! The sans-I/O core of Sluice: it knows bytes, rows, numbers and jobs, and
//! nothing of files, networks or clouds. The caller feeds it chunks of a
//! CSV input of any size and takes output bytes back, so the same code runs
//! over a Lambda response stream, a local file, stdin or a test slice, in
//! memory bounded by the chunk size and the longest row.
//!
//! - [`Engine`] — feed chunks, take output and rejects, get [`Counts`].
//! - [`Job`] — the trait every job implements; [`Filter`], [`OrderReports`]
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

mod classify;
mod column;
mod decimal;
mod engine;
mod filter;
mod fixed;
mod inspect;
mod job;
mod load;
mod report;
mod scan;
mod sniff;

pub use decimal::{
    compare_decimals, is_numeric, number_identity, numeric_text, Threshold, ThresholdError, Verdict,
};
pub use engine::Engine;
pub use filter::{Filter, FilterOptions};
pub use fixed::{write_fixed, Dec, DecError};
pub use inspect::{
    ColumnFacts, Inspect, InspectOptions, Inspection, Inspector, Problem, MAX_COLUMNS,
};
pub use job::{Flow, Header, Job, Outcome, Reason, Row};
pub use load::{
    Item, KeyType, Load, LoadOptions, Value, MAX_ITEM_BYTES, MAX_PARTITION_KEY_BYTES,
    MAX_SORT_KEY_BYTES,
};
pub use report::{OrderReports, ReportOptions, Role, REPORT_NAMES};
pub use scan::{unquote, write_csv_field, Counts, Dialect, Error, ErrorKind, BOM};
pub use sniff::{first_nul, sniff, Bom, LineEnding, Sniff, CANDIDATES, SNIFF_BYTES};
