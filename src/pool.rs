//! `setConcurrency` and `getConcurrency`: the size of the shared pool.

use corepool_core::validate::integer_in_range;
use corepool_core::{pool, Failure};
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
