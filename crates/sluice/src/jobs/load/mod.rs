//! The `load` job's DynamoDB side: the engine's [`Load`] job turns rows
//! into typed items; this module writes them to a table.
//!
//! - **Merge** (the default): one `UpdateItem` with `SET` per item, up to
//!   [`UPDATES_IN_FLIGHT`](write::UPDATES_IN_FLIGHT) at a time. Attributes already on the item and
//!   absent from the file are kept. It costs the write units of a put and
//!   reads nothing — the cheapest request that merges. (A row with only its
//!   key is a conditional `PutItem` that creates the item if it is absent.)
//! - **Replace**: `BatchWriteItem` with 25 puts per request, up to
//!   [`BATCHES_IN_FLIGHT`](write::BATCHES_IN_FLIGHT) at a time; whole items are replaced, and
//!   `UnprocessedItems` are sent again with backoff.
//!
//! Rows with the same key never have two writes in flight: they meet in a
//! bounded [`Window`](window::Window) where the later row's attributes override the
//! earlier's (merge) or replace them (replace), and a key whose write is in
//! flight waits for it. So the last row wins, whatever the timing.
//! Throttling and transient errors are retried with exponential backoff
//! and full jitter ([`Backoff`](retry::Backoff)); when the attempts are exhausted the run
//! fails, and since every write is an idempotent upsert, running the file
//! again is safe.

mod retry;
mod window;
mod write;

use crate::events::ObjectEvent;
use crate::io::{Input, Output};
use crate::process::{Outcome, Processor};
use crate::run::{run_to_commit, JobKind, JobSpec, LoadSpec, Rejects, Report};
use crate::s3;
use anyhow::{anyhow, Context};
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::types::{KeyType as SchemaKey, ScalarAttributeType};
use aws_sdk_dynamodb::Client;
use serde_json::json;
use sluice_engine::{Dialect, Engine, KeyType, Load, LoadOptions};
use std::fmt;
use std::time::Duration;
use write::Writer;

/// How long one request may take before it is retried.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// A table ready to be loaded: its client, its key schema, the job options.
#[derive(Clone, Debug)]
pub struct Table {
    /// None for a dry run: rows are typed and checked, nothing is sent.
    client: Option<Client>,
    pub name: String,
    /// The engine job's options, key types from the table.
    pub options: LoadOptions,
    pub replace: bool,
}

impl Table {
    /// Describes the table and checks that its keys are the spec's columns.
    pub async fn connect(config: &aws_config::SdkConfig, spec: &LoadSpec) -> anyhow::Result<Self> {
        let client = client(config);
        let described = client
            .describe_table()
            .table_name(&spec.table)
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "table {}: cannot describe: {}",
                    spec.table,
                    s3::describe(&e)
                )
            })?;
        let table = described
            .table()
            .with_context(|| format!("table {}: no description", spec.table))?;
        let keys = key_types(&spec.table, table)?;
        let options = spec.options(&keys)?;
        Ok(Table {
            client: Some(client),
            name: spec.table.clone(),
            options,
            replace: spec.replace,
        })
    }

    /// A dry run: key values are taken as strings, nothing is written.
    pub fn dry_run(spec: &LoadSpec) -> Self {
        Table {
            client: None,
            name: spec.table.clone(),
            options: spec.engine_options(KeyType::String, KeyType::String),
            replace: spec.replace,
        }
    }

    /// The table for the job of `spec`, when it is the load job.
    pub async fn for_job(
        spec: &JobSpec,
        config: &aws_config::SdkConfig,
    ) -> anyhow::Result<Option<Self>> {
        match &spec.kind {
            JobKind::Load(load) => Ok(Some(Table::connect(config, load).await?)),
            _ => Ok(None),
        }
    }

    /// `dynamodb://table`, for logs.
    pub fn url(&self) -> String {
        format!("dynamodb://{}", self.name)
    }

    /// Loads `input` into the table, streaming rejected rows to `rejects`:
    /// [`run_to_commit`] with the load job and the table as its sink.
    pub async fn load_to_commit(
        &self,
        dialect: &Dialect,
        input: &mut Input,
        rejects: Rejects,
        keep_empty_rejects: bool,
    ) -> anyhow::Result<(LoadReport, Vec<u8>)> {
        let engine = Engine::new(dialect.clone(), Load::new(self.options.clone()));
        let writer = Writer::new(self, input.name());
        let (report, totals, sample) =
            run_to_commit(engine, input, writer, rejects, keep_empty_rejects).await?;
        let report = LoadReport {
            report,
            written: totals.written,
            retried: totals.retried,
            merged: totals.merged,
            dry_run: self.client.is_none(),
        };
        Ok((report, sample))
    }
}

/// The DynamoDB client: no retries of its own (this module retries and
/// counts them), and a bound on each attempt.
fn client(config: &aws_config::SdkConfig) -> Client {
    let config = aws_sdk_dynamodb::config::Builder::from(config)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        )
        .build();
    Client::from_conf(config)
}

/// The table's key attributes with their types: partition, then sort.
type KeyTypes = ((String, KeyType), Option<(String, KeyType)>);

