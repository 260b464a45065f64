//! The report job at the doors: one input in, three partitioned CSV
//! reports out, Hive style, so Athena reads each report as a table:
//! `{prefix}{report}/ingest_date=YYYY-MM-DD/{stem}.csv`. The date is the
//! event's (or the file's modification date), never the clock's, so a
//! repeated event rewrites the same objects.

use crate::io::{Input, Output};
use crate::run::{count_entries, run_to_commit, JobSpec, Rejects, Report, Sink};
use crate::s3;
use sluice_engine::{Engine, OrderReports, ReportOptions};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// Names the outputs of one source: its ingest date and file stem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The source's name without its suffix, `/` and `%` percent-encoded.
    pub stem: String,
}

impl Partition {
    /// Where report `name` goes, relative to the reports' prefix.
    pub fn report_key(&self, name: &str) -> String {
        format!("{name}/ingest_date={}/{}.csv", self.date, self.stem)
    }

    /// Where the rejected rows go, relative to the rejects' prefix.
    pub fn rejects_key(&self) -> String {
        format!("ingest_date={}/{}.csv", self.date, self.stem)
    }
}

/// A folder or an S3 prefix that outputs are written under.
pub enum Place {
    Dir(PathBuf),
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
    },
}

impl Place {
    fn output(&self, rel: &str, metadata: HashMap<String, String>) -> anyhow::Result<Output> {
        match self {
            Place::Dir(dir) => Output::create(Some(&dir.join(rel))),
            Place::S3 {
                client,
                bucket,
                prefix,
            } => Ok(Output::S3(s3::Writer::new(
                client,
                bucket,
                &format!("{prefix}{rel}"),
                metadata,
            ))),
        }
    }

    /// The name of `rel` under this place, for messages and logs.
    pub fn name(&self, rel: &str) -> String {
        match self {
            Place::Dir(dir) => dir.join(rel).display().to_string(),
            Place::S3 { bucket, prefix, .. } => s3::url(bucket, &format!("{prefix}{rel}")),
        }
    }
}

/// What a report run wrote.
pub struct Written {
    pub report: Report,
    /// The reports' names (paths or `s3://` URLs), then the rejects' if any.
    pub outputs: Vec<String>,
}

/// Runs the report job over `input` and writes the three reports under
/// `reports`, the rejected rows (if any) under `rejects`; a stale rejects
/// output from an earlier run of the same source is removed. Nothing is
/// written unless the whole input was read: the reports are written after
/// the last row, and the rejects stream is committed after them.
pub async fn run(
    spec: &JobSpec,
    options: &ReportOptions,
    input: &mut Input,
    (reports, rejects): (&Place, &Place),
    partition: &Partition,
    metadata: HashMap<String, String>,
) -> anyhow::Result<Written> {
    let rejects_key = partition.rejects_key();
    let rejects_out = Rejects::To(rejects.output(&rejects_key, metadata.clone())?);
    let engine = Engine::new(spec.dialect.clone(), OrderReports::new(options.clone()));
    let sink = Reports {
        place: reports,
        partition,
        metadata,
    };
    let (report, mut outputs, _) = run_to_commit(engine, input, sink, rejects_out, false).await?;
    if report.counts.rejected > 0 {
        outputs.push(rejects.name(&rejects_key));
    }
    Ok(Written { report, outputs })
}

/// The three reports of one source, written whole once the input is read.
struct Reports<'a> {
    place: &'a Place,
    partition: &'a Partition,
    metadata: HashMap<String, String>,
}

impl Sink<OrderReports> for Reports<'_> {
    /// The reports' names.
    type Done = Vec<String>;

    async fn take(&mut self, _: &mut Engine<OrderReports>, _: &mut Vec<u8>) -> anyhow::Result<u64> {
        // Nothing streams: the reports exist once every row is counted.
        Ok(0)
    }

    async fn commit(
        self,
        engine: &Engine<OrderReports>,
        report: &mut Report,
    ) -> anyhow::Result<Vec<String>> {
        let mut outputs = Vec::new();
        for (name, csv) in engine.job().reports() {
            let key = self.partition.report_key(name);
            write_whole(self.place, &key, &csv, &self.metadata, report).await?;
            report.bytes_out += csv.len() as u64;
            outputs.push(self.place.name(&key));
        }
        Ok(outputs)
    }

    async fn abort(self) {}
}

