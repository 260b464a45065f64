//! What the `inspect` job learns about one column: how many values it
//! holds, whether all of them are numbers, and the least and greatest.
//!
//! Bounds are kept as the text of the cell that holds them and compared
//! exactly. The common cell — a plain decimal of at most 18 digits such as
//! `-12.50` — is compared as a fixed-point integer; anything else (an
//! exponent, quotes, spaces, more digits) goes through the exact decimal
//! comparison.

use crate::number::POW10_I64;
use crate::number::{compare_decimals, numeric_text};
use std::cmp::Ordering;

/// A plain decimal `mant × 10^-scale`, at most 18 digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fixed {
    mant: i64,
    scale: u32,
}

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
        let a = i128::from(self.mant) * i128::from(POW10_I64[(scale - self.scale) as usize]);
        let b = i128::from(other.mant) * i128::from(POW10_I64[(scale - other.scale) as usize]);
        a.cmp(&b)
    }
}

/// Plain non-negative decimals of one width with the point at one place
/// (`0.25`, `1.75`, `12.50`...) order as their bytes do. When both bounds
/// have such a shape of at most 8 bytes, a value of the same width is
/// checked and compared as one word, without parsing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    /// The width in bytes; 0 for no shape (no value has width 0 here).
    len: usize,
    /// The high bit of each of the `len` low bytes.
    high: u64,
    /// What turns a byte-swapped word into the value's key.
    shift: u32,
    /// `'0'` in each byte, `'.'` at the point (little-endian, as loaded).
    pattern: u64,
    /// Added to each byte after the pattern is taken off: `0x76` sets the
    /// high bit of a digit byte above 9, `0x7F` of a point byte not 0.
    addend: u64,
    /// The bounds as big-endian words, so that they compare as numbers.
    lo: u64,
    hi: u64,
}

const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Loads 1 to 8 bytes into a word, the first byte lowest, zeros above.
#[inline(always)]
fn load(s: &[u8]) -> u64 {
    let n = s.len();
    debug_assert!((1..=8).contains(&n));
    if n >= 4 {
        let word = |at: usize| {
            let bytes: [u8; 4] = s[at..at + 4].try_into().expect("4 bytes");
            u64::from(u32::from_le_bytes(bytes))
        };
        let (lo, hi) = (word(0), word(n - 4));
        lo | hi << (8 * (n - 4))
    } else {
        u64::from(s[0])
            | u64::from(s[n / 2]) << (8 * (n / 2))
            | u64::from(s[n - 1]) << (8 * (n - 1))
    }
}

impl Shape {
    /// No shape: matches no value.
    const NONE: Shape = Shape {
        len: 0,
        high: 0,
        shift: 0,
        pattern: 0,
        addend: 0,
        lo: 0,
        hi: 0,
    };

    /// The shape both bounds share, or [`Shape::NONE`].
    fn of(min: &[u8], max: &[u8]) -> Shape {
        Shape::shared(min, max).unwrap_or(Shape::NONE)
    }

    /// The shape both bounds share, if they share one.
    fn shared(min: &[u8], max: &[u8]) -> Option<Shape> {
        let len = min.len();
        if !(1..=8).contains(&len) || max.len() != len {
            return None;
        }
        let pattern = min.iter().rev().fold(0u64, |w, &b| {
            w << 8 | u64::from(if b == b'.' { b'.' } else { b'0' })
        });
        let addend = min
            .iter()
            .rev()
            .fold(0u64, |w, &b| w << 8 | if b == b'.' { 0x7F } else { 0x76 });
        let plain = |s: &[u8]| {
            s.iter()
                .zip(min)
                .all(|(&b, &m)| b.is_ascii_digit() == (m != b'.') && (b == b'.') == (m == b'.'))
                && s.iter().filter(|&&b| b == b'.').count() <= 1
                && s.iter().any(u8::is_ascii_digit)
        };
        if !plain(min) || !plain(max) {
            return None;
        }
        let mut shape = Shape {
            len,
            high: HIGH >> (64 - 8 * len),
            shift: (64 - 8 * len) as u32,
            pattern,
            addend,
            lo: 0,
            hi: 0,
        };
        shape.lo = shape.key(load(min));
        shape.hi = shape.key(load(max));
        Some(shape)
    }

    /// The value as a word that orders as the number does.
    #[inline(always)]
    fn key(&self, word: u64) -> u64 {
        word.swap_bytes() >> self.shift
    }

    /// Whether `word` (a value of this width) has this shape.
    #[inline(always)]
    fn fits(&self, word: u64) -> bool {
        let x = word ^ self.pattern;
        (((x & LOW7) + self.addend) | x) & self.high == 0
    }
}

