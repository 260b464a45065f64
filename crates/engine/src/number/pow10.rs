//! Powers of ten, one table for every exact computation.

/// Powers of ten that fit an i128.
const POW10: [i128; 39] = {
    let mut table = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// 10^n, when it fits.
#[inline]
pub(crate) fn pow10(n: u32) -> Option<i128> {
    POW10.get(n as usize).copied()
}

/// The powers of ten that fit an i64 (and a u64): 10^0 to 10^18.
pub(crate) const POW10_I64: [i64; 19] = {
    let mut table = [0i64; 19];
    let mut i = 0;
    while i < 19 {
        table[i] = POW10[i] as i64;
        i += 1;
    }
    table
};
