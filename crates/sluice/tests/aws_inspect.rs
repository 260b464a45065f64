//! The inspect job against moto's S3: `sluice inspect s3://...` and the
//! Lambda `bootstrap` with `SLUICE_JOB=inspect`.

use crate::cli_inspect::gzip;
use crate::runtime_api::RuntimeApi;
use crate::util::{boto3, s3, sluice, text, unique, with_aws, TempDir};
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::Duration;

const CSV: &str = "city,temp_c,rain_mm\nOslo,-3.5,0\n\"Bergen, NO\",7,12.25\nTromsø,-11,\n";

/// A versioned bucket holding `in/weather.csv` (metadata, content type and
/// a SHA-256 checksum set at upload, as users' tools do) and
/// `in/weather-gz.csv`, gzip-compressed with `Content-Encoding: gzip`.
async fn bucket_with_uploads(dir: &TempDir) -> String {
    let bucket = unique("inspect");
    let s3 = s3().await;
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let plain = dir.file("weather.csv", CSV);
    let packed = dir.file("weather.csv.gz", gzip(CSV.as_bytes()));
    boto3(
        "s3.put_object(Bucket=sys.argv[1], Key='in/weather.csv', Body=open(sys.argv[2], 'rb').read(),\n\
         ContentType='text/csv; charset=utf-8', Metadata={'uploaded-by': 'station-7', 'batch': '42'},\n\
         ChecksumAlgorithm='SHA256')\n\
         s3.put_object(Bucket=sys.argv[1], Key='in/weather-gz.csv', Body=open(sys.argv[3], 'rb').read(),\n\
         ContentType='text/csv', ContentEncoding='gzip')",
        &[&bucket, plain.to_str().unwrap(), packed.to_str().unwrap()],
    );
    bucket
}

fn inspect_s3(args: &[&str]) -> Value {
    let mut cmd = sluice();
    let out = with_aws(&mut cmd)
        .arg("inspect")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn assert_weather(csv: &Value) {
    assert_eq!(csv["is_csv"], true, "{csv}");
    assert_eq!(csv["header"], json!(["city", "temp_c", "rain_mm"]));
    assert_eq!(csv["rows"], 3);
    assert_eq!(csv["field_counts"], json!({"3": 3}));
    let temp = &csv["columns"][1];
    assert_eq!((&temp["min"], &temp["max"]), (&json!("-11"), &json!("7")));
    assert_eq!(csv["columns"][2]["non_empty"], 2);
}

#[tokio::test(flavor = "current_thread")]
async fn an_s3_object_reads_back_its_upload_facts() {
    let dir = TempDir::new("inspect-s3");
    let bucket = bucket_with_uploads(&dir).await;
    let url = format!("s3://{bucket}/in/weather.csv");
    let doc = inspect_s3(&[&url]);
    let object = &doc["object"];
    assert_eq!(object["url"], url);
    assert_eq!(
        (&object["bucket"], &object["key"]),
        (&json!(bucket), &json!("in/weather.csv"))
    );
    assert_eq!(object["size"], CSV.len());
    assert_eq!(object["content_type"], "text/csv; charset=utf-8");
    assert_eq!(
        object["metadata"],
        json!({"batch": "42", "uploaded-by": "station-7"})
    );
    assert!(
        object["version_id"].as_str().is_some_and(|v| !v.is_empty()),
        "{object}"
    );
    assert!(
        object["etag"].as_str().is_some_and(|t| !t.contains('"')),
        "{object}"
    );
    assert!(object["last_modified"].as_str().unwrap().ends_with('Z'));
    assert_eq!(object["storage_class"], "STANDARD");
    assert!(object["checksum"]["sha256"].is_string(), "{object}");
    assert_weather(&doc["csv"]);
    // --no-scan: the same object facts from the HEAD alone.
    let head_only = inspect_s3(&["--no-scan", &url]);
    assert_eq!(head_only["object"], doc["object"]);
    assert_eq!(head_only["csv"], Value::Null);
}

#[tokio::test(flavor = "current_thread")]
async fn a_gzip_encoded_object_is_read_through() {
    let dir = TempDir::new("inspect-s3gz");
    let bucket = bucket_with_uploads(&dir).await;
    let doc = inspect_s3(&[&format!("s3://{bucket}/in/weather-gz.csv")]);
    assert_eq!(doc["object"]["content_encoding"], "gzip");
    assert_eq!(doc["csv"]["compression"], "gzip");
    assert_eq!(doc["csv"]["bytes"], CSV.len());
    assert_weather(&doc["csv"]);
}

#[test]
fn a_missing_object_is_an_error_naming_it() {
    let mut cmd = sluice();
    let out = with_aws(&mut cmd)
        .args(["inspect", "s3://no-such-bucket-here/a.csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("s3://no-such-bucket-here/a.csv"), "{err}");
}

/// Runs the binary as Lambda's `bootstrap` with the inspect job on one
/// direct S3 event for `keys`; returns the answer and the log.
fn run_bootstrap(bucket: &str, keys: &[&str], env: &[(&str, &str)]) -> (Value, String) {
    let records: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({"eventName": "ObjectCreated:Put",
                        "s3": {"bucket": {"name": bucket}, "object": {"key": k.replace(' ', "+")}}})
        })
        .collect();
    let api = RuntimeApi::serve(vec![json!({ "Records": records })]);
    let mut cmd = sluice();
    with_aws(&mut cmd)
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "sluice")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("SLUICE_JOB", "inspect")
        .env("SLUICE_SOURCE_BUCKET", bucket)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let answer = api.answer(Duration::from_secs(60));
    let _ = child.kill();
    let log = text(&child.wait_with_output().unwrap().stderr);
    assert_eq!(answer.kind, "response", "{log}");
    (answer.body, log)
}

