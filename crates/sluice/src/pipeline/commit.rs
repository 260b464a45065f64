//! The one commit path: every output of a run — results, rejects,
//! reports, documents — is an [`Output`] written while the input streams,
//! then staged (files synced beside their final names, S3 uploads sent
//! but not completed) and only after every output is staged published
//! together ([`Commit::publish`]): renames, upload completions, and the
//! removal of stale outputs. A failure before publishing discards them
//! all, so the previous results stay exactly as they were.

use super::decode::{Compression, Encoder};
use super::location::Location;
use super::manifest::{Claim, Entry, Ledger, Manifest};
use super::read::Facts;
use super::Summary;
use crate::adapters::local::{self, FileOutput};
use crate::adapters::s3::{self, Condition, Published};
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
    /// What the output is, for the manifest: `rejects`, `report`,
    /// `document` (empty: `result`).
    pub role: &'static str,
}

enum Sink {
    /// Taken by staging.
    Gone,
    Stdout(std::io::Stdout),
    File {
        out: FileOutput,
        path: PathBuf,
    },
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
    role: &'static str,
    /// Bytes as stored, and their CRC-32, for the manifest.
    bytes: u64,
    crc: crc32fast::Hasher,
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
            role: if options.role.is_empty() {
                "result"
            } else {
                options.role
            },
            bytes: 0,
            crc: crc32fast::Hasher::new(),
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
        self.bytes += bytes.len() as u64;
        self.crc.update(bytes);
        let result = match &mut self.sink {
            Sink::S3(w) => return w.write(bytes).await,
            Sink::Gone => return Ok(()),
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
    async fn stage(mut self) -> anyhow::Result<Ready> {
        let staged = self.stage_sink().await?;
        Ok(Ready {
            staged,
            entry: Entry {
                name: self.name,
                role: self.role.to_string(),
                bytes: self.bytes,
                crc32: format!("{:08x}", self.crc.finalize()),
                etag: None,
            },
        })
    }

    async fn stage_sink(&mut self) -> anyhow::Result<Staged> {
        if let Some(encoder) = self.encoder.take() {
            let mut tail = Vec::new();
            encoder
                .finish(&mut tail)
                .with_context(|| format!("{}: cannot compress", self.name))?;
            self.write_raw(&tail).await?;
        }
        let name = self.name.clone();
        let sink = std::mem::replace(&mut self.sink, Sink::Gone);
        match sink {
            Sink::Gone => anyhow::bail!("{name}: staged twice"),
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
            Sink::File { .. } | Sink::Stdout(_) | Sink::Gone => {}
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
    /// Publishes; S3 writes only if `condition` holds.
    async fn publish(&self, condition: Option<&Condition>) -> anyhow::Result<Published> {
        match self {
            Staged::Rename { temp, path } => std::fs::rename(temp, path)
                .map(|()| Published::Done(None))
                .map_err(|e| {
                    let _ = std::fs::remove_file(temp);
                    anyhow::Error::new(e)
                        .context(format!("{}: cannot move into place", path.display()))
                }),
            Staged::S3(s) => s.publish(condition).await,
            Staged::Done => Ok(Published::Done(None)),
            Staged::Remove(Location::Path(p), _) => {
                local::remove(p).map(|()| Published::Done(None))
            }
            Staged::Remove(Location::S3 { bucket, key }, Some(client)) => {
                s3::remove(client, bucket, key)
                    .await
                    .map(|()| Published::Done(None))
            }
            Staged::Remove(..) => Ok(Published::Done(None)),
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

/// A staged output with what the manifest says of it.
struct Ready {
    staged: Staged,
    entry: Entry,
}

/// The outputs of one run, staged and waiting to be published together,
/// and the run's manifest, when it keeps one.
#[derive(Default)]
pub struct Commit {
    ready: Vec<Ready>,
    ledger: Option<Ledger>,
}

impl Commit {
    /// A commit that ends with the manifest `ledger` describes.
    pub fn new(ledger: Option<Ledger>) -> Self {
        Commit {
            ready: Vec::new(),
            ledger,
        }
    }

    /// Stages `output`. On failure the output is discarded; the caller
    /// then aborts the commit (see [`Commit::abort`]).
    pub async fn stage(&mut self, output: Output) -> anyhow::Result<()> {
        self.ready.push(output.stage().await?);
        Ok(())
    }

    /// Discards `output` and removes, on publishing, whatever an earlier
    /// run left under its name (rejects that a clean rerun no longer has).
    /// With a manifest, only S3 objects the last one lists are removed:
    /// most runs have no rejects, and a DELETE of nothing would still
    /// leave a delete marker in a versioned bucket.
    pub async fn stage_removal(&mut self, output: Output) {
        let (at, client, name) = (
            output.at.clone(),
            output.client.clone(),
            output.name.clone(),
        );
        output.abort().await;
        let unlisted = self.ledger.as_ref().is_some_and(|l| !l.lists(&name));
        if unlisted && matches!(at, Location::S3 { .. }) {
            return;
        }
        let entry = Entry {
            name,
            role: "removed".into(),
            bytes: 0,
            crc32: String::new(),
            etag: None,
        };
        let staged = Staged::Remove(at, client);
        self.ready.push(Ready { staged, entry });
    }

    /// Publishes every staged output, then the manifest. With a manifest,
    /// the current one is read again first: a newer source's result wins
    /// ([`Stale`]), and each S3 output is written only if it is still what
    /// that manifest lists. Renames and completions are the last, quick
    /// steps; should one fail, the outputs not yet published are
    /// discarded rather than published alone.
    pub async fn publish(self, summary: &Summary, facts: &Facts) -> anyhow::Result<()> {
        let Some(ledger) = self.ledger else {
            return publish_all(self.ready, None).await.map(|_| ());
        };
        let claim = ledger.claim.read_as(facts);
        let found = match ledger.check(&claim).await {
            Ok(found) => found,
            Err(e) => {
                abort_all(self.ready).await;
                return Err(e);
            }
        };
        let guard = Guard {
            ledger: &ledger,
            claim: &claim,
            found: found.as_ref().map(|f| &f.0),
        };
        let entries = publish_all(self.ready, Some(&guard)).await?;
        let etag = found.and_then(|f| f.1);
        ledger.write(&claim, etag, entries, summary).await
    }

    /// Discards every staged output.
    pub async fn abort(self) {
        abort_all(self.ready).await;
    }
}

/// What conditions the writes of a run that keeps a manifest.
struct Guard<'a> {
    ledger: &'a Ledger,
    claim: &'a Claim,
    found: Option<&'a Manifest>,
}

impl Guard<'_> {
    /// The condition for replacing `name`: the ETag the manifest lists
    /// for it, or no object at all.
    fn condition(&self, name: &str) -> Condition {
        Condition::replacing(
            self.found
                .and_then(|m| m.entry(name))
                .and_then(|e| e.etag.clone()),
        )
    }

    /// After a refused write: reads the manifest again and decides; when
    /// the run may go on, the condition to retry with (the ETag now).
    async fn retry_condition(&self, staged: &Staged) -> anyhow::Result<Condition> {
        self.ledger.check(self.claim).await?;
        let Staged::S3(s) = staged else {
            anyhow::bail!("a local output cannot conflict");
        };
        let (bucket, key) = s.bucket_key();
        let client = self.ledger.client.as_ref().context("an S3 client")?;
        Ok(Condition::replacing(
            s3::etag_of(client, bucket, key).await?,
        ))
    }
}

/// Publishes in order; returns the manifest's entries.
async fn publish_all(ready: Vec<Ready>, guard: Option<&Guard<'_>>) -> anyhow::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut ready = ready.into_iter();
    while let Some(Ready { staged, mut entry }) = ready.next() {
        match publish_one(&staged, &entry.name, guard).await {
            Ok(etag) => {
                entry.etag = etag;
                if !matches!(staged, Staged::Remove(..) | Staged::Done) {
                    entries.push(entry);
                }
            }
            Err(e) => {
                staged.abort().await;
                abort_all(ready.collect()).await;
                return Err(e);
            }
        }
    }
    Ok(entries)
}

/// Publishes one output; a refused conditional write is decided again
/// once (another run published meanwhile).
async fn publish_one(
    staged: &Staged,
    name: &str,
    guard: Option<&Guard<'_>>,
) -> anyhow::Result<Option<String>> {
    let condition = match (guard, staged) {
        (Some(g), Staged::S3(_)) => Some(g.condition(name)),
        _ => None,
    };
    match staged.publish(condition.as_ref()).await? {
        Published::Done(etag) => return Ok(etag),
        Published::Conflict => {}
    }
    let guard = guard.context("a conflict needs a condition")?;
    let retry = guard.retry_condition(staged).await?;
    match staged.publish(Some(&retry)).await? {
        Published::Done(etag) => Ok(etag),
        Published::Conflict => anyhow::bail!(
            "{name}: changed twice while this run published; the retry of this event decides again"
        ),
    }
}

async fn abort_all(ready: Vec<Ready>) {
    for r in ready {
        r.staged.abort().await;
    }
}
