use super::*;
use sluice_engine::Counts;

#[path = "../../tests/emf.rs"]
#[allow(dead_code)] // documents() is for the end-to-end tests
mod emf;

fn metrics() -> Metrics {
    Metrics {
        namespace: "Sluice".into(),
        service: "sluice-filter".into(),
        job: "filter".into(),
    }
}

fn summary() -> Summary {
    Summary {
        counts: Counts {
            rows: 10,
            selected: 6,
            dropped: 3,
            rejected: 1,
        },
        bytes_in: 4_000_000,
        bytes_out: 2_000_000,
        seconds: 1.5,
        ..Summary::default()
    }
}

fn figures(fate: Fate<'_>) -> ObjectFigures<'_> {
    ObjectFigures {
        fate,
        duration_ms: 2000,
        lag_ms: Some(61_000),
    }
}

#[test]
fn a_processed_object_is_one_valid_emf_line_with_every_figure() {
    let s = summary();
    let context = json!({"request_id": "r-1", "bucket": "raw", "key": "in/a.csv"});
    let doc = metrics().object_line(&figures(Fate::Processed(&s)), &context, 1_700_000_000_000);
    let names = emf::check(&doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
    assert_eq!(names.len(), 14, "{names:?}");
    assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000u64);
    assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Sluice");
    assert_eq!(
        doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Service", "Job"]])
    );
    assert_eq!(
        (doc["Service"].as_str(), doc["Job"].as_str()),
        (Some("sluice-filter"), Some("filter"))
    );
    for (name, value) in [
        ("RowsRead", 10.0),
        ("RowsSelected", 6.0),
        ("RowsDropped", 3.0),
        ("RowsRejected", 1.0),
        ("BytesIn", 4e6),
        ("BytesOut", 2e6),
        ("Duration", 2000.0),
        ("Throughput", 2e6),
        ("Lag", 61_000.0),
        ("ObjectsProcessed", 1.0),
        ("ObjectsFailed", 0.0),
        ("ObjectsSuperseded", 0.0),
    ] {
        assert_eq!(doc[name].as_f64(), Some(value), "{name}");
    }
    assert_eq!(doc["key"], "in/a.csv", "the context stays searchable");
}

#[test]
fn other_fates_count_once_and_carry_no_row_figures() {
    for (fate, counted) in [
        (Fate::Superseded, "ObjectsSuperseded"),
        (Fate::Failed, "ObjectsFailed"),
        (Fate::Forwarded, "ObjectsForwarded"),
        (Fate::Skipped, "ObjectsSkipped"),
    ] {
        let doc = metrics().object_line(&figures(fate), &json!({}), 1);
        let names = emf::check(&doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
        assert_eq!(doc[counted], 1.0, "{doc}");
        let ones = names.iter().filter(|(n, _)| doc[n.as_str()] == 1.0).count();
        assert_eq!(ones, 1, "exactly one fate: {doc}");
        assert!(
            doc.get("RowsRead").is_none() && doc.get("Lag").is_none(),
            "{doc}"
        );
    }
}

#[test]
fn an_invocation_line_counts_objects_and_failures() {
    let doc = metrics().line(
        &[("InvocationObjects", 3.0), ("InvocationFailures", 1.0)],
        &json!({"request_id": "r-2"}),
        5,
    );
    let names = emf::check(&doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
    assert_eq!(names.len(), 2);
    assert_eq!(
        (
            doc["InvocationObjects"].as_f64(),
            doc["InvocationFailures"].as_f64()
        ),
        (Some(3.0), Some(1.0))
    );
}

/// Every name in METRICS is emitted by some line, and no line emits a name
/// outside it: the list the Terraform checks read is the code's.
#[test]
fn the_metric_list_is_exactly_what_is_emitted() {
    let s = summary();
    let mut emitted: Vec<(String, String)> = Vec::new();
    for fate in [
        Fate::Processed(&s),
        Fate::Superseded,
        Fate::Failed,
        Fate::Forwarded,
        Fate::Skipped,
    ] {
        emitted.extend(emf::check(&metrics().object_line(&figures(fate), &json!({}), 1)).unwrap());
    }
    let invocation = [("InvocationObjects", 1.0), ("InvocationFailures", 0.0)];
    emitted.extend(emf::check(&metrics().line(&invocation, &json!({}), 1)).unwrap());
    emitted.sort();
    emitted.dedup();
    let mut listed: Vec<(String, String)> = METRICS
        .iter()
        .map(|(n, u)| (n.to_string(), u.to_string()))
        .collect();
    listed.sort();
    assert_eq!(emitted, listed);
}

#[test]
fn the_checker_refuses_broken_lines() {
    let s = summary();
    let good = metrics().object_line(&figures(Fate::Processed(&s)), &json!({}), 1);
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut doc = good.clone();
        f(&mut doc);
        emf::check(&doc).is_err()
    };
    assert!(broken(&|d| drop(d.as_object_mut().unwrap().remove("_aws"))));
    assert!(broken(&|d| d["_aws"]["Timestamp"] = json!("now")));
    assert!(broken(&|d| drop(
        d.as_object_mut().unwrap().remove("RowsRead")
    )));
    assert!(broken(&|d| d["Service"] = json!(1)));
    assert!(broken(
        &|d| d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Rows")
    ));
    assert!(broken(
        &|d| d["_aws"]["CloudWatchMetrics"][0]["Namespace"] = json!(" ")
    ));
}

#[test]
fn lag_runs_from_the_event_time() {
    let lag = lag_ms(Some("2000-01-01T00:00:00Z")).unwrap();
    assert!(lag > 25 * 365 * 86_400_000, "{lag}");
    assert_eq!(lag_ms(Some("2999-01-01T00:00:00Z")), Some(0));
    assert_eq!(lag_ms(Some("yesterday")), None);
    assert_eq!(lag_ms(None), None);
}
