//! The `load` job's DynamoDB side: the engine's [`Load`] job turns rows
//! into typed items; this module writes them to a table.
//!
//! - **Merge** (the default): one `UpdateItem` with `SET` per item, up to
//!   [`UPDATES_IN_FLIGHT`] at a time. Attributes already on the item and
//!   absent from the file are kept. It costs the write units of a put and
//!   reads nothing — the cheapest request that merges. (A row with only its
//!   key is a conditional `PutItem` that creates the item if it is absent.)
//! - **Replace**: `BatchWriteItem` with 25 puts per request, up to
//!   [`BATCHES_IN_FLIGHT`] at a time; whole items are replaced, and
//!   `UnprocessedItems` are sent again with backoff.
//!
//! Rows with the same key never have two writes in flight: they meet in a
//! bounded [`Window`] where the later row's attributes override the
//! earlier's (merge) or replace them (replace), and a key whose write is in
//! flight waits for it. So the last row wins, whatever the timing.
//! Throttling and transient errors are retried with exponential backoff
//! and full jitter ([`Backoff`]); when the attempts are exhausted the run
//! fails, and since every write is an idempotent upsert, running the file
//! again is safe.

use crate::events::ObjectEvent;
use crate::io::{Input, Output};
use crate::process::{Outcome, Processor};
use crate::run::{run_to_commit, JobKind, JobSpec, LoadSpec, Rejects, Report, Sink};
use crate::s3;
use anyhow::{anyhow, Context};
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, KeyType as SchemaKey, PutRequest, ScalarAttributeType, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use serde_json::json;
use sluice_engine::{number_identity, Dialect, Engine, Item, KeyType, Load, LoadOptions, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// `UpdateItem` requests in flight (merge mode).
pub const UPDATES_IN_FLIGHT: usize = 32;
/// `BatchWriteItem` requests in flight (replace mode).
pub const BATCHES_IN_FLIGHT: usize = 8;
/// Items per `BatchWriteItem`: DynamoDB's maximum.
const BATCH_ITEMS: usize = 25;
/// Items waiting for a request, at most; beyond, reading pauses.
const WINDOW_ITEMS: usize = 1000;
/// Bytes of items waiting for a request, at most.
const WINDOW_BYTES: usize = 4 << 20;
/// How long one request may take before it is retried.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// Error codes DynamoDB answers when it wants the caller to slow down or
/// try again.
const RETRYABLE_CODES: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
];

/// Retries: `attempts` in all, sleeping a random time up to
/// `min(cap, base × 2^retry)` before each retry ("full jitter").
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

/// 10 attempts: the last waits up to 10 s, all of them together about
/// 25 s on average and 51 s at most.
pub const BACKOFF: Backoff = Backoff {
    attempts: 10,
    base: Duration::from_millis(50),
    cap: Duration::from_secs(10),
};

impl Backoff {
    /// The sleep before retry number `retry` (0-based).
    fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1 << retry.min(20)).min(self.cap);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// Sends with `send` until it succeeds, fails for good, or the attempts
/// are spent. Returns the last result and the number of retries.
async fn with_retries<T, E, F, Fut>(
    backoff: &Backoff,
    retryable: impl Fn(&E) -> bool,
    mut send: F,
) -> (Result<T, E>, u64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut retries = 0u32;
    loop {
        match send().await {
            Err(e) if retryable(&e) && retries + 1 < backoff.attempts => {
                tokio::time::sleep(backoff.delay(retries)).await;
                retries += 1;
            }
            result => return (result, u64::from(retries)),
        }
    }
}

/// Throttling, server errors, timeouts and broken connections are worth
/// another attempt; anything else (validation, access, missing table) is not.
fn retryable<E: ProvideErrorMetadata>(
    err: &SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(e) => {
            e.raw().status().is_server_error()
                || e.err()
                    .code()
                    .is_some_and(|code| RETRYABLE_CODES.contains(&code))
        }
        _ => false,
    }
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

/// An item owned for writing.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    /// The line of the last row merged into it, for messages.
    line: u64,
    key: AttributeValue,
    sort_key: Option<AttributeValue>,
    /// Non-key attributes by column index.
    attributes: Vec<(usize, AttributeValue)>,
    bytes: usize,
}

