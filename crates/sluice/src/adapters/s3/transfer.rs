//! How much of S3 one object may use at once: the connections its ranged
//! reads and its part uploads run over, and the size of a read's ranges.
//! Set once at start-up from `--s3-connections` (`SLUICE_S3_CONNECTIONS`);
//! without it, from the Lambda function's memory, since Lambda gives a
//! function network bandwidth and CPU in proportion to its memory.

use std::sync::OnceLock;

/// One range of a ranged read: S3's guidance is 8–16 MiB per request.
pub const RANGE_BYTES: u64 = 8 << 20;

/// The settings every reader and writer of this process uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// Ranges read at once by a reader, and parts uploaded at once by a
    /// writer; 1 reads an object as one GET stream.
    pub connections: usize,
    /// Bytes per range (tests make it small; see `SLUICE_S3_RANGE_BYTES`).
    pub range_bytes: u64,
}

static TRANSFER: OnceLock<Transfer> = OnceLock::new();

impl Transfer {
    /// The settings for `connections` (`None`: the default for this
    /// host) and ranges of `range_bytes`.
    pub fn new(connections: Option<usize>, range_bytes: u64) -> Self {
        Transfer {
            connections: connections.unwrap_or_else(default_connections).max(1),
            range_bytes: range_bytes.max(1),
        }
    }
}

impl Default for Transfer {
    fn default() -> Self {
        Transfer::new(None, RANGE_BYTES)
    }
}

/// Sets the process's settings; the first call wins.
pub fn configure(settings: Transfer) {
    let _ = TRANSFER.set(settings);
}

/// The process's settings (the defaults when none were configured).
pub fn transfer() -> Transfer {
    *TRANSFER.get_or_init(Transfer::default)
}

/// The default connections: from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in
/// Lambda, else 8.
fn default_connections() -> usize {
    let memory = std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .ok()
        .and_then(|m| m.trim().parse::<u64>().ok());
    memory.map_or(8, connections_for_memory)
}

/// Lambda allots one vCPU's worth of CPU at 1,769 MB and two at 3,538 MB,
/// and network with them. Below the first, 4 connections (their buffers,
/// at most 4 ranges read ahead and 5 parts of 8 MiB, ~72 MiB, fit a 128 MB
/// function beside the rest); up to the second, 8; above, 16.
pub fn connections_for_memory(megabytes: u64) -> usize {
    match megabytes {
        0..1769 => 4,
        1769..3538 => 8,
        _ => 16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_grow_with_the_function_memory() {
        assert_eq!(connections_for_memory(128), 4);
        assert_eq!(connections_for_memory(1768), 4);
        assert_eq!(connections_for_memory(1769), 8);
        assert_eq!(connections_for_memory(3008), 8);
        assert_eq!(connections_for_memory(10240), 16);
    }

    #[test]
    fn settings_are_at_least_one_connection_and_one_byte() {
        assert_eq!(
            Transfer::new(Some(0), 0),
            Transfer {
                connections: 1,
                range_bytes: 1
            }
        );
    }
}
