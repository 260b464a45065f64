//! A TCP proxy between `sluice` and moto that injects faults: it cuts a
//! connection once the answers on it pass a byte count — a connection
//! reset mid-body, as a flaky network gives — a set number of times, and
//! can run a step (replace the object being read) at the moment it cuts.

use std::io::{Read, Write};
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
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (left, on_cut) = (Arc::clone(&left), on_cut.clone());
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pipe(c2, s2, u64::MAX, &AtomicU32::new(0), None));
                std::thread::spawn(move || pipe(server, client, after, &left, on_cut));
            }
        });
        FaultProxy {
            url,
            cuts_left,
            cuts,
        }
    }

    /// How many cuts were made.
    pub fn injected(&self) -> u32 {
        self.cuts - self.cuts_left.load(Ordering::SeqCst)
    }
}

/// Copies `from` to `to`; past `after` bytes, while cuts are left, cuts
/// both directions.
fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    after: u64,
    left: &AtomicU32,
    on_cut: Option<OnCut>,
) {
    let mut buf = vec![0u8; 64 << 10];
    let mut passed = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        passed += n as u64;
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
    std::thread::spawn(move || pipe(c2, s2, u64::MAX, &AtomicU32::new(0), None));
    // The answer's status line, noted beside the request's.
    let n = server.read(&mut buf).unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]);
    let status = answer.split_whitespace().nth(1).unwrap_or("-");
    log.lock().unwrap()[entry] = format!("{line} -> {status}");
    if n == 0 || client.write_all(&buf[..n]).is_err() {
        return;
    }
    pipe(server, client, u64::MAX, &AtomicU32::new(0), None);
}
