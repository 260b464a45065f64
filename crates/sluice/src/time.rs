//! Dates and times without a clock: UTC dates of instants and of RFC 3339
//! timestamps (an event's time decides a report's partition, never the
//! clock at the time of a retry), and timestamps for the logs.

use std::time::{SystemTime, UNIX_EPOCH};

/// `2026-11-21T08:30:00.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        s / 60 % 60,
        s % 60,
        d.subsec_millis()
    )
}

/// The calendar date of a day count since 1970-01-01 (proleptic Gregorian).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The UTC date of a time: `YYYY-MM-DD`.
pub fn date_of(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64) - 1,
    };
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The UTC date of an RFC 3339 timestamp (`2026-11-21T23:30:00-02:00` →
/// `2026-11-22`); `None` when it is not one.
pub fn date_of_rfc3339(text: &str) -> Option<String> {
    let ms = unix_millis_of_rfc3339(text)?;
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// The instant of an RFC 3339 timestamp, in milliseconds since
/// 1970-01-01T00:00:00Z (a missing zone is UTC; digits past the
/// millisecond are dropped); `None` when it is not one. Parsed field by
/// field on checked byte ranges: an event's time is untrusted text.
pub fn unix_millis_of_rfc3339(text: &str) -> Option<i64> {
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
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = text.get(19..)?;
    let digits = rest
        .strip_prefix('.')
        .map(|f| f.len() - f.trim_start_matches(|c: char| c.is_ascii_digit()).len())
        .unwrap_or(0);
    let millis = match digits {
        0 => 0,
        n => format!("{:0<3}", &rest[1..1 + n.min(3)])
            .parse::<i64>()
            .ok()?,
    };
    let zone = &rest[if digits > 0 { 1 + digits } else { 0 }..];
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
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day);
    if !valid || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let minutes = days_from_civil(year, month, day) * 1440 + hour * 60 + minute - offset;
    Some((minutes * 60 + second) * 1000 + millis)
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

    #[test]
    fn event_times_are_instants() {
        let at = |t: &str| unix_millis_of_rfc3339(t);
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(at("2025-11-21T08:30:00.123Z"), Some(1_763_713_800_123));
        assert_eq!(at("2025-11-21T08:30:00.1Z"), Some(1_763_713_800_100));
        assert_eq!(
            at("2025-11-21T08:30:00.123456789Z"),
            Some(1_763_713_800_123)
        );
        assert_eq!(at("2025-11-21T10:30:00+02:00"), Some(1_763_713_800_000));
        assert_eq!(at("2025-11-21T06:00:00-02:30"), Some(1_763_713_800_000));
        for bad in [
            "2025-11-21T08:30:00.Z",
            "2025-11-21T24:00:00Z",
            "2025-11-21T08:60:00Z",
            "2025-11-21T08-30-00Z",
            "2025-11-21T08:30:00.12é",
            "2025-11-21T08:30:00 UTC",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_malformed_event_time_is_no_date() {
        // Non-ASCII past the 19th byte once panicked on a string slice.
        assert_eq!(date_of_rfc3339("2026-11-21T08:30:0é"), None);
        assert_eq!(date_of_rfc3339("2026-11-21T08:30:00é"), None);
    }
}
