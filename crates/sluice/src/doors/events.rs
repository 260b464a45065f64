//! The events that name objects: S3 notifications (every record), S3
//! notifications inside SQS messages or SNS envelopes, and EventBridge
//! "Object Created" events. Only the fields the logic needs are read, so
//! senders that omit the others (moto, older S3 versions) still parse.

use serde_json::Value;

/// One object an event says something about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectEvent {
    pub bucket: String,
    /// The key, decoded (S3 sends it form-URL-encoded).
    pub key: String,
    /// `ObjectCreated:Put`, `Object Created`, ... without the `s3:` prefix.
    pub name: String,
    pub etag: Option<String>,
    pub version: Option<String>,
    /// The event's time as sent (RFC 3339), when it has one.
    pub time: Option<String>,
    /// The object's size in bytes, when the event says it.
    pub size: Option<u64>,
    /// The event's `sequencer` (hex): for one key, a later write has a
    /// greater one once both are right-padded with zeros to one length.
    pub sequencer: Option<String>,
}

/// One record of an event: the object it names, or why it cannot be read
/// (a bad record fails alone; the others are processed).
pub type Record = Result<ObjectEvent, String>;

/// The event name of an object that already exists, named by an S3 Batch
/// Operations task or found by a prefix run: processed like a new one.
pub const EXISTING: &str = "Existing object";

impl ObjectEvent {
    /// True for object-creation events, the only ones Sluice acts on, and
    /// for existing objects a backfill names.
    pub fn is_created(&self) -> bool {
        self.name.starts_with("ObjectCreated")
            || self.name == "Object Created"
            || self.name == EXISTING
    }
}

/// A unit of work: the objects of one SQS message (`id` is its message id,
/// reported back when it fails), or of a whole direct invocation.
#[derive(Debug, PartialEq, Eq)]
pub struct Message {
    pub id: Option<String>,
    /// The records, or why the message could not be read at all.
    pub objects: Result<Vec<Record>, String>,
}

impl Message {
    /// The bytes of the objects it names, as far as its events tell.
    pub fn known_size(&self) -> u64 {
        let records = self.objects.iter().flatten().flatten();
        records.filter_map(|o| o.size).sum()
    }
}

/// What a Lambda invocation carried.
#[derive(Debug, PartialEq, Eq)]
pub struct Batch {
    /// True when the invocation came from SQS: failures are then reported
    /// per message with `batchItemFailures`.
    pub from_sqs: bool,
    pub items: Vec<Message>,
}

/// Reads a Lambda invocation payload.
pub fn parse_invocation(payload: &Value) -> Result<Batch, String> {
    let records = payload.get("Records").and_then(Value::as_array);
    let is_sqs = records.is_some_and(|r| {
        r.first()
            .and_then(|r| r.get("eventSource"))
            .and_then(Value::as_str)
            == Some("aws:sqs")
    });
    if is_sqs {
        let items = records
            .into_iter()
            .flatten()
            .map(|record| Message {
                id: record
                    .get("messageId")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                objects: match record.get("body").and_then(Value::as_str) {
                    Some(body) => parse_message_body(body),
                    None => Err("SQS record without a body".to_string()),
                },
            })
            .collect();
        return Ok(Batch {
            from_sqs: true,
            items,
        });
    }
    Ok(Batch {
        from_sqs: false,
        items: vec![Message {
            id: None,
            objects: parse_event(payload),
        }],
    })
}

/// Reads the body of a queue message: an S3 notification, an SNS envelope
/// around one, or an EventBridge event.
pub fn parse_message_body(body: &str) -> Result<Vec<Record>, String> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("message body is not JSON: {e}"))?;
    parse_event(&value)
}

/// Reads one event document of any supported shape.
pub fn parse_event(value: &Value) -> Result<Vec<Record>, String> {
    // An SNS envelope (as an SQS body): the S3 event is in `Message`.
    if value.get("Type").and_then(Value::as_str) == Some("Notification") {
        let message = value
            .get("Message")
            .and_then(Value::as_str)
            .ok_or("SNS envelope without a Message")?;
        return parse_message_body(message);
    }
    // The test event S3 sends when a notification is configured.
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    if value.get("detail-type").is_some() {
        return parse_eventbridge(value).map(|e| e.into_iter().map(Ok).collect());
    }
    let records = value
        .get("Records")
        .and_then(Value::as_array)
        .ok_or("not an S3, SNS or EventBridge event: no Records, Message or detail-type")?;
    let mut objects = Vec::new();
    for record in records {
        if let Some(sns) = record.get("Sns") {
            let message = sns
                .get("Message")
                .and_then(Value::as_str)
                .ok_or("SNS record without a Message")?;
            objects.extend(parse_message_body(message)?);
        } else {
            objects.push(parse_s3_record(record));
        }
    }
    Ok(objects)
}

