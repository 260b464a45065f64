//! The jobs, one place each: what a job does with the rows the scanner
//! hands it. Each implements [`Job`](crate::Job).

pub mod filter;
pub mod inspect;
pub mod load;
pub mod report;
