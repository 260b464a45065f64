//! CSV as bytes: the SIMD record scanner that splits chunks into rows and
//! fields and drives a job, RFC 4180 field values, and layout sniffing.

mod classify;
mod field;
mod pass;
mod scan;
mod sniff;
mod starts;
mod text;

pub(crate) use field::{is_blank, unquote_into, write_quoted, write_reject};
pub use field::{unquote, write_csv_field, BOM};
pub(crate) use scan::Scanner;
pub use scan::{Counts, Dialect};
pub use sniff::{
    first_nul, sniff, wrong_delimiter, Bom, LineEnding, Sniff, CANDIDATES, SNIFF_BYTES,
};
pub use text::{check_text, NotText};
