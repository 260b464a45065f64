//! S3 objects read as streams, pinned to one version: the version an event
//! names, or else the one the first response returned. A connection that
//! drops mid-body is resumed with a ranged GET from the byte it reached,
//! pinned by `versionId` (or by `If-Match` on the ETag where the bucket
//! keeps no versions), so a resumed read never mixes two versions: an
//! object replaced meanwhile fails the read instead.

use super::{describe, url};
use crate::adapters::retry::{aws_error, AwsError, Retry};
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

/// How many times one read resumes after a dropped connection.
const MAX_RESUMES: u32 = 5;

/// An object being read.
pub struct Reader {
    client: Client,
    bucket: String,
    key: String,
    body: ByteStream,
    /// Bytes of the body delivered so far.
    offset: u64,
    /// Resumes so far.
    pub resumes: u32,
    /// `s3://bucket/key`.
    pub name: String,
    pub etag: Option<String>,
    pub version: Option<String>,
    pub last_modified: Option<std::time::SystemTime>,
    /// The object's `Content-Encoding`, when it has one.
    pub content_encoding: Option<String>,
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
        let resp = get(client, bucket, key, version, None, 0)
            .await
            .map_err(|e| e.context(format!("{name}: cannot read")))?;
        Ok(Reader {
            client: client.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            offset: 0,
            resumes: 0,
            etag: resp.e_tag().map(|t| t.trim_matches('"').to_string()),
            version: resp.version_id().map(str::to_string),
            last_modified: resp
                .last_modified()
                .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
            content_encoding: resp.content_encoding().map(str::to_string),
            body: resp.body,
            name,
        })
    }

    /// Appends the next piece of the body to `buf`; false at the end. A
    /// dropped connection is resumed where it stopped.
    pub async fn read_into(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<bool> {
        loop {
            match self.body.next().await {
                Some(Ok(bytes)) => {
                    self.offset += bytes.len() as u64;
                    buf.extend_from_slice(&bytes);
                    return Ok(true);
                }
                None => return Ok(false),
                Some(Err(e)) if self.resumes < MAX_RESUMES => self.resume(&e.to_string()).await?,
                Some(Err(e)) => {
                    let context =
                        format!("{}: read failed after {} resumes", self.name, self.resumes);
                    return Err(anyhow::Error::new(e).context(context));
                }
            }
        }
    }

    /// Reopens the body at the byte reached, pinned to the version read.
    async fn resume(&mut self, why: &str) -> anyhow::Result<()> {
        self.resumes += 1;
        crate::log::warn(
            "connection dropped mid-object; resuming where it stopped",
            serde_json::json!({"object": self.name, "offset": self.offset,
                               "resume": self.resumes, "error": why}),
        );
        // Without a version, the ETag pins the read: a replaced object
        // answers 412 rather than the new bytes.
        let etag = self
            .version
            .is_none()
            .then_some(self.etag.as_deref())
            .flatten();
        let (client, bucket, key) = (&self.client, &self.bucket, &self.key);
        let resp = get(
            client,
            bucket,
            key,
            self.version.as_deref(),
            etag,
            self.offset,
        )
        .await
        .map_err(|e| {
            e.context(format!(
                "{}: cannot resume at byte {}",
                self.name, self.offset
            ))
        })?;
        self.body = resp.body;
        Ok(())
    }
}

/// One GET of `bucket/key` from byte `from`, pinned by `version` or
/// `if_match`; errors described by their S3 code and classified.
async fn get(
    client: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    if_match: Option<&str>,
    from: u64,
) -> anyhow::Result<GetObjectOutput> {
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .set_if_match(if_match.map(|t| format!("\"{t}\"")))
        .set_range((from > 0).then(|| format!("bytes={from}-")))
        .send()
        .await
        .map_err(|e| {
            let permanent = |message: &str| AwsError {
                message: message.to_string(),
                retry: Retry::Permanent,
            };
            anyhow::Error::new(match e.as_service_error() {
                Some(s) if s.is_no_such_key() => {
                    permanent("no such object (deleted before it was processed?)")
                }
                _ if describe(&e).starts_with("PreconditionFailed") => permanent(
                    "the object was replaced while it was read; its new version has an event of its own",
                ),
                _ => aws_error("GET", &e),
            })
        })
}
