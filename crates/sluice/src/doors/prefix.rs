//! Prefix runs: every object already under an S3 prefix (or every file
//! under a folder) that has the suffix, N at a time. S3 objects go through
//! the same per-object path as events ([`Processor::handle`]: routing,
//! result names, commit, and the manifest check that skips an object
//! already processed from the same version with the same options), so a
//! run that stops halfway picks up where it stopped when run again.
//! Folders go through the folder watcher's naming.
//!
//! The listing is one pass, 1,000 keys a page, kept in memory as the keys
//! that have the suffix (about 200 bytes each) so progress can show a total.

use super::events::{ObjectEvent, EXISTING};
use super::object::{Outcome, Processor, Tally};
use super::overflow::Budget;
use super::route::{has_suffix, Route};
use super::watch;
use crate::adapters::s3;
use crate::cli::PrefixArgs;
use crate::jobs::{load::Table, Clients, JobSpec};
use crate::pipeline::decode::Compression;
use crate::pipeline::location::Location;
use futures_util::stream::{self, StreamExt};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// What a prefix run names as its input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `s3://bucket/prefix/`.
    S3 { bucket: String, prefix: String },
    /// A local folder.
    Folder(PathBuf),
}

impl Source {
    /// The prefix run an input names: an S3 URL ending with `/` (or a bare
    /// bucket), or an existing folder; None for a single object or file.
    pub fn of(input: Option<&str>) -> Option<Source> {
        let input = input?;
        if let Some(rest) = input.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let is_prefix = prefix.is_empty() || prefix.ends_with('/');
            return (is_prefix && !bucket.is_empty()).then(|| Source::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
            });
        }
        let path = Path::new(input);
        path.is_dir().then(|| Source::Folder(path.to_path_buf()))
    }
}

/// What became of the objects of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Objects found with the suffix.
    pub total: usize,
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
}

impl Counts {
    /// `500 objects: 498 done, 0 skipped, 2 failed`.
    pub fn line(&self) -> String {
        format!(
            "{} objects: {} done, {} skipped, {} failed",
            self.total, self.done, self.skipped, self.failed
        )
    }

    /// An error when any object failed (the log has each).
    pub fn check(&self, what: &str) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.failed == 0,
            "{what}: {} of {} objects failed; the log has each error",
            self.failed,
            self.total
        );
        Ok(())
    }
}

/// A prefix run from the command line: `source` to `output` (an S3
/// prefix to an S3 prefix, a folder to a folder); what was read and what
/// became of its objects come back for [`summarize`].
pub async fn command(
    spec: JobSpec,
    source: Source,
    output: &str,
    opts: &PrefixArgs,
    compress: Option<Option<Compression>>,
    table: Option<Table>,
) -> anyhow::Result<(String, Counts)> {
    let parallel = usize::from(opts.parallel);
    let (input, counts) = match (source, Location::parse(output)?) {
        (Source::S3 { bucket, prefix }, Location::S3 { bucket: dest, key }) => {
            let dest_prefix = as_prefix(key);
            let route = Route {
                dest_bucket: dest,
                rejects_prefix: format!("{dest_prefix}_rejects/"),
                dest_prefix,
                source_prefix: prefix.clone(),
                suffix: opts.suffix.clone(),
            };
            route.check(Some(&bucket))?;
            let s3 = Some(s3::client(&s3::aws_config().await));
            let metrics = crate::metrics::Metrics {
                namespace: crate::metrics::DEFAULT_NAMESPACE.to_string(),
                service: "sluice-cli".to_string(),
                job: spec.name().to_string(),
            };
            let processor = Processor {
                metrics,
                clients: Clients { s3, table },
                route,
                spec,
                compress,
                overflow: None,
                min_mb_per_sec: 5.0,
                log_values: false,
                force: opts.force,
            };
            let counts = run_s3(&processor, &bucket, &prefix, parallel).await?;
            (s3::url(&bucket, &prefix), counts)
        }
        (Source::Folder(dir), Location::Path(out)) => {
            let clients = Clients { s3: None, table };
            let suffix = &opts.suffix;
            let counts =
                run_folder(&spec, &clients, &dir, &out, suffix, compress, parallel).await?;
            (dir.display().to_string(), counts)
        }
        _ => anyhow::bail!(
            "{output}: a prefix run goes from s3://bucket/prefix/ to s3://bucket/prefix/, \
             or from a folder to a folder"
        ),
    };
    Ok((input, counts))
}

