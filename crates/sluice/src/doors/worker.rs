//! The queue worker for long-running hosts: long-polls SQS for S3
//! notifications, processes them with the same code as the Lambda door,
//! and deletes a message only once its results are committed. A failed
//! message stays in the queue; it returns after its visibility timeout and
//! the queue's redrive policy moves it to the dead-letter queue in the end.
//! Every received message's visibility is extended every third of the
//! queue's timeout until that message is done — the one being processed and those
//! waiting their turn — so a long file never sends work to a second
//! consumer. It takes one message per receive unless told more
//! (`--receive`), so that the workers of a fleet share large objects
//! rather than one holding ten while the others idle. On SIGINT/SIGTERM the current message is finished and the
//! received ones not yet started are handed back at once. A message
//! `{"prefix": "s3://bucket/prefix/"}` asks for a prefix run
//! ([`super::prefix`]): every object under it, resumable.

use super::events::{parse_message_body, Message};
use super::object::{Processor, Tally};
use super::overflow::Budget;
use crate::log;
use aws_sdk_sqs::types::Message as SqsMessage;
use aws_sdk_sqs::Client;
use serde_json::json;
use std::collections::VecDeque;
use std::time::Duration;

/// Receive errors in a row before the worker gives up.
const MAX_RECEIVE_ERRORS: u32 = 5;

/// How the worker polls its queue.
#[derive(Clone, Copy, Debug)]
pub struct Polling {
    /// Long-poll wait per receive, in seconds.
    pub wait_secs: i32,
    /// Messages taken per receive. A worker holds what it took (invisible)
    /// until it is done with each, one after another: taking one leaves
    /// the rest to the other workers of a fleet.
    pub receive: i32,
    /// Stop once a receive returns nothing.
    pub exit_when_empty: bool,
}

/// Runs until stopped (SIGINT/SIGTERM), or until the queue is empty when
/// `exit_when_empty`.
pub async fn run(
    processor: &Processor,
    sqs: &Client,
    queue: &str,
    polling: Polling,
) -> anyhow::Result<()> {
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown().await;
        let _ = stop_tx.send(true);
    });
    let visibility = visibility_timeout(sqs, queue).await?;
    log::info(
        "worker started",
        json!({"queue": queue, "visibility_timeout_secs": visibility, "receive": polling.receive}),
    );
    let mut worker = Worker {
        processor,
        sqs,
        queue,
        polling,
        visibility,
        stop,
        errors: 0,
    };
    loop {
        if *worker.stop.borrow() {
            log::info("worker stopping", json!({"queue": queue}));
            return Ok(());
        }
        let Some(messages) = worker.receive().await? else {
            continue;
        };
        if messages.is_empty() && polling.exit_when_empty {
            log::info("queue is empty; worker exiting", json!({"queue": queue}));
            return Ok(());
        }
        worker.work(&messages).await;
    }
}

/// A running worker's state.
struct Worker<'a> {
    processor: &'a Processor,
    sqs: &'a Client,
    queue: &'a str,
    polling: Polling,
    visibility: i32,
    stop: tokio::sync::watch::Receiver<bool>,
    /// Receive errors in a row.
    errors: u32,
}

impl Worker<'_> {
    /// One receive: its messages, or `None` to poll again (stopped, or a
    /// failed receive retried after a pause); an error after too many.
    async fn receive(&mut self) -> anyhow::Result<Option<Vec<SqsMessage>>> {
        let receive = self
            .sqs
            .receive_message()
            .queue_url(self.queue)
            .max_number_of_messages(self.polling.receive)
            .wait_time_seconds(self.polling.wait_secs)
            .send();
        let resp = tokio::select! {
            resp = receive => resp,
            _ = self.stop.changed() => return Ok(None),
        };
        match resp {
            Ok(r) => {
                self.errors = 0;
                Ok(Some(r.messages.unwrap_or_default()))
            }
            Err(e) => {
                self.errors += 1;
                let (queue, errors) = (self.queue, self.errors);
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
                Ok(None)
            }
        }
    }

    /// Processes a batch one message after another. Every received message
    /// stays invisible until it is done, not only the one being processed:
    /// the others are waiting their turn.
    async fn work(&self, messages: &[SqsMessage]) {
        let mut heartbeats: VecDeque<_> = messages
            .iter()
            .map(|m| {
                let receipt = m.receipt_handle().unwrap_or_default().to_string();
                let (sqs, queue) = (self.sqs.clone(), self.queue.to_string());
                tokio::spawn(keep_invisible(sqs, queue, receipt, self.visibility))
            })
            .collect();
        let mut batch = Tally::default();
        for message in messages {
            let heartbeat = heartbeats.pop_front().expect("one heartbeat per message");
            if *self.stop.borrow() {
                heartbeat.abort();
                self.hand_back(message).await;
                continue;
            }
            let tally = self.one(message).await;
            heartbeat.abort();
            batch.add(tally);
            if tally.failed == 0 {
                self.delete(message).await;
            } // else left for its visibility timeout and the redrive policy
        }
        if !messages.is_empty() {
            let objects = batch.processed + batch.skipped + batch.failed;
            let context = json!({"queue": self.queue});
            let metrics = &self.processor.metrics;
            metrics.invocation(objects, batch.failed, &context);
        }
    }

    /// Processes one message: a prefix run, or the objects it notifies.
    async fn one(&self, message: &SqsMessage) -> Tally {
        let body = message.body().unwrap_or_default();
        if let Some(tally) = super::prefix::from_message(self.processor, body).await {
            return tally;
        }
        let item = Message {
            id: message.message_id.clone(),
            objects: parse_message_body(body),
        };
        // A worker has no deadline: every object fits.
        let mut budget = Budget::new(None, self.processor.min_mb_per_sec);
        let processor = self.processor;
        processor.handle_item(&item, &json!({}), &mut budget).await
    }

    /// A message not started: back to the queue for another consumer now.
    async fn hand_back(&self, message: &SqsMessage) {
        let receipt = message.receipt_handle().unwrap_or_default();
        let _ = self
            .sqs
            .change_message_visibility()
            .queue_url(self.queue)
            .receipt_handle(receipt)
            .visibility_timeout(0)
            .send()
            .await;
    }

    async fn delete(&self, message: &SqsMessage) {
        let receipt = message.receipt_handle().unwrap_or_default();
        let deleted = self
            .sqs
            .delete_message()
            .queue_url(self.queue)
            .receipt_handle(receipt)
            .send()
            .await;
        if let Err(e) = deleted {
            // The results are committed; a redelivery rewrites the same objects.
            log::warn(
                "could not delete a processed message",
                json!({"message_id": message.message_id, "error": crate::adapters::s3::describe(&e)}),
            );
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
