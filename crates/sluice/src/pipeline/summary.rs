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