impl Row {
    fn from_item(item: &Item<'_>, options: &LoadOptions) -> Self {
        let key_value = |text: &str, t: KeyType| match t {
            KeyType::String => AttributeValue::S(text.to_string()),
            KeyType::Number => AttributeValue::N(text.to_string()),
        };
        Row {
            line: item.line,
            key: key_value(item.key, options.key_type),
            sort_key: item.sort_key.map(|s| key_value(s, options.sort_key_type)),
            attributes: item
                .attributes()
                .map(|(column, _, v)| (column, attribute(v)))
                .collect(),
            bytes: item.size,
        }
    }

    /// Takes in a later row with the same key: its attributes override
    /// these (merge), or replace them all (replace).
    fn absorb(&mut self, later: Row, replace: bool) {
        if replace {
            *self = later;
            return;
        }
        self.line = later.line;
        self.bytes += later.bytes;
        for (column, value) in later.attributes {
            match self.attributes.iter_mut().find(|(c, _)| *c == column) {
                Some(slot) => slot.1 = value,
                None => self.attributes.push((column, value)),
            }
        }
    }
}

fn attribute(v: Value<'_>) -> AttributeValue {
    match v {
        Value::S(s) => AttributeValue::S(s.to_string()),
        Value::N(n) => AttributeValue::N(n.to_string()),
        Value::Bool(b) => AttributeValue::Bool(b),
    }
}

/// The identity of an item's key: equal for equal keys as DynamoDB
/// compares them (`5` and `5.0` are one number key).
fn key_identity(item: &Item<'_>, options: &LoadOptions) -> Vec<u8> {
    let mut id = Vec::with_capacity(item.key.len() + 8);
    push_identity(&mut id, item.key, options.key_type);
    if let Some(s) = item.sort_key {
        // 0xFF never occurs in UTF-8: the two parts cannot run together.
        id.push(0xff);
        push_identity(&mut id, s, options.sort_key_type);
    }
    id
}

fn push_identity(id: &mut Vec<u8>, text: &str, t: KeyType) {
    if t == KeyType::String || !number_identity(text.as_bytes(), id) {
        id.extend_from_slice(text.as_bytes());
    }
}

/// Items waiting to be written, by key; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct Window {
    pending: HashMap<Vec<u8>, Row>,
    /// Pending keys in the order they arrived.
    order: VecDeque<Vec<u8>>,
    /// Keys with a write in flight.
    busy: HashSet<Vec<u8>>,
    replace: bool,
    bytes: usize,
    /// Rows absorbed by an earlier pending row with the same key.
    merged: u64,
}

impl Window {
    fn new(replace: bool) -> Self {
        Window {
            replace,
            ..Default::default()
        }
    }

    /// Adds a row; one with the key of a pending row is merged into it.
    fn push(&mut self, id: Vec<u8>, row: Row) {
        match self.pending.get_mut(&id) {
            Some(earlier) => {
                let before = earlier.bytes;
                earlier.absorb(row, self.replace);
                self.bytes = self.bytes - before + earlier.bytes;
                self.merged += 1;
            }
            None => {
                self.bytes += row.bytes;
                self.order.push_back(id.clone());
                self.pending.insert(id, row);
            }
        }
    }

    /// Takes up to `max` rows whose keys have no write in flight, oldest
    /// first, and marks their keys busy.
    fn take_ready(&mut self, max: usize) -> Vec<(Vec<u8>, Row)> {
        let mut ready = Vec::new();
        let mut waiting = Vec::new();
        while ready.len() < max {
            let Some(id) = self.order.pop_front() else {
                break;
            };
            if self.busy.contains(&id) {
                waiting.push(id);
                continue;
            }
            let row = self.pending.remove(&id).expect("ordered keys are pending");
            self.bytes -= row.bytes;
            self.busy.insert(id.clone());
            ready.push((id, row));
        }
        for id in waiting.into_iter().rev() {
            self.order.push_front(id);
        }
        ready
    }

    /// The writes of these keys are done.
    fn release(&mut self, ids: &[Vec<u8>]) {
        for id in ids {
            self.busy.remove(id);
        }
    }

    fn len(&self) -> usize {
        self.pending.len()
    }

    fn is_full(&self) -> bool {
        self.len() >= WINDOW_ITEMS || self.bytes >= WINDOW_BYTES
    }
}

/// Names the requests need, shared by the tasks.
#[derive(Debug)]
struct Names {
    table: String,
    key: String,
    sort_key: Option<String>,
    columns: Vec<String>,
}

/// What one request task did.
struct Sent {
    ids: Vec<Vec<u8>>,
    written: u64,
    retried: u64,
}

