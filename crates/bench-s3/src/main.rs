//! `sluice-bench-s3`: a lean S3-compatible server over a folder, for
//! `scripts/bench-s3.sh`. A benchmark of sluice's S3 path on one machine
//! shares its cores with the server; a server that spends a core of its own
//! per GB (hashing every byte, reading in 4 KiB pieces) measures itself. This
//! one serves ranges with sendfile(2), joins parts with copy_file_range(2),
//! and answers only what sluice asks of S3: GET and HEAD (ranges,
//! `If-Match`), PUT (`If-Match`, `If-None-Match: *`), multipart uploads,
//! DELETE, ListObjectsV2 and CreateBucket. It checks no signatures, keeps no
//! versions, and listens on loopback for benchmarks only.
//!
//! ```text
//! sluice-bench-s3 --root DIR [--listen 127.0.0.1:0]
//! ```
//!
//! Prints the address it listens on as its first line, then serves until
//! killed; one thread per connection.

mod http;
mod list;
mod store;

use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use store::Store;

const USAGE: &str = "usage: sluice-bench-s3 --root DIR [--listen 127.0.0.1:0]";

fn main() {
    let (root, listen) = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("sluice-bench-s3: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = serve(root, &listen) {
        eprintln!("sluice-bench-s3: {e}");
        std::process::exit(1);
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(String, String), String> {
    let (mut root, mut listen) = (None, "127.0.0.1:0".to_string());
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--root" => root = Some(value),
            "--listen" => listen = value,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok((root.ok_or("--root is required")?, listen))
}

fn serve(root: String, listen: &str) -> std::io::Result<()> {
    let store = Arc::new(Store::new(root.into())?);
    let listener = TcpListener::bind(listen)?;
    println!("{}", listener.local_addr()?);
    for conn in listener.incoming() {
        let (conn, store) = (conn?, Arc::clone(&store));
        std::thread::spawn(move || {
            if let Err(e) = connection(conn, &store) {
                eprintln!("sluice-bench-s3: connection ended: {e}");
            }
        });
    }
    Ok(())
}

/// Serves one connection's requests, one after another, until it closes.
fn connection(conn: TcpStream, store: &Store) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let mut conn = BufReader::with_capacity(64 << 10, conn);
    while let Some(req) = http::read_request(&mut conn)? {
        store.handle(&req, &mut conn)?;
    }
    Ok(())
}
