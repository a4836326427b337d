//! `ProcessOptions`: the validated, typed form of the JS options object.
//!
//! Every option is checked before any work starts. A bad option rejects the whole call
//! with `ERR_INVALID_OPTION` and a message naming the option, the value received and
//! what is allowed. Unknown keys are refused too, so a typo (`heigth`) is not silently
//! ignored. The options themselves are listed once, in [`OPTIONS`] (`table`): parsing,
//! the unknown-key message, the CLI help and the check of `index.d.ts` all come from it.

mod colour;
mod encoder;
mod operations;
mod table;

use std::path::PathBuf;

pub use encoder::EncoderOptions;
pub use table::{Kind, OptionSpec, Scope, OPTIONS};

use crate::codec::{EncodeSettings, FailOn, Format};
use crate::error::{ErrorClass, ErrorCode, Failure};
use crate::limits::{self, Limits};
use crate::ops::Operations;
use crate::raster::Rgba;
use crate::resample::ResizeRequest;
use crate::validate::{quoted_list, Received};

pub use crate::limits::{DEFAULT_LIMIT_INPUT_PIXELS, DEFAULT_LIMIT_OUTPUT_PIXELS};
/// The largest width or height a resize may ask for.
pub const MAX_DIMENSION: u64 = 65_535;

/// Every option of `processImages` / `processImage`, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessOptions {
    /// `width`, `height`, `fit`, `position`, `withoutEnlargement`, `withoutReduction`.
    pub resize: ResizeRequest,
    pub background: Rgba,
    /// Clockwise, in degrees.
    pub rotation: f64,
    pub auto_orient: bool,
    pub flip: bool,
    pub flop: bool,
    pub grayscale: bool,
    /// Keep every frame of an animated GIF or WebP (sharp's `animated`).
    pub animated: bool,
    /// `None`: the input's own format (PNG for BMP input).
    pub format: Option<Format>,
    /// `quality`, `lossless`, `progressive`, `compressionLevel`, `palette`, ...: the
    /// encoder options as given (see `encoder` for which formats each applies to).
    pub encoder: EncoderOptions,
    pub output_dir: Option<PathBuf>,
    pub prefix: String,
    pub suffix: String,
    pub overwrite: bool,
    /// Most images in flight at once; `None`: one per pool thread.
    pub concurrency: Option<usize>,
    /// `None`: no limit.
    pub limit_input_pixels: Option<u64>,
    /// The most pixels an output may have, checked on the planned size before any
    /// pixel memory is allocated; `None`: no limit.
    pub limit_output_pixels: Option<u64>,
    /// The most bytes an input may have (files, buffers, streams).
    pub limit_input_bytes: u64,
    pub fail_on: FailOn,
    /// The dots per inch vector input (SVG) is drawn at, as sharp's `density`.
    pub density: f64,
    /// `extract`, `trim`, `extend`, `sharpen`, `blur`, `flatten`, `negate`, `composite`.
    pub ops: Operations,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        Self {
            resize: ResizeRequest::default(),
            background: [0, 0, 0, 255],
            rotation: 0.0,
            auto_orient: true,
            flip: false,
            flop: false,
            grayscale: false,
            animated: false,
            format: None,
            encoder: EncoderOptions::default(),
            output_dir: None,
            prefix: "processed_".into(),
            suffix: String::new(),
            overwrite: false,
            concurrency: None,
            limit_input_pixels: Some(DEFAULT_LIMIT_INPUT_PIXELS),
            limit_output_pixels: Some(DEFAULT_LIMIT_OUTPUT_PIXELS),
            limit_input_bytes: crate::limits::DEFAULT_LIMIT_INPUT_BYTES,
            fail_on: FailOn::Warning,
            density: crate::codec::DEFAULT_DENSITY,
            ops: Operations::default(),
        }
    }
}

impl ProcessOptions {
    /// The resize asked for, if any (a width or a height was given).
    pub fn resize_request(&self) -> Option<&ResizeRequest> {
        (self.resize.width.is_some() || self.resize.height.is_some()).then_some(&self.resize)
    }

