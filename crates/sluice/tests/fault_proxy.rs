//! A proxy between `sluice` and moto that injects faults, at two levels:
//! - TCP ([`FaultProxy::start`]): it cuts a connection once the answers on
//!   it pass a byte count — a connection reset mid-body, as a flaky
//!   network gives — a set number of times, and can run a step (replace
//!   the object being read) at the moment it cuts;
//! - HTTP ([`FaultProxy::http`]): it reads each request's head and records
//!   its line with the status of its answer ([`FaultProxy::requests`]), so
//!   a test can tell which requests a run made; given an [`HttpFault`], it
//!   answers a chosen fraction of the requests that match itself, with a
//!   given status and body — a throttled DynamoDB, an S3 that says
//!   `SlowDown` — while the others go through to moto. Connections stay
//!   open across requests as moto allows, as between the SDK and S3.
//!
//! Both count the GET requests they pass on ([`FaultProxy::gets`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

/// Runs when a cut is made.
pub type OnCut = Arc<dyn Fn() + Send + Sync>;

pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`: the endpoint to give `sluice`.
    pub url: String,
    cuts_left: Arc<AtomicU32>,
    cuts: u32,
    /// What the HTTP level saw and answered (nothing at the TCP level).
    seen: Arc<Mutex<Seen>>,
    gets: Arc<AtomicU32>,
}

impl FaultProxy {
    /// Proxies to `upstream` (`http://host:port`), cutting up to `cuts`
    /// connections once each has answered more than `after` bytes.
    pub fn start(upstream: &str, after: u64, cuts: u32, on_cut: Option<OnCut>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let cuts_left = Arc::new(AtomicU32::new(cuts));
        let left = Arc::clone(&cuts_left);
        let gets = Arc::new(AtomicU32::new(0));
        let counted = Arc::clone(&gets);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (left, on_cut) = (Arc::clone(&left), on_cut.clone());
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let requests = Some(Arc::clone(&counted));
                let never = AtomicU32::new(0);
                std::thread::spawn(move || pipe(c2, s2, u64::MAX, &never, None, requests));
                std::thread::spawn(move || pipe(server, client, after, &left, on_cut, None));
            }
        });
        FaultProxy {
            url,
            cuts_left,
            cuts,
            seen: Arc::default(),
            gets,
        }
    }

    /// Proxies HTTP/1.1 to `upstream` (`http://host:port`), recording
    /// every request, and answering the requests `fault` picks itself.
    pub fn http(upstream: &str, fault: Option<HttpFault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let http = Http {
            fault: Arc::new(fault),
            seen: Arc::default(),
            gets: Arc::default(),
        };
        let (seen, gets) = (Arc::clone(&http.seen), Arc::clone(&http.gets));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (http, seen) = (http.clone(), Arc::clone(&http.seen));
                let (asked, pending) = channel();
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || answers(s2, c2, &pending, &seen));
                std::thread::spawn(move || http.requests(client, server, &asked));
            }
        });
        FaultProxy {
            url,
            cuts_left: Arc::new(AtomicU32::new(0)),
            cuts: 0,
            seen,
            gets,
        }
    }

    /// How many faults were injected: cuts made and answers given.
    pub fn injected(&self) -> u32 {
        let answered = self.seen.lock().unwrap().injected;
        self.cuts - self.cuts_left.load(Ordering::SeqCst) + answered
    }

    /// How many GET requests went through to the server.
    pub fn gets(&self) -> u32 {
        self.gets.load(Ordering::SeqCst)
    }

    /// How many requests matched the HTTP fault's matcher (injected or not).
    pub fn matched(&self) -> u32 {
        self.seen.lock().unwrap().matched
    }

    /// Every request line so far (HTTP level), in the order they came,
    /// with the answer's status once it came: `GET /b/k?x-id=GetObject
    /// HTTP/1.1 -> 200`; `-> 503 injected` when the proxy answered, `-> -`
    /// when the connection ended first.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().lines.clone()
    }

    /// Forgets the requests so far.
    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

