//! The promise of the one read path, as a matrix: every job × the input
//! forms that reach it × plain, gzip, zstd and bzip2 gives the plain local
//! run's result. What it refuses (`pipeline_refused`) and the commit path
//! (`pipeline_commit`) have files of their own, which share the helpers
//! here.

use crate::aws_lambda::{bootstrap, get, stack, stop};
use crate::util::{files_under, put, s3, sluice, text, with_aws, with_stdin, TempDir};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

pub(crate) const SENSOR: &str = "../../testdata/samples/sensor-readings.csv";
pub(crate) const ORDERS: &str = "../../testdata/orders/orders-2026-11-20.csv";
/// Each compression by its file extension and the tool that makes it.
pub const FORMS: [(&str, &str); 4] = [
    ("", ""),
    (".gz", "gzip"),
    (".zst", "zstd"),
    (".bz2", "bzip2"),
];

/// `bytes` compressed by `tool` (the command-line tools, so the fixtures
/// do not come from the code under test); unchanged without one.
pub fn pack(tool: &str, bytes: &[u8]) -> Vec<u8> {
    if tool.is_empty() {
        return bytes.to_vec();
    }
    let mut cmd = Command::new(tool);
    cmd.args(["-c", "-q"]);
    let out = with_stdin(&mut cmd, bytes);
    assert!(out.status.success(), "{tool}: {}", text(&out.stderr));
    out.stdout
}

/// Decompressed by `tool`.
fn unpack(tool: &str, bytes: &[u8]) -> Vec<u8> {
    if tool.is_empty() {
        return bytes.to_vec();
    }
    let mut cmd = Command::new(tool);
    cmd.args(["-d", "-c", "-q"]);
    let out = with_stdin(&mut cmd, bytes);
    assert!(out.status.success(), "{tool} -d: {}", text(&out.stderr));
    out.stdout
}

pub(crate) fn run(args: &[&str]) -> Output {
    let out = sluice().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    out
}

/// Runs `sluice ARGS` against moto.
pub(crate) fn cloud(args: &[&str]) -> Output {
    let mut cmd = sluice();
    with_aws(&mut cmd).args(args).output().unwrap()
}

pub(crate) fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The three reports under `dir`, by relative name.
pub(crate) fn reports(dir: &Path) -> Vec<(String, String)> {
    let mut all: Vec<_> = files_under(dir)
        .into_iter()
        .map(|f| {
            let name = f.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&f).unwrap())
        })
        .collect();
    all.sort();
    all
}

#[test]
fn every_job_reads_every_compression_from_a_file_and_from_stdin() {
    let dir = TempDir::new("matrix-local");
    let (sensor, orders) = (
        std::fs::read(SENSOR).unwrap(),
        std::fs::read(ORDERS).unwrap(),
    );
    let filtered = run(&["filter", SENSOR]).stdout;
    let plain_reports = dir.path().join("plain");
    run(&[
        "report",
        ORDERS,
        "-o",
        path(&plain_reports),
        "--ingest-date",
        "2026-11-20",
        "-q",
    ]);
    for (ext, tool) in FORMS {
        let input = dir.file(&format!("sensor.csv{ext}"), pack(tool, &sensor));
        let out = dir.path().join(format!("out{ext}.csv"));
        run(&["filter", path(&input), "-o", path(&out), "-q"]);
        assert_eq!(std::fs::read(&out).unwrap(), filtered, "filter {ext} file");
        let piped = with_stdin(sluice().args(["filter", "-q"]), &pack(tool, &sensor));
        assert_eq!(
            piped.stdout,
            filtered,
            "filter {ext} stdin: {}",
            text(&piped.stderr)
        );

        let orders_in = dir.file(&format!("orders.csv{ext}"), pack(tool, &orders));
        let to = dir.path().join(format!("reports{ext}"));
        run(&[
            "report",
            path(&orders_in),
            "-o",
            path(&to),
            "--ingest-date",
            "2026-11-20",
            "-q",
        ]);
        let renamed: Vec<_> = reports(&to)
            .into_iter()
            .map(|(n, body)| (n.replace("orders.csv", "orders-2026-11-20.csv"), body))
            .collect();
        assert_eq!(renamed, reports(&plain_reports), "report {ext}");

        let load = run(&[
            "load",
            path(&orders_in),
            "--table",
            "t",
            "--key",
            "Order Id",
            "--dry-run",
        ]);
        assert!(
            text(&load.stderr).contains("9 rows read, 9 items would be written"),
            "load {ext}: {}",
            text(&load.stderr)
        );

        let doc: Value = serde_json::from_slice(&run(&["inspect", path(&input)]).stdout).unwrap();
        assert_eq!(doc["csv"]["rows"], 6, "inspect {ext}");
        assert_eq!(
            doc["csv"]["compression"],
            if tool.is_empty() {
                json!(null)
            } else {
                json!(tool)
            }
        );
    }
}

