//! The jobs outside the engine: their options, the outputs each makes,
//! and [`run`] — the one place where a door's request meets a job. Doors
//! say where the input is and how outputs are named ([`Plan`]); they never
//! look at which job runs.

pub mod filter;
pub mod inspect;
pub mod load;
pub mod report;

use crate::pipeline::commit::{Output, OutputOptions};
use crate::pipeline::decode::Compression;
use crate::pipeline::location::Location;
use crate::pipeline::manifest::Ledger;
use crate::pipeline::read::{Facts, Input};
use crate::pipeline::{check_distinct, Rejects, Summary};
use serde_json::Value;
use sluice_engine::{Dialect, FilterOptions, InspectOptions, ReportOptions};
use std::collections::HashMap;

/// A job with its options, ready to run on any input.
#[derive(Clone, Debug)]
pub struct JobSpec {
    pub dialect: Dialect,
    /// Sniff the delimiter from the input (`--delimiter auto`).
    pub auto_delimiter: bool,
    pub kind: JobKind,
}

/// The jobs and their options.
#[derive(Clone, Debug)]
pub enum JobKind {
    Filter(FilterOptions),
    /// A JSON document per input; `scan: false` reads only the facts of
    /// the file or object, not its bytes.
    Inspect {
        options: InspectOptions,
        scan: bool,
    },
    Report(ReportOptions),
    Load(load::LoadSpec),
}

impl JobSpec {
    /// The job's name, for logs and metadata.
    pub fn name(&self) -> &'static str {
        match self.kind {
            JobKind::Filter(_) => "filter",
            JobKind::Inspect { .. } => "inspect",
            JobKind::Report(_) => "report",
            JobKind::Load(_) => "load",
        }
    }

    /// The job's options as a manifest records them (what "the same
    /// options" compares), with the outputs' compression.
    pub fn options_text(&self, compress: Option<Option<Compression>>) -> String {
        format!("{self:?}; compress {compress:?}")
    }

    /// The layout to read `input` with: sniffed from its first bytes
    /// with `--delimiter auto`.
    async fn dialect_of(&self, input: &mut Input) -> anyhow::Result<Dialect> {
        let mut dialect = self.dialect.clone();
        if self.auto_delimiter {
            dialect.delimiter = sluice_engine::sniff(input.head().await?).delimiter;
        }
        Ok(dialect)
    }
}

/// The clients a door builds once and every run shares.
#[derive(Clone, Default)]
pub struct Clients {
    pub s3: Option<aws_sdk_s3::Client>,
    /// The load job's table (connected at start-up).
    pub table: Option<load::Table>,
}

/// How a door names the outputs of one input.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// The result: the filter's rows, the inspect document (`None`: the
    /// document is only logged).
    pub result: Option<Location>,
    /// Rejected rows; `None`: a few are kept for the summary.
    pub rejects: Option<Location>,
    /// Write the rejects even when a run has none (a file asked for by
    /// name); otherwise an earlier run's are removed.
    pub keep_empty_rejects: bool,
    /// The report job's folders or prefixes: reports, and rejects.
    pub reports: Option<(Location, Location)>,
    /// The name the reports of this input get (see [`report::stem`]).
    pub stem: String,
    /// The reports' partition date, when the door knows it (an event's
    /// time, `--ingest-date`); otherwise the input's modification date.
    pub ingest_date: Option<String>,
    /// The version of an S3 input to read (the event's), when known.
    pub source_version: Option<String>,
    /// User metadata for S3 outputs (where the result came from).
    pub metadata: HashMap<String, String>,
    /// The outputs' compression, when chosen (`--compress`).
    pub compress: Option<Option<Compression>>,
    /// Outputs named after the input (watch, events) follow its
    /// compression; named ones follow their own extension.
    pub follow_input: bool,
    /// Cell values may appear in the log fields (`SLUICE_LOG_VALUES`).
    pub log_values: bool,
    /// The manifest the run keeps, for the doors that name outputs after
    /// their sources (the event doors).
    pub ledger: Option<Ledger>,
    /// A progress line on stderr while the input is read, when stderr is
    /// a terminal (the CLI and the watcher, without `-q`).
    pub progress: bool,
}

