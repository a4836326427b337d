//! `setConcurrency`, `getConcurrency` and `setMaxQueue`: the shared pool and its queue.

use corepool_core::validate::integer_in_range;
use corepool_core::{pool, schedule, Failure, Received};
use napi::bindgen_prelude::*;
use napi::Env;

use crate::js::{received, to_napi_error};

/// Sets the number of threads of the shared pool (calls already running keep theirs).
#[napi]
pub fn set_concurrency(env: Env, #[napi(ts_arg_type = "number")] threads: Unknown) -> Result<()> {
    let threads = integer_in_range("threads", &received(&threads), 1, 1024)
        .map_err(|f| to_napi_error(&env, f))?;
    pool::set_threads(threads as usize)
        .map_err(|e| to_napi_error(&env, Failure::internal(e.to_string())))
}

/// The number of threads of the shared pool.
#[napi]
pub fn get_concurrency() -> u32 {
    pool::threads() as u32
}

/// Bounds the calls in flight (queued or running, every async API counted): past `max`,
/// new calls reject with `ERR_QUEUE_FULL`, so a flooded server sheds load instead of
/// growing memory. `Infinity` removes the bound (the default).
#[napi]
pub fn set_max_queue(env: Env, #[napi(ts_arg_type = "number")] max: Unknown) -> Result<()> {
    let max = match received(&max) {
        Received::Number(n) if n == f64::INFINITY => None,
        other => Some(
            integer_in_range("max", &other, 1, 1 << 32).map_err(|f| to_napi_error(&env, f))?
                as usize,
        ),
    };
    schedule::set_max_queue(max);
    Ok(())
}
