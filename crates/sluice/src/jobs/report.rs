//! The report job at the doors: one input in, three partitioned CSV
//! reports out, Hive style, so Athena reads each report as a table:
//! `{prefix}{report}/ingest_date=YYYY-MM-DD/{stem}.csv`. The date is the
//! event's (or the file's modification date), never the clock's, so a
//! repeated event rewrites the same objects.

use super::{Clients, Done, Plan};
use crate::pipeline::commit::{Commit, Output, OutputOptions};
use crate::pipeline::decode::Compression;
use crate::pipeline::location::Location;
use crate::pipeline::read::Input;
use crate::pipeline::{count_entries, run_to_commit, Rejects, Sink, Summary};
use crate::time::date_of;
use serde_json::json;
use sluice_engine::{
    Dialect, Engine, ErrorKind, JobError, OrderReports, ReportOptions, GROUP_BYTES, REPORT_NAMES,
};

/// Names the outputs of one source: its ingest date and file stem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The source's name without its suffix, `/` and `%` percent-encoded.
    pub stem: String,
}

impl Partition {
    /// Where report `name` goes, relative to the reports' place.
    pub fn report_key(&self, name: &str) -> String {
        format!("{name}/ingest_date={}/{}.csv", self.date, self.stem)
    }

    /// Where the rejected rows go, relative to the rejects' place.
    pub fn rejects_key(&self) -> String {
        format!("ingest_date={}/{}.csv", self.date, self.stem)
    }
}

/// `rel` under a folder or an S3 prefix.
fn under(place: &Location, rel: &str) -> Location {
    match place {
        Location::Path(dir) => Location::Path(dir.join(rel)),
        Location::S3 { bucket, key } => Location::S3 {
            bucket: bucket.clone(),
            key: format!("{key}{rel}"),
        },
        Location::Std => Location::Std,
    }
}

/// Runs the report job over `input`: the three reports under the plan's
/// reports place, the rejected rows (if any) under its rejects place, all
/// published together once the whole input was read; a stale rejects
/// output from an earlier run of the same source is removed.
pub async fn run(
    dialect: Dialect,
    options: &ReportOptions,
    clients: &Clients,
    input: &mut Input,
    plan: &Plan,
) -> anyhow::Result<Done> {
    let (reports, rejects) = plan
        .reports
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the report job needs a place for its reports"))?;
    let date = match (&plan.ingest_date, input.facts.modified) {
        (Some(date), _) => date.clone(),
        (None, Some(t)) => date_of(t),
        (None, None) => anyhow::bail!(
            "{}: no date to partition by: pass --ingest-date YYYY-MM-DD",
            input.name()
        ),
    };
    let partition = Partition {
        date,
        stem: plan.stem.clone(),
    };
    let rejects_at = under(rejects, &partition.rejects_key());
    let options_out = OutputOptions {
        metadata: plan.metadata.clone(),
        role: "report",
        ..OutputOptions::default()
    };
    let rejects_options = OutputOptions {
        role: "rejects",
        ..options_out.clone()
    };
    let rejects_out = Rejects::to(Output::create(
        &rejects_at,
        clients.s3.as_ref(),
        rejects_options,
    )?);
    let engine = Engine::new(dialect, OrderReports::new(options.clone()));
    let sink = Reports {
        place: reports,
        partition: &partition,
        clients,
        options: options_out,
    };
    let ran = run_to_commit(engine, input, sink, rejects_out, plan.ledger.clone()).await;
    let (summary, mut outputs, _) = ran.map_err(|e| over_cap(e, input.name()))?;
    if summary.counts.rejected > 0 {
        outputs.push(rejects_at.to_string());
    }
    Ok(Done {
        summary,
        input: input.facts.clone(),
        output: reports.to_string(),
        line: summary.to_string(),
        extra: json!({"outputs": outputs, "ingest_date": partition.date}),
        ..Done::default()
    })
}

/// The report met more distinct keys than its cap: the run failed before
/// anything was committed, and this says so and what to do.
#[derive(Debug)]
pub struct TooManyGroups {
    /// The input, `s3://bucket/key` or a path.
    pub object: String,
    /// The line of the first key past the cap.
    pub line: Option<u64>,
    pub cap: usize,
    pub seen: usize,
}

