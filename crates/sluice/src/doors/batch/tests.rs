use super::*;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../testdata/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn schema_1_0_names_the_bucket_by_arn_and_url_encodes_the_key() {
    let payload = fixture("batch-operations-1.0.json");
    assert!(is_invocation(&payload));
    let inv = parse(&payload).unwrap();
    assert_eq!(inv.schema, "1.0");
    assert_eq!(
        inv.invocation_id,
        "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo"
    );
    assert_eq!(
        inv.job_id.as_deref(),
        Some("f3cc4f60-61f6-4a2b-8a21-d07600c373ce")
    );
    let task = &inv.tasks[0];
    assert_eq!(task.id, "dGFza2lkZ29lc2hlcmUK");
    let o = task.object.as_ref().unwrap();
    assert_eq!(o.bucket, "sluice-in");
    assert_eq!(o.key, "exports/2023/daily export (1).csv");
    assert_eq!(
        o.version.as_deref(),
        Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
    );
    assert!(o.is_created());
}

#[test]
fn schema_2_0_names_the_bucket_and_sends_the_key_as_it_is() {
    let inv = parse(&fixture("batch-operations-2.0.json")).unwrap();
    assert_eq!(inv.schema, "2.0");
    assert_eq!(inv.user_arguments["requestedBy"], "backfill-2023");
    let o = inv.tasks[0].object.as_ref().unwrap();
    assert_eq!(o.bucket, "sluice-in");
    // A `+` and spaces stay as they are: 2.0 keys are not encoded.
    assert_eq!(o.key, "exports/2023/daily export a+b (1).csv");
    assert_eq!(o.version, None);
}

#[test]
fn fixtures_round_trip() {
    for name in ["batch-operations-1.0.json", "batch-operations-2.0.json"] {
        let value = fixture(name);
        let again: Value = serde_json::from_str(&serde_json::to_string(&value).unwrap()).unwrap();
        assert_eq!(parse(&value), parse(&again), "{name}");
        // The answer carries the invocation's schema and id, one result per task.
        let inv = parse(&value).unwrap();
        let results: Vec<TaskResult> = inv
            .tasks
            .iter()
            .map(|t| failure(&t.id, Retry::Temporary, "SlowDown"))
            .collect();
        let a = answer(&inv, &results);
        assert_eq!(
            a["invocationSchemaVersion"],
            value["invocationSchemaVersion"]
        );
        assert_eq!(a["invocationId"], value["invocationId"]);
        assert_eq!(a["treatMissingKeysAs"], "PermanentFailure");
        assert_eq!(a["results"][0]["taskId"], value["tasks"][0]["taskId"]);
        assert_eq!(a["results"][0]["resultCode"], "TemporaryFailure");
    }
}

#[test]
fn a_task_without_an_object_fails_alone_and_permanently() {
    let payload = json!({"invocationSchemaVersion": "2.0", "invocationId": "i", "job": {"id": "j"},
        "tasks": [{"taskId": "a", "s3Key": "k.csv"},
                  {"taskId": "b", "s3Bucket": "b", "s3Key": "k.csv", "s3VersionId": null}]});
    let inv = parse(&payload).unwrap();
    assert!(inv.tasks[0]
        .object
        .as_ref()
        .unwrap_err()
        .contains("s3Bucket"));
    assert!(inv.tasks[1].object.is_ok());
    let bad = json!({"invocationSchemaVersion": "3.0", "invocationId": "i", "tasks": []});
    assert!(parse(&bad).unwrap_err().contains("3.0"));
    assert!(!is_invocation(&json!({"Records": []})));
}

#[test]
fn errors_become_result_codes_in_one_place() {
    use crate::adapters::retry::AwsError;
    let slow = anyhow::Error::new(AwsError {
        message: "s3://b/k: cannot read: SlowDown".into(),
        retry: Retry::Temporary,
    });
    assert_eq!(task_result("t", &Err(slow)).code, "TemporaryFailure");
    let binary = anyhow::anyhow!("s3://b/k: not a CSV");
    let r = task_result("t", &Err(binary));
    assert_eq!(
        (r.code, r.text.as_str()),
        ("PermanentFailure", "s3://b/k: not a CSV")
    );
    let skipped = task_result(
        "t",
        &Ok(Outcome::Skipped("key does not end with \".csv\"".into())),
    );
    assert_eq!(skipped.code, "Succeeded");
}

#[test]
fn result_strings_are_short() {
    let long = "é".repeat(1000);
    let s = short(&long);
    assert!(s.len() <= RESULT_STRING_BYTES && s.ends_with("..."));
    assert_eq!(short("ok"), "ok");
}