/// The final summary on stderr (unless `quiet`); an error when any
/// object failed, so the exit status says so.
pub fn summarize(job: &str, quiet: bool, (input, counts): (String, Counts)) -> anyhow::Result<()> {
    if !quiet {
        eprintln!("sluice {job}: {input}: {}", counts.line());
    }
    counts.check(&input)
}

/// A key prefix that ends with `/` (or is empty).
fn as_prefix(key: String) -> String {
    if key.is_empty() || key.ends_with('/') {
        key
    } else {
        format!("{key}/")
    }
}

/// Objects processed at a time in a prefix run a queue message asks for,
/// unless the message says otherwise.
const MESSAGE_PARALLEL: usize = 8;

/// Runs the prefix a queue message names — `{"prefix":
/// "s3://bucket/prefix/", "parallel": 8}` — or None when the message is
/// not such a request. Failures leave the message in the queue; when it
/// returns, the objects already done are skipped by their manifests.
pub async fn from_message(processor: &Processor, body: &str) -> Option<Tally> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let url = value.get("prefix")?.as_str()?;
    let parallel = value.get("parallel").and_then(serde_json::Value::as_u64);
    let parallel = parallel.map_or(MESSAGE_PARALLEL, |n| n.clamp(1, 256) as usize);
    let mut tally = Tally::default();
    let Some(Source::S3 { bucket, prefix }) = Source::of(Some(url)) else {
        crate::log::error(
            "a prefix message whose prefix is not s3://bucket/prefix/",
            json!({"prefix": url}),
        );
        tally.failed += 1;
        return Some(tally);
    };
    match run_s3(processor, &bucket, &prefix, parallel).await {
        Ok(c) => (tally.processed, tally.skipped, tally.failed) = (c.done, c.skipped, c.failed),
        Err(e) => {
            crate::log::error(
                "prefix run failed",
                json!({"prefix": url, "error": format!("{e:#}")}),
            );
            tally.failed += 1;
        }
    }
    Some(tally)
}

/// Runs the processor over every object under `bucket/prefix` with its
/// route's suffix, `parallel` at a time.
pub async fn run_s3(
    processor: &Processor,
    bucket: &str,
    prefix: &str,
    parallel: usize,
) -> anyhow::Result<Counts> {
    let client = processor
        .clients
        .s3
        .as_ref()
        .expect("a prefix run has an S3 client");
    let suffix = &processor.route.suffix;
    let listed = s3::list(client, bucket, prefix, |key| has_suffix(key, suffix)).await?;
    crate::log::info(
        "prefix run",
        json!({"bucket": bucket, "prefix": prefix, "objects": listed.len(),
               "parallel": parallel, "force": processor.force}),
    );
    let mut counts = Counts {
        total: listed.len(),
        ..Counts::default()
    };
    // No deadline outside Lambda: every object fits.
    let budget = Budget::new(None, processor.min_mb_per_sec);
    let (budget, context) = (&budget, &json!({"run": "prefix"}));
    let outcomes = stream::iter(listed)
        .map(|o| async move {
            let event = ObjectEvent {
                bucket: bucket.to_string(),
                key: o.key,
                name: EXISTING.to_string(),
                etag: o.etag,
                version: None,
                time: None,
                size: o.size,
                sequencer: None,
            };
            processor.handle(&event, context, budget).await
        })
        .buffer_unordered(parallel.max(1));
    let progress = Progress::new();
    futures_util::pin_mut!(outcomes);
    while let Some(outcome) = outcomes.next().await {
        match outcome {
            Ok(Outcome::Done(_)) => counts.done += 1,
            Ok(Outcome::Skipped(_) | Outcome::Forwarded(_) | Outcome::Superseded(_)) => {
                counts.skipped += 1
            }
            Err(_) => counts.failed += 1,
        }
        progress.show(&counts);
    }
    progress.finish();
    Ok(counts)
}

