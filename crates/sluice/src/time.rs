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
    let zone = text
        .get(19..)?
        .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
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
    let (y, m, d) = civil_from_days(days);
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
    fn a_malformed_event_time_is_no_date() {
        // Non-ASCII past the 19th byte once panicked on a string slice.
        assert_eq!(date_of_rfc3339("2026-11-21T08:30:0é"), None);
        assert_eq!(date_of_rfc3339("2026-11-21T08:30:00é"), None);
    }
}
