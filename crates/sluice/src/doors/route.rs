//! Which objects to process and where their results go.
//!
//! Results land at deterministic keys — the destination prefix followed by
//! the source key — so a repeated event rewrites the same object. A
//! destination that overlaps the source would feed its own output back in:
//! that is refused at start-up when the source bucket is known, and keys
//! under the destination prefix are skipped at run time.

use super::events::ObjectEvent;
use crate::cli::{JobName, RouteArgs};
use crate::pipeline::decode::Compression;
use clap::ValueEnum;

/// The routing rules of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Where results go; empty when there is no destination (only the
    /// inspect job runs so: its documents are then only logged).
    pub dest_bucket: String,
    pub dest_prefix: String,
    pub source_prefix: String,
    pub suffix: String,
    pub rejects_prefix: String,
}

/// What to do with one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Process it: write its outputs to these keys.
    Process(Keys),
    /// Leave it, for this reason.
    Skip(String),
}

/// Where the outputs of one source key go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    pub result: String,
    pub rejects: String,
    pub manifest: String,
}

/// The folder of the manifests, under the destination prefix (a leading
/// `_` keeps Athena and Glue from reading it as data).
pub const MANIFESTS: &str = "_sluice/manifests/";

/// The three namespaces of a destination — results, rejects, manifests —
/// and the one rule that keeps them apart: a source key whose result or
/// rejects would land in another namespace is refused, so no source's
/// output can be another source's rejects or manifest. The S3 routes and
/// the watcher's output folder both name their outputs here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespaces {
    pub results: String,
    pub rejects: String,
    pub manifests: String,
}

impl Namespaces {
    /// Results under `results`, rejects under `rejects`, manifests under
    /// `results` + [`MANIFESTS`].
    pub fn new(results: &str, rejects: &str) -> Self {
        Namespaces {
            results: results.to_string(),
            rejects: rejects.to_string(),
            manifests: format!("{results}{MANIFESTS}"),
        }
    }

    /// The keys of the outputs of `key`, or why it may have none.
    pub fn keys(&self, key: &str) -> Result<Keys, String> {
        let keys = Keys {
            result: format!("{}{key}", self.results),
            rejects: format!("{}{key}", self.rejects),
            manifest: format!("{}{key}.json", self.manifests),
        };
        let reserved = |what: &str, at: &str| {
            format!("key is under a reserved prefix: its {what} would be {at:?}, which is kept for Sluice's own outputs; rename the object")
        };
        for (what, at) in [("result", &keys.result), ("rejects", &keys.rejects)] {
            if at.starts_with(&self.manifests) {
                return Err(reserved(what, at));
            }
        }
        if keys.result.starts_with(&self.rejects) {
            return Err(reserved("result", &keys.result));
        }
        Ok(keys)
    }
}

/// Whether `key` ends with `suffix`, or with `suffix` and a compression's
/// extension (`a.csv.gz` has the suffix `.csv`).
pub fn has_suffix(key: &str, suffix: &str) -> bool {
    key.ends_with(suffix)
        || Compression::from_name(key)
            .and_then(|c| key.get(..key.len() - c.extension().len()))
            .is_some_and(|base| base.ends_with(suffix))
}

/// True when one prefix contains the other (the empty prefix contains all).
fn overlapping(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

impl Route {
    /// Refuses a destination equal to the source without disjoint prefixes.
    pub fn check(&self, source_bucket: Option<&str>) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.dest_bucket.is_empty(),
            "the destination bucket is empty"
        );
        anyhow::ensure!(
            !self.dest_prefix.starts_with(&self.rejects_prefix),
            "the rejects prefix {:?} contains the destination prefix {:?}: a rejects object could \
             take a result's key. Put rejects under or beside it, such as {:?}.",
            self.rejects_prefix,
            self.dest_prefix,
            format!("{}_rejects/", self.dest_prefix)
        );
        if source_bucket == Some(self.dest_bucket.as_str()) {
            for (what, prefix) in [
                ("destination", &self.dest_prefix),
                ("rejects", &self.rejects_prefix),
            ] {
                anyhow::ensure!(
                    !overlapping(&self.source_prefix, prefix),
                    "the {what} prefix {prefix:?} overlaps the source prefix {:?} in bucket {}: \
                     every result would trigger another run (a recursive loop). \
                     Use another bucket or disjoint prefixes.",
                    self.source_prefix,
                    self.dest_bucket
                );
            }
        }
        Ok(())
    }

    /// Decides what to do with an event.
    pub fn decide(&self, ev: &ObjectEvent) -> Decision {
        let skip = |why: &str| Decision::Skip(why.to_string());
        if !ev.is_created() {
            return skip("not an object-creation event");
        }
        if !has_suffix(&ev.key, &self.suffix) {
            return Decision::Skip(format!("key does not end with {:?}", self.suffix));
        }
        if !ev.key.starts_with(&self.source_prefix) {
            return Decision::Skip(format!(
                "key is outside the source prefix {:?}",
                self.source_prefix
            ));
        }
        if ev.bucket == self.dest_bucket
            && (ev.key.starts_with(&self.dest_prefix) || ev.key.starts_with(&self.rejects_prefix))
        {
            return skip("key is under the destination prefix: it is a result, not a source");
        }
        match self.namespaces().keys(&ev.key) {
            Ok(keys) => Decision::Process(keys),
            Err(why) => Decision::Skip(why),
        }
    }

    /// The destination's namespaces.
    pub fn namespaces(&self) -> Namespaces {
        Namespaces::new(&self.dest_prefix, &self.rejects_prefix)
    }
}

