//! Integration tests: the `sluice` binary run as a user runs it.

mod cli_filter;
mod util;
