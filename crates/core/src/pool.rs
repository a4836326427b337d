//! The one process-wide rayon pool that every corepool call runs on.
//!
//! Its size is the number of cores unless `COREPOOL_THREADS` or [`set_threads`] says
//! otherwise. Resizing builds a new pool for calls that start afterwards; calls in
//! flight keep the pool they started on (they hold an `Arc`).

use std::sync::{Arc, RwLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

/// The thread count used when nothing is configured: `COREPOOL_THREADS`, else the
/// number of cores the process may use.
pub fn default_threads() -> usize {
    std::env::var("COREPOOL_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn build(threads: usize) -> Result<Arc<ThreadPool>, rayon::ThreadPoolBuildError> {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("corepool-{i}"))
        .build()
        .map(Arc::new)
}

/// The shared pool, built on first use.
pub fn pool() -> Result<Arc<ThreadPool>, rayon::ThreadPoolBuildError> {
    if let Some(pool) = POOL.read().ok().and_then(|guard| guard.clone()) {
        return Ok(pool);
    }
    let mut guard = POOL
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pool) = guard.clone() {
        return Ok(pool);
    }
    let pool = build(default_threads())?;
    *guard = Some(pool.clone());
    Ok(pool)
}

/// Replaces the shared pool with one of `threads` threads (at least 1).
pub fn set_threads(threads: usize) -> Result<(), rayon::ThreadPoolBuildError> {
    let pool = build(threads.max(1))?;
    *POOL
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(pool);
    Ok(())
}

/// The number of threads of the shared pool.
pub fn threads() -> usize {
    pool().map_or(0, |p| p.current_num_threads())
}
