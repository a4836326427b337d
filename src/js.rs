//! JS values in and errors out: how a JS value is described for validation, how a
//! [`Failure`] becomes a JS error with its `code`, and how an `AbortSignal` becomes a
//! [`CancelFlag`].

use corepool_core::validate::invalid;
use corepool_core::{CancelFlag, ErrorClass, Failure, Received};
use napi::bindgen_prelude::*;
use napi::{Env, JsValue, ValueType};

/// Describes a JS value for validation messages and checks.
pub(crate) fn received(value: &Unknown) -> Received {
    let describe = || -> Result<Received> {
        Ok(match value.get_type()? {
            ValueType::Undefined => Received::Undefined,
            ValueType::Null => Received::Null,
            ValueType::Boolean => Received::Bool(unsafe { value.cast::<bool>()? }),
            ValueType::Number => Received::Number(unsafe { value.cast::<f64>()? }),
            ValueType::String => Received::String(unsafe { value.cast::<String>()? }),
            ValueType::Object if value.is_array()? => Received::Other("array"),
            ValueType::Object => Received::Other("object"),
            ValueType::Function => Received::Other("function"),
            ValueType::Symbol => Received::Other("symbol"),
            ValueType::BigInt => Received::Other("bigint"),
            _ => Received::Other("unknown"),
        })
    };
    describe().unwrap_or(Received::Other("unknown"))
}

/// Builds the JS error object for `failure` (its constructor, `code` and message) and
/// wraps it so that napi rejects or throws with exactly that object.
pub(crate) fn to_napi_error(env: &Env, failure: Failure) -> napi::Error {
    let error = napi::Error::new(failure.code.as_str(), failure.message);
    let object = match failure.class {
        ErrorClass::Error => JsError::from(error).into_unknown(*env),
        ErrorClass::TypeError => JsTypeError::from(error).into_unknown(*env),
        ErrorClass::RangeError => JsRangeError::from(error).into_unknown(*env),
    };
    napi::Error::from(object)
}

/// Reads `hooks.signal` (an `AbortSignal`) and ties it to a fresh [`CancelFlag`]: the
/// flag is raised at once if the signal is already aborted, or when it aborts later.
pub(crate) fn cancel_flag_from(env: &Env, signal: Option<Unknown>) -> Result<CancelFlag> {
    let flag = CancelFlag::new();
    let Some(signal) = signal else {
        return Ok(flag);
    };
    match signal.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(flag),
        ValueType::Object => {}
        _ => {
            return Err(to_napi_error(
                env,
                invalid("signal", "an AbortSignal", &received(&signal), false),
            ))
        }
    }
    let object: Object = unsafe { signal.cast()? };
    if object.get::<bool>("aborted")?.unwrap_or(false) {
        flag.cancel();
    }
    let abort = unsafe { AbortSignal::from_napi_value(env.raw(), signal.raw())? };
    let on_abort = flag.clone();
    abort.on_abort(move || on_abort.cancel());
    Ok(flag)
}