/// Runs `spec` over every file under `dir` with `suffix`, naming outputs
/// under `out` as the folder watcher does.
pub async fn run_folder(
    spec: &JobSpec,
    clients: &Clients,
    dir: &Path,
    out: &Path,
    suffix: &str,
    compress: Option<Option<Compression>>,
    parallel: usize,
) -> anyhow::Result<Counts> {
    std::fs::create_dir_all(out).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    let (dir, out) = (std::fs::canonicalize(dir)?, std::fs::canonicalize(out)?);
    anyhow::ensure!(
        out != dir,
        "{}: the output folder is the input folder",
        out.display()
    );
    let mut files = Vec::new();
    watch::scan(&dir, &out, suffix, &mut files)?;
    files.sort();
    let mut counts = Counts {
        total: files.len(),
        ..Counts::default()
    };
    let (dir, out) = (&dir, &out);
    let outcomes = stream::iter(files)
        .map(|(path, _)| async move {
            let rel = path
                .strip_prefix(dir)
                .expect("scanned files are inside the folder");
            // A name no output namespace can hold is refused, not processed.
            let plan = watch::plan(spec, rel, out, suffix, compress, false)
                .map_err(|why| anyhow::anyhow!("{}: {why}", path.display()))?;
            watch::process(&path, &plan, spec, clients).await
        })
        .buffer_unordered(parallel.max(1));
    let progress = Progress::new();
    futures_util::pin_mut!(outcomes);
    while let Some(outcome) = outcomes.next().await {
        match outcome {
            Ok(()) => counts.done += 1,
            Err(_) => counts.failed += 1,
        }
        progress.show(&counts);
    }
    progress.finish();
    Ok(counts)
}

/// The progress line: redrawn in place on stderr when it is a terminal,
/// nothing otherwise (the log has each object). Kept to two calls so a
/// richer progress bar can replace it.
struct Progress {
    tty: bool,
}

impl Progress {
    fn new() -> Self {
        Progress {
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, c: &Counts) {
        if self.tty {
            let n = c.done + c.skipped + c.failed;
            eprint!(
                "\r\x1b[K{n}/{} objects: {} done, {} skipped, {} failed",
                c.total, c.done, c.skipped, c.failed
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self) {
        if self.tty {
            eprint!("\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_names_a_prefix_run_when_it_ends_with_a_slash_or_is_a_folder() {
        let s3 = |b: &str, p: &str| {
            Some(Source::S3 {
                bucket: b.into(),
                prefix: p.into(),
            })
        };
        assert_eq!(Source::of(Some("s3://in/exports/")), s3("in", "exports/"));
        assert_eq!(Source::of(Some("s3://in")), s3("in", ""));
        assert_eq!(Source::of(Some("s3://in/")), s3("in", ""));
        assert_eq!(Source::of(Some("s3://in/a.csv")), None);
        assert_eq!(Source::of(Some("-")), None);
        assert_eq!(Source::of(None), None);
        let here = env!("CARGO_MANIFEST_DIR");
        assert_eq!(Source::of(Some(here)), Some(Source::Folder(here.into())));
        assert_eq!(Source::of(Some("Cargo.toml.missing")), None);
    }

    #[test]
    fn the_summary_counts_and_fails_on_any_failure() {
        let c = Counts {
            total: 3,
            done: 1,
            skipped: 1,
            failed: 1,
        };
        assert_eq!(c.line(), "3 objects: 1 done, 1 skipped, 1 failed");
        assert!(c
            .check("s3://in/p/")
            .unwrap_err()
            .to_string()
            .contains("1 of 3"));
        assert!(Counts::default().check("x").is_ok());
    }
}
