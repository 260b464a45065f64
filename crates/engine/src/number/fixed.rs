//! Exact decimal arithmetic on scaled integers, for amounts summed over
//! millions of rows: no float rounding, so a total does not depend on the
//! order rows arrive in.

use super::decimal::{unwrap_cell, Written};
use super::pow10::pow10;

/// A decimal number: `mantissa / 10^scale`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dec {
    pub mantissa: i128,
    pub scale: u32,
}

/// The most decimal places a parsed number may have.
const MAX_SCALE: u32 = 30;

/// Why a field is not a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecError {
    /// Empty, or only spaces.
    Empty,
    /// Not a decimal number (`12a`, `1,5`, `--3`).
    NotANumber,
    /// A number too large or too precise to compute with exactly.
    OutOfRange,
}

impl Dec {
    /// Parses a plain decimal: optional spaces around it, an optional sign,
    /// digits with an optional `.`, and an optional exponent (`1.5e3`).
    ///
    /// ```
    /// use sluice_engine::{Dec, DecError};
    /// assert_eq!(Dec::parse(b" -12.50 "), Ok(Dec { mantissa: -1250, scale: 2 }));
    /// assert_eq!(Dec::parse(b"1.5e3"), Ok(Dec { mantissa: 1500, scale: 0 }));
    /// assert_eq!(Dec::parse(b"Not Available"), Err(DecError::NotANumber));
    /// assert_eq!(Dec::parse(b""), Err(DecError::Empty));
    /// ```
    #[inline]
    pub fn parse(text: &[u8]) -> Result<Dec, DecError> {
        match parse_plain(text) {
            Some((mantissa, scale)) => Ok(Dec {
                mantissa: i128::from(mantissa),
                scale,
            }),
            None => parse_general(text),
        }
    }

    /// This number with `scale` decimal places, rounded half away from
    /// zero when it has more; `None` on overflow.
    pub fn rescale(self, scale: u32) -> Option<i128> {
        if scale >= self.scale {
            self.mantissa.checked_mul(pow10(scale - self.scale)?)
        } else {
            Some(div_round(self.mantissa, pow10(self.scale - scale)?))
        }
    }
}

/// The common case of [`Dec::parse`]: up to 19 digits with an optional
/// point and nothing else, which fits a u64. `None` for anything else.
#[inline(always)]
pub(crate) fn parse_plain(text: &[u8]) -> Option<(u64, u32)> {
    if text.len() > 19 {
        return None;
    }
    let mut mantissa = 0u64;
    let mut point = None;
    for (i, &b) in text.iter().enumerate() {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            mantissa = mantissa * 10 + u64::from(digit);
        } else if b == b'.' && point.is_none() {
            point = Some(i);
        } else {
            return None;
        }
    }
    let digits = text.len() - usize::from(point.is_some());
    (digits > 0).then(|| (mantissa, point.map_or(0, |p| text.len() - p - 1) as u32))
}

/// Any other number, as the filter reads one ([`crate::is_numeric`]):
/// quotes and surrounding spaces removed, a sign, an exponent.
fn parse_general(text: &[u8]) -> Result<Dec, DecError> {
    let cell = unwrap_cell(text.trim_ascii()).ok_or(DecError::NotANumber)?;
    if cell.is_empty() {
        return Err(DecError::Empty);
    }
    let written = Written::parse(cell).ok_or(DecError::NotANumber)?;
    let mut mantissa = 0i128;
    for &d in written.int.iter().chain(written.frac) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(d - b'0')))
            .ok_or(DecError::OutOfRange)?;
    }
    let mut scale = written.frac.len() as i64 - written.exp;
    if scale < 0 {
        let factor = u32::try_from(-scale)
            .ok()
            .and_then(pow10)
            .ok_or(DecError::OutOfRange)?;
        mantissa = mantissa.checked_mul(factor).ok_or(DecError::OutOfRange)?;
        scale = 0;
    }
    if scale > i64::from(MAX_SCALE) {
        return Err(DecError::OutOfRange);
    }
    Ok(Dec {
        mantissa: if written.negative {
            -mantissa
        } else {
            mantissa
        },
        scale: scale as u32,
    })
}

