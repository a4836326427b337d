//! The modulo-30 wheel: one byte of sieve stands for 30 consecutive integers.
//!
//! Byte `i` covers `30*i .. 30*i + 30`; its eight bits stand for the eight residues
//! coprime to 30 ([`RESIDUES`]), bit `k` for `30*i + RESIDUES[k]`. Multiples of 2, 3
//! and 5 are never stored, so the sieve touches 8/30 of the numbers.

/// The residues modulo 30 that are coprime to 30, in ascending order.
pub const RESIDUES: [u32; 8] = [1, 7, 11, 13, 17, 19, 23, 29];

/// `BIT_OF[r]` is the bit index of residue `r` (mod 30), or `u8::MAX` when `r` shares a
/// factor with 30 and so has no bit.
pub const BIT_OF: [u8; 30] = {
    let mut table = [u8::MAX; 30];
    let mut k = 0;
    while k < 8 {
        table[RESIDUES[k] as usize] = k as u8;
        k += 1;
    }
    table
};

/// `WORD_OFFSET[t]` is the distance from the first number of a little-endian `u64` word
/// (eight sieve bytes, 240 numbers) to the number of its bit `t`.
pub const WORD_OFFSET: [u32; 64] = {
    let mut table = [0u32; 64];
    let mut t = 0;
    while t < 64 {
        table[t] = 30 * (t as u32 / 8) + RESIDUES[t % 8];
        t += 1;
    }
    table
};

/// Mask of the bits in the last byte of a range that stand for numbers below `30*byte + r_end`,
/// i.e. the residues `r < r_end`, for `r_end` in `0..=30`.
pub const fn bits_below(r_end: u32) -> u8 {
    let mut mask = 0u8;
    let mut k = 0;
    while k < 8 {
        if RESIDUES[k] < r_end {
            mask |= 1 << k;
        }
        k += 1;
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residues_are_the_units_mod_30() {
        for r in 0..30u32 {
            let coprime = r % 2 != 0 && r % 3 != 0 && r % 5 != 0;
            assert_eq!(BIT_OF[r as usize] != u8::MAX, coprime, "residue {r}");
        }
    }

    #[test]
    fn word_offsets_cover_240_numbers() {
        assert_eq!(WORD_OFFSET[0], 1);
        assert_eq!(WORD_OFFSET[63], 7 * 30 + 29);
        assert_eq!(bits_below(0), 0);
        assert_eq!(bits_below(30), 0xFF);
        assert_eq!(bits_below(12), 0b0000_0111);
    }
}
