//! Cooperative cancellation shared between the JS thread and the workers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag that a caller raises (from an `AbortSignal`) and long-running work polls
/// between units of work: between sieve segments and between images.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests cancellation. Work already finished stays finished.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
