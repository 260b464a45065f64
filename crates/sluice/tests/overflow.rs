//! Past one invocation: an object the Lambda function cannot finish before
//! its deadline goes to the worker fleet's queue instead, and the worker
//! drains that queue into the same result; a batch leaves the messages the
//! time left cannot cover for another invocation.

use crate::aws_lambda::{bootstrap, data_keys, get, sqs_event, stack, stop};
use crate::util::{filter_file, sluice, sqs, text, unique, with_aws};
use serde_json::{json, Value};
use std::time::Duration;

/// A CSV of about `bytes` bytes.
fn csv(bytes: usize) -> Vec<u8> {
    let mut out = b"id,value\n".to_vec();
    let mut i = 0;
    while out.len() < bytes {
        out.extend_from_slice(format!("{i},{}.5\n", i % 10).as_bytes());
        i += 1;
    }
    out
}

/// An S3 notification for `key`, with its size, as S3 sends it.
fn notification(bucket: &str, key: &str, size: usize) -> Value {
    json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": size}}}]})
}

async fn queue() -> String {
    let resp = sqs()
        .await
        .create_queue()
        .queue_name(unique("fleet"))
        .send()
        .await
        .unwrap();
    resp.queue_url.unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn an_object_too_big_for_the_time_left_is_forwarded_and_the_worker_finishes_it() {
    let stack = stack(30).await;
    let fleet = queue().await;
    let (small, big) = (csv(200), csv(2_000_000));
    crate::util::put(&stack.src, "in/small.csv", &small).await;
    crate::util::put(&stack.src, "in/big.csv", &big).await;
    // 0.01 MB/s: 2 MB needs 200 s of a 900 s deadline... and 20,000 s at
    // 0.0001 MB/s, which no invocation has.
    let event = json!({"Records": [
        notification(&stack.src, "in/small.csv", small.len())["Records"][0],
        notification(&stack.src, "in/big.csv", big.len())["Records"][0]]});
    let env = [
        ("SLUICE_OVERFLOW_QUEUE_URL", fleet.as_str()),
        ("SLUICE_MIN_MB_PER_SEC", "0.0001"),
    ];
    let (child, api) = bootstrap(&stack, vec![event], &env);
    let answer = api.answer(Duration::from_secs(60));
    let log = stop(child);
    assert_eq!(answer.kind, "response", "{log}");
    assert_eq!(answer.body, json!({"processed": 1, "skipped": 1}), "{log}");
    assert!(log.contains("forwarded to the worker queue"), "{log}");
    assert_eq!(
        data_keys(&stack.dst).await,
        vec!["filtered/in/small.csv".to_string()]
    );

    let mut cmd = sluice();
    let run = with_aws(&mut cmd)
        .args([
            "worker",
            "--queue",
            &fleet,
            "--wait-secs",
            "1",
            "--exit-when-empty",
        ])
        .args(["--dest-bucket", &stack.dst, "--dest-prefix", "filtered/"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(
        get(&stack.dst, "filtered/in/big.csv").await.body,
        filter_file(&big)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_batch_leaves_what_the_time_left_cannot_cover_for_another_invocation() {
    let stack = stack(30).await;
    let big = csv(2_000_000);
    crate::util::put(&stack.src, "in/first.csv", &csv(200)).await;
    crate::util::put(&stack.src, "in/second.csv", &big).await;
    let messages: Vec<aws_sdk_sqs::types::Message> = [("first", 200), ("second", big.len())]
        .iter()
        .map(|(name, size)| {
            let body = notification(&stack.src, &format!("in/{name}.csv"), *size);
            aws_sdk_sqs::types::Message::builder()
                .message_id(format!("m-{name}"))
                .receipt_handle("r")
                .body(body.to_string())
                .build()
        })
        .collect();
    let env = [("SLUICE_MIN_MB_PER_SEC", "0.001")];
    let (child, api) = bootstrap(&stack, vec![sqs_event(&messages)], &env);
    let answer = api.answer(Duration::from_secs(60));
    let log = stop(child);
    assert_eq!(
        answer.body,
        json!({"batchItemFailures": [{"itemIdentifier": "m-second"}]}),
        "{log}"
    );
    assert_eq!(
        data_keys(&stack.dst).await,
        vec!["filtered/in/first.csv".to_string()]
    );
}
