//! Processing one S3 object: route it, stream it through the job, commit
//! the result (and any rejects) or nothing at all. Shared by the Lambda
//! handler and the queue worker.

use crate::analytics::{self, Partition, Place};
use crate::events::{Item, ObjectEvent};
use crate::inspect;
use crate::io::{Input, Output};
use crate::log;
use crate::route::{Decision, Route};
use crate::run::{count_entries, filter_to_commit, JobKind, JobSpec, Rejects, Report};
use crate::s3;
use serde_json::json;
use sluice_engine::FilterOptions;
use sluice_engine::{Counts, InspectOptions};
use std::collections::HashMap;
use std::time::Instant;

/// Processes S3 objects with one job and one route.
pub struct Processor {
    pub client: aws_sdk_s3::Client,
    pub route: Route,
    pub spec: JobSpec,
    /// The table of the load job (None for other jobs).
    pub table: Option<crate::load::Table>,
}

/// What became of one event.
#[derive(Debug)]
pub enum Outcome {
    /// Processed: where the results went (for the log), the run's report,
    /// and job-specific fields for the log line (a JSON object, or null).
    Done {
        output: String,
        report: Report,
        extra: serde_json::Value,
    },
    Skipped(String),
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
    fn done(&mut self, report: &Report, extra: &serde_json::Value) {
        self.processed += 1;
        self.rejected += report.counts.rejected;
        self.written += extra["written"].as_u64().unwrap_or(0);
        self.retried += extra["retried"].as_u64().unwrap_or(0);
    }
}

impl Processor {
    /// Processes every object of one item — a queue message, or a whole
    /// direct event — logging each; one failure stops nothing else. A
    /// tally with failures means the item must be retried.
    pub async fn handle_item(&self, item: &Item, context: &serde_json::Value) -> Tally {
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
        for object in objects {
            match self.handle(object, &context).await {
                Ok(Outcome::Done { report, extra, .. }) => tally.done(&report, &extra),
                Ok(Outcome::Skipped(_)) => tally.skipped += 1,
                Err(_) => tally.failed += 1,
            }
        }
        tally
    }