fn text(value: &Value, path: &[&str]) -> Option<String> {
    let mut v = value;
    for p in path {
        v = v.get(p)?;
    }
    v.as_str().map(str::to_string)
}

fn parse_s3_record(record: &Value) -> Result<ObjectEvent, String> {
    let bucket =
        text(record, &["s3", "bucket", "name"]).ok_or("S3 record without s3.bucket.name")?;
    let raw_key =
        text(record, &["s3", "object", "key"]).ok_or("S3 record without s3.object.key")?;
    let name = text(record, &["eventName"]).unwrap_or_default();
    Ok(ObjectEvent {
        key: decode_key(&raw_key).map_err(|e| format!("s3://{bucket}/{raw_key}: {e}"))?,
        bucket,
        name: name.strip_prefix("s3:").unwrap_or(&name).to_string(),
        etag: text(record, &["s3", "object", "eTag"]),
        version: text(record, &["s3", "object", "versionId"]),
        time: text(record, &["eventTime"]),
        size: record.pointer("/s3/object/size").and_then(Value::as_u64),
        sequencer: text(record, &["s3", "object", "sequencer"]),
    })
}

fn parse_eventbridge(value: &Value) -> Result<Option<ObjectEvent>, String> {
    let kind = text(value, &["detail-type"]).unwrap_or_default();
    if text(value, &["source"]).as_deref() != Some("aws.s3") {
        return Err(format!(
            "EventBridge event from {:?}, not aws.s3",
            text(value, &["source"])
        ));
    }
    let bucket = text(value, &["detail", "bucket", "name"])
        .ok_or("EventBridge event without detail.bucket.name")?;
    let raw_key = text(value, &["detail", "object", "key"])
        .ok_or("EventBridge event without detail.object.key")?;
    Ok(Some(ObjectEvent {
        key: decode_key(&raw_key).map_err(|e| format!("s3://{bucket}/{raw_key}: {e}"))?,
        bucket,
        name: kind,
        etag: text(value, &["detail", "object", "etag"]),
        version: text(value, &["detail", "object", "version-id"]),
        time: text(value, &["time"]),
        size: value.pointer("/detail/object/size").and_then(Value::as_u64),
        sequencer: text(value, &["detail", "object", "sequencer"]),
    }))
}

