//! The command-line door: `sluice filter|report|load|inspect` over paths,
//! stdin/stdout and S3 objects, in any combination. Each command says
//! where its input is and names its outputs; [`jobs::run`] does the rest.
//! An input that is a prefix (`s3://bucket/prefix/`) or a folder is a
//! prefix run ([`prefix`]).

use super::prefix::{self, Source};
use crate::adapters::s3;
use crate::cli::{FilterArgs, InspectArgs, LoadArgs, ReportArgs};
use crate::jobs::{self, load::Table, Clients, Done, JobKind, JobSpec, Plan};
use crate::pipeline::location::Location;
use std::io::Write;

/// `sluice filter`.
pub async fn filter(args: FilterArgs) -> anyhow::Result<()> {
    let spec = args.job_spec()?;
    if let Some(source) = Source::of(args.input.as_deref()) {
        anyhow::ensure!(
            args.rejects.is_none(),
            "--rejects: a prefix run writes rejected rows under the destination's _rejects/"
        );
        let output = args.output.as_deref().ok_or_else(|| {
            anyhow::anyhow!("a prefix run needs -o s3://bucket/prefix/ (or -o FOLDER)")
        })?;
        let compress = args.compress.choice();
        let (opts, quiet) = (&args.prefix, args.quiet);
        let run = prefix::command(spec, source, output, opts, compress, None).await?;
        return prefix::summarize("filter", quiet, run);
    }
    let input = Location::parse_or_std(args.input.as_deref())?;
    let plan = Plan {
        result: Some(Location::parse_or_std(args.output.as_deref())?),
        rejects: args.rejects.as_deref().map(Location::parse).transpose()?,
        // A rejects file asked for by name is written even when empty, so
        // no stale one remains.
        keep_empty_rejects: true,
        compress: args.compress.choice(),
        progress: !args.quiet,
        ..Plan::default()
    };
    let done = run(&spec, &input, &plan, None).await?;
    if !args.quiet {
        eprintln!("sluice filter: {}: {}", done.input.name, done.line);
        show_sample("filter", &done);
    }
    Ok(())
}

/// `sluice report`.
pub async fn report(args: ReportArgs) -> anyhow::Result<()> {
    let spec = args.job_spec()?;
    if let Some(source) = Source::of(args.input.as_deref()) {
        let (opts, quiet) = (&args.prefix, args.quiet);
        let run = prefix::command(spec, source, &args.output, opts, None, None).await?;
        return prefix::summarize("report", quiet, run);
    }
    let input = Location::parse_or_std(args.input.as_deref())?;
    let reports = match Location::parse(&args.output)? {
        Location::S3 { bucket, key } => {
            let prefix = if key.is_empty() || key.ends_with('/') {
                key
            } else {
                format!("{key}/")
            };
            let at = |key| Location::S3 {
                bucket: bucket.clone(),
                key,
            };
            (at(prefix.clone()), at(format!("{prefix}_rejects/")))
        }
        Location::Path(dir) => (
            Location::Path(dir.clone()),
            Location::Path(dir.join("_rejects")),
        ),
        Location::Std => {
            anyhow::bail!("--output -: the reports are files; name a folder or an S3 prefix")
        }
    };
    let stem = match &input {
        Location::Std => "stdin".to_string(),
        other => jobs::report::stem(&file_name(other), "", ".csv"),
    };
    let plan = Plan {
        reports: Some(reports),
        stem,
        ingest_date: args.ingest_date.clone(),
        progress: !args.quiet,
        ..Plan::default()
    };
    let done = run(&spec, &input, &plan, None).await?;
    if !args.quiet {
        eprintln!("sluice report: {}: {}", done.input.name, done.line);
        for output in done.extra["outputs"].as_array().into_iter().flatten() {
            eprintln!("  wrote {}", output.as_str().unwrap_or_default());
        }
    }
    Ok(())
}

/// `sluice load`.
pub async fn load(args: LoadArgs) -> anyhow::Result<()> {
    let spec = args.job_spec()?;
    let JobKind::Load(load) = &spec.kind else {
        unreachable!("load arguments make a load spec");
    };
    let config = s3::aws_config().await;
    let table = Table::open(&config, load).await?;
    if let Some(source) = Source::of(args.input.as_deref()) {
        // The rejects prefix is the run's only output place.
        let output = args.rejects.as_deref().ok_or_else(|| {
            anyhow::anyhow!(
                "a prefix run needs --rejects s3://bucket/prefix/ (or --rejects FOLDER)"
            )
        })?;
        let (opts, quiet) = (&args.prefix, args.quiet);
        let run = prefix::command(spec, source, output, opts, None, Some(table)).await?;
        return prefix::summarize("load", quiet, run);
    }
    let input = Location::parse_or_std(args.input.as_deref())?;
    let plan = Plan {
        rejects: args.rejects.as_deref().map(Location::parse).transpose()?,
        keep_empty_rejects: true,
        progress: !args.quiet,
        ..Plan::default()
    };
    let done = run(&spec, &input, &plan, Some(table)).await?;
    if !args.quiet {
        eprintln!(
            "sluice load: {} -> {}: {}",
            done.input.name, done.output, done.line
        );
        show_sample("load", &done);
    }
    Ok(())
}

/// `sluice inspect`: the document on stdout.
pub async fn inspect(args: InspectArgs) -> anyhow::Result<()> {
    let spec = args.job_spec();
    let input = Location::parse_or_std(args.input.as_deref())?;
    let done = run(&spec, &input, &Plan::default(), None).await?;
    let mut text = serde_json::to_string_pretty(&done.document)?;
    text.push('\n');
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(anyhow::Error::new)
        .map_err(|e| e.context("stdout: write failed"))
}

/// Runs `spec` with the clients its locations need.
async fn run(
    spec: &JobSpec,
    input: &Location,
    plan: &Plan,
    table: Option<Table>,
) -> anyhow::Result<Done> {
    let outputs = plan.result.iter().chain(&plan.rejects);
    let places = plan.reports.iter().flat_map(|(a, b)| [a, b]);
    let needs_s3 = std::iter::once(input)
        .chain(outputs)
        .chain(places)
        .any(|l| matches!(l, Location::S3 { .. }));
    let clients = Clients {
        s3: if needs_s3 {
            Some(s3::client(&s3::aws_config().await))
        } else {
            None
        },
        table,
    };
    jobs::run(spec, &clients, input, plan).await
}

fn show_sample(job: &str, done: &Done) {
    if !done.sample.is_empty() {
        eprintln!("sluice {job}: rejected rows (keep them all with --rejects FILE):");
        eprint!("{}", String::from_utf8_lossy(&done.sample));
    }
}

/// The last part of a path or key.
fn file_name(at: &Location) -> String {
    match at {
        Location::Path(p) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string()),
        Location::S3 { key, .. } => key.clone(),
        Location::Std => "stdin".into(),
    }
}