impl Plan {
    /// The compression of an output at `at` for an input read as `input`.
    pub fn compression(&self, at: &Location, input: &Facts) -> Option<Compression> {
        if let Some(chosen) = self.compress {
            return chosen;
        }
        let by_name = at.key_or_path().and_then(Compression::from_name);
        match (by_name, self.follow_input) {
            (Some(c), _) => Some(c),
            (None, true) => input.compression,
            (None, false) => None,
        }
    }

    /// The plan with the version read in the outputs' metadata, when it
    /// carries metadata at all (the cloud doors).
    fn with_source(&self, input: &Facts) -> Plan {
        let mut plan = self.clone();
        if !plan.metadata.is_empty() {
            for (key, value) in [
                ("sluice-source-etag", &input.etag),
                ("sluice-source-version", &input.version),
            ] {
                if let Some(v) = value {
                    plan.metadata.insert(key.into(), v.clone());
                }
            }
        }
        plan
    }

    /// The options of an output at `at`: the plan's metadata, compressed
    /// as the plan says for this input.
    pub fn output_options(&self, at: &Location, input: &Input) -> OutputOptions {
        OutputOptions {
            metadata: self.metadata.clone(),
            compression: self.compression(at, &input.facts),
            json: false,
            role: "",
        }
    }

    /// The rejects the plan asks for: an output, or a sample.
    pub fn rejects_for(&self, clients: &Clients, input: &Input) -> anyhow::Result<Rejects> {
        let Some(at) = &self.rejects else {
            return Ok(Rejects::Sample(Vec::new()));
        };
        let options = OutputOptions {
            role: "rejects",
            ..self.output_options(at, input)
        };
        let output = Output::create(at, clients.s3.as_ref(), options)?;
        Ok(Rejects::To {
            output: Box::new(output),
            keep_empty: self.keep_empty_rejects,
        })
    }

    fn outputs(&self) -> Vec<&Location> {
        self.result.iter().chain(&self.rejects).collect()
    }
}

/// What a run did, for the door to report.
#[derive(Debug, Default)]
pub struct Done {
    pub summary: Summary,
    /// The input as read (name, version, compression).
    pub input: Facts,
    /// Where the results went: a path, a URL, a table.
    pub output: String,
    /// The job's own summary line.
    pub line: String,
    /// Job-specific fields for the log line (an object, or null).
    pub extra: Value,
    /// Rejected rows kept for display, without a rejects output.
    pub sample: Vec<u8>,
    /// The inspect job's document.
    pub document: Option<Value>,
}

/// Runs `spec` on the input at `at` with the outputs `plan` names: checks
/// that no output is the input or another output, opens the input through
/// the one read path, and hands it to the job, which commits through the
/// one commit path. The door × job dispatch happens here and only here.
pub async fn run(
    spec: &JobSpec,
    clients: &Clients,
    at: &Location,
    plan: &Plan,
) -> anyhow::Result<Done> {
    check_distinct(at, &plan.outputs())?;
    if let JobKind::Inspect { scan: false, .. } = &spec.kind {
        return inspect::facts_only(clients, at, plan).await;
    }
    let version = plan.source_version.as_deref();
    let mut input = Input::open(at, clients.s3.as_ref(), version).await?;
    input.show_progress(plan.progress);
    let plan = &plan.with_source(&input.facts);
    let input = &mut input;
    match &spec.kind {
        JobKind::Filter(options) => {
            let dialect = spec.dialect_of(input).await?;
            // A projection writes with the delimiter read, sniffed or given.
            let options = FilterOptions {
                delimiter: dialect.delimiter,
                ..options.clone()
            };
            filter::run(dialect, &options, clients, input, plan).await
        }
        JobKind::Report(options) => {
            let dialect = spec.dialect_of(input).await?;
            report::run(dialect, options, clients, input, plan).await
        }
        JobKind::Load(_) => load::run(spec.dialect_of(input).await?, clients, input, plan).await,
        // Inspect sniffs for itself, and describes a damaged input.
        JobKind::Inspect { options, .. } => inspect::run(options, clients, at, input, plan).await,
    }
}
