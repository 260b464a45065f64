//! Decimal numbers as written, compared exactly.
//!
//! A CSV cell is *numeric* when, after removing its enclosing quotes and
//! trimming surrounding spaces and tabs, it reads as an optional sign, digits
//! with an optional fraction and an optional exponent: `5`, `+5`, `-0.5`,
//! `4.71`, `.5`, `5.`, `1e1`. Empty cells, `NaN`, `inf`, `1,234`, `0x10` and
//! text are not numeric.
//!
//! Values are never converted to floating point: `4.70` is not above `4.7`,
//! and `4.7000001` is, however many digits a cell carries.
//!
//! ```
//! use sluice_engine::{Threshold, Verdict};
//!
//! let t: Threshold = "4.7".parse().unwrap();
//! assert_eq!(t.judge(b"4.70"), Verdict::NotAbove);
//! assert_eq!(t.judge(b"\" 4.7000001 \""), Verdict::Above);
//! assert_eq!(t.judge(b"NaN"), Verdict::NotNumeric);
//! ```

use super::pow10::POW10_I64;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// How a cell compares with a [`Threshold`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The cell is a number strictly greater than the threshold.
    Above,
    /// The cell is a number less than or equal to the threshold.
    NotAbove,
    /// The cell is not a number (empty, text, `NaN`, `1,234`, ...).
    NotNumeric,
}

/// A decimal number as written: sign, digits around the point, exponent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Written<'a> {
    pub(crate) negative: bool,
    /// Digits before the point.
    pub(crate) int: &'a [u8],
    /// Digits after the point.
    pub(crate) frac: &'a [u8],
    /// The exponent (`e-3`), clamped to ±EXP_LIMIT.
    pub(crate) exp: i64,
}

/// Exponents beyond this are clamped; no CSV cell needs more and it keeps
/// the arithmetic far from overflow.
const EXP_LIMIT: i64 = 1 << 40;

impl<'a> Written<'a> {
    /// Parses `s` (already unquoted and trimmed) as a decimal number.
    pub(crate) fn parse(s: &'a [u8]) -> Option<Self> {
        let (negative, rest) = match s.first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let int_len = leading_digits(rest);
        let int = &rest[..int_len];
        let mut rest = &rest[int_len..];
        let mut frac: &[u8] = &[];
        if let Some((b'.', tail)) = rest.split_first() {
            let n = leading_digits(tail);
            frac = &tail[..n];
            rest = &tail[n..];
        }
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let exp = match rest.split_first() {
            None => 0,
            Some((b'e' | b'E', tail)) => parse_exponent(tail)?,
            Some(_) => return None,
        };
        Some(Written {
            negative,
            int,
            frac,
            exp,
        })
    }

    /// The digit at position `i` of `int ++ frac`.
    #[inline]
    pub(crate) fn digit(&self, i: usize) -> u8 {
        if i < self.int.len() {
            self.int[i]
        } else {
            self.frac[i - self.int.len()]
        }
    }

    fn len(&self) -> usize {
        self.int.len() + self.frac.len()
    }

    /// Significant digits as `(first, end)` indices into `int ++ frac`, and
    /// the magnitude `m` such that the value is `0.d1d2... × 10^m`; `None`
    /// when the value is zero.
    pub(crate) fn significant(&self) -> Option<(usize, usize, i64)> {
        let n = self.len();
        let first = (0..n).find(|&i| self.digit(i) != b'0')?;
        let end = (first..n).rev().find(|&i| self.digit(i) != b'0')? + 1;
        let mag = self.int.len() as i64 - first as i64 + self.exp;
        Some((first, end, mag))
    }
}

fn leading_digits(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || leading_digits(digits) != digits.len() {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        value = (value * 10 + i64::from(d - b'0')).min(EXP_LIMIT);
    }
    Some(if negative { -value } else { value })
}

