//! S3 objects read as streams, pinned to one version: the version an event
//! names, or else the one the first response returned.
//!
//! An object is read as byte ranges ([`Transfer::range_bytes`], 8 MiB) over
//! up to [`Transfer::connections`] connections at once, and handed out in
//! order, so one slow stream no longer sets the pace; memory stays within
//! connections × range bytes whatever the object's size. The first range
//! is read by the caller itself; the others each by a task of their own.
//! An object that fits one range is one GET, as is every object with one
//! connection (the whole object, as a single stream). Compressed objects
//! are read the same way: their ranges are decoded later, in order.
//!
//! A connection that drops mid-body is resumed with a ranged GET from the
//! byte its range reached, alone, pinned by `versionId` (or by `If-Match` on
//! the ETag where the bucket keeps no versions), as is every range after
//! the first; so a read never mixes two versions: an object replaced
//! meanwhile fails the read instead.

use super::transfer::{transfer, Transfer};
use super::{describe, url};
use crate::adapters::retry::{sdk_retry, AwsError, Retry};
use anyhow::anyhow;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::AbortHandle;

/// How many times one range resumes after a dropped connection.
const MAX_RESUMES: u32 = 5;

/// An object being read.
pub struct Reader {
    pin: Arc<Pin>,
    /// The first range, read here; `None` once read.
    head: Option<Range>,
    /// The ranges after it being fetched, in order.
    fetches: VecDeque<Fetch>,
    /// Where the next range not yet asked for starts.
    next_start: u64,
    /// The object's size in bytes (compressed, when it is).
    pub size: u64,
    settings: Transfer,
    /// `s3://bucket/key`.
    pub name: String,
    pub etag: Option<String>,
    pub version: Option<String>,
    pub last_modified: Option<std::time::SystemTime>,
    /// The object's `Content-Encoding`, when it has one.
    pub content_encoding: Option<String>,
}

/// What a read is pinned to, shared by its ranges.
struct Pin {
    client: Client,
    bucket: String,
    key: String,
    name: String,
    version: Option<String>,
    etag: Option<String>,
}

