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

/// `W[k]` for `k` in `0..=8`: the residues of [`RESIDUES`] and `31` (the first one of
/// the next turn of the wheel, `30 + 1`).
pub const W: [u32; 9] = [1, 7, 11, 13, 17, 19, 23, 29, 31];

/// The crossing-off steps of one residue class of primes, `p = 30*q + r` with `r`
/// `RESIDUES[class]`. The multiples `p*m` with `m` coprime to 30 come in turns of
/// eight, `m = 30*j + W[k]`; the byte of `p*m` is `p*j + q*W[k] + floor(r*W[k]/30)` and
/// its bit depends on `k` alone. So stepping from multiple `k` to `k+1` moves
/// `q*(W[k+1]-W[k]) + STEP_EXTRA[k]` bytes, and one whole turn moves `p` bytes.
#[derive(Clone, Copy)]
pub struct Class {
    /// `floor(r*W[k]/30)`: the byte of multiple `k` of a turn, past `p*j + q*W[k]`.
    pub extra: [usize; 9],
    /// AND-mask that clears the bit of multiple `k`.
    pub mask: [u8; 8],
}

pub const CLASSES: [Class; 8] = {
    let mut classes = [Class {
        extra: [0; 9],
        mask: [0; 8],
    }; 8];
    let mut c = 0;
    while c < 8 {
        let r = RESIDUES[c];
        let mut k = 0;
        while k < 9 {
            classes[c].extra[k] = (r * W[k] / 30) as usize;
            if k < 8 {
                classes[c].mask[k] = !(1u8 << BIT_OF[(r * W[k] % 30) as usize]);
            }
            k += 1;
        }
        c += 1;
    }
    classes
};

/// One step of a prime of class `c` from multiple `k` of a turn of the wheel to multiple
/// `k + 1`: cross off with `mask`, then move `q * dq + extra` bytes (`q = p / 30`).
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub mask: u8,
    pub dq: u8,
    pub extra: u8,
}

/// `STEPS[c][k]`: the step of a prime of class `c` from its multiple `k` (see [`Step`]).
pub const STEPS: [[Step; 8]; 8] = {
    let mut table = [[Step {
        mask: 0,
        dq: 0,
        extra: 0,
    }; 8]; 8];
    let mut c = 0;
    while c < 8 {
        let mut k = 0;
        while k < 8 {
            table[c][k] = Step {
                mask: CLASSES[c].mask[k],
                dq: (W[k + 1] - W[k]) as u8,
                extra: (CLASSES[c].extra[k + 1] - CLASSES[c].extra[k]) as u8,
            };
            k += 1;
        }
        c += 1;
    }
    table
};

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

    #[test]
    fn a_turn_of_steps_moves_one_prime_of_bytes() {
        // Eight steps of a prime p = 30q + r move exactly p bytes, for every class, and
        // every multiple's bit is the bit of p*m.
        for (c, &r) in RESIDUES.iter().enumerate() {
            for q in [0usize, 1, 5, 1000] {
                let p = 30 * q + r as usize;
                let total: usize = STEPS[c]
                    .iter()
                    .map(|s| q * usize::from(s.dq) + usize::from(s.extra))
                    .sum();
                assert_eq!(total, p, "class {c}, q {q}");
                for (k, step) in STEPS[c].iter().enumerate() {
                    let bit = BIT_OF[(p * W[k] as usize) % 30];
                    assert_eq!(step.mask, !(1u8 << bit), "class {c}, multiple {k}");
                }
            }
        }
    }
}
