//! Exact decimals: numbers compared as written ([`decimal`]), computed
//! with as scaled integers ([`fixed`]), and written as DynamoDB takes them
//! ([`dynamo`]). No floating point anywhere.

mod compare;
mod decimal;
mod dynamo;
mod fixed;
mod pow10;

pub(crate) use compare::{Constant, Exact};
pub use decimal::{compare_decimals, is_numeric, numeric_text, Threshold, ThresholdError, Verdict};
pub use dynamo::number_identity;
pub(crate) use dynamo::write_dynamo_number;
pub(crate) use fixed::parse_plain;
pub use fixed::{write_fixed, Dec, DecError};
pub(crate) use pow10::{pow10, POW10_I64};
