//! A TCP proxy between `sluice` and moto that injects faults: it cuts a
//! connection once the answers on it pass a byte count — a connection
//! reset mid-body, as a flaky network gives — a set number of times, and
//! can run a step (replace the object being read) at the moment it cuts.
//! It counts the GET requests it passes on, so a test can tell which
//! requests a read made.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Runs when a cut is made.
pub type OnCut = Arc<dyn Fn() + Send + Sync>;

pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`: the endpoint to give `sluice`.
    pub url: String,
    cuts_left: Arc<AtomicU32>,
    cuts: u32,
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
            gets,
        }
    }

    /// How many cuts were made.
    pub fn injected(&self) -> u32 {
        self.cuts - self.cuts_left.load(Ordering::SeqCst)
    }

    /// How many GET requests went through.
    pub fn gets(&self) -> u32 {
        self.gets.load(Ordering::SeqCst)
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
