//! `ProcessOptions`: the validated, typed form of the JS options object.
//!
//! Every option is checked before any work starts. A bad option rejects the whole call
//! with `ERR_INVALID_OPTION` and a message naming the option, the value received and
//! what is allowed. Unknown keys are refused too, so a typo (`heigth`) is not silently
//! ignored.

use std::path::PathBuf;

use super::color::parse_colour;
use super::geometry::{Fit, Position, FITS, POSITIONS};
use super::raster::Rgba;
use crate::error::Failure;
use crate::validate::{boolean, finite_number, integer_in_range, invalid, one_of, Received};

/// sharp's default `limitInputPixels`: 0x3FFF * 0x3FFF.
pub const DEFAULT_LIMIT_INPUT_PIXELS: u64 = 268_402_689;
/// The largest width or height a resize may ask for.
pub const MAX_DIMENSION: u64 = 65_535;

/// An output encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Avif,
    Gif,
    Tiff,
    /// Readable only; written as PNG when "same as input" is asked for.
    Bmp,
}

impl Format {
    /// The names users may pass as `format`.
    pub const OUTPUT_NAMES: [&'static str; 7] =
        ["jpeg", "jpg", "png", "webp", "avif", "gif", "tiff"];

    pub fn parse_output(name: &str) -> Option<Self> {
        Some(match name {
            "jpeg" | "jpg" => Self::Jpeg,
            "png" => Self::Png,
            "webp" => Self::Webp,
            "avif" => Self::Avif,
            "gif" => Self::Gif,
            "tiff" => Self::Tiff,
            _ => return None,
        })
    }

    /// The name reported in results (`format`), as sharp spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Avif => "avif",
            Self::Gif => "gif",
            Self::Tiff => "tiff",
            Self::Bmp => "bmp",
        }
    }

    /// The file extension for outputs in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            other => other.name(),
        }
    }

    /// Whether corepool can write this format.
    pub fn is_writable(self) -> bool {
        self != Self::Bmp
    }
}

/// How strictly damaged input is treated, like sharp's `failOn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Decode what can be decoded; truncated data becomes grey or transparent.
    None,
    /// Any decoder warning or error fails the file (the default).
    Warning,
}

/// Every option of `processImages` / `processImage`, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessOptions {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub position: Position,
    pub background: Rgba,
    pub without_enlargement: bool,
    pub without_reduction: bool,
    /// Clockwise, in degrees.
    pub rotation: f64,
    pub auto_orient: bool,
    pub flip: bool,
    pub flop: bool,
    pub grayscale: bool,
    /// `None`: the input's own format (PNG for BMP input).
    pub format: Option<Format>,
    /// 1..=100; `None`: the encoder's default (80 for JPEG, WebP, AVIF).
    pub quality: Option<u8>,
    pub lossless: bool,
    pub output_dir: Option<PathBuf>,
    pub prefix: String,
    pub suffix: String,
    pub overwrite: bool,
    /// Most images in flight at once; `None`: one per pool thread.
    pub concurrency: Option<usize>,
    /// `None`: no limit.
    pub limit_input_pixels: Option<u64>,
    pub fail_on: FailOn,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        Self {
            width: None,
            height: None,
            fit: Fit::Cover,
            position: Position::Centre,
            background: [0, 0, 0, 255],
            without_enlargement: false,
            without_reduction: false,
            rotation: 0.0,
            auto_orient: true,
            flip: false,
            flop: false,
            grayscale: false,
            format: None,
            quality: None,
            lossless: false,
            output_dir: None,
            prefix: "processed_".into(),
            suffix: String::new(),
            overwrite: false,
            concurrency: None,
            limit_input_pixels: Some(DEFAULT_LIMIT_INPUT_PIXELS),
            fail_on: FailOn::Warning,
        }
    }
}

/// The keys `parse` accepts.
pub const KEYS: [&str; 24] = [
    "width",
    "height",
    "fit",
    "position",
    "background",
    "withoutEnlargement",
    "withoutReduction",
    "rotation",
    "rotate",
    "autoOrient",
    "flip",
    "flop",
    "grayscale",
    "greyscale",
    "format",
    "quality",
    "lossless",
    "outputDir",
    "prefix",
    "suffix",
    "overwrite",
    "concurrency",
    "limitInputPixels",
    "failOn",
];

