//! `sluice filter --where/--select`: the command line and the Lambda
//! handler (the differential test against DuckDB is in `where_duckdb`).

use crate::util::{filter_stdin, sluice, text};

const PEOPLE: &str = "id,name,Ship Mode,amount\n\
    1,Ann,First Class,4.70\n\
    2,\"Bob, Jr.\",Standard,12\n\
    3,Cy,First Class,n/a\n";

#[test]
fn where_keeps_rows_byte_for_byte_and_select_projects() {
    let res = filter_stdin(
        &["--where", "\"Ship Mode\" = 'First Class' AND amount >= 4.7"],
        PEOPLE.as_bytes(),
    );
    assert!(res.status.success(), "{}", text(&res.stderr));
    assert_eq!(
        text(&res.stdout),
        "id,name,Ship Mode,amount\n1,Ann,First Class,4.70\n"
    );
    let res = filter_stdin(
        &["--where", "amount > 4.7 OR id = 3", "--select", "name,1"],
        PEOPLE.as_bytes(),
    );
    assert!(res.status.success(), "{}", text(&res.stderr));
    assert_eq!(text(&res.stdout), "name,id\n\"Bob, Jr.\",2\nCy,3\n");
    let summary = text(&res.stderr);
    assert!(
        summary.contains("3 rows read, 2 selected, 1 dropped"),
        "{summary}"
    );
}

#[test]
fn where_and_select_come_from_the_environment() {
    let mut cmd = sluice();
    cmd.args(["filter", "-q"])
        .env("SLUICE_WHERE", "name LIKE 'C%'")
        .env("SLUICE_SELECT", "amount, id");
    let res = crate::util::with_stdin(&mut cmd, PEOPLE.as_bytes());
    assert!(res.status.success(), "{}", text(&res.stderr));
    assert_eq!(text(&res.stdout), "amount,id\nn/a,3\n");
}

#[test]
fn mistakes_are_pointed_at_before_anything_is_read() {
    let res = filter_stdin(&["--where", "amount > 1 AND nmae = 'x'"], PEOPLE.as_bytes());
    assert!(!res.status.success());
    let err = text(&res.stderr);
    assert!(
        err.contains(
            "--where: line 1, col 16: unknown column \"nmae\"; did you mean \"name\"? (header: id, name, Ship Mode, amount)\n  amount > 1 AND nmae = 'x'\n                 ^"
        ),
        "{err}"
    );
    let res = filter_stdin(&["--where", "amount >"], PEOPLE.as_bytes());
    let err = text(&res.stderr);
    assert!(
        err.contains("--where: line 1, col 9: expected a column"),
        "{err}"
    );
    let res = filter_stdin(&["--where", "a = 1", "--columns", "a"], PEOPLE.as_bytes());
    assert!(
        text(&res.stderr).contains("cannot be used with"),
        "{}",
        text(&res.stderr)
    );
    let res = filter_stdin(&["--no-header", "--where", "name = 'x'"], b"a,b\n");
    let err = text(&res.stderr);
    assert!(
        err.contains("without a header, columns are _1, _2"),
        "{err}"
    );
    let res = filter_stdin(
        &["--no-header", "--where", "_2 = 'b'", "--select", "2"],
        b"a,b\nc,d\n",
    );
    assert_eq!(text(&res.stdout), "b\n");
}

/// End to end through the Lambda Runtime API against moto: an upload
/// filtered by `SLUICE_WHERE` and projected by `SLUICE_SELECT`; a bad
/// expression fails the record with the pointed message.
#[tokio::test(flavor = "current_thread")]
async fn lambda_filters_an_upload_with_sluice_where() {
    use crate::aws_lambda::{bootstrap, get, object_messages, sqs_event, stack, stop};
    use std::time::Duration;
    let stack = stack(30).await;
    crate::util::put(&stack.src, "in/people.csv", PEOPLE.as_bytes()).await;
    let messages = object_messages(&stack.queue, 1).await;
    let env = [
        (
            "SLUICE_WHERE",
            "\"Ship Mode\" = 'First Class' OR amount > 10",
        ),
        ("SLUICE_SELECT", "name,amount"),
    ];
    let (child, api) = bootstrap(&stack, vec![sqs_event(&messages)], &env);
    let answer = api.answer(Duration::from_secs(60));
    let log = stop(child);
    assert_eq!(answer.kind, "response", "{log}");
    assert_eq!(
        answer.body,
        serde_json::json!({"batchItemFailures": []}),
        "{log}"
    );
    let out = get(&stack.dst, "filtered/in/people.csv").await;
    assert_eq!(
        text(&out.body),
        "name,amount\nAnn,4.70\n\"Bob, Jr.\",12\nCy,n/a\n"
    );
    assert_eq!(out.metadata["sluice-selected"], "3");

    let bad = [("SLUICE_WHERE", "amont > 10")];
    let (child, api) = bootstrap(&stack, vec![sqs_event(&messages)], &bad);
    let answer = api.answer(Duration::from_secs(60));
    let log = stop(child);
    let failed = answer.kind == "error"
        || answer.body["batchItemFailures"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
    assert!(failed, "{} {}\n{log}", answer.kind, answer.body);
    assert!(
        log.contains("unknown column \\\"amont\\\"; did you mean \\\"amount\\\"?")
            || log.contains("unknown column \"amont\""),
        "{log}"
    );
}
