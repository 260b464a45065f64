//! The one commit path: every output of a run — results, rejects,
//! reports, documents — is an [`Output`] written while the input streams,
//! then staged (files synced beside their final names, S3 uploads sent
//! but not completed) and only after every output is staged published
//! together ([`Commit::publish`]): renames, upload completions, and the
//! removal of stale outputs. A failure before publishing discards them
//! all, so the previous results stay exactly as they were.

use super::decode::{Compression, Encoder};
use super::location::Location;
use crate::adapters::local::{self, FileOutput};
use crate::adapters::s3;
use anyhow::Context;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

/// How an output is made.
#[derive(Clone, Debug, Default)]
pub struct OutputOptions {
    /// User metadata of an S3 object (ignored elsewhere).
    pub metadata: HashMap<String, String>,
    /// Compress what is written.
    pub compression: Option<Compression>,
    /// A JSON document rather than CSV (the S3 content type).
    pub json: bool,
}

enum Sink {
    Stdout(std::io::Stdout),
    File { out: FileOutput, path: PathBuf },
    S3(s3::Writer),
}

/// An output being written; nothing is visible under its name before the
/// run's [`Commit::publish`] (standard output and devices excepted: they
/// are written as the run goes).
pub struct Output {
    sink: Sink,
    at: Location,
    client: Option<aws_sdk_s3::Client>,
    name: String,
    encoder: Option<Encoder>,
    scratch: Vec<u8>,
}

impl Output {
    /// Creates the output for `at` (stdout for [`Location::Std`]).
    pub fn create(
        at: &Location,
        client: Option<&aws_sdk_s3::Client>,
        options: OutputOptions,
    ) -> anyhow::Result<Self> {
        let sink = match at {
            Location::Std => Sink::Stdout(std::io::stdout()),
            Location::Path(p) => Sink::File {
                out: local::create(p)?,
                path: p.clone(),
            },
            Location::S3 { bucket, key } => {
                anyhow::ensure!(!key.is_empty(), "{at}: an output needs a key");
                let client = client.context("an S3 client is built for S3 locations")?;
                let mut writer = s3::Writer::new(client, bucket, key, options.metadata)
                    .encoding(options.compression.map(Compression::content_encoding));
                if options.json {
                    writer = writer.json();
                }
                Sink::S3(writer)
            }
        };
        let name = match at {
            Location::Std => "stdout".to_string(),
            other => other.to_string(),
        };
        Ok(Output {
            sink,
            at: at.clone(),
            client: client.cloned(),
            name,
            encoder: options.compression.map(Encoder::new),
            scratch: Vec::new(),
        })
    }

    /// Appends bytes (compressed on the way, when asked).
    pub async fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        match &mut self.encoder {
            Some(encoder) if !bytes.is_empty() => {
                self.scratch.clear();
                encoder
                    .encode(bytes, &mut self.scratch)
                    .with_context(|| format!("{}: cannot compress", self.name))?;
                let scratch = std::mem::take(&mut self.scratch);
                let result = self.write_raw(&scratch).await;
                self.scratch = scratch;
                result
            }
            _ => self.write_raw(bytes).await,
        }
    }

    async fn write_raw(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let result = match &mut self.sink {
            Sink::S3(w) => return w.write(bytes).await,
            Sink::Stdout(s) => s.lock().write_all(bytes),
            Sink::File { out, .. } => match out {
                FileOutput::Special(f) | FileOutput::Temp { file: f, .. } => f.write_all(bytes),
            },
        };
        result.with_context(|| format!("{}: write failed", self.name))
    }

    /// Adds metadata known only at the end (row counts): an S3 object
    /// written in one part carries it. Others ignore it.
    pub fn add_final_metadata(
        &mut self,
        entries: impl IntoIterator<Item = (&'static str, String)>,
    ) {
        if let Sink::S3(w) = &mut self.sink {
            w.add_final_metadata(entries.into_iter().map(|(k, v)| (k.to_string(), v)));
        }
    }

    /// Writes what is left and makes the output ready to publish.
    async fn stage(mut self) -> anyhow::Result<Staged> {
        if let Some(encoder) = self.encoder.take() {
            let mut tail = Vec::new();
            encoder
                .finish(&mut tail)
                .with_context(|| format!("{}: cannot compress", self.name))?;
            self.write_raw(&tail).await?;
        }
        let name = self.name;
        match self.sink {
            Sink::S3(w) => Ok(Staged::S3(w.stage().await?)),
            Sink::Stdout(s) => {
                s.lock().flush().context("stdout: write failed")?;
                Ok(Staged::Done)
            }
            Sink::File { out, path } => stage_file(out, path, &name),
        }
    }

    /// Discards everything written.
    pub async fn abort(self) {
        match self.sink {
            Sink::File {
                out: FileOutput::Temp { temp, .. },
                ..
            } => {
                let _ = std::fs::remove_file(temp);
            }
            Sink::S3(w) => w.abort().await,
            Sink::File { .. } | Sink::Stdout(_) => {}
        }
    }
}