/// What the writes of one input did.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Totals {
    written: u64,
    retried: u64,
    merged: u64,
}

/// Writes rows through the window with bounded requests in flight.
struct Writer<'t> {
    table: &'t Table,
    /// The input's name, for errors.
    source: String,
    names: Option<Arc<Names>>,
    window: Window,
    tasks: JoinSet<anyhow::Result<Sent>>,
    totals: Totals,
}

impl<'t> Writer<'t> {
    fn new(table: &'t Table, source: String) -> Self {
        Writer {
            table,
            source,
            names: None,
            window: Window::new(table.replace),
            tasks: JoinSet::new(),
            totals: Totals::default(),
        }
    }

    /// Takes the engine's items, writing as the window fills.
    async fn take_items(&mut self, engine: &mut Engine<Load>) -> anyhow::Result<()> {
        if self.names.is_none() && !engine.job().columns().is_empty() {
            self.names = Some(Arc::new(Names {
                table: self.table.name.clone(),
                key: self.table.options.key.clone(),
                sort_key: self.table.options.sort_key.clone(),
                columns: engine.job().columns().to_vec(),
            }));
        }
        let options = &self.table.options;
        for item in engine.job().items() {
            let row = Row::from_item(&item, options);
            self.window.push(key_identity(&item, options), row);
            self.dispatch(false);
            while self.window.is_full() {
                if self.tasks.is_empty() {
                    // Nothing in flight to wait for: send what is there.
                    self.dispatch(true);
                    if self.tasks.is_empty() {
                        break;
                    }
                }
                self.complete_one().await?;
                self.dispatch(false);
            }
        }
        engine.job_mut().clear_items();
        Ok(())
    }

    /// Sends what is ready while requests may be added; partial batches
    /// only when `flush`.
    fn dispatch(&mut self, flush: bool) {
        let (per_request, in_flight) = if self.table.replace {
            (BATCH_ITEMS, BATCHES_IN_FLIGHT)
        } else {
            (1, UPDATES_IN_FLIGHT)
        };
        while self.tasks.len() < in_flight && (flush || self.window.len() >= per_request) {
            let rows = self.window.take_ready(per_request);
            if rows.is_empty() {
                return;
            }
            let (Some(client), Some(names)) = (&self.table.client, &self.names) else {
                // A dry run: the rows are done as soon as they are ready.
                let ids: Vec<_> = rows.into_iter().map(|(id, _)| id).collect();
                self.window.release(&ids);
                self.totals.written += ids.len() as u64;
                continue;
            };
            let (client, names) = (client.clone(), Arc::clone(names));
            if self.table.replace {
                self.tasks.spawn(put_batch(client, names, rows, BACKOFF));
            } else {
                let (id, row) = rows.into_iter().next().expect("one row");
                self.tasks.spawn(update(client, names, id, row, BACKOFF));
            }
        }
    }

    /// Waits for one request; a failed one stops every other.
    async fn complete_one(&mut self) -> anyhow::Result<()> {
        let Some(joined) = self.tasks.join_next().await else {
            return Ok(());
        };
        let sent = match joined {
            Ok(Ok(sent)) => sent,
            Ok(Err(e)) => {
                self.tasks.abort_all();
                return Err(e);
            }
            Err(e) => {
                self.tasks.abort_all();
                return Err(anyhow!("a write task failed: {e}"));
            }
        };
        self.window.release(&sent.ids);
        self.totals.written += sent.written;
        self.totals.retried += sent.retried;
        Ok(())
    }

    /// Writes everything left and waits for every request.
    async fn finish(mut self) -> anyhow::Result<Totals> {
        loop {
            self.dispatch(true);
            if self.tasks.is_empty() {
                break;
            }
            self.complete_one().await?;
        }
        debug_assert_eq!(self.window.len(), 0);
        self.totals.merged = self.window.merged;
        Ok(self.totals)
    }
}

/// The table as the load job's sink: items are written as they come,
/// and the commit waits for the last write.
impl Sink<Load> for Writer<'_> {
    type Done = Totals;

    async fn take(&mut self, engine: &mut Engine<Load>, _: &mut Vec<u8>) -> anyhow::Result<u64> {
        let taken = self.take_items(engine).await;
        taken.with_context(|| self.source.clone())?;
        Ok(0)
    }

    async fn commit(self, _: &Engine<Load>, _: &mut Report) -> anyhow::Result<Totals> {
        let source = self.source.clone();
        self.finish().await.with_context(|| source)
    }

    async fn abort(mut self) {
        self.tasks.abort_all();
    }
}

