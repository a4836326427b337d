//! `calculatePrimes`, `calculatePrimesSync` and `countPrimes`.

use napi::bindgen_prelude::*;
use napi::Env;

use corepool_core::primes::{self, MAX_COUNT_LIMIT, MAX_LIST_LIMIT};
use corepool_core::validate::integer_in_range;
use corepool_core::{CancelFlag, Failure};

use crate::hooks::{self, cancel_flag, CancelToken};
use crate::js::{received, to_napi_error};
use crate::task::{self, run_on_pool, start, Pending};

/// Options accepted next to `max`, for TypeScript (validated by `hooks::parse`).
#[allow(dead_code)]
#[napi(object, object_to_js = false)]
pub struct PrimesHooks {
    /// Aborts the computation; the promise then rejects with code `ERR_ABORTED`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Unknown<'static>>,
}

/// All primes `p < max` (ascending) as a `Uint32Array`, computed by a parallel
/// segmented sieve on every core, off the JS thread. `0 <= max <= 2**32`.
#[napi(
    ts_args_type = "max: number, hooks?: PrimesHooks | undefined | null",
    ts_return_type = "Promise<Uint32Array>"
)]
pub fn calculate_primes<'env>(
    env: &'env Env,
    max: Unknown,
    hooks: Option<Unknown>,
    token: Option<ClassInstance<CancelToken>>,
) -> Result<Pending<'env, Vec<u32>, Uint32Array>> {
    let cancel = cancel_flag(token);
    let job = integer_in_range("max", &received(&max), 0, MAX_LIST_LIMIT).and_then(|max| {
        hooks::parse(hooks, &["signal"])?;
        Ok(task::one(move || {
            primes::primes_below(max, &cancel).map_err(Failure::from)
        }))
    });
    start(env, job, recycled_array)
}

/// Exposes `primes` to JS without copying. The array's finaliser hands the vector back
/// to the core's bounded pool ([`primes::recycle`]), so the next call reuses memory
/// that is already resident instead of faulting in 200 MB of fresh pages (which cost
/// as much as the sieve on VMs that return freed memory to the hypervisor).
fn recycled_array(mut primes: Vec<u32>) -> Uint32Array {
    let data = primes.as_mut_ptr();
    let len = primes.len();
    // SAFETY: `data .. data + len` are the initialised elements of `primes`. The
    // closure owns `primes` (moving a Vec does not move its heap buffer), so the memory
    // stays valid and unaliased by Rust until V8 has dropped the ArrayBuffer and calls
    // the finaliser; only then is the vector reused. If napi must copy instead
    // (external buffers disallowed), it calls the closure right after copying.
    unsafe { Uint32Array::with_external_data(data, len, move |_, _| primes::recycle(primes)) }
}

/// The blocking twin of `calculatePrimes`, for scripts: it still uses every core, but
/// holds the JS thread until done.
#[napi(ts_return_type = "Uint32Array")]
pub fn calculate_primes_sync(
    env: Env,
    #[napi(ts_arg_type = "number")] max: Unknown,
) -> Result<Uint32Array> {
    let max = integer_in_range("max", &received(&max), 0, MAX_LIST_LIMIT)
        .map_err(|f| to_napi_error(&env, f))?;
    let cancel = CancelFlag::new();
    run_on_pool(|| primes::primes_below(max, &cancel).map_err(Failure::from))
        .map(recycled_array)
        .map_err(|f| to_napi_error(&env, f))
}

/// The number of primes `p < max`, without listing them. `0 <= max <= 2**53`; large
/// values take long (about a second per 1e10 on two cores) but can be aborted.
#[napi(
    ts_args_type = "max: number, hooks?: PrimesHooks | undefined | null",
    ts_return_type = "Promise<number>"
)]
pub fn count_primes<'env>(
    env: &'env Env,
    max: Unknown,
    hooks: Option<Unknown>,
    token: Option<ClassInstance<CancelToken>>,
) -> Result<Pending<'env, u64, f64>> {
    let cancel = cancel_flag(token);
    let job = integer_in_range("max", &received(&max), 0, MAX_COUNT_LIMIT).and_then(|max| {
        hooks::parse(hooks, &["signal"])?;
        Ok(task::one(move || {
            primes::count_below(max, &cancel).map_err(Failure::from)
        }))
    });
    start(env, job, |n| n as f64)
}