/// A file-name part (`prefix`, `suffix`): no path separators, no NUL, short.
fn name_part(name: &str, received: &Received) -> Result<String, Failure> {
    match received {
        Received::String(s) if s.len() <= 200 && !s.contains(['/', '\\', '\0']) && s != ".." => {
            Ok(s.clone())
        }
        _ => Err(invalid(
            name,
            "string of at most 200 bytes without '/', '\\' or NUL",
            received,
            matches!(received, Received::String(_)),
        )),
    }
}

/// Validates the options object. `None`, `undefined` and `null` give the defaults.
pub fn parse(received: Option<&Received>) -> Result<ProcessOptions, Failure> {
    let mut o = ProcessOptions::default();
    let entries = match received {
        None | Some(Received::Undefined) | Some(Received::Null) => return Ok(o),
        Some(Received::Object(entries)) => entries,
        Some(other) => return Err(invalid("options", "object", other, false)),
    };
    for (key, value) in entries {
        // An explicit `undefined` means "not given", as in sharp.
        if *value == Received::Undefined {
            continue;
        }
        let key = key.as_str();
        let dimension = |v: &Received| integer_in_range(key, v, 1, MAX_DIMENSION).map(|n| n as u32);
        match key {
            "width" => {
                o.width = if *value == Received::Null {
                    None
                } else {
                    Some(dimension(value)?)
                }
            }
            "height" => {
                o.height = if *value == Received::Null {
                    None
                } else {
                    Some(dimension(value)?)
                }
            }
            "fit" => o.fit = Fit::parse(one_of(key, value, FITS)?).unwrap_or(Fit::Cover),
            "position" => {
                o.position =
                    Position::parse(one_of(key, value, POSITIONS)?).unwrap_or(Position::Centre)
            }
            "background" => o.background = parse_colour(key, value)?,
            "withoutEnlargement" => o.without_enlargement = boolean(key, value)?,
            "withoutReduction" => o.without_reduction = boolean(key, value)?,
            "rotation" | "rotate" => o.rotation = finite_number(key, value)?,
            "autoOrient" => o.auto_orient = boolean(key, value)?,
            "flip" => o.flip = boolean(key, value)?,
            "flop" => o.flop = boolean(key, value)?,
            "grayscale" | "greyscale" => o.grayscale = boolean(key, value)?,
            "format" => o.format = Format::parse_output(one_of(key, value, &Format::OUTPUT_NAMES)?),
            "quality" => o.quality = Some(integer_in_range(key, value, 1, 100)? as u8),
            "lossless" => o.lossless = boolean(key, value)?,
            "outputDir" => {
                o.output_dir = Some(match value {
                    Received::String(s) if !s.is_empty() && !s.contains('\0') => PathBuf::from(s),
                    _ => {
                        return Err(invalid(
                            key,
                            "non-empty string (a directory path)",
                            value,
                            matches!(value, Received::String(_)),
                        ))
                    }
                })
            }
            "prefix" => o.prefix = name_part(key, value)?,
            "suffix" => o.suffix = name_part(key, value)?,
            "overwrite" => o.overwrite = boolean(key, value)?,
            "concurrency" => o.concurrency = Some(integer_in_range(key, value, 1, 1024)? as usize),
            "limitInputPixels" => {
                o.limit_input_pixels = match value {
                    Received::Bool(false) => None,
                    Received::Bool(true) => Some(DEFAULT_LIMIT_INPUT_PIXELS),
                    Received::Number(n) if *n == 0.0 => None,
                    _ => Some(integer_in_range(key, value, 0, 1 << 53).map_err(|_| {
                        invalid(
                            key,
                            "boolean or integer between 0 and 9007199254740992",
                            value,
                            false,
                        )
                    })?),
                }
            }
            "failOn" => {
                o.fail_on = match one_of(key, value, &["none", "truncated", "error", "warning"])? {
                    "none" => FailOn::None,
                    _ => FailOn::Warning,
                }
            }
            other => {
                return Err(Failure {
                    class: crate::error::ErrorClass::TypeError,
                    code: crate::error::ErrorCode::InvalidOption,
                    message: format!(
                        "Unknown option '{other}'; expected one of {}",
                        crate::validate::quoted_list(&KEYS)
                    ),
                })
            }
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorClass, ErrorCode};

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
        assert_eq!(o.fit, Fit::Cover);
        assert_eq!(o.prefix, "processed_");
        assert!(o.auto_orient && !o.overwrite);
        assert_eq!(o.limit_input_pixels, Some(DEFAULT_LIMIT_INPUT_PIXELS));
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
            (o.width, o.height, o.fit, o.rotation, o.grayscale),
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
}