/// The key attributes of a row.
fn key_map(names: &Names, row: &Row) -> HashMap<String, AttributeValue> {
    let mut key = HashMap::with_capacity(2);
    key.insert(names.key.clone(), row.key.clone());
    if let (Some(name), Some(value)) = (&names.sort_key, &row.sort_key) {
        key.insert(name.clone(), value.clone());
    }
    key
}

/// `SET #a3 = :v3, ...` with its names and values, for the row's
/// attributes; `None` when it has none (the item gets its key only).
type UpdateParts = (
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
);

fn set_expression(names: &Names, row: Row) -> Option<UpdateParts> {
    if row.attributes.is_empty() {
        return None;
    }
    let mut expr = String::from("SET ");
    let mut attr_names = HashMap::with_capacity(row.attributes.len());
    let mut values = HashMap::with_capacity(row.attributes.len());
    for (i, (column, value)) in row.attributes.into_iter().enumerate() {
        if i > 0 {
            expr.push_str(", ");
        }
        expr.push_str(&format!("#a{column} = :v{column}"));
        attr_names.insert(format!("#a{column}"), names.columns[column].clone());
        values.insert(format!(":v{column}"), value);
    }
    Some((expr, attr_names, values))
}

/// A key for messages: `customer_id="c1"`.
fn describe_key(names: &Names, row: &Row) -> String {
    let show = |v: &AttributeValue| match v {
        AttributeValue::S(s) | AttributeValue::N(s) => format!("{s:?}"),
        other => format!("{other:?}"),
    };
    let mut s = format!("{}={}", names.key, show(&row.key));
    if let (Some(name), Some(v)) = (&names.sort_key, &row.sort_key) {
        s.push_str(&format!(", {name}={}", show(v)));
    }
    s
}

/// One row as an `UpdateItem` with `SET`; a row with only its key makes
/// sure the item exists (see [`create_if_absent`]).
async fn update(
    client: Client,
    names: Arc<Names>,
    id: Vec<u8>,
    row: Row,
    backoff: Backoff,
) -> anyhow::Result<Sent> {
    let key = key_map(&names, &row);
    let (line, what) = (row.line, describe_key(&names, &row));
    let Some((expr, attr_names, values)) = set_expression(&names, row) else {
        return create_if_absent(client, names, id, key, (line, what), backoff).await;
    };
    let (result, retried) = with_retries(&backoff, retryable, || {
        client
            .update_item()
            .table_name(&names.table)
            .set_key(Some(key.clone()))
            .update_expression(&expr)
            .set_expression_attribute_names(Some(attr_names.clone()))
            .set_expression_attribute_values(Some(values.clone()))
            .send()
    })
    .await;
    result.map_err(|e| {
        anyhow!(
            "line {line}: table {}: cannot update the item {what}{}: {}",
            names.table,
            attempts_note(retried),
            s3::describe(&e)
        )
    })?;
    Ok(Sent {
        ids: vec![id],
        written: 1,
        retried,
    })
}

/// A key-only row: `PutItem` of the bare key unless the item exists — an
/// existing item keeps every attribute, as a merge leaves it. (An
/// `UpdateItem` without an update expression does the same on DynamoDB,
/// but local emulators fail on it.)
async fn create_if_absent(
    client: Client,
    names: Arc<Names>,
    id: Vec<u8>,
    key: HashMap<String, AttributeValue>,
    (line, what): (u64, String),
    backoff: Backoff,
) -> anyhow::Result<Sent> {
    let (result, retried) = with_retries(&backoff, retryable, || {
        client
            .put_item()
            .table_name(&names.table)
            .set_item(Some(key.clone()))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", &names.key)
            .send()
    })
    .await;
    match result {
        Ok(_) => {}
        Err(e) if e.code() == Some("ConditionalCheckFailedException") => {}
        Err(e) => anyhow::bail!(
            "line {line}: table {}: cannot create the item {what}{}: {}",
            names.table,
            attempts_note(retried),
            s3::describe(&e)
        ),
    }
    Ok(Sent {
        ids: vec![id],
        written: 1,
        retried,
    })
}

fn attempts_note(retried: u64) -> String {
    if retried == 0 {
        String::new()
    } else {
        format!(" after {} attempts", retried + 1)
    }
}

