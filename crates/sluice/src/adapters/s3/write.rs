//! S3 objects written all or nothing. Writes buffer one part at a
//! time and go through a multipart upload with as many parts in flight as
//! the process's S3 connections ([`super::Transfer`]), and at least two (as
//! a single stream always had), so memory stays within one part more.
//! Writing ends in [`Writer::stage`]: every part is uploaded (a small
//! output's upload is only started then, with its final metadata), but
//! nothing is visible until [`Staged::publish`] completes the upload; a
//! failure before that aborts it. So a run's outputs are all uploaded
//! before any is published, and a missing bucket or a refused write shows
//! before anything changed.
//! Parts start at 8 MiB and double every 1,000 parts, so any object S3
//! accepts fits under its 10,000-part limit without knowing the size ahead.

use super::{describe, is_conflict, url, Condition};
use crate::adapters::retry::aws_error;
use anyhow::{anyhow, Context};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use std::collections::{HashMap, VecDeque};
use tokio::task::JoinHandle;

// Bodies are sent with an unsigned payload: signing hashes every byte
// with SHA-256 (a sixth of the S3 path's CPU), while the CRC-32 checksum
// the SDK sends with each body, checked by S3, and TLS already guard it.

/// The smallest part; S3 requires 5 MiB for every part but the last.
const FIRST_PART_BYTES: usize = 8 << 20;

/// An object being written; see the module docs.
pub struct Writer {
    client: Client,
    bucket: String,
    key: String,
    metadata: HashMap<String, String>,
    json: bool,
    content_encoding: Option<&'static str>,
    buf: Vec<u8>,
    upload_id: Option<String>,
    next_part: i32,
    in_flight: VecDeque<JoinHandle<anyhow::Result<CompletedPart>>>,
    /// Parts uploading at most while the next one fills.
    parts_in_flight: usize,
    done: Vec<CompletedPart>,
}

impl Writer {
    /// A writer for `bucket/key` with these user metadata; nothing is sent
    /// before the first part fills or the commit.
    pub fn new(
        client: &Client,
        bucket: &str,
        key: &str,
        metadata: HashMap<String, String>,
    ) -> Self {
        Writer {
            client: client.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            metadata,
            json: false,
            content_encoding: None,
            buf: Vec::new(),
            upload_id: None,
            next_part: 1,
            in_flight: VecDeque::new(),
            parts_in_flight: super::transfer().connections.max(2),
            done: Vec::new(),
        }
    }

    /// Makes the object `application/json` (the default is `text/csv`).
    pub fn json(mut self) -> Self {
        self.json = true;
        self
    }

    /// Sets the object's `Content-Encoding` (a compressed result).
    pub fn encoding(mut self, encoding: Option<&'static str>) -> Self {
        self.content_encoding = encoding;
        self
    }

    fn content_type(&self) -> &'static str {
        if self.json {
            "application/json"
        } else {
            "text/csv"
        }
    }

    /// `s3://bucket/key`.
    pub fn name(&self) -> String {
        url(&self.bucket, &self.key)
    }

    fn part_bytes(&self) -> usize {
        FIRST_PART_BYTES << ((self.next_part - 1) / 1000)
    }

    /// Appends bytes, uploading whole parts as they fill.
    pub async fn write(&mut self, mut bytes: &[u8]) -> anyhow::Result<()> {
        while !bytes.is_empty() {
            let room = self.part_bytes() - self.buf.len();
            let n = room.min(bytes.len());
            self.buf.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.buf.len() == self.part_bytes() {
                self.send_part().await?;
            }
        }
        Ok(())
    }

    async fn send_part(&mut self) -> anyhow::Result<()> {
        let upload_id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let resp = self
                    .client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .content_type(self.content_type())
                    .set_content_encoding(self.content_encoding.map(str::to_string))
                    .set_metadata(Some(self.metadata.clone()))
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(format!("{}: cannot start the upload", self.name()), &e)
                    })?;
                let id = resp
                    .upload_id()
                    .context("no upload id in the answer")?
                    .to_string();
                self.upload_id = Some(id.clone());
                id
            }
        };
        let capacity = self.part_bytes();
        let body = std::mem::replace(&mut self.buf, Vec::with_capacity(capacity));
        let number = self.next_part;
        self.next_part += 1;
        let (client, bucket, key, name) = (
            self.client.clone(),
            self.bucket.clone(),
            self.key.clone(),
            self.name(),
        );
        self.in_flight.push_back(tokio::spawn(async move {
            let resp = client
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(body))
                .customize()
                .disable_payload_signing()
                .send()
                .await
                .map_err(|e| aws_error(format!("{name}: part {number} failed"), &e))?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .set_e_tag(resp.e_tag().map(str::to_string))
                .build())
        }));
        while self.in_flight.len() > self.parts_in_flight {
            self.finish_oldest().await?;
        }
        Ok(())
    }

    async fn finish_oldest(&mut self) -> anyhow::Result<()> {
        if let Some(task) = self.in_flight.pop_front() {
            let part = task
                .await
                .map_err(|e| anyhow!("{}: upload task failed: {e}", self.name()))??;
            self.done.push(part);
        }
        Ok(())
    }

    /// Adds user metadata known only at the end (row counts). It reaches
    /// the object when its upload starts at [`Writer::stage`] (an output
    /// of one part); a larger upload's metadata was fixed when it started.
    pub fn add_final_metadata(&mut self, entries: impl IntoIterator<Item = (String, String)>) {
        if self.upload_id.is_none() {
            self.metadata.extend(entries);
        }
    }

    /// Uploads everything written, without making it visible; see the
    /// module docs. An empty output is left for a PUT at publish (an
    /// upload cannot hold an empty part).
    pub async fn stage(mut self) -> anyhow::Result<Staged> {
        let result = self.upload_rest().await;
        if let Err(e) = result {
            self.abort().await;
            return Err(e);
        }
        let upload = self
            .upload_id
            .take()
            .map(|id| (id, std::mem::take(&mut self.done)));
        Ok(Staged {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            upload,
            content_type: self.content_type(),
            content_encoding: self.content_encoding,
            metadata: std::mem::take(&mut self.metadata),
        })
    }

    async fn upload_rest(&mut self) -> anyhow::Result<()> {
        if !self.buf.is_empty() {
            self.send_part().await?;
        }
        while !self.in_flight.is_empty() {
            self.finish_oldest().await?;
        }
        Ok(())
    }

    /// Discards everything written; a started upload is aborted.
    pub async fn abort(mut self) {
        for task in self.in_flight.drain(..) {
            task.abort();
        }
        if let Some(id) = self.upload_id.take() {
            abort_upload(&self.client, &self.bucket, &self.key, id).await;
        }
    }
}