#[test]
fn the_watcher_reads_every_compression_and_writes_results_compressed_alike() {
    let dir = TempDir::new("matrix-watch");
    let (inbox, outbox) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir_all(&inbox).unwrap();
    let sensor = std::fs::read(SENSOR).unwrap();
    for (ext, tool) in FORMS {
        std::fs::write(inbox.join(format!("s.csv{ext}")), pack(tool, &sensor)).unwrap();
    }
    run(&["watch", path(&inbox), "-o", path(&outbox), "--once"]);
    let filtered = run(&["filter", SENSOR]).stdout;
    for (ext, tool) in FORMS {
        let result = std::fs::read(outbox.join(format!("s.csv{ext}"))).unwrap();
        assert_eq!(unpack(tool, &result), filtered, "watch {ext}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn s3_objects_and_lambda_events_are_decoded_the_same_way() {
    let stack = stack(30).await;
    let sensor = std::fs::read(SENSOR).unwrap();
    let filtered = run(&["filter", SENSOR]).stdout;
    let mut keys = Vec::new();
    for (ext, tool) in FORMS {
        let key = format!("in/s.csv{ext}");
        put(&stack.src, &key, &pack(tool, &sensor)).await;
        let out = cloud(&["filter", &format!("s3://{}/{key}", stack.src), "-q"]);
        assert_eq!(out.stdout, filtered, "s3 {ext}: {}", text(&out.stderr));
        keys.push(key);
    }
    // No name says it: the object's Content-Encoding does.
    let gz = pack("gzip", &sensor);
    s3().await
        .put_object()
        .bucket(&stack.src)
        .key("in/encoded.csv")
        .content_encoding("gzip")
        .body(gz.into())
        .send()
        .await
        .unwrap();
    keys.push("in/encoded.csv".to_string());
    let (child, api) = bootstrap(&stack, vec![s3_event(&stack.src, &keys)], &[]);
    let answer = api.answer(Duration::from_secs(60));
    let log = stop(child);
    assert_eq!(answer.kind, "response", "{log}");
    for (ext, tool) in FORMS {
        let result = get(&stack.dst, &format!("filtered/in/s.csv{ext}")).await;
        assert_eq!(unpack(tool, &result.body), filtered, "lambda {ext}");
    }
    let encoded = get(&stack.dst, "filtered/in/encoded.csv").await;
    assert_eq!(
        unpack("gzip", &encoded.body),
        filtered,
        "Content-Encoding: gzip"
    );
}

/// A direct S3 event for `keys` in `bucket`.
pub(crate) fn s3_event(bucket: &str, keys: &[String]) -> Value {
    let records: Vec<Value> = keys
        .iter()
        .map(|key| {
            json!({"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                "eventTime": "2026-11-30T10:00:00.000Z",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key}}})
        })
        .collect();
    json!({ "Records": records })
}

#[tokio::test(flavor = "current_thread")]
async fn report_and_inspect_read_every_compression_from_s3_urls_and_lambda_events() {
    let stack = stack(30).await;
    let orders = std::fs::read(ORDERS).unwrap();
    let dir = TempDir::new("matrix-cloud");
    let plain = dir.path().join("plain");
    run(&[
        "report",
        ORDERS,
        "-o",
        path(&plain),
        "--ingest-date",
        "2026-11-30",
        "-q",
    ]);
    let expected: Vec<String> = reports(&plain).into_iter().map(|(_, body)| body).collect();
    let mut keys = Vec::new();
    for (ext, tool) in FORMS {
        let key = format!("in/o{}.csv{ext}", tool.len());
        put(&stack.src, &key, &pack(tool, &orders)).await;
        let (url, to) = (
            format!("s3://{}/{key}", stack.src),
            dir.path().join(format!("r{ext}")),
        );
        let out = cloud(&[
            "report",
            &url,
            "-o",
            path(&to),
            "--ingest-date",
            "2026-11-30",
            "-q",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let bodies: Vec<String> = reports(&to).into_iter().map(|(_, b)| b).collect();
        assert_eq!(bodies, expected, "report s3 {ext}");
        let doc: Value = serde_json::from_slice(&cloud(&["inspect", &url]).stdout).unwrap();
        assert_eq!(doc["csv"]["rows"], 9, "inspect s3 {ext}");
        keys.push(key);
    }
    for job in ["report", "inspect"] {
        let (child, api) = bootstrap(
            &stack,
            vec![s3_event(&stack.src, &keys)],
            &[("SLUICE_JOB", job)],
        );
        let answer = api.answer(Duration::from_secs(60));
        let log = stop(child);
        assert_eq!(answer.kind, "response", "{job}: {log}");
    }
    for (ext, tool) in FORMS {
        let stem = format!("in%2Fo{}", tool.len());
        for report in [
            "profit_by_region",
            "top_ship_mode_by_category",
            "orders_by_category",
        ] {
            let key = format!("filtered/{report}/ingest_date=2026-11-30/{stem}.csv");
            let body = text(&get(&stack.dst, &key).await.body);
            assert!(
                expected.contains(&body),
                "lambda report {ext} {report}: {body}"
            );
        }
        let doc = get(
            &stack.dst,
            &format!("filtered/in/o{}.csv{ext}.json", tool.len()),
        )
        .await;
        let doc: Value = serde_json::from_slice(&doc.body).unwrap();
        assert_eq!(doc["csv"]["rows"], 9, "lambda inspect {ext}");
    }
}
