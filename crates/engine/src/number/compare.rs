//! Decimal values compared as written, for the `--where` expressions: a
//! constant held ready to compare cells with, and an owned exact number
//! for values an expression computes (`CAST`, `CHAR_LENGTH`).

use super::decimal::{trim, Written};
use super::pow10::POW10_I64;
use std::cmp::Ordering;

/// An exact decimal: sign, significant digits (no leading or trailing
/// zeros; empty for zero) and magnitude, the value being
/// `0.digits × 10^mag`. Zero is never negative, so equal values are equal
/// structs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Exact {
    negative: bool,
    digits: Vec<u8>,
    mag: i64,
}

impl Exact {
    /// The value of `text` (spaces and tabs around it allowed) when it is a
    /// decimal number as [`is_numeric`](super::is_numeric) reads one.
    pub(crate) fn parse(text: &[u8]) -> Option<Exact> {
        Written::parse(trim(text)).map(|w| Exact::of(&w))
    }

    fn of(w: &Written<'_>) -> Exact {
        match w.significant() {
            Some((first, end, mag)) => Exact {
                negative: w.negative,
                digits: (first..end).map(|i| w.digit(i)).collect(),
                mag,
            },
            None => Exact::default(),
        }
    }

    /// The integer `n`.
    pub(crate) fn from_count(n: usize) -> Exact {
        Exact::parse(n.to_string().as_bytes()).expect("an integer is a decimal")
    }

    /// The value with its fraction cut off (toward zero).
    pub(crate) fn truncated(&self) -> Exact {
        if self.mag <= 0 {
            return Exact::default();
        }
        let keep = (self.mag as usize).min(self.digits.len());
        let mut digits = self.digits[..keep].to_vec();
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        Exact {
            negative: self.negative && !digits.is_empty(),
            digits,
            mag: self.mag,
        }
    }

    fn signum(&self) -> i8 {
        match (self.digits.is_empty(), self.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }

    /// The exact order of two values.
    pub(crate) fn cmp_exact(&self, other: &Exact) -> Ordering {
        let (sa, sb) = (self.signum(), other.signum());
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let magnitude = self
            .mag
            .cmp(&other.mag)
            .then_with(|| self.digits.cmp(&other.digits));
        if sa > 0 {
            magnitude
        } else {
            magnitude.reverse()
        }
    }

    /// Plain decimal text, no exponent: `-0.05`, `1200`, `4.7`.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        if self.digits.is_empty() {
            out.push(b'0');
            return;
        }
        if self.negative {
            out.push(b'-');
        }
        let n = self.digits.len() as i64;
        if self.mag <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-self.mag) as usize));
            out.extend_from_slice(&self.digits);
        } else if self.mag >= n {
            out.extend_from_slice(&self.digits);
            out.extend(std::iter::repeat_n(b'0', (self.mag - n) as usize));
        } else {
            out.extend_from_slice(&self.digits[..self.mag as usize]);
            out.push(b'.');
            out.extend_from_slice(&self.digits[self.mag as usize..]);
        }
    }
}

/// A number constant that cells are compared with, many times: the exact
/// value, and for one without an exponent that fits, integers that plain
/// cells (`[+-]digits[.digits]`) are compared with without parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Constant {
    exact: Exact,
    fast: Option<Fast>,
}

/// `|value| = int + frac / 10^scale`, `scale` ≤ 18.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fast {
    negative: bool,
    int: u64,
    frac: u64,
    scale: u32,
}

impl Constant {
    pub(crate) fn new(exact: Exact) -> Constant {
        let fast = Fast::of(&exact);
        Constant { exact, fast }
    }

    /// How a cell's value (already unquoted) compares with the constant;
    /// `None` when it is not a number.
    #[inline(always)]
    pub(crate) fn compare(&self, value: &[u8]) -> Option<Ordering> {
        if let Some(fast) = &self.fast {
            if let Some(order) = fast.compare(value) {
                return order;
            }
        }
        self.compare_slow(value)
    }

    #[inline(never)]
    fn compare_slow(&self, value: &[u8]) -> Option<Ordering> {
        Some(Exact::parse(value)?.cmp_exact(&self.exact))
    }
}

fn pow10(n: u32) -> u64 {
    POW10_I64[n as usize] as u64
}

impl Fast {
    fn of(e: &Exact) -> Option<Fast> {
        let n = e.digits.len() as i64;
        if e.mag > 18 || n - e.mag > 18 {
            return None;
        }
        let scale = (n - e.mag).max(0) as u32;
        let int_digits = e.mag.clamp(0, n) as usize;
        let num = |d: &[u8]| d.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
        let int = num(&e.digits[..int_digits]) * pow10((e.mag - int_digits as i64).max(0) as u32);
        Some(Fast {
            negative: e.negative,
            int,
            frac: num(&e.digits[int_digits..]),
            scale,
        })
    }