    /// The format written for an input in `input_format`.
    pub fn output_format(&self, input_format: Format) -> Format {
        self.format.unwrap_or_else(|| input_format.same_or_png())
    }

    /// The defaults, running under `limits`.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            limit_input_pixels: limits.input_pixels,
            limit_output_pixels: limits.output_pixels,
            limit_input_bytes: limits.input_bytes,
            ..Self::default()
        }
    }

    /// The limits this call runs under.
    pub fn limits(&self) -> Limits {
        Limits {
            input_pixels: self.limit_input_pixels,
            output_pixels: self.limit_output_pixels,
            input_bytes: self.limit_input_bytes,
        }
    }

    /// What the encoder needs to know for an output in `format`: the encoder options
    /// that apply to it, with sharp's defaults for the others.
    pub fn encode_settings(&self, format: Format) -> EncodeSettings {
        encoder::settings(self, format)
    }
}

/// The option `key` names, by its name or its alias.
pub fn lookup(key: &str) -> Option<&'static OptionSpec> {
    OPTIONS
        .iter()
        .find(|spec| spec.name == key || spec.alias == Some(key))
}

/// An `ERR_INVALID_OPTION` type error with `message`.
fn refused(message: String) -> Failure {
    Failure {
        class: ErrorClass::TypeError,
        code: ErrorCode::InvalidOption,
        message,
    }
}

/// A key as messages show it: at most 64 characters (a client may send a huge one).
fn shortened(key: &str) -> String {
    let shown: String = key.chars().take(64).collect();
    if shown.len() < key.len() {
        format!("{shown}...")
    } else {
        shown
    }
}

/// Every key `parse` accepts: names and aliases, in table order.
pub fn keys() -> impl Iterator<Item = &'static str> {
    OPTIONS
        .iter()
        .flat_map(|spec| std::iter::once(spec.name).chain(spec.alias))
}

/// Validates the options object. `None`, `undefined` and `null` give the defaults.
/// The limits start from the process-wide ones ([`crate::limits`]); once the host has
/// set those, options may lower them but never raise or disable them.
pub fn parse(received: Option<&Received>) -> Result<ProcessOptions, Failure> {
    parse_within(received, limits::current(), limits::enforced())
}

/// [`parse`] from the limits `start`, which are ceilings when `enforced`.
fn parse_within(
    received: Option<&Received>,
    start: Limits,
    enforced: bool,
) -> Result<ProcessOptions, Failure> {
    let mut o = ProcessOptions::with_limits(start);
    let entries = match received {
        None | Some(Received::Undefined) | Some(Received::Null) => return Ok(o),
        Some(Received::Object(entries)) => entries,
        Some(other) => return Err(crate::validate::invalid("options", "object", other, false)),
    };
    let mut given: Vec<(&str, &str)> = Vec::new();
    for (key, value) in entries {
        // An explicit `undefined` means "not given", as in sharp.
        if *value == Received::Undefined {
            continue;
        }
        let Some(spec) = lookup(key) else {
            let known: Vec<&str> = keys().collect();
            return Err(refused(format!(
                "Unknown option '{}'; expected one of {}",
                shortened(key),
                quoted_list(&known)
            )));
        };
        // An option and its alias together: which one wins would be a guess.
        if let Some((other, _)) = given.iter().find(|(_, name)| *name == spec.name) {
            return Err(refused(format!(
                "Options '{other}' and '{key}' are the same option; give only one of them"
            )));
        }
        given.push((key, spec.name));
        (spec.apply)(&mut o, key, value)?;
    }
    operations::check(&o)?;
    encoder::check(&o)?;
    if enforced {
        limits::check_call(&o.limits(), &start)?;
    }
    Ok(o)
}

/// The keys `setLimits` takes: the limit options of the table.
pub const LIMIT_KEYS: [&str; 3] = ["limitInputPixels", "limitOutputPixels", "limitInputBytes"];