/// An object uploaded but not yet visible.
pub struct Staged {
    client: Client,
    bucket: String,
    key: String,
    /// The upload and its parts; `None` for an empty object.
    upload: Option<(String, Vec<CompletedPart>)>,
    content_type: &'static str,
    content_encoding: Option<&'static str>,
    metadata: HashMap<String, String>,
}

/// What a conditional publish came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Published {
    /// Visible, with this ETag.
    Done(Option<String>),
    /// Refused: the object is not what the condition expected. Nothing
    /// changed; the upload is still there to publish or abort.
    Conflict,
}

impl Staged {
    /// Makes the object visible, whole, if `condition` holds. A failure
    /// leaves the upload for the caller to abort.
    pub async fn publish(&self, condition: Option<&Condition>) -> anyhow::Result<Published> {
        let name = url(&self.bucket, &self.key);
        let (if_match, if_none_match) = condition.map(Condition::headers).unwrap_or_default();
        let Some((id, parts)) = &self.upload else {
            let body = ByteStream::from(Vec::new());
            return put(
                &self.client,
                &self.bucket,
                &self.key,
                body,
                condition,
                |req| {
                    req.content_type(self.content_type)
                        .set_content_encoding(self.content_encoding.map(str::to_string))
                        .set_metadata(Some(self.metadata.clone()))
                },
            )
            .await;
        };
        let result = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(id)
            .set_if_match(if_match)
            .set_if_none_match(if_none_match)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts.clone()))
                    .build(),
            )
            .send()
            .await;
        match result {
            Ok(out) => Ok(Published::Done(out.e_tag().map(unquote))),
            Err(e) if condition.is_some() && is_conflict(&e) => Ok(Published::Conflict),
            Err(e) => Err(aws_error(format!("{name}: cannot complete the upload"), &e).into()),
        }
    }

    /// Where the object goes.
    pub fn bucket_key(&self) -> (&str, &str) {
        (&self.bucket, &self.key)
    }

    /// Discards the upload.
    pub async fn abort(self) {
        if let Some((id, _)) = self.upload {
            abort_upload(&self.client, &self.bucket, &self.key, id).await;
        }
    }
}

pub type PutRequest = aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;

/// One PutObject of a whole (small) body, if `condition` holds; `extra`
/// sets the content type and metadata.
pub async fn put(
    client: &Client,
    bucket: &str,
    key: &str,
    body: ByteStream,
    condition: Option<&Condition>,
    extra: impl FnOnce(PutRequest) -> PutRequest,
) -> anyhow::Result<Published> {
    let (if_match, if_none_match) = condition.map(Condition::headers).unwrap_or_default();
    let request = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .set_if_match(if_match)
        .set_if_none_match(if_none_match)
        .body(body);
    let request = extra(request).customize().disable_payload_signing();
    match request.send().await {
        Ok(out) => Ok(Published::Done(out.e_tag().map(unquote))),
        Err(e) if condition.is_some() && is_conflict(&e) => Ok(Published::Conflict),
        Err(e) => Err(aws_error(format!("{}: cannot write", url(bucket, key)), &e).into()),
    }
}

fn unquote(etag: &str) -> String {
    etag.trim_matches('"').to_string()
}

/// Aborts a multipart upload; a failure is only logged, as the bucket's
/// lifecycle rule removes incomplete uploads in the end.
async fn abort_upload(client: &Client, bucket: &str, key: &str, id: String) {
    let result = client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .send()
        .await;
    if let Err(e) = result {
        crate::log::warn(
            "could not abort a multipart upload; the bucket's lifecycle rule will remove it",
            serde_json::json!({"object": url(bucket, key), "error": describe(&e)}),
        );
    }
}
