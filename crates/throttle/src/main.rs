//! `sluice-throttle`: a TCP proxy that makes loopback look like a network,
//! so that a benchmark measures what concurrency buys rather than assuming
//! it. Each connection is capped at a bandwidth in each direction (40 MB/s
//! by default: roughly one S3 stream from a Lambda function), and each
//! answer is held for a latency (20 ms by default) before its first byte
//! goes on, as a request's round trip to S3 would take.
//!
//! ```text
//! sluice-throttle --upstream 127.0.0.1:9000 [--listen 127.0.0.1:0] [--mb-per-sec 40] [--latency-ms 20]
//! ```
//!
//! Prints the address it listens on as its first line of output, then
//! serves until killed. A bandwidth of 0 means uncapped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep, sleep_until, Instant};

/// How far behind its schedule a connection may catch up: a few of the
/// timer's milliseconds on a busy machine.
const SLACK: Duration = Duration::from_millis(20);

/// What the proxy does to each connection.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// Bytes per second in each direction; 0: uncapped.
    bytes_per_sec: f64,
    /// How long an answer waits before its first byte is passed on.
    latency: Duration,
}

/// The command line.
struct Args {
    listen: String,
    upstream: String,
    limits: Limits,
}

const USAGE: &str = "usage: sluice-throttle --upstream HOST:PORT [--listen HOST:PORT] \
                     [--mb-per-sec 40] [--latency-ms 20]";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut listen, mut upstream) = ("127.0.0.1:0".to_string(), None);
    let (mut mb, mut ms) = (40.0_f64, 20.0_f64);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<f64>()
                .map_err(|e| format!("{flag} {value}: {e}"))
        };
        match flag.as_str() {
            "--listen" => listen = value,
            "--upstream" => upstream = Some(value),
            "--mb-per-sec" => mb = number()?,
            "--latency-ms" => ms = number()?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if !(mb >= 0.0 && ms >= 0.0) {
        return Err("--mb-per-sec and --latency-ms cannot be negative".into());
    }
    let limits = Limits {
        bytes_per_sec: mb * 1e6,
        latency: Duration::from_secs_f64(ms / 1e3),
    };
    let upstream = upstream.ok_or("--upstream is required")?;
    Ok(Args {
        listen,
        upstream,
        limits,
    })
}

fn main() {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("sluice-throttle: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    // One thread copies well over 1 GB/s of 64 KiB reads: more than the
    // 16 capped connections a benchmark opens.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    if let Err(e) = runtime.block_on(serve(args)) {
        eprintln!("sluice-throttle: {e}");
        std::process::exit(1);
    }
}

async fn serve(args: Args) -> std::io::Result<()> {
    let listener = TcpListener::bind(&args.listen).await?;
    println!("{}", listener.local_addr()?);
    loop {
        let (client, _) = listener.accept().await?;
        let (upstream, limits) = (args.upstream.clone(), args.limits);
        tokio::spawn(async move {
            if let Ok(server) = TcpStream::connect(&upstream).await {
                connect(client, server, limits).await;
            }
        });
    }
}

/// Passes one connection's bytes both ways until either side closes.
async fn connect(client: TcpStream, server: TcpStream, limits: Limits) {
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let (client_rx, client_tx) = client.into_split();
    let (server_rx, server_tx) = server.into_split();
    // Set when the client sent something: the next answer is a new one.
    let asked = Arc::new(AtomicBool::new(false));
    let requests = pipe(client_rx, server_tx, limits, Direction::Request(&asked));
    let answers = pipe(server_rx, client_tx, limits, Direction::Answer(&asked));
    tokio::join!(requests, answers);
}

enum Direction<'a> {
    Request(&'a AtomicBool),
    Answer(&'a AtomicBool),
}

/// Copies `from` to `to` at the capped rate; the first bytes of each answer
/// wait for the latency.
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, limits: Limits, way: Direction<'_>) {
    // At 40 MB/s a 64 KiB read is 1.6 ms of link time.
    let mut buf = vec![0u8; 64 << 10];
    // When the link is free again: each read's bytes book it for their
    // time, so the rate holds on average whatever the timer's resolution.
    let mut free_at = Instant::now();
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        match way {
            Direction::Request(asked) => asked.store(true, Ordering::Relaxed),
            Direction::Answer(asked) if asked.swap(false, Ordering::Relaxed) => {
                sleep(limits.latency).await;
            }
            Direction::Answer(_) => {}
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
        if limits.bytes_per_sec > 0.0 {
            let busy = Duration::from_secs_f64(n as f64 / limits.bytes_per_sec);
            // A timer that woke late left the link idle for a while: that
            // time is made up (up to SLACK), or the rate would be the
            // timer's. Longer idle time is not saved up for a burst.
            let now = Instant::now();
            free_at = free_at.max(now - SLACK) + busy;
            if free_at > now {
                sleep_until(free_at).await;
            }
        }
    }
    let _ = to.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_are_40_mb_per_sec_and_20_ms() {
        let a = args(&["--upstream", "127.0.0.1:9000"]).unwrap();
        assert_eq!(a.limits.bytes_per_sec, 40e6);
        assert_eq!(a.limits.latency, Duration::from_millis(20));
        assert_eq!(a.listen, "127.0.0.1:0");
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(args(&[]).is_err());
        assert!(args(&["--upstream"]).is_err());
        assert!(args(&["--upstream", "x", "--mb-per-sec", "fast"]).is_err());
        assert!(args(&["--upstream", "x", "--latency-ms", "-1"]).is_err());
        assert!(args(&["--upstream", "x", "--bogus", "1"]).is_err());
    }

    /// A connection through the proxy carries no more than the cap, and
    /// an answer arrives no sooner than the latency.
    #[tokio::test(flavor = "current_thread")]
    async fn a_connection_is_capped_and_delayed() {
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let up_addr = upstream.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = upstream.accept().await.unwrap();
            let mut ask = [0u8; 4];
            s.read_exact(&mut ask).await.unwrap();
            s.write_all(&vec![7u8; 2_000_000]).await.unwrap();
        });
        let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = proxy.local_addr().unwrap();
        let limits = Limits {
            bytes_per_sec: 10e6,
            latency: Duration::from_millis(50),
        };
        tokio::spawn(async move {
            let (client, _) = proxy.accept().await.unwrap();
            let server = TcpStream::connect(up_addr).await.unwrap();
            connect(client, server, limits).await;
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        let started = std::time::Instant::now();
        c.write_all(b"GET ").await.unwrap();
        let mut first = [0u8; 1];
        c.read_exact(&mut first).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(50));
        let mut rest = Vec::new();
        c.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest.len() + 1, 2_000_000);
        // 2 MB at 10 MB/s: 0.2 s, less one 64 KiB read of slack.
        assert!(
            started.elapsed() >= Duration::from_millis(190),
            "{:?}",
            started.elapsed()
        );
    }
}
