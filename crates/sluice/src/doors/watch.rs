//! The embedded default: a local folder watched like a bucket. Files
//! already there are processed, then each new or changed one, with the
//! same jobs as the cloud doors; results go to an output folder under the
//! same relative path, rejected rows under its `_rejects/`. A file is taken
//! once its size and modification time hold still between two scans, so a
//! file still being copied in is not read half-written. A file that
//! vanishes or cannot be read while the folder is scanned is logged and
//! passed over; the watch goes on.

use super::route::{has_suffix, Namespaces};
use crate::cli::WatchArgs;
use crate::jobs::{self, report, Clients, Done, JobKind, JobSpec, Plan};
use crate::log;
use crate::pipeline::decode::Compression;
use crate::pipeline::location::Location;
use crate::pipeline::manifest::{Claim, Ledger, Source};
use anyhow::Context;
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// What identifies a version of a file: size and modification time.
pub(crate) type Stamp = (u64, Option<SystemTime>);

pub async fn run(args: &WatchArgs, spec: &JobSpec, clients: &Clients) -> anyhow::Result<()> {
    let (dir, out) = folders(args)?;
    log::info(
        "watching",
        json!({"folder": dir.display().to_string(), "output": out.display().to_string(), "job": spec.name()}),
    );
    let mut done: HashMap<PathBuf, Stamp> = HashMap::new();
    let mut seen: HashMap<PathBuf, Stamp> = HashMap::new();
    let mut failures = 0;
    loop {
        let mut files = Vec::new();
        scan(&dir, &out, &args.suffix, &mut files)?;
        files.sort();
        let mut now_seen = HashMap::new();
        for (path, stamp) in files {
            now_seen.insert(path.clone(), stamp);
            let settled = args.once || seen.get(&path) == Some(&stamp);
            if done.get(&path) == Some(&stamp) || !settled {
                continue;
            }
            let rel = path
                .strip_prefix(&dir)
                .expect("scanned files are inside the folder");
            match plan(
                spec,
                rel,
                &out,
                &args.suffix,
                args.job.compress.choice(),
                !args.quiet,
            ) {
                Ok(plan) => {
                    if process(&path, &plan, spec, clients).await.is_err() {
                        failures += 1;
                    }
                }
                Err(why) => log::info(
                    "skipped",
                    json!({"file": path.display().to_string(), "reason": why}),
                ),
            }
            done.insert(path, stamp);
        }
        seen = now_seen;
        if args.once {
            anyhow::ensure!(
                failures == 0,
                "{failures} file(s) failed; the log has each error"
            );
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
    }
}

/// The watched folder and the output folder, both resolved; refuses one
/// inside the other's place.
fn folders(args: &WatchArgs) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = absolute(&args.dir)
        .context("the folder to watch (sluice watch DIR -o OUTPUT_DIR) must exist")?;
    anyhow::ensure!(dir.is_dir(), "{}: not a folder", args.dir.display());
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("{}: cannot create", args.output.display()))?;
    let out = absolute(&args.output)?;
    anyhow::ensure!(
        out != dir,
        "{}: the output folder is the watched folder: every result would be processed again",
        args.output.display()
    );
    Ok((dir, out))
}

/// Where the outputs of `rel` go: the same namespaces as in a bucket
/// (results, `_rejects/`, `_sluice/manifests/`), decided by the same rule.
/// Prefix runs over a folder name their outputs the same way.
pub(crate) fn plan(
    spec: &JobSpec,
    rel: &Path,
    out: &Path,
    suffix: &str,
    compress: Option<Option<Compression>>,
    progress: bool,
) -> Result<Plan, String> {
    let name = rel
        .to_string_lossy()
        .replace(std::path::MAIN_SEPARATOR, "/");
    let keys = Namespaces::new("", "_rejects/").keys(&name)?;
    let result = match spec.kind {
        JobKind::Inspect { .. } => out.join(format!("{}.json", keys.result)),
        _ => out.join(&keys.result),
    };
    let source = Source {
        key: name,
        ..Source::default()
    };
    let claim = Claim::new(source, spec.name(), spec.options_text(compress), true);
    let ledger = Ledger::new(Location::Path(out.join(&keys.manifest)), None, claim);
    Ok(Plan {
        result: Some(Location::Path(result)),
        rejects: Some(Location::Path(out.join(&keys.rejects))),
        reports: Some((
            Location::Path(out.to_path_buf()),
            Location::Path(out.join("_rejects")),
        )),
        stem: report::stem(&rel.to_string_lossy(), "", suffix),
        compress,
        follow_input: true,
        ledger: Some(ledger),
        progress,
        ..Plan::default()
    })
}

pub(crate) async fn process(
    path: &Path,
    plan: &Plan,
    spec: &JobSpec,
    clients: &Clients,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let at = Location::Path(path.to_path_buf());
    let result = jobs::run(spec, clients, &at, plan).await;
    let mut fields = json!({"file": path.display().to_string(), "job": spec.name(),
                            "duration_ms": started.elapsed().as_millis() as u64});
    match &result {
        Ok(done) => {
            log_done(&mut fields, done);
            log::info("processed", fields);
        }
        Err(e) => {
            fields["error"] = format!("{e:#}").into();
            log::error("failed", fields);
        }
    }
    result.map(|_| ())
}

fn log_done(fields: &mut serde_json::Value, done: &Done) {
    let obj = fields.as_object_mut().expect("an object");
    obj.insert("output".into(), done.output.clone().into());
    if let Some(extra) = done.extra.as_object() {
        // The inspect document is the file's output; the log keeps counts.
        obj.extend(extra.clone().into_iter().filter(|(k, _)| k != "inspection"));
    }
    let c = done.summary.counts;
    for (k, v) in [
        ("rows", c.rows),
        ("selected", c.selected),
        ("dropped", c.dropped),
        ("rejected", c.rejected),
    ] {
        obj.insert(k.into(), v.into());
    }
}

/// Lists the files under `dir` whose names have `suffix`, leaving out
/// the output folder and hidden files (temporaries of writers in
/// progress). An entry that vanishes or cannot be read is logged and
/// passed over.
pub(crate) fn scan(
    dir: &Path,
    out: &Path,
    suffix: &str,
    files: &mut Vec<(PathBuf, Stamp)>,
) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return skipped(dir, &e),
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => return skipped(dir, &e),
        };
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden || path == out {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(e) => {
                skipped(&path, &e)?;
                continue;
            }
        };
        if meta.is_dir() {
            scan(&path, out, suffix, files)?;
        } else if meta.is_file() && has_suffix(&path.to_string_lossy(), suffix) {
            files.push((path, (meta.len(), meta.modified().ok())));
        }
    }
    Ok(())
}

/// Logs an entry the scan passes over.
fn skipped(path: &Path, e: &std::io::Error) -> anyhow::Result<()> {
    log::warn(
        "skipped an entry that vanished or cannot be read",
        json!({"path": path.display().to_string(), "error": e.to_string()}),
    );
    Ok(())
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::fs::canonicalize(p).with_context(|| p.display().to_string())
}