/// Up to 25 rows as one `BatchWriteItem` of puts; unprocessed items are
/// sent again with backoff until none is left or the attempts are spent.
async fn put_batch(
    client: Client,
    names: Arc<Names>,
    rows: Vec<(Vec<u8>, Row)>,
    backoff: Backoff,
) -> anyhow::Result<Sent> {
    let lines = (
        rows.iter().map(|(_, r)| r.line).min().unwrap_or(0),
        rows.iter().map(|(_, r)| r.line).max().unwrap_or(0),
    );
    let mut requests = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    for (id, row) in rows {
        requests.push(put_request(&names, row)?);
        ids.push(id);
    }
    let written = requests.len() as u64;
    let mut retried = 0u64;
    let mut round = 0u32;
    loop {
        let (result, retries) = with_retries(&backoff, retryable, || {
            client
                .batch_write_item()
                .request_items(&names.table, requests.clone())
                .send()
        })
        .await;
        retried += retries;
        let output = result.map_err(|e| {
            anyhow!(
                "lines {}-{}: table {}: batch write failed{}: {}",
                lines.0,
                lines.1,
                names.table,
                attempts_note(retries),
                s3::describe(&e)
            )
        })?;
        requests = output
            .unprocessed_items()
            .and_then(|m| m.get(&names.table))
            .cloned()
            .unwrap_or_default();
        if requests.is_empty() {
            return Ok(Sent {
                ids,
                written,
                retried,
            });
        }
        round += 1;
        anyhow::ensure!(
            round < backoff.attempts,
            "lines {}-{}: table {}: {} items still unprocessed after {round} attempts (throttled)",
            lines.0,
            lines.1,
            names.table,
            requests.len()
        );
        retried += requests.len() as u64;
        tokio::time::sleep(backoff.delay(round - 1)).await;
    }
}

