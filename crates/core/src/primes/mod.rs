//! Primes below a bound, by a parallel segmented sieve of Eratosthenes.
//!
//! The numbers are stored on a modulo-30 wheel ([`wheel`]), sieved by fixed-size chunks
//! in parallel, each chunk in cache-sized segments ([`segment`]). Chunk boundaries
//! depend only on `max`, never on the number of threads, so the output is identical
//! whatever the pool size.
//!
//! [`primes_below`] runs two passes: pass 1 sieves every chunk and counts its primes;
//! a prefix sum gives each chunk its exact slice of one exact-size `Vec<u32>`; pass 2
//! writes every slice in parallel, so each thread first-touches its own pages.
//! [`count_below`] runs pass 1 alone and never materialises the list.
//!
//! Both functions run on the rayon pool they are called from (`ThreadPool::install`).
//!
//! Large buffers (the sieved bytes of pass 1, and the list itself once its owner hands
//! it back through [`recycle`], or a spare list faulted in the background after a call)
//! are reused from call to call through [`crate::recycle`]'s bounded pools, so that a call
//! after an idle gap costs what a back-to-back one does.

mod bucket;
mod extract;
mod medium;
mod segment;
#[cfg(test)]
mod test_support;
mod wheel;

use rayon::prelude::*;

use crate::cancel::CancelFlag;
use crate::recycle::BufferPool;
use extract::extract;
use segment::ChunkSieve;
use wheel::bits_below;

/// [`primes_below`] lists primes below at most this bound: every prime then fits a `u32`.
pub const MAX_LIST_LIMIT: u64 = 1 << 32;
/// [`count_below`] counts primes below at most this bound, the largest integer a JS
/// number holds exactly.
pub const MAX_COUNT_LIMIT: u64 = 1 << 53;

/// Why a sieve did not finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PrimesError {
    #[error("the operation was aborted")]
    Aborted,
    #[error("max must be at most {limit}, received {max}")]
    OutOfRange { max: u64, limit: u64 },
}

/// How one sieve run is cut into chunks and segments. A function of `max` alone.
#[derive(Debug)]
struct Plan {
    /// Wheel bytes to sieve: byte `i` holds the numbers `30*i .. 30*i + 30`.
    total_bytes: u64,
    chunk_bytes: u64,
    segment_bytes: usize,
    /// Mask for the last byte, clearing the numbers `>= max`.
    end_mask: u8,
    /// Every prime `p` with `p*p < max`, ascending.
    sieving_primes: Vec<u32>,
}

impl Plan {
    fn new(max: u64) -> Self {
        let total_bytes = max.div_ceil(30);
        let root = max.saturating_sub(1).isqrt();
        let end_mask = match max % 30 {
            0 => 0xFF,
            r => bits_below(r as u32),
        };
        // Segments fit the L2 cache (small primes work in L1 blocks inside them). Every
        // medium sieving prime is visited once per segment, which costs a mispredicted
        // branch whatever its number of multiples there; so from about 1e10 on segments
        // grow to 1 MiB, where the largest primes still have several multiples each
        // (countPrimes(1e11) on one thread: 14.8 s CPU with 256 KiB, 13.4 s with
        // 1 MiB), and past that with sqrt(max) as before, up to 4 MiB. Primes of many
        // segments' bytes are bucket sieved (`segment::BIG_PRIME_SEGMENTS`).
        let segment_bytes = (root * 2)
            .next_power_of_two()
            .clamp(256 << 10, 1 << 20)
            .max((root / 4).next_power_of_two().min(4 << 20)) as usize;
        // Chunks are big enough to amortise positioning the sieving primes (8 lanes
        // each) and small enough to balance the load across threads.
        let chunk_bytes = (root * 16).next_power_of_two().clamp(512 << 10, 1 << 30);
        Self {
            total_bytes,
            chunk_bytes,
            segment_bytes,
            end_mask,
            sieving_primes: small_primes(u32::try_from(root).unwrap_or(u32::MAX)),
        }
    }

    fn chunk_count(&self) -> u64 {
        self.total_bytes.div_ceil(self.chunk_bytes)
    }

