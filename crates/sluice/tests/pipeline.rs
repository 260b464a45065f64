//! The promises of the one read path and the one commit path, as a matrix:
//! every job × the input forms that reach it × plain, gzip, zstd and bzip2
//! gives the plain local run's result; UTF-16 and binary fail the same way
//! everywhere with nothing committed; a failure before publishing leaves
//! the previous results exactly as they were.

use crate::aws_lambda::{bootstrap, get, stack, stop};
use crate::util::{files_under, put, s3, sluice, text, unique, with_aws, with_stdin, TempDir};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const SENSOR: &str = "../../testdata/samples/sensor-readings.csv";
const ORDERS: &str = "../../testdata/orders/orders-2026-11-20.csv";
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

fn run(args: &[&str]) -> Output {
    let out = sluice().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    out
}

/// Runs `sluice ARGS` against moto.
fn cloud(args: &[&str]) -> Output {
    let mut cmd = sluice();
    with_aws(&mut cmd).args(args).output().unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The three reports under `dir`, by relative name.
fn reports(dir: &Path) -> Vec<(String, String)> {
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

/// Input that is not UTF-8 text: UTF-16 with and without a mark, binary.
fn not_text() -> Vec<(&'static str, Vec<u8>)> {
    let wide: Vec<u8> = "a,b\n1,9\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let mut marked = vec![0xFF, 0xFE];
    marked.extend(&wide);
    vec![
        ("UTF-16 LE byte-order mark", marked),
        ("UTF-16 LE text without a byte-order mark", wide),
        ("binary data", b"a,b\n1,\x00\x01\x02\n".to_vec()),
    ]
}

#[test]
fn utf16_and_binary_fail_every_job_with_nothing_committed() {
    let dir = TempDir::new("not-text");
    for (what, bytes) in not_text() {
        let input = dir.file("in.csv", &bytes);
        let out = dir.path().join("out");
        let (f, r, o) = (
            out.join("f.csv").display().to_string(),
            out.join("r.csv").display().to_string(),
            out.display().to_string(),
        );
        let jobs: [&[&str]; 3] = [
            &["filter", "-o", &f, "--rejects", &r],
            &["report", "-o", &o, "--ingest-date", "2026-11-20"],
            &["load", "--table", "t", "--dry-run", "--rejects", &r],
        ];
        for job in jobs {
            for stdin in [false, true] {
                let mut cmd = sluice();
                cmd.args(job);
                let run = if stdin {
                    with_stdin(&mut cmd, &bytes)
                } else {
                    cmd.arg(path(&input)).output().unwrap()
                };
                let err = text(&run.stderr);
                assert!(!run.status.success(), "{what} {job:?}");
                assert!(err.contains("not a UTF-8 CSV"), "{what} {job:?}: {err}");
                assert!(
                    files_under(&out).is_empty(),
                    "{what} {job:?} committed something"
                );
            }
        }
    }
}

#[test]
fn a_header_the_delimiter_leaves_whole_names_the_delimiter_to_use() {
    let dir = TempDir::new("delimiter");
    let input = dir.file("semi.csv", "id;price\n1;12.5\n2;0.5\n");
    let out = sluice().args(["filter", path(&input)]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--delimiter ';'"),
        "{}",
        text(&out.stderr)
    );
    let auto = run(&["filter", path(&input), "--delimiter", "auto", "-q"]);
    assert_eq!(text(&auto.stdout), "id;price\n1;12.5\n");
}

#[test]
fn an_input_is_never_an_output_and_two_outputs_never_share_a_name() {
    let dir = TempDir::new("distinct");
    let input = dir.file("in.csv", "a\n5\n");
    let out = path(&dir.path().join("out.csv")).to_string();
    let same = format!("{}/./in.csv", path(dir.path()));
    for args in [
        vec![
            "filter",
            path(&input),
            "-o",
            &out,
            "--rejects",
            path(&input),
        ],
        vec!["filter", path(&input), "-o", &same],
        vec!["filter", path(&input), "-o", &out, "--rejects", &out],
    ] {
        let run = sluice().args(&args).output().unwrap();
        assert!(!run.status.success(), "{args:?}");
        assert!(
            text(&run.stderr).contains("name another file")
                || text(&run.stderr).contains("give each its own"),
            "{}",
            text(&run.stderr)
        );
        assert_eq!(std::fs::read_to_string(&input).unwrap(), "a\n5\n");
        assert_eq!(files_under(dir.path()), vec![input.clone()]);
    }
}

/// The files under `dir` a writer left half-done.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|f| f.to_string_lossy().contains(".sluice-"))
        .collect()
}

#[test]
fn a_blocked_rejects_target_leaves_the_previous_result() {
    let dir = TempDir::new("blocked-rejects");
    let input = dir.file("in.csv", "a,b\n9,9\n1\n");
    let (out, rejects) = (dir.path().join("out.csv"), dir.path().join("rejects"));
    std::fs::write(&out, "previous\n").unwrap();
    std::fs::create_dir_all(rejects.join("in-the-way")).unwrap();
    let run = sluice()
        .args([
            "filter",
            path(&input),
            "-o",
            path(&out),
            "--rejects",
            path(&rejects),
        ])
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");
    assert!(
        temporaries(dir.path()).is_empty(),
        "{:?}",
        temporaries(dir.path())
    );
}

#[test]
fn a_blocked_third_report_leaves_all_three_previous_reports() {
    let dir = TempDir::new("blocked-report");
    let to = dir.path().join("reports");
    let input = dir.path().join("orders.csv");
    std::fs::copy(ORDERS, &input).unwrap();
    run(&[
        "report",
        path(&input),
        "-o",
        path(&to),
        "--ingest-date",
        "2026-11-20",
        "-q",
    ]);
    let before = reports(&to);
    // A changed input, and the third report's folder blocked by a file.
    let mut orders = std::fs::read_to_string(ORDERS).unwrap();
    orders.push_str("X-1,2023-09-07,First Class,Consumer,US,A,B,1,North,Toys,Games,P,1,2,1,0\n");
    std::fs::write(&input, orders).unwrap();
    std::fs::remove_dir_all(to.join("orders_by_category")).unwrap();
    std::fs::write(to.join("orders_by_category"), "in the way").unwrap();
    let run = sluice()
        .args([
            "report",
            path(&input),
            "-o",
            path(&to),
            "--ingest-date",
            "2026-11-20",
        ])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let after: Vec<_> = reports(&to)
        .into_iter()
        .filter(|(n, _)| n != "orders_by_category")
        .collect();
    let kept: Vec<_> = before
        .into_iter()
        .filter(|(n, _)| !n.starts_with("orders_by_category"))
        .collect();
    assert_eq!(after, kept, "the first two reports changed");
    assert!(
        temporaries(dir.path()).is_empty(),
        "{:?}",
        temporaries(dir.path())
    );
}

#[tokio::test(flavor = "current_thread")]
async fn an_s3_output_that_cannot_be_written_publishes_no_other() {
    let dst = unique("dst");
    let s3 = s3().await;
    s3.create_bucket().bucket(&dst).send().await.unwrap();
    put(&dst, "out.csv", b"previous\n").await;
    let dir = TempDir::new("s3-fault");
    let input = dir.file("in.csv", "a,b\n9,9\n1\n");
    let (out, rejects) = (
        format!("s3://{dst}/out.csv"),
        format!("s3://{}/r.csv", unique("missing")),
    );
    let run = cloud(&["filter", path(&input), "-o", &out, "--rejects", &rejects]);
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("NoSuchBucket"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(get(&dst, "out.csv").await.body, b"previous\n");
    let uploads = s3
        .list_multipart_uploads()
        .bucket(&dst)
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty(), "{:?}", uploads.uploads());
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    let dir = TempDir::new("broken-pipe");
    let mut big = b"id,value\n".to_vec();
    for i in 0..200_000 {
        big.extend_from_slice(format!("{i},9.5\n").as_bytes());
    }
    let input = dir.file("big.csv", &big);
    let mut child = sluice()
        .args(["filter", path(&input)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("error"),
        "{}",
        text(&out.stderr)
    );
}

/// A direct S3 event for `keys` in `bucket`.
fn s3_event(bucket: &str, keys: &[String]) -> Value {
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

/// The objects under `prefix` in `bucket`, bodies by key.
async fn objects(bucket: &str, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for key in crate::aws_lambda::keys(bucket).await {
        if key.starts_with(prefix) {
            all.push((key.clone(), get(bucket, &key).await.body));
        }
    }
    all
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

#[tokio::test(flavor = "current_thread")]
async fn utf16_and_binary_fail_from_s3_urls_lambda_events_and_the_watcher_alike() {
    let stack = stack(30).await;
    let dir = TempDir::new("not-text-cloud");
    let (inbox, outbox) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir_all(&inbox).unwrap();
    let mut keys = Vec::new();
    for (n, (what, bytes)) in not_text().into_iter().enumerate() {
        let key = format!("in/bad{n}.csv");
        put(&stack.src, &key, &bytes).await;
        std::fs::write(inbox.join(format!("bad{n}.csv")), &bytes).unwrap();
        let (url, out) = (
            format!("s3://{}/{key}", stack.src),
            format!("s3://{}/cli/{n}.csv", stack.dst),
        );
        let run = cloud(&["filter", &url, "-o", &out]);
        assert!(!run.status.success(), "{what}");
        assert!(
            text(&run.stderr).contains("not a UTF-8 CSV"),
            "{what}: {}",
            text(&run.stderr)
        );
        keys.push(key);
    }
    let (child, api) = bootstrap(&stack, vec![s3_event(&stack.src, &keys)], &[]);
    let answer = api.answer(Duration::from_secs(60));
    let log = stop(child);
    assert_eq!(answer.kind, "error", "{log}");
    assert_eq!(log.matches("not a UTF-8 CSV").count(), 3, "{log}");
    assert!(
        objects(&stack.dst, "").await.is_empty(),
        "something was committed"
    );
    let watch = sluice()
        .args(["watch", path(&inbox), "-o", path(&outbox), "--once"])
        .output()
        .unwrap();
    assert!(!watch.status.success());
    assert_eq!(
        text(&watch.stderr).matches("not a UTF-8 CSV").count(),
        3,
        "{}",
        text(&watch.stderr)
    );
    assert!(
        files_under(&outbox).is_empty(),
        "{:?}",
        files_under(&outbox)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_key_of_250_cjk_characters_is_processed_with_bounded_metadata() {
    let stack = stack(30).await;
    let key = format!("in/{}.csv", "注".repeat(250));
    put(&stack.src, &key, &std::fs::read(SENSOR).unwrap()).await;
    let (child, api) = bootstrap(
        &stack,
        vec![s3_event(&stack.src, std::slice::from_ref(&key))],
        &[],
    );
    let answer = api.answer(Duration::from_secs(60));
    let log = stop(child);
    assert_eq!(answer.body, json!({"processed": 1, "skipped": 0}), "{log}");
    let out = get(&stack.dst, &format!("filtered/{key}")).await;
    assert_eq!(out.body, run(&["filter", SENSOR]).stdout);
    let recorded = &out.metadata["sluice-source-key"];
    assert!(
        recorded.len() <= 1024 && recorded.ends_with("..."),
        "{recorded}"
    );
}
