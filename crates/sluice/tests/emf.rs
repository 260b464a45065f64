//! The rules of CloudWatch's embedded metric format, checked on one log
//! line. Shared by the unit tests of `src/metrics.rs` (through `#[path]`)
//! and the end-to-end tests, which check the real log of a run.

use serde_json::Value;

/// The units CloudWatch accepts (`StandardUnit`).
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Checks one EMF document: an `_aws` block with an integer millisecond
/// `Timestamp` and `CloudWatchMetrics` directives, each with a
/// `Namespace`, `Dimensions` (sets of at most 30 names, each a string at
/// the top level) and `Metrics` (at most 100, each named once, with a
/// valid `Unit`, its value a finite number at the top level). Returns the
/// metric names with their units, or the first broken rule.
pub fn check(doc: &Value) -> Result<Vec<(String, String)>, String> {
    let aws = doc.get("_aws").ok_or("no _aws block")?;
    let ts = aws.get("Timestamp").ok_or("_aws has no Timestamp")?;
    if !ts.is_u64() {
        return Err(format!("_aws.Timestamp {ts} is not integer milliseconds"));
    }
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .filter(|d| !d.is_empty())
        .ok_or("_aws.CloudWatchMetrics is not a non-empty array")?;
    let mut metrics = Vec::new();
    for d in directives {
        let ns = d["Namespace"].as_str().unwrap_or_default();
        if ns.trim().is_empty() || ns.len() > 1024 {
            return Err(format!("bad Namespace {}", d["Namespace"]));
        }
        check_dimensions(doc, &d["Dimensions"])?;
        metrics.extend(check_metrics(doc, &d["Metrics"])?);
    }
    Ok(metrics)
}

fn check_dimensions(doc: &Value, sets: &Value) -> Result<(), String> {
    let sets = sets.as_array().ok_or("Dimensions is not an array")?;
    for set in sets {
        let names = set.as_array().ok_or("a dimension set is not an array")?;
        if names.is_empty() || names.len() > 30 {
            return Err(format!("dimension set {set} has {} names", names.len()));
        }
        for name in names {
            let name = name.as_str().ok_or("a dimension name is not a string")?;
            match doc.get(name).and_then(Value::as_str) {
                Some(v) if !v.is_empty() => {}
                _ => {
                    return Err(format!(
                        "dimension {name} has no string value at the top level"
                    ))
                }
            }
        }
    }
    Ok(())
}

fn check_metrics(doc: &Value, defs: &Value) -> Result<Vec<(String, String)>, String> {
    let defs = defs.as_array().ok_or("Metrics is not an array")?;
    if defs.is_empty() || defs.len() > 100 {
        return Err(format!("{} metric definitions", defs.len()));
    }
    let mut seen = Vec::new();
    for def in defs {
        let name = def["Name"]
            .as_str()
            .filter(|n| !n.is_empty() && n.len() <= 1024);
        let name = name.ok_or_else(|| format!("bad metric Name in {def}"))?;
        let unit = def["Unit"]
            .as_str()
            .ok_or_else(|| format!("{name} has no Unit"))?;
        if !UNITS.contains(&unit) {
            return Err(format!("{name}: {unit} is not a CloudWatch unit"));
        }
        let value = doc.get(name).and_then(Value::as_f64);
        if !value.is_some_and(f64::is_finite) {
            return Err(format!("{name} has no numeric value at the top level"));
        }
        if seen.iter().any(|(n, _)| n == name) {
            return Err(format!("{name} is defined twice"));
        }
        seen.push((name.to_string(), unit.to_string()));
    }
    Ok(seen)
}

/// The EMF documents among a log's lines.
pub fn documents(log: &str) -> Vec<Value> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect()
}
