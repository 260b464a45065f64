//! What `sluice load` refuses, against moto's DynamoDB: a file without
//! the key column or a key column that is not the table's, rows DynamoDB
//! would refuse (each a rejected row with its line), options it cannot
//! honour, and a missing table.

use crate::aws_load::{count, items, load, load_ok, s, table};
use crate::util::{sluice, text, with_aws, TempDir};
use aws_sdk_dynamodb::types::AttributeValue;
use std::process::Stdio;

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
