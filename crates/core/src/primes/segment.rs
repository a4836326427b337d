//! Sieving one contiguous range of wheel bytes, segment by segment.
//!
//! A *chunk* is a fixed range of wheel bytes that one thread sieves on its own. It walks
//! its chunk in cache-sized *segments*; each [`SievingPrime`] remembers, for each of
//! its eight wheel lanes, the next byte it crosses off, so the state carries from one
//! segment to the next without any division.
//!
//! Lanes: the multiples `p*m` of a prime `p` whose cofactor `m` has a fixed residue
//! `w` mod 30 all fall on the same bit (`BIT_OF[p*w % 30]`), and two consecutive ones,
//! `p*m` and `p*(m+30)`, are exactly `p` bytes apart. So each prime crosses off eight
//! arithmetic progressions of bytes, each with one constant mask.

use std::sync::OnceLock;

use super::wheel::{BIT_OF, RESIDUES};

/// Primes removed up front by copying a repeating pattern instead of sieving.
const PRESIEVE_PRIMES: [u32; 5] = [7, 11, 13, 17, 19];
/// Period of the presieve pattern in bytes: the product of [`PRESIEVE_PRIMES`].
const PRESIEVE_PERIOD: usize = 7 * 11 * 13 * 17 * 19;
/// Primes below this are "small": they hit an L1 block many times and are sieved
/// block by block with the unrolled loop.
const SMALL_PRIME_LIMIT: usize = 4096;
/// The block that small primes sieve at a time: the L1 data cache of common cores.
const L1_BLOCK_BYTES: usize = 32 << 10;
/// The first prime that is sieved rather than presieved.
pub const FIRST_SIEVED_PRIME: u32 = 23;

/// A prime together with its position in each of its eight lanes.
#[derive(Clone, Debug)]
pub struct SievingPrime {
    prime: u32,
    /// Next byte to cross off in each lane, relative to the start of the chunk.
    next: [u32; 8],
    /// AND-mask that clears the lane's bit.
    masks: [u8; 8],
}

impl SievingPrime {
    /// Positions `prime` for a chunk starting at wheel byte `chunk_lo`: each lane starts
    /// at its first multiple `p*m` with `m >= first_cofactor` and `p*m >= 30*chunk_lo`.
    ///
    /// The caller guarantees that `prime` is coprime to 30 and that the first multiple
    /// lies less than 2**32 bytes after `chunk_lo`.
    fn new(prime: u32, first_cofactor: u64, chunk_lo: u64) -> Self {
        let p = u64::from(prime);
        let lo_number = 30 * chunk_lo;
        let m0 = first_cofactor.max(lo_number.div_ceil(p));
        let mut next = [0u32; 8];
        let mut masks = [0u8; 8];
        for (lane, &w) in RESIDUES.iter().enumerate() {
            let m = m0 + (u64::from(w) + 30 - m0 % 30) % 30;
            let n = p * m;
            next[lane] = (n / 30 - chunk_lo) as u32;
            masks[lane] = !(1u8 << BIT_OF[(n % 30) as usize]);
        }
        Self { prime, next, masks }
    }

    /// Crosses off this prime's multiples in `seg`, which holds the chunk-relative bytes
    /// `seg_start .. seg_start + seg.len()`, and advances every lane past the segment.
    #[inline]
    fn cross_off(&mut self, seg: &mut [u8], seg_start: u32) {
        let step = self.prime as usize;
        let len = seg.len();
        for (next, &mask) in self.next.iter_mut().zip(self.masks.iter()) {
            let mut i = (*next - seg_start) as usize;
            while i < len {
                seg[i] &= mask;
                i += step;
            }
            *next = seg_start + i as u32;
        }
    }
}

impl SievingPrime {
    /// Same as [`SievingPrime::cross_off`], for primes that hit `seg` many times: the
    /// eight lanes keep fixed distances from each other, so one loop step crosses off
    /// one multiple in every lane.
    #[inline]
    fn cross_off_unrolled(&mut self, seg: &mut [u8], seg_start: u32) {
        let step = self.prime as usize;
        let len = seg.len();
        let rel = self.next.map(|n| (n - seg_start) as usize);
        let first = rel.iter().copied().min().unwrap_or(0);
        let delta = rel.map(|r| r - first);
        let span = delta.iter().copied().max().unwrap_or(0);
        let masks = self.masks;
        let mut i = first;
        while i + span < len {
            let window = &mut seg[i..=i + span];
            for lane in 0..8 {
                window[delta[lane]] &= masks[lane];
            }
            i += step;
        }
        for lane in 0..8 {
            let mut k = i + delta[lane];
            while k < len {
                seg[k] &= masks[lane];
                k += step;
            }
            self.next[lane] = seg_start + k as u32;
        }
    }
}

/// The presieve pattern: byte `i` has the bits of the numbers in `30*i .. 30*i+30`
/// that no prime of [`PRESIEVE_PRIMES`] divides. It repeats every [`PRESIEVE_PERIOD`] bytes.
fn presieve_pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| {
        let mut pattern = vec![0xFFu8; PRESIEVE_PERIOD];
        for &q in &PRESIEVE_PRIMES {
            SievingPrime::new(q, 1, 0).cross_off(&mut pattern, 0);
        }
        pattern
    })
}

