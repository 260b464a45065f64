//! The manifest of a run: one JSON document per source, written last when
//! a run publishes (`_sluice/manifests/{source key}.json` under the
//! destination). It records which version of the source the results come
//! from, with which job and options, every output with its size and
//! checksum, the row counts and the timings.
//!
//! It is also how runs agree without talking to each other. Before a run
//! reads its source, and again before it publishes, it reads the current
//! manifest and [`decide`]s: a result of a newer version of the source
//! wins (the run is superseded and writes nothing), the same version with
//! the same options is already done (a repeated event or a resumed
//! backfill skips it), anything else proceeds. Its writes are then
//! conditional on what it read, so a run that raced past the check is
//! caught by S3 (see [`super::commit`]).

use super::location::Location;
use super::read::Facts;
use super::Summary;
use crate::adapters::{local, s3};
use crate::time::rfc3339;
use anyhow::Context;
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};
use sluice_engine::Counts;
use std::cmp::Ordering;
use std::time::SystemTime;

/// The format's name and version, first in every manifest.
pub const FORMAT: &str = "sluice-manifest/1";

/// Which source a run read, as far as it is known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub bucket: String,
    pub key: String,
    pub version: Option<String>,
    pub etag: Option<String>,
    /// The event's sequencer, when an S3 event named the object.
    pub sequencer: Option<String>,
    /// The version's LastModified, milliseconds since 1970.
    pub modified_ms: Option<u64>,
}

/// One output of a run, as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// `s3://bucket/key` or a path.
    pub name: String,
    /// `result`, `rejects`, `report`, `document`.
    pub role: String,
    pub bytes: u64,
    /// CRC-32 (IEEE) of the bytes as stored, hex.
    pub crc32: String,
    /// The ETag S3 gave the object (conditions the next run's write).
    pub etag: Option<String>,
}

/// The row counts (`read` is every data row).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowCounts {
    pub read: u64,
    pub selected: u64,
    pub dropped: u64,
    pub rejected: u64,
}

impl From<Counts> for RowCounts {
    fn from(c: Counts) -> Self {
        RowCounts {
            read: c.rows,
            selected: c.selected,
            dropped: c.dropped,
            rejected: c.rejected,
        }
    }
}

/// A run's manifest; see the module docs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub source: Source,
    pub job: String,
    /// The job's options as run, and their digest (what "same options"
    /// compares).
    pub options: String,
    pub options_digest: String,
    pub outputs: Vec<Entry>,
    pub counts: RowCounts,
    /// Decompressed bytes read.
    pub bytes_in: u64,
    /// When the run started and how long it took until publishing.
    pub started: String,
    pub seconds: f64,
}

impl Manifest {
    /// The output listed under `name`, if any.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.outputs.iter().find(|e| e.name == name)
    }
}

/// What a run is about to do, and for which source and options: what it
/// compares with the manifest it finds.
#[derive(Clone, Debug, Default)]
pub struct Claim {
    pub source: Source,
    pub job: String,
    pub options: String,
    /// Redo even when the manifest shows this very run (`--force`).
    pub force: bool,
}

impl Claim {
    pub fn new(source: Source, job: &str, options: String, force: bool) -> Self {
        Claim {
            source,
            job: job.to_string(),
            options,
            force,
        }
    }

