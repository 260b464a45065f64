//! One input through one job into its outputs: the read path
//! ([`read`]: open, decompress), the checks every job's input passes
//! before a row is read (UTF-8 text, a delimiter that splits the header),
//! the streaming loop, and the commit path ([`commit`]: stage every
//! output, then publish them together). Every door and every job runs
//! through [`run_to_commit`], so each of these promises is written once.

pub mod commit;
pub mod decode;
pub mod location;
pub mod manifest;
pub mod read;
mod summary;

use anyhow::Context;
use commit::{Commit, Output};
use location::Location;
use read::Input;
use sluice_engine::{check_text, wrong_delimiter, Counts, Engine, Job};
use std::time::Instant;
pub use summary::{count_entries, Summary};

/// Where a job's results go while its input streams: taken from the
/// engine after every chunk, staged once the whole input is read, or
/// aborted. Each job with rows to stream has one (an output stream, the
/// partitioned reports, a DynamoDB table).
pub trait Sink<J: Job> {
    /// What a staged sink hands back besides the run's summary.
    type Done;

    /// Takes what the engine produced so far; returns the bytes written.
    async fn take(&mut self, engine: &mut Engine<J>, scratch: &mut Vec<u8>) -> anyhow::Result<u64>;

    /// The input was read whole: completes the work whose outcome may
    /// still reject rows (writes in flight), moving those rows to the
    /// engine's rejects ([`Engine::reject_selected`]) before the last are
    /// taken and the counts read.
    async fn drain(&mut self, engine: &mut Engine<J>) -> anyhow::Result<()> {
        let _ = engine;
        Ok(())
    }

    /// Stages the results into `commit` (the input was read whole). May
    /// add to the summary's bytes out. On failure, discards what it has
    /// not staged.
    async fn stage(
        self,
        engine: &Engine<J>,
        summary: &mut Summary,
        commit: &mut Commit,
    ) -> anyhow::Result<Self::Done>;

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

    async fn stage(
        mut self,
        _: &Engine<J>,
        summary: &mut Summary,
        commit: &mut Commit,
    ) -> anyhow::Result<()> {
        self.add_final_metadata(count_entries(&summary.counts));
        commit.stage(self).await
    }

    async fn abort(self) {
        Output::abort(self).await;
    }
}

/// Where rejected rows go: an output, or a few kept for the summary.
pub enum Rejects {
    /// Written, and removed when a run has none (unless `keep_empty`: a
    /// file asked for by name is written even empty).
    To {
        output: Box<Output>,
        keep_empty: bool,
    },
    Sample(Vec<u8>),
}

/// How many bytes of rejects are kept for the summary without an output.
const SAMPLE_BYTES: usize = 4096;

impl Rejects {
    /// A rejects output that is removed when a run has none.
    pub fn to(output: Output) -> Self {
        Rejects::To {
            output: Box::new(output),
            keep_empty: false,
        }
    }

    async fn take(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        match self {
            Rejects::To { output, .. } => output.write(bytes).await,
            Rejects::Sample(sample) => {
                let room = SAMPLE_BYTES.saturating_sub(sample.len());
                sample.extend_from_slice(&bytes[..bytes.len().min(room)]);
                Ok(())
            }
        }
    }

    /// Stages the rejects with the counts as metadata, or their removal;
    /// returns the sample when they were only sampled.
    async fn stage(self, counts: &Counts, commit: &mut Commit) -> anyhow::Result<Vec<u8>> {
        match self {
            Rejects::To {
                mut output,
                keep_empty,
            } if counts.rejected > 0 || keep_empty => {
                output.add_final_metadata(count_entries(counts));
                commit.stage(*output).await.map(|()| Vec::new())
            }
            Rejects::To { output, .. } => {
                commit.stage_removal(*output).await;
                Ok(Vec::new())
            }
            Rejects::Sample(sample) => Ok(sample),
        }
    }

    async fn abort(self) {
        if let Rejects::To { output, .. } = self {
            output.abort().await;
        }
    }
}

/// Refuses a run whose outputs would overwrite its input or each other,
/// before anything is read or written.
pub fn check_distinct(input: &Location, outputs: &[&Location]) -> anyhow::Result<()> {
    for (i, out) in outputs.iter().enumerate() {
        anyhow::ensure!(
            matches!(input, Location::Std) || !out.same_as(input),
            "{out}: an output would overwrite the input; name another file"
        );
        if let Some(other) = outputs[..i].iter().find(|o| o.same_as(out)) {
            anyhow::bail!("{out}: named for two outputs ({other} too); give each its own");
        }
    }
    Ok(())
}

