//! One S3 object named by an event: route it, run the job on it (the
//! result beside the source key under the destination prefix, rejects
//! under the rejects prefix, reports partitioned by the event's date),
//! and log what became of it. Shared by the Lambda handler and the queue
//! worker.

use super::events::{Message, ObjectEvent};
use super::overflow::{Budget, Overflow};
use super::route::{Decision, Keys, Route};
use crate::jobs::{self, report, Clients, Done, JobSpec, Plan};
use crate::log;
use crate::metrics::{self, Fate, Metrics, ObjectFigures};
use crate::pipeline::location::Location;
use crate::pipeline::manifest::{self, Claim, Ledger, Stale};
use crate::pipeline::Summary;
use crate::time::date_of_rfc3339;
use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;

/// Processes S3 objects with one job and one route.
pub struct Processor {
    pub clients: Clients,
    pub route: Route,
    pub spec: JobSpec,
    /// Outputs' compression, when chosen (`SLUICE_COMPRESS`).
    pub compress: Option<Option<crate::pipeline::decode::Compression>>,
    /// Where objects too big for the time left go (`SLUICE_OVERFLOW_QUEUE_URL`).
    pub overflow: Option<Overflow>,
    /// The throughput assumed when estimating what fits the time left.
    pub min_mb_per_sec: f64,
    /// Cell values may appear in the log (`SLUICE_LOG_VALUES`).
    pub log_values: bool,
    /// Redo objects whose manifest shows them done (`--force`); a newer
    /// version's result is still never replaced.
    pub force: bool,
    /// The names the per-object and per-invocation metrics go under.
    pub metrics: Metrics,
}

/// What became of one event.
#[derive(Debug)]
pub enum Outcome {
    /// Processed: what the run did.
    Done(Box<Done>),
    /// Too big for the time left: sent to the worker fleet's queue.
    Forwarded(String),
    /// Not processed, for this reason (not for this route, or already
    /// done from this version with these options).
    Skipped(String),
    /// A newer version of the source has a result: nothing written.
    Superseded(String),
}

/// What the objects of one or more items became.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub processed: usize,
    pub skipped: usize,
    /// Objects that failed, and messages that could not be read.
    pub failed: usize,
    /// Rows rejected in the processed objects.
    pub rejected: u64,
    /// Items written and requests retried by the load job.
    pub written: u64,
    pub retried: u64,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.processed += other.processed;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.rejected += other.rejected;
        self.written += other.written;
        self.retried += other.retried;
    }

    /// Counts one processed object.
    fn done(&mut self, summary: &Summary, extra: &serde_json::Value) {
        self.processed += 1;
        self.rejected += summary.counts.rejected;
        self.written += extra["written"].as_u64().unwrap_or(0);
        self.retried += extra["retried"].as_u64().unwrap_or(0);
    }
}

impl Processor {
    /// Processes every object of one item — a queue message, or a whole
    /// direct event — logging each; one failure stops nothing else. A
    /// tally with failures means the item must be retried.
    pub async fn handle_item(
        &self,
        item: &Message,
        context: &serde_json::Value,
        budget: &mut Budget,
    ) -> Tally {
        let mut tally = Tally::default();
        let mut context = context.clone();
        if let (Some(id), Some(obj)) = (&item.id, context.as_object_mut()) {
            obj.insert("message_id".into(), id.clone().into());
        }
        let objects = match &item.objects {
            Ok(objects) => objects,
            Err(e) => {
                merge(&mut context, &json!({"error": e}));
                log::error("unreadable message; left for retry", context);
                tally.failed += 1;
                return tally;
            }
        };
        for record in objects {
            let object = match record {
                Ok(object) => object,
                Err(e) => {
                    let mut fields = context.clone();
                    merge(&mut fields, &json!({"error": e}));
                    log::error("unreadable record; the others go on", fields);
                    tally.failed += 1;
                    continue;
                }
            };
            match self.handle(object, &context, budget).await {
                Ok(Outcome::Done(done)) => {
                    budget.read(done.summary.bytes_in);
                    tally.done(&done.summary, &done.extra);
                }
                Ok(Outcome::Skipped(_) | Outcome::Forwarded(_) | Outcome::Superseded(_)) => {
                    tally.skipped += 1
                }
                Err(_) => tally.failed += 1,
            }
        }
        tally
    }

    /// Processes one event, logs what happened, with `context` fields
    /// (such as the request id) on every line, and prints its metrics.
    pub async fn handle(
        &self,
        ev: &ObjectEvent,
        context: &serde_json::Value,
        budget: &Budget,
    ) -> anyhow::Result<Outcome> {
        let started = Instant::now();
        let mut fields =
            json!({"bucket": ev.bucket, "key": ev.key, "event": ev.name, "job": self.spec.name()});
        merge(&mut fields, context);
        let result = self.process(ev, budget).await;
        let ms = started.elapsed().as_millis() as u64;
        self.metrics
            .object(&figures(&result, ev, ms), &metric_context(ev, context));
        log_outcome(fields, &result, ev, ms);
        result
    }

