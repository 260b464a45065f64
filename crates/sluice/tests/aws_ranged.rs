//! Ranged reads: an object read as byte ranges over several connections
//! gives exactly the bytes of one GET stream, whatever its size against the
//! range; a range cut mid-body is resumed alone; and the ranges of a read
//! all come from the version it started on. Ranges are made small
//! (`SLUICE_S3_RANGE_BYTES`) so that moto serves many of them quickly.

use crate::aws_lambda::{get, keys};
use crate::fault_proxy::FaultProxy;
use crate::faults::{bucket, replacer};
use crate::util::{assert_multipart, endpoint, filter_file, put, sluice, text, with_aws};
use std::process::Output;

/// Larger than the proxy's 64 KiB reads, so that a cut half a range in
/// falls inside a body, never before its response reached `sluice`.
const RANGE: usize = 256 << 10;

/// A CSV of exactly `len` bytes: rows of a numeric column and a padded note.
fn csv_of_len(len: usize) -> Vec<u8> {
    let mut out = b"id,value,note\n".to_vec();
    out.truncate(len);
    let mut i = 0u32;
    while out.len() < len {
        let row = format!("{i},{}.{},x", i % 9, i % 7);
        let pad = (len - out.len()).saturating_sub(row.len() + 1);
        // The last row takes up what is left, in its note.
        let pad = if pad <= 40 { pad } else { (i % 13) as usize };
        let mut row = format!("{row}{}\n", "y".repeat(pad));
        row.truncate(len - out.len());
        out.extend_from_slice(row.as_bytes());
        i += 1;
    }
    out
}

/// `sluice filter` of `s3://b/in.csv` to `out`, through `proxy`, with
/// `connections` and the small range.
fn filter(proxy: &FaultProxy, b: &str, out: &str, connections: &str) -> Output {
    filter_key(proxy, b, "in.csv", out, connections)
}

fn filter_key(proxy: &FaultProxy, b: &str, key: &str, out: &str, connections: &str) -> Output {
    let mut cmd = sluice();
    with_aws(&mut cmd)
        .env("AWS_ENDPOINT_URL", &proxy.url)
        .env("SLUICE_S3_CONNECTIONS", connections)
        .env("SLUICE_S3_RANGE_BYTES", RANGE.to_string())
        .args(["filter", &format!("s3://{b}/{key}"), "-o"])
        .arg(format!("s3://{b}/{out}"));
    cmd.output().unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn ranged_reads_give_the_bytes_of_one_stream_at_every_size() {
    let b = bucket(false).await;
    for len in [0, 1, RANGE - 1, RANGE, RANGE + 1, 7 * RANGE] {
        let body = csv_of_len(len);
        assert_eq!(body.len(), len);
        put(&b, "in.csv", &body).await;
        let single = FaultProxy::start(&endpoint(), u64::MAX, 0, None);
        let one = filter(&single, &b, "one.csv", "1");
        assert!(one.status.success(), "{len} B: {}", text(&one.stderr));
        let ranged = FaultProxy::start(&endpoint(), u64::MAX, 0, None);
        let many = filter(&ranged, &b, "many.csv", "3");
        assert!(many.status.success(), "{len} B: {}", text(&many.stderr));
        let result = get(&b, "many.csv").await.body;
        assert!(result == get(&b, "one.csv").await.body, "{len} B");
        assert!(
            result == filter_file(&body),
            "{len} B: differs from the local filter's"
        );
        // One GET below a range (an empty object: a second, as it has no
        // range to give); a GET per range above.
        assert_eq!(single.gets(), 1, "{len} B, one connection");
        let ranges = len.div_ceil(RANGE).max(1) as u32 + u32::from(len == 0);
        assert_eq!(ranged.gets(), ranges, "{len} B, ranged");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_compressed_object_is_read_in_ranges_and_decoded_in_order() {
    use std::io::Write;
    let b = bucket(false).await;
    let body = csv_of_len(24 * RANGE);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&body).unwrap();
    let packed = gz.finish().unwrap();
    put(&b, "in.csv.gz", &packed).await;
    let proxy = FaultProxy::start(&endpoint(), u64::MAX, 0, None);
    let run = filter_key(&proxy, &b, "in.csv.gz", "out.csv", "3");
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(proxy.gets() as usize, packed.len().div_ceil(RANGE));
    assert!(proxy.gets() > 1, "{} bytes packed: one range", packed.len());
    assert!(get(&b, "out.csv").await.body == filter_file(&body));
}

#[tokio::test(flavor = "current_thread")]
async fn a_range_cut_mid_body_is_resumed_alone_from_where_it_stopped() {
    let b = bucket(false).await;
    let body = csv_of_len(10 * RANGE);
    put(&b, "in.csv", &body).await;
    // Half a range in: whichever connection gets there first is cut
    // inside its first range's body.
    let proxy = FaultProxy::start(&endpoint(), RANGE as u64 / 2, 1, None);
    let run = filter(&proxy, &b, "out.csv", "4");
    let log = text(&run.stderr);
    assert!(run.status.success(), "{log}");
    assert_eq!(proxy.injected(), 1);
    assert_eq!(log.matches("resuming where it stopped").count(), 1, "{log}");
    // Ten ranges and one resume: no other range was asked for again.
    assert_eq!(proxy.gets(), 11, "{log}");
    assert!(get(&b, "out.csv").await.body == filter_file(&body));
}

#[tokio::test(flavor = "current_thread")]
async fn every_range_comes_from_the_version_the_read_started_on() {
    for versioned in [true, false] {
        let b = bucket(versioned).await;
        let body = csv_of_len(10 * RANGE);
        put(&b, "in.csv", &body).await;
        let proxy = FaultProxy::start(&endpoint(), RANGE as u64 / 2, 1, Some(replacer(&b)));
        let run = filter(&proxy, &b, "out.csv", "4");
        let log = text(&run.stderr);
        assert_eq!(proxy.injected(), 1);
        if versioned {
            assert!(run.status.success(), "{log}");
            let (out, expected) = (get(&b, "out.csv").await.body, filter_file(&body));
            assert!(
                out == expected,
                "{} vs {} bytes: {log}",
                out.len(),
                expected.len()
            );
        } else {
            assert!(!run.status.success(), "{log}");
            assert!(log.contains("replaced while it was read"), "{log}");
            assert!(!keys(&b).await.contains(&"out.csv".to_string()));
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_large_object_is_read_and_uploaded_over_several_connections() {
    let b = bucket(false).await;
    // Three 8 MiB parts of result, read as 1 MiB ranges.
    let body = csv_of_len(26 << 20);
    put(&b, "in.csv", &body).await;
    let proxy = FaultProxy::start(&endpoint(), u64::MAX, 0, None);
    let mut cmd = sluice();
    with_aws(&mut cmd)
        .env("AWS_ENDPOINT_URL", &proxy.url)
        .env("SLUICE_S3_RANGE_BYTES", (1 << 20).to_string())
        .args(["filter", "--threshold", "-1", "--s3-connections", "4"])
        .arg(format!("s3://{b}/in.csv"))
        .args(["-o", &format!("s3://{b}/out.csv")]);
    let run = cmd.output().unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(proxy.gets(), 26);
    let out = get(&b, "out.csv").await.body;
    assert_eq!(out.len(), body.len(), "every row kept");
    assert!(out == body);
    assert_multipart(&b, "out.csv").await;
}
