//! The options every door shares: how the input CSV is laid out, how
//! results are compressed, and each job's own options, with their
//! `SLUICE_*` environment variables.

use crate::jobs::{load::LoadSpec, JobKind, JobSpec};
use crate::pipeline::decode::Compression;
use clap::Args;
use sluice_engine::{Dialect, FilterOptions, ReportOptions, Role, DEFAULT_MAX_GROUPS, GROUP_BYTES};

/// How the input CSV is laid out.
#[derive(Debug, Args)]
pub struct CsvArgs {
    /// The first row is data, not a header.
    #[arg(long, env = "SLUICE_NO_HEADER")]
    pub no_header: bool,
    /// Field delimiter: one character, `tab`, or `auto` (sniffed from the input's start).
    #[arg(long, env = "SLUICE_DELIMITER", default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: Delimiter,
    /// Longest row accepted, in bytes (guards memory against a quote never closed).
    #[arg(long, env = "SLUICE_MAX_RECORD_BYTES", default_value_t = 16 << 20)]
    pub max_record_bytes: usize,
}

/// A delimiter as given: one byte, or sniffed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delimiter {
    Byte(u8),
    Auto,
}

impl CsvArgs {
    /// The job spec for a job of `kind` over input laid out as these say.
    pub fn spec(&self, kind: JobKind) -> JobSpec {
        let (delimiter, auto) = match self.delimiter {
            Delimiter::Byte(b) => (b, false),
            Delimiter::Auto => (b',', true),
        };
        JobSpec {
            dialect: Dialect {
                delimiter,
                has_header: !self.no_header,
                max_record_bytes: self.max_record_bytes,
            },
            auto_delimiter: auto,
            kind,
        }
    }
}

/// Parses a delimiter argument.
pub fn parse_delimiter(s: &str) -> Result<Delimiter, String> {
    let byte = match s {
        "auto" => return Ok(Delimiter::Auto),
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
    Ok(Delimiter::Byte(byte))
}

/// How results are compressed.
#[derive(Debug, Args)]
pub struct CompressArgs {
    /// Compress results: none, gzip, zstd or bzip2. By default a result named after its
    /// input (watch, events) is compressed as the input is, and a named one as its
    /// extension says (`.gz`, `.zst`, `.bz2`).
    #[arg(long, env = "SLUICE_COMPRESS", value_parser = parse_compress, value_name = "KIND")]
    pub compress: Option<Compress>,
}

/// A `--compress` choice: a compression, or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compress(pub Option<Compression>);

fn parse_compress(s: &str) -> Result<Compress, String> {
    Compression::parse(s).map(Compress)
}

impl CompressArgs {
    /// The plan's choice: `None` when not given.
    pub fn choice(&self) -> Option<Option<Compression>> {
        self.compress.map(|c| c.0)
    }
}

/// Options of the filter job.
#[derive(Debug, Args)]
pub struct FilterOpts {
    /// A row is kept when a numeric value is strictly greater than this.
    #[arg(
        long,
        env = "SLUICE_THRESHOLD",
        default_value = "4.7",
        allow_hyphen_values = true
    )]
    pub threshold: String,
    /// Only consider these columns: header names or 1-based indices, comma-separated.
    #[arg(long, env = "SLUICE_COLUMNS", value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Every numeric value considered must exceed the threshold (at least one must exist).
    #[arg(long, env = "SLUICE_ALL")]
    pub all: bool,
    /// Judge rows with a different field count than the header instead of rejecting them.
    #[arg(long, env = "SLUICE_FLEXIBLE")]
    pub flexible: bool,
    /// Keep the rows this S3 Select-style condition holds for, e.g.
    /// `region = 'West' AND amount > 100` (instead of --threshold/--columns/--all).
    #[arg(
        long = "where",
        env = "SLUICE_WHERE",
        value_name = "EXPR",
        conflicts_with_all = ["threshold", "columns", "all"]
    )]
    pub expression: Option<String>,
    /// Write only these columns, in this order: header names or 1-based indices, comma-separated.
    #[arg(
        long,
        env = "SLUICE_SELECT",
        value_delimiter = ',',
        value_name = "COLS"
    )]
    pub select: Vec<String>,
}