fn stage_file(out: FileOutput, path: PathBuf, name: &str) -> anyhow::Result<Staged> {
    match out {
        FileOutput::Special(mut file) => {
            file.flush()
                .with_context(|| format!("{name}: write failed"))?;
            Ok(Staged::Done)
        }
        FileOutput::Temp { file, temp } => {
            if let Err(e) = file.sync_data() {
                let _ = std::fs::remove_file(&temp);
                return Err(e).with_context(|| format!("{name}: write failed"));
            }
            Ok(Staged::Rename { temp, path })
        }
    }
}

/// An output ready to publish, or an old one to remove.
enum Staged {
    Rename {
        temp: PathBuf,
        path: PathBuf,
    },
    S3(s3::Staged),
    /// Written in place already (stdout, a device).
    Done,
    /// An earlier run's output under a name this run leaves empty.
    Remove(Location, Option<aws_sdk_s3::Client>),
}

impl Staged {
    async fn publish(self) -> anyhow::Result<()> {
        match self {
            Staged::Rename { temp, path } => std::fs::rename(&temp, &path).map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                anyhow::Error::new(e).context(format!("{}: cannot move into place", path.display()))
            }),
            Staged::S3(s) => s.publish().await,
            Staged::Done => Ok(()),
            Staged::Remove(Location::Path(p), _) => local::remove(&p),
            Staged::Remove(Location::S3 { bucket, key }, Some(client)) => {
                s3::remove(&client, &bucket, &key).await
            }
            Staged::Remove(..) => Ok(()),
        }
    }

    async fn abort(self) {
        match self {
            Staged::Rename { temp, .. } => {
                let _ = std::fs::remove_file(temp);
            }
            Staged::S3(s) => s.abort().await,
            Staged::Done | Staged::Remove(..) => {}
        }
    }
}

/// The outputs of one run, staged and waiting to be published together.
#[derive(Default)]
pub struct Commit {
    staged: Vec<Staged>,
}

impl Commit {
    /// Stages `output`. On failure the output is discarded; the caller
    /// then aborts the commit (see [`Commit::abort`]).
    pub async fn stage(&mut self, output: Output) -> anyhow::Result<()> {
        self.staged.push(output.stage().await?);
        Ok(())
    }

    /// Discards `output` and removes, on publishing, whatever an earlier
    /// run left under its name (rejects that a clean rerun no longer has).
    pub async fn stage_removal(&mut self, output: Output) {
        let (at, client) = (output.at.clone(), output.client.clone());
        output.abort().await;
        self.staged.push(Staged::Remove(at, client));
    }

    /// Publishes every staged output. Renames and completions are the
    /// last, quick steps; should one fail, the outputs not yet published
    /// are discarded rather than published alone.
    pub async fn publish(self) -> anyhow::Result<()> {
        let mut staged = self.staged.into_iter();
        while let Some(s) = staged.next() {
            if let Err(e) = s.publish().await {
                for rest in staged {
                    rest.abort().await;
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Discards every staged output.
    pub async fn abort(self) {
        for s in self.staged {
            s.abort().await;
        }
    }
}
