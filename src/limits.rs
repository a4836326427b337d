//! `setLimits` and `getLimits`: the process-wide limits (`corepool_core::limits`).

use corepool_core::{limits, options};
use napi::bindgen_prelude::*;
use napi::Env;

use crate::images::received_deep;
use crate::js::to_napi_error;

/// The process-wide limits, as `getLimits()` returns them and `setLimits()` takes them.
#[napi(object, js_name = "Limits")]
pub struct LimitsJs {
    /// Most pixels an input may have; `false`: no limit.
    #[napi(ts_type = "number | false")]
    pub limit_input_pixels: Either<f64, bool>,
    /// Most pixels an output may have; `false`: no limit.
    #[napi(ts_type = "number | false")]
    pub limit_output_pixels: Either<f64, bool>,
    /// Most bytes an input may have.
    pub limit_input_bytes: f64,
}

fn pixels(limit: Option<u64>) -> Either<f64, bool> {
    limit.map_or(Either::B(false), |n| Either::A(n as f64))
}

/// Sets the limits of every later call, for servers that pass request options through:
/// they become the defaults and the ceilings, so a call's options may lower a limit but
/// never raise or disable it (such options reject with `ERR_INVALID_OPTION`). Keys left
/// out keep their current value. Throws `ERR_INVALID_OPTION` for a bad value.
#[napi(
    ts_args_type = "limits: { limitInputPixels?: number | boolean; limitOutputPixels?: number | boolean; limitInputBytes?: number }"
)]
pub fn set_limits(env: Env, limits: Unknown) -> Result<()> {
    let described = received_deep(&env, &limits, 1);
    let parsed = options::parse_limits(&described).map_err(|f| to_napi_error(&env, f))?;
    limits::set(parsed);
    Ok(())
}

/// The limits calls start from (sharp's defaults until `setLimits` is called).
#[napi]
pub fn get_limits() -> LimitsJs {
    let current = limits::current();
    LimitsJs {
        limit_input_pixels: pixels(current.input_pixels),
        limit_output_pixels: pixels(current.output_pixels),
        limit_input_bytes: current.input_bytes as f64,
    }
}
