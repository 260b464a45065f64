//! What the `inspect` job learns about one column: how many values it
//! holds, whether all of them are numbers, and the least and greatest.
//!
//! Bounds are kept as the text of the cell that holds them and compared
//! exactly. The common cell — a plain decimal of at most 18 digits such as
//! `-12.50` — is compared as a fixed-point integer; anything else (an
//! exponent, quotes, spaces, more digits) goes through the exact decimal
//! comparison.

use crate::decimal::{compare_decimals, numeric_text};
use std::cmp::Ordering;

/// A plain decimal `mant × 10^-scale`, at most 18 digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fixed {
    mant: i64,
    scale: u32,
}

/// Powers of ten up to 10^18.
const POW10: [i64; 19] = {
    let mut p = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

impl Fixed {
    /// Reads `[+-]digits[.digits]` with 1 to 18 digits, nothing else.
    #[inline(always)]
    fn parse(s: &[u8]) -> Option<Fixed> {
        let (negative, body) = match s {
            [b'-', rest @ ..] => (true, rest),
            [b'+', rest @ ..] => (false, rest),
            _ => (false, s),
        };
        if body.is_empty() || body.len() > 19 {
            return None;
        }
        let mut mant = 0i64;
        let mut dot = usize::MAX;
        for (i, &b) in body.iter().enumerate() {
            let d = b.wrapping_sub(b'0');
            if d < 10 {
                mant = mant * 10 + i64::from(d);
            } else if b == b'.' && dot == usize::MAX {
                dot = i;
            } else {
                return None;
            }
        }
        let has_dot = dot != usize::MAX;
        let digits = body.len() - usize::from(has_dot);
        if digits == 0 || digits > 18 {
            return None;
        }
        Some(Fixed {
            mant: if negative { -mant } else { mant },
            scale: if has_dot {
                (body.len() - 1 - dot) as u32
            } else {
                0
            },
        })
    }

    /// The exact order of two fixed-point numbers.
    #[inline(always)]
    fn cmp(self, other: Fixed) -> Ordering {
        if self.scale == other.scale {
            return self.mant.cmp(&other.mant);
        }
        // Both have at most 18 digits: scaled to the finer scale they
        // stay below 10^36, well inside an i128.
        let scale = self.scale.max(other.scale);
        let a = i128::from(self.mant) * i128::from(POW10[(scale - self.scale) as usize]);
        let b = i128::from(other.mant) * i128::from(POW10[(scale - other.scale) as usize]);
        a.cmp(&b)
    }
}

/// The running facts of one column.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// Values that are not empty (`""` is empty).
    pub non_empty: u64,
    /// No non-empty value so far was anything but a number.
    pub numeric: bool,
    /// The bounds as fixed-point numbers, when both are plain decimals.
    fixed: Option<(Fixed, Fixed)>,
    /// The bounds' text (quotes and surrounding spaces removed); empty
    /// until the first number, and again once a value is not numeric.
    min: Vec<u8>,
    max: Vec<u8>,
}

impl Default for Column {
    fn default() -> Self {
        Column {
            non_empty: 0,
            numeric: true,
            fixed: None,
            min: Vec::new(),
            max: Vec::new(),
        }
    }
}

impl Column {
    /// Takes one value, as it appears in the input (quotes included).
    #[inline(always)]
    pub fn add(&mut self, raw: &[u8]) {
        if raw.len() <= 2 && (raw.is_empty() || raw == b"\"\"") {
            return;
        }
        self.non_empty += 1;
        if !self.numeric {
            return;
        }
        if let (Some((lo, hi)), Some(v)) = (&mut self.fixed, Fixed::parse(raw)) {
            if v.cmp(*lo) == Ordering::Less {
                *lo = v;
                replace(&mut self.min, raw);
            } else if v.cmp(*hi) == Ordering::Greater {
                *hi = v;
                replace(&mut self.max, raw);
            }
            return;
        }
        self.add_slow(raw);
    }

    /// The first number, one that is not a plain decimal, or not a number.
    #[inline(never)]
    fn add_slow(&mut self, raw: &[u8]) {
        let Some(text) = numeric_text(raw) else {
            self.numeric = false;
            self.fixed = None;
            self.min = Vec::new();
            self.max = Vec::new();
            return;
        };
        if self.min.is_empty() {
            replace(&mut self.min, text);
            replace(&mut self.max, text);
        } else if compare_decimals(text, &self.min) == Some(Ordering::Less) {
            replace(&mut self.min, text);
        } else if compare_decimals(text, &self.max) == Some(Ordering::Greater) {
            replace(&mut self.max, text);
        }
        self.fixed = Fixed::parse(&self.min).zip(Fixed::parse(&self.max));
    }

