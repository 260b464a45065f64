//! `sluice inspect`: one JSON document on stdout for a path, stdin or an
//! S3 object.

use crate::cli::InspectArgs;
use crate::inspect;
use crate::location::Location;
use crate::s3;
use sluice_engine::InspectOptions;

/// Runs `sluice inspect`.
pub async fn run(args: InspectArgs) -> anyhow::Result<()> {
    let options = InspectOptions {
        has_header: !args.no_header,
        ..InspectOptions::default()
    };
    let scan = !args.no_scan;
    let (document, _) = match Location::parse_or_std(args.input.as_deref())? {
        Location::Std => inspect::file_document(None, &options, scan).await?,
        Location::Path(p) => inspect::file_document(Some(&p), &options, scan).await?,
        Location::S3 { bucket, key } => {
            anyhow::ensure!(!key.is_empty(), "s3://{bucket}/: an object needs a key");
            let client = s3::client(&s3::aws_config().await);
            inspect::s3_document(&client, &bucket, &key, &options, scan).await?
        }
    };
    let mut text = serde_json::to_string_pretty(&document)?;
    text.push('\n');
    use std::io::Write;
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| anyhow::anyhow!("stdout: write failed: {e}"))
}
