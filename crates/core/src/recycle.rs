//! Small, bounded pools of large buffers, reused from call to call: the sieve's prime
//! lists and segments (`crate::primes`), and the decoded pixels of large images
//! ([`PIXELS`]).
//!
//! Why: a prime list of 1e9 is 200 MB, a decoded 5120x2880 photo 44 MB. Freed, it goes back to the kernel, and on VMs
//! with free page reporting from there to the hypervisor; touching that much fresh
//! memory again costs the kernel (zeroing, faults) as much as the sieve itself, and
//! calls after an idle gap took 3-4x as long as back-to-back calls. Keeping the last
//! buffers resident makes every call as fast as a warm one.
//!
//! Invariants:
//! - at most [`MAX_BUFFERS`] buffers and [`MAX_POOL_BYTES`] bytes are kept per pool
//!   (or the limits given to [`BufferPool::with_limits`]);
//! - a buffer is kept only while the system has memory to spare
//!   ([`memory_is_plentiful`]): under pressure it is freed at once, and pooled ones are
//!   freed by the reaper thread within [`PRESSURE_POLL`];
//! - a buffer unused for [`IDLE_RELEASE`] is freed, so an idle process gives the
//!   memory back;
//! - buffers below [`MIN_POOLED_BYTES`] are never pooled (malloc serves those well);
//! - contents of a recycled buffer are stale but initialised: callers overwrite them;
//! - [`BufferPool::prefill`] faults in at most one buffer at a time, of at most
//!   [`MAX_PREFILL_BYTES`], and only when the pool has none that fits and memory is
//!   plentiful; what it makes is pooled like any other buffer (bounded, freed when idle).
//!
//! Why prefill: a buffer handed to JS comes back only when V8 has collected its array
//! and run the finaliser, which lags at least one garbage collection behind (measured:
//! with `gc()` forced between calls, the second call still found the pool empty), and
//! a process that idles does not collect at all. So after a call that found the pool
//! empty, a background thread faults in a spare of the same size while the caller
//! uses the result, and the next call finds it resident.

use std::sync::{Condvar, Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

/// Most buffers one pool keeps: the output of a call, and the one of the call before it
/// whose array JS has not collected yet when the next call starts.
pub const MAX_BUFFERS: usize = 2;
/// Most bytes one pool keeps: enough for the largest list (2**32, 813 MB) and another.
pub const MAX_POOL_BYTES: usize = 1 << 30;
/// Smaller buffers are left to malloc.
pub const MIN_POOLED_BYTES: usize = 4 << 20;
/// A pooled buffer unused this long is freed.
pub const IDLE_RELEASE: Duration = Duration::from_secs(30);
/// How often the reaper looks at available memory while the pool holds buffers.
pub const PRESSURE_POLL: Duration = Duration::from_secs(1);
/// Largest buffer [`BufferPool::prefill`] makes: a list of primes below 1e9 (203 MB)
/// is, one of all primes below 2**32 (813 MB) is not.
pub const MAX_PREFILL_BYTES: usize = 256 << 20;
/// Longest a [`BufferPool::take`] waits for a prefill under way.
pub const PREFILL_WAIT: Duration = Duration::from_secs(2);

/// Decoded pixels of large images: the JPEG decoder writes into a buffer taken from
/// here, and the pipeline gives the decoded raster's buffer back once the resize has
/// made its successor. Up to [`PIXEL_BUFFERS`] buffers, one per thread decoding at once
/// on most machines, and at most [`PIXEL_POOL_BYTES`]; emptied whenever no image is
/// being processed ([`ImageInFlight`]). Measured on 24 large photos to
/// 1920 wide (full-size decodes): the kernel's page faults and zeroing were a sixth of
/// the batch's CPU time before.
pub static PIXELS: BufferPool<u8> = BufferPool::with_limits(PIXEL_BUFFERS, PIXEL_POOL_BYTES);
/// Images being processed now; when the last one ends, [`PIXELS`] is emptied, so the
/// pool speeds up a batch (and calls that overlap) but holds nothing once the work is
/// done: a call's memory is released after it, as a server expects.
static IMAGES_IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Held while one image is processed (see [`IMAGES_IN_FLIGHT`]); dropping the last one,
/// on success, failure or unwinding, frees the pooled pixel buffers.
pub(crate) struct ImageInFlight(());

impl ImageInFlight {
    pub(crate) fn enter() -> Self {
        IMAGES_IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Self(())
    }
}

impl Drop for ImageInFlight {
    fn drop(&mut self) {
        if IMAGES_IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
            PIXELS.clear();
        }
    }
}

/// Most buffers [`PIXELS`] keeps.
pub const PIXEL_BUFFERS: usize = 8;
/// Most bytes [`PIXELS`] keeps.
pub const PIXEL_POOL_BYTES: usize = 512 << 20;

