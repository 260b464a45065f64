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

use crate::io::Input;
use crate::log::rfc3339;
use crate::s3;
use anyhow::Context;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::primitives::DateTimeFormat;
use serde_json::{json, Map, Value};
use sluice_engine::{InspectOptions, Inspection, Inspector, Problem};
use std::io::Write;
use std::path::Path;

/// How much compressed input is decompressed at a time: deflate expands
/// at most about 1,000-fold, so one piece yields at most ~8 MiB.
const GZIP_PIECE_BYTES: usize = 8 << 10;

/// The document for `s3://bucket/key`: a HEAD, then (with `scan`) a GET.
pub async fn s3_document(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    options: &InspectOptions,
    scan: bool,
) -> anyhow::Result<(Value, Option<Inspection>)> {
    let head = s3::head(client, bucket, key).await?;
    let object = s3_facts(bucket, key, &head);
    if !scan {
        return Ok((document(object, None), None));
    }
    let gzip = is_gzip(key, head.content_encoding());
    let mut input = Input::S3(s3::Reader::open(client, bucket, key).await?);
    let inspection = read(&mut input, gzip, options).await?;
    let csv = csv_facts(&inspection, gzip);
    Ok((document(object, Some(csv)), Some(inspection)))
}

/// The document for a local file, or stdin for `None`.
pub async fn file_document(
    path: Option<&Path>,
    options: &InspectOptions,
    scan: bool,
) -> anyhow::Result<(Value, Option<Inspection>)> {
    let object = match path {
        Some(p) => file_facts(p)?,
        None => json!({"path": "-"}),
    };
    if !scan {
        return Ok((document(object, None), None));
    }
    let gzip = path.is_some_and(|p| is_gzip(&p.to_string_lossy(), None));
    let mut input = Input::open(path)?;
    let inspection = read(&mut input, gzip, options).await?;
    let csv = csv_facts(&inspection, gzip);
    Ok((document(object, Some(csv)), Some(inspection)))
}

fn document(object: Value, csv: Option<Value>) -> Value {
    json!({"object": object, "csv": csv})
}

/// Gzip when the name ends with `.gz` or the object says it is encoded so.
pub fn is_gzip(name: &str, content_encoding: Option<&str>) -> bool {
    name.ends_with(".gz")
        || content_encoding.is_some_and(|e| {
            e.split(',')
                .any(|part| part.trim().eq_ignore_ascii_case("gzip"))
        })
}

/// Streams `input` through an [`Inspector`], decompressing gzip on the
/// way; stops reading once the input is known not to be CSV.
pub async fn read(
    input: &mut Input,
    gzip: bool,
    options: &InspectOptions,
) -> anyhow::Result<Inspection> {
    let mut inspector = Inspector::new(options.clone());
    let mut gunzip = gzip.then(Gunzip::new);
    let mut chunk = Vec::with_capacity(crate::io::CHUNK_BYTES);
    while inspector.wants_more() {
        input.read_chunk(&mut chunk).await?;
        if chunk.is_empty() {
            break;
        }
        match &mut gunzip {
            Some(g) => {
                if let Err(problem) = g.feed(&chunk, &mut inspector) {
                    return Ok(with_problem(inspector.finish(), problem));
                }
            }
            None => inspector.feed(&chunk),
        }
    }
    let done = inspector.wants_more();
    if let (Some(g), true) = (&mut gunzip, done) {
        if let Err(problem) = g.finish(&mut inspector) {
            return Ok(with_problem(inspector.finish(), problem));
        }
    }
    Ok(inspector.finish())
}

fn with_problem(mut inspection: Inspection, problem: Problem) -> Inspection {
    inspection.problem.get_or_insert(problem);
    inspection
}

/// A streaming gzip decoder (concatenated members too) feeding an
/// inspector piece by piece, so memory stays bounded.
struct Gunzip {
    decoder: flate2::write::MultiGzDecoder<Vec<u8>>,
    /// Compressed bytes taken so far.
    offset: u64,
}

impl Gunzip {
    fn new() -> Self {
        Gunzip {
            decoder: flate2::write::MultiGzDecoder::new(Vec::new()),
            offset: 0,
        }
    }

    fn feed(&mut self, compressed: &[u8], inspector: &mut Inspector) -> Result<(), Problem> {
        for piece in compressed.chunks(GZIP_PIECE_BYTES) {
            let result = self.decoder.write_all(piece);
            self.drain(inspector);
            result.map_err(|e| self.problem(e))?;
            self.offset += piece.len() as u64;
        }
        Ok(())
    }

    fn finish(&mut self, inspector: &mut Inspector) -> Result<(), Problem> {
        let result = self.decoder.try_finish();
        self.drain(inspector);
        result.map_err(|e| self.problem(e))
    }

    fn drain(&mut self, inspector: &mut Inspector) {
        let out = self.decoder.get_mut();
        inspector.feed(out);
        out.clear();
    }

    fn problem(&self, e: std::io::Error) -> Problem {
        Problem {
            offset: None,
            line: None,
            message: format!(
                "not valid gzip data (near compressed byte {}): {e}",
                self.offset
            ),
        }
    }
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
pub fn csv_facts(i: &Inspection, gzip: bool) -> Value {
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
        "compression": gzip.then_some("gzip"),
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
    fn gzip_is_told_by_name_or_encoding() {
        assert!(is_gzip("in/a.csv.gz", None));
        assert!(is_gzip("in/a.csv", Some("gzip")));
        assert!(is_gzip("in/a.csv", Some("aws-chunked, GZIP")));
        assert!(!is_gzip("in/a.csv", Some("identity")));
        assert!(!is_gzip("in/a.gzip.csv", None));
    }

    #[test]
    fn csv_facts_name_every_field() {
        let mut inspector = Inspector::new(InspectOptions::default());
        inspector.feed(b"a\tb\n1\tx\n2\t\n");
        let v = csv_facts(&inspector.finish(), false);
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