    async fn process(&self, ev: &ObjectEvent, budget: &Budget) -> anyhow::Result<Outcome> {
        let keys = match self.route.decide(ev) {
            Decision::Skip(why) => return Ok(Outcome::Skipped(why)),
            Decision::Process(keys) => keys,
        };
        if let (Some(overflow), Some(size)) = (&self.overflow, ev.size) {
            if !budget.fits(size) {
                overflow.forward(ev).await?;
                return Ok(Outcome::Forwarded(overflow.queue_url.clone()));
            }
        }
        let source = Location::S3 {
            bucket: ev.bucket.clone(),
            key: ev.key.clone(),
        };
        let mut plan = self.plan(ev, &keys);
        let outcome = match self.claim(ev, &keys).await {
            Ok(ledger) => {
                plan.ledger = ledger;
                jobs::run(&self.spec, &self.clients, &source, &plan).await
            }
            Err(e) => Err(e),
        };
        let done = match outcome {
            Ok(done) => done,
            Err(e) => {
                return match e.downcast::<Stale>() {
                    Ok(Stale::Superseded(why)) => Ok(Outcome::Superseded(why)),
                    Ok(Stale::AlreadyDone(why)) => Ok(Outcome::Skipped(why)),
                    Err(e) => Err(e),
                }
            }
        };
        if let (Some(sent), Some(read)) = (&ev.etag, &done.input.etag) {
            if sent.trim_matches('"') != read {
                log::info(
                    "the object changed since the event; processed its current version",
                    json!({"object": done.input.name, "event_etag": sent, "current_etag": read}),
                );
            }
        }
        Ok(Outcome::Done(Box::new(done)))
    }

    /// Reads the manifest of the object's last run and decides whether to
    /// go on ([`Stale`] when not): a newer version's result, or this very
    /// version done with these options, costs one GET and no read of the
    /// source. Only runs with a destination keep a manifest.
    async fn claim(&self, ev: &ObjectEvent, keys: &Keys) -> anyhow::Result<Option<Ledger>> {
        if self.route.dest_bucket.is_empty() {
            return Ok(None);
        }
        let source = manifest::Source {
            bucket: ev.bucket.clone(),
            key: ev.key.clone(),
            version: ev.version.clone(),
            etag: ev.etag.as_ref().map(|t| t.trim_matches('"').to_string()),
            sequencer: ev.sequencer.clone(),
            modified_ms: None,
        };
        let options = self.spec.options_text(self.compress);
        let at = Location::S3 {
            bucket: self.route.dest_bucket.clone(),
            key: keys.manifest.clone(),
        };
        let claim = Claim::new(source, self.spec.name(), options, self.force);
        let mut ledger = Ledger::new(at, self.clients.s3.clone(), claim);
        ledger.found = ledger.check(&ledger.claim).await?.map(|f| f.0);
        Ok(Some(ledger))
    }

    /// Where the outputs of the object go, by the route's rules.
    fn plan(&self, ev: &ObjectEvent, keys: &Keys) -> Plan {
        let dest = &self.route.dest_bucket;
        let at = |key: String| Location::S3 {
            bucket: dest.clone(),
            key,
        };
        let document = format!("{}.json", keys.result);
        let result = match self.spec.kind {
            jobs::JobKind::Inspect { .. } if dest.is_empty() => None,
            jobs::JobKind::Inspect { .. } => Some(at(document)),
            _ => Some(at(keys.result.clone())),
        };
        Plan {
            result,
            rejects: Some(at(keys.rejects.clone())),
            reports: Some((
                at(self.route.dest_prefix.clone()),
                at(self.route.rejects_prefix.clone()),
            )),
            stem: report::stem(&ev.key, &self.route.source_prefix, &self.route.suffix),
            ingest_date: ev.time.as_deref().and_then(date_of_rfc3339),
            source_version: ev.version.clone(),
            metadata: self.source_metadata(ev),
            compress: self.compress,
            follow_input: true,
            log_values: self.log_values,
            ..Plan::default()
        }
    }

    /// The results' user metadata: where they came from, which job (the
    /// read path adds the ETag and version it read).
    fn source_metadata(&self, ev: &ObjectEvent) -> HashMap<String, String> {
        let mut m = HashMap::new();
        m.insert("sluice-source-bucket".into(), ev.bucket.clone());
        // Metadata values travel as HTTP headers: keep them ASCII.
        m.insert("sluice-source-key".into(), ascii(&ev.key));
        m.insert("sluice-job".into(), self.spec.name().into());
        m
    }
}

