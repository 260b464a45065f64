//! `sluice load` against moto's DynamoDB (and S3 for the Lambda door):
//! the items are read back and compared, types included.

use crate::runtime_api::{Answer, RuntimeApi};
use crate::util::{dynamodb, put, s3, sluice, text, unique, with_aws, with_stdin, TempDir};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

type Item = HashMap<String, AttributeValue>;

/// Creates an on-demand table keyed by `key` (and `sort`), each `(name, S|N)`.
pub(crate) async fn table(key: (&str, &str), sort: Option<(&str, &str)>) -> String {
    let name = unique("customers");
    let mut create = dynamodb()
        .await
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest);
    for (attr, t, role) in [(Some(key), KeyType::Hash), (sort, KeyType::Range)]
        .into_iter()
        .filter_map(|(k, role)| k.map(|(a, t)| (a, t, role)))
    {
        create = create
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(attr)
                    .key_type(role)
                    .build()
                    .unwrap(),
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attr)
                    .attribute_type(ScalarAttributeType::from(t))
                    .build()
                    .unwrap(),
            );
    }
    create.send().await.unwrap();
    name
}

/// Every item of the table, sorted by their partition then sort key text.
pub(crate) async fn items(table: &str) -> Vec<Item> {
    let client = dynamodb().await;
    let mut all = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        all.extend(page.items().iter().cloned());
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    all.sort_by_key(|i| {
        let mut keys: Vec<String> = ["customer_id", "region", "order"]
            .iter()
            .filter_map(|k| i.get(*k).map(|v| format!("{v:?}")))
            .collect();
        keys.push(String::new());
        keys
    });
    all
}

/// The number of items, counted by DynamoDB.
pub(crate) async fn count(table: &str) -> i32 {
    let client = dynamodb().await;
    let (mut n, mut start) = (0, None);
    loop {
        let page = client
            .scan()
            .table_name(table)
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        n += page.count();
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return n;
        }
    }
}

pub(crate) fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

fn item(attrs: &[(&str, AttributeValue)]) -> Item {
    attrs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Runs `sluice load ARGS` against moto with `stdin` as its input.
fn load(args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = sluice();
    with_stdin(with_aws(&mut cmd).arg("load").args(args), stdin)
}

fn load_ok(args: &[&str], stdin: &[u8]) -> String {
    let out = load(args, stdin);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stderr)
}

#[tokio::test(flavor = "current_thread")]
async fn rows_become_items_with_inferred_types() {
    let t = table(("customer_id", "S"), None).await;
    let csv = "customer_id,name,visits,balance,vip,note,zip\n\
               c1,Ada,12,4.70,true,\"Paid, in full \"\"twice\"\"\",00501\n\
               c2,Bob,,-0.5e2,FALSE,,x1\n";
    let summary = load_ok(&["--table", &t], csv.as_bytes());
    assert!(summary.contains("2 items written"), "{summary}");
    let got = items(&t).await;
    assert_eq!(
        got,
        [
            item(&[
                ("customer_id", s("c1")),
                ("name", s("Ada")),
                ("visits", n("12")),
                ("balance", n("4.70")),
                ("vip", AttributeValue::Bool(true)),
                ("note", s("Paid, in full \"twice\"")),
                ("zip", n("00501")),
            ]),
            item(&[
                ("customer_id", s("c2")),
                ("name", s("Bob")),
                ("balance", n("-0.5E2")),
                ("vip", AttributeValue::Bool(false)),
                ("zip", s("x1")),
            ]),
        ]
    );
    // --strings keeps every value text.
    let t2 = table(("customer_id", "S"), None).await;
    load_ok(&["--table", &t2, "--strings"], csv.as_bytes());
    assert_eq!(items(&t2).await[0]["visits"], s("12"));
    assert_eq!(items(&t2).await[0]["vip"], s("true"));
}

