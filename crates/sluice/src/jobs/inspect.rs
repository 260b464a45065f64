//! The `inspect` job around the engine's [`Inspector`]: the object's facts
//! (one HEAD request for S3, the file's metadata for a path), one streaming
//! pass for the CSV facts — gzip decompressed on the way, in bounded memory
//! — and the JSON document that holds both:
//!
//! ```json
//! {"object": {"url": "s3://b/k", "size": 1234, ...}, "csv": {"rows": 5, ...}}
//! ```
//!
//! `csv` is `null` when the scan is skipped (`--no-scan`).

use super::{Clients, Done, Plan};
use crate::adapters::s3;
use crate::pipeline::commit::{Commit, Output, OutputOptions};
use crate::pipeline::decode::{Compression, DecodeError};
use crate::pipeline::location::Location;
use crate::pipeline::read::{Facts, Input};
use crate::pipeline::Summary;
use crate::time::rfc3339;
use anyhow::Context;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::primitives::DateTimeFormat;
use serde_json::{json, Map, Value};
use sluice_engine::{Counts, InspectOptions, Inspection, Inspector, Problem};
use std::path::Path;
use std::time::Instant;

/// The inspect job on `input` (opened from `at`): its document, written
/// to the plan's result when there is one.
pub async fn run(
    options: &InspectOptions,
    clients: &Clients,
    at: &Location,
    input: &mut Input,
    plan: &Plan,
) -> anyhow::Result<Done> {
    let started = Instant::now();
    let object = object_facts(clients, at, input.facts.version.as_deref()).await?;
    let inspection = read(input, options).await?;
    let csv = csv_facts(&inspection, input.facts.compression);
    let document = json!({"object": object, "csv": csv});
    let counts = Counts {
        rows: inspection.rows,
        ..Counts::default()
    };
    let summary = Summary {
        counts,
        bytes_in: inspection.bytes,
        seconds: started.elapsed().as_secs_f64(),
        ..Summary::default()
    };
    let mut done = publish(document, clients, plan, summary).await?;
    done.input = input.facts.clone();
    Ok(done)
}

/// The document without a scan: the file's or object's facts only.
pub async fn facts_only(clients: &Clients, at: &Location, plan: &Plan) -> anyhow::Result<Done> {
    let object = object_facts(clients, at, plan.source_version.as_deref()).await?;
    let document = json!({"object": object, "csv": null});
    publish(document, clients, plan, Summary::default()).await
}

/// Writes the document to the plan's result, when it has one, through
/// the commit path (the source's ETag and version as metadata).
async fn publish(
    document: Value,
    clients: &Clients,
    plan: &Plan,
    summary: Summary,
) -> anyhow::Result<Done> {
    let mut body = serde_json::to_vec_pretty(&document)?;
    body.push(b'\n');
    let logged = if plan.log_values {
        document.clone()
    } else {
        without_values(document.clone())
    };
    let mut done = Done {
        extra: json!({ "inspection": logged }),
        document: Some(document),
        summary,
        ..Done::default()
    };
    let Some(at) = &plan.result else {
        return Ok(done);
    };
    let object = &done.extra["inspection"]["object"];
    let mut metadata = plan.metadata.clone();
    let read = Facts {
        etag: object["etag"].as_str().map(str::to_string),
        version: object["version_id"].as_str().map(str::to_string),
        ..Facts::default()
    };
    for (key, field) in [
        ("sluice-source-etag", "etag"),
        ("sluice-source-version", "version_id"),
    ] {
        if let Some(v) = object[field].as_str() {
            metadata.insert(key.into(), v.into());
        }
    }
    let options = OutputOptions {
        metadata,
        json: true,
        role: "document",
        ..OutputOptions::default()
    };
    let mut output = Output::create(at, clients.s3.as_ref(), options)?;
    if let Err(e) = output.write(&body).await {
        output.abort().await;
        return Err(e);
    }
    let mut commit = Commit::new(plan.ledger.clone());
    if let Err(e) = commit.stage(output).await {
        commit.abort().await;
        return Err(e);
    }
    done.summary.bytes_out = body.len() as u64;
    commit.publish(&done.summary, &read).await?;
    done.output = at.to_string();
    Ok(done)
}

/// The document without cell values (each column's min and max), for a
/// log line: counts and facts say what the input is without copying a
/// customer's data into the logs.
fn without_values(mut document: Value) -> Value {
    let columns = document["csv"]["columns"].as_array_mut();
    for column in columns.into_iter().flatten() {
        if let Some(c) = column.as_object_mut() {
            c.remove("min");
            c.remove("max");
        }
    }
    document
}

/// What is known of the input without reading it: a HEAD for an object,
/// the metadata of a file.
/// An S3 object's HEAD is pinned to `version`: the one the read took.
async fn object_facts(
    clients: &Clients,
    at: &Location,
    version: Option<&str>,
) -> anyhow::Result<Value> {
    match at {
        Location::Std => Ok(json!({"path": "-"})),
        Location::Path(p) => file_facts(p),
        Location::S3 { bucket, key } => {
            anyhow::ensure!(!key.is_empty(), "{at}: an object needs a key");
            let client = clients
                .s3
                .as_ref()
                .context("an S3 client for S3 locations")?;
            let head = s3::head(client, bucket, key, version).await?;
            Ok(s3_facts(bucket, key, &head))
        }
    }
}

