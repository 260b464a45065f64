//! The load job through its other doors, against moto: a watched folder,
//! the Lambda handler on S3 events, and `s3://` URLs, in every
//! compression.

use crate::aws_load::{item, items, n, s, table};
use crate::runtime_api::{Answer, RuntimeApi};
use crate::util::{put, s3, sluice, text, unique, with_aws, TempDir};
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::Duration;

#[test]
fn the_watched_folder_loads_each_file() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(table(("customer_id", "S"), None));
    let dir = TempDir::new("watch-load");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join("a.csv"), "customer_id,v\nc1,1\n,2\n").unwrap();
    let outbox = dir.path().join("outbox");
    let mut cmd = sluice();
    let out = with_aws(&mut cmd)
        .arg("watch")
        .arg(&inbox)
        .arg("-o")
        .arg(&outbox)
        .args(["--once", "--job", "load", "--table", &t])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        rt.block_on(items(&t)),
        [item(&[("customer_id", s("c1")), ("v", n("1"))])]
    );
    assert_eq!(
        std::fs::read_to_string(outbox.join("_rejects/a.csv")).unwrap(),
        "line,reason,row\n3,\"empty key \"\"customer_id\"\"\",\",2\"\n"
    );
}

/// The Lambda door end to end: S3 events for objects in a source bucket,
/// the binary started as `bootstrap` with SLUICE_JOB=load.
#[tokio::test(flavor = "current_thread")]
async fn the_lambda_handler_loads_an_object_from_its_s3_event() {
    let t = table(("customer_id", "S"), None).await;
    let (src, dst) = (unique("load-src"), unique("load-dst"));
    let s3 = s3().await;
    for b in [&src, &dst] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    put(
        &src,
        "in/day 1.csv",
        b"customer_id,name,visits\nc1,Ada,3\n,nobody,1\nc2,Bob,4\n",
    )
    .await;
    put(&src, "in/day 2.csv", b"customer_id,visits\nc1,5\n").await;
    let (answers, log) = invoke(&t, &src, &dst, &["in/day+1.csv", "in/day+2.csv"]);
    let (first, second) = (&answers[0], &answers[1]);
    assert_eq!(
        first.body,
        json!({"processed": 1, "skipped": 0, "written": 2, "rejected": 1, "retried": 0}),
        "{log}"
    );
    assert_eq!(
        second.body,
        json!({"processed": 1, "skipped": 0, "written": 1, "rejected": 0, "retried": 0}),
        "{log}"
    );
    assert_eq!(
        items(&t).await,
        [
            item(&[
                ("customer_id", s("c1")),
                ("name", s("Ada")),
                ("visits", n("5"))
            ]),
            item(&[
                ("customer_id", s("c2")),
                ("name", s("Bob")),
                ("visits", n("4"))
            ]),
        ]
    );
    let rejects = s3
        .get_object()
        .bucket(&dst)
        .key("loaded/_rejects/in/day 1.csv")
        .send()
        .await
        .unwrap();
    let body = rejects.body.collect().await.unwrap().into_bytes();
    assert_eq!(
        text(&body),
        "line,reason,row\n3,\"empty key \"\"customer_id\"\"\",\",nobody,1\"\n"
    );
    // One log line per object, with the counts.
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["written"].is_number())
        .collect();
    assert_eq!(lines[0]["key"], "in/day 1.csv", "{log}");
    assert_eq!(lines[0]["written"], 2);
    assert_eq!(lines[0]["rejected"], 1);
    assert_eq!(lines[0]["retried"], 0);
    assert_eq!(lines[0]["output"], format!("dynamodb://{t}"));
    assert_eq!(
        lines[0]["rejects"],
        format!("s3://{dst}/loaded/_rejects/in/day 1.csv")
    );
    assert_eq!(lines[1]["written"], 1);
    // The file is fixed and uploaded again: its stale rejects go.
    put(&src, "in/day 1.csv", b"customer_id,name\nc1,Ada\n").await;
    let (again, log) = invoke(&t, &src, &dst, &["in/day+1.csv"]);
    assert_eq!(again[0].body["rejected"], 0, "{log}");
    // Only the two manifests are left (the second lists no rejects).
    let listed = s3.list_objects_v2().bucket(&dst).send().await.unwrap();
    let left: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(
        left,
        [
            "loaded/_sluice/manifests/in/day 1.csv.json",
            "loaded/_sluice/manifests/in/day 2.csv.json"
        ]
    );
}

/// Runs the binary as a `bootstrap` with SLUICE_JOB=load on one direct S3
/// event per key (as S3 encodes it); returns the answers and the log.
fn invoke(table: &str, src: &str, dst: &str, keys: &[&str]) -> (Vec<Answer>, String) {
    let events = keys
        .iter()
        .map(|key| {
            json!({"Records": [{"eventName": "ObjectCreated:Put", "eventSource": "aws:s3",
                "s3": {"bucket": {"name": src}, "object": {"key": key}}}]})
        })
        .collect();
    let api = RuntimeApi::serve(events);
    let mut cmd = sluice();
    with_aws(&mut cmd)
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "sluice-load")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("SLUICE_JOB", "load")
        .env("SLUICE_TABLE", table)
        .env("SLUICE_KEY", "customer_id")
        .env("SLUICE_SOURCE_BUCKET", src)
        .env("SLUICE_DEST_BUCKET", dst)
        .env("SLUICE_DEST_PREFIX", "loaded/")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let answers = keys
        .iter()
        .map(|_| api.answer(Duration::from_secs(60)))
        .collect();
    let _ = child.kill();
    let log = text(&child.wait_with_output().unwrap().stderr);
    (answers, log)
}

/// The read path's promise for the load job's cloud doors: an object in
/// any compression, named by an `s3://` URL or by a Lambda event, loads
/// the same items as the plain one.
#[tokio::test(flavor = "current_thread")]
async fn every_compression_loads_the_same_items_from_s3_urls_and_lambda_events() {
    use crate::pipeline::{pack, FORMS};
    let csv = b"customer_id,name,visits\nc1,Ada,3\nc2,Bob,4\n";
    let (src, dst) = (unique("load-src"), unique("load-dst"));
    let s3 = s3().await;
    for b in [&src, &dst] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    let expected = [
        item(&[
            ("customer_id", s("c1")),
            ("name", s("Ada")),
            ("visits", n("3")),
        ]),
        item(&[
            ("customer_id", s("c2")),
            ("name", s("Bob")),
            ("visits", n("4")),
        ]),
    ];
    for (ext, tool) in FORMS {
        let key = format!("in/c{}.csv{ext}", tool.len());
        put(&src, &key, &pack(tool, csv)).await;
        let by_event = table(("customer_id", "S"), None).await;
        let (answers, log) = invoke(&by_event, &src, &dst, &[&key]);
        assert_eq!(answers[0].body["written"], 2, "lambda {ext}: {log}");
        assert_eq!(items(&by_event).await, expected, "lambda {ext}");
        let by_url = table(("customer_id", "S"), None).await;
        let mut cmd = sluice();
        let url = format!("s3://{src}/{key}");
        let run = with_aws(&mut cmd)
            .args(["load", &url, "--table", &by_url, "-q"])
            .output()
            .unwrap();
        assert!(run.status.success(), "s3 {ext}: {}", text(&run.stderr));
        assert_eq!(items(&by_url).await, expected, "s3 {ext}");
    }
}
