//! The command line: what each subcommand takes.

use clap::{Args, Parser, Subcommand};
use sluice_engine::{Dialect, FilterOptions};

/// Event-driven CSV processing for object storage.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Keep the rows whose numeric values exceed a threshold, byte for byte.
    Filter(FilterArgs),
}

/// How the input CSV is laid out.
#[derive(Debug, Args)]
pub struct CsvArgs {
    /// The first row is data, not a header.
    #[arg(long)]
    pub no_header: bool,
    /// Field delimiter: one character, or `tab`.
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,
    /// Longest row accepted, in bytes (guards against a quote never closed).
    #[arg(long, default_value_t = 16 << 20)]
    pub max_record_bytes: usize,
}

impl CsvArgs {
    pub fn dialect(&self) -> Dialect {
        Dialect {
            delimiter: self.delimiter,
            has_header: !self.no_header,
            max_record_bytes: self.max_record_bytes,
        }
    }
}

/// Parses a delimiter argument.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    let byte = match s {
        "tab" | "\\t" | "\t" => b'\t',
        _ if s.len() == 1 => s.as_bytes()[0],
        _ => {
            return Err(format!(
                "{s:?} is not a single-byte delimiter (use e.g. , ; | tab)"
            ))
        }
    };
    if matches!(byte, b'"' | b'\n' | b'\r') {
        return Err(format!("{s:?} cannot be a delimiter"));
    }
    Ok(byte)
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Input: a path, `-` for stdin (the default), or s3://bucket/key.
    pub input: Option<String>,
    /// Output: a path, `-` for stdout (the default), or s3://bucket/key.
    #[arg(short, long)]
    pub output: Option<String>,
    /// A row is kept when a numeric value is strictly greater than this.
    #[arg(long, default_value = "4.7", allow_hyphen_values = true)]
    pub threshold: String,
    /// Only consider these columns: header names or 1-based indices, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Every numeric value considered must exceed the threshold (at least one must exist).
    #[arg(long)]
    pub all: bool,
    /// Judge rows with a different field count than the header instead of rejecting them.
    #[arg(long)]
    pub flexible: bool,
    /// Write rejected rows here as CSV (line,reason,row).
    #[arg(long)]
    pub rejects: Option<String>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
}

impl FilterArgs {
    /// The job's options; a bad threshold or column list is an error.
    pub fn options(&self) -> anyhow::Result<FilterOptions> {
        if self.csv.no_header {
            if let Some(name) = self.columns.iter().find(|c| c.parse::<usize>().is_err()) {
                anyhow::bail!("--columns {name:?}: without a header, columns are 1-based indices");
            }
        }
        Ok(FilterOptions {
            threshold: self.threshold.parse()?,
            columns: self.columns.iter().map(|c| c.trim().to_string()).collect(),
            all: self.all,
            flexible: self.flexible,
        })
    }
}
