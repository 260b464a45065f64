//! The commit promise under injected faults, through the Lambda runtime
//! API and a fault-injecting proxy in front of moto: connections cut
//! mid-answer, `500 InternalError` and `503 SlowDown` on a share of all
//! requests, and CompleteMultipartUpload failing past the SDK's retries.
//! For the filter, the report and the load job alike, every run either
//! publishes the new version whole (outputs and manifest agreeing) or
//! leaves what was there before exactly as it was; a clean retry then
//! converges. The load's items are upserted as the rows stream, so they
//! are checked for what its manifest promises: published, every item is
//! of that version; failed, each is of the old or the new one, and none
//! is lost or doubled. The counts are printed per job and kind of fault.

use crate::aws_lambda::{bootstrap, get, keys, manifest, stack, stop, Stack};
use crate::aws_load::{items, n, s, table};
use crate::cli_report::HEADER;
use crate::fault_proxy::{FaultProxy, HttpFault};
use crate::util::{endpoint, files_under, filter_file, s3, sluice, TempDir};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Starts the proxy of one kind of fault.
type MakeProxy = Box<dyn Fn() -> FaultProxy>;

type Item = HashMap<String, AttributeValue>;

/// The events' time: the report's partition date.
const EVENT_TIME: &str = "2026-11-21T01:30:00.000Z";

/// A job the matrix runs, and what its runs publish.
enum Job {
    Filter,
    Report,
    /// Into this table.
    Load(String),
}

impl Job {
    fn name(&self) -> &'static str {
        match self {
            Job::Filter => "filter",
            Job::Report => "report",
            Job::Load(_) => "load",
        }
    }

    /// The destination prefix of its outputs and manifests.
    fn prefix(&self) -> &'static str {
        match self {
            Job::Filter => "filtered/",
            Job::Report => "reports/",
            Job::Load(_) => "loaded/",
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("SLUICE_JOB", self.name().to_string()),
            ("SLUICE_DEST_PREFIX", self.prefix().to_string()),
        ];
        if let Job::Load(table) = self {
            env.push(("SLUICE_TABLE", table.clone()));
        }
        env
    }

    /// Whether version `v` of object `i` has a rejected row: odd versions,
    /// and for the load every other object in each version (so that the
    /// last kind of fault, on even version 4, has uploads to fail).
    fn rejects(&self, i: usize, v: usize) -> bool {
        match self {
            Job::Load(_) => (i + v) % 2 == 1,
            _ => v % 2 == 1,
        }
    }

    /// Object `i` in version `v`: a few KB for the filter, a few dozen
    /// orders for the report, a dozen customers for the load.
    fn body(&self, i: usize, v: usize) -> Vec<u8> {
        let rejected = self.rejects(i, v);
        match self {
            Job::Filter => readings(i, v, rejected),
            Job::Report => orders(i, v, rejected),
            Job::Load(_) => customers(i, v, rejected),
        }
    }

    /// How many bytes of answers a connection passes before it is cut:
    /// into a source's body, or for the load, whose answers are small
    /// (DynamoDB's `{}` and a short source), into the first few answers.
    fn cut_after(&self) -> u64 {
        match self {
            Job::Load(_) => 200,
            _ => 1_500,
        }
    }

    /// Where object `i`'s rejects go.
    fn rejects_key(&self, i: usize) -> String {
        match self {
            Job::Report => format!("reports/_rejects/ingest_date=2026-11-21/{}.csv", stem(i)),
            _ => format!("{}_rejects/{}", self.prefix(), key(i)),
        }
    }

    /// The outputs version `v` of object `i` publishes, by key, with their
    /// bytes where the command line makes them for a local file.
    fn outputs(&self, i: usize, v: usize) -> BTreeMap<String, Option<Vec<u8>>> {
        let mut outputs = match self {
            Job::Filter => BTreeMap::from([(
                format!("filtered/{}", key(i)),
                Some(filter_file(&self.body(i, v))),
            )]),
            Job::Report => local_reports(&self.body(i, v), i),
            Job::Load(_) => BTreeMap::new(),
        };
        if self.rejects(i, v) {
            outputs.entry(self.rejects_key(i)).or_insert(None);
        }
        outputs
    }
}

fn key(i: usize) -> String {
    format!("in/k{i:02}.csv")
}

/// The name the reports of object `i` get: its key, `/` encoded.
fn stem(i: usize) -> String {
    key(i).trim_end_matches(".csv").replace('/', "%2F")
}