/// Validates the object given to `setLimits`: the limit options, with the values and
/// messages of the per-call options. Keys left out keep their current value.
pub fn parse_limits(received: &Received) -> Result<Limits, Failure> {
    let Received::Object(entries) = received else {
        return Err(crate::validate::invalid(
            "limits", "object", received, false,
        ));
    };
    let mut o = ProcessOptions::with_limits(limits::current());
    for (key, value) in entries {
        if *value == Received::Undefined {
            continue;
        }
        let spec = lookup(key)
            .filter(|spec| LIMIT_KEYS.contains(&spec.name))
            .ok_or_else(|| {
                refused(format!(
                    "Unknown limit '{}'; expected one of {}",
                    shortened(key),
                    quoted_list(&LIMIT_KEYS)
                ))
            })?;
        (spec.apply)(&mut o, key, value)?;
    }
    Ok(o.limits())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resample::Fit;

    fn obj(entries: &[(&str, Received)]) -> Received {
        Received::Object(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn reject(entries: &[(&str, Received)]) -> Failure {
        parse(Some(&obj(entries))).expect_err("must reject")
    }

    #[test]
    fn defaults() {
        let o = parse(None).expect("defaults");
        assert_eq!(o.resize.fit, Fit::Cover);
        assert_eq!(o.prefix, "processed_");
        assert!(o.auto_orient && !o.overwrite);
        assert_eq!(o.limit_input_pixels, Some(DEFAULT_LIMIT_INPUT_PIXELS));
        assert!(o.resize_request().is_none());
    }

    #[test]
    fn the_users_options() {
        let o = parse(Some(&obj(&[
            ("width", Received::Number(800.0)),
            ("height", Received::Number(600.0)),
            ("rotation", Received::Number(90.0)),
            ("grayscale", Received::Bool(true)),
            ("fit", Received::String("contain".into())),
        ])))
        .expect("valid");
        assert_eq!(
            (
                o.resize.width,
                o.resize.height,
                o.resize.fit,
                o.rotation,
                o.grayscale
            ),
            (Some(800), Some(600), Fit::Contain, 90.0, true)
        );
    }

    #[test]
    fn bad_values_name_the_option_and_value() {
        let cases: Vec<(&str, Received, ErrorClass, &str)> = vec![
            ("width", Received::Number(-1.0), ErrorClass::RangeError, "for width but received -1 of type number"),
            ("width", Received::Number(f64::NAN), ErrorClass::RangeError, "received NaN"),
            ("width", Received::Number(f64::INFINITY), ErrorClass::RangeError, "received Infinity"),
            ("width", Received::Number(1e12), ErrorClass::RangeError, "received 1000000000000"),
            ("width", Received::String("800".into()), ErrorClass::TypeError, "received '800' of type string"),
            ("height", Received::Other("array"), ErrorClass::TypeError, "a value of type array"),
            ("fit", Received::String("stretch".into()), ErrorClass::RangeError, "one of 'cover', 'contain', 'fill', 'inside', 'outside' for fit but received 'stretch'"),
            ("rotation", Received::String("x".into()), ErrorClass::TypeError, "for rotation but received 'x' of type string"),
            ("quality", Received::Number(0.0), ErrorClass::RangeError, "integer between 1 and 100 for quality but received 0"),
            ("format", Received::String("bmp2".into()), ErrorClass::RangeError, "for format but received 'bmp2'"),
            ("prefix", Received::String("../x".into()), ErrorClass::RangeError, "for prefix"),
            ("overwrite", Received::String("yes".into()), ErrorClass::TypeError, "boolean for overwrite"),
            ("background", Received::String("nope".into()), ErrorClass::RangeError, "for background"),
        ];
        for (key, value, class, fragment) in cases {
            let err = reject(&[(key, value.clone())]);
            assert_eq!(err.code, ErrorCode::InvalidOption);
            assert_eq!(err.class, class, "{key}: {value:?}: {}", err.message);
            assert!(err.message.contains(fragment), "{key}: {}", err.message);
        }
    }

    #[test]
    fn unknown_keys_and_non_objects_are_refused() {
        let err = reject(&[("heigth", Received::Number(1.0))]);
        assert!(
            err.message.contains("Unknown option 'heigth'"),
            "{}",
            err.message
        );
        let err = parse(Some(&Received::String("800x600".into()))).expect_err("not an object");
        assert_eq!(err.class, ErrorClass::TypeError);
    }

    #[test]
    fn huge_unknown_keys_are_shortened_and_aliases_together_are_refused() {
        let huge = "x".repeat(1 << 20);
        let err = reject(&[(huge.as_str(), Received::Number(1.0))]);
        assert!(err.message.len() < 2000, "{} bytes", err.message.len());
        assert!(err.message.contains(&format!("'{}...'", "x".repeat(64))));
        let err = reject(&[
            ("grayscale", Received::Bool(true)),
            ("greyscale", Received::Bool(false)),
        ]);
        assert_eq!(err.class, ErrorClass::TypeError);
        assert!(
            err.message.contains("'grayscale' and 'greyscale'"),
            "{}",
            err.message
        );
        let err = reject(&[
            ("rotate", Received::Number(90.0)),
            ("rotation", Received::Number(90.0)),
        ]);
        assert!(err.message.contains("same option"), "{}", err.message);
    }

    #[test]
    fn every_key_of_the_table_is_accepted_and_names_are_unique() {
        let all: Vec<&str> = keys().collect();
        let mut unique = all.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "duplicate option names: {all:?}");
        for key in all {
            let spec = lookup(key).expect("listed");
            assert!(!spec.doc.is_empty() && !spec.ts_type.is_empty(), "{key}");
            // `undefined` is "not given" for every key.
            parse(Some(&obj(&[(key, Received::Undefined)]))).expect(key);
        }
    }

    #[test]
    fn host_limits_are_defaults_and_ceilings_once_enforced() {
        let host = Limits {
            input_pixels: Some(1_000_000),
            output_pixels: Some(250_000),
            input_bytes: 1 << 20,
        };
        let o = parse_within(None, host, true).expect("defaults");
        assert_eq!(o.limits(), host);
        let lowered = obj(&[("limitOutputPixels", Received::Number(100.0))]);
        let o = parse_within(Some(&lowered), host, true).expect("lowered");
        assert_eq!(o.limit_output_pixels, Some(100));
        for (key, value) in [
            ("limitInputPixels", Received::Bool(false)),
            ("limitInputPixels", Received::Number(0.0)),
            ("limitOutputPixels", Received::Number(250_001.0)),
            ("limitInputBytes", Received::Number(f64::from(1u32 << 21))),
        ] {
            let err = parse_within(Some(&obj(&[(key, value.clone())])), host, true)
                .expect_err("looser than the host");
            assert_eq!(err.code, ErrorCode::InvalidOption);
            assert!(err.message.contains(key), "{}", err.message);
            // Not enforced: the same options are taken as they are.
            parse_within(Some(&obj(&[(key, value)])), host, false).expect("free");
        }
    }

    #[test]
    fn set_limits_takes_only_limit_keys_with_the_option_checks() {
        let limits = parse_limits(&obj(&[
            ("limitInputPixels", Received::Number(1000.0)),
            ("limitOutputPixels", Received::Bool(false)),
        ]))
        .expect("valid");
        assert_eq!(limits.input_pixels, Some(1000));
        assert_eq!(limits.output_pixels, None);
        let err = parse_limits(&obj(&[("width", Received::Number(1.0))])).expect_err("not a limit");
        assert!(
            err.message.starts_with("Unknown limit 'width'"),
            "{}",
            err.message
        );
        let err = parse_limits(&obj(&[("limitInputBytes", Received::Number(-1.0))]))
            .expect_err("negative");
        assert!(err.message.contains("limitInputBytes"), "{}", err.message);
        assert!(parse_limits(&Received::Number(1.0)).is_err());
    }
}
