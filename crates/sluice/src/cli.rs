//! The command line: what each subcommand takes. Every job and routing
//! option can also come from its `SLUICE_*` environment variable, which is
//! how the Lambda function and the worker are configured; `--help` lists
//! them.

use crate::route::Route;
use crate::run::{JobKind, JobSpec, LoadSpec};
use clap::{Args, Parser, Subcommand, ValueEnum};
use sluice_engine::{Dialect, FilterOptions, InspectOptions, ReportOptions, Role};
use std::path::PathBuf;

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
    /// Print one JSON document: what an object or file is, and what its CSV holds.
    Inspect(InspectArgs),
    /// Order analytics: three partitioned CSV reports (profit by region, top ship mode by
    /// category, orders by category and sub-category).
    Report(ReportArgs),
    /// Upsert each row into a DynamoDB table as an item keyed by its key column(s).
    Load(LoadArgs),
    /// Watch a folder like a bucket: process the files in it and each new one.
    Watch(WatchArgs),
    /// Long-poll an SQS queue for S3 notifications and process each object.
    Worker(WorkerArgs),
    /// Serve AWS Lambda invocations (what `bootstrap` runs when started without arguments).
    Lambda(LambdaArgs),
}

/// How the input CSV is laid out.
#[derive(Debug, Args)]
pub struct CsvArgs {
    /// The first row is data, not a header.
    #[arg(long, env = "SLUICE_NO_HEADER")]
    pub no_header: bool,
    /// Field delimiter: one character, or `tab`.
    #[arg(long, env = "SLUICE_DELIMITER", default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,
    /// Longest row accepted, in bytes (guards memory against a quote never closed).
    #[arg(long, env = "SLUICE_MAX_RECORD_BYTES", default_value_t = 16 << 20)]
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

impl FilterOpts {
    /// The job's options; a bad threshold or column list is an error.
    pub fn options(&self, csv: &CsvArgs) -> anyhow::Result<FilterOptions> {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if csv.no_header {
            if let Some(name) = columns.iter().find(|c| c.parse::<usize>().is_err()) {
                anyhow::bail!("--columns {name:?}: without a header, columns are 1-based indices");
            }
        }
        let select: Vec<String> = self
            .select
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        let expression = self.expression.as_deref().filter(|e| !e.trim().is_empty());
        if let Some(text) = expression {
            // Parse errors surface now, before any input is opened.
            let parsed = sluice_engine::parse_where(text)?;
            if let Some(name) = parsed.column_names().first().filter(|_| csv.no_header) {
                anyhow::bail!("--where {name:?}: without a header, columns are _1, _2, …");
            }
        }
        if csv.no_header {
            if let Some(name) = select.iter().find(|c| c.parse::<usize>().is_err()) {
                anyhow::bail!("--select {name:?}: without a header, columns are 1-based indices");
            }
        }
        Ok(FilterOptions {
            threshold: self.threshold.parse()?,
            columns,
            all: self.all,
            flexible: self.flexible,
            expression: expression.map(str::to_string),
            select,
            delimiter: csv.delimiter,
        })
    }
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Input: a path, `-` for stdin (the default), or s3://bucket/key.
    pub input: Option<String>,
    /// Output: a path, `-` for stdout (the default), or s3://bucket/key.
    #[arg(short, long)]
    pub output: Option<String>,
    /// Write rejected rows here as CSV (line,reason,row): a path or s3://bucket/key.
    #[arg(long)]
    pub rejects: Option<String>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub filter: FilterOpts,
    #[command(flatten)]
    pub csv: CsvArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Input: a path, `-` for stdin (the default), or s3://bucket/key. A `.gz` name, or
    /// an S3 object with `Content-Encoding: gzip`, is decompressed on the way.
    pub input: Option<String>,
    /// Object facts only (for S3, one HEAD request): no read, no CSV facts.
    #[arg(long)]
    pub no_scan: bool,
    /// The first row is data, not a header.
    #[arg(long)]
    pub no_header: bool,
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
    pub fn spec(&self, csv: &CsvArgs) -> anyhow::Result<LoadSpec> {
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
        })
    }
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Input: a path, `-` for stdin (the default), or s3://bucket/key.
    pub input: Option<String>,
    /// Write rejected rows here as CSV (line,reason,row): a path or s3://bucket/key.
    #[arg(long)]
    pub rejects: Option<String>,
    /// Type and check every row, write the rejects, send nothing to DynamoDB (key columns are taken as strings).
    #[arg(long)]
    pub dry_run: bool,
    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub load: LoadOpts,
    #[command(flatten)]
    pub csv: CsvArgs,
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
        Ok(options)
    }
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Input: a path, `-` for stdin (the default), or s3://bucket/key.
    pub input: Option<String>,
    /// Where the reports go: a folder, or an S3 prefix (s3://bucket/prefix/). Rejected rows go
    /// under its `_rejects/`.
    #[arg(short, long)]
    pub output: String,
    /// The partition date (YYYY-MM-DD); by default the input's last-modified date (UTC).
    #[arg(long, value_parser = crate::analytics::parse_date)]
    pub ingest_date: Option<String>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub report: ReportOpts,
    #[command(flatten)]
    pub csv: CsvArgs,
}