/// Removes enclosing quotes (a quoted cell holding a quote is not a number)
/// and surrounding spaces and tabs. `None` when the cell cannot be numeric.
#[inline]
pub(crate) fn unwrap_cell(raw: &[u8]) -> Option<&[u8]> {
    let mut s = raw;
    if let [b'"', inner @ .., b'"'] = s {
        if inner.contains(&b'"') {
            return None;
        }
        s = inner;
    } else if s.first() == Some(&b'"') {
        return None;
    }
    Some(trim(s))
}

#[inline]
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Returns true when `raw` (a cell as it appears in the file, quotes
/// included) is a decimal number.
///
/// ```
/// assert!(sluice_engine::is_numeric(b" -0.5 "));
/// assert!(!sluice_engine::is_numeric(b"1,234"));
/// ```
pub fn is_numeric(raw: &[u8]) -> bool {
    unwrap_cell(raw).and_then(Written::parse).is_some()
}

/// The cell's value as written — enclosing quotes and surrounding spaces
/// and tabs removed — when it is a decimal number.
///
/// ```
/// assert_eq!(sluice_engine::numeric_text(b"\" -0.5 \""), Some(&b"-0.5"[..]));
/// assert_eq!(sluice_engine::numeric_text(b"N/A"), None);
/// ```
pub fn numeric_text(raw: &[u8]) -> Option<&[u8]> {
    unwrap_cell(raw).filter(|cell| Written::parse(cell).is_some())
}

/// Compares two cells exactly, as the decimal numbers they write; `None`
/// when either is not numeric. `4.70` equals `4.7` and `47e-1`;
/// `-0` equals `0`.
///
/// ```
/// use std::cmp::Ordering;
/// use sluice_engine::compare_decimals;
/// assert_eq!(compare_decimals(b"4.70", b"47e-1"), Some(Ordering::Equal));
/// assert_eq!(compare_decimals(b"-2", b"-10"), Some(Ordering::Greater));
/// assert_eq!(compare_decimals(b"1e400", b"9"), Some(Ordering::Greater));
/// assert_eq!(compare_decimals(b"x", b"9"), None);
/// ```
pub fn compare_decimals(a: &[u8], b: &[u8]) -> Option<Ordering> {
    let a = unwrap_cell(a).and_then(Written::parse)?;
    let b = unwrap_cell(b).and_then(Written::parse)?;
    Some(a.cmp_exact(&b))
}

impl Written<'_> {
    /// -1, 0 or 1.
    fn signum(&self) -> i8 {
        match (self.significant(), self.negative) {
            (None, _) => 0,
            (Some(_), true) => -1,
            (Some(_), false) => 1,
        }
    }

    /// The exact order of two written numbers.
    fn cmp_exact(&self, other: &Written<'_>) -> Ordering {
        let (sa, sb) = (self.signum(), other.signum());
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let (Some((fa, ea, ma)), Some((fb, eb, mb))) = (self.significant(), other.significant())
        else {
            unreachable!("non-zero numbers have significant digits");
        };
        let magnitude = ma.cmp(&mb).then_with(|| {
            let a = (fa..ea).map(|i| self.digit(i));
            a.cmp((fb..eb).map(|i| other.digit(i)))
        });
        if sa > 0 {
            magnitude
        } else {
            magnitude.reverse()
        }
    }
}

/// The comparison threshold of the `filter` job, held exactly as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threshold {
    text: String,
    negative: bool,
    /// Significant digits, no leading or trailing zeros; empty for zero.
    digits: Vec<u8>,
    /// The value is `0.digits × 10^mag`.
    mag: i64,
    /// For a non-negative threshold that fits: see [`Fast`].
    fast: Option<Fast>,
}

/// The threshold text is not a decimal number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThresholdError(pub String);

impl fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "threshold {:?} is not a decimal number (examples: 4.7, -1, 2.5e3)",
            self.0
        )
    }
}

impl std::error::Error for ThresholdError {}

