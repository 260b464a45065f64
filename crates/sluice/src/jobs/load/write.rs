//! The requests: `UpdateItem` per row (merge) or `BatchWriteItem` of 25
//! (replace), a bounded number in flight, each retried on its own.

use super::window::{key_identity, Row, Window};
use super::Table;
use crate::adapters::dynamodb::{retryable, with_retries, Backoff, BACKOFF};
use crate::adapters::s3;
use crate::pipeline::commit::Commit;
use crate::pipeline::{Sink, Summary};
use anyhow::{anyhow, Context};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use sluice_engine::{Engine, Load};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::task::JoinSet;

/// `UpdateItem` requests in flight (merge mode).
pub const UPDATES_IN_FLIGHT: usize = 32;
/// `BatchWriteItem` requests in flight (replace mode).
pub const BATCHES_IN_FLIGHT: usize = 8;
/// Items per `BatchWriteItem`: DynamoDB's maximum.
pub(super) const BATCH_ITEMS: usize = 25;

/// Names the requests need, shared by the tasks.
#[derive(Debug)]
pub(super) struct Names {
    pub(super) table: String,
    pub(super) key: String,
    pub(super) sort_key: Option<String>,
    pub(super) columns: Vec<String>,
}

/// What one request task did.
pub(super) struct Sent {
    pub(super) ids: Vec<Vec<u8>>,
    pub(super) written: u64,
    pub(super) retried: u64,
    /// Rows the table refused to take, with why.
    pub(super) rejected: Vec<Rejected>,
}

/// A row the engine selected that cannot be written after all.
#[derive(Debug)]
pub(super) struct Rejected {
    pub(super) line: u64,
    pub(super) reason: String,
    /// The row as it came in.
    pub(super) raw: Vec<u8>,
}

/// What the writes of one input did.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Totals {
    pub(super) written: u64,
    pub(super) retried: u64,
    pub(super) merged: u64,
}

/// Writes rows through the window with bounded requests in flight.
pub(super) struct Writer<'t> {
    pub(super) table: &'t Table,
    /// The input's name, for errors.
    pub(super) source: String,
    pub(super) names: Option<Arc<Names>>,
    pub(super) window: Window,
    pub(super) tasks: JoinSet<anyhow::Result<Sent>>,
    pub(super) totals: Totals,
    /// Rows refused since the engine's rejects were last given them.
    pub(super) rejected: Vec<Rejected>,
}

impl<'t> Writer<'t> {
    pub(super) fn new(table: &'t Table, source: String) -> Self {
        Writer {
            table,
            source,
            names: None,
            window: Window::new(table.replace),
            tasks: JoinSet::new(),
            totals: Totals::default(),
            rejected: Vec::new(),
        }
    }

    /// Takes the engine's items, writing as the window fills.
    pub(super) async fn take_items(&mut self, engine: &mut Engine<Load>) -> anyhow::Result<()> {
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
            if let Err(refused) = self.window.push(key_identity(&item, options), row) {
                let (row, size) = *refused;
                let names = self.names.as_deref();
                self.rejected.push(too_large(names, row, size));
            }
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
        self.give_rejects(engine);
        Ok(())
    }

    /// Moves the rows refused so far to the engine's rejects.
    fn give_rejects(&mut self, engine: &mut Engine<Load>) {
        for r in self.rejected.drain(..) {
            engine.reject_selected(r.line, &r.reason, &r.raw);
        }
    }

