//! The commit promise under injected faults, through the Lambda runtime
//! API and a fault-injecting proxy in front of moto: connections cut
//! mid-answer, `500 InternalError` and `503 SlowDown` on a share of all
//! requests, and CompleteMultipartUpload failing past the SDK's retries.
//! Every run either publishes the new version whole (result, rejects and
//! manifest agreeing) or leaves what was there before exactly as it was;
//! a clean retry then converges. The counts are printed.

use crate::aws_lambda::{bootstrap, get, keys, manifest, stack, stop, Stack};
use crate::fault_proxy::{FaultProxy, HttpFault};
use crate::util::{endpoint, filter_file, s3};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const OBJECTS: usize = 50;

/// Starts the proxy of one kind of fault.
type MakeProxy = Box<dyn Fn() -> FaultProxy>;

/// Object `i` in version `v`: a few KB, and a rejected row in odd versions.
fn body(i: usize, v: usize) -> Vec<u8> {
    let mut out = b"id,value\n".to_vec();
    for r in 0..150 + i {
        out.extend_from_slice(format!("{r},{}.{}\n", (r * (v + 3) + i) % 40, r % 10).as_bytes());
    }
    if v % 2 == 1 {
        out.extend_from_slice(b"short\n");
    }
    out
}

fn key(i: usize) -> String {
    format!("in/k{i:02}.csv")
}

/// Uploads version `v` of every object; returns each one's ETag.
async fn upload(stack: &Stack, v: usize) -> Vec<String> {
    let s3 = s3().await;
    let mut etags = Vec::new();
    for i in 0..OBJECTS {
        let body = aws_sdk_s3::primitives::ByteStream::from(body(i, v));
        let out = s3
            .put_object()
            .bucket(&stack.src)
            .key(key(i))
            .body(body)
            .send()
            .await
            .unwrap();
        etags.push(out.e_tag().unwrap().trim_matches('"').to_string());
    }
    etags
}

/// One invocation with a direct event naming every object.
fn invoke(stack: &Stack, endpoint: &str) -> String {
    let records: Vec<Value> = (0..OBJECTS)
        .map(|i| {
            json!({"eventName": "ObjectCreated:Put",
                        "s3": {"bucket": {"name": stack.src}, "object": {"key": key(i)}}})
        })
        .collect();
    let env = [("AWS_ENDPOINT_URL", endpoint)];
    let (child, api) = bootstrap(stack, vec![json!({ "Records": records })], &env);
    let answered = api.try_answer(Duration::from_secs(300)).is_some();
    let log = stop(child);
    assert!(answered, "no answer in 5 minutes:\n{log}");
    log
}

/// The version whose outputs object `i` shows, checking that they agree:
/// the manifest's source is that version, the result is its filter, each
/// output listed has the listed size and CRC-32, and a rejects object is
/// there exactly when the manifest lists one. Panics on a mixed result.
async fn version_shown(
    stack: &Stack,
    i: usize,
    etags: &HashMap<String, usize>,
    all: &[String],
) -> usize {
    let m = manifest(&stack.dst, "filtered/", &key(i)).await;
    let etag = m["source"]["etag"].as_str().unwrap();
    let v = etags[etag];
    let prefix = format!("s3://{}/", stack.dst);
    for out in m["outputs"].as_array().unwrap() {
        let name = out["name"].as_str().unwrap().strip_prefix(&prefix).unwrap();
        let o = get(&stack.dst, name).await;
        assert_eq!(out["bytes"], o.body.len(), "{name}: {m}");
        assert_eq!(
            out["crc32"],
            format!("{:08x}", crc32fast::hash(&o.body)),
            "{name}: {m}"
        );
    }
    let result = get(&stack.dst, &format!("filtered/{}", key(i))).await;
    assert_eq!(
        result.body,
        filter_file(&body(i, v)),
        "object {i}: result and manifest disagree"
    );
    let rejects = format!("filtered/_rejects/{}", key(i));
    let listed = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["role"] == "rejects");
    assert_eq!(
        all.contains(&rejects),
        listed,
        "object {i}: rejects and manifest disagree: {m}"
    );
    assert_eq!(listed, v % 2 == 1, "object {i}: version {v}'s rejects");
    v
}

#[tokio::test(flavor = "current_thread")]
async fn every_run_under_faults_publishes_whole_or_leaves_the_previous_result() {
    let stack = stack(30).await;
    let mut etags = HashMap::new();
    let mut shown = vec![0; OBJECTS];
    for e in upload(&stack, 0).await {
        etags.insert(e, 0);
    }
    invoke(&stack, &endpoint());
    let faults: [(&str, MakeProxy); 4] = [
        (
            "connections cut mid-answer",
            Box::new(|| FaultProxy::start(&endpoint(), 1_500, 40, None)),
        ),
        (
            "500 InternalError on 1 request in 5",
            Box::new(|| FaultProxy::http(&endpoint(), Some(HttpFault::s3(500, 0.2)))),
        ),
        (
            "503 SlowDown on 1 request in 5",
            Box::new(|| FaultProxy::http(&endpoint(), Some(HttpFault::s3(503, 0.2)))),
        ),
        (
            "CompleteMultipartUpload failing 60 times",
            Box::new(|| {
                FaultProxy::http(
                    &endpoint(),
                    Some(HttpFault::s3(500, 1.0).on_line(&["POST ", "uploadId="], 60)),
                )
            }),
        ),
    ];
    let (mut runs, mut injected, mut published, mut kept) = (0, 0, 0, 0);
    for (k, (what, proxy)) in faults.iter().enumerate() {
        let v = k + 1;
        for e in upload(&stack, v).await {
            etags.insert(e, v);
        }
        let proxy = proxy();
        let log = invoke(&stack, &proxy.url);
        let all = keys(&stack.dst).await;
        let (mut new, mut old) = (0, 0);
        for (i, before) in shown.iter_mut().enumerate() {
            let now = version_shown(&stack, i, &etags, &all).await;
            assert!(
                now == v || now == *before,
                "object {i}: version {now} after a run for {v} from {before}\n{log}"
            );
            if now == v {
                new += 1
            } else {
                old += 1
            }
            *before = now;
        }
        if std::env::var_os("DEBUG_FAULTS").is_some() {
            eprintln!("{log}");
        }
        println!("{what}: {} faults injected, {OBJECTS} runs: {new} published whole, {old} failed leaving the previous result, 0 mixed", proxy.injected());
        assert!(proxy.injected() > 0, "{what}: no fault was injected");
        (runs, injected, published, kept) = (
            runs + OBJECTS,
            injected + proxy.injected(),
            published + new,
            kept + old,
        );
    }
    // The retries of the failed events, without faults, converge.
    invoke(&stack, &endpoint());
    let all = keys(&stack.dst).await;
    for i in 0..OBJECTS {
        assert_eq!(
            version_shown(&stack, i, &etags, &all).await,
            4,
            "object {i} after the retry"
        );
    }
    println!("fault matrix: {injected} faults injected over {runs} runs: {published} published whole, {kept} left the previous result, 0 lost, duplicated or mixed; a clean retry converged all {OBJECTS}");
    assert!(runs >= 200);
}
