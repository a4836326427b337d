//! Crossing off the medium sieving primes: those that hit a segment a few to a few
//! thousand times, too many for buckets ([`super::bucket`]) and too few for the
//! unrolled whole turns of the small primes.
//!
//! What costs for such a prime is not its crossings but the branches that end its loops:
//! finishing a turn of the wheel, whole turns, then the rest of the last turn, each
//! loop ends in a mispredicted branch. Here every prime runs one loop instead, the
//! wheel's eight steps unrolled, with a bounds check before each crossing, so it costs
//! one mispredicted exit per segment.
//!
//! To enter that loop at the right multiple without a jump-table dispatch per prime,
//! the primes are kept in 64 lists, by residue class (the steps and masks) and by the
//! multiple of the turn they are at (the lane): the code for each list is specialised
//! for both. A prime that leaves the segment at lane `l` goes to list `l` of its class
//! for the next segment.

use super::segment::SievingPrime;
use super::wheel::STEPS;

/// A medium prime `p = 30*q + r` (its class `r` is the list it is in) and the chunk
/// relative byte of its next multiple (whose lane is the list it is in, too).
#[derive(Clone, Copy, Debug)]
struct Medium {
    next: u32,
    q: u32,
}

/// `[class][lane]` lists of medium primes.
type Lists = [[Vec<Medium>; 8]; 8];

/// The medium sieving primes of one chunk.
#[derive(Default)]
pub struct MediumSieve {
    /// The primes, by their class and their lane at the start of the next segment.
    now: Lists,
    /// Where the primes go while a segment is crossed off; swapped with `now` after.
    then: Lists,
}

impl MediumSieve {
    pub fn push(&mut self, sp: &SievingPrime) {
        let (class, lane) = (usize::from(sp.class) & 7, usize::from(sp.lane) & 7);
        self.now[class][lane].push(Medium {
            next: sp.next,
            q: sp.prime / 30,
        });
    }

    /// Number of primes held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.now.iter().flatten().map(Vec::len).sum()
    }

    /// Crosses off every prime's multiples in `seg`, which holds the chunk-relative
    /// bytes `seg_start .. seg_start + seg.len()`. Every prime's next multiple must lie
    /// at or past `seg_start` (it does after the previous segment); one past the segment
    /// is only carried over.
    pub fn cross_off(&mut self, seg: &mut [u8], seg_start: u32) {
        let (now, then) = (&mut self.now, &mut self.then);
        let [n0, n1, n2, n3, n4, n5, n6, n7] = now;
        let [t0, t1, t2, t3, t4, t5, t6, t7] = then;
        class::<0>(n0, t0, seg, seg_start);
        class::<1>(n1, t1, seg, seg_start);
        class::<2>(n2, t2, seg, seg_start);
        class::<3>(n3, t3, seg, seg_start);
        class::<4>(n4, t4, seg, seg_start);
        class::<5>(n5, t5, seg, seg_start);
        class::<6>(n6, t6, seg, seg_start);
        class::<7>(n7, t7, seg, seg_start);
        std::mem::swap(&mut self.now, &mut self.then);
    }
}

/// The eight lists of class `C`: crosses off each and moves its primes to `out` by the
/// lane they stop at. Leaves `lists` empty (capacity kept).
fn class<const C: usize>(
    lists: &mut [Vec<Medium>; 8],
    out: &mut [Vec<Medium>; 8],
    seg: &mut [u8],
    seg_start: u32,
) {
    let [l0, l1, l2, l3, l4, l5, l6, l7] = lists;
    lane::<C, 0>(l0, out, seg, seg_start);
    lane::<C, 1>(l1, out, seg, seg_start);
    lane::<C, 2>(l2, out, seg, seg_start);
    lane::<C, 3>(l3, out, seg, seg_start);
    lane::<C, 4>(l4, out, seg, seg_start);
    lane::<C, 5>(l5, out, seg, seg_start);
    lane::<C, 6>(l6, out, seg, seg_start);
    lane::<C, 7>(l7, out, seg, seg_start);
}

/// The primes of class `C` at lane `L`.
fn lane<const C: usize, const L: usize>(
    list: &mut Vec<Medium>,
    out: &mut [Vec<Medium>; 8],
    seg: &mut [u8],
    seg_start: u32,
) {
    for m in list.iter() {
        let i = (m.next - seg_start) as usize;
        let (i, lane) = chain::<C, L>(seg, i, m.q as usize);
        out[usize::from(lane) & 7].push(Medium {
            next: seg_start + i as u32,
            q: m.q,
        });
    }
    list.clear();
}

/// Crosses off the multiples of a prime `30*q + r` of class `C` in `seg`, from byte `i`,
/// multiple `L` of its turn, and returns the byte and lane of its first multiple at or
/// past `seg.len()`. Eight steps unrolled, with constant masks and step factors, and a
/// bounds check before each crossing: the loop's only exits.
#[inline(always)]
fn chain<const C: usize, const L: usize>(seg: &mut [u8], mut i: usize, q: usize) -> (usize, u8) {
    let len = seg.len();
    let ptr = seg.as_mut_ptr();
    macro_rules! hit {
        ($j:expr) => {{
            let k = (L + $j) & 7;
            if i >= len {
                return (i, k as u8);
            }
            let step = &STEPS[C][k];
            // SAFETY: i < len, checked just above.
            unsafe { *ptr.add(i) &= step.mask };
            i += q * usize::from(step.dq) + usize::from(step.extra);
        }};
    }
    loop {
        hit!(0);
        hit!(1);
        hit!(2);
        hit!(3);
        hit!(4);
        hit!(5);
        hit!(6);
        hit!(7);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primes::small_primes;
    use crate::primes::test_support::{cleared_numbers, multiples_in};

    /// One prime of each residue class from each of `starts` (so every class's code runs).
    fn one_of_each_class(starts: &[u32]) -> Vec<u32> {
        let all = small_primes(2_000_000);
        let mut chosen = Vec::new();
        for &start in starts {
            for r in [1, 7, 11, 13, 17, 19, 23, 29] {
                chosen.extend(all.iter().find(|&&p| p >= start && p % 30 == r));
            }
        }
        chosen
    }

    #[test]
    fn clears_exactly_the_multiples_across_segments() {
        let primes = one_of_each_class(&[4096, 30_000, 150_000, 1_500_000]);
        for &(chunk_lo, len) in &[
            (0u64, 60_000usize),
            (123_456_789, 60_000),
            (1 << 30, 50_001),
            (33_333_333_333, 70_000),
        ] {
            // Segments shorter than one step of every prime, and longer than a turn.
            for &seg_len in &[1usize, 7, 1000, 4096, 32_768, 70_000] {
                let mut sieve = MediumSieve::default();
                for &p in &primes {
                    sieve.push(&SievingPrime::new(p, u64::from(p), chunk_lo));
                }
                let mut bytes = vec![0xFFu8; len];
                let mut start = 0;
                while start < len {
                    let end = (start + seg_len).min(len);
                    sieve.cross_off(&mut bytes[start..end], start as u32);
                    start = end;
                }
                assert_eq!(sieve.len(), primes.len());
                assert_eq!(
                    cleared_numbers(&bytes, chunk_lo),
                    multiples_in(&primes, chunk_lo, len),
                    "chunk {chunk_lo}, segment {seg_len}"
                );
            }
        }
    }
}
