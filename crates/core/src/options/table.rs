//! The one table of options. Each entry holds an option's name, alias, type, default
//! and documentation, and the function that validates and stores its value. The
//! parser, the unknown-key message, the CLI's flags and help, and the test that checks
//! `index.d.ts`'s `ProcessOptions` all read this table, so they cannot drift apart.

use std::path::PathBuf;

use super::colour::parse_colour;
use super::operations;
use super::{
    ProcessOptions, DEFAULT_LIMIT_INPUT_PIXELS, DEFAULT_LIMIT_OUTPUT_PIXELS, MAX_DIMENSION,
};
use crate::codec::{ChromaSubsampling, FailOn, Format, TiffCompression};
use crate::error::Failure;
use crate::ops::Strategy;
#[cfg(test)]
use crate::resample::POSITIONS;
use crate::resample::{Fit, Position, FITS};
use crate::validate::{
    boolean, finite_number, integer_in_range, invalid, number_in_range, one_of, Received,
};

/// What kind of value an option takes; the CLI uses it to read a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true`/`false`; a CLI switch (`--flip`, or `--no-auto-orient` for a default-on one).
    Boolean,
    /// A JS number (integers where the option says so).
    Number,
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// Any other string or value (colours, paths, names).
    Text,
    /// An object, an array, or a boolean or number in their place (the operations:
    /// `extract`, `sharpen`, `composite`...); the CLI reads the flag's value as JSON.
    Json,
}

/// Which calls an option applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `processImages` and `processImage`.
    All,
    /// Only `processImages` (where and how outputs are written).
    Batch,
}

/// One option: its names, its documentation, and how its value is checked.
pub struct OptionSpec {
    /// The camelCase key.
    pub name: &'static str,
    /// Another key for the same option, as sharp accepts (`greyscale`, `rotate`).
    pub alias: Option<&'static str>,
    pub kind: Kind,
    /// The TypeScript type in `index.d.ts`.
    pub ts_type: &'static str,
    /// The default, as the docs state it.
    pub default: &'static str,
    /// One line of documentation (the `index.d.ts` comment and the CLI help).
    pub doc: &'static str,
    pub scope: Scope,
    /// The CLI's long flag when it is not the kebab-case name (`out` for `outputDir`).
    pub cli_flag: Option<&'static str>,
    /// The CLI's one-letter flag, if any.
    pub cli_short: Option<char>,
    /// Validates `value` (given under `key`, the name or the alias) and stores it.
    pub apply: fn(&mut ProcessOptions, &str, &Received) -> Result<(), Failure>,
}

impl std::fmt::Debug for OptionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptionSpec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `width` or `height`: an integer 1..=65535, or `null` for "not given".
fn dimension(key: &str, value: &Received) -> Result<Option<u32>, Failure> {
    if *value == Received::Null {
        return Ok(None);
    }
    integer_in_range(key, value, 1, MAX_DIMENSION).map(|n| Some(n as u32))
}

/// A file-name part (`prefix`, `suffix`): no path separators, no NUL, short.
fn name_part(key: &str, value: &Received) -> Result<String, Failure> {
    match value {
        Received::String(s) if s.len() <= 200 && !s.contains(['/', '\\', '\0']) && s != ".." => {
            Ok(s.clone())
        }
        _ => Err(invalid(
            key,
            "string of at most 200 bytes without '/', '\\' or NUL",
            value,
            matches!(value, Received::String(_)),
        )),
    }
}

/// A pixel limit: a count, `true` for the default, `false` or 0 for none (`None`).
fn pixel_limit(key: &str, value: &Received, default: u64) -> Result<Option<u64>, Failure> {
    Ok(match value {
        Received::Bool(false) => None,
        Received::Bool(true) => Some(default),
        Received::Number(n) if *n == 0.0 => None,
        _ => Some(integer_in_range(key, value, 0, 1 << 53).map_err(|_| {
            invalid(
                key,
                "boolean or integer between 0 and 9007199254740992",
                value,
                false,
            )
        })?),
    })
}

/// `position`'s values: sharp's gravities and aliases ([`POSITIONS`]), then its crop
/// strategies.
const POSITION_CHOICES: &[&str] = &[
    "centre",
    "center",
    "north",
    "northeast",
    "east",
    "southeast",
    "south",
    "southwest",
    "west",
    "northwest",
    "top",
    "right top",
    "right",
    "right bottom",
    "bottom",
    "left bottom",
    "left",
    "left top",
    "entropy",
    "attention",
];