/// Encodes a key as S3 does in notifications: unreserved bytes as they
/// are, a space as `+`, every other byte `%XX` ([`decode_key`] reverses it).
pub fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes a form-URL-encoded key: `+` is a space, `%XX` a byte.
///
/// ```text
/// my+file+%281%29.csv  ->  my file (1).csv
/// a%2Bb.csv            ->  a+b.csv
/// ```
pub fn decode_key(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad escape at byte {i} of the key"))?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "the decoded key is not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The objects of records that must all be readable.
    fn ok(objects: &Result<Vec<Record>, String>) -> Vec<ObjectEvent> {
        let records = objects.as_ref().unwrap();
        records.iter().map(|r| r.clone().unwrap()).collect()
    }
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../testdata/events/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn decodes_keys_as_s3_encodes_them() {
        assert_eq!(
            decode_key("in/my+file+%281%29.csv").unwrap(),
            "in/my file (1).csv"
        );
        assert_eq!(decode_key("a%2Bb.csv").unwrap(), "a+b.csv");
        assert_eq!(decode_key("in%2Fx.csv").unwrap(), "in/x.csv");
        assert_eq!(decode_key("caf%C3%A9.csv").unwrap(), "café.csv");
        assert!(decode_key("bad%2").is_err());
        assert!(decode_key("bad%zz").is_err());
    }

    #[test]
    fn s3_notification_with_every_record() {
        let batch = parse_invocation(&fixture("s3-put-two-records.json")).unwrap();
        assert!(!batch.from_sqs);
        let objects = ok(&batch.items[0].objects);
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].bucket, "sluice-in");
        assert_eq!(objects[0].key, "in/my file (1).csv");
        assert_eq!(objects[0].name, "ObjectCreated:Put");
        assert!(objects[0].is_created());
        assert_eq!(
            objects[0].etag.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(objects[1].key, "in/a+b.csv");
        assert_eq!(
            objects[1].version.as_deref(),
            Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
        );
    }

    #[test]
    fn event_name_with_or_without_prefix() {
        for name in [
            "s3:ObjectCreated:CompleteMultipartUpload",
            "ObjectCreated:CompleteMultipartUpload",
        ] {
            let event = json!({"Records": [{"eventName": name, "s3": {"bucket": {"name": "b"}, "object": {"key": "k.csv"}}}]});
            let objects = ok(&parse_event(&event));
            assert_eq!(objects[0].name, "ObjectCreated:CompleteMultipartUpload");
            assert!(objects[0].is_created());
        }
        let removed = json!({"Records": [{"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "k.csv"}}}]});
        assert!(!ok(&parse_event(&removed))[0].is_created());
    }

    #[test]
    fn sqs_messages_with_s3_sns_and_test_events() {
        let batch = parse_invocation(&fixture("sqs-batch.json")).unwrap();
        assert!(batch.from_sqs);
        assert_eq!(batch.items.len(), 4);
        assert_eq!(batch.items[0].id.as_deref(), Some("msg-1"));
        assert_eq!(ok(&batch.items[0].objects)[0].key, "in/report 2024.csv");
        // The S3 test event names no object.
        assert!(ok(&batch.items[1].objects).is_empty());
        // An SNS envelope inside the SQS body.
        assert_eq!(ok(&batch.items[2].objects)[0].key, "in/via sns.csv");
        // A body that is not an event fails that message only.
        assert!(batch.items[3].objects.is_err());
    }

    #[test]
    fn sns_wrapped_s3_event() {
        let batch = parse_invocation(&fixture("sns-s3.json")).unwrap();
        let objects = ok(&batch.items[0].objects);
        assert_eq!(objects[0].key, "in/sns file.csv");
        assert_eq!(objects[0].bucket, "sluice-in");
    }

    #[test]
    fn eventbridge_object_created() {
        let batch = parse_invocation(&fixture("eventbridge-object-created.json")).unwrap();
        let o = &ok(&batch.items[0].objects)[0];
        assert_eq!(
            (o.bucket.as_str(), o.key.as_str()),
            ("sluice-in", "in/daily export.csv")
        );
        assert_eq!(o.name, "Object Created");
        assert!(o.is_created());
        assert_eq!(
            o.version.as_deref(),
            Some("IYV3p45BT0ac8hjHg1houSdS1a.Mro8e")
        );
        assert_eq!(o.time.as_deref(), Some("2026-11-21T08:30:00Z"));
    }

    #[test]
    fn fixtures_round_trip() {
        for name in [
            "s3-put-two-records.json",
            "sqs-batch.json",
            "sns-s3.json",
            "eventbridge-object-created.json",
        ] {
            let value = fixture(name);
            let again: Value =
                serde_json::from_str(&serde_json::to_string(&value).unwrap()).unwrap();
            assert_eq!(parse_invocation(&value), parse_invocation(&again), "{name}");
        }
    }

    #[test]
    fn unknown_shapes_are_errors() {
        assert!(parse_event(&json!({"hello": 1})).is_err());
        // A bad record fails alone; the good one beside it is read.
        let mixed = json!({"Records": [{"s3": {}},
            {"s3": {"bucket": {"name": "b"}, "object": {"key": "bad%zz.csv"}}},
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "ok.csv", "size": 12}}}]});
        let records = parse_event(&mixed).unwrap();
        assert!(records[0].as_ref().unwrap_err().contains("s3.bucket.name"));
        assert!(records[1].as_ref().unwrap_err().contains("bad escape"));
        assert_eq!(records[2].as_ref().unwrap().size, Some(12));
        assert!(parse_event(
            &json!({"detail-type": "Object Created", "source": "aws.ec2", "detail": {}})
        )
        .is_err());
    }
}
