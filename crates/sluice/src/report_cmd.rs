//! `sluice report`: order analytics from a path, stdin or an S3 object
//! into a folder or an S3 prefix.

use crate::analytics::{self, Partition, Place};
use crate::cli::ReportArgs;
use crate::io::Input;
use crate::location::Location;
use crate::run::JobSpec;
use crate::s3;
use std::path::{Path, PathBuf};

/// Runs `sluice report`.
pub async fn run(args: ReportArgs) -> anyhow::Result<()> {
    let options = args.report.options()?;
    let input_at = Location::parse_or_std(args.input.as_deref())?;
    let needs_s3 = matches!(input_at, Location::S3 { .. }) || args.output.starts_with("s3://");
    let client = if needs_s3 {
        Some(s3::client(&s3::aws_config().await))
    } else {
        None
    };
    let (reports, rejects) = places(&args.output, client.as_ref())?;
    let (mut input, modified, stem) = open(&input_at, client.as_ref()).await?;
    let date = match (args.ingest_date, modified) {
        (Some(date), _) => date,
        (None, Some(t)) => analytics::date_of(t),
        (None, None) => anyhow::bail!(
            "{}: no modification date to partition by: pass --ingest-date YYYY-MM-DD",
            input.name()
        ),
    };
    let spec = JobSpec {
        dialect: args.csv.dialect(),
        kind: crate::run::JobKind::Report(options.clone()),
    };
    let partition = Partition { date, stem };
    let written = analytics::run(
        &spec,
        &options,
        &mut input,
        (&reports, &rejects),
        &partition,
        Default::default(),
    )
    .await?;
    if !args.quiet {
        eprintln!("sluice report: {}: {}", input.name(), written.report);
        for output in &written.outputs {
            eprintln!("  wrote {output}");
        }
    }
    Ok(())
}

/// The reports' place and the rejects' (its `_rejects/`).
fn places(output: &str, client: Option<&aws_sdk_s3::Client>) -> anyhow::Result<(Place, Place)> {
    match Location::parse(output)? {
        Location::S3 { bucket, key } => {
            let client = client.expect("an S3 client is built for S3 locations");
            let prefix = if key.is_empty() || key.ends_with('/') {
                key
            } else {
                format!("{key}/")
            };
            let at = |prefix: String| Place::S3 {
                client: client.clone(),
                bucket: bucket.clone(),
                prefix,
            };
            Ok((at(prefix.clone()), at(format!("{prefix}_rejects/"))))
        }
        Location::Path(dir) => Ok((Place::Dir(dir.clone()), Place::Dir(dir.join("_rejects")))),
        Location::Std => {
            anyhow::bail!("--output -: the reports are files; name a folder or an S3 prefix")
        }
    }
}

/// Opens the input; returns it with its modification time and stem.
async fn open(
    at: &Location,
    client: Option<&aws_sdk_s3::Client>,
) -> anyhow::Result<(Input, Option<std::time::SystemTime>, String)> {
    match at {
        Location::Std => Ok((Input::open(None)?, None, "stdin".into())),
        Location::Path(p) => {
            let input = Input::open(Some(p))?;
            let modified = std::fs::metadata(p).and_then(|m| m.modified()).ok();
            Ok((input, modified, analytics::stem(&file_name(p), "", ".csv")))
        }
        Location::S3 { bucket, key } => {
            let client = client.expect("an S3 client is built for S3 locations");
            let reader = s3::Reader::open(client, bucket, key).await?;
            let modified = reader.last_modified;
            Ok((
                Input::S3(reader),
                modified,
                analytics::stem(key, "", ".csv"),
            ))
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| PathBuf::from(p).display().to_string())
}
