//! Test-only switches, compiled in only with the `test-hooks` feature (contributor
//! builds; never a published binary).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

static PANIC_MARKER: RwLock<Option<String>> = RwLock::new(None);

/// From now on, inputs whose path contains `marker` panic mid-pipeline (after the
/// header is read), so tests can check that a panic becomes `ERR_INTERNAL` for that
/// file and never takes the process down. `None` or an empty marker turns it off.
pub fn set_panic_marker(marker: Option<String>) {
    *PANIC_MARKER.write().unwrap_or_else(|p| p.into_inner()) = marker.filter(|m| !m.is_empty());
}

/// Whether `input` should panic.
pub(crate) fn forced_panic(input: &str) -> bool {
    PANIC_MARKER
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .as_deref()
        .is_some_and(|marker| input.contains(marker))
}

static EXACT_SCANS_ONLY: AtomicBool = AtomicBool::new(false);

/// From now on (with `true`), scaled progressive JPEG decodes leave out only the scans
/// the scaled inverse DCT never reads (`Rule::Exact`), as before approximate scan
/// skipping: for A/B measurements of its speed and quality in one run.
pub fn set_exact_scans_only(on: bool) {
    EXACT_SCANS_ONLY.store(on, Ordering::Relaxed);
}

/// Whether [`set_exact_scans_only`] is on.
pub(crate) fn exact_scans_only() -> bool {
    EXACT_SCANS_ONLY.load(Ordering::Relaxed)
}
