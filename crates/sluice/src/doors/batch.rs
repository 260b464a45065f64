//! The S3 Batch Operations door: a job AWS runs over a manifest (a CSV
//! list or an S3 Inventory report) invokes the function with `tasks`,
//! each naming one existing object. Every task goes through the same
//! per-object path as an event ([`Processor::handle`]) and gets a result:
//! `Succeeded`, `TemporaryFailure` (Batch Operations tries it again) or
//! `PermanentFailure`, decided in one place ([`retry::classify`]).
//!
//! Keys: invocation schema 1.0 sends `s3Key` URL-encoded as the manifest
//! holds it (form style: `+` is a space, `%2B` a plus), with the bucket as
//! `s3BucketArn`; schema 2.0 sends the key as it is and the bucket as
//! `s3Bucket`.

use super::events::{decode_key, ObjectEvent, EXISTING};
use super::object::{Outcome, Processor};
use super::overflow::Budget;
use crate::adapters::retry::{self, Retry};
use serde_json::{json, Value};

/// The most bytes of a `resultString`: it lands in the job's completion
/// report, one CSV line per task.
const RESULT_STRING_BYTES: usize = 512;

/// One Batch Operations invocation.
#[derive(Debug, PartialEq, Eq)]
pub struct Invocation {
    /// `1.0` or `2.0`; the answer carries the same.
    pub schema: String,
    pub invocation_id: String,
    pub job_id: Option<String>,
    /// The job's `userArguments` (schema 2.0), logged with each task.
    pub user_arguments: Value,
    pub tasks: Vec<Task>,
}

/// One task: its id and the object it names, or why it names none.
#[derive(Debug, PartialEq, Eq)]
pub struct Task {
    pub id: String,
    pub object: Result<ObjectEvent, String>,
}

/// A task's result, as the answer reports it.
#[derive(Debug, PartialEq, Eq)]
pub struct TaskResult {
    pub task_id: String,
    /// `Succeeded`, `TemporaryFailure` or `PermanentFailure`.
    pub code: &'static str,
    pub text: String,
}

/// True when the payload is a Batch Operations invocation.
pub fn is_invocation(payload: &Value) -> bool {
    payload.get("invocationSchemaVersion").is_some() && payload.get("tasks").is_some()
}

/// Reads an invocation; a task that names no object fails alone.
pub fn parse(payload: &Value) -> Result<Invocation, String> {
    let field = |name: &str| payload.get(name).and_then(Value::as_str);
    let schema = field("invocationSchemaVersion").ok_or("invocationSchemaVersion is not text")?;
    if schema != "1.0" && schema != "2.0" {
        return Err(format!(
            "Batch Operations invocation schema {schema:?}: only 1.0 and 2.0 are known"
        ));
    }
    let invocation_id =
        field("invocationId").ok_or("a Batch Operations invocation without invocationId")?;
    let tasks = payload
        .get("tasks")
        .and_then(Value::as_array)
        .ok_or("a Batch Operations invocation whose tasks are not a list")?;
    Ok(Invocation {
        schema: schema.to_string(),
        invocation_id: invocation_id.to_string(),
        job_id: payload
            .pointer("/job/id")
            .and_then(Value::as_str)
            .map(str::to_string),
        user_arguments: payload
            .pointer("/job/userArguments")
            .cloned()
            .unwrap_or(Value::Null),
        tasks: tasks.iter().map(|t| parse_task(schema, t)).collect(),
    })
}

fn parse_task(schema: &str, task: &Value) -> Task {
    let text = |name: &str| task.get(name).and_then(Value::as_str);
    Task {
        id: text("taskId").unwrap_or_default().to_string(),
        object: task_object(schema, text("s3Bucket"), text("s3BucketArn"), text("s3Key")).map(
            |(bucket, key)| ObjectEvent {
                bucket,
                key,
                name: EXISTING.to_string(),
                etag: None,
                version: text("s3VersionId").map(str::to_string),
                time: None,
                size: None,
                sequencer: None,
            },
        ),
    }
}

