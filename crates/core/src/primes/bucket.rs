//! Crossing off the big sieving primes by bucket sieving (Oliveira e Silva's cache
//! friendly sieve, as in primesieve's EratBig).
//!
//! A big prime hits a segment only a few times, or not at all: visiting every one of
//! them in every segment would cost more than its crossings. Instead each prime waits
//! in the bucket of the segment that holds its next multiple; a segment crosses off the
//! multiples of the primes in its bucket only, one each, and hands each prime on to the
//! bucket of its following multiple (possibly the same segment's, which is then
//! emptied again). No branch depends on a prime's size or position, so none is
//! mispredicted but the end of a bucket.
//!
//! Invariants: buckets are indexed by the segment's number within the chunk (segments
//! are `1 << log2_segment` bytes, the last one possibly shorter); a prime whose next
//! multiple lies past the chunk is dropped (the next chunk positions every prime anew).

use std::cell::RefCell;

use super::segment::SievingPrime;
use super::wheel::STEPS;

/// A big prime `p = 30*q + r` and its next multiple: chunk-relative byte `next`, and
/// `wheel = q << 6 | class << 3 | lane`.
#[derive(Clone, Copy, Debug)]
struct Big {
    next: u32,
    wheel: u32,
}

thread_local! {
    /// Bucket storage kept from one chunk to the next on each thread, so that a chunk
    /// does not fault in fresh memory for its buckets.
    static SPARE_BUCKETS: RefCell<Vec<Vec<Big>>> = const { RefCell::new(Vec::new()) };
}

/// The big sieving primes of one chunk, in buckets by segment.
pub struct BucketSieve {
    log2_segment: u32,
    chunk_len: u32,
    buckets: Vec<Vec<Big>>,
    /// Emptied buckets' storage, handed to the next bucket that fills: only the few
    /// buckets ahead of the current segment hold primes at any time, so a handful of
    /// vectors circulate instead of one per segment.
    free: Vec<Vec<Big>>,
}

impl BucketSieve {
    /// Buckets for a chunk of `chunk_len` bytes cut into segments of
    /// `1 << log2_segment` bytes. `chunk_len` must be below 2**32 minus the largest
    /// step of any prime pushed.
    pub fn new(chunk_len: usize, log2_segment: u32) -> Self {
        let segments = chunk_len.div_ceil(1 << log2_segment);
        // The storage of this thread's previous chunk's buckets, emptied.
        let free = SPARE_BUCKETS.with(|s| std::mem::take(&mut *s.borrow_mut()));
        Self {
            log2_segment,
            chunk_len: u32::try_from(chunk_len).unwrap_or(u32::MAX),
            buckets: (0..segments).map(|_| Vec::new()).collect(),
            free,
        }
    }

    pub fn push(&mut self, sp: &SievingPrime) {
        self.put(Big {
            next: sp.next,
            wheel: (sp.prime / 30) << 6 | u32::from(sp.class & 7) << 3 | u32::from(sp.lane & 7),
        });
    }

    /// Number of primes held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.buckets.iter().map(Vec::len).sum()
    }

    #[inline(always)]
    fn put(&mut self, big: Big) {
        if big.next < self.chunk_len {
            let bucket = (big.next >> self.log2_segment) as usize;
            if let Some(b) = self.buckets.get_mut(bucket) {
                if b.capacity() == 0 {
                    if let Some(storage) = self.free.pop() {
                        *b = storage;
                    }
                }
                b.push(big);
            }
        }
    }

    /// Crosses off the multiples in segment number `index`, held in `seg` (its whole
    /// length: `1 << log2_segment` bytes, or what remains of the chunk).
    pub fn cross_off(&mut self, seg: &mut [u8], index: usize) {
        let seg_start = (index as u32) << self.log2_segment;
        loop {
            let Some(bucket) = self.buckets.get_mut(index) else {
                return;
            };
            if bucket.is_empty() {
                return;
            }
            let list = std::mem::take(bucket);
            for big in &list {
                let (class, lane) = ((big.wheel >> 3) & 7, big.wheel & 7);
                let step = &STEPS[class as usize][lane as usize];
                if let Some(byte) = seg.get_mut((big.next - seg_start) as usize) {
                    *byte &= step.mask;
                }
                let q = big.wheel >> 6;
                self.put(Big {
                    next: big.next + q * u32::from(step.dq) + u32::from(step.extra),
                    wheel: (big.wheel & !7) | ((lane + 1) & 7),
                });
            }
            let mut list = list;
            list.clear();
            self.free.push(list);
        }
    }
}

impl Drop for BucketSieve {
    fn drop(&mut self) {
        let mut free = std::mem::take(&mut self.free);
        free.extend(self.buckets.drain(..).filter(|b| b.capacity() > 0));
        for b in &mut free {
            b.clear();
        }
        let _ = SPARE_BUCKETS.try_with(|s| *s.borrow_mut() = free);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primes::small_primes;
    use crate::primes::test_support::{cleared_numbers, multiples_in, XorShift};

    /// Bucket sieves `primes` over a chunk, segment by segment; returns the numbers cleared.
    fn bucket_sieve(primes: &[u32], chunk_lo: u64, len: usize, log2_segment: u32) -> Vec<u64> {
        let mut sieve = BucketSieve::new(len, log2_segment);
        for &p in primes {
            sieve.push(&SievingPrime::new(p, u64::from(p), chunk_lo));
        }
        let mut bytes = vec![0xFFu8; len];
        for (index, seg) in bytes.chunks_mut(1 << log2_segment).enumerate() {
            sieve.cross_off(seg, index);
        }
        // Every prime has left the chunk: nothing is left in a bucket.
        assert_eq!(sieve.len(), 0);
        cleared_numbers(&bytes, chunk_lo)
    }

    #[test]
    fn clears_exactly_the_multiples_across_buckets() {
        // Primes far larger than a segment (a hit every many segments), and some smaller
        // (several hits in one segment: its bucket refills while it is crossed off).
        let all = small_primes(3_000_000);
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        let mut primes: Vec<u32> = (0..300)
            .map(|_| all[(rng.next() % all.len() as u64) as usize])
            .filter(|&p| p >= 167)
            .collect();
        primes.sort_unstable();
        primes.dedup();
        for &(chunk_lo, len) in &[
            (0u64, 100_000usize),
            (987_654_321, 100_000),
            (33_333_333_333, 123_457),
            (300_000_000_000, 65_536),
        ] {
            for log2_segment in [0, 3, 9, 12, 15, 17] {
                assert_eq!(
                    bucket_sieve(&primes, chunk_lo, len, log2_segment),
                    multiples_in(&primes, chunk_lo, len),
                    "chunk {chunk_lo}, segments of 2**{log2_segment}"
                );
            }
        }
    }

    #[test]
    fn storage_is_reused_by_the_next_chunk_on_the_thread() {
        let primes = small_primes(200_000);
        let primes = &primes[primes.partition_point(|&p| p < 10_000)..];
        let first = bucket_sieve(primes, 1 << 32, 200_000, 10);
        // The same chunk again, with the storage the first one left behind.
        assert!(SPARE_BUCKETS.with(|s| !s.borrow().is_empty()));
        assert_eq!(bucket_sieve(primes, 1 << 32, 200_000, 10), first);
    }
}