#[tokio::test(flavor = "current_thread")]
async fn a_second_file_merges_into_the_items() {
    let t = table(("customer_id", "S"), None).await;
    load_ok(
        &["--table", &t],
        b"customer_id,name,tier\nc1,Ada,gold\nc2,Bob,silver\n",
    );
    // Overlapping keys, a changed value, a new column, an empty cell.
    load_ok(
        &["--table", &t],
        b"customer_id,tier,email\nc2,gold,bob@example.com\nc1,,ada@example.com\nc3,bronze,\n",
    );
    assert_eq!(
        items(&t).await,
        [
            item(&[
                ("customer_id", s("c1")),
                ("name", s("Ada")),
                ("tier", s("gold")),
                ("email", s("ada@example.com")),
            ]),
            item(&[
                ("customer_id", s("c2")),
                ("name", s("Bob")),
                ("tier", s("gold")),
                ("email", s("bob@example.com")),
            ]),
            item(&[("customer_id", s("c3")), ("tier", s("bronze"))]),
        ]
    );
    // --replace puts whole items: what the file lacks is gone.
    load_ok(
        &["--table", &t, "--replace"],
        b"customer_id,tier\nc1,platinum\n",
    );
    assert_eq!(
        items(&t).await[0],
        item(&[("customer_id", s("c1")), ("tier", s("platinum"))])
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_key_only_row_creates_the_item_and_keeps_an_existing_one() {
    let t = table(("customer_id", "S"), None).await;
    load_ok(&["--table", &t], b"customer_id,name\nc1,Ada\n");
    load_ok(&["--table", &t], b"customer_id,name\nc1,\nc2,\n");
    assert_eq!(
        items(&t).await,
        [
            item(&[("customer_id", s("c1")), ("name", s("Ada"))]),
            item(&[("customer_id", s("c2"))]),
        ]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_byte_order_mark_and_crlf_lines_are_handled() {
    let t = table(("customer_id", "S"), None).await;
    load_ok(
        &["--table", &t],
        b"\xef\xbb\xbfcustomer_id,name\r\nc1,Ada\r\nc2,Bob\r\n",
    );
    assert_eq!(
        items(&t).await,
        [
            item(&[("customer_id", s("c1")), ("name", s("Ada"))]),
            item(&[("customer_id", s("c2")), ("name", s("Bob"))]),
        ]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_file_without_the_key_column_is_an_error_and_writes_nothing() {
    let t = table(("customer_id", "S"), None).await;
    let out = load(&["--table", &t], b"id,name\nc1,Ada\nc2,Bob\n");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "stdin: line 1: the key column \"customer_id\" is not in the header: id, name"
        ),
        "{err}"
    );
    assert_eq!(count(&t).await, 0);
    // A key column that is not the table's key is refused before reading.
    let out = load(&["--table", &t, "--key", "id"], b"id,name\nc1,Ada\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("its partition key is \"customer_id\""),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(count(&t).await, 0);
}

#[tokio::test(flavor = "current_thread")]
async fn rows_dynamodb_would_refuse_go_to_the_rejects_with_their_line() {
    let t = table(("customer_id", "S"), None).await;
    let dir = TempDir::new("load-rejects");
    let rejects = dir.path().join("rejects.csv");
    let long_key = "k".repeat(2049);
    let huge = "v".repeat(400 << 10);
    let csv = format!(
        "customer_id,note\nc1,fine\n,no key\nc2,too,many\n{long_key},x\nc3,{huge}\nc4,fine too\n"
    );
    let summary = load_ok(
        &["--table", &t, "--rejects", rejects.to_str().unwrap()],
        csv.as_bytes(),
    );
    assert!(summary.contains("4 rejected"), "{summary}");
    let got = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines[0], "line,reason,row");
    assert_eq!(lines[1], "3,\"empty key \"\"customer_id\"\"\",\",no key\"");
    assert_eq!(lines[2], "4,\"expected 2 fields, found 3\",\"c2,too,many\"");
    assert_eq!(
        lines[3],
        format!("5,\"partition key \"\"customer_id\"\" is 2049 bytes, over DynamoDB's 2048\",\"{long_key},x\"")
    );
    assert!(
        lines[4].starts_with("6,\"the item is 409617 bytes, over DynamoDB's 400 KB\",\"c3,vvv"),
        "{}",
        &lines[4][..80]
    );
    assert_eq!(lines.len(), 5);
    let keys: Vec<AttributeValue> = items(&t)
        .await
        .iter()
        .map(|i| i["customer_id"].clone())
        .collect();
    assert_eq!(keys, [s("c1"), s("c4")]);
}

/// 3,000 rows cycling over 7 keys: each key's final item is its last row
/// (replace) or every column's last non-empty value (merge), however the
/// requests interleave.
#[tokio::test(flavor = "current_thread")]
async fn duplicate_keys_end_with_the_last_row() {
    let mut csv = String::from("customer_id,seq,odd_seq\n");
    for i in 0..3000 {
        let odd = if i % 2 == 1 {
            i.to_string()
        } else {
            String::new()
        };
        csv.push_str(&format!("k{},{i},{odd}\n", i % 7));
    }
    for mode in [None, Some("--replace")] {
        let t = table(("customer_id", "S"), None).await;
        let mut args = vec!["--table", t.as_str()];
        args.extend(mode);
        let summary = load_ok(&args, csv.as_bytes());
        let got = items(&t).await;
        assert_eq!(got.len(), 7, "{summary}");
        for (k, it) in got.iter().enumerate() {
            let last = (0..3000).rev().find(|i| i % 7 == k).unwrap();
            let last_odd = (0..3000).rev().find(|i| i % 7 == k && i % 2 == 1).unwrap();
            assert_eq!(it["seq"], n(&last.to_string()), "{mode:?} k{k}");
            let want_odd = match (mode, last % 2) {
                (Some(_), 0) => None, // replaced by a row with an empty cell
                _ => Some(n(&last_odd.to_string())),
            };
            assert_eq!(it.get("odd_seq"), want_odd.as_ref(), "{mode:?} k{k}");
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn number_and_sort_keys_follow_the_table() {
    let t = table(("customer_id", "N"), Some(("region", "S"))).await;
    let out = load(
        &["--table", &t, "--sort-key", "region"],
        b"region,customer_id,v\neu,5,a\neu,5.0,b\nus,5,c\neu,x,d\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("5,\"key \"\"customer_id\"\" is not a number DynamoDB can hold\""),
        "{err}"
    );
    let got = items(&t).await;
    assert_eq!(got.len(), 2);
    let eu = got.iter().find(|i| i["region"] == s("eu")).unwrap();
    assert_eq!(eu["v"], s("b"));
    assert!(matches!(&eu["customer_id"], AttributeValue::N(v) if v.parse::<f64>() == Ok(5.0)));
    // The table has a sort key: it must be named.
    let out = load(&["--table", &t], b"customer_id,v\n1,a\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("its sort key is \"region\""));
}

#[tokio::test(flavor = "current_thread")]
async fn a_hundred_thousand_rows() {
    let t = table(("customer_id", "S"), None).await;
    let mut csv = String::from("customer_id,name,age,balance,active,city\n");
    for i in 0..100_000 {
        csv.push_str(&format!(
            "c{i:06},Name {i},{},{}.{:02},{},City {}\n",
            20 + i % 60,
            i * 7,
            i % 100,
            i % 2 == 0,
            i % 50
        ));
    }
    // Batched puts: moto answers some 100 UpdateItem requests a second,
    // which would make a merge-mode test of this size take a quarter of an
    // hour; scripts/bench-load.sh measures both modes.
    let started = Instant::now();
    let summary = load_ok(&["--table", &t, "--replace"], csv.as_bytes());
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        summary.contains("100000 rows read, 100000 items written"),
        "{summary}"
    );
    eprintln!(
        "100,000 rows into moto's DynamoDB: {seconds:.1} s, {:.0} items/s (debug build)",
        1e5 / seconds
    );
    assert_eq!(count(&t).await, 100_000);
    let last = dynamodb()
        .await
        .get_item()
        .table_name(&t)
        .key("customer_id", s("c099999"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        last.item().unwrap()["balance"],
        n(&format!("{}.99", 99_999 * 7))
    );
    assert_eq!(last.item().unwrap()["active"], AttributeValue::Bool(false));
}

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

#[test]
fn the_command_line_refuses_what_load_cannot_do() {
    for (args, want) in [
        (&["load"][..], "the load job needs a table"),
        (
            &["load", "--table", "t", "--no-header"],
            "needs a header row",
        ),
        (
            &["load", "--table", "t", "--sort-key", "customer_id"],
            "--sort-key names the partition key column",
        ),
        (&["watch", "--job", "load"], "the load job needs a table"),
    ] {
        let out = sluice()
            .args(args)
            .env_remove("SLUICE_TABLE")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(
            text(&out.stderr).contains(want),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// A table that does not exist fails the invocation: the event is retried.
#[test]
fn a_missing_table_fails_at_start_up() {
    let mut cmd = sluice();
    let out = with_aws(&mut cmd)
        .args(["load", "--table", "no-such-table"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr)
            .contains("table no-such-table: cannot describe: ResourceNotFoundException"),
        "{}",
        text(&out.stderr)
    );
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
