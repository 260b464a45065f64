//! Runs the report job with the engine alone over a file held in memory
//! and prints the best of several runs: the job's CPU cost without the
//! reading, writing and command line around it.
//!
//!     cargo run --release -p sluice-engine --example report_file -- FILE [RUNS]

use sluice_engine::{Dialect, Engine, OrderReports, ReportOptions};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: report_file FILE [RUNS]");
    let runs: usize = args
        .next()
        .map_or(5, |r| r.parse().expect("RUNS is a number"));
    let data = std::fs::read(path)?;
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let started = std::time::Instant::now();
        let mut engine = Engine::new(
            Dialect::default(),
            OrderReports::new(ReportOptions::default()),
        );
        for chunk in data.chunks(1 << 20) {
            engine.feed(chunk).expect("the input scans");
        }
        let counts = engine.finish().expect("the input scans");
        let reports = engine.job().reports();
        let secs = started.elapsed().as_secs_f64();
        best = best.min(secs);
        println!(
            "{} rows ({} rejected), {} groups, {} report bytes, {:.3} s, {:.2} GB/s",
            counts.rows,
            counts.rejected,
            engine.job().groups(),
            reports.iter().map(|(_, r)| r.len()).sum::<usize>(),
            secs,
            data.len() as f64 / 1e9 / secs
        );
    }
    println!("best: {:.2} GB/s", data.len() as f64 / 1e9 / best);
    Ok(())
}
