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

/// A file of the test corpora (`__test__/corpora/<path>`), for unit tests.
#[cfg(test)]
pub(crate) fn corpus(path: &str) -> Vec<u8> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../__test__/corpora/");
    std::fs::read(format!("{root}{path}")).unwrap_or_else(|e| panic!("corpus file {path}: {e}"))
}

/// The mean absolute difference of two sample buffers of the same length.
#[cfg(test)]
pub(crate) fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "same number of samples");
    let total: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.len().max(1) as f64
}
