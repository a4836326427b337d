//! Validation of arguments that arrive from JavaScript.
//!
//! The binding describes each JS value as a [`Received`]; the checks here turn it into
//! a Rust value or an `ERR_INVALID_OPTION` failure whose message names the option, the
//! value received and what is allowed, in sharp's style:
//! `Expected integer between 0 and 4294967296 for max but received 1.5 of type number`.

use std::fmt;
use std::sync::Arc;

use crate::error::{ErrorClass, ErrorCode, Failure};

/// A JS value as validation sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// A plain object, with its own enumerable properties (values described one level
    /// deep; nested objects become `Other("object")`).
    Object(Vec<(String, Received)>),
    /// An array, its items described like object values (the binding describes at
    /// most [`MAX_ARRAY_ITEMS`] items; a longer array arrives as `Other`).
    Array(Vec<Received>),
    /// The bytes of a `Buffer` or `Uint8Array`, copied (images given inside options,
    /// such as composite overlays).
    Bytes(Arc<[u8]>),
    /// Anything else (object, array, function, symbol, bigint), by its `typeof` name
    /// or a more specific description such as `array`.
    Other(&'static str),
}

impl fmt::Display for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Undefined => f.write_str("undefined"),
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b} of type boolean"),
            Self::Number(n) => write!(f, "{} of type number", format_number(*n)),
            Self::String(s) => {
                let shown: String = s.chars().take(64).collect();
                let ellipsis = if shown.len() < s.len() { "..." } else { "" };
                write!(f, "'{shown}{ellipsis}' of type string")
            }
            Self::Object(_) => f.write_str("a value of type object"),
            Self::Array(_) => f.write_str("a value of type array"),
            Self::Bytes(b) => write!(f, "a Buffer of {} bytes", b.len()),
            Self::Other(kind) => write!(f, "a value of type {kind}"),
        }
    }
}

/// The most items of an array the binding describes; options never need more.
pub const MAX_ARRAY_ITEMS: usize = 1024;

/// Formats a number the way JS prints it for the common cases (`1.5`, `-1`, `NaN`,
/// `Infinity`, `1e+21`).
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n == n.trunc() && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// A failure for option `name`: `expected` says what is allowed. `type_ok` tells
/// whether the value had the right JS type (then it is a `RangeError`, else a
/// `TypeError`).
pub fn invalid(name: &str, expected: &str, received: &Received, type_ok: bool) -> Failure {
    Failure {
        class: if type_ok {
            ErrorClass::RangeError
        } else {
            ErrorClass::TypeError
        },
        code: ErrorCode::InvalidOption,
        message: format!("Expected {expected} for {name} but received {received}"),
    }
}

/// A boolean.
pub fn boolean(name: &str, received: &Received) -> Result<bool, Failure> {
    match *received {
        Received::Bool(b) => Ok(b),
        _ => Err(invalid(name, "boolean", received, false)),
    }
}

/// A finite number.
pub fn finite_number(name: &str, received: &Received) -> Result<f64, Failure> {
    match *received {
        Received::Number(n) if n.is_finite() => Ok(n),
        _ => Err(invalid(
            name,
            "finite number",
            received,
            matches!(received, Received::Number(_)),
        )),
    }
}

/// A number `min <= n <= max` (both inclusive), fractions allowed.
pub fn number_in_range(
    name: &str,
    received: &Received,
    min: f64,
    max: f64,
) -> Result<f64, Failure> {
    match *received {
        Received::Number(n) if n >= min && n <= max => Ok(n),
        _ => Err(invalid(
            name,
            &format!("number between {min} and {max}"),
            received,
            matches!(received, Received::Number(_)),
        )),
    }
}

/// One of the strings in `allowed`, returned as given.
pub fn one_of<'a>(
    name: &str,
    received: &'a Received,
    allowed: &[&str],
) -> Result<&'a str, Failure> {
    match received {
        Received::String(s) if allowed.contains(&s.as_str()) => Ok(s),
        _ => Err(invalid(
            name,
            &format!("one of {}", quoted_list(allowed)),
            received,
            matches!(received, Received::String(_)),
        )),
    }
}

/// `'a', 'b', 'c'`.
pub fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An integer `min <= n <= max` (both inclusive), given as a JS number.
pub fn integer_in_range(
    name: &str,
    received: &Received,
    min: u64,
    max: u64,
) -> Result<u64, Failure> {
    let expected = || format!("integer between {min} and {max}");
    match *received {
        Received::Number(n)
            if n.is_finite() && n == n.trunc() && n >= min as f64 && n <= max as f64 =>
        {
            Ok(n as u64)
        }
        _ => Err(invalid(
            name,
            &expected(),
            received,
            matches!(received, Received::Number(_)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_integers_in_range() {
        assert_eq!(
            integer_in_range("max", &Received::Number(0.0), 0, 10),
            Ok(0)
        );
        assert_eq!(
            integer_in_range("max", &Received::Number(10.0), 0, 10),
            Ok(10)
        );
        let big = (1u64 << 32) as f64;
        assert_eq!(
            integer_in_range("max", &Received::Number(big), 0, 1 << 32),
            Ok(1 << 32)
        );
    }

    #[test]
    fn rejects_with_type_or_range_error() {
        let cases = [
            (
                Received::Number(f64::NAN),
                ErrorClass::RangeError,
                "NaN of type number",
            ),
            (
                Received::Number(-1.0),
                ErrorClass::RangeError,
                "-1 of type number",
            ),
            (
                Received::Number(1.5),
                ErrorClass::RangeError,
                "1.5 of type number",
            ),
            (
                Received::Number(11.0),
                ErrorClass::RangeError,
                "11 of type number",
            ),
            (
                Received::String("100".into()),
                ErrorClass::TypeError,
                "'100' of type string",
            ),
            (Received::Undefined, ErrorClass::TypeError, "undefined"),
            (
                Received::Other("object"),
                ErrorClass::TypeError,
                "a value of type object",
            ),
        ];
        for (received, class, shown) in cases {
            let err = integer_in_range("max", &received, 0, 10).expect_err("must reject");
            assert_eq!(err.class, class, "{received:?}");
            assert_eq!(err.code, ErrorCode::InvalidOption);
            assert_eq!(
                err.message,
                format!("Expected integer between 0 and 10 for max but received {shown}")
            );
        }
    }

    #[test]
    fn numbers_print_like_js() {
        assert_eq!(format_number(1e12), "1000000000000");
        assert_eq!(format_number(f64::INFINITY), "Infinity");
        assert_eq!(format_number(0.25), "0.25");
    }
}
