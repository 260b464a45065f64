//! `sluice inspect` on local files and stdin, and the inspect job behind
//! the folder watcher.

use crate::util::{sluice, text, with_stdin, TempDir};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

/// Runs `sluice inspect ARGS`, expects success, parses the document.
fn inspect(args: &[&str]) -> Value {
    let out = sluice().arg("inspect").args(args).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

fn inspect_path(path: &Path) -> Value {
    inspect(&[path.to_str().unwrap()])
}

/// `name → [non_empty, numeric, min, max]` of each column.
fn columns(doc: &Value) -> Vec<Value> {
    doc["csv"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!([c["name"], c["non_empty"], c["numeric"], c["min"], c["max"]]))
        .collect()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn a_semicolon_crlf_file_with_a_bom_and_ragged_rows() {
    let dir = TempDir::new("inspect-semicolon");
    let body =
        "\u{feff}item;price;qty\r\n\"bolt; M4\";0.25;10\r\nnut;-1.5e1;\r\nwasher;3;7;spare\r\n";
    let path = dir.file("parts.csv", body);
    let doc = inspect_path(&path);
    let object = &doc["object"];
    assert_eq!(object["path"], path.to_str().unwrap());
    assert_eq!(object["size"], body.len());
    assert!(object["last_modified"].as_str().unwrap().ends_with('Z'));
    let csv = &doc["csv"];
    assert_eq!(csv["is_csv"], true);
    assert_eq!(csv["delimiter"], ";");
    assert_eq!(csv["line_ending"], "CRLF");
    assert_eq!(csv["byte_order_mark"], "utf-8");
    assert_eq!(csv["compression"], Value::Null);
    assert_eq!(csv["header"], json!(["item", "price", "qty"]));
    assert_eq!(csv["rows"], 3);
    assert_eq!(csv["field_counts"], json!({"3": 2, "4": 1}));
    assert_eq!(
        columns(&doc),
        [
            json!(["item", 3, false, null, null]),
            json!(["price", 3, true, "-1.5e1", "3"]),
            json!(["qty", 2, true, "7", "10"]),
            json!([null, 1, false, null, null]),
        ]
    );
}

#[test]
fn tab_pipe_and_cr_files() {
    let dir = TempDir::new("inspect-delims");
    let tab = inspect_path(&dir.file("t.tsv", "a\tb\n1\t2\n"));
    assert_eq!(tab["csv"]["delimiter"], "\t");
    let pipe = inspect_path(&dir.file("p.csv", "a|b\r1|x\r2|y\r"));
    assert_eq!(pipe["csv"]["delimiter"], "|");
    assert_eq!(pipe["csv"]["line_ending"], "CR");
    assert_eq!(pipe["csv"]["rows"], 2);
}

#[test]
fn a_gzip_file_is_read_through_and_matches_the_plain_one() {
    let dir = TempDir::new("inspect-gzip");
    let mut body = String::from("id,v,label\n");
    for i in 0..50_000 {
        body.push_str(&format!("{i},{}.{:02},\"x, {}\"\n", i % 91, i % 100, i % 7));
    }
    let plain = inspect_path(&dir.file("big.csv", &body));
    // Two gzip members back to back, as `cat a.gz b.gz` makes.
    let (head, tail) = body.split_at(body.len() / 2);
    let mut packed = gzip(head.as_bytes());
    packed.extend(gzip(tail.as_bytes()));
    let path = dir.file("big.csv.gz", &packed);
    let doc = inspect_path(&path);
    assert_eq!(doc["object"]["size"], packed.len());
    assert_eq!(doc["csv"]["compression"], "gzip");
    assert_eq!(doc["csv"]["bytes"], body.len());
    assert_eq!(doc["csv"]["rows"], 50_000);
    let without = |mut d: Value| {
        d["csv"]["compression"] = Value::Null;
        d["csv"].clone()
    };
    assert_eq!(without(doc), without(plain));
}

#[test]
fn a_damaged_gzip_file_is_a_problem_in_the_document() {
    let dir = TempDir::new("inspect-badgz");
    let mut packed = gzip(b"a,b\n1,2\n");
    let n = packed.len();
    packed[n / 2] ^= 0xFF;
    packed.truncate(n - 3);
    let doc = inspect_path(&dir.file("bad.csv.gz", &packed));
    assert_eq!(doc["csv"]["is_csv"], false);
    let message = doc["csv"]["problem"]["message"].as_str().unwrap();
    assert!(message.contains("gzip"), "{message}");
}

#[test]
fn no_scan_gives_the_file_facts_only() {
    let dir = TempDir::new("inspect-noscan");
    let path = dir.file("x.csv", "a\n1\n");
    let doc = inspect(&["--no-scan", path.to_str().unwrap()]);
    assert_eq!(doc["csv"], Value::Null);
    assert_eq!(doc["object"]["size"], 4);
}

#[test]
fn binary_and_non_utf8_inputs_are_reported_not_crashed_on() {
    let dir = TempDir::new("inspect-binary");
    let doc = inspect_path(&dir.file("img.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
    let csv = &doc["csv"];
    assert_eq!(csv["is_csv"], false);
    assert_eq!(csv["problem"]["offset"], 8);
    assert!(csv["problem"]["message"]
        .as_str()
        .unwrap()
        .contains("binary"));
    let doc = inspect_path(&dir.file("latin1.csv", b"id,pr\xe9nom\n1,x\n"));
    assert_eq!(doc["csv"]["problem"]["offset"], 5);
    assert_eq!(doc["csv"]["problem"]["line"], 1);
}

#[test]
fn stdin_is_inspected_too() {
    let out = with_stdin(sluice().args(["inspect", "-"]), b"v\n3\n-4\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["object"], json!({"path": "-"}));
    assert_eq!(columns(&doc), [json!(["v", 2, true, "-4", "3"])]);
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let out = sluice()
        .args(["inspect", "no/such/file.csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no/such/file.csv"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_watcher_writes_a_document_beside_each_file() {
    let dir = TempDir::new("inspect-watch");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(inbox.join("sub")).unwrap();
    std::fs::write(inbox.join("sub/a.csv"), "k,v\n1,2\n3,4\n").unwrap();
    let outbox = dir.path().join("outbox");
    let out = sluice()
        .arg("watch")
        .arg(&inbox)
        .arg("-o")
        .arg(&outbox)
        .arg("--once")
        .env("SLUICE_JOB", "inspect")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read(outbox.join("sub/a.csv.json")).unwrap();
    let doc: Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(doc["csv"]["rows"], 2);
    assert_eq!(columns(&doc)[1], json!(["v", 2, true, "2", "4"]));
    assert!(!outbox.join("sub/a.csv").exists());
}
