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
//!
//! Sieving primes come in three sizes, each crossed off its own way:
//! - small (below [`SMALL_PRIME_LIMIT`]): many hits per L1 block; whole turns of the
//!   wheel unrolled, one L1 block at a time ([`cross_class`]);
//! - medium: a few to a few thousand hits per segment; one loop per prime per segment
//!   with a single exit ([`super::medium`]);
//! - big (from [`BIG_PRIME_SEGMENTS`] segments up): a hit every few segments; bucket
//!   sieving ([`super::bucket`]).

use std::sync::OnceLock;

use super::bucket::BucketSieve;
use super::medium::MediumSieve;
#[cfg(test)]
use super::wheel::RESIDUES;
use super::wheel::{BIT_OF, CLASSES, W};

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
/// Primes of at least this many segments' bytes are bucket sieved: they hit a segment
/// once on average, or less. Measured on one chunk near 2**53 (4 MiB segments, one
/// thread): 16.2 s CPU without buckets, 13.8 s from 4 segments, 12.1 s from 8, 13.3 s
/// from 16. Below about 1e15 no prime is that big (segments grow with sqrt(max)).
pub const BIG_PRIME_SEGMENTS: usize = 8;

/// A sieving prime and its next multiple: byte `next` (relative to the start of the
/// chunk) and which multiple of its turn of the wheel that is (`lane`, `0..8`).
#[derive(Clone, Debug)]
pub struct SievingPrime {
    pub(super) prime: u32,
    pub(super) next: u32,
    pub(super) lane: u8,
    /// The index of `prime % 30` in [`RESIDUES`](super::wheel::RESIDUES).
    pub(super) class: u8,
}

impl SievingPrime {
    /// Positions `prime` for a chunk starting at wheel byte `chunk_lo`, at its first
    /// multiple `p*m` with `m` coprime to 30, `m >= first_cofactor` and `p*m >= 30*chunk_lo`.
    ///
    /// The caller guarantees that `prime` is coprime to 30 and that the first multiple
    /// lies less than 2**32 bytes after `chunk_lo`.
    pub(super) fn new(prime: u32, first_cofactor: u64, chunk_lo: u64) -> Self {
        let p = u64::from(prime);
        let m0 = first_cofactor.max((30 * chunk_lo).div_ceil(p));
        // The smallest m >= m0 coprime to 30, and its position in the turn.
        let (m, lane) = (0..30u64)
            .map(|d| m0 + d)
            .find_map(|m| {
                let k = BIT_OF[(m % 30) as usize];
                (k != u8::MAX).then_some((m, k))
            })
            .unwrap_or((m0, 0));
        let class = BIT_OF[(p % 30) as usize];
        Self {
            prime,
            next: ((p * m) / 30 - chunk_lo) as u32,
            lane,
            class,
        }
    }

    /// Crosses off this prime's multiples in `seg`, which holds the chunk-relative bytes
    /// `seg_start .. seg_start + seg.len()`, and moves it to its first multiple past
    /// the segment. Whole turns of the wheel run unrolled: eight fixed offsets and
    /// masks, one exit branch per turn.
    #[inline]
    fn cross_off(&mut self, seg: &mut [u8], seg_start: u32) {
        let i = (self.next - seg_start) as usize;
        let (i, lane) = match self.class {
            0 => cross_class::<0>(seg, i, self.lane, self.prime),
            1 => cross_class::<1>(seg, i, self.lane, self.prime),
            2 => cross_class::<2>(seg, i, self.lane, self.prime),
            3 => cross_class::<3>(seg, i, self.lane, self.prime),
            4 => cross_class::<4>(seg, i, self.lane, self.prime),
            5 => cross_class::<5>(seg, i, self.lane, self.prime),
            6 => cross_class::<6>(seg, i, self.lane, self.prime),
            _ => cross_class::<7>(seg, i, self.lane, self.prime),
        };
        self.next = seg_start + i as u32;
        self.lane = lane;
    }
}

