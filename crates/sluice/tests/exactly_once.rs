//! Exactly-once results from at-least-once events, through the Lambda
//! runtime API against moto: an older version's run that finishes last
//! writes nothing, events repeated and out of order leave identical
//! objects and manifests, clean runs leave no delete markers, and keys
//! that would map into Sluice's own namespaces are refused. The inspect
//! job keeps the same manifest, and a repeat of its event (Lambda or
//! worker) reads that manifest and nothing else.

use crate::aws_lambda::{bootstrap, data_keys, get, manifest, stack, stop, Stack};
use crate::fault_proxy::FaultProxy;
use crate::util::{endpoint, filter_file, put, s3, sluice, text, TempDir};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "in/k.csv";

fn csv(rows: usize, seed: u32) -> Vec<u8> {
    let mut out = b"id,value\n".to_vec();
    for i in 0..rows {
        let value = (i as u32).wrapping_mul(seed) % 100;
        out.extend_from_slice(format!("{i},{}.{}\n", value / 10, value % 10).as_bytes());
    }
    out
}

async fn versioned(bucket: &str) {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let on = VersioningConfiguration::builder()
        .status(BucketVersioningStatus::Enabled)
        .build();
    s3().await
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(on)
        .send()
        .await
        .unwrap();
}

/// Uploads a version; returns its id.
async fn put_version(bucket: &str, key: &str, body: &[u8]) -> String {
    put(bucket, key, body).await.expect("a versioned bucket")
}

/// A direct S3 notification as S3 sends it: versionId and sequencer set.
fn event(bucket: &str, key: &str, version: &str, sequencer: &str) -> Value {
    json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-30T07:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
               "object": {"key": key, "versionId": version, "sequencer": sequencer}}}]})
}

/// Runs one invocation to its answer; returns the log.
fn invoke(stack: &Stack, event: Value, env: &[(&str, &str)]) -> String {
    let (child, api) = bootstrap(stack, vec![event], env);
    let answer = api.answer(Duration::from_secs(120));
    let log = stop(child);
    assert_eq!(answer.kind, "response", "{log}");
    log
}

#[tokio::test(flavor = "current_thread")]
async fn an_older_version_finishing_last_leaves_the_newer_result() {
    let stack = stack(30).await;
    versioned(&stack.src).await;
    let (old_body, new_body) = (csv(200_000, 7), csv(1_000, 3));
    let v1 = put_version(&stack.src, KEY, &old_body).await;
    let v2 = put_version(&stack.src, KEY, &new_body).await;
    let newer = event(&stack.src, KEY, &v2, "0055AED6DCD90281F0");
    // The run for v1 reads through the proxy; 1 MB in, its connection is
    // cut, and before it resumes the run for v2 goes from start to end.
    let copy = Stack {
        src: stack.src.clone(),
        dst: stack.dst.clone(),
        queue: stack.queue.clone(),
    };
    let run_newer = Arc::new(move || {
        invoke(&copy, newer.clone(), &[]);
    });
    let proxy = FaultProxy::start(&endpoint(), 1 << 20, 1, Some(run_newer));
    let older = event(&stack.src, KEY, &v1, "0055AED6DCD90281E5");
    let log = invoke(&stack, older, &[("AWS_ENDPOINT_URL", &proxy.url)]);
    assert_eq!(proxy.injected(), 1);
    assert!(log.contains("superseded; nothing written"), "{log}");
    let result = get(&stack.dst, &format!("filtered/{KEY}")).await;
    assert_eq!(result.body, filter_file(&new_body));
    assert_eq!(result.metadata["sluice-source-version"], v2);
    let m = manifest(&stack.dst, "filtered/", KEY).await;
    assert_eq!(
        (
            m["source"]["version"].as_str(),
            m["source"]["sequencer"].as_str()
        ),
        (Some(v2.as_str()), Some("0055AED6DCD90281F0"))
    );
}