impl std::fmt::Display for TooManyGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ", self.object)?;
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(
            f,
            "{} distinct (region, category, sub-category, ship mode) keys, over the report's cap \
             of {} groups; nothing was written. Raise --max-groups / SLUICE_MAX_GROUPS if the \
             memory allows (about {GROUP_BYTES} bytes a group; the default is half of \
             AWS_LAMBDA_FUNCTION_MEMORY_SIZE, so a larger function holds more), or split the input",
            self.seen, self.cap
        )
    }
}

impl std::error::Error for TooManyGroups {}

/// `e` as [`TooManyGroups`] when the engine stopped at the cap on groups.
fn over_cap(e: anyhow::Error, object: &str) -> anyhow::Error {
    let engine = e
        .chain()
        .find_map(|c| c.downcast_ref::<sluice_engine::Error>());
    match engine {
        Some(sluice_engine::Error {
            line,
            kind: ErrorKind::Job(JobError::TooManyGroups { cap, seen }),
        }) => TooManyGroups {
            object: object.to_string(),
            line: *line,
            cap: *cap,
            seen: *seen,
        }
        .into(),
        _ => e,
    }
}

/// The three reports of one source, written whole once the input is read.
struct Reports<'a> {
    place: &'a Location,
    partition: &'a Partition,
    clients: &'a Clients,
    options: OutputOptions,
}

impl Sink<OrderReports> for Reports<'_> {
    /// The reports' names.
    type Done = Vec<String>;

    async fn take(&mut self, _: &mut Engine<OrderReports>, _: &mut Vec<u8>) -> anyhow::Result<u64> {
        // Nothing streams: the reports exist once every row is counted.
        Ok(0)
    }

    async fn stage(
        self,
        engine: &Engine<OrderReports>,
        summary: &mut Summary,
        commit: &mut Commit,
    ) -> anyhow::Result<Vec<String>> {
        let mut outputs = Vec::new();
        // One report at a time: only one is held in memory.
        let rollup = engine.job().rollup();
        for (index, name) in REPORT_NAMES.into_iter().enumerate() {
            let csv = rollup.csv(index);
            let at = under(self.place, &self.partition.report_key(name));
            let mut out = Output::create(&at, self.clients.s3.as_ref(), self.options.clone())?;
            if let Err(e) = out.write(&csv).await {
                out.abort().await;
                return Err(e);
            }
            out.add_final_metadata(count_entries(&summary.counts));
            commit.stage(out).await?;
            summary.bytes_out += csv.len() as u64;
            outputs.push(at.to_string());
        }
        Ok(outputs)
    }

    async fn abort(self) {}
}

/// The stem naming a source's outputs: `key` without `prefix` and
/// `suffix` (or, without that suffix, its last extension), with `%` and
/// `/` percent-encoded so that sources in different folders never share
/// outputs: `in/2026/orders.csv` → `in%2F2026%2Forders`.
pub fn stem(key: &str, prefix: &str, suffix: &str) -> String {
    let key = match Compression::from_name(key) {
        // The name told the compression, whatever its case: cut as long.
        Some(c) => key.get(..key.len() - c.extension().len()).unwrap_or(key),
        None => key,
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_strip_prefix_and_suffix_and_keep_folders_apart() {
        assert_eq!(stem("orders.csv", "", ".csv"), "orders");
        assert_eq!(stem("in/2026/orders.csv", "in/", ".csv"), "2026%2Forders");
        assert_eq!(stem("in/a%b.csv", "", ".csv"), "in%2Fa%25b");
        assert_eq!(stem("daily.export.txt", "", ".csv"), "daily.export");
        assert_eq!(stem("dir.v2/noext", "", ""), "dir.v2%2Fnoext");
        assert_eq!(stem(".csv", "", ".csv"), ".csv");
        assert_eq!(stem("in/orders.csv.gz", "", ".csv"), "in%2Forders");
        assert_eq!(stem("orders.csv.ZST", "", ".csv"), "orders");
    }
}
