//! Classifies 64-byte blocks into bitmasks: bit `i` of a mask is set when
//! byte `i` of the block is that kind of byte.
//!
//! x86_64 uses SSE2 (always present there), aarch64 uses NEON (always
//! present there); other targets use a portable loop. All three give the
//! same masks, which the tests check.

/// The bytes a CSV scanner cares about, one bit per byte of a block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Masks {
    /// The field delimiter.
    pub delim: u64,
    /// `"`.
    pub quote: u64,
    /// `\n`.
    pub lf: u64,
    /// `\r`.
    pub cr: u64,
}

/// The size of a block.
pub(crate) const BLOCK: usize = 64;

/// Classifies one full block.
#[inline(always)]
pub(crate) fn classify(block: &[u8; BLOCK], delim: u8) -> Masks {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { sse2::classify(block, delim) }
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: NEON is part of the aarch64 baseline.
        unsafe { neon::classify(block, delim) }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        portable(block, delim)
    }
}

/// Classifies the final, short block: bytes past `tail.len()` classify as
/// nothing.
pub(crate) fn classify_tail(tail: &[u8], delim: u8) -> Masks {
    debug_assert!(tail.len() < BLOCK);
    let mut block = [0u8; BLOCK];
    block[..tail.len()].copy_from_slice(tail);
    let keep = (1u64 << tail.len()) - 1;
    let m = classify(&block, delim);
    Masks {
        delim: m.delim & keep,
        quote: m.quote & keep,
        lf: m.lf & keep,
        cr: m.cr & keep,
    }
}

/// The reference implementation, one byte at a time.
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), allow(dead_code))]
pub(crate) fn portable(block: &[u8; BLOCK], delim: u8) -> Masks {
    let mut m = Masks::default();
    for (i, &b) in block.iter().enumerate() {
        let bit = 1u64 << i;
        if b == delim {
            m.delim |= bit;
        }
        if b == b'"' {
            m.quote |= bit;
        }
        if b == b'\n' {
            m.lf |= bit;
        }
        if b == b'\r' {
            m.cr |= bit;
        }
    }
    m
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{Masks, BLOCK};
    use std::arch::x86_64::*;

    #[inline(always)]
    unsafe fn mask16(v: __m128i, needle: __m128i) -> u64 {
        _mm_movemask_epi8(_mm_cmpeq_epi8(v, needle)) as u16 as u64
    }

    #[inline(always)]
    unsafe fn mask64(v: &[__m128i; 4], needle: __m128i) -> u64 {
        mask16(v[0], needle)
            | mask16(v[1], needle) << 16
            | mask16(v[2], needle) << 32
            | mask16(v[3], needle) << 48
    }

    #[inline(always)]
    pub(super) unsafe fn classify(block: &[u8; BLOCK], delim: u8) -> Masks {
        let p = block.as_ptr() as *const __m128i;
        let v = [
            _mm_loadu_si128(p),
            _mm_loadu_si128(p.add(1)),
            _mm_loadu_si128(p.add(2)),
            _mm_loadu_si128(p.add(3)),
        ];
        Masks {
            delim: mask64(&v, _mm_set1_epi8(delim as i8)),
            quote: mask64(&v, _mm_set1_epi8(b'"' as i8)),
            lf: mask64(&v, _mm_set1_epi8(b'\n' as i8)),
            cr: mask64(&v, _mm_set1_epi8(b'\r' as i8)),
        }
    }
}

#[cfg(target_arch = "aarch64")]
mod neon {
    use super::{Masks, BLOCK};
    use std::arch::aarch64::*;

    /// Packs four 16-lane comparison results (0x00 or 0xff per lane) into
    /// a 64-bit mask, lane order preserved.
    #[inline(always)]
    unsafe fn pack(c: [uint8x16_t; 4]) -> u64 {
        const WEIGHTS: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128];
        let w = vld1q_u8(WEIGHTS.as_ptr());
        let a = vpaddq_u8(vandq_u8(c[0], w), vandq_u8(c[1], w));
        let b = vpaddq_u8(vandq_u8(c[2], w), vandq_u8(c[3], w));
        let s = vpaddq_u8(a, b);
        let s = vpaddq_u8(s, s);
        vgetq_lane_u64(vreinterpretq_u64_u8(s), 0)
    }

    #[inline(always)]
    unsafe fn mask64(v: &[uint8x16_t; 4], byte: u8) -> u64 {
        let n = vdupq_n_u8(byte);
        pack([
            vceqq_u8(v[0], n),
            vceqq_u8(v[1], n),
            vceqq_u8(v[2], n),
            vceqq_u8(v[3], n),
        ])
    }

    #[inline(always)]
    pub(super) unsafe fn classify(block: &[u8; BLOCK], delim: u8) -> Masks {
        let p = block.as_ptr();
        let v = [
            vld1q_u8(p),
            vld1q_u8(p.add(16)),
            vld1q_u8(p.add(32)),
            vld1q_u8(p.add(48)),
        ];
        Masks {
            delim: mask64(&v, delim),
            quote: mask64(&v, b'"'),
            lf: mask64(&v, b'\n'),
            cr: mask64(&v, b'\r'),
        }
    }
}

/// Prefix XOR: bit `i` of the result is the XOR of bits `0..=i` of `x`.
/// Applied to the quote mask it marks the bytes inside quotes (the
/// opening quote included, the closing one excluded).
#[inline(always)]
pub(crate) fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_matches_portable_on_every_byte_value() {
        let mut block = [0u8; BLOCK];
        for start in (0..=255u8).step_by(7) {
            for (i, b) in block.iter_mut().enumerate() {
                *b = start.wrapping_add((i * 37 % 64) as u8);
            }
            block[3] = b'"';
            block[40] = b'\r';
            block[41] = b'\n';
            block[63] = b',';
            for delim in [b',', b';', b'\t', b'|', 0xff] {
                assert_eq!(classify(&block, delim), portable(&block, delim));
            }
        }
    }

    #[test]
    fn tail_masks_stop_at_the_end() {
        let m = classify_tail(b"a,\"b\"\r\n", b',');
        assert_eq!(m.delim, 0b10);
        assert_eq!(m.quote, 0b10100);
        assert_eq!(m.cr, 1 << 5);
        assert_eq!(m.lf, 1 << 6);
        // Padding bytes are zero: a NUL delimiter must not match them.
        assert_eq!(classify_tail(b"ab", 0).delim, 0);
    }

    #[test]
    fn prefix_xor_marks_quoted_spans() {
        assert_eq!(prefix_xor(0b1001), 0b0111);
        assert_eq!(prefix_xor(1 << 63), 1 << 63);
        assert_eq!(prefix_xor(0b11), 0b01);
    }
}