fn put_request(names: &Names, row: Row) -> anyhow::Result<WriteRequest> {
    let mut item = key_map(names, &row);
    for (column, value) in row.attributes {
        item.insert(names.columns[column].clone(), value);
    }
    let put = PutRequest::builder().set_item(Some(item)).build()?;
    Ok(WriteRequest::builder().put_request(put).build())
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

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_engine::Dialect;

    fn rows(csv: &str, options: &LoadOptions) -> Vec<(Vec<u8>, Row)> {
        let mut engine = Engine::new(Dialect::default(), Load::new(options.clone()));
        engine.feed(csv.as_bytes()).unwrap();
        engine.finish().unwrap();
        engine
            .job()
            .items()
            .map(|i| (key_identity(&i, options), Row::from_item(&i, options)))
            .collect()
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.into())
    }

    #[test]
    fn rows_become_typed_attributes() {
        let options = LoadOptions::default();
        let r = rows("customer_id,age,vip,city\nc1,42,false,Oslo\n", &options);
        assert_eq!(r[0].1.key, s("c1"));
        assert_eq!(
            r[0].1.attributes,
            [
                (1, n("42")),
                (2, AttributeValue::Bool(false)),
                (3, s("Oslo"))
            ]
        );
    }

    #[test]
    fn a_later_row_overrides_an_earlier_one_with_the_same_key() {
        let options = LoadOptions::default();
        let input = "customer_id,a,b,c\nk,1,x,\nother,9,9,9\nk,,y,z\n";
        let mut merge = Window::new(false);
        let mut replace = Window::new(true);
        for (id, row) in rows(input, &options) {
            merge.push(id.clone(), row.clone());
            replace.push(id, row);
        }
        assert_eq!((merge.len(), merge.merged), (2, 1));
        let merged = merge.take_ready(10);
        // Merge: a from the first row, b overridden, c added.
        assert_eq!(
            merged[0].1.attributes,
            [(1, n("1")), (2, s("y")), (3, s("z"))]
        );
        assert_eq!(merged[0].1.line, 4);
        // Replace: only the last row's attributes.
        let replaced = replace.take_ready(10);
        assert_eq!(replaced[0].1.attributes, [(2, s("y")), (3, s("z"))]);
        assert_eq!(replaced.len(), 2);
    }

    #[test]
    fn a_key_in_flight_is_not_sent_again_until_released() {
        let options = LoadOptions::default();
        let mut w = Window::new(false);
        let mut input = rows("customer_id,v\nk,1\nj,2\nk,3\n", &options).into_iter();
        let (k1, j) = (input.next().unwrap(), input.next().unwrap());
        w.push(k1.0.clone(), k1.1);
        let first = w.take_ready(1);
        assert_eq!(first[0].1.attributes, [(1, n("1"))]);
        w.push(j.0, j.1);
        let k3 = input.next().unwrap();
        w.push(k3.0, k3.1);
        // k is in flight: only j is ready; k waits, in its place.
        let ready = w.take_ready(10);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].1.key, s("j"));
        assert!(w.take_ready(10).is_empty());
        w.release(&[first[0].0.clone()]);
        let later = w.take_ready(10);
        assert_eq!(later[0].1.attributes, [(1, n("3"))]);
    }

    #[test]
    fn number_keys_written_differently_are_one_key() {
        let options = LoadOptions {
            key_type: KeyType::Number,
            ..LoadOptions::default()
        };
        let r = rows("customer_id,v\n5,a\n5.0,b\n05,c\n6,d\n", &options);
        let mut w = Window::new(false);
        for (id, row) in r {
            w.push(id, row);
        }
        assert_eq!((w.len(), w.merged), (2, 2));
    }

    #[test]
    fn the_window_fills_by_count_and_by_bytes() {
        let options = LoadOptions::default();
        let mut w = Window::new(false);
        for i in 0..WINDOW_ITEMS {
            let (id, row) = rows(&format!("customer_id\nk{i}\n"), &options).remove(0);
            assert!(!w.is_full());
            w.push(id, row);
        }
        assert!(w.is_full());
        w.take_ready(1);
        assert!(!w.is_full());
        let mut w = Window::new(false);
        let big = "x".repeat(300 << 10);
        for i in 0..14 {
            let (id, row) = rows(&format!("customer_id,v\nk{i},{big}\n"), &options).remove(0);
            w.push(id, row);
        }
        assert!(w.is_full(), "{} bytes", w.bytes);
    }

    #[test]
    fn set_expression_names_every_attribute() {
        let options = LoadOptions::default();
        let (_, row) = rows("customer_id,first name,n\nc1,Ada,3\n", &options).remove(0);
        let names = Names {
            table: "t".into(),
            key: "customer_id".into(),
            sort_key: None,
            columns: vec!["customer_id".into(), "first name".into(), "n".into()],
        };
        let (expr, attr_names, values) = set_expression(&names, row).unwrap();
        assert_eq!(expr, "SET #a1 = :v1, #a2 = :v2");
        assert_eq!(attr_names["#a1"], "first name");
        assert_eq!(values[":v2"], n("3"));
        let (_, bare) = rows("customer_id,v\nc2,\n", &options).remove(0);
        assert!(set_expression(&names, bare).is_none());
    }

    #[derive(Debug, PartialEq)]
    enum Fake {
        Throttled,
        Invalid,
    }

    const QUICK: Backoff = Backoff {
        attempts: 4,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(4),
    };

    #[tokio::test(flavor = "current_thread")]
    async fn throttling_is_retried_until_it_passes() {
        let mut answers = vec![Err(Fake::Throttled), Err(Fake::Throttled), Ok(7)].into_iter();
        let (result, retries) = with_retries(
            &QUICK,
            |e| *e == Fake::Throttled,
            || std::future::ready(answers.next().unwrap()),
        )
        .await;
        assert_eq!((result, retries), (Ok(7), 2));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn retries_end_with_the_error_when_spent_or_not_retryable() {
        let mut calls = 0;
        let (result, retries) = with_retries(
            &QUICK,
            |e| *e == Fake::Throttled,
            || {
                calls += 1;
                std::future::ready(Err::<(), _>(Fake::Throttled))
            },
        )
        .await;
        assert_eq!((result, retries, calls), (Err(Fake::Throttled), 3, 4));
        let (result, retries) = with_retries(
            &QUICK,
            |e| *e == Fake::Throttled,
            || std::future::ready(Err::<(), _>(Fake::Invalid)),
        )
        .await;
        assert_eq!((result, retries), (Err(Fake::Invalid), 0));
    }

    #[test]
    fn backoff_grows_to_its_cap_with_jitter() {
        for retry in 0..30 {
            let d = BACKOFF.delay(retry);
            let ceiling = (BACKOFF.base * (1 << retry.min(20))).min(BACKOFF.cap);
            assert!(d <= ceiling, "retry {retry}: {d:?} > {ceiling:?}");
        }
        let late: Vec<_> = (0..20).map(|_| BACKOFF.delay(12)).collect();
        assert!(late.iter().any(|d| *d != late[0]), "no jitter: {late:?}");
    }
}
