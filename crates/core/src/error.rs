//! Error codes shared by every API, and the kind of JS error each one becomes.
//!
//! The codes are part of the public contract: JS code switches on `err.code`, so a code
//! never changes meaning once published.

use std::fmt;

/// A stable, documented error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// An argument or option has the wrong type or value. The whole call is rejected.
    InvalidOption,
    /// The input path does not exist (or is not a file).
    InputNotFound,
    /// The input is not an image in a format corepool reads.
    InputUnsupported,
    /// The input looks like a supported format but its data is broken or truncated.
    InputCorrupt,
    /// The input declares more pixels than `limitInputPixels` allows.
    InputTooLarge,
    /// The output file exists and `overwrite` is false.
    OutputExists,
    /// The output could not be written.
    OutputWrite,
    /// The caller aborted the operation through its `AbortSignal`.
    Aborted,
    /// Too many calls are queued or running (`setMaxQueue`); the call did not start.
    QueueFull,
    /// A bug in corepool: a caught panic or a broken invariant.
    Internal,
}

impl ErrorCode {
    /// The string JS code sees as `err.code`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidOption => "ERR_INVALID_OPTION",
            Self::InputNotFound => "ERR_INPUT_NOT_FOUND",
            Self::InputUnsupported => "ERR_INPUT_UNSUPPORTED",
            Self::InputCorrupt => "ERR_INPUT_CORRUPT",
            Self::InputTooLarge => "ERR_INPUT_TOO_LARGE",
            Self::OutputExists => "ERR_OUTPUT_EXISTS",
            Self::OutputWrite => "ERR_OUTPUT_WRITE",
            Self::Aborted => "ERR_ABORTED",
            Self::QueueFull => "ERR_QUEUE_FULL",
            Self::Internal => "ERR_INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which JS error constructor a failure uses, following Node's conventions: a value of
/// the wrong type is a `TypeError`, a value of the right type outside the allowed set
/// is a `RangeError`, anything else a plain `Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    Error,
    TypeError,
    RangeError,
}

/// A failure as it crosses into JS: constructor, code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Failure {
    pub class: ErrorClass,
    pub code: ErrorCode,
    pub message: String,
}

/// The message of a caught panic payload (`&str` or `String`, as `panic!` makes them).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            class: ErrorClass::Error,
            code,
            message: message.into(),
        }
    }

    pub fn aborted() -> Self {
        Self::new(ErrorCode::Aborted, "The operation was aborted")
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

// The one place where each layer's error becomes a stable code.

impl From<crate::codec::DecodeError> for Failure {
    fn from(err: crate::codec::DecodeError) -> Self {
        use crate::codec::DecodeError as E;
        let code = match err {
            E::Empty | E::Unsupported(_) => ErrorCode::InputUnsupported,
            E::Corrupt(_) => ErrorCode::InputCorrupt,
            E::TooLarge { .. } | E::LimitExceeded(_) => ErrorCode::InputTooLarge,
            E::Aborted => return Failure::aborted(),
        };
        Failure::new(code, err.to_string())
    }
}

impl From<crate::codec::EncodeError> for Failure {
    fn from(err: crate::codec::EncodeError) -> Self {
        use crate::codec::EncodeError as E;
        let code = match err {
            E::TooLarge { .. } | E::Capacity { .. } => ErrorCode::InputTooLarge,
            E::Channels { .. } | E::Library { .. } => ErrorCode::Internal,
        };
        Failure::new(code, err.to_string())
    }
}

impl From<crate::resample::ResampleError> for Failure {
    fn from(err: crate::resample::ResampleError) -> Self {
        Failure::internal(err.to_string())
    }
}

impl From<crate::primes::PrimesError> for Failure {
    fn from(err: crate::primes::PrimesError) -> Self {
        use crate::primes::PrimesError as E;
        match err {
            E::Aborted => Failure::aborted(),
            E::OutOfRange { max, limit } => Failure::internal(format!(
                "max {max} passed validation but exceeds the limit {limit}"
            )),
        }
    }
}

impl From<crate::input::InputError> for Failure {
    fn from(err: crate::input::InputError) -> Self {
        use crate::input::InputError as E;
        let code = match err {
            E::NotFound { .. } => ErrorCode::InputNotFound,
            E::NotRegular { .. } => ErrorCode::InputUnsupported,
            E::TooLarge { .. } => ErrorCode::InputTooLarge,
        };
        Failure::new(code, err.to_string())
    }
}

impl From<crate::output::OutputError> for Failure {
    fn from(err: crate::output::OutputError) -> Self {
        use crate::output::OutputError as E;
        let code = match err {
            E::Exists { .. } => ErrorCode::OutputExists,
            E::Write { .. } | E::IsDirectory { .. } => ErrorCode::OutputWrite,
            E::NoFileName { .. } => ErrorCode::InputNotFound,
        };
        Failure::new(code, err.to_string())
    }
}