    /// The sieve for chunk `index`, positioned at its first segment.
    fn chunk(&self, index: u64) -> ChunkSieve {
        let lo = index * self.chunk_bytes;
        let len = self.chunk_bytes.min(self.total_bytes - lo) as usize;
        let last = lo + len as u64 == self.total_bytes;
        let end_mask = if last { self.end_mask } else { 0xFF };
        ChunkSieve::new(lo, len, &self.sieving_primes, self.segment_bytes, end_mask)
    }

    fn chunk_start(&self, index: u64) -> u64 {
        index * self.chunk_bytes
    }
}

/// The primes 2, 3 and 5, which have no bit on the wheel, that are below `max`.
fn wheel_primes_below(max: u64) -> impl Iterator<Item = u32> {
    [2u32, 3, 5]
        .into_iter()
        .filter(move |&p| u64::from(p) < max)
}

/// Every prime `p <= limit`, ascending, by a plain sieve of Eratosthenes over odd numbers.
/// Used for the sieving primes (`limit` is about `sqrt(max)`).
pub fn small_primes(limit: u32) -> Vec<u32> {
    if limit < 2 {
        return Vec::new();
    }
    let n = limit as usize;
    // composite[i] stands for the odd number 2*i + 1.
    let mut composite = vec![false; n / 2 + 1];
    let mut i = 1;
    while (2 * i + 1) * (2 * i + 1) <= n {
        if !composite[i] {
            let p = 2 * i + 1;
            let mut j = p * p / 2;
            while j < composite.len() {
                composite[j] = true;
                j += p;
            }
        }
        i += 1;
    }
    let mut primes = vec![2];
    primes.extend(
        (1..composite.len())
            .filter(|&i| !composite[i] && 2 * i < n)
            .map(|i| (2 * i + 1) as u32),
    );
    primes
}

/// Number of set bits, with the `popcnt` instruction where the CPU has it.
fn count_bits(bytes: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU supports popcnt, checked just above.
            return unsafe { count_bits_popcnt(bytes) };
        }
    }
    count_bits_portable(bytes)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn count_bits_popcnt(bytes: &[u8]) -> u64 {
    count_bits_portable(bytes)
}

#[inline(always)]
fn count_bits_portable(bytes: &[u8]) -> u64 {
    let words = bytes.chunks_exact(8);
    let tail: u64 = words
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    words
        .map(|w| {
            let word = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
            u64::from(word.count_ones())
        })
        .sum::<u64>()
        + tail
}

/// Lists handed back by [`recycle`], for the next [`primes_below`].
static LISTS: BufferPool<u32> = BufferPool::new();
/// Pass 1's sieved bytes, kept between [`primes_below`] calls.
static SIEVED: BufferPool<u8> = BufferPool::new();

/// Hands a list from [`primes_below`] back once nothing reads it any more (a binding
/// calls this from the finaliser of the array that exposed it), so that the next call
/// reuses its memory instead of faulting in fresh pages. Bounded and released after
/// idling or under memory pressure; see [`crate::recycle`].
pub fn recycle(list: Vec<u32>) {
    LISTS.give(list);
}

/// Frees every buffer kept for reuse now.
pub fn release_buffers() {
    LISTS.clear();
    SIEVED.clear();
}