/// What the metrics count of an object's outcome.
fn figures<'a>(
    result: &'a anyhow::Result<Outcome>,
    ev: &ObjectEvent,
    ms: u64,
) -> ObjectFigures<'a> {
    let fate = match result {
        Ok(Outcome::Done(done)) => Fate::Processed(&done.summary),
        Ok(Outcome::Forwarded(_)) => Fate::Forwarded,
        Ok(Outcome::Skipped(_)) => Fate::Skipped,
        Ok(Outcome::Superseded(_)) => Fate::Superseded,
        Err(_) => Fate::Failed,
    };
    ObjectFigures {
        fate,
        duration_ms: ms,
        lag_ms: metrics::lag_ms(ev.time.as_deref()),
    }
}

/// The properties a metrics line carries besides its figures: enough to
/// find the object's log lines from a metric's data point.
fn metric_context(ev: &ObjectEvent, context: &serde_json::Value) -> serde_json::Value {
    let mut fields = json!({"bucket": ev.bucket, "key": ev.key});
    merge(&mut fields, context);
    fields
}

/// Logs what became of one object.
fn log_outcome(
    mut fields: serde_json::Value,
    result: &anyhow::Result<Outcome>,
    ev: &ObjectEvent,
    ms: u64,
) {
    match result {
        Ok(Outcome::Done(done)) => {
            merge(&mut fields, &done.extra);
            merge(&mut fields, &done_fields(done, ms));
            log::info("processed", fields);
        }
        Ok(Outcome::Forwarded(queue)) => {
            merge(&mut fields, &json!({"queue": queue, "size": ev.size}));
            log::info(
                "too big for the time left; forwarded to the worker queue",
                fields,
            );
        }
        Ok(Outcome::Skipped(why)) => {
            merge(&mut fields, &json!({"reason": why}));
            log::info("skipped", fields);
        }
        Ok(Outcome::Superseded(why)) => {
            merge(&mut fields, &json!({"reason": why, "duration_ms": ms}));
            log::info("superseded; nothing written", fields);
        }
        Err(e) => {
            merge(
                &mut fields,
                &json!({"error": format!("{e:#}"), "duration_ms": ms}),
            );
            log::error("failed", fields);
        }
    }
}

/// The most bytes a metadata value takes: S3 allows 2 KB for all of an
/// object's user metadata together.
const METADATA_VALUE_BYTES: usize = 1024;

/// Percent-encodes bytes outside printable ASCII (metadata travels as HTTP
/// headers), cut at [`METADATA_VALUE_BYTES`] with a `...` mark: a key of
/// 250 CJK characters (6,750 bytes encoded) must not fail the write.
fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(METADATA_VALUE_BYTES));
    for b in s.bytes() {
        let piece = if (0x20..0x7f).contains(&b) && b != b'%' {
            (b as char).to_string()
        } else {
            format!("%{b:02X}")
        };
        if out.len() + piece.len() > METADATA_VALUE_BYTES - 3 {
            out.push_str("...");
            break;
        }
        out.push_str(&piece);
    }
    out
}

/// The per-object log line's account of a run: its counts, bytes and
/// time, and where the time went — the input's and the outputs' MB/s and
/// how long the engine waited for input (most of the run: the input is
/// the bottleneck; see `--s3-connections`).
fn done_fields(done: &Done, ms: u64) -> serde_json::Value {
    let (c, summary) = (done.summary.counts, &done.summary);
    let tenths = |x: f64| (x * 10.0).round() / 10.0;
    json!({"output": done.output, "rows": c.rows,
        "selected": c.selected, "dropped": c.dropped, "rejected": c.rejected,
        "bytes_in": summary.bytes_in, "bytes_out": summary.bytes_out, "duration_ms": ms,
        "read_mb_s": tenths(summary.read_mb_s()), "write_mb_s": tenths(summary.write_mb_s()),
        "input_wait_ms": (summary.wait_seconds * 1e3) as u64})
}

pub(crate) fn merge(into: &mut serde_json::Value, from: &serde_json::Value) {
    if let (Some(a), Some(b)) = (into.as_object_mut(), from.as_object()) {
        a.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_values_are_ascii_and_bounded() {
        assert_eq!(super::ascii("in/a b%.csv"), "in/a b%25.csv");
        assert_eq!(super::ascii("é"), "%C3%A9");
        let long = super::ascii(&"注".repeat(250));
        assert!(
            long.len() <= super::METADATA_VALUE_BYTES && long.ends_with("..."),
            "{}",
            long.len()
        );
        assert!(long.is_ascii());
    }
}
