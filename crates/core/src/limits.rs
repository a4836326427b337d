//! Process-wide limits: `setLimits({ limitInputPixels, limitOutputPixels, limitInputBytes })`.
//!
//! A server passes request options straight through, so a client could switch a
//! per-call limit off (`limitInputPixels: false`). Once the host calls [`set`], its
//! values are both the defaults of every call and ceilings: a call's options may lower
//! a limit, never raise or disable it ([`check_call`] refuses such options with
//! `ERR_INVALID_OPTION`). Until then the per-call options are free, as in sharp, and the
//! defaults are sharp's.

use std::sync::RwLock;

use crate::error::{ErrorClass, ErrorCode, Failure};

/// sharp's default `limitInputPixels`: 0x3FFF * 0x3FFF.
pub const DEFAULT_LIMIT_INPUT_PIXELS: u64 = 268_402_689;
/// The default `limitOutputPixels`: the same number as `limitInputPixels`.
pub const DEFAULT_LIMIT_OUTPUT_PIXELS: u64 = DEFAULT_LIMIT_INPUT_PIXELS;
/// sharp's default-sized byte limit for one input: 256 MiB.
pub const DEFAULT_LIMIT_INPUT_BYTES: u64 = 256 << 20;

/// One set of limits. `None` is "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub input_pixels: Option<u64>,
    pub output_pixels: Option<u64>,
    pub input_bytes: u64,
}

impl Limits {
    /// sharp's defaults, before the host sets any.
    pub const DEFAULT: Limits = Limits {
        input_pixels: Some(DEFAULT_LIMIT_INPUT_PIXELS),
        output_pixels: Some(DEFAULT_LIMIT_OUTPUT_PIXELS),
        input_bytes: DEFAULT_LIMIT_INPUT_BYTES,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The process's limits and whether they are ceilings (set by the host).
struct State {
    limits: Limits,
    enforced: bool,
}

static STATE: RwLock<State> = RwLock::new(State {
    limits: Limits::DEFAULT,
    enforced: false,
});

/// The limits every call starts from.
pub fn current() -> Limits {
    STATE.read().unwrap_or_else(|p| p.into_inner()).limits
}

/// Whether [`set`] was called: the limits are then ceilings for every call.
pub fn enforced() -> bool {
    STATE.read().unwrap_or_else(|p| p.into_inner()).enforced
}

/// Sets the process-wide limits; from now on they are the defaults and the ceilings.
/// Calls already running keep the limits they started with.
pub fn set(limits: Limits) {
    let mut state = STATE.write().unwrap_or_else(|p| p.into_inner());
    *state = State {
        limits,
        enforced: true,
    };
}

/// `a` is no looser than `b` (`None` is the loosest).
fn within(a: Option<u64>, b: Option<u64>) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a <= b,
    }
}

fn shown(limit: Option<u64>) -> String {
    limit.map_or_else(|| "no limit".to_owned(), |n| n.to_string())
}

/// Refuses a call whose own limits are looser than the ceilings set by [`set`].
pub fn check_call(call: &Limits, ceiling: &Limits) -> Result<(), Failure> {
    let refuse = |name: &str, asked: Option<u64>, max: Option<u64>| {
        Failure {
        class: ErrorClass::RangeError,
        code: ErrorCode::InvalidOption,
        message: format!(
            "Expected {name} of at most {} (the process-wide limit set by setLimits()) but received {}; options may lower this limit, never raise or disable it",
            shown(max),
            asked.map_or_else(|| "false (no limit)".to_owned(), |n| n.to_string()),
        ),
    }
    };
    if !within(call.input_pixels, ceiling.input_pixels) {
        return Err(refuse(
            "limitInputPixels",
            call.input_pixels,
            ceiling.input_pixels,
        ));
    }
    if !within(call.output_pixels, ceiling.output_pixels) {
        return Err(refuse(
            "limitOutputPixels",
            call.output_pixels,
            ceiling.output_pixels,
        ));
    }
    if call.input_bytes > ceiling.input_bytes {
        return Err(refuse(
            "limitInputBytes",
            Some(call.input_bytes),
            Some(ceiling.input_bytes),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_may_lower_a_ceiling_but_not_raise_or_disable_it() {
        let ceiling = Limits {
            input_pixels: Some(1000),
            output_pixels: Some(500),
            input_bytes: 4096,
        };
        let lower = Limits {
            input_pixels: Some(10),
            output_pixels: Some(10),
            input_bytes: 10,
        };
        assert!(check_call(&lower, &ceiling).is_ok());
        assert!(check_call(&ceiling, &ceiling).is_ok());
        let disabled = Limits {
            input_pixels: None,
            ..lower
        };
        let err = check_call(&disabled, &ceiling).expect_err("disabled");
        assert_eq!(err.code, ErrorCode::InvalidOption);
        assert!(err.message.contains("limitInputPixels of at most 1000"));
        assert!(err.message.contains("false (no limit)"), "{}", err.message);
        let raised = Limits {
            output_pixels: Some(501),
            ..lower
        };
        assert!(check_call(&raised, &ceiling)
            .expect_err("raised")
            .message
            .contains("limitOutputPixels of at most 500"));
        let bytes = Limits {
            input_bytes: 4097,
            ..lower
        };
        assert!(check_call(&bytes, &ceiling).is_err());
        // No ceiling: anything goes.
        let open = Limits {
            input_pixels: None,
            output_pixels: None,
            input_bytes: u64::MAX,
        };
        assert!(check_call(&disabled, &open).is_ok());
    }
}
