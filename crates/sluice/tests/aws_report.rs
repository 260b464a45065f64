//! The report job behind the Lambda handler, against moto's S3: outputs
//! partitioned by the event's date, one set per source, rewritten (not
//! duplicated) when the event comes again.

use crate::aws_lambda::{bootstrap, get, keys, stack, stop};
use crate::cli_report::orders;
use crate::util::{put, sluice, text, TempDir};
use serde_json::{json, Value};
use std::time::Duration;

fn record(bucket: &str, key: &str, time: &str) -> Value {
    json!({"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
           "eventTime": time, "eventName": "ObjectCreated:Put",
           "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1}}})
}

#[tokio::test(flavor = "current_thread")]
async fn reports_land_partitioned_by_event_date_and_a_repeated_event_leaves_them() {
    let stack = stack(30).await;
    let content = orders();
    put(&stack.src, "daily/orders (1).csv", content.as_bytes()).await;
    put(&stack.src, "weekly/orders (1).csv", content.as_bytes()).await;
    // Late in the evening at UTC-2 is the next day in UTC.
    let event = json!({"Records": [
        record(&stack.src, "daily/orders+%281%29.csv", "2026-11-20T23:30:00.000-02:00"),
        record(&stack.src, "weekly/orders+%281%29.csv", "2026-11-21T01:30:00.000Z"),
    ]});
    let env = [("SLUICE_JOB", "report"), ("SLUICE_DEST_PREFIX", "reports/")];
    let (child, api) = bootstrap(&stack, vec![event.clone(), event], &env);
    let first = api.answer(Duration::from_secs(60));
    let second = api.answer(Duration::from_secs(60));
    let log = stop(child);
    assert_eq!(first.kind, "response", "{log}");
    assert_eq!(first.body, json!({"processed": 2, "skipped": 0}), "{log}");
    // The repeat finds each object's manifest: done, nothing rewritten.
    assert_eq!(second.body, json!({"processed": 0, "skipped": 2}), "{log}");

    let mut written = keys(&stack.dst).await;
    written.sort();
    let mut expected = Vec::new();
    for stem in ["daily%2Forders (1)", "weekly%2Forders (1)"] {
        for report in [
            "_rejects",
            "orders_by_category",
            "profit_by_region",
            "top_ship_mode_by_category",
        ] {
            expected.push(format!(
                "reports/{report}/ingest_date=2026-11-21/{stem}.csv"
            ));
        }
    }
    for stem in ["daily/orders (1)", "weekly/orders (1)"] {
        expected.push(format!("reports/_sluice/manifests/{stem}.csv.json"));
    }
    expected.sort();
    assert_eq!(written, expected, "{log}");

    // The same reports the command line writes for the same file.
    let tmp = TempDir::new("aws-report");
    let local = tmp.file("orders.csv", &content);
    let out = tmp.path().join("out");
    let run = sluice()
        .args([
            "report",
            local.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--ingest-date",
            "2026-11-21",
        ])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    for report in [
        "profit_by_region",
        "top_ship_mode_by_category",
        "orders_by_category",
        "_rejects",
    ] {
        let key = format!("reports/{report}/ingest_date=2026-11-21/daily%2Forders (1).csv");
        let object = get(&stack.dst, &key).await;
        let want =
            std::fs::read(out.join(format!("{report}/ingest_date=2026-11-21/orders.csv"))).unwrap();
        assert_eq!(text(&object.body), text(&want), "{key}");
        assert_eq!(object.metadata["sluice-source-key"], "daily/orders (1).csv");
        assert_eq!(object.metadata["sluice-job"], "report");
        assert_eq!(object.metadata["sluice-rows"], "3", "{key}");
        assert_eq!(object.metadata["sluice-rejected"], "1", "{key}");
    }

    let line = log
        .lines()
        .find(|l| l.contains("\"processed\"") && l.contains("daily/"))
        .unwrap_or_else(|| panic!("{log}"));
    let line: Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["job"], "report");
    assert_eq!(line["ingest_date"], "2026-11-21");
    assert_eq!(line["rejected"], 1);
    assert_eq!(line["outputs"].as_array().map(Vec::len), Some(4), "{line}");
}