impl Reader {
    /// Starts reading `bucket/key`: `version` when given (the event's),
    /// else the current version, to which the rest of the read is pinned.
    pub async fn open(
        client: &Client,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> anyhow::Result<Self> {
        let name = url(bucket, key);
        let settings = transfer();
        // With one connection, the whole object is one stream.
        let first = (settings.connections > 1).then_some(settings.range_bytes);
        let resp = match get(client, bucket, key, version, None, 0, first).await {
            // An empty object has no byte range to ask for.
            Err(e) if first.is_some() && describe(&e).starts_with("InvalidRange") => {
                get(client, bucket, key, version, None, 0, None).await
            }
            other => other,
        }
        .map_err(|e| anyhow::Error::new(explain(&e)).context(format!("{name}: cannot read")))?;
        let size = object_size(&resp);
        let head_end = match resp.content_range() {
            Some(_) => first.map(|r| r.min(size)),
            None => None, // the whole object (a server that ignored the range)
        };
        let pin = Arc::new(Pin {
            client: client.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            name: name.clone(),
            version: resp.version_id().map(str::to_string),
            etag: resp.e_tag().map(|t| t.trim_matches('"').to_string()),
        });
        let mut reader = Reader {
            head: None,
            fetches: VecDeque::new(),
            next_start: head_end.unwrap_or(size),
            size,
            settings,
            name,
            etag: pin.etag.clone(),
            version: pin.version.clone(),
            last_modified: resp
                .last_modified()
                .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
            content_encoding: resp.content_encoding().map(str::to_string),
            pin,
        };
        reader.head = Some(Range::started(0, head_end, resp.body));
        reader.fill();
        Ok(reader)
    }

    /// Appends the next piece of the body to `buf`; false at the end. A
    /// dropped connection is resumed where it stopped.
    pub async fn read_into(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<bool> {
        loop {
            if let Some(head) = &mut self.head {
                match head.next(&self.pin).await? {
                    Some(bytes) => {
                        buf.extend_from_slice(&bytes);
                        return Ok(true);
                    }
                    None => self.head = None,
                }
            } else {
                let Some(fetch) = self.fetches.front_mut() else {
                    return Ok(false);
                };
                match fetch.next(&self.pin.name).await? {
                    // A whole chunk's piece takes the empty buffer's place.
                    Some(piece) if buf.is_empty() => {
                        *buf = piece;
                        return Ok(true);
                    }
                    Some(piece) => {
                        buf.extend_from_slice(&piece);
                        return Ok(true);
                    }
                    None => drop(self.fetches.pop_front()),
                }
            }
            self.fill();
        }
    }

    /// Starts fetching ranges until as many are read at once as allowed.
    fn fill(&mut self) {
        let head = usize::from(self.head.is_some());
        while self.fetches.len() + head < self.settings.connections && self.next_start < self.size {
            let end = self.size.min(self.next_start + self.settings.range_bytes);
            let fetch = Fetch::spawn(Arc::clone(&self.pin), self.next_start, end);
            self.fetches.push_back(fetch);
            self.next_start = end;
        }
    }
}

/// The object's size: after the `/` of a `Content-Range`, else the length
/// of the whole body.
fn object_size(resp: &GetObjectOutput) -> u64 {
    let total = resp.content_range().and_then(|r| r.rsplit('/').next());
    match total.and_then(|t| t.parse().ok()) {
        Some(size) => size,
        None => resp.content_length().unwrap_or(0).max(0) as u64,
    }
}

/// One range of the object, `start..end` (`None`: to its end), read from a
/// response body and resumed from the byte it reached.
struct Range {
    start: u64,
    end: Option<u64>,
    /// Bytes delivered so far.
    got: u64,
    body: ByteStream,
    resumes: u32,
}

impl Range {
    /// The range whose response `body` is already there.
    fn started(start: u64, end: Option<u64>, body: ByteStream) -> Self {
        Range {
            start,
            end,
            got: 0,
            body,
            resumes: 0,
        }
    }

    /// The range's next bytes; `None` once it is read whole.
    async fn next(&mut self, pin: &Pin) -> anyhow::Result<Option<Bytes>> {
        loop {
            let why = match self.body.next().await {
                Some(Ok(bytes)) => {
                    self.got += bytes.len() as u64;
                    return Ok(Some(bytes));
                }
                None if self.end.is_none_or(|end| self.start + self.got >= end) => {
                    return Ok(None);
                }
                None => anyhow!("the body ended early"),
                Some(Err(e)) => anyhow::Error::new(e),
            };
            if self.resumes >= MAX_RESUMES {
                let context = format!("{}: read failed after {} resumes", pin.name, self.resumes);
                return Err(why.context(context));
            }
            self.resume(pin, &why.to_string()).await?;
        }
    }

    /// Reopens the body at the byte reached, pinned to the version read.
    async fn resume(&mut self, pin: &Pin, why: &str) -> anyhow::Result<()> {
        self.resumes += 1;
        let offset = self.start + self.got;
        crate::log::warn(
            "connection dropped mid-object; resuming where it stopped",
            serde_json::json!({"object": pin.name, "offset": offset, "range_start": self.start,
                               "range_end": self.end, "resume": self.resumes, "error": why}),
        );
        self.body = pin.get(offset, self.end).await.map_err(|e| {
            anyhow::Error::new(e).context(format!("{}: cannot resume at byte {offset}", pin.name))
        })?;
        Ok(())
    }
}

impl Pin {
    /// The bytes `from..to` of the version read. Without a version, the
    /// ETag pins the read: a replaced object answers 412, not new bytes.
    async fn get(&self, from: u64, to: Option<u64>) -> Result<ByteStream, AwsError> {
        let etag = self
            .version
            .is_none()
            .then_some(self.etag.as_deref())
            .flatten();
        let (client, bucket, key, version) = (
            &self.client,
            &self.bucket,
            &self.key,
            self.version.as_deref(),
        );
        get(client, bucket, key, version, etag, from, to)
            .await
            .map(|resp| resp.body)
            .map_err(|e| explain(&e))
    }
}

/// A range after the first, read by a task of its own into a channel that
/// holds at most the range.
struct Fetch {
    rx: UnboundedReceiver<anyhow::Result<Vec<u8>>>,
    /// Bytes the range holds, and bytes received so far: a task that
    /// stopped short (a panic) is an error, not the end.
    len: u64,
    got: u64,
    task: AbortHandle,
}

/// Bytes a range's task gathers before handing them over. They are
/// copied out of the HTTP client's buffers, which are often much larger
/// than the bytes they hold: so what waits in memory is the range itself.
/// One engine chunk, so a piece is handed on without a second copy.
const PIECE_BYTES: usize = crate::adapters::local::CHUNK_BYTES;

impl Fetch {
    fn spawn(pin: Arc<Pin>, start: u64, end: u64) -> Self {
        let (tx, rx) = unbounded_channel();
        let task = tokio::spawn(fetch(pin, start, end, tx));
        Fetch {
            rx,
            len: end - start,
            got: 0,
            task: task.abort_handle(),
        }
    }

    async fn next(&mut self, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self.rx.recv().await {
            Some(Ok(piece)) => {
                self.got += piece.len() as u64;
                Ok(Some(piece))
            }
            Some(Err(e)) => Err(e),
            None if self.got == self.len => Ok(None),
            None => anyhow::bail!("{name}: a range's reading task stopped (a panic: see above)"),
        }
    }
}

/// Reads bytes `start..end` into `tx` in pieces of [`PIECE_BYTES`]; a
/// closed channel means the reader is gone, and so is the need.
async fn fetch(pin: Arc<Pin>, start: u64, end: u64, tx: UnboundedSender<anyhow::Result<Vec<u8>>>) {
    let body = match pin.get(start, Some(end)).await {
        Ok(body) => body,
        Err(e) => {
            let range = format!("bytes {start}-{}", end - 1);
            let context = format!("{}: cannot read {range}", pin.name);
            let _ = tx.send(Err(anyhow::Error::new(e).context(context)));
            return;
        }
    };
    let mut range = Range::started(start, Some(end), body);
    let mut piece = Vec::new();
    loop {
        let received = match range.next(&pin).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let mut bytes = &received[..];
        while !bytes.is_empty() {
            if piece.capacity() == 0 {
                let left = end - start - range.got + bytes.len() as u64;
                piece.reserve_exact(PIECE_BYTES.min(left as usize));
            }
            let n = bytes.len().min(PIECE_BYTES - piece.len());
            piece.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if piece.len() == PIECE_BYTES && tx.send(Ok(std::mem::take(&mut piece))).is_err() {
                return;
            }
        }
    }
    if !piece.is_empty() {
        let _ = tx.send(Ok(piece));
    }
}

impl Drop for Fetch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One GET of `bucket/key`, bytes `from..to` (`to`: `None` for the end),
/// pinned by `version` or `if_match`.
async fn get(
    client: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    if_match: Option<&str>,
    from: u64,
    to: Option<u64>,
) -> Result<GetObjectOutput, SdkError<GetObjectError>> {
    let range = match to {
        Some(to) => Some(format!("bytes={from}-{}", to.max(from + 1) - 1)),
        None => (from > 0).then(|| format!("bytes={from}-")),
    };
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .set_if_match(if_match.map(|t| format!("\"{t}\"")))
        .set_range(range)
        .send()
        .await
}

/// A failed GET, described by its S3 code and classified
/// ([`crate::adapters::retry`]).
fn explain(e: &SdkError<GetObjectError>) -> AwsError {
    let permanent = |message: &str| AwsError {
        message: message.to_string(),
        retry: Retry::Permanent,
    };
    match e.as_service_error() {
        Some(s) if s.is_no_such_key() => {
            permanent("no such object (deleted before it was processed?)")
        }
        _ if describe(e).starts_with("PreconditionFailed") => permanent(
            "the object was replaced while it was read; its new version has an event of its own",
        ),
        _ => AwsError {
            message: describe(e),
            retry: sdk_retry(e),
        },
    }
}