/// Which requests the proxy answers itself, and how.
#[derive(Clone, Debug)]
pub struct HttpFault {
    /// A request matches when it has this header (name in any case) with a
    /// value containing the given text; `None` matches every request.
    pub header: Option<(String, String)>,
    /// ... and when its request line contains each of these (`POST ` and
    /// `uploadId=` pick CompleteMultipartUpload).
    pub line: Vec<String>,
    /// The share of matching requests answered, spread evenly: 0.25 is the
    /// 4th, 8th, 12th...
    pub fraction: f64,
    /// At most this many answers in all.
    pub limit: u32,
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl HttpFault {
    /// DynamoDB's answer to a throttled request, for requests whose
    /// `X-Amz-Target` contains `target` (`DynamoDB_20120810.UpdateItem`).
    pub fn dynamodb_throttle(target: &str, fraction: f64) -> Self {
        HttpFault {
            header: Some(("x-amz-target".into(), target.into())),
            line: Vec::new(),
            fraction,
            limit: u32::MAX,
            status: 400,
            content_type: "application/x-amz-json-1.0".into(),
            body: r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#.into(),
        }
    }

    /// S3's answer to a share of every request: `500 InternalError` or
    /// `503 SlowDown`, as S3 gives them under load.
    pub fn s3(status: u16, fraction: f64) -> Self {
        let code = if status == 503 {
            "SlowDown"
        } else {
            "InternalError"
        };
        HttpFault {
            header: None,
            line: Vec::new(),
            fraction,
            limit: u32::MAX,
            status,
            content_type: "application/xml".into(),
            body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected</Message><RequestId>injected</RequestId></Error>"),
        }
    }

    /// The same fault, for requests whose request line contains each of
    /// `texts`, at most `limit` times.
    pub fn on_line(mut self, texts: &[&str], limit: u32) -> Self {
        self.line = texts.iter().map(|t| t.to_string()).collect();
        self.limit = limit;
        self
    }

    /// Whether a request with this head is one to consider.
    fn matches(&self, head: &str) -> bool {
        let first = head.lines().next().unwrap_or_default();
        if !self.line.iter().all(|l| first.contains(l.as_str())) {
            return false;
        }
        let Some((name, value)) = &self.header else {
            return true;
        };
        head.lines().skip(1).any(|line| {
            line.split_once(':').is_some_and(|(n, v)| {
                n.trim().eq_ignore_ascii_case(name) && v.contains(value.as_str())
            })
        })
    }

    /// The response, closing the connection: the request's body (if any)
    /// is never read, so the connection cannot be used again.
    fn response(&self) -> String {
        format!(
            "HTTP/1.1 {} Injected\r\ncontent-type: {}\r\ncontent-length: {}\r\nx-amzn-requestid: injected\r\nconnection: close\r\n\r\n{}",
            self.status,
            self.content_type,
            self.body.len(),
            self.body
        )
    }
}

/// What the HTTP level saw, shared by the connections.
#[derive(Debug, Default)]
struct Seen {
    /// Requests that matched the fault, and those answered by the proxy.
    matched: u32,
    injected: u32,
    /// The request lines from request number `first` on: [`Seen::clear`]
    /// moves it on, so that an answer to a forgotten request is dropped.
    lines: Vec<String>,
    first: usize,
}

impl Seen {
    /// Counts a matching request; whether it is one to answer.
    fn take(&mut self, fault: &HttpFault) -> bool {
        let before = (f64::from(self.matched) * fault.fraction).floor();
        self.matched += 1;
        let due = (f64::from(self.matched) * fault.fraction).floor() > before;
        let answer = due && self.injected < fault.limit;
        self.injected += u32::from(answer);
        answer
    }

    /// Records a request line; returns its number.
    fn note(&mut self, line: &str) -> usize {
        self.lines.push(line.to_string());
        self.first + self.lines.len() - 1
    }

    /// Notes the status of the answer to request `number`.
    fn answer(&mut self, number: usize, status: &str) {
        let at = number.checked_sub(self.first);
        if let Some(line) = at.and_then(|at| self.lines.get_mut(at)) {
            line.push_str(" -> ");
            line.push_str(status);
        }
    }

    fn clear(&mut self) {
        self.first += self.lines.len();
        self.lines.clear();
    }
}

/// A request passed on, waiting for its answer.
struct Asked {
    number: usize,
    /// A HEAD request, whose answer has a length but no body.
    head: bool,
}

/// The HTTP level's state, one copy per connection.
#[derive(Clone)]
struct Http {
    fault: Arc<Option<HttpFault>>,
    seen: Arc<Mutex<Seen>>,
    gets: Arc<AtomicU32>,
}

impl Http {
    /// Passes the requests of one connection to `server` one by one, each
    /// recorded and its number sent to [`answers`] first, unless the fault
    /// picks one: then it answers that itself and closes.
    fn requests(&self, client: TcpStream, mut server: TcpStream, asked: &Sender<Asked>) {
        let mut answer_to = client.try_clone().unwrap();
        let mut reader = BufReader::new(client);
        while let Some(head) = read_head(&mut reader) {
            let text = String::from_utf8_lossy(&head);
            let line = text.lines().next().unwrap_or_default();
            let (number, injected) = self.note(&text);
            if let Some(fault) = injected {
                let _ = answer_to.write_all(fault.response().as_bytes());
                break;
            }
            if line.starts_with("GET ") {
                self.gets.fetch_add(1, Ordering::SeqCst);
            }
            let head_only = line.starts_with("HEAD ");
            let sent = asked.send(Asked {
                number,
                head: head_only,
            });
            if sent.is_err()
                || server.write_all(&head).is_err()
                || pass_body(&text, &mut reader, &mut server, false).is_err()
            {
                break;
            }
        }
        let _ = answer_to.shutdown(Shutdown::Both);
        let _ = server.shutdown(Shutdown::Both);
    }