/// A list of columns as given (names or 1-based indices), blanks left
/// out; without a header only indices can name a column.
fn column_list(flag: &str, list: &[String], no_header: bool) -> anyhow::Result<Vec<String>> {
    let columns: Vec<String> = list
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(name) = columns
        .iter()
        .find(|c| no_header && c.parse::<usize>().is_err())
    {
        anyhow::bail!("{flag} {name:?}: without a header, columns are 1-based indices");
    }
    Ok(columns)
}

impl FilterOpts {
    /// The job's options; a bad threshold or column list is an error.
    pub fn options(&self, csv: &CsvArgs) -> anyhow::Result<FilterOptions> {
        let columns = column_list("--columns", &self.columns, csv.no_header)?;
        let select = column_list("--select", &self.select, csv.no_header)?;
        let expression = self.expression.as_deref().filter(|e| !e.trim().is_empty());
        if let Some(text) = expression {
            // Parse errors surface now, before any input is opened.
            let parsed = sluice_engine::parse_where(text)?;
            if let Some(name) = parsed.column_names().first().filter(|_| csv.no_header) {
                anyhow::bail!("--where {name:?}: without a header, columns are _1, _2, …");
            }
        }
        Ok(FilterOptions {
            threshold: self.threshold.parse()?,
            columns,
            all: self.all,
            flexible: self.flexible,
            expression: expression.map(str::to_string),
            select,
            // Set again from the input when the delimiter is sniffed.
            delimiter: match csv.delimiter {
                Delimiter::Byte(b) => b,
                Delimiter::Auto => b',',
            },
        })
    }
}

/// Options of the load job.
#[derive(Debug, Args)]
pub struct LoadOpts {
    /// The DynamoDB table the rows are written to (required by the load job).
    #[arg(long, env = "SLUICE_TABLE")]
    pub table: Option<String>,
    /// The partition key column; it must be the table's partition key attribute.
    #[arg(long, env = "SLUICE_KEY", default_value = "customer_id")]
    pub key: String,
    /// The sort key column, when the table has a sort key.
    #[arg(long, env = "SLUICE_SORT_KEY")]
    pub sort_key: Option<String>,
    /// Keep every non-key value a string (S): no number or boolean inference.
    #[arg(long, env = "SLUICE_STRINGS")]
    pub strings: bool,
    /// Replace whole items (BatchWriteItem, 25 per request) instead of merging the file's columns into them (UpdateItem).
    #[arg(long, env = "SLUICE_REPLACE")]
    pub replace: bool,
}

impl LoadOpts {
    /// The job's options; the table is required and the input needs a header.
    pub fn spec(&self, csv: &CsvArgs, dry_run: bool) -> anyhow::Result<LoadSpec> {
        let table = self.table.as_deref().map(str::trim).unwrap_or_default();
        anyhow::ensure!(
            !table.is_empty(),
            "the load job needs a table: --table NAME or SLUICE_TABLE"
        );
        anyhow::ensure!(
            !csv.no_header,
            "the load job needs a header row: it names the attributes and the key column"
        );
        let key = self.key.trim();
        anyhow::ensure!(!key.is_empty(), "--key / SLUICE_KEY is empty");
        let sort_key = self
            .sort_key
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        anyhow::ensure!(
            sort_key != Some(key),
            "--sort-key names the partition key column {key:?}"
        );
        Ok(LoadSpec {
            table: table.to_string(),
            key: key.to_string(),
            sort_key: sort_key.map(str::to_string),
            strings: self.strings,
            replace: self.replace,
            dry_run,
        })
    }
}

