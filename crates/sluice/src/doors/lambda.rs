//! The AWS Lambda door: every invocation carries S3 notifications (every
//! record), SQS messages holding them, SNS envelopes, EventBridge
//! events, or S3 Batch Operations tasks (answered per task: [`batch`]). Failures of SQS messages are reported per message with
//! `batchItemFailures`, so only those are retried; a direct invocation
//! with a failed object fails as a whole, and the event is retried or sent
//! to the on-failure destination.

use super::batch;
use super::events::{parse_invocation, Batch};
use super::object::{Processor, Tally};
use super::overflow::Budget;
use crate::log;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};
use std::sync::Arc;

/// Serves invocations until the runtime stops the process.
pub async fn serve(processor: Processor) -> anyhow::Result<()> {
    let processor = Arc::new(processor);
    let handler = service_fn(move |event: LambdaEvent<Value>| {
        let processor = Arc::clone(&processor);
        async move { handle(&processor, event).await }
    });
    lambda_runtime::run(handler)
        .await
        .map_err(|e| anyhow::anyhow!("lambda runtime: {e}"))
}

async fn handle(
    processor: &Processor,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let context = json!({"request_id": event.context.request_id});
    let deadline = std::time::UNIX_EPOCH + std::time::Duration::from_millis(event.context.deadline);
    let mut budget = Budget::new(Some(deadline), processor.min_mb_per_sec);
    if batch::is_invocation(&event.payload) {
        let invocation = batch::parse(&event.payload)?;
        return Ok(batch::run(processor, &invocation, &context, &mut budget).await);
    }
    let batch = parse_invocation(&event.payload).map_err(|e| {
        log::error(
            "unreadable event",
            json!({"request_id": event.context.request_id, "error": e}),
        );
        e
    })?;
    let (tally, failed_ids) = run_batch(processor, &batch, &context, &mut budget).await;
    let objects = tally.processed + tally.skipped + tally.failed;
    processor
        .metrics
        .invocation(objects, tally.failed, &context);
    log::info(
        "invocation done",
        json!({"request_id": event.context.request_id, "processed": tally.processed,
               "skipped": tally.skipped, "failed": tally.failed}),
    );
    if batch.from_sqs {
        let failures: Vec<Value> = failed_ids
            .iter()
            .map(|id| json!({"itemIdentifier": id}))
            .collect();
        return Ok(json!({"batchItemFailures": failures}));
    }
    if tally.failed > 0 {
        return Err(format!("{} object(s) failed; the log has each error", tally.failed).into());
    }
    let mut answer = json!({"processed": tally.processed, "skipped": tally.skipped});
    if processor.clients.table.is_some() {
        // The load job returns its counts too.
        answer["written"] = tally.written.into();
        answer["rejected"] = tally.rejected.into();
        answer["retried"] = tally.retried.into();
    }
    Ok(answer)
}

/// Processes every item; the ids of the items to retry come back with the
/// tally. Once a message is done, one the time left cannot cover is not
/// started: it and those after it go back to the queue for a fresh
/// invocation (the first is always tried, or forwarded to the worker
/// queue when too big for any invocation).
async fn run_batch(
    processor: &Processor,
    batch: &Batch,
    context: &Value,
    budget: &mut Budget,
) -> (Tally, Vec<String>) {
    let mut total = Tally::default();
    let mut failed_ids = Vec::new();
    for (n, item) in batch.items.iter().enumerate() {
        if let (true, Some(id)) = (n > 0 && !budget.fits(item.known_size()), &item.id) {
            log::info(
                "not enough time left for this message; left for another invocation",
                json!({"message_id": id, "size": item.known_size(), "request_id": context["request_id"]}),
            );
            failed_ids.push(id.clone());
            continue;
        }
        let tally = processor.handle_item(item, context, budget).await;
        if let (true, Some(id)) = (tally.failed > 0, &item.id) {
            failed_ids.push(id.clone());
        }
        total.add(tally);
    }
    (total, failed_ids)
}
