//! The one commit path: a failure before publishing leaves the previous
//! results exactly as they were, with no temporary file or open upload
//! behind; a reader that stops early ends the run quietly; a long key's
//! metadata stays within S3's bounds.

use crate::aws_lambda::{bootstrap, get, stack, stop};
use crate::pipeline::{cloud, path, reports, run, s3_event, ORDERS, SENSOR};
use crate::util::{files_under, put, s3, sluice, text, unique, TempDir};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

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