/// The bucket and decoded key of a task.
fn task_object(
    schema: &str,
    bucket: Option<&str>,
    arn: Option<&str>,
    raw_key: Option<&str>,
) -> Result<(String, String), String> {
    // `arn:aws:s3:::bucket`: the name follows the last colon (bucket names
    // have none).
    let bucket = bucket
        .or_else(|| arn.and_then(|a| a.rsplit(':').next()))
        .filter(|b| !b.is_empty())
        .ok_or("a task without s3Bucket or s3BucketArn")?;
    let raw_key = raw_key.ok_or_else(|| format!("a task in bucket {bucket} without s3Key"))?;
    let key = match schema {
        "1.0" => decode_key(raw_key).map_err(|e| format!("s3://{bucket}/{raw_key}: {e}"))?,
        _ => raw_key.to_string(),
    };
    Ok((bucket.to_string(), key))
}

/// Runs every task, in order, and answers in the Batch Operations format.
pub async fn run(
    processor: &Processor,
    invocation: &Invocation,
    context: &Value,
    budget: &mut Budget,
) -> Value {
    let mut results = Vec::with_capacity(invocation.tasks.len());
    for task in &invocation.tasks {
        let mut fields = context.clone();
        super::object::merge(
            &mut fields,
            &json!({"task_id": task.id, "job_id": invocation.job_id,
                    "user_arguments": invocation.user_arguments}),
        );
        let result = match &task.object {
            Ok(object) => {
                let outcome = processor.handle(object, &fields, budget).await;
                if let Ok(Outcome::Done(done)) = &outcome {
                    budget.read(done.summary.bytes_in);
                }
                task_result(&task.id, &outcome)
            }
            Err(e) => {
                crate::log::error("unreadable task", json!({"task_id": task.id, "error": e}));
                failure(&task.id, Retry::Permanent, e)
            }
        };
        results.push(result);
    }
    answer(invocation, &results)
}

/// The result of one task's outcome.
pub fn task_result(task_id: &str, outcome: &anyhow::Result<Outcome>) -> TaskResult {
    let succeeded = |text: String| TaskResult {
        task_id: task_id.to_string(),
        code: "Succeeded",
        text,
    };
    match outcome {
        Ok(Outcome::Done(done)) => succeeded(format!("{}: {}", done.output, done.line)),
        Ok(Outcome::Skipped(why)) => succeeded(format!("skipped: {why}")),
        Ok(Outcome::Superseded(why)) => succeeded(format!("superseded: {why}")),
        Ok(Outcome::Forwarded(queue)) => {
            succeeded(format!("forwarded to the worker queue {queue}"))
        }
        Err(e) => failure(task_id, retry::classify(e), &format!("{e:#}")),
    }
}

fn failure(task_id: &str, retry: Retry, message: &str) -> TaskResult {
    TaskResult {
        task_id: task_id.to_string(),
        code: match retry {
            Retry::Temporary => "TemporaryFailure",
            Retry::Permanent => "PermanentFailure",
        },
        text: message.to_string(),
    }
}

/// The answer Batch Operations reads: one result per task; a task left
/// out counts as a permanent failure.
pub fn answer(invocation: &Invocation, results: &[TaskResult]) -> Value {
    let results: Vec<Value> = results
        .iter()
        .map(|r| json!({"taskId": r.task_id, "resultCode": r.code, "resultString": short(&r.text)}))
        .collect();
    json!({
        "invocationSchemaVersion": invocation.schema,
        "treatMissingKeysAs": "PermanentFailure",
        "invocationId": invocation.invocation_id,
        "results": results,
    })
}

/// `text` cut to [`RESULT_STRING_BYTES`] on a character boundary.
fn short(text: &str) -> String {
    if text.len() <= RESULT_STRING_BYTES {
        return text.to_string();
    }
    let mut end = RESULT_STRING_BYTES - 3;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests;
