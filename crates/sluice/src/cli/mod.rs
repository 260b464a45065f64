//! The command line: what each subcommand takes. Every job and routing
//! option can also come from its `SLUICE_*` environment variable, which is
//! how the Lambda function and the worker are configured; `--help` lists
//! them.

mod options;

use crate::jobs::{JobKind, JobSpec};
use clap::{Args, Parser, Subcommand, ValueEnum};
pub use options::{CompressArgs, CsvArgs, FilterOpts, LoadOpts, ReportOpts, S3Args};
use sluice_engine::{Dialect, InspectOptions};
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

impl Command {
    /// How much of S3 each object may use at once.
    pub fn s3_args(&self) -> &S3Args {
        match self {
            Command::Filter(a) => &a.s3,
            Command::Inspect(a) => &a.s3,
            Command::Report(a) => &a.s3,
            Command::Load(a) => &a.s3,
            Command::Watch(a) => &a.job.s3,
            Command::Worker(a) => &a.job.s3,
            Command::Lambda(a) => &a.job.s3,
        }
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
    /// No summary and no progress line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub filter: FilterOpts,
    #[command(flatten)]
    pub csv: CsvArgs,
    #[command(flatten)]
    pub compress: CompressArgs,
    #[command(flatten)]
    pub prefix: PrefixArgs,
    #[command(flatten)]
    pub s3: S3Args,
}

impl FilterArgs {
    pub fn job_spec(&self) -> anyhow::Result<JobSpec> {
        Ok(self
            .csv
            .spec(JobKind::Filter(self.filter.options(&self.csv)?)))
    }
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
    #[command(flatten)]
    pub s3: S3Args,
}

impl InspectArgs {
    pub fn job_spec(&self) -> JobSpec {
        let options = InspectOptions {
            has_header: !self.no_header,
            ..InspectOptions::default()
        };
        JobSpec {
            dialect: Dialect::default(),
            auto_delimiter: true,
            kind: JobKind::Inspect {
                options,
                scan: !self.no_scan,
            },
        }
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
    /// No summary and no progress line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub load: LoadOpts,
    #[command(flatten)]
    pub csv: CsvArgs,
    #[command(flatten)]
    pub prefix: PrefixArgs,
    #[command(flatten)]
    pub s3: S3Args,
}

impl LoadArgs {
    pub fn job_spec(&self) -> anyhow::Result<JobSpec> {
        let spec = self.load.spec(&self.csv, self.dry_run)?;
        Ok(self.csv.spec(JobKind::Load(spec)))
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
    #[arg(long, value_parser = crate::time::parse_date)]
    pub ingest_date: Option<String>,
    /// No summary and no progress line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub report: ReportOpts,
    #[command(flatten)]
    pub csv: CsvArgs,
    #[command(flatten)]
    pub prefix: PrefixArgs,
    #[command(flatten)]
    pub s3: S3Args,
}

impl ReportArgs {
    pub fn job_spec(&self) -> anyhow::Result<JobSpec> {
        Ok(self.csv.spec(JobKind::Report(self.report.options()?)))
    }
}

/// Prefix runs: the input is `s3://bucket/prefix/` (ending with `/`) or a
/// folder, and every object or file under it with the suffix is processed.
#[derive(Debug, Args)]
#[command(next_help_heading = "Prefix runs (input s3://bucket/prefix/ or a folder)")]
pub struct PrefixArgs {
    /// Objects processed at a time.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallel: u16,
    /// Process every object again, even one whose manifest shows it was already processed
    /// from the same version with the same options.
    #[arg(long)]
    pub force: bool,
    /// Only keys (or file names) ending with this are processed.
    #[arg(long, default_value = ".csv")]
    pub suffix: String,
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
    #[command(flatten)]
    pub compress: CompressArgs,
    /// Put cell values (the inspect job's per-column min/max) in the per-object log line;
    /// by default the log holds facts and counts only, so no account number reaches it.
    #[arg(long, env = "SLUICE_LOG_VALUES")]
    pub log_values: bool,
    #[command(flatten)]
    pub s3: S3Args,
}

impl JobArgs {
    pub fn spec(&self) -> anyhow::Result<JobSpec> {
        let kind = match self.job {
            JobName::Filter => JobKind::Filter(self.filter.options(&self.csv)?),
            JobName::Inspect => JobKind::Inspect {
                options: InspectOptions {
                    has_header: !self.csv.no_header,
                    max_record_bytes: self.csv.max_record_bytes,
                },
                scan: true,
            },
            JobName::Report => JobKind::Report(self.report.options()?),
            JobName::Load => JobKind::Load(self.load.spec(&self.csv, false)?),
        };
        Ok(self.csv.spec(kind))
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

#[derive(Debug, Args)]
pub struct LambdaArgs {
    #[command(flatten)]
    pub route: RouteArgs,
    #[command(flatten)]
    pub job: JobArgs,
    /// The worker fleet's queue: an object the function cannot finish before its deadline is
    /// sent there instead of started.
    #[arg(long, env = "SLUICE_OVERFLOW_QUEUE_URL")]
    pub overflow_queue_url: Option<String>,
    /// The throughput, in MB/s, assumed when judging whether an object fits the time left
    /// (until the invocation has measured its own).
    #[arg(long, env = "SLUICE_MIN_MB_PER_SEC", default_value_t = 5.0)]
    pub min_mb_per_sec: f64,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// The CloudWatch metrics the Lambda handler and the worker print (embedded metric format).
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// CloudWatch namespace of the metrics.
    #[arg(long, env = "SLUICE_METRICS_NAMESPACE", default_value = crate::metrics::DEFAULT_NAMESPACE)]
    pub metrics_namespace: String,
    /// Value of the metrics' `Service` dimension (default: the Lambda function's name,
    /// AWS_LAMBDA_FUNCTION_NAME, or `sluice-worker`). The `Job` dimension is the job's name.
    #[arg(long, env = "SLUICE_METRICS_SERVICE")]
    pub metrics_service: Option<String>,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// URL of the SQS queue that receives the bucket's notifications.
    #[arg(long, env = "SLUICE_QUEUE_URL")]
    pub queue: String,
    /// Long-poll wait per receive, in seconds (0 to 20).
    #[arg(long, env = "SLUICE_WAIT_SECS", default_value_t = 20, value_parser = clap::value_parser!(i32).range(0..=20))]
    pub wait_secs: i32,
    /// Messages taken per receive (1 to 10), processed one after another. With 1, the rest
    /// of the queue stays with the other workers of a fleet, so large objects spread across
    /// it; more saves requests when the objects are small.
    #[arg(long, env = "SLUICE_WORKER_RECEIVE", default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=10))]
    pub receive: i32,
    /// Exit once a receive returns no message, instead of polling forever.
    #[arg(long)]
    pub exit_when_empty: bool,
    #[command(flatten)]
    pub route: RouteArgs,
    #[command(flatten)]
    pub job: JobArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
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
    /// No progress line on a terminal.
    #[arg(short, long)]
    pub quiet: bool,
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
