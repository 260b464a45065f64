//! Backfills: S3 Batch Operations invocations through the Lambda Runtime
//! API, and prefix runs — killed halfway and run again — against moto,
//! with every request seen by an HTTP proxy that counts them (and
//! throttles the ones a test picks).

use crate::aws_lambda::{bootstrap, get, stop, Stack};
use crate::fault_proxy::{FaultProxy, HttpFault};
use crate::util::{endpoint, put, put_with, s3, sluice, sqs, text, unique, with_aws, TempDir};
use serde_json::json;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

const SAMPLE: &str = "../../testdata/samples/sensor-readings.csv";

async fn buckets() -> (String, String) {
    let (src, dst) = (unique("src"), unique("dst"));
    for b in [&src, &dst] {
        s3().await.create_bucket().bucket(b).send().await.unwrap();
    }
    (src, dst)
}

#[tokio::test(flavor = "current_thread")]
async fn batch_operations_answer_each_task_with_its_result_code() {
    let (src, dst) = buckets().await;
    let sample = std::fs::read(SAMPLE).unwrap();
    put(&src, "in/good file.csv", &sample).await;
    put(
        &src,
        "in/not-a-csv.csv",
        &[0u8, 159, 146, 150, 0, 1, 2, 3, 255, 0],
    )
    .await;
    put(&src, "in/throttled.csv", &sample).await;
    // Reads of this one answer 503 SlowDown, every time.
    let throttled = format!("GET /{src}/in/throttled.csv");
    let slow_down = HttpFault::s3(503, 1.0).on_line(&[&throttled], u32::MAX);
    let proxy = FaultProxy::http(&endpoint(), Some(slow_down));
    let task = |id: &str, key: &str| json!({"taskId": id, "s3Bucket": src, "s3Key": key, "s3VersionId": null});
    let invocation = json!({
        "invocationSchemaVersion": "2.0",
        "invocationId": "aW52b2NhdGlvbi0x",
        "job": {"id": "job-1", "userArguments": {"run": "backfill"}},
        "tasks": [task("t-good", "in/good file.csv"), task("t-missing", "in/missing.csv"),
                  task("t-binary", "in/not-a-csv.csv"), task("t-slow", "in/throttled.csv")],
    });
    let stack = Stack {
        src: src.clone(),
        dst: dst.clone(),
        queue: String::new(),
    };
    let (child, api) = bootstrap(
        &stack,
        vec![invocation],
        &[("AWS_ENDPOINT_URL", &proxy.url)],
    );
    let answer = api.answer(Duration::from_secs(120));
    let log = stop(child);
    assert_eq!(answer.kind, "response", "{:?}\n{log}", answer.body);
    let body = &answer.body;
    assert_eq!(body["invocationSchemaVersion"], "2.0");
    assert_eq!(body["invocationId"], "aW52b2NhdGlvbi0x");
    assert_eq!(body["treatMissingKeysAs"], "PermanentFailure");
    let codes: Vec<(String, String)> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["taskId"].as_str().unwrap().into(),
                r["resultCode"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        ("t-good", "Succeeded"),
        ("t-missing", "PermanentFailure"),
        ("t-binary", "PermanentFailure"),
        ("t-slow", "TemporaryFailure"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(codes, want, "{body}\n{log}");
    for r in body["results"].as_array().unwrap() {
        assert!(r["resultString"].as_str().unwrap().len() <= 512, "{r}");
    }
    assert!(
        body["results"][3]["resultString"]
            .as_str()
            .unwrap()
            .contains("SlowDown"),
        "{body}"
    );
    // The throttled read was tried (and refused) more than once by the SDK.
    let slow = proxy
        .requests()
        .iter()
        .filter(|l| l.contains("/in/throttled.csv"))
        .count();
    assert!(slow >= 2, "{slow}");
    // The good object's result is written, with the key as the task sent it.
    let out = get(&dst, "filtered/in/good file.csv").await;
    assert_eq!(out.metadata["sluice-source-key"], "in/good file.csv");
    assert!(!out.body.is_empty());
}

/// One small CSV per object: a header and three rows.
fn small_csv(n: usize) -> Vec<u8> {
    format!("id,value\n{n},1\n{n},250.5\n{n},99\n").into_bytes()
}

/// Writes `count` objects with 16 requests in flight.
async fn fill(bucket: &str, count: usize) {
    let client = s3().await;
    let mut pending = tokio::task::JoinSet::new();
    for n in 0..count {
        let (client, bucket) = (client.clone(), bucket.to_string());
        pending.spawn(async move {
            let key = format!("in/obj-{n:05}.csv");
            put_with(&client, &bucket, &key, &small_csv(n)).await;
        });
        if pending.len() >= 16 {
            pending.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(done) = pending.join_next().await {
        done.unwrap();
    }
}

/// Requests S3 took that made an object under `dir` visible — a PUT of
/// the whole object or the completion of a multipart upload — counted by
/// the object's name (the source key's last part).
fn writes_under(requests: &[String], dir: &str) -> BTreeMap<String, usize> {
    let mut writes = BTreeMap::new();
    for line in requests {
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let publish =
            (method == "PUT" && !query.contains("partNumber") && !query.contains("tagging"))
                || (method == "POST" && query.contains("uploadId"));
        // A conditional write S3 refused (412) changed nothing; one whose
        // answer never came (the writer was killed) may have been taken.
        // (no status: the proxy closed both ends when the writer died).
        let took = line.ends_with("-> 200") || line.ends_with("-> -") || !line.contains(" -> ");
        if let (true, Some(rest)) = (publish && took, path.strip_prefix(dir)) {
            let name = rest.trim_end_matches(".json").to_string();
            *writes.entry(name).or_insert(0) += 1;
        }
    }
    writes
}

fn prefix_run(proxy: &FaultProxy, src: &str, dst: &str) -> std::process::Command {
    let mut cmd = sluice();
    with_aws(&mut cmd)
        .env("AWS_ENDPOINT_URL", &proxy.url)
        .args([
            "filter",
            &format!("s3://{src}/in/"),
            "-o",
            &format!("s3://{dst}/out/"),
        ])
        .args(["--parallel", "8", "--threshold", "100"]);
    cmd
}

#[tokio::test(flavor = "current_thread")]
async fn a_prefix_run_killed_halfway_resumes_and_a_third_run_reads_nothing() {
    const OBJECTS: usize = 500;
    let (src, dst) = buckets().await;
    fill(&src, OBJECTS).await;
    let proxy = FaultProxy::http(&endpoint(), None);

    // First run: killed once about half the objects have a manifest.
    let mut first = prefix_run(&proxy, &src, &dst)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let manifests = format!("PUT /{dst}/out/_sluice/manifests/");
    let started = Instant::now();
    loop {
        let written = proxy
            .requests()
            .iter()
            .filter(|l| l.starts_with(&manifests))
            .count();
        if written >= OBJECTS / 2 {
            break;
        }
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended before it was killed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{written} manifests in 300 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let (results, manifests) = (
        format!("/{dst}/out/in/"),
        format!("/{dst}/out/_sluice/manifests/in/"),
    );
    let first_results = writes_under(&proxy.requests(), &results);
    let first_manifests = writes_under(&proxy.requests(), &manifests);
    assert!(
        first_results.len() < OBJECTS,
        "the first run finished before the kill"
    );
    // Objects the kill caught between their result and their manifest
    // (written last): nothing records them as done, so they are redone.
    let caught: Vec<&String> = first_results
        .keys()
        .filter(|k| !first_manifests.contains_key(*k))
        .collect();

    // Second run: picks up where the first stopped.
    let out = prefix_run(&proxy, &src, &dst).output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let summary = stderr
        .lines()
        .find(|l| l.contains(" objects: "))
        .unwrap_or_default();
    assert!(summary.ends_with(" 0 failed"), "{summary}");
    // Every object committed exactly once across both runs ...
    let manifests = writes_under(&proxy.requests(), &manifests);
    assert_eq!(manifests.len(), OBJECTS);
    assert!(manifests.values().all(|n| *n == 1), "{manifests:?}");
    // ... and its result written once, but for those the kill caught.
    let results = writes_under(&proxy.requests(), &results);
    assert_eq!(results.len(), OBJECTS);
    for (name, n) in &results {
        let allowed = if caught.contains(&name) { 2 } else { 1 };
        assert_eq!(
            *n, allowed,
            "{name}: {n} result writes (caught by the kill: {caught:?})"
        );
    }
    eprintln!(
        "killed after {} objects; {} caught between result and manifest",
        first_manifests.len(),
        caught.len()
    );

    // Third run: every object skipped by its manifest, no source read.
    proxy.clear();
    let out = prefix_run(&proxy, &src, &dst).output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let summary = format!("{OBJECTS} objects: 0 done, {OBJECTS} skipped, 0 failed");
    assert!(stderr.contains(&summary), "{stderr}");
    let requests = proxy.requests();
    let source_reads: Vec<_> = requests
        .iter()
        .filter(|l| {
            l.starts_with(&format!("GET /{src}/in/")) || l.starts_with(&format!("HEAD /{src}/in/"))
        })
        .collect();
    assert!(
        source_reads.is_empty(),
        "{} reads of sources, e.g. {:?}",
        source_reads.len(),
        source_reads.first()
    );
    let lists = requests
        .iter()
        .filter(|l| l.contains("list-type=2"))
        .count();
    assert_eq!(lists, 1, "one listing pass: 500 keys fit one page");
    assert!(writes_under(&requests, &format!("/{dst}/out/")).is_empty());
}

#[test]
fn a_folder_prefix_run_processes_every_file_with_the_suffix_and_fails_on_a_bad_one() {
    let dir = TempDir::new("prefix-folder");
    let sample = std::fs::read(SAMPLE).unwrap();
    std::fs::create_dir_all(dir.path().join("in/sub/deeper")).unwrap();
    for name in ["a.csv", "sub/b.csv", "sub/deeper/c.csv"] {
        dir.file(&format!("in/{name}"), &sample);
    }
    dir.file("in/notes.txt", "not for the job");
    let out_dir = dir.path().join("out");
    let run = |extra: &[&str]| {
        let mut cmd = sluice();
        cmd.args([
            "filter",
            dir.path().join("in").to_str().unwrap(),
            "-o",
            out_dir.to_str().unwrap(),
        ]);
        cmd.args(extra).output().unwrap()
    };
    let out = run(&["--parallel", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("3 objects: 3 done, 0 skipped, 0 failed"),
        "{}",
        text(&out.stderr)
    );
    for name in ["a.csv", "sub/b.csv", "sub/deeper/c.csv"] {
        assert!(out_dir.join(name).is_file(), "{name}");
    }
    assert!(!out_dir.join("notes.txt").exists());
    dir.file("in/sub/bad.csv", [0u8, 1, 2, 0, 255, 0]);
    let out = run(&[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("4 objects: 3 done, 0 skipped, 1 failed"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_queue_message_naming_a_prefix_runs_it_in_the_worker() {
    let (src, dst) = buckets().await;
    for n in 0..5 {
        put(&src, &format!("in/obj-{n}.csv"), &small_csv(n)).await;
    }
    put(&src, "other/x.csv", &small_csv(9)).await;
    let sqs = sqs().await;
    let queue = sqs
        .create_queue()
        .queue_name(unique("prefix"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let body = json!({"prefix": format!("s3://{src}/in/"), "parallel": 2}).to_string();
    sqs.send_message()
        .queue_url(&queue)
        .message_body(body)
        .send()
        .await
        .unwrap();
    let mut cmd = sluice();
    with_aws(&mut cmd)
        .args([
            "worker",
            "--queue",
            &queue,
            "--wait-secs",
            "1",
            "--exit-when-empty",
        ])
        .args([
            "--dest-bucket",
            &dst,
            "--dest-prefix",
            "out/",
            "--source-bucket",
            &src,
        ])
        .args(["--threshold", "100"]);
    let out = cmd.output().unwrap();
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    for n in 0..5 {
        let got = get(&dst, &format!("out/in/obj-{n}.csv")).await;
        assert_eq!(text(&got.body), format!("id,value\n{n},250.5\n"));
    }
    let keys = crate::aws_lambda::keys(&dst).await;
    assert!(!keys.iter().any(|k| k.contains("other/")), "{keys:?}");
    // Done: the message is deleted.
    let left = sqs
        .receive_message()
        .queue_url(&queue)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    assert!(left.messages.unwrap_or_default().is_empty());
}