    /// The least and greatest value, when every value is numeric and
    /// there is at least one.
    pub fn bounds(&self) -> Option<(&[u8], &[u8])> {
        (self.numeric && !self.min.is_empty()).then_some((&self.min[..], &self.max[..]))
    }
}

fn replace(into: &mut Vec<u8>, text: &[u8]) {
    into.clear();
    into.extend_from_slice(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[&str]) -> Column {
        let mut c = Column::default();
        for v in values {
            c.add(v.as_bytes());
        }
        c
    }

    fn bounds(values: &[&str]) -> Option<(String, String)> {
        let c = column(values);
        c.bounds().map(|(lo, hi)| {
            (
                String::from_utf8(lo.to_vec()).unwrap(),
                String::from_utf8(hi.to_vec()).unwrap(),
            )
        })
    }

    fn pair(lo: &str, hi: &str) -> Option<(String, String)> {
        Some((lo.into(), hi.into()))
    }

    #[test]
    fn integers_negatives_and_decimals() {
        assert_eq!(bounds(&["3", "-7", "12", "0"]), pair("-7", "12"));
        assert_eq!(
            bounds(&["1.5", "-0.25", "1.50001", "-0.2"]),
            pair("-0.25", "1.50001")
        );
        // Mixed scales compare by value; the first of equal values stays.
        assert_eq!(bounds(&["2.50", "2.5", "10", "9.999"]), pair("2.50", "10"));
        assert_eq!(bounds(&["+4", "4.0", "-0", "0.0"]), pair("-0", "+4"));
    }

    #[test]
    fn exponents_quotes_and_long_numbers_are_exact() {
        assert_eq!(
            bounds(&["5", "1e3", "-2.5E-1", "7"]),
            pair("-2.5E-1", "1e3")
        );
        assert_eq!(bounds(&["\" 12 \"", "3"]), pair("3", "12"));
        assert_eq!(
            bounds(&["123456789012345678901", "123456789012345678900", "9"]),
            pair("9", "123456789012345678901")
        );
        // A long number after plain ones, then plain ones again.
        assert_eq!(
            bounds(&["1", "99999999999999999999", "5", "100000000000000000000"]),
            pair("1", "100000000000000000000")
        );
        assert_eq!(bounds(&["1e-400", "0"]), pair("0", "1e-400"));
    }

    #[test]
    fn empty_values_do_not_count_and_text_ends_the_numbers() {
        let c = column(&["", "\"\"", "4", "", "x"]);
        assert_eq!(c.non_empty, 2);
        assert!(!c.numeric);
        assert_eq!(c.bounds(), None);
        let c = column(&["", "1", "\"\""]);
        assert_eq!((c.non_empty, c.numeric), (1, true));
        // No value at all: nothing to bound.
        assert_eq!(column(&["", ""]).bounds(), None);
        assert_eq!(bounds(&["NaN", "1"]), None);
        assert_eq!(bounds(&["1", "1,5"]), None);
    }

    #[test]
    fn fixed_point_agrees_with_the_exact_comparison() {
        let values = [
            "0",
            "-0",
            "1",
            "-1",
            "0.1",
            "-0.1",
            "10.00",
            "9.99",
            "123456789012345678",
            "-123456789012345678",
            "0.00000000000000001",
            "5.",
            ".5",
            "+.5",
            "99.999",
        ];
        for a in values {
            for b in values {
                let (fa, fb) = (Fixed::parse(a.as_bytes()), Fixed::parse(b.as_bytes()));
                let (fa, fb) = (fa.unwrap(), fb.unwrap());
                assert_eq!(
                    Some(fa.cmp(fb)),
                    compare_decimals(a.as_bytes(), b.as_bytes()),
                    "{a} vs {b}"
                );
            }
        }
        for not_plain in [
            "1e3",
            " 1",
            "\"1\"",
            "1.2.3",
            "-",
            ".",
            "1234567890123456789",
            "+-1",
        ] {
            assert_eq!(Fixed::parse(not_plain.as_bytes()), None, "{not_plain}");
        }
    }
}
