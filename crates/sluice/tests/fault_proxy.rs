//! A proxy between `sluice` and moto that injects faults, at two levels:
//! - TCP ([`FaultProxy::start`]): it cuts a connection once the answers on
//!   it pass a byte count — a connection reset mid-body, as a flaky
//!   network gives — a set number of times, and can run a step (replace
//!   the object being read) at the moment it cuts;
//! - HTTP ([`FaultProxy::http`]): it reads each request's head and answers
//!   a chosen fraction of the requests that match ([`HttpFault`]) itself,
//!   with a given status and body — a throttled DynamoDB, an S3 that says
//!   `SlowDown` — while the others go through to moto.
//!
//! Both count the GET requests they pass on ([`FaultProxy::gets`]), so a
//! test can tell which requests a read made.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Runs when a cut is made.
pub type OnCut = Arc<dyn Fn() + Send + Sync>;

pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`: the endpoint to give `sluice`.
    pub url: String,
    cuts_left: Arc<AtomicU32>,
    cuts: u32,
    /// The HTTP answers injected, when the proxy injects them.
    answered: Arc<Mutex<Turns>>,
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
            answered: Arc::default(),
            gets,
        }
    }

    /// Proxies HTTP/1.1 to `upstream` (`http://host:port`), answering the
    /// requests `fault` picks itself.
    pub fn http(upstream: &str, fault: HttpFault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let answered = Arc::new(Mutex::new(Turns::default()));
        let (turns, fault) = (Arc::clone(&answered), Arc::new(fault));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (turns, fault) = (Arc::clone(&turns), Arc::clone(&fault));
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pipe(s2, c2, u64::MAX, &AtomicU32::new(0), None, None));
                std::thread::spawn(move || requests(client, server, &fault, &turns));
            }
        });
        FaultProxy {
            url,
            cuts_left: Arc::new(AtomicU32::new(0)),
            cuts: 0,
            answered,
            gets: Arc::default(),
        }
    }

    /// How many faults were injected: cuts made and answers given.
    pub fn injected(&self) -> u32 {
        let answered = self.answered.lock().unwrap().injected;
        self.cuts - self.cuts_left.load(Ordering::SeqCst) + answered
    }

    /// How many GET requests went through (TCP level).
    pub fn gets(&self) -> u32 {
        self.gets.load(Ordering::SeqCst)
    }

    /// How many requests matched the HTTP fault's matcher (injected or not).
    pub fn matched(&self) -> u32 {
        self.answered.lock().unwrap().matched
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

/// Matching requests seen and answers given, shared by the connections.
#[derive(Debug, Default)]
struct Turns {
    matched: u32,
    injected: u32,
}

impl Turns {
    /// Counts a matching request; whether it is one to answer.
    fn take(&mut self, fault: &HttpFault) -> bool {
        let before = (f64::from(self.matched) * fault.fraction).floor();
        self.matched += 1;
        let due = (f64::from(self.matched) * fault.fraction).floor() > before;
        let answer = due && self.injected < fault.limit;
        self.injected += u32::from(answer);
        answer
    }
}

/// Passes the requests of one connection to `server` one by one, unless
/// the fault picks one: then it answers that itself and closes.
fn requests(client: TcpStream, mut server: TcpStream, fault: &HttpFault, turns: &Mutex<Turns>) {
    let mut answer_to = client.try_clone().unwrap();
    let mut reader = BufReader::new(client);
    while let Some(head) = read_head(&mut reader) {
        let text = String::from_utf8_lossy(&head);
        if fault.matches(&text) && turns.lock().unwrap().take(fault) {
            let _ = answer_to.write_all(fault.response().as_bytes());
            break;
        }
        if server.write_all(&head).is_err() || pass_body(&text, &mut reader, &mut server).is_err() {
            break;
        }
    }
    let _ = answer_to.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
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

/// Copies the body of the request with this head: its content-length's
/// bytes, or its chunks.
fn pass_body(head: &str, from: &mut impl BufRead, to: &mut impl Write) -> std::io::Result<()> {
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
    let length = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    std::io::copy(&mut (&mut *from).take(length), to)?;
    Ok(())
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

/// An HTTP proxy that sees each request: it records every request line,
/// and answers `503 SlowDown` itself — as S3 does when a prefix is read
/// too fast — to requests whose line contains `throttle`. Each connection
/// carries one request (`Connection: close` is added), so none slips
/// through on a reused connection unseen.
pub struct HttpProxy {
    /// `http://127.0.0.1:PORT`: the endpoint to give `sluice`.
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl HttpProxy {
    pub fn start(upstream: &str, throttle: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (log, throttle) = (Arc::clone(&requests), throttle.map(str::to_string));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (log, throttle, upstream) =
                    (Arc::clone(&log), throttle.clone(), upstream.clone());
                std::thread::spawn(move || {
                    one_request(client, &upstream, throttle.as_deref(), &log)
                });
            }
        });
        HttpProxy { url, requests }
    }

    /// Every request line so far, with the answer's status once it came
    /// (`GET /bucket/key?x-id=GetObject HTTP/1.1 -> 200`).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Forgets the requests so far.
    pub fn clear(&self) {
        self.requests.lock().unwrap().clear();
    }
}

/// Reads one request's head, records its line, and answers it or passes it on.
fn one_request(
    mut client: TcpStream,
    upstream: &str,
    throttle: Option<&str>,
    log: &Mutex<Vec<String>>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 16 << 10];
    let end = loop {
        match client.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let line = text.lines().next().unwrap_or_default().to_string();
    let entry = {
        let mut log = log.lock().unwrap();
        log.push(line.clone());
        log.len() - 1
    };
    if throttle.is_some_and(|t| line.contains(t)) {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
                    <Message>Please reduce your request rate.</Message><RequestId>proxy</RequestId></Error>";
        let answer = format!(
            "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = client.write_all(answer.as_bytes());
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let kept: Vec<&str> = text
        .split("\r\n")
        .filter(|h| !h.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    let new_head = format!("{}\r\nConnection: close\r\n\r\n", kept.join("\r\n"));
    if server.write_all(new_head.as_bytes()).is_err() || server.write_all(&head[end + 4..]).is_err()
    {
        return;
    }
    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::spawn(move || pipe(c2, s2, u64::MAX, &AtomicU32::new(0), None, None));
    // The answer's status line, noted beside the request's.
    let n = server.read(&mut buf).unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]);
    let status = answer.split_whitespace().nth(1).unwrap_or("-");
    log.lock().unwrap()[entry] = format!("{line} -> {status}");
    if n == 0 || client.write_all(&buf[..n]).is_err() {
        return;
    }
    pipe(server, client, u64::MAX, &AtomicU32::new(0), None, None);
}
