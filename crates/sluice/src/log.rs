//! Structured logs: one JSON line per event (timestamp, level, message and
//! fields such as request id, bucket, key, counts, duration), or readable
//! text when stderr is a terminal. The level comes from
//! `SLUICE_LOG_LEVEL` (error, warn, info, debug; default info).

use crate::time::rfc3339;
use serde_json::{Map, Value};
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
use std::time::SystemTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" | "" => Some(Level::Info),
            "debug" | "trace" => Some(Level::Debug),
            _ => None,
        }
    }
}

struct Logger {
    level: Level,
    json: bool,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

/// Sets up logging from `SLUICE_LOG_LEVEL`; JSON unless stderr is a
/// terminal. Calling it again has no effect.
pub fn init() -> anyhow::Result<()> {
    let text = std::env::var("SLUICE_LOG_LEVEL").unwrap_or_default();
    let level = Level::parse(&text).ok_or_else(|| {
        anyhow::anyhow!("SLUICE_LOG_LEVEL={text:?}: expected error, warn, info or debug")
    })?;
    let json = !std::io::stderr().is_terminal();
    let _ = LOGGER.set(Logger { level, json });
    Ok(())
}

/// Logs `message` with `fields` (a JSON object) at `level`.
pub fn log(level: Level, message: &str, fields: Value) {
    let logger = LOGGER.get_or_init(|| Logger {
        level: Level::Info,
        json: true,
    });
    if level > logger.level {
        return;
    }
    let now = rfc3339(SystemTime::now());
    let line = if logger.json {
        let mut obj = Map::new();
        obj.insert("timestamp".into(), now.into());
        obj.insert("level".into(), level.name().into());
        obj.insert("message".into(), message.into());
        if let Value::Object(f) = fields {
            obj.extend(f);
        }
        Value::Object(obj).to_string()
    } else {
        let mut s = format!("{now} {:<5} {message}", level.name().to_uppercase());
        if let Value::Object(f) = fields {
            for (k, v) in f {
                match v {
                    Value::String(t) => s.push_str(&format!(" {k}={t:?}")),
                    other => s.push_str(&format!(" {k}={other}")),
                }
            }
        }
        s
    };
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

pub fn info(message: &str, fields: Value) {
    log(Level::Info, message, fields);
}

pub fn warn(message: &str, fields: Value) {
    log(Level::Warn, message, fields);
}

pub fn error(message: &str, fields: Value) {
    log(Level::Error, message, fields);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::civil_from_days;
    use std::time::Duration;
    use std::time::UNIX_EPOCH;

    #[test]
    fn formats_utc_timestamps() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_763_713_800_123);
        assert_eq!(rfc3339(t), "2025-11-21T08:30:00.123Z");
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn parses_levels() {
        assert_eq!(Level::parse("WARN"), Some(Level::Warn));
        assert_eq!(Level::parse(""), Some(Level::Info));
        assert_eq!(Level::parse("loud"), None);
        assert!(Level::Debug > Level::Info);
    }
}
