//! The embedded default: a local folder watched like a bucket. Files
//! already there are processed, then each new or changed one, with the
//! same jobs as the cloud doors; results go to an output folder under the
//! same relative path, rejected rows under its `_rejects/`. A file is taken
//! once its size and modification time hold still between two scans, so a
//! file still being copied in is not read half-written.

use crate::analytics::{self, Partition, Place};
use crate::cli::WatchArgs;
use crate::io::{Input, Output};
use crate::load::Table;
use crate::log;
use crate::run::{filter_to_commit, JobKind, JobSpec, Rejects};
use serde_json::{json, Value};
use sluice_engine::{Dialect, FilterOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// What identifies a version of a file: size and modification time.
type Stamp = (u64, Option<SystemTime>);

pub async fn run(args: &WatchArgs, spec: &JobSpec) -> anyhow::Result<()> {
    let dir = absolute(&args.dir).map_err(|e| {
        anyhow::anyhow!("{e}: the folder to watch (sluice watch DIR -o OUTPUT_DIR) must exist")
    })?;
    anyhow::ensure!(dir.is_dir(), "{}: not a folder", args.dir.display());
    std::fs::create_dir_all(&args.output)
        .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", args.output.display()))?;
    let out = absolute(&args.output)?;
    anyhow::ensure!(
        out != dir,
        "{}: the output folder is the watched folder: every result would be processed again",
        args.output.display()
    );
    let table = match &spec.kind {
        JobKind::Load(load) => Some(Table::connect(&crate::s3::aws_config().await, load).await?),
        JobKind::Filter(_) | JobKind::Report(_) | JobKind::Inspect(_) => None,
    };
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
            if process(&path, rel, &out, spec, table.as_ref())
                .await
                .is_err()
            {
                failures += 1;
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

/// Processes one file and logs the outcome.
async fn process(
    path: &Path,
    rel: &Path,
    out: &Path,
    spec: &JobSpec,
    table: Option<&Table>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let result = run_one(path, rel, out, spec, table).await;
    let mut fields = json!({"file": path.display().to_string(), "job": spec.name(),
                            "duration_ms": started.elapsed().as_millis() as u64});
    let obj = fields.as_object_mut().expect("an object");
    match &result {
        Ok((report, output, extra)) => {
            let c = report.counts;
            obj.insert("output".into(), output.clone().into());
            if let Some(extra) = extra.as_object() {
                obj.extend(extra.clone());
            }
            for (k, v) in [
                ("rows", c.rows),
                ("selected", c.selected),
                ("dropped", c.dropped),
                ("rejected", c.rejected),
            ] {
                obj.insert(k.into(), v.into());
            }
            log::info("processed", fields);
        }
        Err(e) => {
            obj.insert("error".into(), format!("{e:#}").into());
            log::error("failed", fields);
        }
    }
    result.map(|_| ())
}

/// Runs the job on one file: its report, where the results went, and
/// job-specific log fields.
async fn run_one(
    path: &Path,
    rel: &Path,
    out: &Path,
    spec: &JobSpec,
    table: Option<&Table>,
) -> anyhow::Result<(crate::run::Report, String, serde_json::Value)> {
    let rejects_path = out.join("_rejects").join(rel);
    match (&spec.kind, table) {
        (JobKind::Filter(options), _) => {
            let output_path = out.join(rel);
            let report =
                filter_one(path, &output_path, &rejects_path, &spec.dialect, options).await?;
            Ok((report, output_path.display().to_string(), Value::Null))
        }
        (JobKind::Report(options), _) => {
            let report = report_one(path, rel, out, spec, options).await?;
            Ok((report, out.display().to_string(), Value::Null))
        }
        (JobKind::Inspect(options), _) => {
            let mut output_path = out.join(rel).into_os_string();
            output_path.push(".json");
            let output_path = PathBuf::from(output_path);
            let report = inspect_one(path, &output_path, options).await?;
            Ok((report, output_path.display().to_string(), Value::Null))
        }
        (JobKind::Load(_), Some(table)) => {
            let (report, extra) = load_one(path, &rejects_path, spec, table).await?;
            Ok((report, table.url(), extra))
        }
        (JobKind::Load(_), None) => anyhow::bail!("the load job runs without a table"),
    }
}

/// The inspect job on one file: its JSON document at `output_path` (the
/// file's relative path under the output folder, `.json` added).
async fn inspect_one(
    path: &Path,
    output_path: &Path,
    options: &sluice_engine::InspectOptions,
) -> anyhow::Result<crate::run::Report> {
    let started = Instant::now();
    let (document, inspection) = crate::inspect::file_document(Some(path), options, true).await?;
    let inspection = inspection.expect("a scan was asked for");
    let mut body = serde_json::to_vec_pretty(&document)?;
    body.push(b'\n');
    let mut output = Output::create(Some(output_path))?;
    output.write(&body).await?;
    output.commit().await?;
    Ok(crate::run::Report {
        counts: sluice_engine::Counts {
            rows: inspection.rows,
            ..Default::default()
        },
        bytes_in: inspection.bytes,
        bytes_out: body.len() as u64,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The report job on one file: reports partitioned by the file's
/// modification date under the output folder, rejects under its
/// `_rejects/`.
async fn report_one(
    path: &Path,
    rel: &Path,
    out: &Path,
    spec: &JobSpec,
    options: &sluice_engine::ReportOptions,
) -> anyhow::Result<crate::run::Report> {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let partition = Partition {
        date: analytics::date_of(modified),
        stem: analytics::stem(&rel.to_string_lossy(), "", ".csv"),
    };
    let places = (
        Place::Dir(out.to_path_buf()),
        Place::Dir(out.join("_rejects")),
    );
    let mut input = Input::open(Some(path))?;
    let written = analytics::run(
        spec,
        options,
        &mut input,
        (&places.0, &places.1),
        &partition,
        Default::default(),
    )
    .await?;
    Ok(written.report)
}

/// The load job on one file: its rows into the table, rejected rows at
/// the same relative path under the output folder's `_rejects/`.
async fn load_one(
    path: &Path,
    rejects_path: &Path,
    spec: &JobSpec,
    table: &Table,
) -> anyhow::Result<(crate::run::Report, serde_json::Value)> {
    let mut input = Input::open(Some(path))?;
    let rejects = Rejects::To(Output::create(Some(rejects_path))?);
    let (report, _) = table
        .load_to_commit(&spec.dialect, &mut input, rejects, false)
        .await?;
    Ok((report.report, report.log_fields(table)))
}

/// The filter job on one file: its result and rejects at the same
/// relative path under the output folder and its `_rejects/`.
async fn filter_one(
    path: &Path,
    output_path: &Path,
    rejects_path: &Path,
    dialect: &Dialect,
    options: &FilterOptions,
) -> anyhow::Result<crate::run::Report> {
    let mut input = Input::open(Some(path))?;
    let output = Output::create(Some(output_path))?;
    // The commit also removes rejects an earlier version of the file left.
    let rejects = Rejects::To(Output::create(Some(rejects_path))?);
    let (report, _) =
        filter_to_commit(dialect, options, &mut input, output, rejects, false).await?;
    Ok(report)
}

/// Lists the files under `dir` ending with `suffix`, leaving out the output
/// folder and hidden files (temporaries of writers in progress).
fn scan(
    dir: &Path,
    out: &Path,
    suffix: &str,
    files: &mut Vec<(PathBuf, Stamp)>,
) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot list: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden || path == out {
            continue;
        }
        let meta = entry.metadata()?;
        if meta.is_dir() {
            scan(&path, out, suffix, files)?;
        } else if meta.is_file() && path.to_string_lossy().ends_with(suffix) {
            files.push((path, (meta.len(), meta.modified().ok())));
        }
    }
    Ok(())
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::fs::canonicalize(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
}
