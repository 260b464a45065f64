//! The Lambda door end to end: moto's S3 and SQS, the `sluice` binary as a
//! `bootstrap` driven through the Lambda Runtime API protocol.

use crate::runtime_api::RuntimeApi;
use crate::util::{boto3, put, s3, sluice, sqs, text, unique, with_aws};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};
use std::process::{Child, Stdio};
use std::time::Duration;

const SAMPLE: &str = "../../testdata/samples/sensor-readings.csv";

/// Two buckets and a queue the source bucket notifies on `.csv` creations.
pub struct Stack {
    pub src: String,
    pub dst: String,
    pub queue: String,
}

pub async fn stack(visibility_secs: u32) -> Stack {
    let (s3, sqs) = (s3().await, sqs().await);
    let (src, dst) = (unique("src"), unique("dst"));
    for b in [&src, &dst] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    let queue = sqs
        .create_queue()
        .queue_name(unique("events"))
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            visibility_secs.to_string(),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    use aws_sdk_s3::types::*;
    let filter = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Suffix)
                        .value(".csv")
                        .build(),
                )
                .build(),
        )
        .build();
    let config = QueueConfiguration::builder()
        .queue_arn(arn)
        .events(Event::S3ObjectCreated)
        .filter(filter)
        .build()
        .unwrap();
    s3.put_bucket_notification_configuration()
        .bucket(&src)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(config)
                .build(),
        )
        .send()
        .await
        .unwrap();
    Stack { src, dst, queue }
}

/// Receives the queue's messages until `want` carry object records;
/// S3's test event is deleted on the way.
pub async fn object_messages(queue: &str, want: usize) -> Vec<aws_sdk_sqs::types::Message> {
    let sqs = sqs().await;
    let mut found = Vec::new();
    for _ in 0..50 {
        let resp = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for m in resp.messages.unwrap_or_default() {
            if m.body().unwrap_or_default().contains("s3:TestEvent") {
                let receipt = m.receipt_handle().unwrap();
                sqs.delete_message()
                    .queue_url(queue)
                    .receipt_handle(receipt)
                    .send()
                    .await
                    .unwrap();
            } else {
                found.push(m);
            }
        }
        if found.len() >= want {
            return found;
        }
    }
    panic!("only {} of {want} notifications arrived", found.len());
}

/// The event Lambda's SQS integration sends for these messages.
pub fn sqs_event(messages: &[aws_sdk_sqs::types::Message]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                   "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
                   "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:events", "awsRegion": "us-east-1"})
        })
        .collect();
    json!({ "Records": records })
}

/// Starts the binary as Lambda starts `bootstrap`: no arguments, the
/// Runtime API address and the configuration in the environment.
pub fn bootstrap(stack: &Stack, events: Vec<Value>, extra: &[(&str, &str)]) -> (Child, RuntimeApi) {
    let api = RuntimeApi::serve(events);
    let mut cmd = sluice();
    with_aws(&mut cmd)
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "sluice")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/sluice")
        .env("SLUICE_JOB", "filter")
        .env("SLUICE_SOURCE_BUCKET", &stack.src)
        .env("SLUICE_DEST_BUCKET", &stack.dst)
        .env("SLUICE_DEST_PREFIX", "filtered/")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    drain_stderr(&mut child);
    (child, api)
}

pub struct Object {
    pub body: Vec<u8>,
    pub metadata: std::collections::HashMap<String, String>,
}

pub async fn get(bucket: &str, key: &str) -> Object {
    let s3 = s3().await;
    let resp = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{bucket}/{key}: {e:?}"));
    let metadata = resp.metadata().cloned().unwrap_or_default();
    let body = resp.body.collect().await.unwrap().into_bytes().to_vec();
    Object { body, metadata }
}

/// The manifest of the last run for `source_key` under `prefix`.
pub async fn manifest(bucket: &str, prefix: &str, source_key: &str) -> Value {
    let key = format!("{prefix}_sluice/manifests/{source_key}.json");
    serde_json::from_slice(&get(bucket, &key).await.body).unwrap()
}

/// The keys of the data outputs: every key but the manifests.
pub async fn data_keys(bucket: &str) -> Vec<String> {
    let mut keys = keys(bucket).await;
    keys.retain(|k| !k.contains("_sluice/manifests/"));
    keys
}

pub async fn keys(bucket: &str) -> Vec<String> {
    let resp = s3()
        .await
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    resp.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

/// What `sluice filter` writes for a local file: the reference result.
pub fn filtered(path: &str) -> Vec<u8> {
    let out = sluice().args(["filter", "-q", path]).output().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// The stderr readers of running bootstraps, by process id.
type Drains = std::sync::Mutex<Vec<(u32, std::thread::JoinHandle<Vec<u8>>)>>;
static DRAINS: Drains = std::sync::Mutex::new(Vec::new());

/// Reads the child's stderr as it comes: a log longer than the pipe's
/// buffer (64 KiB) would otherwise block the function mid-invocation.
fn drain_stderr(child: &mut Child) {
    use std::io::Read;
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = stderr.read_to_end(&mut all);
        all
    });
    DRAINS.lock().unwrap().push((child.id(), reader));
}

