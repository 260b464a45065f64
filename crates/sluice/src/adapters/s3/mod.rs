//! S3: the client, objects read ([`Reader`]) and written ([`Writer`]),
//! and the single requests (HEAD, GET of a small object, DELETE). Errors name the object
//! as `s3://bucket/key` with the service's code and message.

mod read;
mod transfer;
mod write;

pub use read::Reader;
pub use transfer::{configure, transfer, Transfer, RANGE_BYTES};
pub use write::{put, Published, PutRequest, Staged, Writer};

use anyhow::anyhow;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::Client;

/// Loads the usual AWS configuration chain: environment, profile,
/// container or instance credentials; region; `AWS_ENDPOINT_URL`.
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_from_env().await
}

/// Builds the S3 client. With a custom endpoint, path-style addressing is
/// used, as local S3-compatible servers expect.
pub fn client(shared: &aws_config::SdkConfig) -> Client {
    let path_style = std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let config = aws_sdk_s3::config::Builder::from(shared)
        .force_path_style(path_style)
        .build();
    Client::from_conf(config)
}

/// `s3://bucket/key`, for messages.
pub fn url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

/// Describes an SDK error by its service code and message.
pub fn describe<E: ProvideErrorMetadata + std::fmt::Debug, R>(err: &SdkError<E, R>) -> String {
    match err {
        SdkError::ServiceError(e) => {
            let e = e.err();
            match (e.code(), e.message()) {
                (Some(code), Some(msg)) => format!("{code}: {msg}"),
                (Some(code), None) => code.to_string(),
                _ => format!("{e:?}"),
            }
        }
        other => format!("{other}"),
    }
}

/// The object's metadata, from one HEAD request (checksums included when
/// the object has them).
pub async fn head(
    client: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> anyhow::Result<aws_sdk_s3::operation::head_object::HeadObjectOutput> {
    client
        .head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .map_err(|e| {
            let context = format!("{}: cannot read its metadata", url(bucket, key));
            match e.as_service_error() {
                Some(s) if s.is_not_found() => anyhow!("{context}: no such object"),
                _ => super::retry::aws_error(context, &e).into(),
            }
        })
}

/// Removes an object if it exists (a rejects object left by an earlier run
/// of a source that now has none).
pub async fn remove(client: &Client, bucket: &str, key: &str) -> anyhow::Result<()> {
    client
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| anyhow!("{}: cannot delete: {}", url(bucket, key), describe(&e)))
}

/// A small object whole (a manifest) and its ETag; `None` when there is
/// no such object. A body cut short is read again (up to 3 times): the
/// SDK retries requests, not bodies already under way.
pub async fn get_small(
    client: &Client,
    bucket: &str,
    key: &str,
) -> anyhow::Result<Option<(Vec<u8>, Option<String>)>> {
    let mut attempt = 1;
    loop {
        let resp = match client.get_object().bucket(bucket).key(key).send().await {
            Ok(resp) => resp,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => {
                let context = format!("{}: cannot read", url(bucket, key));
                return Err(super::retry::aws_error(context, &e).into());
            }
        };
        let etag = resp.e_tag().map(|t| t.trim_matches('"').to_string());
        match resp.body.collect().await {
            Ok(body) => return Ok(Some((body.into_bytes().to_vec(), etag))),
            Err(e) if attempt == 3 => anyhow::bail!("{}: cannot read: {e}", url(bucket, key)),
            Err(_) => attempt += 1,
        }
    }
}

/// The current ETag of an object, `None` when there is none.
pub async fn etag_of(client: &Client, bucket: &str, key: &str) -> anyhow::Result<Option<String>> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(h) => Ok(h.e_tag().map(|t| t.trim_matches('"').to_string())),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
        Err(e) => {
            let context = format!("{}: cannot read its metadata", url(bucket, key));
            Err(super::retry::aws_error(context, &e).into())
        }
    }
}

/// What a write requires of the object it replaces: S3 refuses the write
/// (412) when the object changed since it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// The object is still the one with this ETag.
    Match(String),
    /// There is no object yet.
    NoneMatch,
}

impl Condition {
    /// The condition for replacing what has `etag` now (`None`: nothing).
    pub fn replacing(etag: Option<String>) -> Self {
        etag.map_or(Condition::NoneMatch, Condition::Match)
    }

    fn headers(&self) -> (Option<String>, Option<String>) {
        match self {
            Condition::Match(etag) => (Some(format!("\"{etag}\"")), None),
            Condition::NoneMatch => (None, Some("*".to_string())),
        }
    }
}

/// True when S3 refused a conditional write because the object changed
/// (412 Precondition Failed, 409 ConditionalRequestConflict) or vanished
/// (404 under If-Match).
pub fn is_conflict<E>(err: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> bool {
    err.raw_response()
        .is_some_and(|r| matches!(r.status().as_u16(), 404 | 409 | 412))
}

/// One object a listing found.
#[derive(Clone, Debug)]
pub struct Listed {
    pub key: String,
    /// Without quotes, as notifications carry it.
    pub etag: Option<String>,
    pub size: Option<u64>,
}

/// Every object under `prefix` for which `keep` holds, in key order: one
/// listing pass, 1,000 keys a page.
pub async fn list(
    client: &Client,
    bucket: &str,
    prefix: &str,
    keep: impl Fn(&str) -> bool,
) -> anyhow::Result<Vec<Listed>> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            super::retry::aws_error(format!("{}: cannot list", url(bucket, prefix)), &e)
        })?;
        for object in page.contents() {
            let Some(key) = object.key().filter(|k| keep(k)) else {
                continue;
            };
            found.push(Listed {
                key: key.to_string(),
                etag: object.e_tag().map(|t| t.trim_matches('"').to_string()),
                size: object.size().and_then(|s| u64::try_from(s).ok()),
            });
        }
    }
    Ok(found)
}