/// [`SievingPrime::cross_off`] for primes of residue class `C`: crosses off from byte
/// `i` of `seg`, multiple `lane` of its turn, and returns the byte and lane of the
/// first multiple at or past `seg.len()`.
#[inline(always)]
fn cross_class<const C: usize>(
    seg: &mut [u8],
    mut i: usize,
    mut lane: u8,
    prime: u32,
) -> (usize, u8) {
    let class = &CLASSES[C];
    let len = seg.len();
    let p = prime as usize;
    let q = p / 30;
    let step = |k: usize| q * (W[k + 1] - W[k]) as usize + class.extra[k + 1] - class.extra[k];
    // Finish the current turn one multiple at a time.
    while lane != 0 {
        if i >= len {
            return (i, lane);
        }
        seg[i] &= class.mask[lane as usize];
        i += step(lane as usize);
        lane = (lane + 1) & 7;
    }
    // Whole turns. Multiple k of a turn starting at byte i is at i + off[k].
    let off: [usize; 8] = std::array::from_fn(|k| q * (W[k] - 1) as usize + class.extra[k]);
    if len > off[7] {
        let last_start = len - off[7];
        let ptr = seg.as_mut_ptr();
        while i < last_start {
            // SAFETY: i + off[k] <= i + off[7] < last_start + off[7] = len for every
            // k (off is ascending), so every byte written lies inside `seg`.
            unsafe {
                *ptr.add(i) &= class.mask[0];
                *ptr.add(i + off[1]) &= class.mask[1];
                *ptr.add(i + off[2]) &= class.mask[2];
                *ptr.add(i + off[3]) &= class.mask[3];
                *ptr.add(i + off[4]) &= class.mask[4];
                *ptr.add(i + off[5]) &= class.mask[5];
                *ptr.add(i + off[6]) &= class.mask[6];
                *ptr.add(i + off[7]) &= class.mask[7];
            }
            i += p;
        }
    }
    // The rest of the last turn, which ends past the segment.
    loop {
        if i >= len {
            return (i, lane);
        }
        seg[i] &= class.mask[lane as usize];
        i += step(lane as usize);
        lane = (lane + 1) & 7;
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
    /// Primes below [`SMALL_PRIME_LIMIT`], sieved an L1 block at a time.
    small: ByClass,
    /// From there to [`BIG_PRIME_SEGMENTS`] segments' bytes, a whole segment at a time.
    medium: MediumSieve,
    /// The others, by buckets.
    big: BucketSieve,
}

/// Sieving primes by residue class: `0[c]` holds those with `p % 30 == RESIDUES[c]`,
/// so each class runs its own loop with its offsets and masks built in, and no branch
/// picks the class per prime. Order within a class is irrelevant to the result.
#[derive(Default)]
struct ByClass([Vec<SievingPrime>; 8]);

impl ByClass {
    fn push(&mut self, sp: SievingPrime) {
        self.0[usize::from(sp.class) & 7].push(sp);
    }

    /// Crosses off every prime's multiples in `seg` (chunk-relative bytes from
    /// `seg_start`). A prime whose next multiple lies past the segment, for instance
    /// one whose square is still ahead, is only skipped.
    fn cross_off(&mut self, seg: &mut [u8], seg_start: u32) {
        let [c0, c1, c2, c3, c4, c5, c6, c7] = &mut self.0;
        cross_all::<0>(c0, seg, seg_start);
        cross_all::<1>(c1, seg, seg_start);
        cross_all::<2>(c2, seg, seg_start);
        cross_all::<3>(c3, seg, seg_start);
        cross_all::<4>(c4, seg, seg_start);
        cross_all::<5>(c5, seg, seg_start);
        cross_all::<6>(c6, seg, seg_start);
        cross_all::<7>(c7, seg, seg_start);
    }
}

/// [`SievingPrime::cross_off`] for every prime of `primes`, all of class `C`.
fn cross_all<const C: usize>(primes: &mut [SievingPrime], seg: &mut [u8], seg_start: u32) {
    for sp in primes {
        debug_assert_eq!(usize::from(sp.class), C);
        let i = (sp.next - seg_start) as usize;
        let (i, lane) = cross_class::<C>(seg, i, sp.lane, sp.prime);
        sp.next = seg_start + i as u32;
        sp.lane = lane;
    }
}

impl ChunkSieve {
    /// `primes` must hold, ascending, every prime up to at least `sqrt(30*(lo+len))`;
    /// it may start at 2. `end_mask` is ANDed into the chunk's last byte (pass `0xFF`
    /// unless the chunk ends inside a byte). `len + sqrt(30*(lo+len))` must stay below
    /// 2**32, which keeps every lane offset in a `u32`. `segment_bytes` is rounded
    /// down to a power of two.
    pub fn new(lo: u64, len: usize, primes: &[u32], segment_bytes: usize, end_mask: u8) -> Self {
        let hi_number = 30 * (lo + len as u64);
        // Buckets index segments by shifting: a power of two.
        let log2_segment = segment_bytes.max(1).ilog2();
        let segment_bytes = 1usize << log2_segment;
        let big_min = BIG_PRIME_SEGMENTS as u64 * segment_bytes as u64;
        let mut small = ByClass::default();
        let mut medium = MediumSieve::default();
        let mut big = BucketSieve::new(len, log2_segment);
        for p in primes
            .iter()
            .copied()
            .filter(|&p| p >= FIRST_SIEVED_PRIME)
            .take_while(|&p| u64::from(p) * u64::from(p) < hi_number)
        {
            let sp = SievingPrime::new(p, u64::from(p), lo);
            if (p as usize) < SMALL_PRIME_LIMIT {
                small.push(sp);
            } else if u64::from(p) < big_min {
                medium.push(&sp);
            } else {
                big.push(&sp);
            }
        }
        Self {
            lo,
            len,
            pos: 0,
            segment_bytes,
            end_mask,
            small,
            medium,
            big,
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
        // Presieve and small primes one L1-sized block at a time, so each block stays
        // in L1 while the patterns and all the small primes pass over it.
        let mut block_start = 0;
        for block in seg.chunks_mut(L1_BLOCK_BYTES) {
            let block_abs = (start + block_start) as u32;
            fill_presieved(block, self.lo + u64::from(block_abs));
            self.small.cross_off(block, block_abs);
            block_start += block.len();
        }
        self.medium.cross_off(seg, start as u32);
        self.big.cross_off(seg, start / self.segment_bytes);
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

    /// Every multiple that `cross_off` clears, by brute force over a chunk.
    fn cleared(prime: u32, chunk_lo: u64, len: usize, seg_len: usize) -> Vec<u64> {
        let mut bytes = vec![0xFFu8; len];
        let mut sp = SievingPrime::new(prime, u64::from(prime), chunk_lo);
        let mut start = 0;
        while start < len {
            let end = (start + seg_len).min(len);
            sp.cross_off(&mut bytes[start..end], start as u32);
            start = end;
        }
        let mut numbers = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            for (k, &r) in RESIDUES.iter().enumerate() {
                if b & (1 << k) == 0 {
                    numbers.push(30 * (chunk_lo + i as u64) + u64::from(r));
                }
            }
        }
        numbers
    }

    #[test]
    fn cross_off_clears_exactly_the_multiples_from_the_square() {
        // One prime of every class, small and large against the segment, chunks at 0
        // and elsewhere, segments of several sizes.
        for &p in &[
            167u32, 173, 179, 181, 191, 193, 197, 199, 4099, 65_537, 1_000_003,
        ] {
            for &(chunk_lo, len) in &[(0u64, 40_000usize), (123_456_789, 40_000), (1 << 30, 5000)] {
                for &seg_len in &[1usize, 7, 100, 4096, 40_000] {
                    let got = cleared(p, chunk_lo, len, seg_len);
                    let lo = 30 * chunk_lo;
                    let hi = 30 * (chunk_lo + len as u64);
                    let p64 = u64::from(p);
                    let expected: Vec<u64> = (lo.div_ceil(p64).max(p64)..hi.div_ceil(p64))
                        .filter(|m| m % 2 != 0 && m % 3 != 0 && m % 5 != 0)
                        .map(|m| m * p64)
                        .collect();
                    assert_eq!(got, expected, "p {p}, chunk {chunk_lo}, segment {seg_len}");
                }
            }
        }
    }

    /// Every prime in wheel bytes `lo .. lo + len` by a [`ChunkSieve`] with segments of
    /// `segment_bytes`.
    fn chunk_primes(lo: u64, len: usize, segment_bytes: usize, primes: &[u32]) -> Vec<u64> {
        let mut sieve = ChunkSieve::new(lo, len, primes, segment_bytes, 0xFF);
        let mut bytes = vec![0u8; len];
        while let Some((start, n)) = sieve.next_segment() {
            sieve.sieve_next(&mut bytes[start..start + n]);
        }
        crate::primes::test_support::set_numbers(&bytes, lo)
    }

    #[test]
    fn small_medium_and_big_primes_together_match_a_window_sieve() {
        use crate::primes::test_support::{primes_in_window, XorShift};
        // Small segments, so that from 1e9 on the sieving primes include all three kinds
        // (medium from 4096, big from BIG_PRIME_SEGMENTS segments), chunk lengths that
        // are not multiples of a segment, windows up to 1e12.
        let primes = crate::primes::small_primes(1_000_001);
        let mut rng = XorShift(0x0123_4567_89AB_CDEF);
        let mut windows: Vec<(u64, usize)> = (0..16)
            .map(|_| {
                (
                    rng.next() % 33_000_000_000,
                    1 + (rng.next() % 40_000) as usize,
                )
            })
            .collect();
        windows.extend([(33_333_333_300, 33), (1 << 30, 65_536), (10_000_000, 8192)]);
        for (lo, len) in windows {
            let expected = primes_in_window(30 * lo, 30 * (lo + len as u64));
            let expected: Vec<u64> = expected.into_iter().filter(|&n| n > 5).collect();
            for segment_bytes in [512usize, 1024, 4096, 32_768] {
                let found = chunk_primes(lo, len, segment_bytes, &primes);
                assert_eq!(
                    found, expected,
                    "window {lo}+{len}, segments {segment_bytes}"
                );
            }
        }
    }
}
