//! The one read path: every job, from every door, opens its input here —
//! a file, stdin or an S3 object — and reads it decoded: gzip, zstd and
//! bzip2 decompressed on the way (told by magic bytes, by name, or by
//! `Content-Encoding`), in constant memory. Whether the bytes are a UTF-8
//! CSV at all is checked on the first decoded chunk (see
//! [`super::stream`]).

use super::decode::{Compression, Decompress, RawSource};
use super::location::Location;
use crate::adapters::local;
pub use crate::adapters::local::CHUNK_BYTES;
use crate::adapters::s3;
use crate::progress::Progress;
use anyhow::Context;
use std::path::Path;
use std::time::SystemTime;

/// What is known of an input before its bytes are read.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The name used in messages: a path, `stdin`, or `s3://bucket/key`.
    pub name: String,
    /// When it was last modified (a file's mtime, an object's LastModified).
    pub modified: Option<SystemTime>,
    /// The object's ETag (unquoted) and version, for S3 inputs.
    pub etag: Option<String>,
    pub version: Option<String>,
    /// How it is compressed, as told by its first bytes, name or encoding.
    pub compression: Option<Compression>,
    /// Its size in bytes as stored (compressed, when it is), when known.
    pub size: Option<u64>,
}

/// Where the raw (maybe compressed) bytes come from.
enum Source {
    Stdin(std::io::Stdin),
    File(std::fs::File),
    S3(Box<s3::Reader>),
}

/// Raw bytes, with the first chunk read ahead to tell the compression.
struct Raw {
    source: Source,
    name: String,
    ahead: Vec<u8>,
    /// Bytes handed out so far (what the progress line counts).
    handed: u64,
    /// Bytes read from the source so far.
    bytes: u64,
}

impl RawSource for Raw {
    async fn read_raw(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.fill(buf).await?;
        self.handed += buf.len() as u64;
        Ok(())
    }
}

impl Raw {
    async fn fill(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        if !self.ahead.is_empty() {
            std::mem::swap(buf, &mut self.ahead);
            self.ahead.clear();
            return Ok(());
        }
        self.read_source(buf).await?;
        self.bytes += buf.len() as u64;
        Ok(())
    }
}

impl Raw {
    async fn read_source(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        match &mut self.source {
            Source::Stdin(s) => local::read_chunk(&mut s.lock(), buf, &self.name),
            Source::File(f) => local::read_chunk(f, buf, &self.name),
            Source::S3(reader) => {
                buf.clear();
                while buf.len() < CHUNK_BYTES && reader.read_into(buf).await? {}
                Ok(())
            }
        }
    }
}

/// An input being read, decoded.
pub struct Input {
    raw: Raw,
    decompress: Option<Decompress>,
    /// The first decoded chunk, once [`Input::head`] read it.
    head: Option<Vec<u8>>,
    pub facts: Facts,
    progress: Progress,
}

impl Input {
    /// Opens `at` (stdin for [`Location::Std`]); an S3 location needs a
    /// client, and is read at `version` when one is given (the event's).
    /// Reads the first chunk to tell the compression.
    pub async fn open(
        at: &Location,
        client: Option<&aws_sdk_s3::Client>,
        version: Option<&str>,
    ) -> anyhow::Result<Self> {
        let (source, mut facts, encoding) = match at {
            Location::Std => (Source::Stdin(std::io::stdin()), stdin_facts(), None),
            Location::Path(p) => {
                let (file, facts) = open_file(p)?;
                (Source::File(file), facts, None)
            }
            Location::S3 { bucket, key } => {
                anyhow::ensure!(!key.is_empty(), "{at}: an input needs a key");
                let client = client.context("an S3 client is built for S3 locations")?;
                let reader = s3::Reader::open(client, bucket, key, version).await?;
                let facts = Facts {
                    name: reader.name.clone(),
                    modified: reader.last_modified,
                    etag: reader.etag.clone(),
                    version: reader.version.clone(),
                    compression: None,
                    size: Some(reader.size),
                };
                let encoding = reader.content_encoding.clone();
                (Source::S3(Box::new(reader)), facts, encoding)
            }
        };
        let mut raw = Raw {
            source,
            name: facts.name.clone(),
            ahead: Vec::new(),
            handed: 0,
            bytes: 0,
        };
        let mut first = Vec::with_capacity(CHUNK_BYTES);
        raw.fill(&mut first).await?;
        raw.ahead = first;
        // The bytes decide; a name or an encoding only speaks for empty
        // or unrecognisable input, which the decoder then reports.
        facts.compression = Compression::from_magic(&raw.ahead)
            .or_else(|| at.key_or_path().and_then(Compression::from_name))
            .or_else(|| {
                encoding
                    .as_deref()
                    .and_then(Compression::from_content_encoding)
            })
            .filter(|_| !raw.ahead.is_empty());
        let decompress = facts.compression.map(|c| Decompress::new(c, CHUNK_BYTES));
        Ok(Input {
            raw,
            decompress,
            head: None,
            facts,
            progress: Progress::new(false, "", None),
        })
    }

    /// Shows a progress line while this input is read, if `wanted` and
    /// stderr is a terminal.
    pub fn show_progress(&mut self, wanted: bool) {
        self.progress = Progress::new(wanted, &self.facts.name, self.facts.size);
    }

    /// Updates the progress line, if any: called once per chunk.
    pub fn tick(&self, rows: u64) {
        self.progress.update(self.raw.handed, rows);
    }

    /// Reads the next decoded chunk into `buf` (replacing its contents);
    /// an empty buffer means the end.
    pub async fn read_chunk(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        if let Some(head) = self.head.take() {
            *buf = head;
            return Ok(());
        }
        match &mut self.decompress {
            Some(d) => d
                .read_chunk(&mut self.raw, buf)
                .await
                .with_context(|| self.facts.name.clone()),
            None => self.raw.read_raw(buf).await,
        }
    }

    /// The first decoded chunk (empty for an empty input), read ahead and
    /// handed out again by the next [`Input::read_chunk`]: what the checks
    /// and the delimiter sniffing look at.
    pub async fn head(&mut self) -> anyhow::Result<&[u8]> {
        if self.head.is_none() {
            let mut buf = Vec::with_capacity(CHUNK_BYTES);
            self.read_chunk(&mut buf).await?;
            self.head = Some(buf);
        }
        Ok(self.head.as_deref().unwrap_or_default())
    }

    /// The name used in messages.
    pub fn name(&self) -> &str {
        &self.facts.name
    }

    /// The bytes read from the source so far (compressed ones, when it is).
    pub fn raw_bytes(&self) -> u64 {
        self.raw.bytes
    }
}

fn stdin_facts() -> Facts {
    Facts {
        name: "stdin".into(),
        ..Facts::default()
    }
}

fn open_file(p: &Path) -> anyhow::Result<(std::fs::File, Facts)> {
    let file = std::fs::File::open(p).with_context(|| format!("{}: cannot open", p.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("{}: cannot read", p.display()))?;
    anyhow::ensure!(!meta.is_dir(), "{}: is a folder, not a file", p.display());
    let facts = Facts {
        name: p.display().to_string(),
        modified: meta.modified().ok(),
        size: meta.is_file().then_some(meta.len()),
        ..Facts::default()
    };
    Ok((file, facts))
}
