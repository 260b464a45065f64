//! Faults injected between `sluice` and moto's S3 by a proxy: connections
//! cut mid-body, too often, and with the object replaced at the cut. A run
//! either gives the right result from one version of its input, or fails
//! and writes nothing — never a mixed or partial result.

use crate::aws_lambda::{get, keys};
use crate::fault_proxy::FaultProxy;
use crate::util::{boto3, endpoint, filter_file, put, s3, sluice, text, unique, with_aws};
use std::process::Output;
use std::sync::Arc;

/// A CSV of `rows` rows, about 28 bytes each.
fn csv(rows: usize, seed: u32) -> Vec<u8> {
    let mut out = b"id,value,note\n".to_vec();
    for i in 0..rows {
        let value = (i as u32).wrapping_mul(seed) % 100;
        out.extend_from_slice(format!("{i},{}.{},\"a, b\"\n", value / 10, value % 10).as_bytes());
    }
    out
}

/// `sluice ARGS` with S3 behind the proxy.
fn through(proxy: &FaultProxy, args: &[&str]) -> Output {
    let mut cmd = sluice();
    with_aws(&mut cmd)
        .env("AWS_ENDPOINT_URL", &proxy.url)
        .args(args);
    if std::env::var_os("DEBUG_FAULTS").is_some() {
        cmd.env("SLUICE_LOG_LEVEL", "debug")
            .stderr(std::process::Stdio::inherit());
    }
    cmd.output().unwrap()
}

pub async fn bucket(versioned: bool) -> String {
    let name = unique("faults");
    let s3 = s3().await;
    s3.create_bucket().bucket(&name).send().await.unwrap();
    if versioned {
        use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
        let on = VersioningConfiguration::builder()
            .status(BucketVersioningStatus::Enabled)
            .build();
        s3.put_bucket_versioning()
            .bucket(&name)
            .versioning_configuration(on)
            .send()
            .await
            .unwrap();
    }
    name
}

#[tokio::test(flavor = "current_thread")]
async fn a_dropped_connection_resumes_where_it_stopped() {
    let b = bucket(false).await;
    let body = csv(250_000, 7);
    put(&b, "in.csv", &body).await;
    let proxy = FaultProxy::start(&endpoint(), 700_000, 3, None);
    let (src, out) = (format!("s3://{b}/in.csv"), format!("s3://{b}/out.csv"));
    let run = through(&proxy, &["filter", &src, "-o", &out]);
    let log = text(&run.stderr);
    assert!(run.status.success(), "{log}");
    assert_eq!(proxy.injected(), 3, "faults injected");
    assert_eq!(log.matches("resuming where it stopped").count(), 3, "{log}");
    assert_eq!(get(&b, "out.csv").await.body, filter_file(&body));
}

#[tokio::test(flavor = "current_thread")]
async fn a_connection_dropping_every_time_fails_the_run_and_writes_nothing() {
    let b = bucket(false).await;
    put(&b, "in.csv", &csv(250_000, 7)).await;
    let proxy = FaultProxy::start(&endpoint(), 100_000, 50, None);
    let (src, out) = (format!("s3://{b}/in.csv"), format!("s3://{b}/out.csv"));
    let run = through(&proxy, &["filter", &src, "-o", &out]);
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("read failed after 5 resumes"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(keys(&b).await, vec!["in.csv".to_string()]);
}

/// Replaces `bucket/in.csv` with other rows, from the proxy's thread.
pub fn replacer(bucket: &str) -> Arc<dyn Fn() + Send + Sync> {
    let bucket = bucket.to_string();
    Arc::new(move || {
        let other = String::from_utf8(csv(1_000, 3)).unwrap();
        boto3(
            "s3.put_object(Bucket=sys.argv[1], Key='in.csv', Body=sys.argv[2].encode())",
            &[&bucket, &other],
        );
    })
}

#[tokio::test(flavor = "current_thread")]
async fn an_object_replaced_mid_read_is_read_from_its_first_version_or_not_at_all() {
    for versioned in [true, false] {
        let b = bucket(versioned).await;
        let body = csv(250_000, 7);
        put(&b, "in.csv", &body).await;
        let proxy = FaultProxy::start(&endpoint(), 700_000, 1, Some(replacer(&b)));
        let (src, out) = (format!("s3://{b}/in.csv"), format!("s3://{b}/out.csv"));
        let run = through(&proxy, &["filter", &src, "-o", &out]);
        let log = text(&run.stderr);
        assert_eq!(proxy.injected(), 1);
        if versioned {
            // The resumed read is pinned to the first version: its rows only.
            assert!(run.status.success(), "{log}");
            assert_eq!(get(&b, "out.csv").await.body, filter_file(&body));
        } else {
            // Without versions, the ETag pins it: the read fails, whole.
            assert!(!run.status.success());
            assert!(log.contains("replaced while it was read"), "{log}");
            assert!(!keys(&b).await.contains(&"out.csv".to_string()));
        }
    }
}
