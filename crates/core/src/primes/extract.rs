//! Turning sieved wheel bytes into the list of their numbers (pass 2 of
//! [`super::primes_below`]).
//!
//! Each sieve byte becomes its (up to eight) numbers without a branch: a table gives the
//! residues of every byte value, eight slots are written at once (two vector adds and
//! stores), and the count of set bits moves the write position, so the next byte
//! overwrites the unused slots. Measured on one core, pass 2 of 1e9 into resident
//! memory: 55-60 ms with a loop over set bits (one mispredicted exit per word), 29 ms
//! this way. (Staging blocks in L1 streamed out with non-temporal stores measured
//! 38-40 ms.)

use super::wheel::{RESIDUES, WORD_OFFSET};

/// `BYTE_RESIDUES[b]`: the residues of the set bits of `b`, ascending, then zeros.
const BYTE_RESIDUES: [[u32; 8]; 256] = {
    let mut table = [[0u32; 8]; 256];
    let mut b = 0;
    while b < 256 {
        let (mut n, mut k) = (0, 0);
        while k < 8 {
            if b & (1 << k) != 0 {
                table[b][n] = RESIDUES[k];
                n += 1;
            }
            k += 1;
        }
        b += 1;
    }
    table
};

/// `BYTE_COUNT[b]`: the number of set bits of `b` (no `popcnt` in baseline x86_64).
const BYTE_COUNT: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).count_ones() as u8;
        b += 1;
    }
    table
};

/// Writes the numbers of the set bits of `bytes` (wheel bytes from `lo`) to `out`, in
/// ascending order. `out.len()` must equal the number of set bits, and every number
/// must fit a `u32`. Only `out` is written, never past it (neighbouring slices of one
/// list are written by other threads at the same time).
pub fn extract(bytes: &[u8], lo: u64, out: &mut [u32]) {
    let mut k = 0;
    let mut base = (30 * lo) as u32;
    let mut done = 0;
    // Each byte writes eight slots, of which the next byte overwrites those past its
    // own numbers; so this runs while eight slots remain, and the last few bytes go
    // the exact way.
    for &b in bytes {
        let Some(slots) = out.get_mut(k..k + 8) else {
            break;
        };
        for (slot, &r) in slots.iter_mut().zip(&BYTE_RESIDUES[usize::from(b)]) {
            *slot = base.wrapping_add(r);
        }
        k += usize::from(BYTE_COUNT[usize::from(b)]);
        base = base.wrapping_add(30);
        done += 1;
    }
    extract_bits(&bytes[done..], lo + done as u64, &mut out[k..]);
}

/// The plain way, one set bit at a time: for the end of a slice, and the reference.
pub fn extract_bits(bytes: &[u8], lo: u64, out: &mut [u32]) {
    let mut k = 0;
    let mut base = (30 * lo) as u32;
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    for w in words {
        let mut word = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
        while word != 0 {
            out[k] = base.wrapping_add(WORD_OFFSET[word.trailing_zeros() as usize]);
            k += 1;
            word &= word - 1;
        }
        base = base.wrapping_add(240);
    }
    for &b in tail {
        let mut byte = b;
        while byte != 0 {
            out[k] = base.wrapping_add(WORD_OFFSET[byte.trailing_zeros() as usize]);
            k += 1;
            byte &= byte - 1;
        }
        base = base.wrapping_add(30);
    }
    debug_assert_eq!(k, out.len());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primes::test_support::{set_numbers, XorShift};

    #[test]
    fn byte_table_lists_the_residues_of_each_bit() {
        assert_eq!(BYTE_RESIDUES[0], [0; 8]);
        assert_eq!(BYTE_RESIDUES[1], [1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(BYTE_RESIDUES[0b1000_0010], [7, 29, 0, 0, 0, 0, 0, 0]);
        assert_eq!(BYTE_RESIDUES[0xFF], [1, 7, 11, 13, 17, 19, 23, 29]);
    }

    #[test]
    fn matches_the_bit_by_bit_reference_on_every_density_and_length() {
        let mut rng = XorShift(0xDEAD_BEEF_1234_5678);
        // Lengths around the staging block and the 8-slot margin; dense (all set),
        // sparse, empty and random bytes; positions up to 2**32; misaligned slices.
        for len in [
            0usize, 1, 2, 7, 8, 9, 255, 256, 257, 1500, 2048, 5000, 40_000,
        ] {
            for density in [0u64, 1, 4, 8] {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| match density {
                        0 => 0,
                        8 => 0xFF,
                        d => (rng.next() & rng.next() | (rng.next() >> (64 - d))) as u8,
                    })
                    .collect();
                let lo = rng.next() % ((1u64 << 32) / 30 - len as u64);
                let expected: Vec<u32> = set_numbers(&bytes, lo)
                    .into_iter()
                    .map(|n| n as u32)
                    .collect();
                for misalign in 0..4 {
                    // Neighbours on both sides must stay untouched.
                    let mut list = vec![7u32; expected.len() + misalign + 3];
                    let end = misalign + expected.len();
                    extract(&bytes, lo, &mut list[misalign..end]);
                    assert_eq!(
                        list[misalign..end],
                        expected,
                        "len {len}, density {density}"
                    );
                    assert!(list[..misalign].iter().chain(&list[end..]).all(|&x| x == 7));
                    let mut plain = vec![0u32; expected.len()];
                    extract_bits(&bytes, lo, &mut plain);
                    assert_eq!(plain, expected);
                }
            }
        }
    }
}
