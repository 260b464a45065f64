//! A local Lambda Runtime API endpoint: serves events to a `bootstrap`
//! over the real HTTP protocol and records what it answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the function answered for one invocation.
#[derive(Debug)]
pub struct Answer {
    pub request_id: String,
    /// `response` or `error`.
    pub kind: String,
    pub body: serde_json::Value,
}

pub struct RuntimeApi {
    pub address: String,
    answers: Receiver<Answer>,
}

impl RuntimeApi {
    /// Serves `events` in order, one per `next` call; later `next` calls
    /// wait forever, as the real endpoint does between invocations.
    pub fn serve(events: Vec<serde_json::Value>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (tx, answers) = channel();
        let queue = Arc::new(Mutex::new(
            events.into_iter().enumerate().collect::<Vec<_>>(),
        ));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (queue, tx) = (Arc::clone(&queue), tx.clone());
                std::thread::spawn(move || connection(stream, &queue, &tx));
            }
        });
        RuntimeApi { address, answers }
    }

    /// The next answer, if it comes within `timeout`.
    pub fn try_answer(&self, timeout: Duration) -> Option<Answer> {
        self.answers.recv_timeout(timeout).ok()
    }

    /// The next answer, waiting up to `timeout`.
    pub fn answer(&self, timeout: Duration) -> Answer {
        self.answers
            .recv_timeout(timeout)
            .expect("the function answers in time")
    }
}

type Queue = Arc<Mutex<Vec<(usize, serde_json::Value)>>>;

fn connection(stream: TcpStream, queue: &Queue, tx: &Sender<Answer>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let next = queue.lock().unwrap().pop_first();
            let Some((n, event)) = next else {
                // No more events: hold the connection like the real API.
                std::thread::sleep(Duration::from_secs(3600));
                return;
            };
            let body = event.to_string();
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 900_000;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Lambda-Runtime-Aws-Request-Id: request-{n}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:sluice\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1\r\n\r\n",
                body.len()
            );
            writer.write_all(head.as_bytes()).unwrap();
            writer.write_all(body.as_bytes()).unwrap();
        } else if method == "POST" {
            // /2018-06-01/runtime/invocation/{id}/response|error, /runtime/init/error
            let segments: Vec<&str> = path.split('/').collect();
            let kind = segments.last().unwrap_or(&"").to_string();
            let request_id = segments.iter().rev().nth(1).unwrap_or(&"").to_string();
            let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            let _ = tx.send(Answer {
                request_id,
                kind,
                body,
            });
            writer
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n")
                .unwrap();
        } else {
            writer
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        }
    }
}

trait PopFirst<T> {
    fn pop_first(&mut self) -> Option<T>;
}

impl<T> PopFirst<T> for Vec<T> {
    fn pop_first(&mut self) -> Option<T> {
        (!self.is_empty()).then(|| self.remove(0))
    }
}
