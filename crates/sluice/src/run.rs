//! Runs a job over one input: the streaming loop every door shares.

use crate::io::{Input, Output, CHUNK_BYTES};
use anyhow::Context;
use sluice_engine::{
    Counts, Dialect, Engine, Filter, FilterOptions, InspectOptions, Job, ReportOptions,
};
use std::fmt;
use std::time::Instant;

/// A job with its options, ready to run on any input.
#[derive(Clone, Debug)]
pub struct JobSpec {
    pub dialect: Dialect,
    pub kind: JobKind,
}

/// The jobs and their options.
#[derive(Clone, Debug)]
pub enum JobKind {
    Filter(FilterOptions),
    /// Writes a JSON document per input (see inspect.rs), not rows.
    Inspect(InspectOptions),
    /// Partitioned reports, written by [`crate::analytics::run`].
    Report(ReportOptions),
    Load(LoadSpec),
}

/// The load job's options: the table and how rows become items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadSpec {
    /// The DynamoDB table written to.
    pub table: String,
    /// The partition key column: the table's partition key attribute.
    pub key: String,
    /// The sort key column, for a table with a sort key.
    pub sort_key: Option<String>,
    /// Every non-key value a string.
    pub strings: bool,
    /// Replace whole items (BatchWriteItem) instead of merging (UpdateItem).
    pub replace: bool,
}

impl JobSpec {
    /// The job's name, for logs and metadata.
    pub fn name(&self) -> &'static str {
        match self.kind {
            JobKind::Filter(_) => "filter",
            JobKind::Inspect(_) => "inspect",
            JobKind::Report(_) => "report",
            JobKind::Load(_) => "load",
        }
    }

    /// Runs the job over `input` and commits its results: the output
    /// (with the row counts as metadata where the output keeps metadata),
    /// then the rejects — written when there are any, or always with
    /// `keep_empty_rejects`. On any failure both are discarded, so a run
    /// leaves all of its results or none. Returns the report (its seconds
    /// include the commit) and the rejects kept for display, if any.
    pub async fn run_to_commit(
        &self,
        input: &mut Input,
        mut output: Output,
        mut rejects: Rejects,
        keep_empty_rejects: bool,
    ) -> anyhow::Result<(Report, Vec<u8>)> {
        let started = Instant::now();
        let mut report = match self.run(input, &mut output, &mut rejects).await {
            Ok(report) => report,
            Err(e) => {
                output.abort().await;
                rejects.abort().await;
                return Err(e);
            }
        };
        output.add_final_metadata(count_entries(&report.counts));
        if let Err(e) = output.commit().await {
            rejects.abort().await;
            return Err(e);
        }
        let sample = rejects
            .finish(report.counts.rejected, keep_empty_rejects)
            .await?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok((report, sample))
    }

    /// Runs the job over `input`. Nothing is committed here.
    async fn run(
        &self,
        input: &mut Input,
        output: &mut Output,
        rejects: &mut Rejects,
    ) -> anyhow::Result<Report> {
        match &self.kind {
            JobKind::Filter(options) => {
                let engine = Engine::new(self.dialect.clone(), Filter::new(options.clone()));
                Ok(stream(engine, input, output, rejects).await?.0)
            }
            JobKind::Inspect(_) => {
                anyhow::bail!("the inspect job writes a document, not rows: see inspect.rs")
            }
            JobKind::Report(_) => {
                anyhow::bail!(
                    "the report job writes several outputs: it runs through analytics::run"
                )
            }
            // Its results are a table's items, not an output.
            JobKind::Load(_) => anyhow::bail!("the load job runs through load::Table"),
        }
    }
}

/// The row counts as result metadata or tags: `sluice-rows`,
/// `sluice-selected`, `sluice-dropped`, `sluice-rejected`.
pub fn count_entries(c: &Counts) -> [(&'static str, String); 4] {
    [
        ("sluice-rows", c.rows.to_string()),
        ("sluice-selected", c.selected.to_string()),
        ("sluice-dropped", c.dropped.to_string()),
        ("sluice-rejected", c.rejected.to_string()),
    ]
}

/// What a run did, for the summary line and the logs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Report {
    pub counts: Counts,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub seconds: f64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        let mb_s = self.bytes_in as f64 / 1e6 / self.seconds.max(1e-9);
        write!(
            f,
            "{} rows read, {} selected, {} dropped, {} rejected; {} bytes in, {} bytes out, {:.3} s ({mb_s:.0} MB/s)",
            c.rows, c.selected, c.dropped, c.rejected, self.bytes_in, self.bytes_out, self.seconds
        )
    }
}

/// Where rejected rows go: an output, or a few kept for the summary.
pub enum Rejects {
    To(Output),
    Sample(Vec<u8>),
}

/// How many bytes of rejects are kept for the summary without a rejects
/// output.
const SAMPLE_BYTES: usize = 4096;

impl Rejects {
    /// Commits the rejects output when there were rejected rows (or
    /// always, with `keep_empty`), discards it otherwise; returns the
    /// sample when the rejects were only sampled.
    pub(crate) async fn finish(self, rejected: u64, keep_empty: bool) -> anyhow::Result<Vec<u8>> {
        match self {
            Rejects::To(out) if rejected > 0 || keep_empty => {
                out.commit().await.map(|()| Vec::new())
            }
            Rejects::To(out) => {
                out.abort().await;
                Ok(Vec::new())
            }
            Rejects::Sample(sample) => Ok(sample),
        }
    }

    /// Discards the rejects output.
    pub(crate) async fn abort(self) {
        if let Rejects::To(out) = self {
            out.abort().await;
        }
    }

    pub(crate) async fn take(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        match self {
            Rejects::To(out) => out.write(bytes).await,
            Rejects::Sample(sample) => {
                let room = SAMPLE_BYTES.saturating_sub(sample.len());
                sample.extend_from_slice(&bytes[..bytes.len().min(room)]);
                Ok(())
            }
        }
    }
}

/// Streams `input` through `engine`, writing its output and rejects.
/// Nothing is committed here: the caller commits or aborts the outputs.
pub async fn stream<J: Job>(
    mut engine: Engine<J>,
    input: &mut Input,
    output: &mut Output,
    rejects: &mut Rejects,
) -> anyhow::Result<(Report, Engine<J>)> {
    let started = Instant::now();
    let mut chunk = Vec::with_capacity(CHUNK_BYTES);
    let mut out = Vec::new();
    let mut bytes_out = 0u64;
    let name = input.name();
    loop {
        input.read_chunk(&mut chunk).await?;
        if chunk.is_empty() {
            break;
        }
        engine.feed(&chunk).with_context(|| name.clone())?;
        bytes_out += drain(&mut engine, output, rejects, &mut out).await?;
    }
    let counts = engine.finish().with_context(|| name.clone())?;
    bytes_out += drain(&mut engine, output, rejects, &mut out).await?;
    let report = Report {
        counts,
        bytes_in: engine.bytes(),
        bytes_out,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok((report, engine))
}

async fn drain<J: Job>(
    engine: &mut Engine<J>,
    output: &mut Output,
    rejects: &mut Rejects,
    buf: &mut Vec<u8>,
) -> anyhow::Result<u64> {
    engine.take_output(buf);
    output.write(buf).await?;
    let written = buf.len() as u64;
    if !engine.rejects().is_empty() {
        engine.take_rejects(buf);
        rejects.take(buf).await?;
    }
    Ok(written)
}