    /// Sends what is ready while requests may be added; partial batches
    /// only when `flush`.
    pub(super) fn dispatch(&mut self, flush: bool) {
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
    pub(super) async fn complete_one(&mut self) -> anyhow::Result<()> {
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
        self.rejected.extend(sent.rejected);
        Ok(())
    }

    /// Writes everything left and waits for every request.
    pub(super) async fn finish(&mut self) -> anyhow::Result<Totals> {
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

/// A row refused because merging it into its item's earlier rows would
/// make an item of `size` bytes.
fn too_large(names: Option<&Names>, row: Row, size: usize) -> Rejected {
    let key = names.map_or_else(|| format!("{:?}", row.key), |n| describe_key(n, &row));
    let (line, raw) = row.sources.into_iter().last().unwrap_or_default();
    Rejected {
        line,
        reason: format!(
            "the item {key} would be {size} bytes with this row merged into the earlier rows with its key, over DynamoDB's 400 KB"
        ),
        raw,
    }
}

/// The table as the load job's sink: items are written as they come,
/// and staging waits for the last write (a table is written as the rows
/// come: its items cannot wait for the commit).
impl Sink<Load> for Writer<'_> {
    type Done = Totals;

    async fn take(&mut self, engine: &mut Engine<Load>, _: &mut Vec<u8>) -> anyhow::Result<u64> {
        let taken = self.take_items(engine).await;
        taken.with_context(|| self.source.clone())?;
        Ok(0)
    }

    async fn drain(&mut self, engine: &mut Engine<Load>) -> anyhow::Result<()> {
        let finished = self.finish().await;
        finished.with_context(|| self.source.clone())?;
        self.give_rejects(engine);
        Ok(())
    }

    async fn stage(
        self,
        _: &Engine<Load>,
        _: &mut Summary,
        _: &mut Commit,
    ) -> anyhow::Result<Totals> {
        Ok(self.totals)
    }

    async fn abort(mut self) {
        self.tasks.abort_all();
    }
}

/// The key attributes of a row.
pub(super) fn key_map(names: &Names, row: &Row) -> HashMap<String, AttributeValue> {
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

pub(super) fn set_expression(names: &Names, row: Row) -> Option<UpdateParts> {
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
pub(super) fn describe_key(names: &Names, row: &Row) -> String {
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
pub(super) async fn update(
    client: Client,
    names: Arc<Names>,
    id: Vec<u8>,
    mut row: Row,
    backoff: Backoff,
) -> anyhow::Result<Sent> {
    let key = key_map(&names, &row);
    let (line, what) = (row.line, describe_key(&names, &row));
    let (bytes, sources) = (row.bytes, std::mem::take(&mut row.sources));
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
    let mut sent = Sent {
        ids: vec![id],
        written: 1,
        retried,
        rejected: Vec::new(),
    };
    match result {
        Ok(_) => {}
        Err(e) if too_large_to_update(&e) => {
            // The table's item and these rows together pass 400 KB: the
            // rows are refused, the item stays as it was.
            let reason = format!(
                "the item {what} would pass DynamoDB's 400 KB with this row merged into the item in the table ({bytes} bytes from the file's rows with this key)"
            );
            sent.written = 0;
            sent.rejected = sources
                .into_iter()
                .map(|(line, raw)| Rejected {
                    line,
                    reason: reason.clone(),
                    raw,
                })
                .collect();
        }
        Err(e) => anyhow::bail!(
            "line {line}: table {}: cannot update the item {what}{}: {}",
            names.table,
            attempts_note(retried),
            s3::describe(&e)
        ),
    }
    Ok(sent)
}

/// Whether DynamoDB refused an update because the item would pass its
/// size limit (a `ValidationException` that says so; no retry helps).
fn too_large_to_update<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ValidationException")
        && e.message()
            .is_some_and(|m| m.to_ascii_lowercase().contains("item size"))
}

/// A key-only row: `PutItem` of the bare key unless the item exists — an
/// existing item keeps every attribute, as a merge leaves it. (An
/// `UpdateItem` without an update expression does the same on DynamoDB,
/// but local emulators fail on it.)
pub(super) async fn create_if_absent(
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
        rejected: Vec::new(),
    })
}

pub(super) fn attempts_note(retried: u64) -> String {
    if retried == 0 {
        String::new()
    } else {
        format!(" after {} attempts", retried + 1)
    }
}

/// Up to 25 rows as one `BatchWriteItem` of puts; unprocessed items are
/// sent again with backoff until none is left or the attempts are spent.
pub(super) async fn put_batch(
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
                rejected: Vec::new(),
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

pub(super) fn put_request(names: &Names, row: Row) -> anyhow::Result<WriteRequest> {
    let mut item = key_map(names, &row);
    for (column, value) in row.attributes {
        item.insert(names.columns[column].clone(), value);
    }
    let put = PutRequest::builder().set_item(Some(item)).build()?;
    Ok(WriteRequest::builder().put_request(put).build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::load::window::tests::{n, rows};
    use sluice_engine::LoadOptions;

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
}
