//! The options object as JS sees it: its TypeScript declaration, and `optionTable()`,
//! the table of options for tools (the CLI builds its flags and help from it).

use corepool_core::options::{Kind, Scope, OPTIONS};
use napi::bindgen_prelude::*;

/// The options of `processImages` and `processImage`, for TypeScript only: at run time
/// the options object is validated against `corepool_core::OPTIONS`, the one table of
/// options. `__test__/options.test.mjs` checks that the keys here (in `binding.d.ts`) are
/// exactly that table's.
///
/// The order of operations is fixed, whatever the order of keys: autoOrient, extract,
/// trim, resize, extend, rotation, flip/flop, blur, modulate, sharpen, flatten,
/// grayscale, composite, normalise, negate, encode.
#[allow(dead_code)]
#[napi(object, object_to_js = false, js_name = "ProcessOptions")]
pub struct ProcessOptionsJs {
    /// Target width in pixels (1..=65535). With only one of width/height, the other
    /// follows the aspect ratio.
    pub width: Option<u32>,
    /// Target height in pixels (1..=65535).
    pub height: Option<u32>,
    /// How the image fits width x height, as in sharp. Default 'cover'.
    #[napi(ts_type = "'cover' | 'contain' | 'fill' | 'inside' | 'outside'")]
    pub fit: Option<String>,
    /// Crop (cover) or placement (contain) gravity. Default 'centre'. For cover also
    /// sharp's strategies 'entropy' and 'attention'.
    #[napi(
        ts_type = "'centre' | 'center' | 'north' | 'northeast' | 'east' | 'southeast' | 'south' | 'southwest' | 'west' | 'northwest' | 'top' | 'right top' | 'right' | 'right bottom' | 'bottom' | 'left bottom' | 'left' | 'left top' | 'entropy' | 'attention'"
    )]
    pub position: Option<String>,
    /// Fill for contain and for non-right-angle rotation: a CSS colour or
    /// `{ r, g, b, alpha }`. Default black.
    #[napi(ts_type = "string | { r?: number; g?: number; b?: number; alpha?: number }")]
    pub background: Option<Unknown<'static>>,
    /// Never enlarge. Default false.
    pub without_enlargement: Option<bool>,
    /// Never reduce. Default false.
    pub without_reduction: Option<bool>,
    /// Clockwise degrees, applied after the resize. Default 0.
    pub rotation: Option<f64>,
    /// Alias of `rotation`.
    pub rotate: Option<f64>,
    /// Apply the EXIF orientation first. Default true.
    pub auto_orient: Option<bool>,
    /// Mirror vertically (after rotation).
    pub flip: Option<bool>,
    /// Mirror horizontally (after rotation).
    pub flop: Option<bool>,
    /// Convert to grey (last step before encoding).
    pub grayscale: Option<bool>,
    /// Alias of `grayscale`.
    pub greyscale: Option<bool>,
    /// Keep every frame of an animated GIF or WebP and write an animated GIF or WebP
    /// (delays and loop count kept). Default false: the first frame.
    pub animated: Option<bool>,
    /// A region of the auto-oriented input, taken before the resize (sharp's `extract`
    /// before `resize`). A region outside an image fails that file with ERR_INVALID_OPTION.
    #[napi(ts_type = "{ left: number; top: number; width: number; height: number }")]
    pub extract: Option<Unknown<'static>>,
    /// Cut off the border matching the top-left pixel (or `background`) within
    /// `threshold` (default 10), before the resize, as sharp's `trim`.
    #[napi(
        ts_type = "boolean | { background?: string | { r?: number; g?: number; b?: number; alpha?: number }; threshold?: number; lineArt?: boolean; margin?: number }"
    )]
    pub trim: Option<Unknown<'static>>,
    /// Pad after the resize (a number: all four sides), filled with `background`
    /// (default black), as sharp's `extend`.
    #[napi(
        ts_type = "number | { top?: number; bottom?: number; left?: number; right?: number; background?: string | { r?: number; g?: number; b?: number; alpha?: number } }"
    )]
    pub extend: Option<Unknown<'static>>,
    /// `true`: sharp's fast mild sharpen; `{ sigma, ... }`: an unsharp mask on the
    /// lightness (L*), as sharp's `sharpen`.
    #[napi(
        ts_type = "boolean | { sigma: number; m1?: number; m2?: number; x1?: number; y2?: number; y3?: number }"
    )]
    pub sharpen: Option<Unknown<'static>>,
    /// `true`: sharp's fast mild blur; a number: a Gaussian blur of that sigma
    /// (0.3..=1000), as sharp's `blur`.
    #[napi(ts_type = "boolean | number")]
    pub blur: Option<Unknown<'static>>,
    /// Merge alpha onto `background` (default black), as sharp's `flatten`.
    #[napi(
        ts_type = "boolean | { background?: string | { r?: number; g?: number; b?: number; alpha?: number } }"
    )]
    pub flatten: Option<Unknown<'static>>,
    /// The negative image (alpha too unless `alpha: false`), as sharp's `negate`.
    #[napi(ts_type = "boolean | { alpha?: boolean }")]
    pub negate: Option<Unknown<'static>>,
    /// Stretch lightness between two percentiles (default 1 and 99) to the full range,
    /// as sharp's `normalise`.
    #[napi(ts_type = "boolean | { lower?: number; upper?: number }")]
    pub normalise: Option<Unknown<'static>>,
    /// Alias of `normalise`.
    #[napi(ts_type = "boolean | { lower?: number; upper?: number }")]
    pub normalize: Option<Unknown<'static>>,
    /// Brightness and lightness, saturation and hue in LCh, as sharp's `modulate`.
    #[napi(
        ts_type = "{ brightness?: number; saturation?: number; hue?: number; lightness?: number }"
    )]
    pub modulate: Option<Unknown<'static>>,
    /// Overlays drawn after every other operation, as sharp's `composite`.
    #[napi(
        ts_type = "Array<{ input: Buffer | Uint8Array | string; gravity?: 'centre' | 'center' | 'north' | 'northeast' | 'east' | 'southeast' | 'south' | 'southwest' | 'west' | 'northwest' | 'top' | 'right top' | 'right' | 'right bottom' | 'bottom' | 'left bottom' | 'left' | 'left top'; top?: number; left?: number; blend?: 'over' | 'multiply' | 'screen'; tile?: boolean }>"
    )]
    pub composite: Option<Unknown<'static>>,
    /// Output format. Default: the input's (PNG for BMP input).
    #[napi(ts_type = "'jpeg' | 'jpg' | 'png' | 'webp' | 'avif' | 'gif' | 'tiff'")]
    pub format: Option<String>,
    /// Encoder quality 1..=100 for JPEG, WebP and AVIF. Default 80 (AVIF 50). For
    /// palette PNG, the share of `colours` the palette may use (with `format: 'png'`
    /// it implies `palette`, as in sharp).
    pub quality: Option<u32>,
    /// Lossless WebP.
    pub lossless: Option<bool>,
    /// Progressive (multi-scan) JPEG. Default false.
    pub progressive: Option<bool>,
    /// Chroma subsampling of JPEG output. Default '4:2:0' (AVIF is always '4:4:4').
    #[napi(ts_type = "'4:2:0' | '4:4:4'")]
    pub chroma_subsampling: Option<String>,
    /// JPEG with MozJPEG's settings, as sharp's `mozjpeg`: trellis quantisation,
    /// overshoot deringing, optimised progressive scans, quantisation table 3.
    pub mozjpeg: Option<bool>,
    /// PNG zlib compression level 0..=9. Default 6.
    pub compression_level: Option<u32>,
    /// Palette (indexed) PNG; implied by `colours` or `dither`, as in sharp.
    pub palette: Option<bool>,
    /// Most palette entries, 2..=256, for palette PNG and GIF. Default 256.
    pub colours: Option<u32>,
    /// Alias of `colours`.
    pub colors: Option<u32>,
    /// Floyd-Steinberg dithering strength 0..=1 for palette PNG and GIF. Default 1.
    pub dither: Option<f64>,
    /// CPU effort for WebP (0..=6) and AVIF (0..=9). Default 4.
    pub effort: Option<u32>,
    /// Near-lossless WebP.
    pub near_lossless: Option<bool>,
    /// Quality 0..=100 of lossy WebP's alpha channel. Default 100.
    pub alpha_quality: Option<u32>,
    /// TIFF compression, all lossless. Default 'deflate' (sharp's default JPEG-in-TIFF
    /// is not available).
    #[napi(ts_type = "'none' | 'lzw' | 'deflate' | 'packbits'")]
    pub compression: Option<String>,
    /// Keep the input's EXIF (orientation reset to 1 after autoOrient), ICC profile
    /// (pixels stay in it) and XMP, in JPEG, PNG and WebP output. Default false.
    pub keep_metadata: Option<bool>,
    /// Keep the input's EXIF (orientation reset to 1 after autoOrient).
    pub keep_exif: Option<bool>,
    /// Keep the input's ICC profile; the pixels stay in it (not converted to sRGB).
    pub keep_icc_profile: Option<bool>,
    /// Folder for outputs (processImages). Default: beside each input.
    pub output_dir: Option<String>,
    /// Output name prefix (processImages). Default 'processed_'.
    pub prefix: Option<String>,
    /// Output name suffix, before the extension (processImages). Default ''.
    pub suffix: Option<String>,
    /// Replace existing outputs (processImages). Default false: ERR_OUTPUT_EXISTS.
    pub overwrite: Option<bool>,
    /// Most images in flight at once (processImages). Default: one per thread.
    pub concurrency: Option<u32>,
    /// Refuse inputs with more pixels; false or 0 for no limit. Default 268402689.
    #[napi(ts_type = "number | boolean")]
    pub limit_input_pixels: Option<Unknown<'static>>,
    /// Refuse outputs with more pixels, checked on the planned size before any pixel
    /// memory is allocated; false or 0 for no limit. Default 268402689.
    #[napi(ts_type = "number | boolean")]
    pub limit_output_pixels: Option<Unknown<'static>>,
    /// Refuse inputs (files, buffers, streams) of more bytes. Default 268435456 (256 MiB).
    pub limit_input_bytes: Option<f64>,
    /// How strictly damaged input fails, as in sharp: 'none', 'truncated', 'error' or
    /// 'warning' (the default); see the README for what each level means per format.
    #[napi(ts_type = "'none' | 'truncated' | 'error' | 'warning'")]
    pub fail_on: Option<String>,
    /// Dots per inch that SVG input is drawn at (1 to 100000), as sharp's density: the
    /// size scales by density / 72. Default 72.
    pub density: Option<f64>,
}