    /// `Some(None)` for text that is not a number, `None` to defer to the
    /// general path (spaces, an exponent, more than 18 integer digits).
    #[inline(always)]
    fn compare(&self, cell: &[u8]) -> Option<Option<Ordering>> {
        let Some(c) = self.read(cell)? else {
            return Some(None);
        };
        let zero = c.int == 0 && c.frac == 0 && !c.more;
        let sign = |neg: bool, zero: bool| {
            if zero {
                0
            } else if neg {
                -1i8
            } else {
                1
            }
        };
        let (sc, sk) = (
            sign(c.negative, zero),
            sign(self.negative, self.int == 0 && self.frac == 0),
        );
        if sc != sk || sc == 0 {
            return Some(Some(sc.cmp(&sk)));
        }
        let magnitude = (c.int, c.frac, c.more).cmp(&(self.int, self.frac, false));
        Some(Some(if sc > 0 {
            magnitude
        } else {
            magnitude.reverse()
        }))
    }

    /// Reads `[+-]digits[.digits]` to the constant's scale; the outer
    /// `None` defers to the general path, the inner one is no number.
    #[inline(always)]
    fn read(&self, cell: &[u8]) -> Option<Option<Plain>> {
        let n = cell.len();
        let signed = matches!(cell.first(), Some(b'-' | b'+'));
        let mut c = Plain {
            negative: signed && cell[0] == b'-',
            ..Plain::default()
        };
        let mut i = usize::from(signed);
        let int_start = i;
        while let Some(d) = cell
            .get(i)
            .map(|b| b.wrapping_sub(b'0'))
            .filter(|d| *d <= 9)
        {
            if i - int_start == 18 {
                return None;
            }
            c.int = c.int * 10 + u64::from(d);
            i += 1;
        }
        let int_digits = i - int_start;
        let (mut frac_digits, mut frac_len) = (0u32, 0);
        if cell.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while let Some(d) = cell
                .get(i)
                .map(|b| b.wrapping_sub(b'0'))
                .filter(|d| *d <= 9)
            {
                if frac_digits < self.scale {
                    c.frac = c.frac * 10 + u64::from(d);
                    frac_digits += 1;
                } else {
                    c.more |= d != 0;
                }
                i += 1;
            }
            frac_len = i - start;
        }
        if i != n || (int_digits == 0 && frac_len == 0) {
            return match cell.get(i) {
                Some(b'e' | b'E' | b' ' | b'\t') => None,
                _ => Some(None),
            };
        }
        c.frac *= pow10(self.scale - frac_digits);
        Some(Some(c))
    }
}

/// A plain cell's magnitude at the constant's scale, and whether nonzero
/// digits past that scale follow.
#[derive(Default)]
struct Plain {
    negative: bool,
    int: u64,
    frac: u64,
    more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constant(s: &str) -> Constant {
        Constant::new(Exact::parse(s.as_bytes()).unwrap())
    }

    #[test]
    fn fast_and_general_paths_agree() {
        let cells = [
            "4.7",
            "4.70",
            "4.71",
            "4.69",
            "-4.7",
            "-4.71",
            "0",
            "-0",
            "+0.0",
            "5",
            "5.",
            ".5",
            "1e1",
            " 4.7 ",
            "x",
            "",
            "-",
            ".",
            "123456789012345678901",
            "0.000000000000000000001",
            "-12.5",
            "1200",
            "1.2e3",
            "99",
        ];
        for k in [
            "4.7", "0", "-4.7", "1200", "0.05", "-0.001", "1e30", "1e-30", "12",
        ] {
            let fast = constant(k);
            let slow = Constant {
                fast: None,
                ..fast.clone()
            };
            for c in cells {
                assert_eq!(
                    fast.compare(c.as_bytes()),
                    slow.compare(c.as_bytes()),
                    "{c} vs {k}"
                );
                assert_eq!(
                    slow.compare(c.as_bytes()),
                    crate::compare_decimals(c.as_bytes(), k.as_bytes()),
                    "{c} vs {k}"
                );
            }
        }
    }

    #[test]
    fn exact_values_print_and_truncate() {
        let text = |s: &str, f: fn(&Exact) -> Exact| {
            let mut out = Vec::new();
            f(&Exact::parse(s.as_bytes()).unwrap()).write(&mut out);
            String::from_utf8(out).unwrap()
        };
        let same = |e: &Exact| e.clone();
        assert_eq!(text("4.70", same), "4.7");
        assert_eq!(text("-0.050", same), "-0.05");
        assert_eq!(text("12e2", same), "1200");
        assert_eq!(text("-0", same), "0");
        assert_eq!(text("4.7", Exact::truncated), "4");
        assert_eq!(text("-4.7", Exact::truncated), "-4");
        assert_eq!(text("-0.7", Exact::truncated), "0");
        assert_eq!(text("1.5e3", Exact::truncated), "1500");
        assert_eq!(text("105.5", Exact::truncated), "105");
        assert_eq!(Exact::from_count(12), Exact::parse(b"12.0").unwrap());
    }
}
