//! The AWS Lambda door: every invocation carries S3 notifications (every
//! record), SQS messages holding them, SNS envelopes, or EventBridge
//! events. Failures of SQS messages are reported per message with
//! `batchItemFailures`, so only those are retried; a direct invocation
//! with a failed object fails as a whole, and the event is retried or sent
//! to the on-failure destination.

use crate::events::{parse_invocation, Batch};
use crate::log;
use crate::process::{Outcome, Processor};
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
    let batch = parse_invocation(&event.payload).map_err(|e| {
        log::error(
            "unreadable event",
            json!({"request_id": event.context.request_id, "error": e}),
        );
        e
    })?;
    let tally = run_batch(processor, &batch, &context).await;
    log::info(
        "invocation done",
        json!({"request_id": event.context.request_id, "processed": tally.processed,
               "skipped": tally.skipped, "failed": tally.failed}),
    );
    if batch.from_sqs {
        let failures: Vec<Value> = tally
            .failed_ids
            .iter()
            .map(|id| json!({"itemIdentifier": id}))
            .collect();
        return Ok(json!({"batchItemFailures": failures}));
    }
    if tally.failed > 0 {
        return Err(format!("{} object(s) failed; the log has each error", tally.failed).into());
    }
    Ok(json!({"processed": tally.processed, "skipped": tally.skipped}))
}

#[derive(Default)]
struct Tally {
    processed: usize,
    skipped: usize,
    failed: usize,
    failed_ids: Vec<String>,
}

/// Processes every object of every item; one failure stops nothing else.
async fn run_batch(processor: &Processor, batch: &Batch, context: &Value) -> Tally {
    let mut tally = Tally::default();
    for item in &batch.items {
        let mut item_ok = true;
        match &item.objects {
            Err(e) => {
                log::error(
                    "unreadable message",
                    json!({"message_id": item.id, "error": e}),
                );
                tally.failed += 1;
                item_ok = false;
            }
            Ok(objects) => {
                let mut ctx = context.clone();
                if let (Some(id), Some(obj)) = (&item.id, ctx.as_object_mut()) {
                    obj.insert("message_id".into(), id.clone().into());
                }
                for object in objects {
                    match processor.handle(object, &ctx).await {
                        Ok(Outcome::Done { .. }) => tally.processed += 1,
                        Ok(Outcome::Skipped(_)) => tally.skipped += 1,
                        Err(_) => {
                            tally.failed += 1;
                            item_ok = false;
                        }
                    }
                }
            }
        }
        if let (false, Some(id)) = (item_ok, &item.id) {
            tally.failed_ids.push(id.clone());
        }
    }
    tally
}