fn key_types(
    table: &str,
    desc: &aws_sdk_dynamodb::types::TableDescription,
) -> anyhow::Result<KeyTypes> {
    let type_of = |name: &str| -> anyhow::Result<KeyType> {
        let def = desc
            .attribute_definitions()
            .iter()
            .find(|d| d.attribute_name() == name)
            .with_context(|| format!("table {table}: key {name} has no attribute definition"))?;
        match def.attribute_type() {
            ScalarAttributeType::S => Ok(KeyType::String),
            ScalarAttributeType::N => Ok(KeyType::Number),
            other => anyhow::bail!(
                "table {table}: key {name} is of type {}; load writes S and N keys only",
                other.as_str()
            ),
        }
    };
    let mut partition = None;
    let mut sort = None;
    for k in desc.key_schema() {
        let entry = (k.attribute_name().to_string(), type_of(k.attribute_name())?);
        match k.key_type() {
            SchemaKey::Hash => partition = Some(entry),
            _ => sort = Some(entry),
        }
    }
    let partition = partition.with_context(|| format!("table {table}: no partition key"))?;
    Ok((partition, sort))
}

impl LoadSpec {
    fn engine_options(&self, key_type: KeyType, sort_key_type: KeyType) -> LoadOptions {
        LoadOptions {
            key: self.key.clone(),
            sort_key: self.sort_key.clone(),
            key_type,
            sort_key_type,
            strings: self.strings,
        }
    }

    /// The engine options for a table with these keys; the columns must be
    /// the table's keys.
    fn options(&self, keys: &KeyTypes) -> anyhow::Result<LoadOptions> {
        let ((pk, pk_type), sort) = keys;
        anyhow::ensure!(
            *pk == self.key,
            "table {}: its partition key is {pk:?}, but the key column is {:?} (--key / SLUICE_KEY)",
            self.table,
            self.key
        );
        let sk_type = match (sort, &self.sort_key) {
            (None, None) => KeyType::String,
            (Some((sk, t)), Some(col)) if sk == col => *t,
            (Some((sk, _)), _) => anyhow::bail!(
                "table {}: its sort key is {sk:?}: name that column with --sort-key / SLUICE_SORT_KEY (given: {:?})",
                self.table,
                self.sort_key
            ),
            (None, Some(col)) => anyhow::bail!(
                "table {}: it has no sort key, but --sort-key / SLUICE_SORT_KEY names {col:?}",
                self.table
            ),
        };
        Ok(self.engine_options(*pk_type, sk_type))
    }
}

/// What a load did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// Rows read, loaded (`selected`) and rejected; bytes; seconds.
    pub report: Report,
    /// Items written: loaded rows less the duplicates merged into others.
    pub written: u64,
    /// Retries of throttled or failed requests, and unprocessed items sent again.
    pub retried: u64,
    /// Rows merged into a later row with the same key before writing.
    pub merged: u64,
    /// Nothing was sent.
    pub dry_run: bool,
}

impl LoadReport {
    /// Job-specific fields for the log line.
    pub fn log_fields(&self, table: &Table) -> serde_json::Value {
        json!({"table": table.name, "mode": if table.replace { "replace" } else { "merge" },
               "written": self.written, "retried": self.retried, "merged_duplicates": self.merged})
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.report;
        let per_s = self.written as f64 / r.seconds.max(1e-9);
        let verb = if self.dry_run {
            "would be written (dry run)"
        } else {
            "written"
        };
        write!(
            f,
            "{} rows read, {} items {verb} ({} duplicate keys merged), {} rejected, {} retried; {} bytes in, {:.3} s ({per_s:.0} items/s)",
            r.counts.rows, self.written, self.merged, r.counts.rejected, self.retried, r.bytes_in, r.seconds
        )
    }
}

/// The load job on one S3 object (the Lambda and worker doors): items to
/// the table, rejected rows to `rejects_key` in the destination bucket —
/// removed when a rerun has none.
pub async fn load_object(
    processor: &Processor,
    ev: &ObjectEvent,
    rejects_key: String,
) -> anyhow::Result<Outcome> {
    let table = processor
        .table
        .as_ref()
        .context("the load job runs without a table")?;
    let reader = s3::Reader::open(&processor.client, &ev.bucket, &ev.key).await?;
    let metadata = processor.metadata(ev, &reader);
    let dest = &processor.route.dest_bucket;
    let rejects = Rejects::To(Output::S3(s3::Writer::new(
        &processor.client,
        dest,
        &rejects_key,
        metadata,
    )));
    let mut input = Input::S3(reader);
    let (report, _) = table
        .load_to_commit(&processor.spec.dialect, &mut input, rejects, false)
        .await?;
    let mut extra = report.log_fields(table);
    if report.report.counts.rejected > 0 {
        let obj = extra.as_object_mut().expect("log fields are an object");
        obj.insert("rejects".into(), s3::url(dest, &rejects_key).into());
    }
    Ok(Outcome::Done {
        output: table.url(),
        report: report.report,
        extra,
    })
}
