//! CloudWatch metrics as log lines in the embedded metric format (EMF):
//! the Lambda handler and the queue worker print one JSON line per object
//! and one per invocation (a worker's batch of messages), and CloudWatch
//! Logs turns each into metrics — no API call, no agent, no cost on the
//! read path. There is no Powertools for Rust; this is the little of it
//! Sluice needs.
//!
//! Every line carries one dimension set, `[Service, Job]`, under one
//! namespace (default [`DEFAULT_NAMESPACE`]); [`METRICS`] lists every name
//! with its unit, and is what `infra/tests/test_metrics.py` checks the
//! Terraform dashboard and alarms against.

use crate::pipeline::Summary;
use serde_json::{json, Map, Value};
use std::io::Write;

/// The namespace when none is configured (`SLUICE_METRICS_NAMESPACE`).
pub const DEFAULT_NAMESPACE: &str = "Sluice";

/// The dimension set of every metric: the deployment (a function's or a
/// worker service's name) and the job it runs.
pub const DIMENSIONS: [&str; 2] = ["Service", "Job"];

/// Every metric emitted, with its CloudWatch unit. Per object: rows by
/// outcome, bytes, time, the lag from the event to the commit and what
/// became of it; per invocation (`Invocation*`): objects and failures.
pub const METRICS: &[(&str, &str)] = &[
    ("RowsRead", "Count"),
    ("RowsSelected", "Count"),
    ("RowsDropped", "Count"),
    ("RowsRejected", "Count"),
    ("BytesIn", "Bytes"),
    ("BytesOut", "Bytes"),
    ("Duration", "Milliseconds"),
    ("Throughput", "Bytes/Second"),
    ("Lag", "Milliseconds"),
    ("ObjectsProcessed", "Count"),
    ("ObjectsSuperseded", "Count"),
    ("ObjectsFailed", "Count"),
    ("ObjectsForwarded", "Count"),
    ("ObjectsSkipped", "Count"),
    ("InvocationObjects", "Count"),
    ("InvocationFailures", "Count"),
];

/// Where the metrics go and under which names.
#[derive(Clone, Debug)]
pub struct Metrics {
    pub namespace: String,
    /// The `Service` dimension's value.
    pub service: String,
    /// The `Job` dimension's value.
    pub job: String,
}

/// What became of one object, as the metrics count it.
#[derive(Clone, Copy, Debug)]
pub enum Fate<'a> {
    /// Committed: its counts and bytes.
    Processed(&'a Summary),
    /// Not written: its source already has a newer result. Counted by
    /// `ObjectsSuperseded`.
    Superseded,
    Failed,
    /// Sent to the worker fleet's queue.
    Forwarded,
    Skipped,
}

/// One object's figures.
#[derive(Clone, Copy, Debug)]
pub struct ObjectFigures<'a> {
    pub fate: Fate<'a>,
    /// From the start of its handling to its commit (or failure).
    pub duration_ms: u64,
    /// From the event's time to now; `None` without a readable event time.
    pub lag_ms: Option<u64>,
}

impl Metrics {
    /// Prints the object's line on stderr (with the log lines).
    pub fn object(&self, figures: &ObjectFigures, context: &Value) {
        emit(&self.object_line(figures, context, now_ms()));
    }

    /// Prints the invocation's line: how many objects it handled, how
    /// many failed.
    pub fn invocation(&self, objects: usize, failures: usize, context: &Value) {
        let values = [
            ("InvocationObjects", objects as f64),
            ("InvocationFailures", failures as f64),
        ];
        emit(&self.line(&values, context, now_ms()));
    }

    fn object_line(&self, f: &ObjectFigures, context: &Value, now: u64) -> Value {
        let one = |fate: bool| if fate { 1.0 } else { 0.0 };
        let mut values = vec![
            (
                "ObjectsProcessed",
                one(matches!(f.fate, Fate::Processed(_))),
            ),
            ("ObjectsSuperseded", one(matches!(f.fate, Fate::Superseded))),
            ("ObjectsFailed", one(matches!(f.fate, Fate::Failed))),
            ("ObjectsForwarded", one(matches!(f.fate, Fate::Forwarded))),
            ("ObjectsSkipped", one(matches!(f.fate, Fate::Skipped))),
            ("Duration", f.duration_ms as f64),
        ];
        if let Fate::Processed(s) = f.fate {
            let c = &s.counts;
            let secs = (f.duration_ms as f64 / 1000.0).max(1e-3);
            values.extend([
                ("RowsRead", c.rows as f64),
                ("RowsSelected", c.selected as f64),
                ("RowsDropped", c.dropped as f64),
                ("RowsRejected", c.rejected as f64),
                ("BytesIn", s.bytes_in as f64),
                ("BytesOut", s.bytes_out as f64),
                ("Throughput", (s.bytes_in as f64 / secs).round()),
            ]);
            // Lag to a commit: only a committed object has one.
            if let Some(lag) = f.lag_ms {
                values.push(("Lag", lag as f64));
            }
        }
        self.line(&values, context, now)
    }

    /// One EMF document: the `_aws` block naming each metric with its
    /// unit, the dimensions' and metrics' values at the top level, and the
    /// context (request id, bucket, key) as searchable properties.
    fn line(&self, values: &[(&str, f64)], context: &Value, now: u64) -> Value {
        let definitions: Vec<Value> = values
            .iter()
            .map(|(name, _)| json!({"Name": name, "Unit": unit(name)}))
            .collect();
        let mut doc = Map::new();
        if let Some(fields) = context.as_object() {
            doc.extend(fields.clone());
        }
        doc.insert(
            "_aws".into(),
            json!({"Timestamp": now, "CloudWatchMetrics": [{
                "Namespace": self.namespace,
                "Dimensions": [DIMENSIONS],
                "Metrics": definitions,
            }]}),
        );
        doc.insert(DIMENSIONS[0].into(), self.service.clone().into());
        doc.insert(DIMENSIONS[1].into(), self.job.clone().into());
        for (name, value) in values {
            doc.insert((*name).into(), json!(value));
        }
        Value::Object(doc)
    }
}

/// The unit of a metric in [`METRICS`].
fn unit(name: &str) -> &'static str {
    METRICS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, u)| *u)
        .unwrap_or_else(|| panic!("{name} is missing from METRICS"))
}

/// How long ago an event's time (RFC 3339) was; `None` when it is not a
/// time, and zero for one in the future (clocks differ a little).
pub fn lag_ms(event_time: Option<&str>) -> Option<u64> {
    let at = crate::time::unix_millis_of_rfc3339(event_time?)?;
    Some((now_ms() as i64).saturating_sub(at).max(0) as u64)
}

fn now_ms() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.map(|d| d.as_millis() as u64).unwrap_or_default()
}

fn emit(doc: &Value) {
    let _ = writeln!(std::io::stderr().lock(), "{doc}");
}

#[cfg(test)]
mod tests;
