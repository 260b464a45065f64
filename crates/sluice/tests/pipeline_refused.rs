//! Input the one read path refuses, the same way at every door: UTF-16
//! and binary fail every job, locally and from S3 URLs, Lambda events and
//! the watcher, with nothing committed; a header the delimiter leaves
//! whole names the delimiter to use; an input is never an output.

use crate::aws_lambda::{bootstrap, get, stack, stop};
use crate::pipeline::{cloud, path, run, s3_event};
use crate::util::{files_under, put, sluice, text, with_stdin, TempDir};
use std::time::Duration;

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