/// The jobs a door can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum JobName {
    Filter,
    /// Writes a JSON document per object; the delimiter is sniffed.
    Inspect,
    Report,
    Load,
}

/// Which job a door runs, and its options.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// The job to run on each object.
    #[arg(long, env = "SLUICE_JOB", value_enum, default_value_t = JobName::Filter)]
    pub job: JobName,
    #[command(flatten)]
    pub filter: FilterOpts,
    #[command(flatten)]
    pub report: ReportOpts,
    #[command(flatten)]
    pub load: LoadOpts,
    #[command(flatten)]
    pub csv: CsvArgs,
}

impl JobArgs {
    pub fn spec(&self) -> anyhow::Result<JobSpec> {
        let kind = match self.job {
            JobName::Filter => JobKind::Filter(self.filter.options(&self.csv)?),
            JobName::Inspect => JobKind::Inspect(InspectOptions {
                has_header: !self.csv.no_header,
                max_record_bytes: self.csv.max_record_bytes,
            }),
            JobName::Report => JobKind::Report(self.report.options()?),
            JobName::Load => JobKind::Load(self.load.spec(&self.csv)?),
        };
        Ok(JobSpec {
            dialect: self.csv.dialect(),
            kind,
        })
    }
}

/// Where objects come from and where results go.
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// Bucket the results are written to (required, except by inspect, whose documents are
    /// then only logged).
    #[arg(long, env = "SLUICE_DEST_BUCKET")]
    pub dest_bucket: Option<String>,
    /// Prefix of the result keys: a result is this prefix followed by the source key.
    #[arg(long, env = "SLUICE_DEST_PREFIX", default_value = "")]
    pub dest_prefix: String,
    /// The source bucket, when known: checked at start-up against the destination.
    #[arg(long, env = "SLUICE_SOURCE_BUCKET")]
    pub source_bucket: Option<String>,
    /// Only keys under this prefix are processed.
    #[arg(long, env = "SLUICE_SOURCE_PREFIX", default_value = "")]
    pub source_prefix: String,
    /// Only keys ending with this are processed.
    #[arg(long, env = "SLUICE_SUFFIX", default_value = ".csv")]
    pub suffix: String,
    /// Prefix of the rejected-rows objects (default: the destination prefix followed by `_rejects/`).
    #[arg(long, env = "SLUICE_REJECTS_PREFIX")]
    pub rejects_prefix: Option<String>,
}

impl RouteArgs {
    /// The routing rules; a destination that would trigger itself is refused.
    /// Only the inspect job runs without a destination (`dest_bucket` empty).
    pub fn route(&self, job: JobName) -> anyhow::Result<Route> {
        let dest_bucket = match (&self.dest_bucket, job) {
            (Some(bucket), _) => bucket.clone(),
            (None, JobName::Inspect) => String::new(),
            (None, other) => anyhow::bail!(
                "the destination bucket is required for the {} job: set --dest-bucket or SLUICE_DEST_BUCKET",
                other
                    .to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            ),
        };
        let route = Route {
            dest_bucket,
            dest_prefix: self.dest_prefix.clone(),
            source_prefix: self.source_prefix.clone(),
            suffix: self.suffix.clone(),
            rejects_prefix: self
                .rejects_prefix
                .clone()
                .unwrap_or_else(|| format!("{}_rejects/", self.dest_prefix)),
        };
        if self.dest_bucket.is_some() {
            route.check(self.source_bucket.as_deref())?;
        }
        Ok(route)
    }
}

#[derive(Debug, Args)]
pub struct LambdaArgs {
    #[command(flatten)]
    pub route: RouteArgs,
    #[command(flatten)]
    pub job: JobArgs,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// URL of the SQS queue that receives the bucket's notifications.
    #[arg(long, env = "SLUICE_QUEUE_URL")]
    pub queue: String,
    /// Long-poll wait per receive, in seconds (0 to 20).
    #[arg(long, env = "SLUICE_WAIT_SECS", default_value_t = 20, value_parser = clap::value_parser!(i32).range(0..=20))]
    pub wait_secs: i32,
    /// Exit once a receive returns no message, instead of polling forever.
    #[arg(long)]
    pub exit_when_empty: bool,
    #[command(flatten)]
    pub route: RouteArgs,
    #[command(flatten)]
    pub job: JobArgs,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The folder watched like a bucket.
    #[arg(default_value = "inbox")]
    pub dir: PathBuf,
    /// The folder results go to (rejected rows under its `_rejects/`).
    #[arg(short, long, default_value = "outbox")]
    pub output: PathBuf,
    /// Process the files already there, then exit.
    #[arg(long)]
    pub once: bool,
    /// How often the folder is scanned, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub interval_ms: u64,
    /// Only files ending with this are processed.
    #[arg(long, env = "SLUICE_SUFFIX", default_value = ".csv")]
    pub suffix: String,
    #[command(flatten)]
    pub job: JobArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subcommand's arguments are consistent (unique names, valid
    /// defaults): clap checks this only when a subcommand is parsed.
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