/// All primes `p < max`, ascending. `max` may be at most [`MAX_LIST_LIMIT`].
///
/// Polls `cancel` between segments and returns [`PrimesError::Aborted`] once it is set.
pub fn primes_below(max: u64, cancel: &CancelFlag) -> Result<Vec<u32>, PrimesError> {
    if max > MAX_LIST_LIMIT {
        return Err(PrimesError::OutOfRange {
            max,
            limit: MAX_LIST_LIMIT,
        });
    }
    let plan = Plan::new(max);

    // Pass 1: sieve every chunk into its own part of one buffer and count its primes.
    let mut bytes = SIEVED.take(plan.total_bytes as usize);
    let counts: Result<Vec<u64>, _> = bytes
        .par_chunks_mut(plan.chunk_bytes as usize)
        .enumerate()
        .map(|(index, chunk)| {
            let mut sieve = plan.chunk(index as u64);
            while let Some((start, len)) = sieve.next_segment() {
                if cancel.is_cancelled() {
                    return Err(PrimesError::Aborted);
                }
                sieve.sieve_next(&mut chunk[start..start + len]);
            }
            Ok(count_bits(chunk))
        })
        .collect();
    let counts = match counts {
        Ok(counts) if !cancel.is_cancelled() => counts,
        _ => {
            SIEVED.give(bytes);
            return Err(PrimesError::Aborted);
        }
    };

    // Prefix sum: the exact size of the output and each chunk's slice of it.
    let head: Vec<u32> = wheel_primes_below(max).collect();
    let total = head.len() + counts.iter().map(|&c| c as usize).sum::<usize>();
    // No MADV_HUGEPAGE hint: measured on VMs with free page reporting, fresh huge
    // pages cost 2-4x the kernel time of 4 KiB ones (the host must back whole 2 MiB
    // blocks again), and reused buffers are resident either way.
    let mut primes = LISTS.take(total);
    let (head_out, mut rest) = primes.split_at_mut(head.len());
    head_out.copy_from_slice(&head);
    let mut jobs = Vec::with_capacity(counts.len());
    for ((index, chunk), &count) in bytes
        .chunks(plan.chunk_bytes as usize)
        .enumerate()
        .zip(&counts)
    {
        let (slice, tail) = rest.split_at_mut(count as usize);
        jobs.push((plan.chunk_start(index as u64), chunk, slice));
        rest = tail;
    }

    // Pass 2: every chunk writes its own slice.
    jobs.into_par_iter()
        .for_each(|(lo, chunk, slice)| extract(chunk, lo, slice));
    SIEVED.give(bytes);
    // The caller holds this list until JS collects it, which lags; have a resident
    // one ready for the next call (see `recycle`).
    LISTS.prefill(total);
    Ok(primes)
}