pub fn stop(mut child: Child) -> String {
    let _ = child.kill();
    let _ = child.wait();
    let mut drains = DRAINS.lock().unwrap();
    let at = drains.iter().position(|(id, _)| *id == child.id());
    let reader = at.map(|at| drains.remove(at).1);
    drop(drains);
    text(&reader.map(|r| r.join().unwrap()).unwrap_or_default())
}

#[tokio::test(flavor = "current_thread")]
async fn uploaded_file_with_spaces_is_filtered_into_the_destination() {
    let stack = stack(30).await;
    // A user's upload: boto3, a key with spaces and parentheses.
    boto3(
        "s3.upload_file(sys.argv[1], sys.argv[2], sys.argv[3])",
        &[SAMPLE, &stack.src, "in/my file (1).csv"],
    );
    let messages = object_messages(&stack.queue, 1).await;
    assert!(
        messages[0].body().unwrap().contains("my+file+%281%29.csv"),
        "S3 encodes the key in the event: {:?}",
        messages[0].body()
    );
    let (child, api) = bootstrap(&stack, vec![sqs_event(&messages)], &[]);
    let answer = api.answer(Duration::from_secs(60));
    let log = stop(child);
    assert_eq!(answer.kind, "response", "{log}");
    assert_eq!(answer.request_id, "request-0");
    assert_eq!(answer.body, json!({"batchItemFailures": []}), "{log}");
    let out = get(&stack.dst, "filtered/in/my file (1).csv").await;
    assert_eq!(text(&out.body), text(&filtered(SAMPLE)));
    assert_eq!(out.metadata["sluice-source-bucket"], stack.src);
    assert_eq!(out.metadata["sluice-source-key"], "in/my file (1).csv");
    assert!(!out.metadata["sluice-source-etag"].is_empty());
    // A small result carries its counts in metadata too.
    assert_eq!(out.metadata["sluice-rows"], "6");
    assert_eq!(out.metadata["sluice-selected"], "3");
    // The run's manifest: the source read, the counts, the result's size
    // and checksum; no rejects, and so no rejects object to delete.
    let m = manifest(&stack.dst, "filtered/", "in/my file (1).csv").await;
    assert_eq!(m["format"], "sluice-manifest/1");
    assert_eq!(m["source"]["key"], "in/my file (1).csv");
    assert_eq!(
        m["source"]["etag"],
        out.metadata["sluice-source-etag"].as_str()
    );
    assert_eq!(m["job"], "filter");
    assert_eq!(
        m["counts"],
        json!({"read": 6, "selected": 3, "dropped": 3, "rejected": 0})
    );
    let outputs = m["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 1, "{m}");
    assert_eq!(
        outputs[0]["name"],
        format!("s3://{}/filtered/in/my file (1).csv", stack.dst)
    );
    assert_eq!(outputs[0]["role"], "result");
    assert_eq!(outputs[0]["bytes"], out.body.len());
    assert_eq!(
        outputs[0]["crc32"],
        format!("{:08x}", crc32fast::hash(&out.body))
    );
    // One JSON log line per object, with the request id and the counts.
    let line = log
        .lines()
        .find(|l| l.contains("\"processed\""))
        .unwrap_or_else(|| panic!("{log}"));
    let line: Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["request_id"], "request-0");
    assert_eq!(line["key"], "in/my file (1).csv");
    assert_eq!(line["selected"], 3);
    assert_eq!(line["level"], "info");
    // And where the time went: read and write MB/s, the engine's wait.
    for field in ["read_mb_s", "write_mb_s", "input_wait_ms"] {
        assert!(line[field].is_number(), "{field}: {line}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_record_is_processed_and_a_deleted_object_fails_alone() {
    let stack = stack(30).await;
    let s3 = s3().await;
    for key in ["in/a.csv", "in/b+c.csv", "in/gone.csv"] {
        put(&stack.src, key, b"x,y\n1,9\n2,3\n").await;
    }
    let messages = object_messages(&stack.queue, 3).await;
    s3.delete_object()
        .bucket(&stack.src)
        .key("in/gone.csv")
        .send()
        .await
        .unwrap();
    // One direct S3 notification holding every record.
    let mut records = Vec::new();
    for m in &messages {
        let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
        records.extend(body["Records"].as_array().unwrap().iter().cloned());
    }
    let event = json!({ "Records": records });
    let (child, api) = bootstrap(&stack, vec![event, sqs_event(&messages)], &[]);
    let direct = api.answer(Duration::from_secs(60));
    let queued = api.answer(Duration::from_secs(60));
    let log = stop(child);
    // Direct: the invocation fails (to be retried) but the others are written.
    assert_eq!(direct.kind, "error", "{log}");
    let mut written = keys(&stack.dst).await;
    written.sort();
    assert_eq!(
        written,
        [
            "filtered/_sluice/manifests/in/a.csv.json",
            "filtered/_sluice/manifests/in/b+c.csv.json",
            "filtered/in/a.csv",
            "filtered/in/b+c.csv"
        ],
        "{log}"
    );
    assert_eq!(
        text(&get(&stack.dst, "filtered/in/b+c.csv").await.body),
        "x,y\n1,9\n"
    );
    assert!(
        log.contains("no such object (deleted before it was processed?)"),
        "{log}"
    );
    // Through SQS: only the deleted object's message is reported.
    let gone = messages
        .iter()
        .find(|m| m.body().unwrap().contains("gone.csv"))
        .unwrap();
    assert_eq!(
        queued.body,
        json!({"batchItemFailures": [{"itemIdentifier": gone.message_id()}]}),
        "{log}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_repeated_event_rewrites_the_same_objects() {
    let stack = stack(30).await;
    put(&stack.src, "in/r.csv", b"v\n9\nshort,row\n1\n").await;
    let messages = object_messages(&stack.queue, 1).await;
    let event = sqs_event(&messages);
    let (child, api) = bootstrap(&stack, vec![event.clone(), event], &[]);
    let first = api.answer(Duration::from_secs(60));
    let before = get(&stack.dst, "filtered/in/r.csv").await;
    let manifest_before = manifest(&stack.dst, "filtered/", "in/r.csv").await;
    let second = api.answer(Duration::from_secs(60));
    let log = stop(child);
    assert_eq!(
        (first.kind.as_str(), second.kind.as_str()),
        ("response", "response"),
        "{log}"
    );
    let after = get(&stack.dst, "filtered/in/r.csv").await;
    assert_eq!(before.body, after.body);
    assert_eq!(before.metadata, after.metadata);
    // The repeat saw the manifest of this very version and wrote nothing.
    assert_eq!(
        manifest_before,
        manifest(&stack.dst, "filtered/", "in/r.csv").await
    );
    assert_eq!(manifest_before["counts"]["rejected"], 1);
    assert!(log.contains("already processed from this version"), "{log}");
    let mut written = keys(&stack.dst).await;
    written.sort();
    assert_eq!(
        written,
        [
            "filtered/_rejects/in/r.csv",
            "filtered/_sluice/manifests/in/r.csv.json",
            "filtered/in/r.csv"
        ]
    );
    let rejects = get(&stack.dst, "filtered/_rejects/in/r.csv").await;
    assert_eq!(
        text(&rejects.body),
        "line,reason,row\n3,\"expected 1 fields, found 2\",\"short,row\"\n"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn keys_outside_the_rules_are_skipped() {
    let stack = stack(30).await;
    // Not .csv, not created, and the function's own output in its bucket.
    let event = json!({"Records": [
        {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": stack.src}, "object": {"key": "in/notes.txt"}}},
        {"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": stack.src}, "object": {"key": "in/x.csv"}}},
        {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": stack.dst}, "object": {"key": "filtered/in/x.csv"}}}
    ]});
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": stack.src});
    let (child, api) = bootstrap(
        &stack,
        vec![event, test_event],
        &[("SLUICE_SOURCE_BUCKET", "")],
    );
    let answer = api.answer(Duration::from_secs(30));
    let test_answer = api.answer(Duration::from_secs(30));
    let log = stop(child);
    assert_eq!(answer.body, json!({"processed": 0, "skipped": 3}), "{log}");
    assert_eq!(
        test_answer.body,
        json!({"processed": 0, "skipped": 0}),
        "{log}"
    );
    assert!(keys(&stack.dst).await.is_empty());
}

#[test]
fn a_destination_overlapping_the_source_is_refused_at_start_up() {
    let mut cmd = sluice();
    with_aws(&mut cmd)
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env("SLUICE_SOURCE_BUCKET", "data")
        .env("SLUICE_DEST_BUCKET", "data")
        .env("SLUICE_SOURCE_PREFIX", "in/")
        .env("SLUICE_DEST_PREFIX", "in/filtered/");
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("recursive loop"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn eventbridge_and_sns_events_name_objects_too() {
    let stack = stack(30).await;
    for key in ["in/eb file.csv", "in/sns file.csv"] {
        put(&stack.src, key, b"v\n8\n2\n").await;
    }
    let eventbridge = json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3",
        "time": "2026-11-21T08:30:00Z", "region": "us-east-1",
        "detail": {"bucket": {"name": stack.src}, "object": {"key": "in/eb+file.csv", "size": 7}}});
    let s3_event = json!({"Records": [{"eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": stack.src}, "object": {"key": "in/sns+file.csv"}}}]});
    let sns = json!({"Records": [{"EventSource": "aws:sns",
        "Sns": {"Type": "Notification", "Message": s3_event.to_string()}}]});
    let (child, api) = bootstrap(&stack, vec![eventbridge, sns], &[]);
    let first = api.answer(Duration::from_secs(30));
    let second = api.answer(Duration::from_secs(30));
    let log = stop(child);
    assert_eq!(first.body, json!({"processed": 1, "skipped": 0}), "{log}");
    assert_eq!(second.body, json!({"processed": 1, "skipped": 0}), "{log}");
    for key in ["filtered/in/eb file.csv", "filtered/in/sns file.csv"] {
        assert_eq!(text(&get(&stack.dst, key).await.body), "v\n8\n", "{key}");
    }
}