/// `n / d` rounded half away from zero (`d > 0`).
fn div_round(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if r.abs() * 2 >= d {
        q + n.signum()
    } else {
        q
    }
}

/// Writes `value / 10^scale` with exactly `places` decimals, rounded half
/// away from zero: `1234567, 4, 2` → `123.46`.
pub fn write_fixed(out: &mut Vec<u8>, value: i128, scale: u32, places: u32) {
    let units = Dec {
        mantissa: value,
        scale,
    }
    .rescale(places)
    .unwrap_or(value);
    let divisor = pow10(places).unwrap_or(1);
    if units < 0 {
        out.push(b'-');
    }
    let abs = units.unsigned_abs();
    let divisor = divisor as u128;
    out.extend_from_slice((abs / divisor).to_string().as_bytes());
    if places > 0 {
        let frac = (abs % divisor).to_string();
        out.push(b'.');
        out.resize(out.len() + places as usize - frac.len(), b'0');
        out.extend_from_slice(frac.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Result<Dec, DecError> {
        Dec::parse(s.as_bytes())
    }

    #[test]
    fn parses_plain_signed_scaled_and_exponent_forms() {
        let d = |mantissa, scale| Ok(Dec { mantissa, scale });
        assert_eq!(dec("0"), d(0, 0));
        assert_eq!(dec("007"), d(7, 0));
        assert_eq!(dec("+3.25"), d(325, 2));
        assert_eq!(dec("-0.5"), d(-5, 1));
        assert_eq!(dec(".5"), d(5, 1));
        assert_eq!(dec("5."), d(5, 0));
        assert_eq!(dec("2.5E-2"), d(25, 3));
        assert_eq!(dec("12e2"), d(1200, 0));
        assert_eq!(
            dec("123456789012345678901234"),
            d(123456789012345678901234, 0)
        );
    }

    #[test]
    fn refuses_what_is_not_a_plain_number() {
        for s in [
            "-", ".", "1.2.3", "1,5", "12a", "e5", "1e", "--1", "0x10", "1 2", "NaN",
        ] {
            assert_eq!(dec(s), Err(DecError::NotANumber), "{s}");
        }
        assert_eq!(dec("   "), Err(DecError::Empty));
        assert_eq!(dec("1e99999"), Err(DecError::OutOfRange));
        assert_eq!(dec(&"9".repeat(40)), Err(DecError::OutOfRange));
        assert_eq!(
            dec(&format!("0.{}", "1".repeat(31))),
            Err(DecError::OutOfRange)
        );
    }

    #[test]
    fn rescales_with_half_away_from_zero_rounding() {
        let d = Dec {
            mantissa: 12345,
            scale: 3,
        };
        assert_eq!(d.rescale(2), Some(1235));
        assert_eq!(
            Dec {
                mantissa: -12345,
                scale: 3
            }
            .rescale(2),
            Some(-1235)
        );
        assert_eq!(
            Dec {
                mantissa: 12344,
                scale: 3
            }
            .rescale(2),
            Some(1234)
        );
        assert_eq!(d.rescale(5), Some(1234500));
        assert_eq!(
            Dec {
                mantissa: i128::MAX,
                scale: 0
            }
            .rescale(1),
            None
        );
    }

    #[test]
    fn writes_fixed_decimals() {
        let s = |v, scale, places| {
            let mut out = Vec::new();
            write_fixed(&mut out, v, scale, places);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(s(1234567, 4, 2), "123.46");
        assert_eq!(s(-1234567, 4, 2), "-123.46");
        assert_eq!(s(5, 0, 2), "5.00");
        assert_eq!(s(-4, 3, 2), "0.00");
        assert_eq!(s(-5, 3, 2), "-0.01");
        assert_eq!(s(7, 2, 2), "0.07");
        assert_eq!(s(42, 0, 0), "42");
    }
}