#[tokio::test(flavor = "current_thread")]
async fn events_twice_and_out_of_order_leave_identical_objects_and_manifest() {
    let stack = stack(30).await;
    versioned(&stack.src).await;
    let (old_body, new_body) = (csv(50, 7), b"id,value\n1,20\n2,x,y\n".to_vec());
    let v1 = put_version(&stack.src, KEY, &old_body).await;
    let v2 = put_version(&stack.src, KEY, &new_body).await;
    let newer = event(&stack.src, KEY, &v2, "0055AED6DCD90281F0");
    invoke(&stack, newer.clone(), &[]);
    let snapshot = || async {
        let mut objects = Vec::new();
        for key in data_keys(&stack.dst).await {
            let o = get(&stack.dst, &key).await;
            objects.push((key, o.body, o.metadata));
        }
        (objects, manifest(&stack.dst, "filtered/", KEY).await)
    };
    let first = snapshot().await;
    assert_eq!(
        first.0.len(),
        2,
        "the result and its rejects: {:?}",
        first.0
    );
    // The older event arrives late, then the newer one again.
    let late = invoke(
        &stack,
        event(&stack.src, KEY, &v1, "0055AED6DCD90281E5"),
        &[],
    );
    assert!(late.contains("superseded; nothing written"), "{late}");
    // ... and counted: the metrics line says superseded, not processed.
    let metrics = crate::emf::documents(&late);
    let object = metrics
        .iter()
        .find(|d| d["key"] == KEY)
        .unwrap_or_else(|| panic!("{late}"));
    crate::emf::check(object).unwrap();
    assert_eq!(
        (
            object["ObjectsSuperseded"].as_f64(),
            object["ObjectsProcessed"].as_f64()
        ),
        (Some(1.0), Some(0.0)),
        "{object}"
    );
    let again = invoke(&stack, newer, &[]);
    assert!(
        again.contains("already processed from this version"),
        "{again}"
    );
    assert_eq!(snapshot().await, first);
    assert_eq!(
        first.1["counts"],
        json!({"read": 2, "selected": 1, "dropped": 0, "rejected": 1})
    );
}

/// Delete markers in a versioned bucket.
async fn delete_markers(bucket: &str) -> usize {
    let out = s3()
        .await
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    out.delete_markers().len()
}

