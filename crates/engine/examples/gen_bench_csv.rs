//! Writes the benchmark's CSV to stdout: 10 columns, 7 numeric, about 30%
//! of rows with quoted fields holding delimiters and doubled quotes.
//!
//!     cargo run --release -p sluice-engine --example gen_bench_csv -- BYTES > file.csv

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let target: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1 << 30);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let header = b"value,label,x2,x3,x4,comment,x5,x6,x7,tag\n";
    out.write_all(header)?;
    let mut written = header.len() as u64;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let labels = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
    let tags = ["north", "south", "east", "west"];
    let mut line = Vec::with_capacity(256);
    let mut n = 0u64;
    while written < target {
        line.clear();
        let r = next();
        let quoted = r % 10 < 3;
        for col in 0..10 {
            if col > 0 {
                line.push(b',');
            }
            match col {
                1 if quoted => write!(
                    line,
                    "\"{}, {} \"\"{}\"\"\"",
                    labels[(r >> 8) as usize % 6],
                    n % 97,
                    labels[(r >> 16) as usize % 6]
                )?,
                1 => line.extend_from_slice(labels[(r >> 8) as usize % 6].as_bytes()),
                5 if quoted && r % 3 == 0 => write!(line, "\"note, {}\"", n % 1000)?,
                5 => write!(line, "note {}", n % 1000)?,
                9 => line.extend_from_slice(tags[(r >> 24) as usize % 4].as_bytes()),
                _ => {
                    // 0.00 to 5.50: most values below 4.7, so an any-column
                    // filter has to look at several fields per row.
                    let v = next() % 551;
                    write!(line, "{}.{:02}", v / 100, v % 100)?
                }
            }
        }
        line.push(b'\n');
        out.write_all(&line)?;
        written += line.len() as u64;
        n += 1;
    }
    out.flush()
}
