//! The metrics end to end: the Lambda handler, driven through the Runtime
//! API against moto, prints embedded-metric-format lines that follow the
//! format's rules and count what happened — one per object, one per
//! invocation.

use crate::aws_lambda::{bootstrap, object_messages, sqs_event, stack, stop};
use crate::emf;
use crate::util::{put, s3};
use serde_json::Value;
use std::time::Duration;

#[tokio::test(flavor = "current_thread")]
async fn the_lambda_log_holds_valid_emf_per_object_and_per_invocation() {
    let stack = stack(30).await;
    put(&stack.src, "in/ok.csv", b"x,y\n1,9\n2,3\n3,4,5\n").await;
    put(&stack.src, "in/gone.csv", b"x,y\n1,9\n").await;
    let messages = object_messages(&stack.queue, 2).await;
    let s3 = s3().await;
    let gone = s3.delete_object().bucket(&stack.src).key("in/gone.csv");
    gone.send().await.unwrap();
    let extra = [
        ("SLUICE_METRICS_NAMESPACE", "Test/Sluice"),
        ("SLUICE_METRICS_SERVICE", "sluice-test"),
    ];
    let (child, api) = bootstrap(&stack, vec![sqs_event(&messages)], &extra);
    let answer = api.answer(Duration::from_secs(60));
    let log = stop(child);
    assert_eq!(answer.kind, "response", "{log}");
    let docs = emf::documents(&log);
    assert_eq!(docs.len(), 3, "two objects and one invocation: {log}");
    for doc in &docs {
        emf::check(doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Test/Sluice", "{doc}");
        assert_eq!(
            (doc["Service"].as_str(), doc["Job"].as_str()),
            (Some("sluice-test"), Some("filter"))
        );
        assert_eq!(doc["request_id"], "request-0", "{doc}");
    }
    let by_key = |key: &str| {
        docs.iter()
            .find(|d| d["key"] == key)
            .unwrap_or_else(|| panic!("{log}"))
    };
    let ok = by_key("in/ok.csv");
    let figures = |d: &Value, names: &[&str]| -> Vec<f64> {
        names
            .iter()
            .map(|n| d[*n].as_f64().unwrap_or(-1.0))
            .collect()
    };
    let names = [
        "ObjectsProcessed",
        "RowsRead",
        "RowsSelected",
        "RowsDropped",
        "RowsRejected",
        "BytesIn",
    ];
    assert_eq!(figures(ok, &names), [1.0, 3.0, 1.0, 1.0, 1.0, 18.0], "{ok}");
    // The event's time is S3's, seconds ago: the lag to the commit is real.
    let lag = ok["Lag"].as_f64().unwrap_or_else(|| panic!("no Lag: {ok}"));
    assert!((0.0..600_000.0).contains(&lag), "{ok}");
    let failed = by_key("in/gone.csv");
    assert_eq!(
        figures(failed, &["ObjectsFailed", "ObjectsProcessed"]),
        [1.0, 0.0],
        "{failed}"
    );
    assert!(failed.get("RowsRead").is_none(), "{failed}");
    let invocation = docs
        .iter()
        .find(|d| d.get("InvocationObjects").is_some())
        .unwrap();
    assert_eq!(
        figures(invocation, &["InvocationObjects", "InvocationFailures"]),
        [2.0, 1.0]
    );
}
