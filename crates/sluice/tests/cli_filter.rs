//! `sluice filter` on files, stdin and stdout.

use crate::util::{filter_stdin, sluice, text, TempDir};

const MESSY: &str = "id,name,score,weight\r\n\
1,\"Widget, \"\"large\"\"\",4.70,3\r\n\
2,Bolt,  4.71 ,1\r\n\
3,\"multi\nline\",\"9.5\",0\r\n\
4,Nut,NaN,-7\r\n";

#[test]
fn keeps_header_and_rows_byte_for_byte() {
    let dir = TempDir::new("bytes");
    let input = dir.file("in.csv", MESSY);
    let out = dir.path().join("out.csv");
    let res = sluice()
        .arg("filter")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(res.status.success(), "{}", text(&res.stderr));
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        written,
        "id,name,score,weight\r\n2,Bolt,  4.71 ,1\r\n3,\"multi\nline\",\"9.5\",0\r\n"
    );
    let summary = text(&res.stderr);
    assert!(
        summary.contains("4 rows read, 2 selected, 2 dropped, 0 rejected"),
        "{summary}"
    );
}

#[test]
fn reads_stdin_and_writes_stdout() {
    let res = filter_stdin(&["--threshold", "1"], b"a\n0.5\n2\n1.0\n1.01\n");
    assert!(res.status.success());
    assert_eq!(text(&res.stdout), "a\n2\n1.01\n");
}

#[test]
fn columns_by_name_and_index() {
    let dir = TempDir::new("columns");
    let input = dir.file("in.csv", "\u{feff}x,y,z\n9,1,1\n1,9,1\n1,1,9\n");
    for (cols, want) in [
        ("x", "9,1,1\n"),
        ("2", "1,9,1\n"),
        ("x,3", "9,1,1\n1,1,9\n"),
    ] {
        let res = sluice()
            .args(["filter", "--columns", cols])
            .arg(&input)
            .output()
            .unwrap();
        assert!(res.status.success(), "{cols}: {}", text(&res.stderr));
        // The byte-order mark stays with the header; `x` still matches.
        assert_eq!(
            text(&res.stdout),
            format!("\u{feff}x,y,z\n{want}"),
            "{cols}"
        );
    }
}

#[test]
fn unknown_column_is_an_error_listing_the_header() {
    let res = filter_stdin(&["--columns", "price"], b"id,cost\n1,9\n");
    assert!(!res.status.success());
    let err = text(&res.stderr);
    assert!(
        err.contains("column \"price\" is not in the header: id, cost"),
        "{err}"
    );
    assert!(res.stdout.is_empty());
}

#[test]
fn all_requires_every_numeric_value_and_at_least_one() {
    let res = filter_stdin(&["--all"], b"a,b\n5,6\n5,1\nx,9\nx,y\n");
    assert_eq!(text(&res.stdout), "a,b\n5,6\nx,9\n");
}

#[test]
fn no_header_semicolons_and_negative_threshold() {
    let res = filter_stdin(
        &[
            "--no-header",
            "--delimiter",
            ";",
            "--threshold",
            "-1",
            "--columns",
            "2",
        ],
        b"a;-0.5\nb;-1\nc;-1.5\n",
    );
    assert!(res.status.success(), "{}", text(&res.stderr));
    assert_eq!(text(&res.stdout), "a;-0.5\n");
    let res = filter_stdin(&["--no-header", "--columns", "name"], b"1\n");
    assert!(text(&res.stderr).contains("1-based indices"));
}

#[test]
fn tab_delimiter() {
    let res = filter_stdin(&["--delimiter", "tab"], b"a\tb\n1,5\t2\n9\t1\n");
    assert_eq!(text(&res.stdout), "a\tb\n9\t1\n");
}

#[test]
fn unclosed_quote_fails_names_the_line_and_commits_nothing() {
    let dir = TempDir::new("unclosed");
    let mut body = String::from("a,b\n");
    for i in 0..50_000 {
        body.push_str(&format!("{i},9\n"));
    }
    body.push_str("1,\"never closed\n2,9\n");
    let input = dir.file("in.csv", &body);
    let out = dir.file("out.csv", "previous result\n");
    let res = sluice()
        .arg("filter")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!res.status.success());
    let err = text(&res.stderr);
    assert!(err.contains("line 50002"), "{err}");
    assert!(err.contains("never closed"), "{err}");
    // The earlier output is untouched and no temporary is left behind.
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous result\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn rejected_rows_are_counted_and_written_with_reasons() {
    let dir = TempDir::new("rejects");
    let input = dir.file("in.csv", "a,b\n9,9\n9\n1,2,3\n1,1\n");
    let rejects = dir.path().join("rejects.csv");
    let res = sluice()
        .arg("filter")
        .arg(&input)
        .arg("--rejects")
        .arg(&rejects)
        .output()
        .unwrap();
    assert!(res.status.success());
    assert_eq!(text(&res.stdout), "a,b\n9,9\n");
    assert!(text(&res.stderr).contains("4 rows read, 1 selected, 1 dropped, 2 rejected"));
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        "line,reason,row\n3,\"expected 2 fields, found 1\",9\n4,\"expected 2 fields, found 3\",\"1,2,3\"\n"
    );
    // --flexible judges them instead.
    let res = sluice()
        .args(["filter", "--flexible"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(text(&res.stdout), "a,b\n9,9\n9\n");
}

#[test]
fn empty_and_header_only_inputs() {
    let res = filter_stdin(&[], b"");
    assert!(res.status.success());
    assert!(res.stdout.is_empty());
    let res = filter_stdin(&["--columns", "b"], b"a,b");
    assert!(res.status.success(), "{}", text(&res.stderr));
    assert_eq!(text(&res.stdout), "a,b");
}

#[test]
fn refuses_to_overwrite_its_input() {
    let dir = TempDir::new("same");
    let input = dir.file("in.csv", "a\n9\n");
    let res = sluice()
        .arg("filter")
        .arg(&input)
        .arg("-o")
        .arg(&input)
        .output()
        .unwrap();
    assert!(!res.status.success());
    assert_eq!(std::fs::read_to_string(&input).unwrap(), "a\n9\n");
}

#[test]
fn bad_threshold_is_a_clear_error() {
    let res = sluice()
        .args(["filter", "--threshold", "4,7"])
        .output()
        .unwrap();
    assert!(!res.status.success());
    assert!(text(&res.stderr).contains("threshold \"4,7\" is not a decimal number"));
}

#[cfg(unix)]
#[test]
fn writes_into_a_fifo_in_place() {
    let dir = TempDir::new("fifo");
    let fifo = dir.path().join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let input = dir.file("in.csv", "a\n9\n1\n");
    let res = sluice()
        .arg("filter")
        .arg(&input)
        .arg("-o")
        .arg(&fifo)
        .output()
        .unwrap();
    assert!(res.status.success(), "{}", text(&res.stderr));
    assert_eq!(reader.join().unwrap(), "a\n9\n");
}

#[test]
fn invalid_utf8_in_the_header_is_named_when_a_column_cannot_match() {
    let res = filter_stdin(&["--columns", "prix"], b"id,pr\xefx\n1,9\n");
    assert!(!res.status.success());
    let err = text(&res.stderr);
    assert!(
        err.contains("line 1: column \"prix\" is not in the header"),
        "{err}"
    );
    assert!(
        err.contains("header field 2 is not valid UTF-8 at byte 2"),
        "{err}"
    );
}
