//! Numbers as DynamoDB takes them: the written form it accepts, and an
//! identity equal for equal values however written.

use super::decimal::{unwrap_cell, Written};

/// A number as DynamoDB holds it: at most 38 significant digits, a
/// magnitude from 1E-130 up to (not including) 1E+126, or zero.
const DYNAMO_DIGITS: usize = 38;
const DYNAMO_MAG: std::ops::RangeInclusive<i64> = -129..=126;

/// The shape of a number DynamoDB accepts, written in the form it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DynamoNumber {
    /// Significant digits (0 for zero): DynamoDB stores about half a byte
    /// per digit, plus one.
    pub digits: usize,
}

impl DynamoNumber {
    /// The bytes DynamoDB counts for the value towards the item size.
    pub fn size(self) -> usize {
        self.digits.div_ceil(2) + 1
    }
}

/// Appends `cell` (unquoted, trimmed) to `out` as DynamoDB accepts it —
/// the text as written, with a leading `+` dropped and a bare point given
/// its zero (`.5` is `0.5`, `5.` is `5`) — when it is a number DynamoDB
/// can hold. Appends nothing and returns `None` otherwise.
pub(crate) fn write_dynamo_number(cell: &[u8], out: &mut Vec<u8>) -> Option<DynamoNumber> {
    let w = Written::parse(cell)?;
    let digits = match w.significant() {
        None => 0,
        Some((first, end, mag)) => {
            if end - first > DYNAMO_DIGITS || !DYNAMO_MAG.contains(&mag) {
                return None;
            }
            end - first
        }
    };
    if w.negative {
        out.push(b'-');
    }
    if w.int.is_empty() {
        out.push(b'0');
    }
    out.extend_from_slice(w.int);
    if !w.frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(w.frac);
    }
    if w.exp != 0 {
        out.push(b'E');
        out.extend_from_slice(w.exp.to_string().as_bytes());
    }
    Some(DynamoNumber { digits })
}

/// Appends the identity of a decimal number to `out`: equal for equal
/// values however written (`5`, `5.0`, `05`, `0.5e1`), as DynamoDB
/// compares number keys. False, appending nothing, when `cell` is not a
/// number.
///
/// ```
/// let (mut a, mut b) = (Vec::new(), Vec::new());
/// assert!(sluice_engine::number_identity(b"5", &mut a));
/// assert!(sluice_engine::number_identity(b"0.50e1", &mut b));
/// assert_eq!(a, b);
/// ```
pub fn number_identity(cell: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(w) = unwrap_cell(cell).and_then(Written::parse) else {
        return false;
    };
    match w.significant() {
        None => out.push(b'0'),
        Some((first, end, mag)) => {
            out.push(if w.negative { b'-' } else { b'+' });
            out.extend((first..end).map(|i| w.digit(i)));
            out.push(b'e');
            out.extend_from_slice(mag.to_string().as_bytes());
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dynamo(s: &str) -> Option<(String, usize)> {
        let mut out = Vec::new();
        let n = write_dynamo_number(s.as_bytes(), &mut out)?;
        Some((String::from_utf8(out).unwrap(), n.digits))
    }

    #[test]
    fn numbers_are_written_as_dynamodb_accepts_them() {
        assert_eq!(dynamo("4.70"), Some(("4.70".into(), 2)));
        assert_eq!(dynamo("+5"), Some(("5".into(), 1)));
        assert_eq!(dynamo(".5"), Some(("0.5".into(), 1)));
        assert_eq!(dynamo("-.5"), Some(("-0.5".into(), 1)));
        assert_eq!(dynamo("5."), Some(("5".into(), 1)));
        assert_eq!(dynamo("1e+3"), Some(("1E3".into(), 1)));
        assert_eq!(dynamo("-2.5E-3"), Some(("-2.5E-3".into(), 2)));
        assert_eq!(dynamo("007"), Some(("007".into(), 1)));
        assert_eq!(dynamo("0.000"), Some(("0.000".into(), 0)));
        let digits38 = "9".repeat(38);
        assert_eq!(dynamo(&digits38), Some((digits38.clone(), 38)));
        assert_eq!(dynamo(&format!("{digits38}1")), None);
        assert_eq!(dynamo("1e125"), Some(("1E125".into(), 1)));
        assert_eq!(dynamo("1e126"), None);
        assert_eq!(dynamo("1e-130"), Some(("1E-130".into(), 1)));
        assert_eq!(dynamo("1e-131"), None);
        assert_eq!(dynamo("abc"), None);
    }

    #[test]
    fn equal_numbers_share_an_identity() {
        let id = |s: &str| {
            let mut out = Vec::new();
            number_identity(s.as_bytes(), &mut out).then_some(out)
        };
        assert_eq!(id("5"), id("05.000"));
        assert_eq!(id("5"), id("0.5e1"));
        assert_eq!(id("0"), id("-0.0"));
        assert_ne!(id("5"), id("-5"));
        assert_ne!(id("5"), id("50"));
        assert_eq!(id("x"), None);
    }
}
