//! Past one invocation: an object a Lambda function cannot finish before
//! its deadline is forwarded to the worker fleet's queue instead of being
//! started, and a batch stops taking messages the time left cannot cover.
//! The estimate is the object's size over a conservative throughput
//! (`SLUICE_MIN_MB_PER_SEC`), or over the rate measured in this
//! invocation once it has read enough to tell.

use super::events::{encode_key, ObjectEvent};
use crate::adapters::s3::describe;
use serde_json::json;
use std::time::{Duration, Instant, SystemTime};

/// Time kept back for the commit and the answer to the runtime.
const MARGIN: Duration = Duration::from_secs(10);
/// Bytes read before the measured rate replaces the configured one.
const MEASURED_AFTER_BYTES: u64 = 64 << 20;

/// The worker fleet's queue, where objects too big for the time left go.
pub struct Overflow {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
}

impl Overflow {
    /// Sends `ev` to the queue as the S3 notification the worker reads.
    pub async fn forward(&self, ev: &ObjectEvent) -> anyhow::Result<()> {
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(notification(ev).to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("{}: cannot forward: {}", self.queue_url, describe(&e)))
    }
}

/// The S3 notification naming `ev` (its key form-URL-encoded, as S3 sends).
pub fn notification(ev: &ObjectEvent) -> serde_json::Value {
    let name = if ev.name.starts_with("ObjectCreated") {
        ev.name.clone()
    } else {
        "ObjectCreated:Put".to_string()
    };
    json!({"Records": [{"eventSource": "aws:s3", "eventName": name, "eventTime": ev.time,
        "s3": {"bucket": {"name": ev.bucket},
               "object": {"key": encode_key(&ev.key), "size": ev.size, "eTag": ev.etag,
                          "versionId": ev.version, "sequencer": ev.sequencer}}}]})
}

/// The time an invocation has, and how fast it reads: a configured floor
/// until enough was measured.
#[derive(Clone, Debug)]
pub struct Budget {
    /// When the invocation ends; `None` for a worker, which has no end.
    pub deadline: Option<SystemTime>,
    /// The throughput assumed before enough was measured, bytes a second.
    min_bytes_per_sec: f64,
    started: Instant,
    bytes: u64,
}

impl Budget {
    pub fn new(deadline: Option<SystemTime>, min_mb_per_sec: f64) -> Self {
        Budget {
            deadline,
            min_bytes_per_sec: (min_mb_per_sec * 1e6).max(1.0),
            started: Instant::now(),
            bytes: 0,
        }
    }

    /// Counts bytes read in this invocation.
    pub fn read(&mut self, bytes: u64) {
        self.bytes += bytes;
    }

    /// The time `size` bytes need, the margin included.
    pub fn need(&self, size: u64) -> Duration {
        let measured = self.bytes as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = if self.bytes >= MEASURED_AFTER_BYTES {
            measured
        } else {
            self.min_bytes_per_sec
        };
        Duration::from_secs_f64(size as f64 / rate) + MARGIN
    }

    /// Whether `size` bytes fit in the time left (always, without a
    /// deadline).
    pub fn fits(&self, size: u64) -> bool {
        let Some(deadline) = self.deadline else {
            return true;
        };
        let left = deadline
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        self.need(size) <= left
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doors::events::parse_event;

    #[test]
    fn a_forwarded_event_reads_back_as_the_same_object() {
        let ev = ObjectEvent {
            bucket: "in".into(),
            key: "big/nightly export+1 (é).csv".into(),
            name: "Object Created".into(),
            etag: Some("abc".into()),
            version: Some("v1".into()),
            time: Some("2026-11-30T01:00:00Z".into()),
            size: Some(40 << 30),
            sequencer: Some("0055AED6DCD90281E5".into()),
        };
        let back = parse_event(&notification(&ev)).unwrap().remove(0).unwrap();
        assert!(back.is_created());
        assert_eq!(back.key, ev.key);
        assert_eq!(
            (back.size, back.etag, back.version),
            (ev.size, ev.etag, ev.version)
        );
    }

    #[test]
    fn what_does_not_fit_the_time_left_is_told() {
        let budget = Budget::new(Some(SystemTime::now() + Duration::from_secs(900)), 5.0);
        assert!(budget.fits(1 << 30)); // ~215 s at 5 MB/s
        assert!(!budget.fits(10 << 30)); // ~2150 s
        assert!(!Budget::new(Some(SystemTime::now() + Duration::from_secs(5)), 5.0).fits(0));
        assert!(Budget::new(None, 5.0).fits(u64::MAX));
    }
}
