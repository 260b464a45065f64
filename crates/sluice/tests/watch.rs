//! `sluice watch`: a local folder used like a bucket.

use crate::util::{sluice, text, write_dated, TempDir};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// `sluice watch DIR -o OUT --once`.
fn watch_once(dir: &Path, out: &Path) -> Output {
    sluice()
        .arg("watch")
        .arg(dir)
        .arg("-o")
        .arg(out)
        .arg("--once")
        .output()
        .unwrap()
}

#[test]
fn once_processes_what_is_there_with_rejects_beside() {
    let dir = TempDir::new("watch-once");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(inbox.join("sub")).unwrap();
    std::fs::write(inbox.join("a.csv"), "v\n9\n1\n").unwrap();
    std::fs::write(inbox.join("sub/b c.csv"), "v,w\n1,8\nx\n").unwrap();
    std::fs::write(inbox.join("ignored.txt"), "v\n9\n").unwrap();
    let outbox = inbox.join("outbox"); // inside the watched folder: left out of the scan
    let out = watch_once(&inbox, &outbox);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(outbox.join("a.csv")).unwrap(),
        "v\n9\n"
    );
    assert_eq!(
        std::fs::read_to_string(outbox.join("sub/b c.csv")).unwrap(),
        "v,w\n1,8\n"
    );
    assert_eq!(
        std::fs::read_to_string(outbox.join("_rejects/sub/b c.csv")).unwrap(),
        "line,reason,row\n3,\"expected 2 fields, found 1\",x\n"
    );
    assert!(!outbox.join("_rejects/a.csv").exists());
    assert!(!outbox.join("ignored.txt").exists());
    // A second pass over the same folder finds its own results left out.
    let again = watch_once(&inbox, &outbox);
    assert!(again.status.success());
    assert!(!outbox.join("outbox").exists());
}

#[test]
fn refuses_to_write_into_the_watched_folder() {
    let dir = TempDir::new("watch-same");
    let out = sluice()
        .arg("watch")
        .arg(dir.path())
        .arg("-o")
        .arg(dir.path())
        .arg("--once")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("every result would be processed again"));
}

#[test]
fn a_failed_file_fails_the_pass_and_commits_nothing_for_it() {
    let dir = TempDir::new("watch-bad");
    let inbox = dir.path().join("in");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join("bad.csv"), "v\n\"open\n").unwrap();
    std::fs::write(inbox.join("good.csv"), "v\n7\n").unwrap();
    let outbox = dir.path().join("out");
    let out = watch_once(&inbox, &outbox);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
    assert!(!outbox.join("bad.csv").exists());
    assert_eq!(
        std::fs::read_to_string(outbox.join("good.csv")).unwrap(),
        "v\n7\n"
    );
}

#[test]
fn new_files_are_picked_up_once_they_settle() {
    let dir = TempDir::new("watch-live");
    let inbox = dir.path().join("in");
    std::fs::create_dir_all(&inbox).unwrap();
    let outbox = dir.path().join("out");
    let mut child = sluice()
        .arg("watch")
        .arg(&inbox)
        .arg("-o")
        .arg(&outbox)
        .args(["--interval-ms", "100", "--threshold", "10"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(inbox.join("late.csv"), "v\n11\n9\n").unwrap();
    let target = outbox.join("late.csv");
    let started = Instant::now();
    while !target.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "v\n11\n");
}

#[test]
fn the_report_job_writes_partitions_named_by_each_files_date_and_path() {
    let dir = TempDir::new("watch-report");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(inbox.join("east")).unwrap();
    let content = crate::cli_report::orders();
    for rel in ["orders.csv", "east/orders.csv"] {
        // 2026-11-21 10:00 UTC.
        write_dated(&inbox.join(rel), &content, 1_795_255_200);
    }
    let outbox = dir.path().join("outbox");
    let out = sluice()
        .arg("watch")
        .arg(&inbox)
        .args(["-o", outbox.to_str().unwrap(), "--once", "--job", "report"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    for stem in ["orders", "east%2Forders"] {
        let part = format!("ingest_date=2026-11-21/{stem}.csv");
        assert_eq!(
            std::fs::read_to_string(outbox.join(format!("profit_by_region/{part}"))).unwrap(),
            "region,profit,orders\nWest,29.60,1\nEast,24.00,1\n",
            "{stem}"
        );
        assert!(outbox.join(format!("_rejects/{part}")).exists(), "{stem}");
    }
}
