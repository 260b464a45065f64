//! `sluice filter`: the command-line door over paths, stdin/stdout and
//! S3 objects, in any combination.

use crate::cli::FilterArgs;
use crate::io::{Input, Output};
use crate::location::Location;
use crate::run::{self, Rejects};
use crate::s3;

/// Runs `sluice filter`.
pub async fn run(args: FilterArgs) -> anyhow::Result<()> {
    let options = args.filter.options(&args.csv)?;
    let input_at = Location::parse_or_std(args.input.as_deref())?;
    let output_at = Location::parse_or_std(args.output.as_deref())?;
    let same_path = match (&input_at, &output_at) {
        (Location::Path(i), Location::Path(o)) => {
            i == o
                || std::fs::canonicalize(i)
                    .ok()
                    .zip(std::fs::canonicalize(o).ok())
                    .is_some_and(|(a, b)| a == b)
        }
        (a, b) => matches!(a, Location::S3 { .. }) && a == b,
    };
    anyhow::ensure!(
        !same_path,
        "{output_at}: the output would overwrite the input"
    );
    let needs_s3 = [Some(&input_at), Some(&output_at)]
        .into_iter()
        .flatten()
        .any(|l| matches!(l, Location::S3 { .. }))
        || args
            .rejects
            .as_deref()
            .is_some_and(|r| r.starts_with("s3://"));
    let client = if needs_s3 {
        Some(s3::client(&s3::aws_config().await))
    } else {
        None
    };
    let mut input = open_input(&input_at, client.as_ref()).await?;
    let output = open_output(&output_at, client.as_ref())?;
    let rejects = match &args.rejects {
        Some(r) => Rejects::To(open_output(&Location::parse(r)?, client.as_ref())?),
        None => Rejects::Sample(Vec::new()),
    };
    // A rejects file asked for by name is written even when empty, so no
    // stale one remains.
    let dialect = args.csv.dialect();
    let (report, sample) =
        run::filter_to_commit(&dialect, &options, &mut input, output, rejects, true).await?;
    if !args.quiet {
        eprintln!("sluice filter: {}: {report}", input.name());
        if !sample.is_empty() {
            eprintln!("sluice filter: rejected rows (keep them all with --rejects FILE):");
            eprint!("{}", String::from_utf8_lossy(&sample));
        }
    }
    Ok(())
}

async fn open_input(at: &Location, client: Option<&aws_sdk_s3::Client>) -> anyhow::Result<Input> {
    match at {
        Location::Std => Input::open(None),
        Location::Path(p) => Input::open(Some(p)),
        Location::S3 { bucket, key } => {
            let client = client.expect("an S3 client is built for S3 locations");
            Ok(Input::S3(s3::Reader::open(client, bucket, key).await?))
        }
    }
}

fn open_output(at: &Location, client: Option<&aws_sdk_s3::Client>) -> anyhow::Result<Output> {
    match at {
        Location::Std => Output::create(None),
        Location::Path(p) => Output::create(Some(p)),
        Location::S3 { bucket, key } => {
            anyhow::ensure!(!key.is_empty(), "{at}: an output needs a key");
            let client = client.expect("an S3 client is built for S3 locations");
            Ok(Output::S3(s3::Writer::new(
                client,
                bucket,
                key,
                Default::default(),
            )))
        }
    }
}
