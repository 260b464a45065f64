//! What a run did: the counts of every row's outcome, bytes and time,
//! for the summary line, the logs and the outputs' metadata.

use sluice_engine::Counts;
use std::fmt;

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub counts: Counts,
    /// Bytes of CSV read (decompressed).
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub seconds: f64,
    /// Where the time went, for the per-object log line: how long the
    /// input took to read (its raw bytes, maybe compressed) and the
    /// outputs to stage (every part uploaded), both from the first chunk;
    /// and how long the engine waited for input in all.
    pub raw_bytes_in: u64,
    pub read_seconds: f64,
    pub write_seconds: f64,
    pub wait_seconds: f64,
}

impl Summary {
    /// The input's raw bytes per second, in MB/s.
    pub fn read_mb_s(&self) -> f64 {
        self.raw_bytes_in as f64 / 1e6 / self.read_seconds.max(1e-9)
    }

    /// Result bytes per second until every output was staged, in MB/s.
    pub fn write_mb_s(&self) -> f64 {
        self.bytes_out as f64 / 1e6 / self.write_seconds.max(1e-9)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        let mb_s = self.bytes_in as f64 / 1e6 / self.seconds.max(1e-9);
        write!(
            f,
            "{} rows read, {} selected, {} dropped, {} rejected; {} bytes in, {} bytes out, {:.3} s ({mb_s:.0} MB/s)",
            c.rows, c.selected, c.dropped, c.rejected, self.bytes_in, self.bytes_out, self.seconds
        )
    }
}

/// The row counts as result metadata or tags: `sluice-rows`,
/// `sluice-selected`, `sluice-dropped`, `sluice-rejected`.
pub fn count_entries(c: &Counts) -> [(&'static str, String); 4] {
    [
        ("sluice-rows", c.rows.to_string()),
        ("sluice-selected", c.selected.to_string()),
        ("sluice-dropped", c.dropped.to_string()),
        ("sluice-rejected", c.rejected.to_string()),
    ]
}