/// One option of `processImages` / `processImage`, as `optionTable()` lists it.
#[napi(object)]
pub struct OptionInfo {
    /// The camelCase key.
    pub name: String,
    /// Another accepted key for the same option.
    pub alias: Option<String>,
    /// 'boolean', 'number', 'choice', 'text' or 'json' (an object or array; the CLI
    /// reads the flag's value as JSON).
    pub kind: String,
    /// The allowed values of a 'choice'.
    pub choices: Option<Vec<String>>,
    /// The TypeScript type.
    pub ts_type: String,
    /// The default, as the docs state it.
    pub default: String,
    pub doc: String,
    /// Whether it applies to `processImages` only (output placement).
    pub batch_only: bool,
    /// The CLI's long flag, without dashes.
    pub cli_flag: String,
    /// The CLI's one-letter flag.
    pub cli_short: Option<String>,
}

/// kebab-case of a camelCase name: `withoutEnlargement` to `without-enlargement`.
fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Every option, in the order of the docs, from the table the validation uses.
#[napi]
pub fn option_table() -> Vec<OptionInfo> {
    OPTIONS
        .iter()
        .map(|spec| {
            let (kind, choices) = match spec.kind {
                Kind::Boolean => ("boolean", None),
                Kind::Number => ("number", None),
                Kind::Choice(values) => (
                    "choice",
                    Some(values.iter().map(|v| (*v).to_owned()).collect()),
                ),
                Kind::Text => ("text", None),
                Kind::Json => ("json", None),
            };
            OptionInfo {
                name: spec.name.to_owned(),
                alias: spec.alias.map(str::to_owned),
                kind: kind.to_owned(),
                choices,
                ts_type: spec.ts_type.to_owned(),
                default: spec.default.to_owned(),
                doc: spec.doc.to_owned(),
                batch_only: spec.scope == Scope::Batch,
                cli_flag: spec
                    .cli_flag
                    .map_or_else(|| kebab(spec.name), str::to_owned),
                cli_short: spec.cli_short.map(String::from),
            }
        })
        .collect()
}
