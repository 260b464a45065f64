//! The profit of a row, (list × (1 − discount/100) − cost) × quantity,
//! computed exactly on scaled integers: i64 for the common case, i128 when
//! that would overflow.

use crate::number::{parse_plain, pow10, Dec, POW10_I64};

/// Profit is kept with this many decimal places; each row's profit is
/// rounded to it (half away from zero) before it is summed.
pub(super) const PROFIT_SCALE: u32 = 8;

/// The common case of the profit: four plain numbers (digits and a
/// point), computed in i64; `None` for anything else.
#[inline(always)]
pub(super) fn profit_plain(raw: [&[u8]; 4]) -> Option<i128> {
    let int = |raw: &[u8]| {
        let (mantissa, scale) = parse_plain(raw)?;
        Some((i64::try_from(mantissa).ok()?, scale))
    };
    let [list, discount, cost, quantity] = raw;
    let (y, scale) = scaled_profit(int(list)?, int(discount)?, int(cost)?, int(quantity)?)?;
    let up = PROFIT_SCALE.checked_sub(scale).and_then(i64::pow10);
    match up.and_then(|up| y.checked_mul(up)) {
        Some(profit) => Some(profit.into()),
        None => rescale(y.into(), scale),
    }
}

/// Integers the profit is computed in: i64 for the common case, i128
/// when that overflows.
pub(super) trait Exact: Copy + From<i32> {
    fn checked_mul(self, other: Self) -> Option<Self>;
    fn checked_sub(self, other: Self) -> Option<Self>;
    fn pow10(n: u32) -> Option<Self>;
}

impl Exact for i64 {
    #[inline(always)]
    fn checked_mul(self, other: Self) -> Option<Self> {
        i64::checked_mul(self, other)
    }
    #[inline(always)]
    fn checked_sub(self, other: Self) -> Option<Self> {
        i64::checked_sub(self, other)
    }
    #[inline(always)]
    fn pow10(n: u32) -> Option<Self> {
        POW10_I64.get(n as usize).copied()
    }
}

impl Exact for i128 {
    fn checked_mul(self, other: Self) -> Option<Self> {
        i128::checked_mul(self, other)
    }
    fn checked_sub(self, other: Self) -> Option<Self> {
        i128::checked_sub(self, other)
    }
    fn pow10(n: u32) -> Option<Self> {
        pow10(n)
    }
}

/// The exact profit of one row, (list × (1 − discount/100) − cost) ×
/// quantity, from (mantissa, scale) pairs: `(mantissa, scale)` of the
/// result, `None` when a step overflows `T`.
#[inline(always)]
pub(super) fn scaled_profit<T: Exact>(
    (list, list_scale): (T, u32),
    (discount, discount_scale): (T, u32),
    (cost, cost_scale): (T, u32),
    (quantity, quantity_scale): (T, u32),
) -> Option<(T, u32)> {
    let hundred = T::from(100);
    // 100 × (list × (100 − discount)/100 − cost), at scale s1.
    let kept = T::pow10(discount_scale)?
        .checked_mul(hundred)?
        .checked_sub(discount)?;
    let scale1 = list_scale + discount_scale;
    let s1 = scale1.max(cost_scale);
    let x = list
        .checked_mul(kept)?
        .checked_mul(T::pow10(s1 - scale1)?)?
        .checked_sub(
            cost.checked_mul(hundred)?
                .checked_mul(T::pow10(s1 - cost_scale)?)?,
        )?;
    Some((x.checked_mul(quantity)?, s1 + quantity_scale + 2))
}

/// `mantissa / 10^scale` × 10^PROFIT_SCALE, rounded half away from zero;
/// `None` on overflow.
#[inline]
pub(super) fn rescale(mantissa: i128, scale: u32) -> Option<i128> {
    Dec { mantissa, scale }.rescale(PROFIT_SCALE)
}