/// The filter's input: a rejected (short) row when asked.
fn readings(i: usize, v: usize, rejected: bool) -> Vec<u8> {
    let mut out = b"id,value\n".to_vec();
    for r in 0..150 + i {
        out.extend_from_slice(format!("{r},{}.{}\n", (r * (v + 3) + i) % 40, r % 10).as_bytes());
    }
    if rejected {
        out.extend_from_slice(b"short\n");
    }
    out
}

/// The report's input: every figure depends on the version; a rejected
/// row (a list price that is not a number) when asked.
fn orders(i: usize, v: usize, rejected: bool) -> Vec<u8> {
    let modes = ["Standard Class", "Second Class", "First Class", "Same Day"];
    let regions = ["West", "East", "Central", "South"];
    let categories = ["Furniture", "Technology", "Office Supplies"];
    let mut out = HEADER.to_string();
    for r in 0..12 + i {
        let (cost, list) = (40 + (r * 7 + v * 3) % 60, 110 + (r * 5 + i) % 90);
        out.push_str(&format!(
            "CA-{i}-{r},2023-09-05,{},Consumer,United States,Austin,Texas,78701,{},{},Chairs,P-{r},{cost},{list},{},{}\n",
            modes[(r + v) % 4],
            regions[(r + i + v) % 4],
            categories[(r + v) % 3],
            1 + (r + v) % 4,
            (r * v) % 20
        ));
    }
    if rejected {
        out.push_str("CA-x,2023-09-05,Second Class,Consumer,United States,Austin,Texas,78701,East,Furniture,Chairs,P-x,50,n/a,1,0\n");
    }
    out.into_bytes()
}

/// The rows of object `i` the load writes: their keys are its own.
fn load_rows(i: usize) -> usize {
    10 + i
}

/// The load's item of row `r` of object `i` in version `v`.
fn customer(i: usize, r: usize, v: usize) -> Item {
    HashMap::from([
        ("customer_id".to_string(), s(&format!("o{i:02}-{r:03}"))),
        ("v".to_string(), n(&v.to_string())),
        ("val".to_string(), n(&((r * (v + 3) + i) % 40).to_string())),
    ])
}

/// The load's input: a rejected row (an empty key) when asked.
fn customers(i: usize, v: usize, rejected: bool) -> Vec<u8> {
    let mut out = String::from("customer_id,v,val\n");
    for r in 0..load_rows(i) {
        let item = customer(i, r, v);
        let text = |name: &str| match &item[name] {
            AttributeValue::S(t) | AttributeValue::N(t) => t.clone(),
            other => panic!("{other:?}"),
        };
        out.push_str(&format!("{},{},{}\n", text("customer_id"), v, text("val")));
    }
    if rejected {
        out.push_str(&format!(",{v},0\n"));
    }
    out.into_bytes()
}

/// What `sluice report` writes for these bytes on the events' date, under
/// the keys the Lambda gives object `i`'s reports and rejects.
fn local_reports(body: &[u8], i: usize) -> BTreeMap<String, Option<Vec<u8>>> {
    let dir = TempDir::new(&crate::util::unique("fault-report"));
    let input = dir.file("in.csv", body);
    let out = dir.path().join("out");
    let run = sluice()
        .args(["report", "-q", "--ingest-date", "2026-11-21", "-o"])
        .arg(&out)
        .arg(input)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", crate::util::text(&run.stderr));
    let mut reports = BTreeMap::new();
    for path in files_under(&out) {
        let folder = path.parent().unwrap().strip_prefix(&out).unwrap();
        let key = format!("reports/{}/{}.csv", folder.display(), stem(i));
        reports.insert(key, Some(std::fs::read(path).unwrap()));
    }
    reports
}

/// The kinds of fault, scaled to a run of `objects` objects (40 cuts and
/// 60 failed completions for 50); connections are cut `after` bytes.
fn faults(objects: usize, after: u64) -> [(String, MakeProxy); 4] {
    let (cuts, completions) = (objects as u32 * 4 / 5, objects as u32 * 6 / 5);
    [
        (
            "connections cut mid-answer".into(),
            Box::new(move || FaultProxy::start(&endpoint(), after, cuts, None)),
        ),
        (
            "500 InternalError on 1 request in 5".into(),
            Box::new(|| FaultProxy::http(&endpoint(), Some(HttpFault::s3(500, 0.2)))),
        ),
        (
            "503 SlowDown on 1 request in 5".into(),
            Box::new(|| FaultProxy::http(&endpoint(), Some(HttpFault::s3(503, 0.2)))),
        ),
        (
            format!("CompleteMultipartUpload failing {completions} times"),
            Box::new(move || {
                let fault = HttpFault::s3(500, 1.0).on_line(&["POST ", "uploadId="], completions);
                FaultProxy::http(&endpoint(), Some(fault))
            }),
        ),
    ]
}