/// Options of the report job.
#[derive(Debug, Args)]
pub struct ReportOpts {
    /// A column other than the default for a role: ROLE=NAME, comma-separated. Roles (defaults):
    /// region (Region), category (Category), sub_category (Sub Category), ship_mode (Ship Mode),
    /// cost_price (cost price), list_price (List Price), quantity (Quantity), discount_percent
    /// (Discount Percent). Names match ignoring case, surrounding spaces, and `_`/`-` vs space.
    #[arg(
        long = "column",
        env = "SLUICE_REPORT_COLUMNS",
        value_delimiter = ',',
        value_name = "ROLE=NAME"
    )]
    pub report_columns: Vec<String>,
    /// Ship-mode values meaning "no ship mode", comma-separated (matched ignoring case and
    /// surrounding spaces; an empty value always means none).
    #[arg(
        long,
        env = "SLUICE_MISSING_VALUES",
        value_delimiter = ',',
        default_value = "Not Available"
    )]
    pub missing: Vec<String>,
    /// The most distinct (region, category, sub-category, ship mode) keys a run may hold, about
    /// 200 bytes of memory each; a run that meets more fails and writes nothing. Default: half of
    /// a Lambda function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE), else 10,000,000.
    #[arg(long, env = "SLUICE_MAX_GROUPS", value_name = "N")]
    pub max_groups: Option<usize>,
}

/// The cap on the report's groups when none is given: half the function's
/// memory (`memory_mb`, from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`) at
/// [`GROUP_BYTES`] a group — the other half is the process, its buffers
/// and the reports written at the end — or [`DEFAULT_MAX_GROUPS`] outside
/// Lambda.
pub fn default_max_groups(memory_mb: Option<&str>) -> usize {
    match memory_mb.and_then(|m| m.trim().parse::<usize>().ok()) {
        Some(mb) if mb > 0 => (mb << 20) / 2 / GROUP_BYTES,
        _ => DEFAULT_MAX_GROUPS,
    }
}

impl ReportOpts {
    /// The job's options; an unknown role is an error.
    pub fn options(&self) -> anyhow::Result<ReportOptions> {
        let mut options = ReportOptions::default();
        for spec in self.report_columns.iter().filter(|c| !c.trim().is_empty()) {
            let (role, name) = spec
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--column {spec:?}: expected ROLE=NAME"))?;
            let role = Role::from_key(role.trim()).ok_or_else(|| {
                let roles: Vec<_> = Role::ALL.iter().map(|r| r.key()).collect();
                anyhow::anyhow!("--column {spec:?}: roles are {}", roles.join(", "))
            })?;
            options.columns[role as usize] = name.trim().to_string();
        }
        options.missing = self.missing.clone();
        let memory = std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").ok();
        options.max_groups = match self.max_groups {
            Some(0) => anyhow::bail!("--max-groups / SLUICE_MAX_GROUPS must be at least 1"),
            Some(n) => n,
            None => default_max_groups(memory.as_deref()),
        };
        Ok(options)
    }
}

/// How much of S3 one object may use at once.
#[derive(Debug, Args)]
pub struct S3Args {
    /// Connections per S3 object: byte ranges read at once, and parts uploaded at once
    /// (1: one GET stream). Default 8; in Lambda, from the function's memory: 4 below
    /// 1,769 MB, 8 below 3,538 MB, 16 from there.
    #[arg(long, env = "SLUICE_S3_CONNECTIONS", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub s3_connections: Option<u16>,
    /// Bytes per ranged read (small ones let tests read many ranges).
    #[arg(long, env = "SLUICE_S3_RANGE_BYTES", hide = true, default_value_t = crate::adapters::s3::RANGE_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub s3_range_bytes: u64,
}

impl S3Args {
    /// The settings the S3 adapter uses.
    pub fn transfer(&self) -> crate::adapters::s3::Transfer {
        let connections = self.s3_connections.map(usize::from);
        crate::adapters::s3::Transfer::new(connections, self.s3_range_bytes)
    }
}
