//! `sluice load` at DynamoDB's limits, against moto: an item that merging
//! would make larger than 400 KB is a rejected row while the rest of the
//! file loads, and a throttling DynamoDB (a fault-injecting proxy in front
//! of moto answering `ProvisionedThroughputExceededException`) is retried
//! until every row is in the table once.

use crate::aws_load::{count, items, n, s, table};
use crate::fault_proxy::{FaultProxy, HttpFault};
use crate::util::{dynamodb, sluice, text, with_aws, with_stdin, TempDir};
use std::process::Output;

/// `sluice load ARGS` with `stdin`, its DynamoDB at `endpoint`.
fn load_via(endpoint: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = sluice();
    with_aws(&mut cmd).env("AWS_ENDPOINT_URL", endpoint);
    with_stdin(cmd.arg("load").args(args), stdin)
}

/// The `customer_id,a,b,seq` rows `r0000`... with small values.
fn small_rows(csv: &mut String, rows: usize) {
    for i in 0..rows {
        csv.push_str(&format!("r{i:04},x{i},,{i}\n"));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn an_item_merged_past_400_kb_is_a_rejected_row_and_the_rest_loads() {
    let t = table(("customer_id", "S"), None).await;
    let dir = TempDir::new("load-oversize");
    let rejects = dir.path().join("rejects.csv");
    let (a, b) = ("a".repeat(250 << 10), "b".repeat(250 << 10));
    // In the table already: an item of 250 KB that a 250 KB row would
    // push past 400 KB.
    dynamodb()
        .await
        .put_item()
        .table_name(&t)
        .item("customer_id", s("old"))
        .item("a", s(&a))
        .send()
        .await
        .unwrap();
    let mut csv = String::from("customer_id,a,b,seq\n");
    small_rows(&mut csv, 1500);
    // Line 1502: a new item of 250 KB; 1503: the same key, 250 KB more.
    csv.push_str(&format!("new,{a},,1\nnew,,{b},2\n"));
    csv.push_str(&format!("old,,{b},3\n")); // line 1504
    let mut rest = String::new();
    small_rows(&mut rest, 3000);
    csv.extend(rest.lines().skip(1500).map(|l| format!("{l}\n")));
    let out = load_via(
        &crate::util::endpoint(),
        &["--table", &t, "--rejects", rejects.to_str().unwrap()],
        csv.as_bytes(),
    );
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("3003 rows read, 3001 items written"), "{log}");
    assert!(log.contains("2 rejected"), "{log}");
    let got = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), 3, "{}", &got[..got.len().min(400)]);
    assert_eq!(lines[0], "line,reason,row");
    for (line, key) in [(1503, "new"), (1504, "old")] {
        let reject = lines.iter().find(|l| l.starts_with(&format!("{line},")));
        let reject = reject.unwrap_or_else(|| panic!("no reject for line {line}: {got:.300}"));
        let reason = &reject[..reject.len().min(300)];
        assert!(
            reason.contains(&format!("customer_id=\"\"{key}\"\"")),
            "{reason}"
        );
        assert!(
            reason.contains("over DynamoDB's 400 KB") || reason.contains("pass DynamoDB's 400 KB"),
            "{reason}"
        );
        assert!(
            reject.ends_with(&format!(",{b},{}\"", line - 1501)),
            "line {line}: the row"
        );
    }
    eprintln!(
        "rejects: {}",
        lines[1..]
            .iter()
            .map(|l| &l[..l.len().min(200)])
            .collect::<Vec<_>>()
            .join(" | ")
    );
    // The rest loaded: every small row, the new item with its first row
    // only, the old item as it was.
    assert_eq!(count(&t).await, 3002);
    let all = items(&t).await;
    let by_key = |k: &str| all.iter().find(|i| i["customer_id"] == s(k)).unwrap();
    assert_eq!(by_key("new")["a"], s(&a));
    assert_eq!(by_key("new").get("b"), None);
    assert_eq!(by_key("new")["seq"], n("1"));
    assert_eq!(by_key("old").len(), 2, "the old item is untouched");
    for i in [0, 1499, 1500, 2999] {
        let it = by_key(&format!("r{i:04}"));
        assert_eq!(
            (&it["a"], &it["seq"]),
            (&s(&format!("x{i}")), &n(&i.to_string()))
        );
    }
}

/// Loads `rows` rows through a proxy answering `fault`'s share of the
/// requests with DynamoDB's throttling error, `args` added; checks that
/// every row is in the table once and the retries match the faults.
async fn throttled_load(fault: HttpFault, rows: usize, args: &[&str]) {
    let t = table(("customer_id", "S"), None).await;
    let proxy = FaultProxy::http(&crate::util::endpoint(), Some(fault));
    let mut csv = String::from("customer_id,a,b,seq\n");
    small_rows(&mut csv, rows);
    let mut all_args = vec!["--table", t.as_str()];
    all_args.extend(args);
    let out = load_via(&proxy.url, &all_args, csv.as_bytes());
    let log = text(&out.stderr);
    let injected = proxy.injected();
    eprintln!(
        "{args:?}: {injected} throttling faults injected in {} matching requests; {}",
        proxy.matched(),
        log.trim()
    );
    assert!(out.status.success(), "{log}");
    assert!(injected > 0, "faults injected");
    assert!(
        log.contains(&format!("{rows} rows read, {rows} items written")),
        "{log}"
    );
    // Each injected answer was one retry of its request.
    assert!(log.contains(&format!(", {injected} retried")), "{log}");
    let got = items(&t).await;
    assert_eq!(got.len(), rows, "every row once");
    for (i, it) in got.iter().enumerate() {
        assert_eq!(it["customer_id"], s(&format!("r{i:04}")));
        assert_eq!(
            (&it["a"], &it["seq"]),
            (&s(&format!("x{i}")), &n(&i.to_string()))
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_throttled_batch_load_retries_until_every_row_is_in_once() {
    let fault = HttpFault::dynamodb_throttle("DynamoDB_20120810.BatchWriteItem", 0.3);
    throttled_load(fault, 3000, &["--replace"]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_throttled_merge_load_retries_until_every_row_is_in_once() {
    // UpdateItem, one request a row: moto's pace keeps this one small.
    let fault = HttpFault::dynamodb_throttle("DynamoDB_20120810.UpdateItem", 0.25);
    throttled_load(fault, 400, &[]).await;
}
