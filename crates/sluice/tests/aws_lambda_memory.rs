//! The Lambda door's memory: a large object streams through one
//! `bootstrap` process in bounded memory, whatever its size.

use crate::aws_lambda::{bootstrap, filtered, get, object_messages, sqs_event, stack, stop, Stack};
use crate::util::{assert_multipart, big_csv, boto3, peak_rss, TempDir};
use serde_json::{json, Value};
use std::time::Duration;

/// Uploads a generated CSV of about `mb` MiB in parts, runs one bootstrap
/// process on its event, checks the result; returns the process's peak RSS.
async fn run_object(stack: &Stack, dir: &TempDir, mb: usize) -> u64 {
    let path = big_csv(dir, mb << 20);
    let key = format!("in/big-{mb}.csv");
    // boto3 uploads it in parts, as users' tools do.
    boto3(
        "from boto3.s3.transfer import TransferConfig\n\
         s3.upload_file(sys.argv[1], sys.argv[2], sys.argv[3], Config=TransferConfig(multipart_threshold=8<<20))",
        &[path.to_str().unwrap(), &stack.src, &key],
    );
    assert_multipart(&stack.src, &key).await;
    let messages = object_messages(&stack.queue, 1).await;
    // Two connections: a plateau of 5 buffers (2 ranges, 2 parts
    // uploading, 1 filling) that both objects below reach.
    let env = [("SLUICE_S3_CONNECTIONS", "2")];
    let (child, api) = bootstrap(stack, vec![sqs_event(&messages)], &env);
    let answer = api.answer(Duration::from_secs(600));
    let peak = peak_rss(child.id());
    let log = stop(child);
    assert_eq!(answer.body, json!({"batchItemFailures": []}), "{log}");
    let out_key = format!("filtered/{key}");
    let out = get(&stack.dst, &out_key).await;
    let expected = filtered(path.to_str().unwrap());
    assert!(
        out.body == expected,
        "the result of {key} differs from the local filter's"
    );
    assert_multipart(&stack.dst, &out_key).await;
    let line: Value = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .find(|l: &Value| l["message"] == "processed")
        .unwrap_or_else(|| panic!("{log}"));
    let (wait, total) = (&line["input_wait_ms"], &line["duration_ms"]);
    assert!(wait.as_u64().unwrap() <= total.as_u64().unwrap(), "{line}");
    assert!(line["read_mb_s"].as_f64().unwrap() > 0.0, "{line}");
    assert!(line["write_mb_s"].as_f64().unwrap() > 0.0, "{line}");
    eprintln!(
        "{mb} MiB object: {} MiB out, peak RSS {} MiB",
        out.body.len() >> 20,
        peak >> 20
    );
    peak
}

#[tokio::test(flavor = "current_thread")]
async fn a_large_object_streams_through_in_bounded_memory() {
    let stack = stack(120).await;
    let dir = TempDir::new("big");
    // Both objects are large enough to reach the plateau of 2 connections:
    // 2 ranges of 8 MiB read ahead, one part filling and 2 uploading (with
    // 4 connections, a 40 MiB object never holds all 9 buffers at once).
    let small = run_object(&stack, &dir, 40).await;
    let large = run_object(&stack, &dir, 110).await;
    // Memory does not grow with the object: 70 MiB more data, less than
    // two 8 MiB buffers more memory — how full the ranges read ahead are
    // depends on moto's pace, which varies when the other tests load it.
    // (This is the unoptimised test build; the release build's figures are
    // in the README.)
    assert!(
        large < small + (16 << 20),
        "peak RSS {} MiB for 110 MiB vs {} MiB for 40 MiB",
        large >> 20,
        small >> 20
    );
    // Those 72 MiB of buffers, the HTTP client's own for 5 connections,
    // and the unoptimised binary's ~25 MiB.
    assert!(large < 112 << 20, "peak RSS {} MiB", large >> 20);
}