#[tokio::test(flavor = "current_thread")]
async fn clean_runs_delete_nothing_and_stale_rejects_go_once() {
    let stack = stack(30).await;
    versioned(&stack.src).await;
    versioned(&stack.dst).await;
    let bodies: [&[u8]; 4] = [b"v\n20\n", b"v\n30\n", b"v\n40\nbad,row\n", b"v\n50\n"];
    for (i, body) in bodies.iter().enumerate() {
        let v = put_version(&stack.src, KEY, body).await;
        invoke(
            &stack,
            event(&stack.src, KEY, &v, &format!("0055AED6DCD90281E{i}")),
            &[],
        );
        let (markers, rejects) = (
            delete_markers(&stack.dst).await,
            data_keys(&stack.dst).await.len() == 2,
        );
        // Two clean runs: no DELETE; rejects; then a clean run removes them.
        assert_eq!(
            (markers, rejects),
            [(0, false), (0, false), (0, true), (1, false)][i],
            "run {i}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn keys_under_reserved_prefixes_are_refused_by_lambda_and_watcher() {
    let stack = stack(30).await;
    put(&stack.src, "x.csv", b"v\n20\nbad,row\n").await;
    put(&stack.src, "_rejects/x.csv", b"v\n30\n").await;
    // S3 encodes keys in events: `_` and `/` stay as they are.
    let record = |key: &str| {
        json!({"eventName": "ObjectCreated:Put",
               "s3": {"bucket": {"name": stack.src}, "object": {"key": key}}})
    };
    let both = json!({"Records": [record("x.csv"), record("_rejects/x.csv")]});
    let env = [("SLUICE_DEST_PREFIX", "")];
    let log = invoke(&stack, both, &env);
    assert!(log.contains("reserved prefix"), "{log}");
    let rejects = get(&stack.dst, "_rejects/x.csv").await;
    assert!(
        text(&rejects.body).contains("bad,row"),
        "x.csv's rejects stay its own"
    );

    let tmp = TempDir::new("reserved");
    std::fs::create_dir_all(tmp.path().join("in/_rejects")).unwrap();
    tmp.file("in/x.csv", b"v\n20\nbad,row\n");
    tmp.file("in/_rejects/x.csv", b"v\n30\n");
    let out = tmp.path().join("out");
    let run = sluice()
        .args(["watch", "--once"])
        .arg(tmp.path().join("in"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let log = text(&run.stderr);
    assert!(run.status.success(), "{log}");
    assert!(log.contains("reserved prefix"), "{log}");
    let rejects = std::fs::read_to_string(out.join("_rejects/x.csv")).unwrap();
    assert!(rejects.contains("bad,row"), "{rejects}");
    let m: Value =
        serde_json::from_slice(&std::fs::read(out.join("_sluice/manifests/x.csv.json")).unwrap())
            .unwrap();
    assert_eq!(m["counts"]["rejected"], 1);
}

/// The stack's queue without the notifications moto sent, for a test
/// to send the events S3 would, in its own order.
async fn purged_queue(stack: &Stack) -> aws_sdk_sqs::Client {
    let sqs = crate::util::sqs().await;
    sqs.purge_queue()
        .queue_url(&stack.queue)
        .send()
        .await
        .unwrap();
    sqs
}

/// Sends `event` to the stack's queue and runs `worker` on it alone (a
/// standard queue does not keep the order of several); returns its log.
async fn work_one(
    stack: &Stack,
    sqs: &aws_sdk_sqs::Client,
    event: Value,
    mut worker: std::process::Command,
) -> String {
    sqs.send_message()
        .queue_url(&stack.queue)
        .message_body(event.to_string())
        .send()
        .await
        .unwrap();
    let out = worker.output().unwrap();
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    log
}

#[tokio::test(flavor = "current_thread")]
async fn the_worker_keeps_the_newer_result_of_events_out_of_order() {
    let stack = stack(30).await;
    versioned(&stack.src).await;
    let (old_body, new_body) = (csv(40, 7), csv(30, 3));
    let v1 = put_version(&stack.src, KEY, &old_body).await;
    let v2 = put_version(&stack.src, KEY, &new_body).await;
    // The events S3 would send, late and twice: v2, v1, v2.
    let sqs = purged_queue(&stack).await;
    for (v, seq) in [
        (&v2, "0055AED6DCD90281F0"),
        (&v1, "0055AED6DCD90281E5"),
        (&v2, "0055AED6DCD90281F0"),
    ] {
        let worker = crate::aws_worker::worker(&stack, &["--dest-prefix", "filtered/"]);
        work_one(&stack, &sqs, event(&stack.src, KEY, v, seq), worker).await;
    }
    let result = get(&stack.dst, &format!("filtered/{KEY}")).await;
    assert_eq!(result.body, filter_file(&new_body));
    let m = manifest(&stack.dst, "filtered/", KEY).await;
    assert_eq!(m["source"]["version"].as_str(), Some(v2.as_str()));
}

#[tokio::test(flavor = "current_thread")]
async fn a_clean_run_costs_one_request_more_than_before_manifests() {
    let stack = stack(30).await;
    put(&stack.src, KEY, b"v\n20\n5\n").await;
    let proxy = FaultProxy::http(&endpoint(), None);
    let record = json!({"eventName": "ObjectCreated:Put",
                        "s3": {"bucket": {"name": stack.src}, "object": {"key": KEY}}});
    invoke(
        &stack,
        json!({ "Records": [record] }),
        &[("AWS_ENDPOINT_URL", &proxy.url)],
    );
    let requests = proxy.requests();
    let verbs: Vec<&str> = requests
        .iter()
        .map(|r| r.split(' ').next().unwrap())
        .collect();
    // Manifest (404), source, the result's upload (create, part), the
    // manifest again before publishing (404), completion, the manifest:
    // 7, where a run without manifests took 6 (GET, 3 for the upload, a
    // PutObjectTagging of the counts, a DeleteObject of absent rejects).
    assert_eq!(
        verbs,
        ["GET", "GET", "POST", "PUT", "GET", "POST", "PUT"],
        "{requests:#?}"
    );
}

/// Where the inspect job's document of `KEY` goes: beside the filter's
/// result, with `.json` added.
const DOCUMENT: &str = "filtered/in/k.csv.json";

/// What an inspect run left: the document, its metadata, the manifest.
type Inspected = (Vec<u8>, std::collections::HashMap<String, String>, Value);

/// Checks that the manifest of the inspect run on `version` of `KEY`
/// (`rows` rows) names that version, the job and the one document it
/// published, as published; returns what the run left.
async fn inspected(stack: &Stack, version: &str, rows: usize) -> Inspected {
    let s3 = s3().await;
    let source = s3
        .head_object()
        .bucket(&stack.src)
        .key(KEY)
        .version_id(version);
    let source = source.send().await.unwrap();
    let etag = source.e_tag().unwrap().trim_matches('"');
    let document = get(&stack.dst, DOCUMENT).await;
    let published = s3.head_object().bucket(&stack.dst).key(DOCUMENT);
    let published = published.send().await.unwrap();
    let m = manifest(&stack.dst, "filtered/", KEY).await;
    assert_eq!(m["format"], "sluice-manifest/1");
    assert_eq!(
        (&m["source"]["bucket"], &m["source"]["key"]),
        (&json!(stack.src), &json!(KEY))
    );
    assert_eq!(
        (
            m["source"]["version"].as_str(),
            m["source"]["etag"].as_str()
        ),
        (Some(version), Some(etag)),
        "{m}"
    );
    assert_eq!(m["job"], "inspect");
    let outputs = json!([{"name": format!("s3://{}/{DOCUMENT}", stack.dst), "role": "document",
        "bytes": document.body.len(), "crc32": format!("{:08x}", crc32fast::hash(&document.body)),
        "etag": published.e_tag().unwrap().trim_matches('"')}]);
    assert_eq!(m["outputs"], outputs, "{m}");
    assert_eq!(
        m["counts"],
        json!({"read": rows, "selected": 0, "dropped": 0, "rejected": 0})
    );
    // The document is of the same version as its manifest.
    let doc: Value = serde_json::from_slice(&document.body).unwrap();
    assert_eq!(
        (
            doc["object"]["version_id"].as_str(),
            doc["object"]["etag"].as_str()
        ),
        (Some(version), Some(etag))
    );
    assert_eq!(doc["csv"]["rows"], rows);
    assert_eq!(document.metadata["sluice-source-version"], version);
    (document.body, document.metadata, m)
}

/// The requests among `requests` that name `bucket`'s objects.
fn touching(requests: &[String], bucket: &str) -> Vec<String> {
    let path = format!(" /{bucket}/");
    requests
        .iter()
        .filter(|r| r.contains(&path))
        .cloned()
        .collect()
}

/// Checks that a run seen by `proxy` read the manifest of `KEY` alone: no
/// request for the source, none that writes.
fn only_the_manifest_read(proxy: &FaultProxy, stack: &Stack) {
    let requests = proxy.requests();
    assert_eq!(touching(&requests, &stack.src), Vec::<String>::new());
    let manifest = format!("GET /{}/filtered/_sluice/manifests/{KEY}", stack.dst);
    let dst = touching(&requests, &stack.dst);
    assert!(
        dst.len() == 1 && dst[0].starts_with(&manifest) && dst[0].ends_with("-> 200"),
        "{requests:#?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn inspect_keeps_a_manifest_and_a_repeated_event_reads_nothing() {
    let stack = stack(30).await;
    versioned(&stack.src).await;
    let v1 = put_version(&stack.src, KEY, &csv(20, 7)).await;
    let first = event(&stack.src, KEY, &v1, "0055AED6DCD90281E5");
    let inspect = [("SLUICE_JOB", "inspect")];
    invoke(&stack, first.clone(), &inspect);
    let before = inspected(&stack, &v1, 20).await;
    // The same event again: the manifest read, and nothing else.
    let proxy = FaultProxy::http(&endpoint(), None);
    let env = [inspect[0], ("AWS_ENDPOINT_URL", &proxy.url)];
    let again = invoke(&stack, first, &env);
    assert!(
        again.contains("already processed from this version"),
        "{again}"
    );
    only_the_manifest_read(&proxy, &stack);
    assert_eq!(inspected(&stack, &v1, 20).await, before);
    // A new version is not taken for a repeat.
    let v2 = put_version(&stack.src, KEY, &csv(30, 3)).await;
    let newer = event(&stack.src, KEY, &v2, "0055AED6DCD90281F0");
    let log = invoke(&stack, newer, &inspect);
    assert!(!log.contains("already processed"), "{log}");
    inspected(&stack, &v2, 30).await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_worker_skips_a_repeated_inspect_event_without_reading() {
    let stack = stack(30).await;
    versioned(&stack.src).await;
    let v1 = put_version(&stack.src, KEY, &csv(25, 7)).await;
    let sqs = purged_queue(&stack).await;
    let proxy = FaultProxy::http(&endpoint(), None);
    let mut before = None;
    for run in 0..2 {
        proxy.clear();
        let args = ["--dest-prefix", "filtered/", "--job", "inspect"];
        let mut worker = crate::aws_worker::worker(&stack, &args);
        worker.env("AWS_ENDPOINT_URL", &proxy.url);
        let once = event(&stack.src, KEY, &v1, "0055AED6DCD90281E5");
        let log = work_one(&stack, &sqs, once, worker).await;
        let now = inspected(&stack, &v1, 25).await;
        if run == 1 {
            assert!(log.contains("already processed from this version"), "{log}");
            only_the_manifest_read(&proxy, &stack);
            assert_eq!(before.as_ref(), Some(&now));
        }
        before = Some(now);
    }
}