/// A base spec, completed by each entry.
const BASE: OptionSpec = OptionSpec {
    name: "",
    alias: None,
    kind: Kind::Boolean,
    ts_type: "boolean",
    default: "false",
    doc: "",
    scope: Scope::All,
    cli_flag: None,
    cli_short: None,
    apply: |_, _, _| Ok(()),
};

/// Every option of `processImages` and `processImage`, in the order of the docs.
pub static OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "width",
        kind: Kind::Number,
        ts_type: "number",
        default: "none",
        doc: "Target width in pixels (1..=65535). With only one of width/height, the other follows the aspect ratio.",
        cli_short: Some('w'),
        apply: |o, k, v| {
            o.resize.width = dimension(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "height",
        kind: Kind::Number,
        ts_type: "number",
        default: "none",
        doc: "Target height in pixels (1..=65535).",
        cli_short: Some('H'),
        apply: |o, k, v| {
            o.resize.height = dimension(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "fit",
        kind: Kind::Choice(FITS),
        ts_type: "'cover' | 'contain' | 'fill' | 'inside' | 'outside'",
        default: "cover",
        doc: "How the image fits width x height, exactly as in sharp's resize().",
        apply: |o, k, v| {
            o.resize.fit = Fit::parse(one_of(k, v, FITS)?).unwrap_or(Fit::Cover);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "position",
        kind: Kind::Choice(POSITION_CHOICES),
        ts_type: "'centre' | 'center' | 'north' | 'northeast' | 'east' | 'southeast' | 'south' | 'southwest' | 'west' | 'northwest' | 'top' | 'right top' | 'right' | 'right bottom' | 'bottom' | 'left bottom' | 'left' | 'left top' | 'entropy' | 'attention'",
        default: "centre",
        doc: "Crop (cover) or placement (contain) gravity, with sharp's names; for cover also sharp's strategies 'entropy' and 'attention' (the window chosen by content).",
        apply: |o, k, v| {
            let name = one_of(k, v, POSITION_CHOICES)?;
            o.ops.strategy = match name {
                "entropy" => Some(Strategy::Entropy),
                "attention" => Some(Strategy::Attention),
                _ => None,
            };
            o.resize.position = Position::parse(name).unwrap_or(Position::Centre);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "background",
        kind: Kind::Text,
        ts_type: "string | { r?: number; g?: number; b?: number; alpha?: number }",
        default: "black",
        doc: "Fill for contain and for non-right-angle rotation: a CSS colour ('#ffffff', 'rgba(0,0,0,0.5)', 'white') or { r, g, b, alpha }.",
        apply: |o, k, v| {
            o.background = parse_colour(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "withoutEnlargement",
        doc: "Never enlarge an image smaller than width x height.",
        apply: |o, k, v| {
            o.resize.without_enlargement = boolean(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "withoutReduction",
        doc: "Never reduce an image larger than width x height.",
        apply: |o, k, v| {
            o.resize.without_reduction = boolean(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "rotation",
        alias: Some("rotate"),
        kind: Kind::Number,
        ts_type: "number",
        default: "0",
        doc: "Clockwise degrees, applied after the resize (width/height are the size before turning). Right angles are exact; other angles fill with background.",
        cli_flag: Some("rotate"),
        cli_short: Some('r'),
        apply: |o, k, v| {
            o.rotation = finite_number(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "autoOrient",
        default: "true",
        doc: "Apply the EXIF orientation first (the output carries no EXIF unless keepExif or keepMetadata, and then orientation 1).",
        apply: |o, k, v| {
            o.auto_orient = boolean(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "flip",
        doc: "Mirror vertically (top to bottom), after rotation.",
        apply: |o, k, v| {
            o.flip = boolean(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "flop",
        doc: "Mirror horizontally (left to right), after rotation.",
        apply: |o, k, v| {
            o.flop = boolean(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "grayscale",
        alias: Some("greyscale"),
        doc: "Convert to grey: luminance in linear light, as libvips computes it (the last step before encoding).",
        cli_short: Some('g'),
        apply: |o, k, v| {
            o.grayscale = boolean(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "animated",
        doc: "Keep every frame of an animated GIF or WebP (resize, rotation, flip/flop, grayscale, sharpen, blur, flatten and negate apply to each) and write an animated GIF or WebP with the input's delays and loop count; extract, trim, extend, composite and the entropy/attention crops are refused with it. Without it, the first frame.",
        apply: |o, k, v| {
            o.animated = boolean(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "extract",
        kind: Kind::Json,
        ts_type: "{ left: number; top: number; width: number; height: number }",
        default: "none",
        doc: "A region of the auto-oriented input, taken before the resize (sharp's extract before resize). A region outside an image fails that file with ERR_INVALID_OPTION.",
        apply: |o, k, v| {
            o.ops.extract = Some(operations::extract(k, v)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "trim",
        kind: Kind::Json,
        ts_type: "boolean | { background?: string | { r?: number; g?: number; b?: number; alpha?: number }; threshold?: number; lineArt?: boolean; margin?: number }",
        default: "false",
        doc: "Cut off the border matching the top-left pixel (or background) within threshold (default 10), before the resize, as sharp's trim.",
        apply: |o, k, v| {
            o.ops.trim = operations::trim(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "extend",
        kind: Kind::Json,
        ts_type: "number | { top?: number; bottom?: number; left?: number; right?: number; background?: string | { r?: number; g?: number; b?: number; alpha?: number } }",
        default: "none",
        doc: "Pad after the resize by this many pixels on each side (a number: all four), filled with background (default black), as sharp's extend.",
        apply: |o, k, v| {
            o.ops.extend = Some(operations::extend(k, v)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "sharpen",
        kind: Kind::Json,
        ts_type: "boolean | { sigma: number; m1?: number; m2?: number; x1?: number; y2?: number; y3?: number }",
        default: "false",
        doc: "true: sharp's fast mild sharpen; { sigma, ... }: an unsharp mask on the lightness (L*), as sharp's sharpen (sigma 0.000001..=10; m1 1, m2 2, x1 2, y2 10, y3 20).",
        apply: |o, k, v| {
            o.ops.sharpen = operations::sharpen(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "blur",
        kind: Kind::Json,
        ts_type: "boolean | number",
        default: "false",
        doc: "true: sharp's fast mild blur (3x3 box); a number: a Gaussian blur of that sigma (0.3..=1000), as sharp's blur.",
        apply: |o, k, v| {
            o.ops.blur = operations::blur(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "flatten",
        kind: Kind::Json,
        ts_type: "boolean | { background?: string | { r?: number; g?: number; b?: number; alpha?: number } }",
        default: "false",
        doc: "Merge alpha onto background (default black), as sharp's flatten.",
        apply: |o, k, v| {
            o.ops.flatten = operations::flatten(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "negate",
        kind: Kind::Json,
        ts_type: "boolean | { alpha?: boolean }",
        default: "false",
        doc: "The negative image, alpha included unless alpha: false, as sharp's negate (the last step before encoding).",
        apply: |o, k, v| {
            o.ops.negate = operations::negate(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "normalise",
        alias: Some("normalize"),
        kind: Kind::Json,
        ts_type: "boolean | { lower?: number; upper?: number }",
        default: "false",
        doc: "Stretch lightness (L*) so that the lower percentile (default 1) becomes black and the upper (default 99) white, as sharp's normalise (after composite).",
        apply: |o, k, v| {
            o.ops.normalise = operations::normalise(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "modulate",
        kind: Kind::Json,
        ts_type: "{ brightness?: number; saturation?: number; hue?: number; lightness?: number }",
        default: "none",
        doc: "As sharp's modulate, in LCh: lightness times brightness plus lightness, chroma times saturation, hue turned by hue degrees (between blur and sharpen).",
        apply: |o, k, v| {
            o.ops.modulate = operations::modulate(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "composite",
        kind: Kind::Json,
        ts_type: "Array<{ input: Buffer | Uint8Array | string; gravity?: 'centre' | 'center' | 'north' | 'northeast' | 'east' | 'southeast' | 'south' | 'southwest' | 'west' | 'northwest' | 'top' | 'right top' | 'right' | 'right bottom' | 'bottom' | 'left bottom' | 'left' | 'left top'; top?: number; left?: number; blend?: 'over' | 'multiply' | 'screen'; tile?: boolean }>",
        default: "none",
        doc: "Overlays drawn after every other operation, as sharp's composite: each by gravity (default centre) or top and left, blended 'over' (default), 'multiply' or 'screen', or tiled. An overlay larger than the image fails that file with ERR_INVALID_OPTION.",
        apply: |o, k, v| {
            o.ops.composite = operations::composite(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "format",
        kind: Kind::Choice(&Format::OUTPUT_NAMES),
        ts_type: "'jpeg' | 'jpg' | 'png' | 'webp' | 'avif' | 'gif' | 'tiff'",
        default: "the input's (PNG for BMP input)",
        doc: "Output format.",
        cli_short: Some('f'),
        apply: |o, k, v| {
            o.format = Format::parse_output(one_of(k, v, &Format::OUTPUT_NAMES)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "quality",
        kind: Kind::Number,
        ts_type: "number",
        default: "80 (AVIF 50)",
        doc: "Encoder quality 1..=100 for JPEG, WebP and AVIF; for palette PNG, the share of colours the palette may use (with format 'png' it implies palette, as in sharp).",
        cli_short: Some('q'),
        apply: |o, k, v| {
            o.encoder.quality = Some(integer_in_range(k, v, 1, 100)? as u8);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "lossless",
        doc: "Lossless WebP.",
        apply: |o, k, v| {
            o.encoder.lossless = Some(boolean(k, v)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "progressive",
        doc: "Progressive (multi-scan) JPEG.",
        apply: |o, k, v| {
            o.encoder.progressive = Some(boolean(k, v)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "chromaSubsampling",
        kind: Kind::Choice(&ChromaSubsampling::NAMES),
        ts_type: "'4:2:0' | '4:4:4'",
        default: "'4:2:0' (AVIF '4:4:4')",
        doc: "Chroma subsampling of JPEG output: '4:4:4' keeps full-resolution colour; AVIF output is always '4:4:4'.",
        apply: |o, k, v| {
            o.encoder.chroma_subsampling =
                ChromaSubsampling::parse(one_of(k, v, &ChromaSubsampling::NAMES)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "mozjpeg",
        doc: "JPEG with MozJPEG's settings, as sharp's mozjpeg: trellis quantisation, overshoot deringing, optimised progressive scans, quantisation table 3 (smaller, slower; baseline with progressive: false).",
        apply: |o, k, v| {
            o.encoder.mozjpeg = Some(boolean(k, v)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "compressionLevel",
        kind: Kind::Number,
        ts_type: "number",
        default: "6",
        doc: "PNG zlib compression level 0..=9 (0: none, 9: smallest and slowest).",
        apply: |o, k, v| {
            o.encoder.compression_level = Some(integer_in_range(k, v, 0, 9)? as u8);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "palette",
        doc: "Palette (indexed) PNG, quantised to colours entries with dither; implied by colours or dither, as in sharp.",
        apply: |o, k, v| {
            o.encoder.palette = Some(boolean(k, v)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "colours",
        alias: Some("colors"),
        kind: Kind::Number,
        ts_type: "number",
        default: "256",
        doc: "Most palette entries, 2..=256, for palette PNG and GIF.",
        apply: |o, k, v| {
            o.encoder.colours = Some(integer_in_range(k, v, 2, 256)? as u16);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "dither",
        kind: Kind::Number,
        ts_type: "number",
        default: "1",
        doc: "Floyd-Steinberg dithering strength 0..=1 for palette PNG and GIF (0: none).",
        apply: |o, k, v| {
            let n = finite_number(k, v)?;
            if !(0.0..=1.0).contains(&n) {
                return Err(invalid(k, "number between 0 and 1", v, true));
            }
            o.encoder.dither = Some(n);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "effort",
        kind: Kind::Number,
        ts_type: "number",
        default: "4",
        doc: "CPU effort for WebP (0..=6, libwebp's method) and AVIF (0..=9); higher is smaller and slower.",
        apply: |o, k, v| {
            o.encoder.effort = Some(integer_in_range(k, v, 0, 9)? as u8);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "nearLossless",
        doc: "Near-lossless WebP: lossless coding of pixels preprocessed to quality.",
        apply: |o, k, v| {
            o.encoder.near_lossless = Some(boolean(k, v)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "alphaQuality",
        kind: Kind::Number,
        ts_type: "number",
        default: "100",
        doc: "Quality 0..=100 of lossy WebP's alpha channel.",
        apply: |o, k, v| {
            o.encoder.alpha_quality = Some(integer_in_range(k, v, 0, 100)? as u8);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "compression",
        kind: Kind::Choice(&TiffCompression::NAMES),
        ts_type: "'none' | 'lzw' | 'deflate' | 'packbits'",
        default: "'deflate'",
        doc: "TIFF compression, all lossless (sharp's default JPEG-in-TIFF is not available); LZW and Deflate use the horizontal predictor.",
        apply: |o, k, v| {
            o.encoder.compression = TiffCompression::parse(one_of(k, v, &TiffCompression::NAMES)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "keepMetadata",
        doc: "Keep the input's EXIF (orientation reset to 1 after autoOrient), ICC profile (the pixels then stay in that profile, not converted to sRGB) and XMP, in JPEG, PNG and WebP output.",
        apply: |o, k, v| {
            o.encoder.keep_metadata = Some(boolean(k, v)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "keepExif",
        doc: "Keep the input's EXIF (orientation reset to 1 after autoOrient) in JPEG, PNG and WebP output.",
        apply: |o, k, v| {
            o.encoder.keep_exif = Some(boolean(k, v)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "keepIccProfile",
        doc: "Keep the input's ICC profile in JPEG, PNG and WebP output; the pixels stay in that profile (not converted to sRGB), as in sharp.",
        apply: |o, k, v| {
            o.encoder.keep_icc_profile = Some(boolean(k, v)?);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "outputDir",
        kind: Kind::Text,
        ts_type: "string",
        default: "beside each input",
        doc: "Folder for the outputs (it must exist; the CLI creates it).",
        scope: Scope::Batch,
        cli_flag: Some("out"),
        cli_short: Some('o'),
        apply: |o, k, v| {
            o.output_dir = Some(match v {
                Received::String(s) if !s.is_empty() && !s.contains('\0') => PathBuf::from(s),
                _ => {
                    return Err(invalid(
                        k,
                        "non-empty string (a directory path)",
                        v,
                        matches!(v, Received::String(_)),
                    ))
                }
            });
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "prefix",
        kind: Kind::Text,
        ts_type: "string",
        default: "'processed_'",
        doc: "Output file-name prefix: prefix + name + suffix + extension.",
        scope: Scope::Batch,
        apply: |o, k, v| {
            o.prefix = name_part(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "suffix",
        kind: Kind::Text,
        ts_type: "string",
        default: "''",
        doc: "Output file-name suffix, before the extension.",
        scope: Scope::Batch,
        apply: |o, k, v| {
            o.suffix = name_part(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "overwrite",
        doc: "Replace existing outputs; without it an existing output fails that file with ERR_OUTPUT_EXISTS and is left untouched.",
        scope: Scope::Batch,
        apply: |o, k, v| {
            o.overwrite = boolean(k, v)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "concurrency",
        kind: Kind::Number,
        ts_type: "number",
        default: "one per thread",
        doc: "Most images in flight at once, 1..=1024 (bounds peak memory).",
        scope: Scope::Batch,
        cli_short: Some('c'),
        apply: |o, k, v| {
            o.concurrency = Some(integer_in_range(k, v, 1, 1024)? as usize);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "limitInputPixels",
        kind: Kind::Number,
        ts_type: "number | boolean",
        default: "268402689",
        doc: "Refuse inputs with more pixels, checked on the header before decoding; false or 0 for no limit (never above a limit set by setLimits()).",
        apply: |o, k, v| {
            o.limit_input_pixels = pixel_limit(k, v, DEFAULT_LIMIT_INPUT_PIXELS)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "limitOutputPixels",
        kind: Kind::Number,
        ts_type: "number | boolean",
        default: "268402689",
        doc: "Refuse outputs with more pixels, checked on the planned size before any pixel memory is allocated; false or 0 for no limit (never above a limit set by setLimits()).",
        apply: |o, k, v| {
            o.limit_output_pixels = pixel_limit(k, v, DEFAULT_LIMIT_OUTPUT_PIXELS)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "limitInputBytes",
        kind: Kind::Number,
        ts_type: "number",
        default: "268435456 (256 MiB)",
        doc: "Refuse inputs (files, buffers, streams) of more bytes, checked before reading them (never above a limit set by setLimits()).",
        apply: |o, k, v| {
            o.limit_input_bytes = integer_in_range(k, v, 1, 1 << 53)?;
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "failOn",
        kind: Kind::Choice(&FailOn::NAMES),
        ts_type: "'none' | 'truncated' | 'error' | 'warning'",
        default: "warning",
        doc: "How strictly damaged input fails, as in sharp: 'none' decodes what it can, 'truncated' fails on truncated data, 'error' also on decoder errors, 'warning' also on decoder warnings (per format: see the README).",
        apply: |o, k, v| {
            o.fail_on = FailOn::parse(one_of(k, v, &FailOn::NAMES)?).unwrap_or(FailOn::Warning);
            Ok(())
        },
        ..BASE
    },
    OptionSpec {
        name: "density",
        kind: Kind::Number,
        ts_type: "number",
        default: "72",
        doc: "Dots per inch that SVG input is drawn at, 1 to 100000, as sharp's density: the size scales by density / 72 (and lengths in physical units, such as mm, by its square, as in sharp).",
        apply: |o, k, v| {
            o.density = number_in_range(k, v, 1.0, 100_000.0)?;
            Ok(())
        },
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_choices_are_the_gravities_then_the_strategies() {
        assert_eq!(&POSITION_CHOICES[..POSITIONS.len()], POSITIONS);
        assert_eq!(
            &POSITION_CHOICES[POSITIONS.len()..],
            ["entropy", "attention"]
        );
    }
}
