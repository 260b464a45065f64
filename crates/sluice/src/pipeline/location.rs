//! Where an input comes from or an output goes: a path, stdin/stdout, or
//! an S3 object.

use std::fmt;
use std::path::PathBuf;

/// An input or output named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// `-` or absent: standard input or output.
    Std,
    /// A local file.
    Path(PathBuf),
    /// `s3://bucket/key`.
    S3 { bucket: String, key: String },
}

impl Location {
    /// Parses `-`, a path, or `s3://bucket/key`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        if text == "-" {
            return Ok(Location::Std);
        }
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            anyhow::ensure!(
                !bucket.is_empty(),
                "{text:?}: an S3 URL needs a bucket: s3://bucket/key"
            );
            return Ok(Location::S3 {
                bucket: bucket.to_string(),
                key: key.to_string(),
            });
        }
        Ok(Location::Path(PathBuf::from(text)))
    }

    /// The S3 key or the path, whose name may tell a compression.
    pub fn key_or_path(&self) -> Option<&str> {
        match self {
            Location::Std => None,
            Location::Path(p) => p.to_str(),
            Location::S3 { key, .. } => Some(key),
        }
    }

    /// Whether two locations name the same file or object (paths resolved
    /// through the file system, so `./a.csv` is `a.csv`).
    pub fn same_as(&self, other: &Location) -> bool {
        match (self, other) {
            (Location::Path(a), Location::Path(b)) => {
                crate::adapters::local::resolved(a) == crate::adapters::local::resolved(b)
            }
            (Location::Std, Location::Std) => true,
            (a, b) => a == b,
        }
    }

    /// Parses an optional argument, absent meaning standard input/output.
    pub fn parse_or_std(text: Option<&str>) -> anyhow::Result<Self> {
        text.map_or(Ok(Location::Std), Location::parse)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Std => f.write_str("-"),
            Location::Path(p) => write!(f, "{}", p.display()),
            Location::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind() {
        assert_eq!(Location::parse("-").unwrap(), Location::Std);
        assert_eq!(
            Location::parse("a/b.csv").unwrap(),
            Location::Path("a/b.csv".into())
        );
        assert_eq!(
            Location::parse("s3://in/dir/my file.csv").unwrap(),
            Location::S3 {
                bucket: "in".into(),
                key: "dir/my file.csv".into()
            }
        );
        assert!(Location::parse("s3:///key").is_err());
        assert_eq!(Location::parse("s3://b/k").unwrap().to_string(), "s3://b/k");
    }
}
