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

/// Primes removed up front by combining repeating patterns instead of sieving, in
/// groups: one pattern per group, whose period in wheel bytes is the product of its
/// primes (each is coprime to 30). The first group is copied, the others ANDed in.
/// Sieving 23..=163 one by one costs about 4.4 crossings per byte; ANDing the 14
/// patterns costs under one vector operation per byte.
const PRESIEVE_GROUPS: [&[u32]; 15] = [
    &[7, 11, 13, 17, 19],
    &[23, 29, 31],
    &[37, 41, 43],
    &[47, 53],
    &[59, 61],
    &[67, 71],
    &[73, 79],
    &[83, 89],
    &[97, 101],
    &[103, 107],
    &[109, 113],
    &[127, 131],
    &[137, 139],
    &[149, 151],
    &[157, 163],
];
/// Every presieved prime, ascending.
const PRESIEVE_PRIMES: [u32; 35] = {
    let mut all = [0u32; 35];
    let (mut g, mut k) = (0, 0);
    while g < PRESIEVE_GROUPS.len() {
        let mut i = 0;
        while i < PRESIEVE_GROUPS[g].len() {
            all[k] = PRESIEVE_GROUPS[g][i];
            k += 1;
            i += 1;
        }
        g += 1;
    }
    assert!(k == all.len());
    all
};
/// Primes below this are "small": they hit an L1 block many times and are sieved
/// block by block with the unrolled loop.
const SMALL_PRIME_LIMIT: usize = 4096;
/// The block that small primes sieve at a time: the L1 data cache of common cores.
const L1_BLOCK_BYTES: usize = 32 << 10;
/// The first prime that is sieved rather than presieved: the one after the largest of
/// [`PRESIEVE_PRIMES`].
pub const FIRST_SIEVED_PRIME: u32 = 167;

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

/// The presieve patterns, one per group of [`PRESIEVE_GROUPS`]: byte `i` of a pattern
/// has the bits of the numbers in `30*i .. 30*i+30` that no prime of its group divides.
/// A pattern repeats every `pattern.len()` bytes (the product of its primes).
fn presieve_patterns() -> &'static [Vec<u8>] {
    static PATTERNS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        PRESIEVE_GROUPS
            .iter()
            .map(|group| {
                let period = group.iter().map(|&q| q as usize).product();
                let mut pattern = vec![0xFFu8; period];
                for &q in group.iter() {
                    SievingPrime::new(q, 1, 0).cross_off(&mut pattern, 0);
                }
                pattern
            })
            .collect()
    })
}

/// Fills `out` (wheel bytes `lo .. lo + out.len()`) with the bits of the numbers that
/// no presieved prime divides: the first pattern copied, the others ANDed in four at
/// a time (one load and store of `out` per four patterns).
fn fill_presieved(out: &mut [u8], lo: u64) {
    let patterns = presieve_patterns();
    let (first, rest) = patterns
        .split_first()
        .map_or((&[][..], &[][..]), |(f, r)| (&f[..], r));
    for_each_run(out, lo, first, |dst, src| dst.copy_from_slice(src));
    let mut groups = rest.chunks_exact(4);
    for four in &mut groups {
        and_four(out, lo, [&four[0], &four[1], &four[2], &four[3]]);
    }
    for pattern in groups.remainder() {
        for_each_run(out, lo, pattern, |dst, src| {
            for (d, s) in dst.iter_mut().zip(src) {
                *d &= s;
            }
        });
    }
}

/// Calls `apply(part_of_out, same_length_part_of_pattern)` over `out`, which starts at
/// wheel byte `lo`, in runs that do not cross the end of the repeating `pattern`.
fn for_each_run(out: &mut [u8], lo: u64, pattern: &[u8], mut apply: impl FnMut(&mut [u8], &[u8])) {
    let period = pattern.len();
    let mut phase = (lo % period as u64) as usize;
    let mut done = 0;
    while done < out.len() {
        let n = (period - phase).min(out.len() - done);
        apply(&mut out[done..done + n], &pattern[phase..phase + n]);
        done += n;
        phase = 0;
    }
}

