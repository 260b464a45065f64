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
}

/// Where a job's results go while its input streams: taken from the
/// engine after every chunk, committed once the whole input is read, or
/// aborted. Each job with rows to stream has one (an output stream, the
/// partitioned reports, a DynamoDB table), and [`run_to_commit`] drives
/// them all.
pub(crate) trait Sink<J: Job> {
    /// What a committed sink hands back besides the run's report.
    type Done;

    /// Takes what the engine produced so far; returns the bytes written.
    async fn take(&mut self, engine: &mut Engine<J>, scratch: &mut Vec<u8>) -> anyhow::Result<u64>;

    /// Makes the results visible; the input was read whole. May add to
    /// the report's bytes out.
    async fn commit(self, engine: &Engine<J>, report: &mut Report) -> anyhow::Result<Self::Done>;

    /// Discards the results.
    async fn abort(self);
}

/// An output stream: the filter's result.
impl<J: Job> Sink<J> for Output {
    type Done = ();

    async fn take(&mut self, engine: &mut Engine<J>, scratch: &mut Vec<u8>) -> anyhow::Result<u64> {
        engine.take_output(scratch);
        self.write(scratch).await?;
        Ok(scratch.len() as u64)
    }

    async fn commit(mut self, _engine: &Engine<J>, report: &mut Report) -> anyhow::Result<()> {
        self.add_final_metadata(count_entries(&report.counts));
        Output::commit(self).await
    }

    async fn abort(self) {
        Output::abort(self).await;
    }
}

/// Runs `engine` over `input` and commits its results: the sink first,
/// then the rejects — written when there are any (or always, with
/// `keep_empty_rejects`), otherwise removed, so no stale rejects of an
/// earlier run remain. On any failure both are discarded, so a run leaves
/// all of its results or none. Returns the report (its seconds include
/// the commit), what the sink committed, and the rejects kept for
/// display, if any.
pub(crate) async fn run_to_commit<J: Job, S: Sink<J>>(
    engine: Engine<J>,
    input: &mut Input,
    mut sink: S,
    mut rejects: Rejects,
    keep_empty_rejects: bool,
) -> anyhow::Result<(Report, S::Done, Vec<u8>)> {
    let started = Instant::now();
    let (mut report, engine) = match stream(engine, input, &mut sink, &mut rejects).await {
        Ok(done) => done,
        Err(e) => {
            sink.abort().await;
            rejects.abort().await;
            return Err(e);
        }
    };
    let done = match sink.commit(&engine, &mut report).await {
        Ok(done) => done,
        Err(e) => {
            rejects.abort().await;
            return Err(e);
        }
    };
    let sample = rejects.finish(&report.counts, keep_empty_rejects).await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok((report, done, sample))
}

/// The filter job over `input` into `output`: [`run_to_commit`] with the
/// filter's engine.
pub async fn filter_to_commit(
    dialect: &Dialect,
    options: &FilterOptions,
    input: &mut Input,
    output: Output,
    rejects: Rejects,
    keep_empty_rejects: bool,
) -> anyhow::Result<(Report, Vec<u8>)> {
    let engine = Engine::new(dialect.clone(), Filter::new(options.clone()));
    let (report, (), sample) =
        run_to_commit(engine, input, output, rejects, keep_empty_rejects).await?;
    Ok((report, sample))
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
    /// Commits the rejects output, with the counts as metadata, when there
    /// were rejected rows (or always, with `keep_empty`); otherwise removes
    /// it, and whatever an earlier run left under its name. Returns the
    /// sample when the rejects were only sampled.
    async fn finish(self, counts: &Counts, keep_empty: bool) -> anyhow::Result<Vec<u8>> {
        match self {
            Rejects::To(mut out) if counts.rejected > 0 || keep_empty => {
                out.add_final_metadata(count_entries(counts));
                out.commit().await.map(|()| Vec::new())
            }
            Rejects::To(out) => out.remove().await.map(|()| Vec::new()),
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

/// Streams `input` through `engine` into `sink` and `rejects`. Nothing is
/// committed here.
async fn stream<J: Job, S: Sink<J>>(
    mut engine: Engine<J>,
    input: &mut Input,
    sink: &mut S,
    rejects: &mut Rejects,
) -> anyhow::Result<(Report, Engine<J>)> {
    let started = Instant::now();
    let mut chunk = Vec::with_capacity(CHUNK_BYTES);
    let mut scratch = Vec::new();
    let mut bytes_out = 0u64;
    let name = input.name();
    loop {
        input.read_chunk(&mut chunk).await?;
        if chunk.is_empty() {
            break;
        }
        engine.feed(&chunk).with_context(|| name.clone())?;
        bytes_out += sink.take(&mut engine, &mut scratch).await?;
        take_rejects(&mut engine, rejects, &mut scratch).await?;
    }
    let counts = engine.finish().with_context(|| name.clone())?;
    bytes_out += sink.take(&mut engine, &mut scratch).await?;
    take_rejects(&mut engine, rejects, &mut scratch).await?;
    let report = Report {
        counts,
        bytes_in: engine.bytes(),
        bytes_out,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok((report, engine))
}

async fn take_rejects<J: Job>(
    engine: &mut Engine<J>,
    rejects: &mut Rejects,
    buf: &mut Vec<u8>,
) -> anyhow::Result<()> {
    if !engine.rejects().is_empty() {
        engine.take_rejects(buf);
        rejects.take(buf).await?;
    }
    Ok(())
}