/// The running facts of one column.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// Values that are empty (`""` too); the rest are counted by the
    /// caller, from how many rows reach the column.
    pub empty: u64,
    /// The row whose empty value was counted last: a value handed again
    /// (the same row, see [`Column::add`]) is not counted twice.
    empty_row: u64,
    /// No non-empty value so far was anything but a number.
    pub numeric: bool,
    /// The bounds as fixed-point numbers, when both are plain decimals.
    fixed: Option<(Fixed, Fixed)>,
    /// The bounds' shape, when they share one, else [`Shape::NONE`].
    shape: Shape,
    /// The bounds' text (quotes and surrounding spaces removed); empty
    /// until the first number, and again once a value is not numeric.
    min: Vec<u8>,
    max: Vec<u8>,
}

impl Default for Column {
    fn default() -> Self {
        Column {
            empty: 0,
            empty_row: u64::MAX,
            numeric: true,
            fixed: None,
            shape: Shape::NONE,
            min: Vec::new(),
            max: Vec::new(),
        }
    }
}

impl Column {
    /// Takes one value of row number `row`, as it appears in the input
    /// (quotes included). Taking a value again changes nothing: the bounds
    /// and the numeric flag hold already, and an empty value is counted
    /// once per row.
    #[inline(always)]
    pub fn add(&mut self, raw: &[u8], row: u64) {
        if raw.is_empty() {
            self.count_empty(row);
            return;
        }
        // A shape implies a numeric column: its test comes first, so that
        // the common value costs one well-predicted branch less.
        let shape = &self.shape;
        if raw.len() == shape.len {
            let word = load(raw);
            if shape.fits(word) {
                let key = shape.key(word);
                if key < shape.lo || key > shape.hi {
                    self.add_fixed(raw);
                }
                return;
            }
        }
        if raw == b"\"\"" {
            self.count_empty(row);
            return;
        }
        if self.numeric {
            self.add_fixed(raw);
        }
    }

    #[inline(always)]
    fn count_empty(&mut self, row: u64) {
        self.empty += u64::from(self.empty_row != row);
        self.empty_row = row;
    }

    /// A value that is a plain decimal, compared as one; others go slow.
    #[inline(always)]
    fn add_fixed(&mut self, raw: &[u8]) {
        if let (Some((lo, hi)), Some(v)) = (&mut self.fixed, Fixed::parse(raw)) {
            if v.cmp(*lo) == Ordering::Less {
                *lo = v;
                replace(&mut self.min, raw);
                self.shape = Shape::of(&self.min, &self.max);
            } else if v.cmp(*hi) == Ordering::Greater {
                *hi = v;
                replace(&mut self.max, raw);
                self.shape = Shape::of(&self.min, &self.max);
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
            self.shape = Shape::NONE;
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
        self.shape = Shape::of(&self.min, &self.max);
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
        for (row, v) in values.iter().enumerate() {
            c.add(v.as_bytes(), row as u64);
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
        assert_eq!(c.empty, 3);
        assert!(!c.numeric);
        assert_eq!(c.bounds(), None);
        let c = column(&["", "1", "\"\""]);
        assert_eq!((c.empty, c.numeric), (2, true));
        // No value at all: nothing to bound.
        assert_eq!(column(&["", ""]).bounds(), None);
        assert_eq!(bounds(&["NaN", "1"]), None);
        assert_eq!(bounds(&["1", "1,5"]), None);
    }

    #[test]
    fn equal_width_values_compare_as_words() {
        // Bounds 1.25..8.50 share a shape; values of that width are taken
        // without parsing, others (and lookalikes) go the general way.
        assert_eq!(
            bounds(&["1.25", "8.50", "0.07", "9.99", "3.3", "10.00", "7.5x"]),
            None
        );
        assert_eq!(
            bounds(&["1.25", "8.50", "0.07", "9.99", "3.3", "10.00"]),
            pair("0.07", "10.00")
        );
        assert_eq!(
            bounds(&["1.25", "8.50", "-3.00", "12.5"]),
            pair("-3.00", "12.5")
        );
        assert_eq!(
            bounds(&["1.25", "8.50", "8.51", "1.24"]),
            pair("1.24", "8.51")
        );
        // A value of the same width but another shape: not a number here.
        for odd in ["1,25", "12.5", "1.2.", " 1.2", "1e10", "1..2"] {
            let c = column(&["1.25", "8.50", odd]);
            let want = crate::is_numeric(odd.as_bytes());
            assert_eq!(c.numeric, want, "{odd}");
        }
        let shape = Shape::of(b"0012", b"9999");
        assert!(shape.fits(load(b"5000")));
        assert!(!shape.fits(load(b"50.0")));
        assert!(!shape.fits(load(b"5:00")));
        assert_eq!(Shape::of(b"1.5", b"22"), Shape::NONE);
        assert_eq!(Shape::of(b"-1.5", b"-2.2"), Shape::NONE);
        assert_eq!(Shape::of(b"123456789", b"123456789"), Shape::NONE);
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