/// Streams `input` through an [`Inspector`]; stops reading once the
/// input is known not to be CSV. A damaged compressed stream is a problem
/// the document names, not an error.
pub async fn read(input: &mut Input, options: &InspectOptions) -> anyhow::Result<Inspection> {
    let mut inspector = Inspector::new(options.clone());
    let mut chunk = Vec::new();
    while inspector.wants_more() {
        if let Err(e) = input.read_chunk(&mut chunk).await {
            let Some(bad) = e.chain().find_map(|c| c.downcast_ref::<DecodeError>()) else {
                return Err(e);
            };
            let mut inspection = inspector.finish();
            inspection.problem.get_or_insert(Problem {
                offset: None,
                line: None,
                message: bad.to_string(),
            });
            return Ok(inspection);
        }
        if chunk.is_empty() {
            break;
        }
        inspector.feed(&chunk);
    }
    Ok(inspector.finish())
}

/// The object's facts from its HEAD answer.
pub fn s3_facts(bucket: &str, key: &str, head: &HeadObjectOutput) -> Value {
    let metadata: Map<String, Value> = head
        .metadata()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    let mut metadata: Vec<_> = metadata.into_iter().collect();
    metadata.sort_by(|a, b| a.0.cmp(&b.0));
    json!({
        "url": s3::url(bucket, key),
        "bucket": bucket,
        "key": key,
        "size": head.content_length(),
        "content_type": head.content_type(),
        "content_encoding": head.content_encoding(),
        "last_modified": head.last_modified().and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
        "etag": head.e_tag().map(|t| t.trim_matches('"')),
        "version_id": head.version_id(),
        // S3 leaves the header out for the default class.
        "storage_class": head.storage_class().map_or("STANDARD", |c| c.as_str()),
        "metadata": Map::from_iter(metadata),
        "checksum": checksums(head),
    })
}

/// The checksums the object carries, by algorithm; `null` without any.
fn checksums(head: &HeadObjectOutput) -> Value {
    let all = [
        ("crc32", head.checksum_crc32()),
        ("crc32c", head.checksum_crc32_c()),
        ("crc64nvme", head.checksum_crc64_nvme()),
        ("sha1", head.checksum_sha1()),
        ("sha256", head.checksum_sha256()),
    ];
    let found: Map<String, Value> = all
        .into_iter()
        .filter_map(|(name, v)| Some((name.to_string(), v?.into())))
        .collect();
    if found.is_empty() {
        Value::Null
    } else {
        Value::Object(found)
    }
}

/// A local file's facts: path, size, last modified.
pub fn file_facts(path: &Path) -> anyhow::Result<Value> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("{}: cannot read", path.display()))?;
    anyhow::ensure!(
        !meta.is_dir(),
        "{}: is a folder, not a file",
        path.display()
    );
    Ok(json!({
        "path": path.display().to_string(),
        "size": meta.len(),
        "last_modified": meta.modified().ok().map(rfc3339),
    }))
}

/// The CSV facts as JSON.
pub fn csv_facts(i: &Inspection, compression: Option<Compression>) -> Value {
    let columns: Vec<Value> = i
        .columns
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let (min, max) = c.bounds.clone().unzip();
            json!({"index": n + 1, "name": c.name, "non_empty": c.non_empty,
                   "numeric": c.numeric, "min": min, "max": max})
        })
        .collect();
    let field_counts: Map<String, Value> = i
        .field_counts
        .iter()
        .map(|(fields, rows)| (fields.to_string(), (*rows).into()))
        .collect();
    let problem = i
        .problem
        .as_ref()
        .map(|p| json!({"message": p.message, "offset": p.offset, "line": p.line}));
    json!({
        "is_csv": i.problem.is_none(),
        "problem": problem,
        "compression": compression.map(Compression::name),
        "bytes": i.bytes,
        "byte_order_mark": i.bom.map(|b| b.name()),
        "delimiter": (i.delimiter as char).to_string(),
        "line_ending": i.line_ending.map(|l| l.name()),
        "header": i.header,
        "rows": i.rows,
        "field_counts": field_counts,
        "columns": columns,
        "columns_truncated": i.columns_truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_facts_name_every_field() {
        let mut inspector = Inspector::new(InspectOptions::default());
        inspector.feed(b"a\tb\n1\tx\n2\t\n");
        let v = csv_facts(&inspector.finish(), None);
        assert_eq!(v["delimiter"], "\t");
        assert_eq!(v["field_counts"], json!({"2": 2}));
        assert_eq!(
            v["columns"][0],
            json!({"index": 1, "name": "a", "non_empty": 2, "numeric": true, "min": "1", "max": "2"})
        );
        assert_eq!(v["columns"][1]["min"], Value::Null);
        assert_eq!(
            (v["is_csv"].clone(), v["problem"].clone()),
            (json!(true), Value::Null)
        );
    }
}