    /// Records a request with this head; returns its number, and the fault
    /// when the proxy is to answer it.
    fn note(&self, head: &str) -> (usize, Option<&HttpFault>) {
        let mut seen = self.seen.lock().unwrap();
        let number = seen.note(head.lines().next().unwrap_or_default());
        let fault = self.fault.as_ref().as_ref();
        let fault = fault.filter(|f| f.matches(head) && seen.take(f));
        if let Some(f) = fault {
            seen.answer(number, &format!("{} injected", f.status));
        }
        (number, fault)
    }
}

/// Passes the answers on one connection back to `client`, noting each
/// one's status beside its request; requests left without an answer when
/// the connection ends are noted `-`.
fn answers(server: TcpStream, mut client: TcpStream, asked: &Receiver<Asked>, seen: &Mutex<Seen>) {
    let mut reader = BufReader::new(server);
    while let Some(head) = read_head(&mut reader) {
        let text = String::from_utf8_lossy(&head);
        let status = text.split_whitespace().nth(1).unwrap_or("-").to_string();
        // `100 Continue` comes ahead of the request's answer.
        let request = if status.starts_with('1') {
            None
        } else {
            let Ok(request) = asked.recv() else { break };
            Some(request)
        };
        if let Some(r) = &request {
            seen.lock().unwrap().answer(r.number, &status);
        }
        let no_body = request.is_none_or(|r| r.head) || status == "204" || status == "304";
        let passed = client.write_all(&head).and_then(|()| {
            if no_body {
                Ok(())
            } else {
                pass_body(&text, &mut reader, &mut client, true)
            }
        });
        if passed.is_err() {
            break;
        }
    }
    for request in asked.try_iter() {
        seen.lock().unwrap().answer(request.number, "-");
    }
    let _ = reader.get_ref().shutdown(Shutdown::Both);
    let _ = client.shutdown(Shutdown::Both);
}

/// The request line and headers, through the blank line; `None` at the
/// end of the connection.
fn read_head(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    loop {
        let start = head.len();
        if reader.read_until(b'\n', &mut head).ok()? == 0 {
            return None;
        }
        if head[start..] == *b"\r\n" || head[start..] == *b"\n" {
            return Some(head);
        }
    }
}

/// Copies the body of the request or answer with this head: its
/// content-length's bytes, or its chunks; without either, a request has
/// none and an answer (`to_end`) runs to the end of the connection.
fn pass_body(
    head: &str,
    from: &mut impl BufRead,
    to: &mut impl Write,
    to_end: bool,
) -> std::io::Result<()> {
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size_line = Vec::new();
            from.read_until(b'\n', &mut size_line)?;
            to.write_all(&size_line)?;
            let size = String::from_utf8_lossy(&size_line);
            let size = size.trim().split(';').next().unwrap_or("");
            let size = u64::from_str_radix(size, 16).map_err(std::io::Error::other)?;
            if size == 0 {
                // Trailers, then the blank line.
                let trailers = read_head(from).unwrap_or_default();
                return to.write_all(&trailers);
            }
            std::io::copy(&mut (&mut *from).take(size + 2), to)?;
        }
    }
    match header("content-length").and_then(|v| v.parse().ok()) {
        Some(length) => std::io::copy(&mut (&mut *from).take(length), to).map(drop),
        None if to_end => std::io::copy(from, to).map(drop),
        None => Ok(()),
    }
}

/// Copies `from` to `to`; past `after` bytes, while cuts are left, cuts
/// both directions. With `requests`, counts the reads that start a GET (a
/// request's head arrives whole in one read; bodies that start with "GET "
/// are not sent by the tests).
fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    after: u64,
    left: &AtomicU32,
    on_cut: Option<OnCut>,
    requests: Option<Arc<AtomicU32>>,
) {
    let mut buf = vec![0u8; 64 << 10];
    let mut passed = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        passed += n as u64;
        if let Some(count) = requests.as_ref().filter(|_| buf[..n].starts_with(b"GET ")) {
            count.fetch_add(1, Ordering::SeqCst);
        }
        let cut = passed > after
            && left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if cut {
            if let Some(step) = &on_cut {
                step();
            }
            break;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
