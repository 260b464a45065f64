//! Inspects a file with the engine alone and prints the throughput: the
//! scan's speed without the command line's I/O and JSON around it.
//!
//!     cargo run --release -p sluice-engine --example inspect_file -- FILE

use sluice_engine::Inspector;
use std::io::Read;

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).expect("usage: inspect_file FILE");
    let mut file = std::fs::File::open(path)?;
    let mut inspector = Inspector::new(Default::default());
    let mut buf = vec![0u8; 1 << 20];
    let started = std::time::Instant::now();
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        inspector.feed(&buf[..n]);
    }
    let report = inspector.finish();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} rows, {} columns, {:.3} s, {:.2} GB/s, problem: {:?}",
        report.rows,
        report.columns.len(),
        secs,
        report.bytes as f64 / 1e9 / secs,
        report.problem
    );
    Ok(())
}
