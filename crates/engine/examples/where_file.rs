//! Runs the filter job with the engine alone over a file held in memory,
//! each condition in turn and interleaved, and prints the best of several
//! runs of each: the job's CPU cost without the reading, writing and
//! command line around it. A condition is `--where` text, or `cols:LIST`
//! for the threshold filter over those columns.
//!
//!     cargo run --release -p sluice-engine --example where_file -- FILE RUNS 'value > 4.7' cols:value

use sluice_engine::{Dialect, Engine, Filter, FilterOptions};

fn options(condition: &str) -> FilterOptions {
    match condition.strip_prefix("cols:") {
        Some(list) => FilterOptions {
            columns: list.split(',').map(String::from).collect(),
            ..Default::default()
        },
        None => FilterOptions {
            expression: Some(condition.to_string()),
            ..Default::default()
        },
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: where_file FILE RUNS CONDITION...");
    let runs: usize = args
        .next()
        .map_or(5, |r| r.parse().expect("RUNS is a number"));
    let conditions: Vec<String> = args.collect();
    let data = std::fs::read(path)?;
    let mut best = vec![f64::INFINITY; conditions.len()];
    let mut selected = vec![0; conditions.len()];
    let mut out = Vec::new();
    for _ in 0..runs {
        for (i, c) in conditions.iter().enumerate() {
            let started = std::time::Instant::now();
            let mut engine = Engine::new(Dialect::default(), Filter::new(options(c)));
            for chunk in data.chunks(1 << 20) {
                engine.feed(chunk).expect("the input scans");
                engine.take_output(&mut out);
            }
            selected[i] = engine.finish().expect("the input scans").selected;
            best[i] = best[i].min(started.elapsed().as_secs_f64());
        }
    }
    for (i, c) in conditions.iter().enumerate() {
        let mbs = data.len() as f64 / 1e6 / best[i];
        println!("{mbs:7.0} MB/s  {:>9} selected  {c}", selected[i]);
    }
    Ok(())
}
