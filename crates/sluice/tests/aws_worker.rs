//! The queue worker against moto's S3 and SQS.

use crate::aws_lambda::{stack, Stack};
use crate::util::{put, s3, sluice, sqs, text, with_aws};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sqs::types::QueueAttributeName;
use std::process::Command;
use std::time::Duration;

/// `sluice worker` draining the stack's queue into its destination.
pub fn worker(stack: &Stack, extra: &[&str]) -> Command {
    let mut cmd = sluice();
    with_aws(&mut cmd)
        .args([
            "worker",
            "--queue",
            &stack.queue,
            "--wait-secs",
            "1",
            "--exit-when-empty",
        ])
        .args(["--dest-bucket", &stack.dst, "--source-bucket", &stack.src])
        .args(extra);
    cmd
}

async fn queue_depth(queue: &str) -> (String, String) {
    let attrs = sqs()
        .await
        .get_queue_attributes()
        .queue_url(queue)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    (
        attrs[&QueueAttributeName::ApproximateNumberOfMessages].clone(),
        attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible].clone(),
    )
}

#[tokio::test(flavor = "current_thread")]
async fn worker_processes_the_queue_and_keeps_failed_messages() {
    let stack = stack(3).await;
    let s3 = s3().await;
    for key in [
        "in/one.csv",
        "in/two words.csv",
        "in/vanished.csv",
        "in/skip.txt",
    ] {
        put(&stack.src, key, b"n\n5\n4\n").await;
    }
    s3.delete_object()
        .bucket(&stack.src)
        .key("in/vanished.csv")
        .send()
        .await
        .unwrap();
    let out = worker(&stack, &["--dest-prefix", "out/"]).output().unwrap();
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    for key in ["out/in/one.csv", "out/in/two words.csv"] {
        let got = s3
            .get_object()
            .bucket(&stack.dst)
            .key(key)
            .send()
            .await
            .unwrap();
        let body = got.body.collect().await.unwrap().into_bytes();
        assert_eq!(&body[..], b"n\n5\n", "{key}");
    }
    assert!(log.contains("no such object"), "{log}");
    // Processed messages are deleted; the failed one is in flight and
    // comes back after its visibility timeout.
    assert_eq!(
        queue_depth(&stack.queue).await,
        ("0".to_string(), "1".to_string())
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let again = sqs()
        .await
        .receive_message()
        .queue_url(&stack.queue)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let bodies: Vec<_> = again.messages().iter().filter_map(|m| m.body()).collect();
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0].contains("vanished.csv"));
}

#[tokio::test(flavor = "current_thread")]
async fn received_messages_stay_invisible_until_done() {
    use crate::util::big_csv;
    use crate::util::TempDir;
    let stack = stack(2).await;
    let dir = TempDir::new("heartbeat");
    // Large enough that processing outlasts the visibility timeout twice over.
    let path = big_csv(&dir, 150 << 20);
    let s3 = s3().await;
    let body = ByteStream::from_path(&path).await.unwrap();
    s3.put_object()
        .bucket(&stack.src)
        .key("in/long.csv")
        .body(body)
        .send()
        .await
        .unwrap();
    // Received in the same batch, it waits while the long one runs.
    put(&stack.src, "in/short.csv", b"v\n9\n").await;
    // One connection: ranged reads would finish before the timeout. Two
    // messages per receive, so one waits its turn while the other runs.
    let child = worker(&stack, &["--s3-connections", "1", "--receive", "2"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // While the worker runs, nobody else may receive either message.
    let sqs = sqs().await;
    let started = std::time::Instant::now();
    let mut stolen = 0;
    let waiter = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap());
    // First let the worker take both messages.
    while queue_depth(&stack.queue).await != ("0".to_string(), "2".to_string())
        && !waiter.is_finished()
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    while !waiter.is_finished() {
        let resp = sqs
            .receive_message()
            .queue_url(&stack.queue)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for m in resp.messages() {
            let body = m.body().unwrap_or_default();
            if body.contains("long.csv") || body.contains("short.csv") {
                stolen += 1;
            }
        }
    }
    let out = waiter.await.unwrap();
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        started.elapsed() > Duration::from_secs(5),
        "processing must outlast the 2 s timeout for this test to mean anything"
    );
    assert_eq!(stolen, 0, "a message was handed out again mid-run:\n{log}");
    assert_eq!(
        queue_depth(&stack.queue).await,
        ("0".to_string(), "0".to_string())
    );
    let short = s3
        .get_object()
        .bucket(&stack.dst)
        .key("in/short.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(
        &short.body.collect().await.unwrap().into_bytes()[..],
        b"v\n9\n"
    );
}

/// Workers sharing a queue share its objects: a worker takes one message
/// at a time, so while it is busy with a large object the next one waits
/// in the queue for another worker, not in the first worker's hands.
#[tokio::test(flavor = "current_thread")]
async fn a_fleet_of_workers_shares_the_queue() {
    use crate::util::big_csv;
    use crate::util::TempDir;
    let stack = stack(30).await;
    // Without the test event S3 sends when notifications are set up.
    let purge = sqs().await.purge_queue().queue_url(&stack.queue);
    purge.send().await.unwrap();
    let dir = TempDir::new("fleet");
    // Large enough that the first worker is still busy when the second starts.
    let path = big_csv(&dir, 100 << 20);
    let s3 = s3().await;
    for key in ["in/a.csv", "in/b.csv"] {
        let body = ByteStream::from_path(&path).await.unwrap();
        let put = s3.put_object().bucket(&stack.src).key(key).body(body);
        put.send().await.unwrap();
    }
    let depth = |want: (&'static str, &'static str)| {
        let queue = stack.queue.clone();
        async move {
            let want = (want.0.to_string(), want.1.to_string());
            for _ in 0..400 {
                if queue_depth(&queue).await == want {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        }
    };
    let queued = depth(("2", "0")).await;
    assert!(
        queued,
        "both notifications queued: {:?}",
        queue_depth(&stack.queue).await
    );
    let first = worker(&stack, &["--s3-connections", "1"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first worker holds one message; the other stays for the fleet.
    assert!(depth(("1", "1")).await, "the first worker took one message");
    let second = worker(&stack, &["--s3-connections", "1"]).output().unwrap();
    let first = first.wait_with_output().unwrap();
    let (log1, log2) = (text(&first.stderr), text(&second.stderr));
    assert!(
        first.status.success() && second.status.success(),
        "{log1}\n{log2}"
    );
    let processed = |log: &str| log.matches("\"message\":\"processed\"").count();
    assert_eq!(
        (processed(&log1), processed(&log2)),
        (1, 1),
        "each worker processed one object:\n{log1}\n{log2}"
    );
    for key in ["in/a.csv", "in/b.csv"] {
        let head = s3.head_object().bucket(&stack.dst).key(key).send().await;
        assert!(head.is_ok(), "{key} has its result");
    }
    assert_eq!(
        queue_depth(&stack.queue).await,
        ("0".to_string(), "0".to_string())
    );
}
