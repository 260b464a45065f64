//! `sluice load` against moto's DynamoDB: rows become typed items, merged
//! or replaced, with keys of either type, at scale; the items are read
//! back and compared, types included. Its other doors, what it refuses
//! and DynamoDB's limits have files of their own (`aws_load_*`).

use crate::util::{dynamodb, sluice, text, unique, with_aws, with_stdin};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use std::collections::HashMap;
use std::process::Output;
use std::time::Instant;

pub(crate) type Item = HashMap<String, AttributeValue>;

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

pub(crate) fn item(attrs: &[(&str, AttributeValue)]) -> Item {
    attrs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Runs `sluice load ARGS` against moto with `stdin` as its input.
pub(crate) fn load(args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = sluice();
    with_stdin(with_aws(&mut cmd).arg("load").args(args), stdin)
}

pub(crate) fn load_ok(args: &[&str], stdin: &[u8]) -> String {
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
