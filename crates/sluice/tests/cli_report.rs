//! `sluice report` from the command line: the partitioned layout, the
//! date it is partitioned by, reruns, bad input, and a differential test
//! against pandas.

use crate::util::{files_under, sluice, text, with_stdin, write_dated, TempDir};
use std::process::Command;

pub const HEADER: &str = "Order Id,Order Date,Ship Mode,Segment,Country,City,State,Postal Code,Region,Category,Sub Category,Product Id,cost price,List Price,Quantity,Discount Percent\n";

/// A small orders file: two good rows, one with a price that is not a
/// number (line 3).
pub fn orders() -> String {
    format!(
        "{HEADER}CA-2023-1000,2023-09-05,Standard Class,Consumer,United States,San Francisco,California,94109,West,Furniture,Bookcases,FUR-BO-10001798,240,260,2,2\n\
         CA-2023-1001,2023-09-05,Second Class,Consumer,United States,Austin,Texas,78701,East,Furniture,Chairs,FUR-CH-1,50,n/a,1,0\n\
         CA-2023-1002,2023-09-06,Not Available,Consumer,United States,Austin,Texas,78701,East,Technology,Phones,TEC-PH-1,70,80,4,5\n"
    )
}

/// The first two reports of [`orders`], worked by hand: West (260 × 0.98 −
/// 240) × 2 = 29.60; East (80 × 0.95 − 70) × 4 = 24.00 (line 3 rejected);
/// Technology's only mode is `Not Available`.
fn assert_small_reports(out: &std::path::Path, part: &str) {
    assert_eq!(
        read(out, &format!("profit_by_region/{part}")),
        "region,profit,orders\nWest,29.60,1\nEast,24.00,1\n"
    );
    assert_eq!(
        read(out, &format!("top_ship_mode_by_category/{part}")),
        "category,ship_mode,orders\nFurniture,Standard Class,1\nTechnology,,0\n"
    );
}

fn report(args: &[&str]) -> std::process::Output {
    sluice().arg("report").args(args).output().unwrap()
}