/// Uploads version `v` of each object; returns each one's ETag.
async fn upload(job: &Job, stack: &Stack, objects: usize, v: usize) -> Vec<String> {
    let s3 = s3().await;
    let mut etags = Vec::new();
    for i in 0..objects {
        let body = aws_sdk_s3::primitives::ByteStream::from(job.body(i, v));
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
fn invoke(job: &Job, stack: &Stack, objects: usize, endpoint: &str) -> String {
    let records: Vec<Value> = (0..objects)
        .map(|i| {
            json!({"eventName": "ObjectCreated:Put", "eventTime": EVENT_TIME,
                        "s3": {"bucket": {"name": stack.src}, "object": {"key": key(i)}}})
        })
        .collect();
    let mut env = job.env();
    env.push(("AWS_ENDPOINT_URL", endpoint.to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (mut child, api) = bootstrap(stack, vec![json!({ "Records": records })], &env);
    // Waits up to 5 minutes, unless the function ends without answering.
    let started = Instant::now();
    let answered = loop {
        if api.try_answer(Duration::from_millis(200)).is_some() {
            break true;
        }
        if child.try_wait().unwrap().is_some() {
            // An answer sent just before it ended is still taken.
            break api.try_answer(Duration::from_millis(200)).is_some();
        }
        if started.elapsed() > Duration::from_secs(300) {
            break false;
        }
    };
    let log = stop(child);
    assert!(answered, "no answer:\n{log}");
    log
}

/// The version whose outputs object `i` shows, and its manifest, checking
/// that they agree: the manifest's source is that version, it lists the
/// outputs that version publishes, each with the size and CRC-32 stored
/// and the bytes the command line makes, and a rejects object is there
/// exactly when it is listed. Panics on a mixed result.
async fn version_shown(
    job: &Job,
    stack: &Stack,
    i: usize,
    etags: &HashMap<String, usize>,
    all: &[String],
) -> (usize, Value) {
    let m = manifest(&stack.dst, job.prefix(), &key(i)).await;
    let etag = m["source"]["etag"].as_str().unwrap();
    let v = etags[etag];
    let prefix = format!("s3://{}/", stack.dst);
    let mut listed = Vec::new();
    for out in m["outputs"].as_array().unwrap() {
        let name = out["name"].as_str().unwrap().strip_prefix(&prefix).unwrap();
        let o = get(&stack.dst, name).await;
        assert_eq!(out["bytes"], o.body.len(), "{name}: {m}");
        assert_eq!(
            out["crc32"],
            format!("{:08x}", crc32fast::hash(&o.body)),
            "{name}: {m}"
        );
        listed.push(name.to_string());
    }
    let want = job.outputs(i, v);
    let wanted: Vec<&String> = want.keys().collect();
    listed.sort();
    assert_eq!(wanted, listed.iter().collect::<Vec<_>>(), "object {i}: {m}");
    for (name, bytes) in want.iter().filter_map(|(n, b)| Some((n, b.as_ref()?))) {
        let o = get(&stack.dst, name).await;
        assert!(o.body == *bytes, "object {i}: {name} and manifest disagree");
    }
    let rejects = job.rejects_key(i);
    let is_listed = listed.contains(&rejects);
    assert_eq!(
        all.contains(&rejects),
        is_listed,
        "object {i}: rejects and manifest disagree: {m}"
    );
    assert_eq!(
        is_listed,
        job.rejects(i, v),
        "object {i}: version {v}'s rejects"
    );
    (v, m)
}

/// The load's items of object `i` after a run of version `tried`, whose
/// manifest `m` shows version `now`: one per row, none lost or doubled;
/// each of version `now` once published, else of `now` or `tried` (the
/// rows written before the run failed). The manifest's counts agree.
fn check_items(job: &Job, all: &[Item], i: usize, now: usize, tried: usize, m: &Value) {
    let id = format!("o{i:02}-");
    let mine: Vec<&Item> = all
        .iter()
        .filter(|it| it["customer_id"].as_s().is_ok_and(|k| k.starts_with(&id)))
        .collect();
    assert_eq!(mine.len(), load_rows(i), "object {i}: items");
    for (r, item) in mine.into_iter().enumerate() {
        let of = |v| *item == customer(i, r, v);
        let ok = of(now) || (now != tried && of(tried));
        assert!(
            ok,
            "object {i}, row {r}: {item:?} after a run of version {tried} shown as {now}"
        );
    }
    let rejected = usize::from(job.rejects(i, now));
    assert_eq!(
        m["counts"],
        json!({"read": load_rows(i) + rejected, "selected": load_rows(i), "dropped": 0, "rejected": rejected}),
        "object {i}"
    );
}

/// What became of the runs of one kind of fault, or of all.
#[derive(Default)]
struct Tally {
    runs: usize,
    injected: u32,
    published: usize,
    kept: usize,
}

/// Checks every object after a run of version `v`; `shown` is what each
/// showed before, and becomes what it shows now.
async fn check_all(
    job: &Job,
    stack: &Stack,
    v: usize,
    etags: &HashMap<String, usize>,
    shown: &mut [usize],
    log: &str,
) -> Tally {
    let all = keys(&stack.dst).await;
    let items = match job {
        Job::Load(table) => items(table).await,
        _ => Vec::new(),
    };
    let mut tally = Tally::default();
    for (i, before) in shown.iter_mut().enumerate() {
        let (now, m) = version_shown(job, stack, i, etags, &all).await;
        assert!(
            now == v || now == *before,
            "object {i}: version {now} after a run for {v} from {before}\n{log}"
        );
        if let Job::Load(_) = job {
            check_items(job, &items, i, now, v, &m);
        }
        tally.runs += 1;
        if now == v {
            tally.published += 1
        } else {
            tally.kept += 1
        }
        *before = now;
    }
    tally
}

/// Runs `job` on `objects` objects under every kind of fault, one new
/// version each, then once more without faults; checks every object
/// after every run and prints what was injected and survived.
async fn matrix(job: Job, objects: usize) {
    let stack = stack(30).await;
    let name = job.name();
    let mut etags = HashMap::new();
    let mut shown = vec![0; objects];
    for e in upload(&job, &stack, objects, 0).await {
        etags.insert(e, 0);
    }
    invoke(&job, &stack, objects, &endpoint());
    let mut total = Tally::default();
    for (k, (what, proxy)) in faults(objects, job.cut_after()).iter().enumerate() {
        let v = k + 1;
        for e in upload(&job, &stack, objects, v).await {
            etags.insert(e, v);
        }
        let (proxy, started) = (proxy(), Instant::now());
        let log = invoke(&job, &stack, objects, &proxy.url);
        let secs = started.elapsed().as_secs_f64();
        let t = check_all(&job, &stack, v, &etags, &mut shown, &log).await;
        if std::env::var_os("DEBUG_FAULTS").is_some() {
            eprintln!("{log}");
        }
        let injected = proxy.injected();
        println!("{name}, {what}: {injected} faults injected, {} runs in {secs:.1} s: {} published whole, {} failed leaving the previous result, 0 mixed", t.runs, t.published, t.kept);
        assert!(injected > 0, "{name}, {what}: no fault was injected");
        total.runs += t.runs;
        total.injected += injected;
        total.published += t.published;
        total.kept += t.kept;
    }
    // The retries of the failed events, without faults, converge.
    invoke(&job, &stack, objects, &endpoint());
    let last = check_all(&job, &stack, 4, &etags, &mut shown, "").await;
    assert_eq!(last.published, objects, "after the retry: {shown:?}");
    println!("{name} fault matrix: {} faults injected over {} runs: {} published whole, {} left the previous result, 0 lost, duplicated or mixed; a clean retry converged all {objects}", total.injected, total.runs, total.published, total.kept);
    assert_eq!(total.runs, 4 * objects);
}

#[tokio::test(flavor = "current_thread")]
async fn every_run_under_faults_publishes_whole_or_leaves_the_previous_result() {
    matrix(Job::Filter, 50).await;
}

#[tokio::test(flavor = "current_thread")]
async fn every_report_run_under_faults_publishes_whole_or_leaves_the_previous_result() {
    matrix(Job::Report, 6).await;
}

#[tokio::test(flavor = "current_thread")]
async fn every_load_run_under_faults_commits_only_whole_loads() {
    matrix(Job::Load(table(("customer_id", "S"), None).await), 8).await;
}
