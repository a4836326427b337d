//! The image formats corepool knows and how strictly damaged input is treated.

/// An image format, as read or written.
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
    /// libvips' own format (`.v`). Readable only, like BMP.
    Vips,
    /// SVG and SVGZ, rendered at `density` (see `svg`). Readable only.
    Svg,
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
            Self::Vips => "vips",
            Self::Svg => "svg",
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
        !matches!(self, Self::Bmp | Self::Vips | Self::Svg)
    }

    /// The format written when the caller asks for "the input's own": the input's,
    /// or PNG for formats corepool only reads.
    pub fn same_or_png(self) -> Self {
        if self.is_writable() {
            self
        } else {
            Self::Png
        }
    }
}

/// How strictly damaged input is treated, like sharp's (libvips') `failOn`. The levels
/// are ordered: each fails on everything the one before it fails on, and more.
///
/// What tells them apart, per format:
/// - JPEG (libjpeg): a fatal libjpeg error fails at every level. Truncation (libjpeg's
///   "Premature end of JPEG file" warning) fails at `Truncated` and above; the missing
///   rows are grey with `None`. Every other libjpeg warning (corrupt data, extraneous
///   bytes, bad Huffman codes) fails only at `Warning`.
/// - PNG, GIF, WebP, TIFF, BMP (image-rs decoders): these report no warnings and cannot
///   decode past an error, so every level fails on a decoder error, including
///   truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailOn {
    /// Decode what can be decoded; truncated data becomes grey.
    None,
    /// Fail on truncated data.
    Truncated,
    /// Fail on truncated data and decoder errors.
    Error,
    /// Fail on any decoder warning too (the default).
    Warning,
}

impl FailOn {
    /// The names users may pass, weakest first.
    pub const NAMES: [&'static str; 4] = ["none", "truncated", "error", "warning"];

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "none" => Self::None,
            "truncated" => Self::Truncated,
            "error" => Self::Error,
            "warning" => Self::Warning,
            _ => return None,
        })
    }
}

/// What a decode is asked for beyond the pixels as stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wants {
    /// Decoding straight to grey is allowed (JPEG).
    pub grey: bool,
    /// Leave the pixels in their embedded ICC profile (`keepIccProfile`) instead of
    /// converting them to sRGB.
    pub keep_profile: bool,
    /// The dots per inch vector input (SVG) is rendered at: sharp's `density`.
    pub density: f64,
}

impl Default for Wants {
    fn default() -> Self {
        Self {
            grey: false,
            keep_profile: false,
            density: super::svg::DEFAULT_DENSITY,
        }
    }
}
