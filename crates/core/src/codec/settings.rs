//! How to encode, beyond the format: the encoder options, with sharp's defaults. The
//! options layer (`crate::options`) decides which of them the caller gave and whether
//! they fit the output format; here every field has a value.

use crate::raster::Rgba;

/// JPEG or AVIF chroma subsampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChromaSubsampling {
    /// Chroma at half the width and half the height (JPEG's default, as in sharp).
    Yuv420,
    /// Chroma at full resolution (AVIF's default, as in sharp).
    Yuv444,
}

impl ChromaSubsampling {
    /// The names users may pass, as sharp spells them.
    pub const NAMES: [&'static str; 2] = ["4:2:0", "4:4:4"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "4:2:0" => Some(Self::Yuv420),
            "4:4:4" => Some(Self::Yuv444),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Yuv420 => "4:2:0",
            Self::Yuv444 => "4:4:4",
        }
    }
}

/// How TIFF strips are compressed (all lossless). sharp's default is JPEG-in-TIFF,
/// which the `tiff` crate cannot write; corepool's default is Deflate with the
/// horizontal predictor (sharp's default predictor), a lossless compression every
/// TIFF reader built on libtiff reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TiffCompression {
    None,
    Lzw,
    #[default]
    Deflate,
    Packbits,
}

impl TiffCompression {
    /// The names users may pass (a subset of sharp's).
    pub const NAMES: [&'static str; 4] = ["none", "lzw", "deflate", "packbits"];

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "none" => Self::None,
            "lzw" => Self::Lzw,
            "deflate" => Self::Deflate,
            "packbits" => Self::Packbits,
            _ => return None,
        })
    }
}

/// How to encode, beyond the format. Fields a format does not use are ignored by it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncodeSettings {
    /// 1..=100; `None`: the format's default ([`super::default_quality`]). For palette
    /// PNG, the share of `colours` the palette may use.
    pub quality: Option<u8>,
    /// Lossless WebP.
    pub lossless: bool,
    /// What alpha is flattened onto for formats without it (JPEG).
    pub background: Rgba,
    /// Progressive (multi-scan) JPEG.
    pub progressive: bool,
    /// `None`: the format's default (JPEG 4:2:0, AVIF 4:4:4).
    pub chroma_subsampling: Option<ChromaSubsampling>,
    /// MozJPEG's compression profile: trellis quantisation, overshoot deringing,
    /// optimised progressive scans, quantisation table 3 (sharp's `mozjpeg: true`).
    pub mozjpeg: bool,
    /// PNG zlib level, 0..=9.
    pub compression_level: u8,
    /// Palette (indexed) PNG.
    pub palette: bool,
    /// Most palette entries (palette PNG, GIF), 2..=256.
    pub colours: u16,
    /// Floyd-Steinberg dithering strength (palette PNG, GIF), 0.0..=1.0.
    pub dither: f32,
    /// CPU effort: WebP 0..=6 (libwebp's method), AVIF 0..=9; `None`: 4, as sharp.
    pub effort: Option<u8>,
    /// Near-lossless WebP (lossless coding of pixels preprocessed at `quality`).
    pub near_lossless: bool,
    /// Quality of lossy WebP's alpha plane, 0..=100.
    pub alpha_quality: u8,
    pub tiff_compression: TiffCompression,
}

impl Default for EncodeSettings {
    fn default() -> Self {
        Self {
            quality: None,
            lossless: false,
            background: [0, 0, 0, 255],
            progressive: false,
            chroma_subsampling: None,
            mozjpeg: false,
            compression_level: 6,
            palette: false,
            colours: 256,
            dither: 1.0,
            effort: None,
            near_lossless: false,
            alpha_quality: 100,
            tiff_compression: TiffCompression::default(),
        }
    }
}

impl EncodeSettings {
    /// The defaults with a given quality.
    pub fn quality(quality: u8) -> Self {
        Self {
            quality: Some(quality),
            ..Self::default()
        }
    }
}