impl FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let w = Written::parse(trim(text.as_bytes()))
            .ok_or_else(|| ThresholdError(text.to_string()))?;
        let (digits, mag) = match w.significant() {
            Some((first, end, mag)) => ((first..end).map(|i| w.digit(i)).collect(), mag),
            None => (Vec::new(), 0),
        };
        let negative = w.negative && !digits.is_empty();
        let fast = if negative {
            None
        } else {
            split_integer(&digits, mag).and_then(|(int, frac)| Fast::new(int, &frac))
        };
        Ok(Threshold {
            text: text.trim().to_string(),
            negative,
            digits,
            mag,
            fast,
        })
    }
}

/// Splits `0.digits × 10^mag` into an integer part (when it fits in a
/// `u64` with room to compare) and the fraction digits.
fn split_integer(digits: &[u8], mag: i64) -> Option<(u64, Vec<u8>)> {
    if digits.is_empty() {
        return Some((0, Vec::new()));
    }
    if !(-4096..=18).contains(&mag) {
        return None;
    }
    let mut int = 0u64;
    for i in 0..mag.max(0) as usize {
        int = int * 10 + u64::from(digits.get(i).map_or(0, |d| d - b'0'));
    }
    let mut frac = vec![b'0'; (-mag).max(0) as usize];
    frac.extend_from_slice(digits.get(mag.max(0) as usize..).unwrap_or(&[]));
    Some((int, frac))
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Threshold {
    /// Compares a raw cell (quotes included, as in the file) with the
    /// threshold.
    #[inline(always)]
    pub fn judge(&self, raw: &[u8]) -> Verdict {
        if let Some(v) = self.fast.as_ref().and_then(|f| f.judge(raw)) {
            return v;
        }
        self.judge_slow(raw)
    }

    /// Quoted or padded cells, exponents, long numbers, negative thresholds.
    #[inline(never)]
    fn judge_slow(&self, raw: &[u8]) -> Verdict {
        let Some(cell) = unwrap_cell(raw) else {
            return Verdict::NotNumeric;
        };
        if let Some(fast) = &self.fast {
            if let Some(v) = fast.judge(cell) {
                return v;
            }
        }
        match Written::parse(cell) {
            None => Verdict::NotNumeric,
            Some(w) if self.is_below(&w) => Verdict::Above,
            Some(_) => Verdict::NotAbove,
        }
    }

    /// True when the threshold is strictly less than `w`.
    fn is_below(&self, w: &Written<'_>) -> bool {
        let sig = w.significant();
        let sign = |neg: bool, zero: bool| {
            if zero {
                0
            } else if neg {
                -1
            } else {
                1
            }
        };
        let ws = sign(w.negative, sig.is_none());
        let ts = sign(self.negative, self.digits.is_empty());
        if ws != ts {
            return ws > ts;
        }
        let Some((first, end, mag)) = sig else {
            return false; // both zero
        };
        let magnitude = mag.cmp(&self.mag).then_with(|| {
            let cell = (first..end).map(|i| w.digit(i));
            cell.cmp(self.digits.iter().copied())
        });
        if ws > 0 {
            magnitude == Ordering::Greater
        } else {
            magnitude == Ordering::Less
        }
    }
}

/// A non-negative threshold without an exponent, held as integers: the
/// integer part, and the first `scale` fraction digits (its own fraction,
/// trailing zeros removed) as a number.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fast {
    int: u64,
    frac: u64,
    scale: u32,
}

/// 10^n for n ≤ 18.
fn pow10(n: usize) -> u64 {
    POW10_I64[n] as u64
}

impl Fast {
    fn new(int: u64, frac: &[u8]) -> Option<Self> {
        if frac.len() > 18 || int >= pow10(18) {
            return None;
        }
        let value = frac.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
        Some(Fast {
            int,
            frac: value,
            scale: frac.len() as u32,
        })
    }