    /// Processes one event and logs what happened, with `context` fields
    /// (such as the request id) on every line.
    pub async fn handle(
        &self,
        ev: &ObjectEvent,
        context: &serde_json::Value,
    ) -> anyhow::Result<Outcome> {
        let started = Instant::now();
        let mut fields =
            json!({"bucket": ev.bucket, "key": ev.key, "event": ev.name, "job": self.spec.name()});
        merge(&mut fields, context);
        let result = self.process(ev).await;
        let ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(Outcome::Done {
                output,
                report,
                extra,
            }) => {
                let c = report.counts;
                merge(&mut fields, extra);
                merge(
                    &mut fields,
                    &json!({"output": output, "rows": c.rows,
                        "selected": c.selected, "dropped": c.dropped, "rejected": c.rejected,
                        "bytes_in": report.bytes_in, "bytes_out": report.bytes_out, "duration_ms": ms}),
                );
                log::info("processed", fields);
            }
            Ok(Outcome::Skipped(why)) => {
                merge(&mut fields, &json!({"reason": why}));
                log::info("skipped", fields);
            }
            Err(e) => {
                merge(
                    &mut fields,
                    &json!({"error": format!("{e:#}"), "duration_ms": ms}),
                );
                log::error("failed", fields);
            }
        }
        result
    }

    async fn process(&self, ev: &ObjectEvent) -> anyhow::Result<Outcome> {
        let (output_key, rejects_key) = match self.route.decide(ev) {
            Decision::Skip(why) => return Ok(Outcome::Skipped(why)),
            Decision::Process {
                output_key,
                rejects_key,
            } => (output_key, rejects_key),
        };
        match &self.spec.kind {
            JobKind::Filter(options) => {
                self.filter_object(ev, options, output_key, rejects_key)
                    .await
            }
            JobKind::Inspect(options) => self.inspect_object(ev, output_key, options).await,
            JobKind::Report(options) => self.report_object(ev, options).await,
            JobKind::Load(_) => crate::load::load_object(self, ev, rejects_key).await,
        }
    }

    /// The report job on one object: three reports partitioned by the
    /// event's date under the destination prefix, rejects under the
    /// rejects prefix.
    async fn report_object(
        &self,
        ev: &ObjectEvent,
        options: &sluice_engine::ReportOptions,
    ) -> anyhow::Result<Outcome> {
        let reader = s3::Reader::open(&self.client, &ev.bucket, &ev.key).await?;
        let date = ev
            .time
            .as_deref()
            .and_then(analytics::date_of_rfc3339)
            .or_else(|| reader.last_modified.map(analytics::date_of))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: neither the event nor the object has a date to partition by",
                    reader.name
                )
            })?;
        let partition = Partition {
            date,
            stem: analytics::stem(&ev.key, &self.route.source_prefix, &self.route.suffix),
        };
        let place = |prefix: &str| Place::S3 {
            client: self.client.clone(),
            bucket: self.route.dest_bucket.clone(),
            prefix: prefix.to_string(),
        };
        let (reports, rejects) = (
            place(&self.route.dest_prefix),
            place(&self.route.rejects_prefix),
        );
        let metadata = self.metadata(ev, &reader);
        let mut input = Input::S3(reader);
        let written = analytics::run(
            &self.spec,
            options,
            &mut input,
            (&reports, &rejects),
            &partition,
            metadata,
        )
        .await?;
        Ok(Outcome::Done {
            output: reports.name(""),
            report: written.report,
            extra: json!({"outputs": written.outputs, "ingest_date": partition.date}),
        })
    }

    /// The inspect job on one object: its document goes into the log line
    /// and, with a destination, to `{dest prefix}{source key}.json`.
    async fn inspect_object(
        &self,
        ev: &ObjectEvent,
        output_key: String,
        options: &InspectOptions,
    ) -> anyhow::Result<Outcome> {
        let started = Instant::now();
        let (document, inspection) =
            inspect::s3_document(&self.client, &ev.bucket, &ev.key, options, true).await?;
        let inspection = inspection.expect("a scan was asked for");
        let mut body = serde_json::to_vec_pretty(&document)?;
        body.push(b'\n');
        let dest = &self.route.dest_bucket;
        let output = if dest.is_empty() {
            String::new()
        } else {
            let key = format!("{output_key}.json");
            let object = &document["object"];
            let metadata =
                self.source_metadata(ev, object["etag"].as_str(), object["version_id"].as_str());
            let mut writer = s3::Writer::new(&self.client, dest, &key, metadata).json();
            writer.write(&body).await?;
            writer.commit().await?;
            s3::url(dest, &key)
        };
        let report = Report {
            counts: Counts {
                rows: inspection.rows,
                ..Counts::default()
            },
            bytes_in: inspection.bytes,
            bytes_out: if dest.is_empty() {
                0
            } else {
                body.len() as u64
            },
            seconds: started.elapsed().as_secs_f64(),
        };
        Ok(Outcome::Done {
            output,
            report,
            extra: json!({ "inspection": document }),
        })
    }

    /// The filter job on one object: one result object beside the source
    /// key under the destination prefix, rejects under the rejects prefix.
    async fn filter_object(
        &self,
        ev: &ObjectEvent,
        options: &FilterOptions,
        output_key: String,
        rejects_key: String,
    ) -> anyhow::Result<Outcome> {
        let reader = s3::Reader::open(&self.client, &ev.bucket, &ev.key).await?;
        if let (Some(sent), Some(read)) = (&ev.etag, &reader.etag) {
            if sent.trim_matches('"') != read {
                log::info(
                    "the object changed since the event; processing its current version",
                    json!({"object": reader.name, "event_etag": sent, "current_etag": read}),
                );
            }
        }
        let metadata = self.metadata(ev, &reader);
        let dest = &self.route.dest_bucket;
        let output = Output::S3(s3::Writer::new(
            &self.client,
            dest,
            &output_key,
            metadata.clone(),
        ));
        let rejects = Rejects::To(Output::S3(s3::Writer::new(
            &self.client,
            dest,
            &rejects_key,
            metadata,
        )));
        let mut input = Input::S3(reader);
        // A rerun leaves the state a first run leaves: the commit removes a
        // rejects object from an earlier version of this source.
        let (report, _) = filter_to_commit(
            &self.spec.dialect,
            options,
            &mut input,
            output,
            rejects,
            false,
        )
        .await?;
        // Tags carry the counts on every result, multipart ones included.
        s3::tag(
            &self.client,
            dest,
            &output_key,
            &count_entries(&report.counts),
        )
        .await?;
        Ok(Outcome::Done {
            output: s3::url(dest, &output_key),
            report,
            extra: serde_json::Value::Null,
        })
    }

    /// The result's user metadata: where it came from, which version, which job.
    pub(crate) fn metadata(
        &self,
        ev: &ObjectEvent,
        reader: &s3::Reader,
    ) -> HashMap<String, String> {
        self.source_metadata(ev, reader.etag.as_deref(), reader.version.as_deref())
    }

    /// The same, from the source's ETag and version as known.
    fn source_metadata(
        &self,
        ev: &ObjectEvent,
        etag: Option<&str>,
        version: Option<&str>,
    ) -> HashMap<String, String> {
        let mut m = HashMap::new();
        m.insert("sluice-source-bucket".into(), ev.bucket.clone());
        // Metadata values travel as HTTP headers: keep them ASCII.
        m.insert("sluice-source-key".into(), ascii(&ev.key));
        if let Some(etag) = etag {
            m.insert("sluice-source-etag".into(), etag.to_string());
        }
        if let Some(v) = version {
            m.insert("sluice-source-version".into(), v.to_string());
        }
        m.insert("sluice-job".into(), self.spec.name().into());
        m
    }
}

/// Percent-encodes bytes outside printable ASCII.
fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn merge(into: &mut serde_json::Value, from: &serde_json::Value) {
    if let (Some(a), Some(b)) = (into.as_object_mut(), from.as_object()) {
        a.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}