/// The number of primes `p < max`, without listing them. `max` may be at most
/// [`MAX_COUNT_LIMIT`].
///
/// Polls `cancel` between segments and returns [`PrimesError::Aborted`] once it is set.
pub fn count_below(max: u64, cancel: &CancelFlag) -> Result<u64, PrimesError> {
    if max > MAX_COUNT_LIMIT {
        return Err(PrimesError::OutOfRange {
            max,
            limit: MAX_COUNT_LIMIT,
        });
    }
    let plan = Plan::new(max);
    let sieved: u64 = (0..plan.chunk_count())
        .into_par_iter()
        .map_init(Vec::new, |buf, index| {
            let mut sieve = plan.chunk(index);
            let mut count = 0;
            while let Some((_, len)) = sieve.next_segment() {
                if cancel.is_cancelled() {
                    return Err(PrimesError::Aborted);
                }
                buf.resize(len, 0);
                sieve.sieve_next(&mut buf[..len]);
                count += count_bits(&buf[..len]);
            }
            Ok(count)
        })
        .try_reduce(|| 0, |a, b| Ok(a + b))?;
    Ok(wheel_primes_below(max).count() as u64 + sieved)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obviously correct reference: a byte per number.
    fn reference(max: u64) -> Vec<u32> {
        let n = max as usize;
        let mut is_prime = vec![true; n.max(2)];
        is_prime[0] = false;
        is_prime[1] = false;
        let mut i = 2;
        while i * i < n {
            if is_prime[i] {
                let mut j = i * i;
                while j < n {
                    is_prime[j] = false;
                    j += i;
                }
            }
            i += 1;
        }
        (0..n).filter(|&i| is_prime[i]).map(|i| i as u32).collect()
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("test thread pool")
    }

    fn list(max: u64) -> Vec<u32> {
        primes_below(max, &CancelFlag::new()).expect("not cancelled")
    }

    fn count(max: u64) -> u64 {
        count_below(max, &CancelFlag::new()).expect("not cancelled")
    }

    #[test]
    fn small_primes_match_the_reference() {
        for limit in 0..600u32 {
            let expected = reference(u64::from(limit) + 1);
            assert_eq!(small_primes(limit), expected, "limit {limit}");
        }
    }

    #[test]
    fn every_max_below_5000_matches_the_reference() {
        let expected = reference(5000);
        for max in 0..5000u64 {
            let below: Vec<u32> = expected
                .iter()
                .copied()
                .filter(|&p| u64::from(p) < max)
                .collect();
            assert_eq!(list(max), below, "max {max}");
            assert_eq!(count(max), below.len() as u64, "max {max}");
        }
    }

    #[test]
    fn random_max_up_to_1e7_matches_across_thread_counts() {
        let full = reference(10_000_000);
        // A fixed-seed xorshift: reproducible, no dependency.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut maxes: Vec<u64> = (0..12).map(|_| next() % 10_000_000).collect();
        // Chunk and segment edges, and the top of the range.
        maxes.extend([983_040, 983_041, 15_728_640 / 2, 10_000_000]);
        for threads in [1, 2, 3, 7] {
            let pool = pool(threads);
            for &max in &maxes {
                let expected_len = full.partition_point(|&p| u64::from(p) < max);
                let got = pool.install(|| list(max));
                assert_eq!(got.len(), expected_len, "max {max}, {threads} threads");
                assert_eq!(got, full[..expected_len], "max {max}, {threads} threads");
                assert_eq!(pool.install(|| count(max)), expected_len as u64);
            }
        }
    }

    #[test]
    fn known_values_of_pi() {
        assert_eq!(count(1_000_000), 78_498);
        assert_eq!(count(10_000_000), 664_579);
        assert_eq!(count(100_000_000), 5_761_455);
        assert_eq!(count(1_000_000_000), 50_847_534);
    }

    #[test]
    fn counts_at_1e10_and_1e11_are_exact_for_every_thread_count() {
        for threads in [1, 3] {
            assert_eq!(pool(threads).install(|| count(10_000_000_000)), 455_052_511);
        }
        assert_eq!(count(100_000_000_000), 4_118_054_813);
    }

    #[test]
    fn bounds_across_segment_and_chunk_edges_near_presieved_primes() {
        // Below 1e8 a segment is 256 KiB of wheel bytes (7_864_320 numbers) and a chunk
        // 512 KiB (15_728_640). Around each edge lie multiples of the largest presieved
        // prime, 163 (7_864_261 = 163 * 48_247), and of the first sieved one, 167
        // (7_864_364 = 167 * 47_092; 15_728_561 = 167 * 94_183).
        let full = reference(16_000_000);
        for threads in [1, 3] {
            let pool = pool(threads);
            for edge in [7_864_320u64, 15_728_640] {
                for max in edge - 300..=edge + 300 {
                    let expected = full.partition_point(|&p| u64::from(p) < max);
                    assert_eq!(pool.install(|| count(max)), expected as u64, "max {max}");
                }
                for max in [edge - 1, edge, edge + 1, edge + 59] {
                    let expected = full.partition_point(|&p| u64::from(p) < max);
                    assert_eq!(pool.install(|| list(max)), full[..expected], "max {max}");
                }
            }
        }
    }

    #[test]
    fn list_and_count_agree_at_1e9() {
        let primes = list(1_000_000_000);
        assert_eq!(primes.len(), 50_847_534);
        assert_eq!(primes.last(), Some(&999_999_937));
        assert!(primes.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn full_u32_range() {
        // pi(2**32) = 203280221; the largest prime below 2**32 is 4294967291.
        let primes = list(MAX_LIST_LIMIT);
        assert_eq!(primes.len(), 203_280_221);
        assert_eq!(primes.last(), Some(&4_294_967_291));
    }

    #[test]
    fn limits_are_enforced() {
        let cancel = CancelFlag::new();
        assert!(matches!(
            primes_below(MAX_LIST_LIMIT + 1, &cancel),
            Err(PrimesError::OutOfRange { .. })
        ));
        assert!(matches!(
            count_below(MAX_COUNT_LIMIT + 1, &cancel),
            Err(PrimesError::OutOfRange { .. })
        ));
    }

    #[test]
    fn cancellation_stops_both_passes() {
        let cancel = CancelFlag::new();
        cancel.cancel();
        assert_eq!(
            primes_below(100_000_000, &cancel),
            Err(PrimesError::Aborted)
        );
        assert_eq!(
            count_below(MAX_COUNT_LIMIT, &cancel),
            Err(PrimesError::Aborted)
        );
    }
}
