//! ListObjectsV2 over a bucket's folder.

use crate::http::{escape, iso_date, Request, Response};
use crate::store::{etag, mtime_secs};
use std::fs;
use std::io;
use std::path::Path;

/// ListObjectsV2: keys under `prefix` after the continuation token, in
/// order, 1,000 (or `max-keys`) at a time; `delimiter` folds common prefixes.
pub fn list(root: &Path, req: &Request, bucket: &str) -> io::Result<Response> {
    let root = root.join(bucket);
    if !root.is_dir() {
        return Ok(Response::error(404, "NoSuchBucket", bucket));
    }
    let prefix = req.param("prefix").unwrap_or("");
    let after = req
        .param("continuation-token")
        .or(req.param("start-after"))
        .unwrap_or("");
    let max: usize = req
        .param("max-keys")
        .and_then(|m| m.parse().ok())
        .unwrap_or(1000);
    let mut keys = Vec::new();
    walk(&root, &root, &mut keys)?;
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut contents, mut prefixes, mut last) = (Vec::<String>::new(), Vec::<String>::new(), None);
    let mut listed = keys
        .iter()
        .filter(|(k, _)| k.starts_with(prefix) && k.as_str() > after)
        .peekable();
    while let Some((key, meta)) = listed.next_if(|_| contents.len() + prefixes.len() < max) {
        last = Some(key.clone());
        let folded = req
            .param("delimiter")
            .filter(|d| !d.is_empty())
            .and_then(|d| {
                key[prefix.len()..]
                    .find(d)
                    .map(|at| key[..prefix.len() + at + d.len()].to_string())
            });
        match folded {
            Some(common) if prefixes.last() == Some(&common) => {}
            Some(common) => prefixes.push(common),
            None => contents.push(format!(
                "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>&quot;{}&quot;</ETag>\
                 <Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
                escape(key),
                iso_date(mtime_secs(meta)),
                etag(meta),
                meta.len()
            )),
        }
    }
    let truncated = listed.peek().is_some();
    Ok(Response::new(200).xml(list_xml(
        bucket, prefix, &contents, &prefixes, truncated, last,
    )))
}

fn list_xml(
    bucket: &str,
    prefix: &str,
    contents: &[String],
    prefixes: &[String],
    truncated: bool,
    last: Option<String>,
) -> String {
    let common: String = prefixes
        .iter()
        .map(|p| {
            format!(
                "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                escape(p)
            )
        })
        .collect();
    let next = match (truncated, last) {
        (true, Some(last)) => format!(
            "<NextContinuationToken>{}</NextContinuationToken>",
            escape(&last)
        ),
        _ => String::new(),
    };
    let count = contents.len() + prefixes.len();
    let contents = contents.concat();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult><Name>{}</Name><Prefix>{}</Prefix>\
         <KeyCount>{count}</KeyCount><IsTruncated>{truncated}</IsTruncated>{next}{contents}{common}</ListBucketResult>",
        escape(bucket),
        escape(prefix)
    )
}

/// Every file under `dir`, as a key relative to `root`.
fn walk(root: &Path, dir: &Path, keys: &mut Vec<(String, fs::Metadata)>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_dir() {
            walk(root, &entry.path(), keys)?;
        } else if let Ok(rel) = entry.path().strip_prefix(root) {
            keys.push((rel.to_string_lossy().into_owned(), meta));
        }
    }
    Ok(())
}