/// Fills `out` (wheel bytes `lo .. lo + out.len()`) with the presieve pattern.
fn fill_presieved(out: &mut [u8], lo: u64) {
    let pattern = presieve_pattern();
    let mut phase = (lo % PRESIEVE_PERIOD as u64) as usize;
    let mut filled = 0;
    while filled < out.len() {
        let n = (PRESIEVE_PERIOD - phase).min(out.len() - filled);
        out[filled..filled + n].copy_from_slice(&pattern[phase..phase + n]);
        filled += n;
        phase = 0;
    }
}

/// Sieves one chunk, the wheel bytes `lo .. lo + len`, one segment at a time.
///
/// After [`ChunkSieve::sieve_next`] a set bit means the number is prime: 1 is cleared,
/// 2, 3 and 5 have no bits, and bits of numbers at or past the end mask are cleared.
pub struct ChunkSieve {
    lo: u64,
    len: usize,
    pos: usize,
    segment_bytes: usize,
    end_mask: u8,
    sieving: Vec<SievingPrime>,
}

impl ChunkSieve {
    /// `primes` must hold, ascending, every prime up to at least `sqrt(30*(lo+len))`;
    /// it may start at 2. `end_mask` is ANDed into the chunk's last byte (pass `0xFF`
    /// unless the chunk ends inside a byte). `len + sqrt(30*(lo+len))` must stay below
    /// 2**32, which keeps every lane offset in a `u32`.
    pub fn new(lo: u64, len: usize, primes: &[u32], segment_bytes: usize, end_mask: u8) -> Self {
        let hi_number = 30 * (lo + len as u64);
        let sieving = primes
            .iter()
            .copied()
            .filter(|&p| p >= FIRST_SIEVED_PRIME)
            .take_while(|&p| u64::from(p) * u64::from(p) < hi_number)
            .map(|p| SievingPrime::new(p, u64::from(p), lo))
            .collect();
        Self {
            lo,
            len,
            pos: 0,
            segment_bytes: segment_bytes.max(1),
            end_mask,
            sieving,
        }
    }

    /// The chunk-relative start and the length of the next segment, or `None` when the
    /// whole chunk is done.
    pub fn next_segment(&self) -> Option<(usize, usize)> {
        (self.pos < self.len).then(|| (self.pos, self.segment_bytes.min(self.len - self.pos)))
    }

    /// Sieves the next segment into `seg`, whose length must be the one that
    /// [`ChunkSieve::next_segment`] announced. Its previous content is irrelevant.
    pub fn sieve_next(&mut self, seg: &mut [u8]) {
        let start = self.pos;
        debug_assert_eq!(Some((start, seg.len())), self.next_segment());
        fill_presieved(seg, self.lo + start as u64);
        let seg_end_number = 30 * (self.lo + (start + seg.len()) as u64);
        let active = self
            .sieving
            .partition_point(|sp| u64::from(sp.prime) * u64::from(sp.prime) < seg_end_number);
        let small =
            self.sieving[..active].partition_point(|sp| (sp.prime as usize) < SMALL_PRIME_LIMIT);
        let (small_primes, rest) = self.sieving[..active].split_at_mut(small);
        // Small primes hit every block many times: sieve them one L1-sized block at a
        // time, so each block stays in L1 while all of them pass over it.
        let mut block_start = 0;
        for block in seg.chunks_mut(L1_BLOCK_BYTES) {
            let block_abs = (start + block_start) as u32;
            for sp in small_primes.iter_mut() {
                sp.cross_off_unrolled(block, block_abs);
            }
            block_start += block.len();
        }
        for sp in rest.iter_mut() {
            sp.cross_off(seg, start as u32);
        }
        if self.lo == 0 && start == 0 {
            // The pattern crossed off the presieve primes themselves, and 1 is not prime.
            seg[0] &= !1;
            for &q in &PRESIEVE_PRIMES {
                seg[(q / 30) as usize] |= 1 << BIT_OF[(q % 30) as usize];
            }
        }
        self.pos += seg.len();
        if self.pos == self.len {
            if let Some(last) = seg.last_mut() {
                *last &= self.end_mask;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presieve_pattern_removes_exactly_the_multiples_of_7_to_19() {
        let pattern = presieve_pattern();
        for (i, &byte) in pattern.iter().enumerate().take(2000) {
            for (k, &r) in RESIDUES.iter().enumerate() {
                let n = 30 * i as u32 + r;
                let divisible = PRESIEVE_PRIMES.iter().any(|&q| n.is_multiple_of(q));
                assert_eq!(byte & (1 << k) == 0, divisible, "n = {n}");
            }
        }
    }

    #[test]
    fn lanes_start_at_the_square() {
        let sp = SievingPrime::new(23, 23, 0);
        let firsts: Vec<u64> = (0..8)
            .map(|lane| {
                let byte = u64::from(sp.next[lane]);
                let bit = (!sp.masks[lane]).trailing_zeros() as usize;
                30 * byte + u64::from(RESIDUES[bit])
            })
            .collect();
        let mut expected: Vec<u64> = RESIDUES
            .iter()
            .map(|&w| 23 * (23 + (w + 30 - 23) as u64 % 30))
            .collect();
        expected.sort_unstable();
        let mut got = firsts.clone();
        got.sort_unstable();
        assert_eq!(got, expected);
        assert_eq!(got[0], 23 * 23);
    }
}
