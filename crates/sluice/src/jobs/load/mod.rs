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

mod window;
mod write;

use super::{Clients, Done, Plan};
use crate::adapters::{dynamodb, s3};
use crate::pipeline::read::Input;
use crate::pipeline::{run_to_commit, Summary};
use anyhow::Context;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::types::{KeyType as SchemaKey, ScalarAttributeType};
use aws_sdk_dynamodb::Client;
use serde_json::json;
use sluice_engine::{Dialect, Engine, KeyType, Load, LoadOptions};
use std::fmt;
use write::Writer;

/// The load job's options: the table and how rows become items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadSpec {
    /// The DynamoDB table written to.
    pub table: String,
    /// The partition key column: the table's partition key attribute.
    pub key: String,
    /// The sort key column, for a table with a sort key.
    pub sort_key: Option<String>,
    /// Every non-key value a string.
    pub strings: bool,
    /// Replace whole items (BatchWriteItem) instead of merging (UpdateItem).
    pub replace: bool,
    /// Type and check the rows, send nothing.
    pub dry_run: bool,
}

/// DescribeTable, with the same retries as the job's writes: the client
/// retries nothing itself, and a function that fails here fails its whole
/// start on one dropped connection or throttle.
async fn describe(client: &Client, table: &str) -> anyhow::Result<DescribeTableOutput> {
    let send = || client.describe_table().table_name(table).send();
    let (result, _) = dynamodb::with_retries(&dynamodb::BACKOFF, dynamodb::retryable, send).await;
    result.map_err(|e| anyhow::anyhow!("table {table}: cannot describe: {}", s3::describe(&e)))
}

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
        let client = dynamodb::client(config);
        let described = describe(&client, &spec.table).await?;
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

    /// The table of `spec`: described, or taken on trust for a dry run.
    pub async fn open(config: &aws_config::SdkConfig, spec: &LoadSpec) -> anyhow::Result<Self> {
        if spec.dry_run {
            Ok(Table::dry_run(spec))
        } else {
            Table::connect(config, spec).await
        }
    }

    /// `dynamodb://table`, for logs.
    pub fn url(&self) -> String {
        format!("dynamodb://{}", self.name)
    }
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
    pub report: Summary,
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

/// The load job: `input`'s rows into the table, rejected rows to the
/// plan's rejects.
pub async fn run(
    dialect: Dialect,
    clients: &Clients,
    input: &mut Input,
    plan: &Plan,
) -> anyhow::Result<Done> {
    let table = clients
        .table
        .as_ref()
        .context("the load job runs without a table")?;
    let rejects = plan.rejects_for(clients, input)?;
    let engine = Engine::new(dialect, Load::new(table.options.clone()));
    let writer = Writer::new(table, input.name().to_string());
    let (summary, totals, sample) =
        run_to_commit(engine, input, writer, rejects, plan.ledger.clone()).await?;
    let report = LoadReport {
        report: summary,
        written: totals.written,
        retried: totals.retried,
        merged: totals.merged,
        dry_run: table.client.is_none(),
    };
    let mut extra = report.log_fields(table);
    if let (Some(at), true) = (&plan.rejects, summary.counts.rejected > 0) {
        extra["rejects"] = at.to_string().into();
    }
    Ok(Done {
        summary,
        input: input.facts.clone(),
        output: table.url(),
        line: report.to_string(),
        extra,
        sample,
        ..Done::default()
    })
}
