//! The benchmark server answers what sluice asks of S3, as S3 would: the
//! binary started on a temporary folder and spoken to over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    addr: String,
    root: std::path::PathBuf,
}

impl Server {
    fn start(name: &str) -> Self {
        let root =
            std::env::temp_dir().join(format!("sluice-bench-s3-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("b")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sluice-bench-s3"))
            .args(["--root", root.to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut addr = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut addr)
            .unwrap();
        Server {
            child,
            addr: addr.trim().to_string(),
            root,
        }
    }

    /// One request on a connection of its own: (status, headers, body).
    fn call(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let mut conn = TcpStream::connect(&self.addr).unwrap();
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        conn.write_all(format!("{head}\r\n").as_bytes()).unwrap();
        conn.write_all(body).unwrap();
        read_answer(&mut BufReader::new(conn), method == "HEAD")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map_or("", |(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn read_answer(conn: &mut BufReader<TcpStream>, head_only: bool) -> Answer {
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    let status = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        line.clear();
        conn.read_line(&mut line).unwrap();
        match line.trim_end().split_once(':') {
            Some((n, v)) => headers.push((n.trim().to_string(), v.trim().to_string())),
            None => break,
        }
    }
    let mut answer = Answer {
        status,
        headers,
        body: Vec::new(),
    };
    let len: u64 = answer.header("content-length").parse().unwrap();
    if !head_only {
        conn.take(len).read_to_end(&mut answer.body).unwrap();
    }
    answer
}

#[test]
fn objects_are_written_whole_and_read_by_range() {
    let s = Server::start("ranges");
    let put = s.call("PUT", "/b/a%20dir/x.csv", &[], b"0123456789");
    assert_eq!(put.status, 200);
    let etag = put.header("etag").to_string();
    let got = s.call("GET", "/b/a%20dir/x.csv", &[("Range", "bytes=2-5")], b"");
    assert_eq!((got.status, got.text().as_str()), (206, "2345"));
    assert_eq!(got.header("content-range"), "bytes 2-5/10");
    assert_eq!(got.header("etag"), etag);
    let head = s.call("HEAD", "/b/a%20dir/x.csv", &[], b"");
    assert_eq!((head.status, head.header("content-length")), (200, "10"));
    let past = s.call("GET", "/b/a%20dir/x.csv", &[("Range", "bytes=10-")], b"");
    assert!(past.status == 416 && past.text().contains("InvalidRange"));
    let missing = s.call("GET", "/b/nothing", &[], b"");
    assert!(missing.status == 404 && missing.text().contains("NoSuchKey"));
}

#[test]
fn conditional_writes_and_reads_refuse_a_changed_object() {
    let s = Server::start("conditions");
    let first = s.call("PUT", "/b/k", &[("If-None-Match", "*")], b"one");
    assert_eq!(first.status, 200);
    let again = s.call("PUT", "/b/k", &[("If-None-Match", "*")], b"two");
    assert_eq!(again.status, 412);
    let etag = first.header("etag").to_string();
    let stale = s.call("PUT", "/b/k", &[("If-Match", "\"not-it\"")], b"two");
    assert_eq!(stale.status, 412);
    let matched = s.call("PUT", "/b/k", &[("If-Match", etag.as_str())], b"three");
    assert_eq!(matched.status, 200);
    // A read pinned to the first ETag is refused now the object changed.
    let pinned = s.call("GET", "/b/k", &[("If-Match", etag.as_str())], b"");
    assert_eq!(pinned.status, 412);
    assert_eq!(s.call("GET", "/b/k", &[], b"").text(), "three");
    let absent = s.call("PUT", "/b/new", &[("If-Match", etag.as_str())], b"x");
    assert_eq!(absent.status, 404);
}

#[test]
fn a_multipart_upload_appears_whole_at_completion_only() {
    let s = Server::start("multipart");
    let created = s.call("POST", "/b/big?uploads", &[], b"");
    let text = created.text();
    let id = text
        .split("<UploadId>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    for (n, body) in [(2, "world"), (1, "hello ")] {
        let part = s.call(
            "PUT",
            &format!("/b/big?partNumber={n}&uploadId={id}"),
            &[],
            body.as_bytes(),
        );
        assert_eq!(part.status, 200);
    }
    assert_eq!(
        s.call("GET", "/b/big", &[], b"").status,
        404,
        "visible before completion"
    );
    let listing = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>\
                   <Part><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>";
    let done = s.call(
        "POST",
        &format!("/b/big?uploadId={id}"),
        &[("If-None-Match", "*")],
        listing.as_bytes(),
    );
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(s.call("GET", "/b/big", &[], b"").text(), "hello world");
    let listed = s.call("GET", "/b?list-type=2&prefix=b", &[], b"").text();
    assert!(
        listed.contains("<Key>big</Key>") && listed.contains("<Size>11</Size>"),
        "{listed}"
    );
    assert!(
        !listed.contains("upload-"),
        "uploads are not objects: {listed}"
    );
}