/// Runs `engine` over `input` and commits its results: the sink's and the
/// rejects are staged, then published together; on any failure before
/// that, all are discarded. Returns the summary (its seconds include the
/// commit), what the sink staged, and the rejects sample, if any.
pub async fn run_to_commit<J: Job, S: Sink<J>>(
    engine: Engine<J>,
    input: &mut Input,
    mut sink: S,
    mut rejects: Rejects,
    ledger: Option<manifest::Ledger>,
) -> anyhow::Result<(Summary, S::Done, Vec<u8>)> {
    let started = Instant::now();
    let (mut summary, engine) = match checked_stream(engine, input, &mut sink, &mut rejects).await {
        Ok(done) => done,
        Err(e) => {
            sink.abort().await;
            rejects.abort().await;
            return Err(e);
        }
    };
    let mut commit = Commit::new(ledger);
    let staged = match sink.stage(&engine, &mut summary, &mut commit).await {
        Ok(done) => rejects
            .stage(&summary.counts, &mut commit)
            .await
            .map(|sample| (done, sample)),
        Err(e) => {
            rejects.abort().await;
            Err(e)
        }
    };
    // Until the last part of every output was up.
    summary.write_seconds = started.elapsed().as_secs_f64();
    let (done, sample) = match staged {
        Ok(staged) => staged,
        Err(e) => {
            commit.abort().await;
            return Err(e);
        }
    };
    summary.seconds = started.elapsed().as_secs_f64();
    commit.publish(&summary, &input.facts).await?;
    Ok((summary, done, sample))
}

/// [`stream`] after [`check_start`].
async fn checked_stream<J: Job, S: Sink<J>>(
    engine: Engine<J>,
    input: &mut Input,
    sink: &mut S,
    rejects: &mut Rejects,
) -> anyhow::Result<(Summary, Engine<J>)> {
    let delimiter = engine.dialect().delimiter;
    let name = input.name().to_string();
    check_start(input.head().await?, delimiter, &name)?;
    stream(engine, input, sink, rejects).await
}

/// Streams `input` through `engine` into `sink` and `rejects`. Nothing is
/// committed here.
async fn stream<J: Job, S: Sink<J>>(
    mut engine: Engine<J>,
    input: &mut Input,
    sink: &mut S,
    rejects: &mut Rejects,
) -> anyhow::Result<(Summary, Engine<J>)> {
    let started = Instant::now();
    let mut chunk = Vec::with_capacity(read::CHUNK_BYTES);
    let mut scratch = Vec::new();
    let mut bytes_out = 0u64;
    let mut wait = std::time::Duration::ZERO;
    loop {
        let asked = Instant::now();
        input.read_chunk(&mut chunk).await?;
        wait += asked.elapsed();
        if chunk.is_empty() {
            break;
        }
        engine
            .feed(&chunk)
            .with_context(|| input.name().to_string())?;
        bytes_out += sink.take(&mut engine, &mut scratch).await?;
        take_rejects(&mut engine, rejects, &mut scratch).await?;
        input.tick(engine.counts().rows);
    }
    let read_seconds = started.elapsed().as_secs_f64();
    engine.finish().with_context(|| input.name().to_string())?;
    bytes_out += sink.take(&mut engine, &mut scratch).await?;
    sink.drain(&mut engine).await?;
    take_rejects(&mut engine, rejects, &mut scratch).await?;
    let summary = Summary {
        counts: engine.counts(),
        bytes_in: engine.bytes(),
        bytes_out,
        seconds: started.elapsed().as_secs_f64(),
        raw_bytes_in: input.raw_bytes(),
        read_seconds,
        write_seconds: 0.0,
        wait_seconds: wait.as_secs_f64(),
    };
    Ok((summary, engine))
}

/// The checks on the start of every input a job reads: UTF-8 text, and a
/// delimiter that splits the header when another one would.
pub fn check_start(start: &[u8], delimiter: u8, name: &str) -> anyhow::Result<()> {
    check_text(start).with_context(|| name.to_string())?;
    if let Some(better) = wrong_delimiter(start, delimiter) {
        let shown = if better == b'\t' {
            "tab".to_string()
        } else {
            format!("'{}'", better as char)
        };
        anyhow::bail!(
            "{name}: the header holds no {:?} but every row splits on {shown}: \
             pass --delimiter {shown} (or --delimiter auto, SLUICE_DELIMITER)",
            delimiter as char
        );
    }
    Ok(())
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
