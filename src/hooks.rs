//! The `hooks` argument and cancellation.
//!
//! The JS entry point (`lib/api.js`) observes the caller's `AbortSignal` itself (with a
//! listener it removes when the call settles; `signal.onabort` is never touched) and
//! hands the binding a [`CancelToken`] in its place. What reaches the binding as
//! `hooks` is therefore validated here: a plain object with at most the keys the call
//! accepts, where a `signal` that is still present is one the entry point could not
//! use (not an `AbortSignal`).

use corepool_core::validate::invalid;
use corepool_core::{CancelFlag, ErrorClass, ErrorCode, Failure};
use napi::bindgen_prelude::*;
use napi::ValueType;

use crate::js::received;

/// A cancellation flag JS can raise: `new CancelToken()`, then `token.cancel()` when the
/// caller's `AbortSignal` fires. Work checks it between images, stages and segments.
#[napi]
#[derive(Default)]
pub struct CancelToken {
    flag: CancelFlag,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests cancellation; work already finished stays finished.
    #[napi]
    pub fn cancel(&self) {
        self.flag.cancel();
    }
}

/// The flag behind `token`, or a fresh one that is never raised.
pub fn cancel_flag(token: Option<ClassInstance<CancelToken>>) -> CancelFlag {
    token.map(|t| t.flag.clone()).unwrap_or_default()
}

/// The hooks object's `onProgress`, when the call accepts one and it is given, and
/// `metadata`'s `density`.
pub struct Hooks<'env> {
    pub on_progress: Option<Unknown<'env>>,
    pub density: Option<f64>,
}

/// Validates `hooks`: `undefined`, `null` or a plain object with only the `allowed`
/// keys, each `undefined` or of its type (`signal` is never valid here: see the module
/// docs; `onProgress` must be a function).
pub fn parse<'env>(
    hooks: Option<Unknown<'env>>,
    allowed: &[&str],
) -> std::result::Result<Hooks<'env>, Failure> {
    let mut parsed = Hooks {
        on_progress: None,
        density: None,
    };
    let Some(hooks) = hooks else {
        return Ok(parsed);
    };
    match hooks.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => return Ok(parsed),
        Ok(ValueType::Object) if !hooks.is_array().unwrap_or(true) => {}
        _ => return Err(invalid("hooks", "object", &received(&hooks), false)),
    }
    let read = || -> Result<Vec<(String, Unknown<'env>)>> {
        let object: Object = unsafe { hooks.cast()? };
        Object::keys(&object)?
            .into_iter()
            .map(|key| {
                let value: Unknown = object.get_named_property(&key)?;
                Ok((key, value))
            })
            .collect()
    };
    let entries = read().map_err(|e| invalid_hooks(format!("Cannot read hooks: {}", e.reason)))?;
    for (key, value) in entries {
        let given = !matches!(value.get_type(), Ok(ValueType::Undefined | ValueType::Null));
        match key.as_str() {
            _ if !allowed.contains(&key.as_str()) => {
                return Err(invalid_hooks(format!(
                    "Unknown hook '{}'; expected one of {}",
                    key.chars().take(64).collect::<String>(),
                    corepool_core::validate::quoted_list(allowed)
                )))
            }
            "signal" if given => {
                return Err(invalid("signal", "AbortSignal", &received(&value), false))
            }
            "onProgress" if given => {
                if value.get_type().ok() != Some(ValueType::Function) {
                    return Err(invalid("onProgress", "function", &received(&value), false));
                }
                parsed.on_progress = Some(value);
            }
            "density" if given => {
                parsed.density = Some(corepool_core::validate::number_in_range(
                    "density",
                    &received(&value),
                    1.0,
                    100_000.0,
                )?);
            }
            _ => {}
        }
    }
    Ok(parsed)
}

fn invalid_hooks(message: String) -> Failure {
    Failure {
        class: ErrorClass::TypeError,
        code: ErrorCode::InvalidOption,
        message,
    }
}

/// `processImages`' hooks, for TypeScript (validated by [`parse`]).
#[allow(dead_code)]
#[napi(object, object_to_js = false, js_name = "BatchHooks")]
pub struct BatchHooksJs {
    /// Aborts the batch: no new image starts, images in flight stop at their next stage
    /// boundary, and the promise rejects with `ERR_ABORTED`. Outputs already written are
    /// complete.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Unknown<'static>>,
    /// Called at most every 50 ms with `{ done, total, failed, currentPath }` (`done`
    /// strictly increasing), and once more with `done === total` before the promise
    /// resolves; never after it settles. If it throws, the batch stops and the promise
    /// rejects with that error.
    #[napi(ts_type = "(progress: Progress) => void")]
    pub on_progress: Option<Unknown<'static>>,
}

/// The options of `metadata`, for TypeScript: its hooks, and the density SVG input is
/// sized at.
#[allow(dead_code)]
#[napi(object, object_to_js = false, js_name = "MetadataHooks")]
pub struct MetadataHooksJs {
    /// Aborts the call; the promise rejects with `ERR_ABORTED`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Unknown<'static>>,
    /// Dots per inch SVG input is sized at, 1 to 100000 (default 72), as sharp's
    /// `density`: the same as `processImage`'s option of that name.
    pub density: Option<f64>,
}

/// The hooks of `processImage`, `metadata` and `processStream`, for TypeScript.
#[allow(dead_code)]
#[napi(object, object_to_js = false, js_name = "ImageHooks")]
pub struct ImageHooksJs {
    /// Aborts the call at the next stage boundary (decode, resize, encode); the promise
    /// rejects with `ERR_ABORTED`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Unknown<'static>>,
}