/// A pool of vectors of `T`, reused by capacity.
pub struct BufferPool<T> {
    state: Mutex<Vec<Pooled<T>>>,
    /// Most buffers and bytes kept.
    max_buffers: usize,
    max_bytes: usize,
    /// Wakes the reaper when a buffer is pooled.
    wake: Condvar,
    reaper: Once,
    /// The length of the buffer a prefill thread is faulting in, if one is.
    filling: Mutex<Option<usize>>,
    /// Signalled when a prefill ends.
    filled: Condvar,
}

struct Pooled<T> {
    buf: Vec<T>,
    since: Instant,
}

fn bytes_of<T>(buf: &Vec<T>) -> usize {
    buf.capacity() * std::mem::size_of::<T>()
}

impl<T: Copy + Default + Send + 'static> BufferPool<T> {
    /// A pool keeping at most [`MAX_BUFFERS`] buffers and [`MAX_POOL_BYTES`] bytes.
    pub const fn new() -> Self {
        Self::with_limits(MAX_BUFFERS, MAX_POOL_BYTES)
    }

    /// A pool keeping at most `max_buffers` buffers and `max_bytes` bytes.
    pub const fn with_limits(max_buffers: usize, max_bytes: usize) -> Self {
        Self {
            state: Mutex::new(Vec::new()),
            max_buffers,
            max_bytes,
            wake: Condvar::new(),
            reaper: Once::new(),
            filling: Mutex::new(None),
            filled: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Pooled<T>>> {
        // A panic while holding the lock cannot leave the list inconsistent (every
        // change is a single push or remove), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A vector of exactly `len` elements, reused from the pool where one fits (its
    /// capacity is at least `len` and at most twice `len` plus 2 MiB, so a small
    /// request never pins a huge buffer), else freshly zero-allocated. Elements are
    /// stale values from an earlier use, or zero: the caller overwrites them.
    /// If a prefill of a buffer that would fit is under way, waits for it (up to
    /// [`PREFILL_WAIT`]): what remains of its faulting costs less than starting afresh.
    pub fn take(&self, len: usize) -> Vec<T> {
        let want = len * std::mem::size_of::<T>();
        if want >= MIN_POOLED_BYTES {
            if let Some(buf) = self.take_pooled(len) {
                return buf;
            }
            if self.wait_for_prefill(len) {
                if let Some(buf) = self.take_pooled(len) {
                    return buf;
                }
            }
        }
        vec![T::default(); len]
    }

    /// Whether a pooled buffer of capacity `capacity` serves a request for `len`
    /// elements: large enough, and not so large that a small request pins it.
    fn fits(capacity: usize, len: usize) -> bool {
        let size = std::mem::size_of::<T>();
        capacity >= len && capacity * size <= 2 * len * size + (2 << 20)
    }

    /// The smallest pooled buffer that fits `len`, resized to `len`.
    fn take_pooled(&self, len: usize) -> Option<Vec<T>> {
        {
            let mut pool = self.lock();
            let fits = |p: &Pooled<T>| Self::fits(p.buf.capacity(), len);
            // The smallest buffer that fits, so a large one stays for a large request.
            let best = pool
                .iter()
                .enumerate()
                .filter(|(_, p)| fits(p))
                .min_by_key(|(_, p)| p.buf.capacity())
                .map(|(i, _)| i);
            if let Some(i) = best {
                let mut buf = pool.swap_remove(i).buf;
                drop(pool);
                // Only `len - buf.len()` new elements are written when it grows; the
                // rest keep their stale (initialised) values.
                buf.resize(len, T::default());
                return Some(buf);
            }
        }
        None
    }

    /// Waits while a prefill of a buffer that fits `len` is under way; returns whether
    /// there was one.
    fn wait_for_prefill(&self, len: usize) -> bool {
        let filling = self.filling.lock().unwrap_or_else(|p| p.into_inner());
        if !filling.is_some_and(|n| Self::fits(n, len)) {
            return false;
        }
        let deadline = Instant::now() + PREFILL_WAIT;
        let mut filling = filling;
        while filling.is_some() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            filling = match self.filled.wait_timeout(filling, left) {
                Ok((guard, _)) => guard,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }

    /// Faults in, on a background thread, a buffer of `len` elements for the next
    /// [`take`](Self::take), unless the pool already holds one that fits, a prefill is
    /// under way, the buffer would be outside the pooled sizes or above
    /// [`MAX_PREFILL_BYTES`], or memory is short.
    pub fn prefill(&'static self, len: usize) {
        let bytes = len * std::mem::size_of::<T>();
        if !(MIN_POOLED_BYTES..=MAX_PREFILL_BYTES).contains(&bytes) {
            return;
        }
        let mut filling = self.filling.lock().unwrap_or_else(|p| p.into_inner());
        if filling.is_some() {
            return;
        }
        {
            let pool = self.lock();
            if pool.iter().any(|p| Self::fits(p.buf.capacity(), len)) {
                return;
            }
            let held: usize = pool.iter().map(|p| bytes_of(&p.buf)).sum();
            if !memory_is_plentiful(held + bytes) {
                return;
            }
        }
        *filling = Some(len);
        drop(filling);
        let started = std::thread::Builder::new()
            .name("corepool-prefill".into())
            .stack_size(64 << 10)
            .spawn(move || {
                // One write per 4 KiB page faults every page in here, not in the
                // caller. (`black_box`: the compiler may not assume the zeroed
                // allocation's content and drop the writes.)
                let mut buf = std::hint::black_box(vec![T::default(); len]);
                let per_page = (4096 / std::mem::size_of::<T>().max(1)).max(1);
                for page in buf.chunks_mut(per_page) {
                    page[0] = T::default();
                }
                self.give(buf);
                self.end_prefill();
            });
        if started.is_err() {
            self.end_prefill();
        }
    }

    fn end_prefill(&self) {
        *self.filling.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.filled.notify_all();
    }

    /// Whether a prefill is under way.
    pub fn prefilling(&self) -> bool {
        self.filling
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Hands `buf` back for reuse, or frees it when it is small, when the pool is full
    /// or when memory is short. Frees happen outside the lock.
    pub fn give(&'static self, buf: Vec<T>) {
        let bytes = bytes_of(&buf);
        if !(MIN_POOLED_BYTES..=self.max_bytes).contains(&bytes) {
            return;
        }
        let mut evicted = Vec::new();
        {
            let mut pool = self.lock();
            // Make room: the oldest buffers go first.
            while pool.len() >= self.max_buffers
                || pool.iter().map(|p| bytes_of(&p.buf)).sum::<usize>() + bytes > self.max_bytes
            {
                let oldest = pool
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, p)| p.since)
                    .map(|(i, _)| i);
                match oldest {
                    Some(i) => evicted.push(pool.swap_remove(i)),
                    None => break,
                }
            }
            let held: usize = pool.iter().map(|p| bytes_of(&p.buf)).sum();
            if !memory_is_plentiful(held + bytes) {
                evicted.push(Pooled {
                    buf,
                    since: Instant::now(),
                });
            } else {
                pool.push(Pooled {
                    buf,
                    since: Instant::now(),
                });
                self.start_reaper();
                self.wake.notify_one();
            }
        }
        drop(evicted);
    }

    /// Frees every pooled buffer now.
    pub fn clear(&self) {
        let all = std::mem::take(&mut *self.lock());
        drop(all);
    }

    /// Number of buffers and bytes the pool holds now.
    pub fn held(&self) -> (usize, usize) {
        let pool = self.lock();
        (pool.len(), pool.iter().map(|p| bytes_of(&p.buf)).sum())
    }

    /// Frees the buffers idle for `idle` or more, and all of them when memory is short.
    /// Returns how long until the next one expires, or `None` when the pool is empty.
    fn reap(&self, idle: Duration) -> Option<Duration> {
        let now = Instant::now();
        let mut freed = Vec::new();
        let next = {
            let mut pool = self.lock();
            let held: usize = pool.iter().map(|p| bytes_of(&p.buf)).sum();
            if held > 0 && !memory_is_plentiful(held) {
                freed.append(&mut pool);
            }
            let mut i = 0;
            while i < pool.len() {
                if now.duration_since(pool[i].since) >= idle {
                    freed.push(pool.swap_remove(i));
                } else {
                    i += 1;
                }
            }
            pool.iter()
                .map(|p| idle.saturating_sub(now.duration_since(p.since)))
                .min()
        };
        drop(freed);
        next
    }

    /// Starts, once, the thread that frees idle buffers and watches memory. If the
    /// thread cannot start, buffers are still bounded and freed when memory is short
    /// at the next `give`; they are then only not freed after idling.
    fn start_reaper(&'static self) {
        self.reaper.call_once(|| {
            let _ = std::thread::Builder::new()
                .name("corepool-recycle".into())
                .stack_size(64 << 10)
                .spawn(move || loop {
                    let wait = self.reap(IDLE_RELEASE);
                    let pool = self.lock();
                    match wait {
                        // Empty: sleep until a buffer is pooled.
                        None if pool.is_empty() => drop(self.wake.wait(pool)),
                        _ => {
                            let timeout = wait.unwrap_or(PRESSURE_POLL).min(PRESSURE_POLL);
                            drop(self.wake.wait_timeout(pool, timeout));
                        }
                    }
                });
        });
    }
}

impl<T: Copy + Default + Send + 'static> Default for BufferPool<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether the system can spare `pooled` more bytes: Linux's `MemAvailable` must stay
/// above both an eighth of `MemTotal` and twice `pooled`. Elsewhere (or if
/// `/proc/meminfo` cannot be read) pooling is allowed, within the fixed bounds.
pub fn memory_is_plentiful(pooled: usize) -> bool {
    match read_meminfo() {
        Some((total, available)) => available >= total / 8 && available >= 2 * pooled as u64,
        None => true,
    }
}

/// `(MemTotal, MemAvailable)` in bytes, from `/proc/meminfo`.
fn read_meminfo() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    };
    Some((field("MemTotal:")?, field("MemAvailable:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: usize = MIN_POOLED_BYTES / 4 * 3; // elements of u32: 3 * MIN_POOLED_BYTES

    fn leak() -> &'static BufferPool<u32> {
        Box::leak(Box::new(BufferPool::new()))
    }

    #[test]
    fn a_returned_buffer_is_reused() {
        let pool = leak();
        let mut buf = pool.take(BIG);
        assert_eq!(buf.len(), BIG);
        buf[0] = 7;
        let ptr = buf.as_ptr();
        pool.give(buf);
        assert_eq!(pool.held().0, 1);
        // A slightly smaller request gets the same memory, with its stale contents.
        let again = pool.take(BIG - 10);
        assert_eq!(again.as_ptr(), ptr);
        assert_eq!(again.len(), BIG - 10);
        assert_eq!(again[0], 7);
        assert_eq!(pool.held(), (0, 0));
    }

    #[test]
    fn the_pool_is_bounded() {
        let pool = leak();
        for _ in 0..5 {
            pool.give(vec![0u32; BIG]);
        }
        let (n, bytes) = pool.held();
        assert_eq!(n, MAX_BUFFERS);
        assert!(bytes <= MAX_POOL_BYTES);
        // Too large to pool at all.
        pool.clear();
        pool.give(vec![0u32; MAX_POOL_BYTES / 4 + 1]);
        assert_eq!(pool.held(), (0, 0));
    }

    #[test]
    fn small_buffers_and_far_larger_ones_are_not_used() {
        let pool = leak();
        pool.give(vec![0u32; 1000]);
        assert_eq!(pool.held(), (0, 0));
        pool.give(vec![0u32; 8 * BIG]);
        assert_eq!(pool.held().0, 1);
        // A request for an eighth of it allocates afresh and leaves the big one pooled.
        let small = pool.take(BIG);
        assert_eq!(small.capacity(), BIG);
        assert_eq!(pool.held().0, 1);
        // A request that is too large for every pooled buffer allocates too.
        let large = pool.take(9 * BIG);
        assert_eq!(large.len(), 9 * BIG);
        assert_eq!(pool.held().0, 1);
    }

    #[test]
    fn idle_buffers_are_freed() {
        let pool = leak();
        pool.give(vec![0u32; BIG]);
        assert!(pool.reap(Duration::from_secs(3600)).is_some());
        assert_eq!(pool.held().0, 1);
        assert_eq!(pool.reap(Duration::ZERO), None);
        assert_eq!(pool.held(), (0, 0));
    }

    #[test]
    fn meminfo_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let (total, available) = read_meminfo().expect("/proc/meminfo");
            assert!(total > 0 && available <= total);
        }
        // Asking to keep more than the machine has is refused everywhere it can be read.
        if read_meminfo().is_some() {
            assert!(!memory_is_plentiful(usize::MAX / 4));
        }
    }

    #[test]
    fn prefill_makes_one_resident_buffer_for_the_next_take() {
        let pool = leak();
        pool.prefill(BIG);
        // A second request while one is under way starts nothing more.
        pool.prefill(BIG);
        // take waits for the prefill under way and gets its buffer.
        let buf = pool.take(BIG);
        assert_eq!(buf.len(), BIG);
        // (The thread pools its buffer just before it marks the prefill ended.)
        let deadline = Instant::now() + Duration::from_secs(5);
        while pool.prefilling() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(!pool.prefilling());
        assert_eq!(pool.held(), (0, 0));
        // With a fitting buffer pooled, no prefill starts; too small or too large ones
        // are never prefilled.
        pool.give(buf);
        pool.prefill(BIG);
        assert!(!pool.prefilling());
        assert_eq!(pool.held().0, 1);
        pool.clear();
        pool.prefill(1000);
        pool.prefill(MAX_PREFILL_BYTES / 4 + 1);
        assert!(!pool.prefilling());
        assert_eq!(pool.held(), (0, 0));
    }
}
