//! `sluice load`: a path, stdin or an S3 object into a DynamoDB table.

use crate::cli::LoadArgs;
use crate::io::{Input, Output};
use crate::load::Table;
use crate::location::Location;
use crate::run::Rejects;
use crate::s3;

/// Runs `sluice load`.
pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let spec = args.load.spec(&args.csv)?;
    let input_at = Location::parse_or_std(args.input.as_deref())?;
    let rejects_at = args.rejects.as_deref().map(Location::parse).transpose()?;
    let config = s3::aws_config().await;
    let table = if args.dry_run {
        Table::dry_run(&spec)
    } else {
        Table::connect(&config, &spec).await?
    };
    let needs_s3 = [Some(&input_at), rejects_at.as_ref()]
        .into_iter()
        .flatten()
        .any(|l| matches!(l, Location::S3 { .. }));
    let client = needs_s3.then(|| s3::client(&config));
    let mut input = match &input_at {
        Location::Std => Input::open(None)?,
        Location::Path(p) => Input::open(Some(p))?,
        Location::S3 { bucket, key } => {
            let client = client.as_ref().expect("an S3 client for S3 locations");
            Input::S3(s3::Reader::open(client, bucket, key).await?)
        }
    };
    let rejects = match &rejects_at {
        None => Rejects::Sample(Vec::new()),
        Some(Location::Std) => Rejects::To(Output::create(None)?),
        Some(Location::Path(p)) => Rejects::To(Output::create(Some(p))?),
        Some(at @ Location::S3 { bucket, key }) => {
            anyhow::ensure!(!key.is_empty(), "{at}: the rejects need a key");
            let client = client.as_ref().expect("an S3 client for S3 locations");
            Rejects::To(Output::S3(s3::Writer::new(
                client,
                bucket,
                key,
                Default::default(),
            )))
        }
    };
    // A rejects file asked for by name is written even when empty, so no
    // stale one remains.
    let (report, sample) = table
        .load_to_commit(&args.csv.dialect(), &mut input, rejects, true)
        .await?;
    if !args.quiet {
        eprintln!("sluice load: {} -> {}: {report}", input.name(), table.url());
        if !sample.is_empty() {
            eprintln!("sluice load: rejected rows (keep them all with --rejects FILE):");
            eprint!("{}", String::from_utf8_lossy(&sample));
        }
    }
    Ok(())
}