impl Route {
    /// The routing rules; a destination that would trigger itself is refused.
    /// Only the inspect job runs without a destination (`dest_bucket` empty).
    pub fn from_args(args: &RouteArgs, job: JobName) -> anyhow::Result<Self> {
        let dest_bucket = match (&args.dest_bucket, job) {
            (Some(bucket), _) => bucket.clone(),
            (None, JobName::Inspect) => String::new(),
            (None, other) => anyhow::bail!(
                "the destination bucket is required for the {} job: set --dest-bucket or SLUICE_DEST_BUCKET",
                other
                    .to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            ),
        };
        let route = Route {
            dest_bucket,
            dest_prefix: args.dest_prefix.clone(),
            source_prefix: args.source_prefix.clone(),
            suffix: args.suffix.clone(),
            rejects_prefix: args
                .rejects_prefix
                .clone()
                .unwrap_or_else(|| format!("{}_rejects/", args.dest_prefix)),
        };
        if args.dest_bucket.is_some() {
            route.check(args.source_bucket.as_deref())?;
        }
        Ok(route)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(dest_bucket: &str, dest_prefix: &str, source_prefix: &str) -> Route {
        Route {
            dest_bucket: dest_bucket.into(),
            dest_prefix: dest_prefix.into(),
            source_prefix: source_prefix.into(),
            suffix: ".csv".into(),
            rejects_prefix: format!("{dest_prefix}_rejects/"),
        }
    }

    fn created(bucket: &str, key: &str) -> ObjectEvent {
        ObjectEvent {
            bucket: bucket.into(),
            key: key.into(),
            name: "ObjectCreated:Put".into(),
            etag: None,
            version: None,
            time: None,
            size: None,
            sequencer: None,
        }
    }

    #[test]
    fn refuses_a_destination_that_overlaps_the_source() {
        assert!(route("b", "", "").check(Some("b")).is_err());
        assert!(route("b", "out/", "").check(Some("b")).is_err());
        assert!(route("b", "in/x/", "in/").check(Some("b")).is_err());
        assert!(route("b", "out/", "in/").check(Some("b")).is_ok());
        assert!(route("c", "", "").check(Some("b")).is_ok());
        assert!(route("c", "", "").check(None).is_ok());
    }

    #[test]
    fn result_key_is_the_source_key_under_the_prefix() {
        let r = route("out", "filtered/", "");
        assert_eq!(
            r.decide(&created("in", "a/my file (1).csv")),
            Decision::Process(Keys {
                result: "filtered/a/my file (1).csv".into(),
                rejects: "filtered/_rejects/a/my file (1).csv".into(),
                manifest: "filtered/_sluice/manifests/a/my file (1).csv.json".into(),
            })
        );
    }

    #[test]
    fn no_source_key_maps_into_another_namespace() {
        // Another bucket, so the loop rule does not apply: only the
        // namespaces keep `_rejects/x.csv`'s result off `x.csv`'s rejects.
        for dest in ["", "out/"] {
            let r = route("other", dest, "");
            for key in [
                "_rejects/x.csv",
                "_sluice/manifests/x.csv",
                "_sluice/manifests/a/b.csv",
            ] {
                let decision = r.decide(&created("in", key));
                assert!(
                    matches!(decision, Decision::Skip(ref why) if why.contains("reserved")),
                    "{dest}{key}: {decision:?}"
                );
            }
            for key in ["x.csv", "_sluice.csv", "rejects/x.csv", "a/_rejects/x.csv"] {
                assert!(
                    matches!(r.decide(&created("in", key)), Decision::Process(_)),
                    "{dest}{key}"
                );
            }
        }
        // Rejects beside the results: a rejects key inside the manifests
        // is refused too.
        let mut r = route("other", "out/", "");
        r.rejects_prefix = "out/_".into();
        assert!(matches!(
            r.decide(&created("in", "sluice/manifests/x.csv")),
            Decision::Skip(_)
        ));
        // A rejects prefix containing the results would let a rejects
        // object take a result's key.
        r.rejects_prefix = String::new();
        assert!(r.check(None).is_err());
    }

    #[test]
    fn skips_what_is_not_for_it() {
        let r = route("b", "out/", "in/");
        assert!(matches!(
            r.decide(&created("b", "in/x.txt")),
            Decision::Skip(_)
        ));
        assert!(matches!(
            r.decide(&created("b", "other/x.csv")),
            Decision::Skip(_)
        ));
        let mut removed = created("b", "in/x.csv");
        removed.name = "ObjectRemoved:Delete".into();
        assert!(matches!(r.decide(&removed), Decision::Skip(_)));
        for (key, process) in [
            ("in/x.csv", true),
            ("in/x.csv.gz", true),
            ("in/x.csv.zst", true),
            ("in/x.csv.BZ2", true),
            ("in/x.gz", false),
        ] {
            let decision = r.decide(&created("b", key));
            assert_eq!(
                matches!(decision, Decision::Process { .. }),
                process,
                "{key}"
            );
        }
        // Its own output, when source and destination share a bucket.
        let same = route("b", "out/", "");
        assert!(matches!(
            same.decide(&created("b", "out/x.csv")),
            Decision::Skip(_)
        ));
        assert!(matches!(
            same.decide(&created("b", "out/_rejects/x.csv")),
            Decision::Skip(_)
        ));
    }
}
