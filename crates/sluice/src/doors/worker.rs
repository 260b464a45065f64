//! The queue worker for long-running hosts: long-polls SQS for S3
//! notifications, processes them with the same code as the Lambda door,
//! and deletes a message only once its results are committed. A failed
//! message stays in the queue; it returns after its visibility timeout and
//! the queue's redrive policy moves it to the dead-letter queue in the end.
//! Every received message's visibility is extended every third of the
//! queue's timeout until that message is done — the one being processed and those
//! waiting their turn — so a long file never sends work to a second
//! consumer. On SIGINT/SIGTERM the current message is finished and the
//! received ones not yet started are handed back at once. A message
//! `{"prefix": "s3://bucket/prefix/"}` asks for a prefix run
//! ([`super::prefix`]): every object under it, resumable.

use super::events::{parse_message_body, Message};
use super::object::{Processor, Tally};
use super::overflow::Budget;
use crate::log;
use aws_sdk_sqs::Client;
use serde_json::json;
use std::collections::VecDeque;
use std::time::Duration;

/// Receive errors in a row before the worker gives up.
const MAX_RECEIVE_ERRORS: u32 = 5;

/// Runs until stopped (SIGINT/SIGTERM), or until the queue is empty when
/// `exit_when_empty`.
pub async fn run(
    processor: &Processor,
    sqs: &Client,
    queue: &str,
    wait_secs: i32,
    exit_when_empty: bool,
) -> anyhow::Result<()> {
    let mut errors = 0;
    let (stop_tx, mut stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown().await;
        let _ = stop_tx.send(true);
    });
    let visibility = visibility_timeout(sqs, queue).await?;
    log::info(
        "worker started",
        json!({"queue": queue, "visibility_timeout_secs": visibility}),
    );
    loop {
        if *stop.borrow() {
            log::info("worker stopping", json!({"queue": queue}));
            return Ok(());
        }
        let receive = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_secs)
            .send();
        let resp = tokio::select! {
            resp = receive => resp,
            _ = stop.changed() => continue,
        };
        let resp = match resp {
            Ok(r) => {
                errors = 0;
                r
            }
            Err(e) => {
                errors += 1;
                let error = crate::adapters::s3::describe(&e);
                log::error(
                    "receive failed",
                    json!({"queue": queue, "error": error, "attempt": errors}),
                );
                anyhow::ensure!(
                    errors < MAX_RECEIVE_ERRORS,
                    "{queue}: receive failed {errors} times: {error}"
                );
                tokio::time::sleep(Duration::from_secs(1 << errors)).await;
                continue;
            }
        };
        let messages = resp.messages.unwrap_or_default();
        if messages.is_empty() && exit_when_empty {
            log::info("queue is empty; worker exiting", json!({"queue": queue}));
            return Ok(());
        }
        let items: Vec<Message> = messages
            .iter()
            .map(|m| Message {
                id: m.message_id.clone(),
                objects: parse_message_body(m.body().unwrap_or_default()),
            })
            .collect();
        // Every received message stays invisible until it is done, not
        // only the one being processed: the others are waiting their turn.
        let mut heartbeats: VecDeque<_> = messages
            .iter()
            .map(|m| {
                let receipt = m.receipt_handle().unwrap_or_default().to_string();
                tokio::spawn(keep_invisible(
                    sqs.clone(),
                    queue.to_string(),
                    receipt,
                    visibility,
                ))
            })
            .collect();
        let mut batch = Tally::default();
        for (message, item) in messages.iter().zip(&items) {
            let heartbeat = heartbeats.pop_front().expect("one heartbeat per message");
            let receipt = message.receipt_handle().unwrap_or_default();
            if *stop.borrow() {
                // Not started: hand it back for another consumer now.
                heartbeat.abort();
                let _ = sqs
                    .change_message_visibility()
                    .queue_url(queue)
                    .receipt_handle(receipt)
                    .visibility_timeout(0)
                    .send()
                    .await;
                continue;
            }
            // A worker has no deadline: every object fits.
            let mut budget = Budget::new(None, processor.min_mb_per_sec);
            let body = message.body().unwrap_or_default();
            let tally = match super::prefix::from_message(processor, body).await {
                Some(tally) => tally,
                None => processor.handle_item(item, &json!({}), &mut budget).await,
            };
            heartbeat.abort();
            batch.add(tally);
            if tally.failed > 0 {
                continue; // left for its visibility timeout and the redrive policy
            }
            if let Err(e) = sqs
                .delete_message()
                .queue_url(queue)
                .receipt_handle(receipt)
                .send()
                .await
            {
                // The results are committed; a redelivery rewrites the same objects.
                log::warn(
                    "could not delete a processed message",
                    json!({"message_id": item.id, "error": crate::adapters::s3::describe(&e)}),
                );
            }
        }
        if !messages.is_empty() {
            let objects = batch.processed + batch.skipped + batch.failed;
            let context = json!({"queue": queue});
            processor
                .metrics
                .invocation(objects, batch.failed, &context);
        }
    }
}

/// The queue's visibility timeout, in seconds.
async fn visibility_timeout(sqs: &Client, queue: &str) -> anyhow::Result<i32> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(queue)
        .attribute_names(QueueAttributeName::VisibilityTimeout)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "{queue}: cannot read the queue: {}",
                crate::adapters::s3::describe(&e)
            )
        })?;
    let value = attrs
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::VisibilityTimeout));
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(30))
}

/// Extends a message's visibility every third of the timeout until
/// aborted: a third, not a half, so that one slow ChangeMessageVisibility
/// (a busy endpoint, a retry) still lands before the message reappears.
async fn keep_invisible(sqs: Client, queue: String, receipt: String, visibility: i32) {
    let period = Duration::from_millis(u64::from(visibility.max(1).unsigned_abs()) * 1000 / 3);
    loop {
        tokio::time::sleep(period).await;
        let result = sqs
            .change_message_visibility()
            .queue_url(&queue)
            .receipt_handle(&receipt)
            .visibility_timeout(visibility)
            .send()
            .await;
        if let Err(e) = result {
            log::warn(
                "could not extend a message's visibility",
                json!({"queue": queue, "error": crate::adapters::s3::describe(&e)}),
            );
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler installs");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
