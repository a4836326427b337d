//! JS values in and errors out: how a JS value is described for validation, and how a
//! [`Failure`] becomes a JS error with its `code`.

use corepool_core::{ErrorClass, Failure, Received};
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