    /// Judges a cell written as `[+-]digits[.digits]`; text that cannot be
    /// a number is `NotNumeric`. `None` defers to the general path (quotes,
    /// spaces, an exponent, more than 18 integer digits).
    #[inline(always)]
    fn judge(&self, cell: &[u8]) -> Option<Verdict> {
        let n = cell.len();
        let mut i = usize::from(matches!(cell.first(), Some(b'-' | b'+')));
        let negative = i == 1 && cell[0] == b'-';
        let int_start = i;
        let mut int = 0u64;
        while i < n {
            let d = cell[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if i - int_start == 18 {
                return None;
            }
            int = int * 10 + u64::from(d);
            i += 1;
        }
        let int_digits = i - int_start;
        let mut frac = 0u64;
        let mut frac_digits = 0u32;
        let mut more = false;
        let mut frac_len = 0;
        if i < n && cell[i] == b'.' {
            i += 1;
            let frac_start = i;
            while i < n {
                let d = cell[i].wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                if frac_digits < self.scale {
                    frac = frac * 10 + u64::from(d);
                    frac_digits += 1;
                } else {
                    more |= d != 0;
                }
                i += 1;
            }
            frac_len = i - frac_start;
        }
        if int_digits == 0 && frac_len == 0 {
            return match cell.get(i) {
                // A quoted cell starting with a letter is text.
                Some(b'"') if i == 0 && cell.get(1).is_some_and(u8::is_ascii_alphabetic) => {
                    Some(Verdict::NotNumeric)
                }
                Some(b'"' | b' ' | b'\t') => None,
                _ => Some(Verdict::NotNumeric),
            };
        }
        if i != n {
            return match cell[i] {
                b'e' | b'E' | b'"' | b' ' | b'\t' => None,
                _ => Some(Verdict::NotNumeric),
            };
        }
        if negative {
            // Zero or below, and the threshold is at least zero.
            return Some(Verdict::NotAbove);
        }
        let frac = frac * pow10((self.scale - frac_digits) as usize);
        let above = (int, frac, more) > (self.int, self.frac, false);
        Some(if above {
            Verdict::Above
        } else {
            Verdict::NotAbove
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Threshold {
        s.parse().unwrap()
    }

    #[test]
    fn numeric_forms_are_recognised() {
        for s in [
            "5", "+5", "-0.5", "4.71", ".5", "5.", "1e1", "1E+3", "2.5e-3", " 7 ", "\"7\"",
            "\" 7\"", "\t8\t", "007", "0",
        ] {
            assert!(is_numeric(s.as_bytes()), "{s:?} should be numeric");
        }
    }

    #[test]
    fn non_numeric_forms_are_rejected() {
        for s in [
            "",
            " ",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "Infinity",
            "1,234",
            "0x10",
            "abc",
            "1.2.3",
            "+",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "5 5",
            "\"5",
            "\"5\"\"\"",
            "1_000",
            "١",
            "5%",
            "$5",
            "--5",
        ] {
            assert!(!is_numeric(s.as_bytes()), "{s:?} should not be numeric");
        }
    }

    #[test]
    fn comparison_is_exact_as_written() {
        let th = t("4.7");
        let cases = [
            ("4.70", Verdict::NotAbove),
            ("4.7", Verdict::NotAbove),
            ("4.7000001", Verdict::Above),
            ("4.69999999999999999999", Verdict::NotAbove),
            ("4.700000000000000000000000001", Verdict::Above),
            ("5", Verdict::Above),
            ("47e-1", Verdict::NotAbove),
            ("471e-2", Verdict::Above),
            ("0.47e1", Verdict::NotAbove),
            ("-10", Verdict::NotAbove),
            ("99999999999999999999999", Verdict::Above),
            ("-99999999999999999999999", Verdict::NotAbove),
            (".5", Verdict::NotAbove),
            ("5.", Verdict::Above),
            ("\"4.8\"", Verdict::Above),
            ("  4.8  ", Verdict::Above),
            ("abc", Verdict::NotNumeric),
        ];
        for (cell, want) in cases {
            assert_eq!(th.judge(cell.as_bytes()), want, "{cell}");
        }
    }

    #[test]
    fn negative_and_zero_thresholds() {
        let th = t("-1.5");
        assert_eq!(th.judge(b"-1.4"), Verdict::Above);
        assert_eq!(th.judge(b"-1.50"), Verdict::NotAbove);
        assert_eq!(th.judge(b"-2"), Verdict::NotAbove);
        assert_eq!(th.judge(b"0"), Verdict::Above);
        assert_eq!(th.judge(b"-0"), Verdict::Above);
        let zero = t("0");
        assert_eq!(zero.judge(b"-0.0"), Verdict::NotAbove);
        assert_eq!(zero.judge(b"0.000"), Verdict::NotAbove);
        assert_eq!(zero.judge(b"0.0001"), Verdict::Above);
        assert_eq!(zero.judge(b"-0.0001"), Verdict::NotAbove);
        assert_eq!(zero.judge(b"1e-400"), Verdict::Above);
    }

    #[test]
    fn thresholds_with_exponents_and_large_values() {
        assert_eq!(t("1e2").judge(b"100.0"), Verdict::NotAbove);
        assert_eq!(t("1e2").judge(b"100.01"), Verdict::Above);
        assert_eq!(
            t("1e30").judge(b"1000000000000000000000000000001"),
            Verdict::Above
        );
        assert_eq!(t("1e30").judge(b"1e30"), Verdict::NotAbove);
        assert_eq!(t("0.001").judge(b"0.0011"), Verdict::Above);
        assert_eq!(t("0.001").judge(b"1e-3"), Verdict::NotAbove);
    }

    #[test]
    fn fast_path_agrees_with_general_path() {
        // The same comparisons through a threshold with no fast path
        // (forced by clearing it) must give the same verdicts.
        let cells = [
            "4.7",
            "4.71",
            "4.69",
            "5",
            "0",
            "-0",
            "12345678901234567890",
            "4.700",
            ".8",
            "8.",
            "x",
            "",
            "-4.8",
            "+4.8",
            "1e1",
        ];
        for th in ["4.7", "0", "10", "0.05", "123456789012345678"] {
            let fast = t(th);
            assert!(fast.fast.is_some(), "{th} should take the fast path");
            let mut slow = fast.clone();
            slow.fast = None;
            for c in cells {
                assert_eq!(
                    fast.judge(c.as_bytes()),
                    slow.judge(c.as_bytes()),
                    "{c} vs {th}"
                );
            }
        }
    }

    #[test]
    fn decimals_compare_exactly_with_each_other() {
        use Ordering::*;
        let cases = [
            ("4.7", "4.70", Equal),
            ("47e-1", "4.7", Equal),
            ("-0", "0.000", Equal),
            ("-0.0", "+0", Equal),
            ("4.7000001", "4.7", Greater),
            ("-4.7000001", "-4.7", Less),
            ("-10", "-9.99", Less),
            ("-1", "0", Less),
            ("0.001", "-1000", Greater),
            ("1e30", "999999999999999999999999999999", Greater),
            ("1e-400", "0", Greater),
            (".5", "0.50", Equal),
            ("5.", "5", Equal),
            ("\" 12 \"", "12.0", Equal),
            ("123456789012345678901", "123456789012345678900", Greater),
            ("2.5E+3", "2500", Equal),
        ];
        for (a, b, want) in cases {
            let (a, b) = (a.as_bytes(), b.as_bytes());
            assert_eq!(compare_decimals(a, b), Some(want), "{a:?} vs {b:?}");
            assert_eq!(
                compare_decimals(b, a),
                Some(want.reverse()),
                "{b:?} vs {a:?}"
            );
        }
        assert_eq!(compare_decimals(b"abc", b"1"), None);
        assert_eq!(compare_decimals(b"1", b""), None);
    }

    #[test]
    fn bad_threshold_is_an_error() {
        assert!("abc".parse::<Threshold>().is_err());
        assert!("".parse::<Threshold>().is_err());
        assert!("4,7".parse::<Threshold>().is_err());
    }
}