fn read(dir: &std::path::Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn reports_are_partitioned_by_the_files_date_and_reruns_rewrite_them() {
    let tmp = TempDir::new("report-layout");
    let input = tmp.path().join("orders.csv");
    // 2024-02-29 12:00 UTC.
    let t = 1_709_208_000;
    write_dated(&input, orders(), t);
    let out = tmp.path().join("out");
    let run = report(&[input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let part = "ingest_date=2024-02-29/orders.csv";
    assert_small_reports(&out, part);
    assert_eq!(
        read(&out, &format!("orders_by_category/{part}")),
        "category,sub_category,orders\nFurniture,Bookcases,1\nTechnology,Phones,1\n"
    );
    let rejects = read(&out, &format!("_rejects/{part}"));
    assert!(
        rejects.starts_with(
            "line,reason,row\n3,\"List Price: \"\"n/a\"\" is not a number\",\"CA-2023-1001,"
        ),
        "{rejects}"
    );
    let summary = text(&run.stderr);
    assert!(
        summary.contains("3 rows read, 2 selected, 0 dropped, 1 rejected"),
        "{summary}"
    );

    // The file is fixed and processed again: same objects, the stale
    // rejects gone, nothing else written.
    write_dated(&input, orders().replace(",n/a,", ",60,"), t);
    let run = report(&[input.to_str().unwrap(), "-o", out.to_str().unwrap(), "-q"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(run.stderr.is_empty());
    assert_eq!(
        read(&out, &format!("profit_by_region/{part}")),
        "region,profit,orders\nEast,34.00,2\nWest,29.60,1\n"
    );
    assert!(!out.join(format!("_rejects/{part}")).exists());
    let files = files_under(&out);
    assert_eq!(files.len(), 3, "{files:?}");
}

#[test]
fn a_missing_column_names_it_and_writes_nothing() {
    let tmp = TempDir::new("report-missing");
    let input = tmp.file("orders.csv", orders().replace("Ship Mode", "Shipping"));
    let out = tmp.path().join("out");
    let run = report(&[input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(err.contains("orders.csv"), "{err}");
    assert!(err.contains("no \"Ship Mode\" column"), "{err}");
    assert!(err.contains("Order Id, Order Date, Shipping"), "{err}");
    let files = files_under(&out);
    assert!(files.is_empty(), "{files:?}");
}

#[test]
fn stdin_needs_a_date_and_configured_columns_are_used() {
    let tmp = TempDir::new("report-stdin");
    let out = tmp.path().join("out");
    let input = orders()
        .replace("Region", "Sales Area")
        .replace("Not Available", "n/a");
    let run_with = |args: &[&str]| {
        let mut cmd = sluice();
        cmd.arg("report")
            .args(["-o", out.to_str().unwrap()])
            .args(args);
        with_stdin(&mut cmd, input.as_bytes())
    };
    let run = run_with(&["--column", "region=sales area"]);
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("--ingest-date"),
        "{}",
        text(&run.stderr)
    );
    let run = run_with(&[
        "--ingest-date",
        "2026-11-21",
        "--column",
        "region=sales area",
        "--missing",
        "N/A",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let part = "ingest_date=2026-11-21/stdin.csv";
    assert_small_reports(&out, part);
    let bad = report(&["--ingest-date", "2026-02-30", "-o", "x"]);
    assert!(
        text(&bad.stderr).contains("not a date"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn reports_agree_with_pandas_on_generated_orders() {
    let python =
        std::env::var("SLUICE_TEST_PYTHON").expect("SLUICE_TEST_PYTHON is set by scripts/test.sh");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/report.py");
    let tmp = TempDir::new("report-diff");
    for seed in [1, 2, 3] {
        let data = tmp.path().join(format!("orders-{seed}.csv"));
        let gen = Command::new(&python)
            .args([
                script,
                "gen",
                &seed.to_string(),
                "20000",
                data.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(gen.status.success(), "{}", text(&gen.stderr));
        let out = tmp.path().join(format!("out-{seed}"));
        let run = report(&[
            data.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--ingest-date",
            "2026-11-21",
            "-q",
        ]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let check = Command::new(&python)
            .args([
                script,
                "check",
                data.to_str().unwrap(),
                out.to_str().unwrap(),
                &format!("orders-{seed}"),
                "2026-11-21",
            ])
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "seed {seed}: {}{}",
            text(&check.stdout),
            text(&check.stderr)
        );
    }
}

/// `groups` orders, each of a key of its own (sub-category `S0`, `S1`...).
fn distinct_groups(groups: usize) -> String {
    let mut csv = HEADER.to_string();
    for i in 0..groups {
        csv.push_str(&format!(
            "CA-{i},2023-09-05,Air,Consumer,United States,Austin,Texas,78701,West,Furniture,S{i},P-1,1,2,1,0\n"
        ));
    }
    csv
}

#[test]
fn a_run_past_the_cap_on_groups_fails_naming_it_and_commits_nothing() {
    let tmp = TempDir::new("report-cap");
    let out = tmp.path().join("out");
    let input = tmp.path().join("orders.csv");
    std::fs::write(&input, distinct_groups(3000)).unwrap();
    let args = [input.to_str().unwrap(), "-o", out.to_str().unwrap()];
    let dated = |extra: &[&'static str]| {
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(["--ingest-date", "2026-11-30"].map(String::from));
        all.extend(extra.iter().map(|a| a.to_string()));
        all
    };
    // A previous result, which the failed runs must leave as it is.
    let first = sluice().arg("report").args(dated(&[])).output().unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let before: Vec<_> = files_under(&out)
        .into_iter()
        .map(|f| (std::fs::read(&f).unwrap(), f))
        .collect();
    assert_eq!(before.len(), 3);
    // The cap from the flag, and the default from a Lambda function's
    // memory: 1 MB holds (1 MiB / 2) / 200 bytes = 2621 groups.
    let capped = sluice()
        .arg("report")
        .args(dated(&["--max-groups", "1000"]))
        .output()
        .unwrap();
    let mut small = sluice();
    small
        .arg("report")
        .args(dated(&[]))
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1");
    let lambda = small.output().unwrap();
    for (run, cap) in [(capped, 1000), (lambda, 2621)] {
        let err = text(&run.stderr);
        assert!(!run.status.success(), "{err}");
        let want = format!(
            "{}: line {}: {} distinct (region, category, sub-category, ship mode) keys, over the report's cap of {cap} groups; nothing was written. Raise --max-groups / SLUICE_MAX_GROUPS",
            input.display(),
            cap + 2,
            cap + 1
        );
        assert!(err.contains(&want), "{err}");
        let after: Vec<_> = files_under(&out)
            .into_iter()
            .map(|f| (std::fs::read(&f).unwrap(), f))
            .collect();
        assert_eq!(
            after, before,
            "the previous result is untouched, nothing added"
        );
    }
}