    /// A digest of the job and its options: 16 hex digits of FNV-1a (a
    /// label for equality, not a security boundary).
    pub fn digest(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.job.bytes().chain([0]).chain(self.options.bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// What to do, given the manifest found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go on (no manifest, an older source, other options).
    Proceed,
    /// The manifest is of a newer version of the source: write nothing.
    Superseded(String),
    /// The manifest is of this source and these options: nothing to do.
    AlreadyDone(String),
}

/// Compares the claim with the manifest found; see the module docs.
pub fn decide(found: Option<&Manifest>, claim: &Claim) -> Verdict {
    let Some(found) = found else {
        return Verdict::Proceed;
    };
    let (theirs, ours) = (&found.source, &claim.source);
    match order(ours, theirs) {
        Some(Ordering::Less) => Verdict::Superseded(format!(
            "a newer version of the source has a result (version {}, sequencer {})",
            theirs.version.as_deref().unwrap_or("-"),
            theirs.sequencer.as_deref().unwrap_or("-")
        )),
        Some(Ordering::Equal) if !claim.force && found.options_digest == claim.digest() => {
            Verdict::AlreadyDone(format!(
                "already processed from this version with these options (version {}, ETag {})",
                theirs.version.as_deref().unwrap_or("-"),
                theirs.etag.as_deref().unwrap_or("-")
            ))
        }
        _ => Verdict::Proceed,
    }
}

/// How `ours` stands to `theirs` (the source of the manifest found):
/// by sequencer when both have one; else equal when they are the same
/// version (or, unversioned, the same ETag); else by LastModified;
/// `None` when nothing tells. Equal sequencers with different versions
/// (a sender that repeats one value) fall through to the other tests.
fn order(ours: &Source, theirs: &Source) -> Option<Ordering> {
    let same_version = match (&ours.version, &theirs.version) {
        (Some(a), Some(b)) => Some(a == b),
        _ => None,
    };
    let same_etag = match (&ours.etag, &theirs.etag) {
        (Some(a), Some(b)) => Some(a.trim_matches('"') == b.trim_matches('"')),
        _ => None,
    };
    let same = same_version.or(same_etag);
    if let (Some(a), Some(b)) = (&ours.sequencer, &theirs.sequencer) {
        match compare_sequencers(a, b) {
            Ordering::Equal if same == Some(false) => {}
            other => return Some(other),
        }
    }
    if same == Some(true) {
        return Some(Ordering::Equal);
    }
    match (ours.modified_ms, theirs.modified_ms) {
        (Some(a), Some(b)) if a != b => Some(a.cmp(&b)),
        _ => None,
    }
}

/// Sequencers of one key compare as hex strings right-padded with zeros
/// to one length.
pub fn compare_sequencers(a: &str, b: &str) -> Ordering {
    let width = a.len().max(b.len());
    let pad = |s: &str| format!("{:0<width$}", s.to_ascii_uppercase());
    pad(a).cmp(&pad(b))
}

/// The manifest at `at` and its ETag, or `None` when there is none. A
/// manifest that cannot be parsed is an error: it is not ours to replace.
pub async fn load(
    at: &Location,
    client: Option<&aws_sdk_s3::Client>,
) -> anyhow::Result<Option<(Manifest, Option<String>)>> {
    let (bytes, etag) = match at {
        Location::S3 { bucket, key } => {
            let client = client.context("an S3 client is built for S3 locations")?;
            match s3::get_small(client, bucket, key).await? {
                Some((bytes, etag)) => (bytes, etag),
                None => return Ok(None),
            }
        }
        Location::Path(p) => match local::read_small(p)? {
            Some(bytes) => (bytes, None),
            None => return Ok(None),
        },
        Location::Std => return Ok(None),
    };
    let manifest = serde_json::from_slice(&bytes)
        .with_context(|| format!("{at}: not a Sluice manifest; move it away to go on"))?;
    Ok(Some((manifest, etag)))
}

/// Why a run published nothing: the manifest found says it must not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// A newer version of the source has a result.
    Superseded(String),
    /// This version was processed with these options already.
    AlreadyDone(String),
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::Superseded(why) => write!(f, "superseded: {why}"),
            Stale::AlreadyDone(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for Stale {}

/// The manifest a run will write: where, for which claim, and the one
/// found before the run read its source (what earlier outputs it lists).
#[derive(Clone, Debug)]
pub struct Ledger {
    pub at: Location,
    pub client: Option<aws_sdk_s3::Client>,
    pub claim: Claim,
    pub found: Option<Manifest>,
    pub started: SystemTime,
}

impl Ledger {
    /// The ledger of a run starting now, before any manifest was read.
    pub fn new(at: Location, client: Option<aws_sdk_s3::Client>, claim: Claim) -> Self {
        Ledger {
            at,
            client,
            claim,
            found: None,
            started: SystemTime::now(),
        }
    }

    /// Reads the manifest at `at` and decides; see the module docs.
    /// `Ok(None)` when there is none; [`Stale`] when the run must stop.
    pub async fn check(&self, claim: &Claim) -> anyhow::Result<Option<(Manifest, Option<String>)>> {
        let found = load(&self.at, self.client.as_ref()).await?;
        match decide(found.as_ref().map(|f| &f.0), claim) {
            Verdict::Proceed => Ok(found),
            Verdict::Superseded(why) => Err(Stale::Superseded(why).into()),
            Verdict::AlreadyDone(why) => Err(Stale::AlreadyDone(why).into()),
        }
    }

    /// True when the manifest found lists an output named `name`.
    pub fn lists(&self, name: &str) -> bool {
        self.found.as_ref().is_some_and(|m| m.entry(name).is_some())
    }

    /// Writes the manifest, replacing the one with `etag` (none: there
    /// was none); a manifest written meanwhile is decided on once more.
    pub async fn write(
        &self,
        claim: &Claim,
        mut etag: Option<String>,
        outputs: Vec<Entry>,
        summary: &Summary,
    ) -> anyhow::Result<()> {
        let manifest = Manifest {
            format: FORMAT.into(),
            source: claim.source.clone(),
            job: claim.job.clone(),
            options: claim.options.clone(),
            options_digest: claim.digest(),
            outputs,
            counts: summary.counts.into(),
            bytes_in: summary.bytes_in,
            started: rfc3339(self.started),
            seconds: self.started.elapsed().unwrap_or_default().as_secs_f64(),
        };
        let body = serde_json::to_vec_pretty(&manifest)?;
        let (bucket, key) = match &self.at {
            Location::S3 { bucket, key } => (bucket, key),
            Location::Path(p) => return local::write_small(p, &body),
            Location::Std => return Ok(()),
        };
        let client = self.client.as_ref().context("an S3 client")?;
        for _ in 0..2 {
            let condition = s3::Condition::replacing(etag.take());
            let json = |r: s3::PutRequest| r.content_type("application/json");
            let body = ByteStream::from(body.clone());
            match s3::put(client, bucket, key, body, Some(&condition), json).await? {
                s3::Published::Done(_) => return Ok(()),
                s3::Published::Conflict => etag = self.check(claim).await?.and_then(|f| f.1),
            }
        }
        anyhow::bail!(
            "{}: changed twice while this run published; the retry of this event decides again",
            self.at
        )
    }
}

impl Claim {
    /// The claim with what the read learnt of the source: its version,
    /// ETag and modification time.
    pub fn read_as(&self, facts: &Facts) -> Claim {
        let mut claim = self.clone();
        let s = &mut claim.source;
        s.version = facts.version.clone().or(s.version.take());
        s.etag = facts.etag.clone().or(s.etag.take());
        s.modified_ms = facts
            .modified
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as u64)
            .or(s.modified_ms);
        claim
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(version: Option<&str>, sequencer: Option<&str>, modified_ms: Option<u64>) -> Source {
        Source {
            bucket: "b".into(),
            key: "k.csv".into(),
            version: version.map(str::to_string),
            etag: None,
            sequencer: sequencer.map(str::to_string),
            modified_ms,
        }
    }

    fn manifest(source: Source, claim: &Claim) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            source,
            job: claim.job.clone(),
            options: claim.options.clone(),
            options_digest: claim.digest(),
            outputs: Vec::new(),
            counts: RowCounts::default(),
            bytes_in: 0,
            started: String::new(),
            seconds: 0.0,
        }
    }

    #[test]
    fn sequencers_compare_right_padded() {
        assert_eq!(
            compare_sequencers("0055AED6DCD90281E5", "0055AED6DCD90281E6"),
            Ordering::Less
        );
        // A shorter sequencer is padded on the right, not the left.
        assert_eq!(
            compare_sequencers("0056", "0055AED6DCD90281E5"),
            Ordering::Greater
        );
        assert_eq!(
            compare_sequencers("0055aed6", "0055AED600"),
            Ordering::Equal
        );
    }

    #[test]
    fn an_older_event_is_superseded_and_a_repeat_is_done() {
        let claim = |seq: &str| {
            Claim::new(
                source(None, Some(seq), None),
                "filter",
                "t=10".into(),
                false,
            )
        };
        let found = manifest(source(None, Some("0055B0"), None), &claim("0055B0"));
        assert!(matches!(
            decide(Some(&found), &claim("0055A0")),
            Verdict::Superseded(_)
        ));
        assert!(matches!(
            decide(Some(&found), &claim("0055B0")),
            Verdict::AlreadyDone(_)
        ));
        assert_eq!(decide(Some(&found), &claim("0055C0")), Verdict::Proceed);
        assert_eq!(decide(None, &claim("0055A0")), Verdict::Proceed);
    }

    #[test]
    fn other_options_or_force_redo_the_same_version() {
        let ours = |options: &str, force| {
            Claim::new(
                source(Some("v2"), None, None),
                "filter",
                options.into(),
                force,
            )
        };
        let found = manifest(source(Some("v2"), None, Some(5)), &ours("t=10", false));
        assert!(matches!(
            decide(Some(&found), &ours("t=10", false)),
            Verdict::AlreadyDone(_)
        ));
        assert_eq!(decide(Some(&found), &ours("t=20", false)), Verdict::Proceed);
        assert_eq!(decide(Some(&found), &ours("t=10", true)), Verdict::Proceed);
    }

    #[test]
    fn without_sequencers_the_modification_time_orders_versions() {
        let claim =
            |v: &str, ms| Claim::new(source(Some(v), None, ms), "report", String::new(), true);
        let found = manifest(source(Some("v2"), None, Some(2_000)), &claim("v2", None));
        assert!(matches!(
            decide(Some(&found), &claim("v1", Some(1_000))),
            Verdict::Superseded(_)
        ));
        assert_eq!(
            decide(Some(&found), &claim("v3", Some(3_000))),
            Verdict::Proceed
        );
        // Nothing tells which is newer: go on (the conditional write decides).
        assert_eq!(decide(Some(&found), &claim("v1", None)), Verdict::Proceed);
    }

    #[test]
    fn the_digest_follows_job_and_options() {
        let c = |job: &str, o: &str| Claim::new(Source::default(), job, o.into(), false).digest();
        assert_eq!(c("filter", "a"), c("filter", "a"));
        assert_ne!(c("filter", "a"), c("filter", "b"));
        assert_ne!(c("filter", "a"), c("report", "a"));
        assert_eq!(c("filter", "a").len(), 16);
    }
}