/// Writes one small output whole, with the run's counts as metadata.
async fn write_whole(
    place: &Place,
    rel: &str,
    bytes: &[u8],
    metadata: &HashMap<String, String>,
    report: &Report,
) -> anyhow::Result<()> {
    let mut out = place.output(rel, metadata.clone())?;
    if let Err(e) = out.write(bytes).await {
        out.abort().await;
        return Err(e);
    }
    out.add_final_metadata(count_entries(&report.counts));
    out.commit().await
}

/// The stem naming a source's outputs: `key` without `prefix` and
/// `suffix` (or, without that suffix, its last extension), with `%` and
/// `/` percent-encoded so that sources in different folders never share
/// outputs: `in/2026/orders.csv` → `in%2F2026%2Forders`.
pub fn stem(key: &str, prefix: &str, suffix: &str) -> String {
    let rel = key.strip_prefix(prefix).unwrap_or(key);
    let base = match rel.strip_suffix(suffix) {
        Some(base) if !suffix.is_empty() && !base.is_empty() => base,
        _ => {
            let name_start = rel.rfind('/').map_or(0, |p| p + 1);
            match rel[name_start..].rfind('.') {
                Some(dot) if dot > 0 => &rel[..name_start + dot],
                _ => rel,
            }
        }
    };
    base.replace('%', "%25").replace('/', "%2F")
}

/// The UTC date of a time: `YYYY-MM-DD`.
pub fn date_of(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64) - 1,
    };
    let (y, m, d) = crate::log::civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The UTC date of an RFC 3339 timestamp (`2026-11-21T23:30:00-02:00` →
/// `2026-11-22`); `None` when it is not one.
pub fn date_of_rfc3339(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let minutes = num(11..13)? * 60 + num(14..16)?;
    let zone = text[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match zone.as_bytes() {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let off = num(text.len() - 5..text.len() - 3)? * 60 + num(text.len() - 2..text.len())?;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || minutes >= 24 * 60 {
        return None;
    }
    let days = days_from_civil(year, month, day) + (minutes - offset).div_euclid(24 * 60);
    let (y, m, d) = crate::log::civil_from_days(days);
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Checks an `--ingest-date` value.
pub fn parse_date(text: &str) -> Result<String, String> {
    date_of_rfc3339(&format!("{text}T00:00:00Z"))
        .filter(|d| d == text)
        .ok_or_else(|| format!("{text:?} is not a date (YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stems_strip_prefix_and_suffix_and_keep_folders_apart() {
        assert_eq!(stem("orders.csv", "", ".csv"), "orders");
        assert_eq!(stem("in/2026/orders.csv", "in/", ".csv"), "2026%2Forders");
        assert_eq!(stem("in/a%b.csv", "", ".csv"), "in%2Fa%25b");
        assert_eq!(stem("daily.export.txt", "", ".csv"), "daily.export");
        assert_eq!(stem("dir.v2/noext", "", ""), "dir.v2%2Fnoext");
        assert_eq!(stem(".csv", "", ".csv"), ".csv");
    }

    #[test]
    fn dates_come_from_event_times_in_utc() {
        assert_eq!(
            date_of_rfc3339("2026-11-21T08:30:00.000Z").as_deref(),
            Some("2026-11-21")
        );
        assert_eq!(
            date_of_rfc3339("2026-11-21T23:30:00-02:00").as_deref(),
            Some("2026-11-22")
        );
        assert_eq!(
            date_of_rfc3339("2026-03-01T01:00:00+05:30").as_deref(),
            Some("2026-02-28")
        );
        assert_eq!(
            date_of_rfc3339("2024-03-01T01:00:00+05:30").as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(
            date_of_rfc3339("2026-11-21T08:30:00"),
            Some("2026-11-21".into())
        );
        for bad in [
            "",
            "2026-11-21",
            "2026-13-01T00:00:00Z",
            "2026-11-21T08:30:00+0200",
            "yesterday",
        ] {
            assert_eq!(date_of_rfc3339(bad), None, "{bad}");
        }
        let t = UNIX_EPOCH + Duration::from_secs(1_763_713_800);
        assert_eq!(date_of(t), "2025-11-21");
        assert_eq!(parse_date("2026-02-28"), Ok("2026-02-28".into()));
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("21/11/2026").is_err());
    }
}