#[tokio::test(flavor = "current_thread")]
async fn the_lambda_writes_each_document_beside_the_source_key() {
    let dir = TempDir::new("inspect-lambda");
    let bucket = bucket_with_uploads(&dir).await;
    let dest = unique("inspected");
    let s3 = s3().await;
    s3.create_bucket().bucket(&dest).send().await.unwrap();
    let env = [
        ("SLUICE_DEST_BUCKET", dest.as_str()),
        ("SLUICE_DEST_PREFIX", "facts/"),
    ];
    let (answer, log) = run_bootstrap(&bucket, &["in/weather.csv", "in/weather-gz.csv"], &env);
    assert_eq!(answer, json!({"processed": 2, "skipped": 0}), "{log}");
    for key in ["in/weather.csv", "in/weather-gz.csv"] {
        let out = s3
            .get_object()
            .bucket(&dest)
            .key(format!("facts/{key}.json"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("facts/{key}.json: {e:?}\n{log}"));
        assert_eq!(out.content_type(), Some("application/json"));
        assert_eq!(out.metadata().unwrap()["sluice-source-key"], key);
        let body = out.body.collect().await.unwrap().into_bytes();
        let doc: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["object"]["key"], key);
        assert_weather(&doc["csv"]);
    }
    // The same document in the object's log line.
    let line = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "processed" && l["key"] == "in/weather.csv")
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(line["job"], "inspect");
    assert_eq!(
        line["output"],
        format!("s3://{dest}/facts/in/weather.csv.json")
    );
    assert_eq!(line["inspection"]["object"]["metadata"]["batch"], "42");
    assert_eq!(line["rows"], 3);
    // Cell values stay out of the log; the document written keeps them.
    let logged = &line["inspection"]["csv"]["columns"];
    assert!(
        logged
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("min").is_none() && c.get("max").is_none()),
        "{logged}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn without_a_destination_the_lambda_only_logs() {
    let dir = TempDir::new("inspect-logonly");
    let bucket = bucket_with_uploads(&dir).await;
    let (answer, log) = run_bootstrap(&bucket, &["in/weather.csv"], &[]);
    assert_eq!(answer, json!({"processed": 1, "skipped": 0}), "{log}");
    let line = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "processed")
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(line["inspection"]["csv"]["rows"], 3);
    assert_eq!(line["output"], "");
    // Asked for, the values are logged too.
    let (_, log) = run_bootstrap(
        &bucket,
        &["in/weather.csv"],
        &[("SLUICE_LOG_VALUES", "true")],
    );
    let line = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "processed")
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        line["inspection"]["csv"]["columns"][0].get("min").is_some(),
        "{log}"
    );
}

#[test]
fn the_filter_still_needs_a_destination() {
    let mut cmd = sluice();
    let out = with_aws(&mut cmd)
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env("SLUICE_JOB", "filter")
        .env_remove("SLUICE_DEST_BUCKET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("SLUICE_DEST_BUCKET"),
        "{}",
        text(&out.stderr)
    );
}