/// `out &= a & b & c & d`, each pattern repeating and aligned to wheel byte `lo`.
fn and_four(out: &mut [u8], lo: u64, patterns: [&[u8]; 4]) {
    let mut phase = patterns.map(|p| (lo % p.len() as u64) as usize);
    let mut done = 0;
    while done < out.len() {
        // The longest run over which no pattern wraps.
        let n = (0..4)
            .map(|k| patterns[k].len() - phase[k])
            .min()
            .unwrap_or(0)
            .min(out.len() - done);
        let dst = &mut out[done..done + n];
        let [a, b, c, d] = [0, 1, 2, 3].map(|k| &patterns[k][phase[k]..phase[k] + n]);
        for i in 0..n {
            dst[i] &= a[i] & b[i] & c[i] & d[i];
        }
        done += n;
        for k in 0..4 {
            phase[k] += n;
            if phase[k] == patterns[k].len() {
                phase[k] = 0;
            }
        }
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
        let seg_end_number = 30 * (self.lo + (start + seg.len()) as u64);
        let active = self
            .sieving
            .partition_point(|sp| u64::from(sp.prime) * u64::from(sp.prime) < seg_end_number);
        let small =
            self.sieving[..active].partition_point(|sp| (sp.prime as usize) < SMALL_PRIME_LIMIT);
        let (small_primes, rest) = self.sieving[..active].split_at_mut(small);
        // Presieve and small primes one L1-sized block at a time, so each block stays
        // in L1 while the patterns and all the small primes pass over it.
        let mut block_start = 0;
        for block in seg.chunks_mut(L1_BLOCK_BYTES) {
            let block_abs = (start + block_start) as u32;
            fill_presieved(block, self.lo + u64::from(block_abs));
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
            // (A byte past a tiny chunk's end holds no number below `max`.)
            for &q in &PRESIEVE_PRIMES {
                if let Some(byte) = seg.get_mut((q / 30) as usize) {
                    *byte |= 1 << BIT_OF[(q % 30) as usize];
                }
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
    fn presieve_removes_exactly_the_multiples_of_7_to_163() {
        // Far from 0 too, where every pattern is at a different phase.
        for lo in [0u64, 1, 323_323 * 7 - 1000, 987_654_321] {
            let mut bytes = vec![0u8; 70_000];
            fill_presieved(&mut bytes, lo);
            for (i, &byte) in bytes.iter().enumerate() {
                for (k, &r) in RESIDUES.iter().enumerate() {
                    let n = 30 * (lo + i as u64) + u64::from(r);
                    let divisible = PRESIEVE_PRIMES
                        .iter()
                        .any(|&q| n.is_multiple_of(u64::from(q)));
                    assert_eq!(byte & (1 << k) == 0, divisible, "n = {n}");
                }
            }
        }
    }

    #[test]
    fn each_pattern_removes_its_group() {
        for (group, pattern) in PRESIEVE_GROUPS.iter().zip(presieve_patterns()) {
            assert_eq!(pattern.len(), group.iter().product::<u32>() as usize);
        }
        let pattern = &presieve_patterns()[0];
        for (i, &byte) in pattern.iter().enumerate().take(2000) {
            for (k, &r) in RESIDUES.iter().enumerate() {
                let n = 30 * i as u32 + r;
                let divisible = PRESIEVE_GROUPS[0].iter().any(|&q| n.is_multiple_of(q));
                assert_eq!(byte & (1 << k) == 0, divisible, "n = {n}");
            }
        }
    }

    #[test]
    fn lanes_start_at_the_square() {
        let sp = SievingPrime::new(167, 167, 0);
        let firsts: Vec<u64> = (0..8)
            .map(|lane| {
                let byte = u64::from(sp.next[lane]);
                let bit = (!sp.masks[lane]).trailing_zeros() as usize;
                30 * byte + u64::from(RESIDUES[bit])
            })
            .collect();
        let mut expected: Vec<u64> = RESIDUES
            .iter()
            .map(|&w| 167 * (167 + (w + 30 - 167 % 30) as u64 % 30))
            .collect();
        expected.sort_unstable();
        let mut got = firsts.clone();
        got.sort_unstable();
        assert_eq!(got, expected);
        assert_eq!(got[0], 167 * 167);
    }
}
