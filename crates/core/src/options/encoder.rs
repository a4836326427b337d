//! The encoder options as given, which output formats each one applies to, and the
//! [`EncodeSettings`] they make for one output format.
//!
//! The rule, the same for every encoder option: when `format` is given, an option that
//! does not apply to it is refused with `ERR_INVALID_OPTION`, naming the option and the
//! format (`lossless` with `format: 'jpeg'`, `compressionLevel` with `format: 'webp'`).
//! When the output format follows the input (a batch of JPEGs and PNGs), each option
//! applies to the outputs it fits and is left out of the others, and values beyond a
//! format's range are capped to it (`effort: 9` is WebP's 6).
//!
//! `quality` means the encoder's quality for JPEG, WebP and AVIF. For PNG it only has a
//! meaning with a palette (sharp's `png({ quality })`): `format: 'png'` with `quality`,
//! `colours` or `dither` implies `palette: true`, as in sharp, and with `palette: false`
//! they are refused. With the format following the input, `colours` and `dither` imply
//! the palette for PNG outputs but `quality` alone does not (it is there for the JPEG,
//! WebP and AVIF outputs), so PNGs stay lossless unless a palette is asked for.

use super::{refused, ProcessOptions};
use crate::codec::{
    max_effort, ChromaSubsampling, EncodeSettings, Format, TiffCompression, DEFAULT_EFFORT,
};
use crate::error::Failure;

/// The encoder options given: `None` for each one not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EncoderOptions {
    /// 1..=100.
    pub quality: Option<u8>,
    pub lossless: Option<bool>,
    pub progressive: Option<bool>,
    pub chroma_subsampling: Option<ChromaSubsampling>,
    pub mozjpeg: Option<bool>,
    /// 0..=9.
    pub compression_level: Option<u8>,
    pub palette: Option<bool>,
    /// 2..=256.
    pub colours: Option<u16>,
    /// 0.0..=1.0.
    pub dither: Option<f64>,
    /// 0..=9 (WebP takes 0..=6).
    pub effort: Option<u8>,
    pub near_lossless: Option<bool>,
    /// 0..=100.
    pub alpha_quality: Option<u8>,
    pub compression: Option<TiffCompression>,
    /// `keepMetadata`: EXIF, ICC profile and XMP.
    pub keep_metadata: Option<bool>,
    pub keep_exif: Option<bool>,
    pub keep_icc_profile: Option<bool>,
}

use Format::{Avif, Gif, Jpeg, Png, Tiff, Webp};

/// The formats whose outputs can carry the input's metadata.
const KEEPS: [Format; 3] = [Jpeg, Png, Webp];

impl EncoderOptions {
    /// Each option given, by name, with the output formats it applies to.
    fn given(&self) -> Vec<(&'static str, &'static [Format])> {
        let mut given = Vec::new();
        let mut add = |is_given: bool, name, formats| {
            if is_given {
                given.push((name, formats));
            }
        };
        add(
            self.quality.is_some(),
            "quality",
            &[Jpeg, Webp, Avif, Png][..],
        );
        add(self.lossless.is_some(), "lossless", &[Webp]);
        add(self.progressive.is_some(), "progressive", &[Jpeg]);
        add(
            self.chroma_subsampling.is_some(),
            "chromaSubsampling",
            &[Jpeg, Avif],
        );
        add(self.mozjpeg.is_some(), "mozjpeg", &[Jpeg]);
        add(self.compression_level.is_some(), "compressionLevel", &[Png]);
        add(self.palette.is_some(), "palette", &[Png]);
        add(self.colours.is_some(), "colours", &[Png, Gif]);
        add(self.dither.is_some(), "dither", &[Png, Gif]);
        add(self.effort.is_some(), "effort", &[Webp, Avif]);
        add(self.near_lossless.is_some(), "nearLossless", &[Webp]);
        add(self.alpha_quality.is_some(), "alphaQuality", &[Webp]);
        add(self.compression.is_some(), "compression", &[Tiff]);
        for (value, name) in [
            (self.keep_metadata, "keepMetadata"),
            (self.keep_exif, "keepExif"),
            (self.keep_icc_profile, "keepIccProfile"),
        ] {
            // Only `true` asks for something a format must be able to store.
            add(value == Some(true), name, &[Jpeg, Png, Webp]);
        }
        given
    }

    /// Whether an output in `format` keeps the input's EXIF (orientation reset to 1
    /// after auto-orient).
    pub fn keeps_exif(&self, format: Format) -> bool {
        KEEPS.contains(&format)
            && (self.keep_metadata == Some(true) || self.keep_exif == Some(true))
    }

    /// Whether an output in `format` keeps the input's ICC profile, its pixels left in
    /// that profile rather than converted to sRGB.
    pub fn keeps_icc_profile(&self, format: Format) -> bool {
        KEEPS.contains(&format)
            && (self.keep_metadata == Some(true) || self.keep_icc_profile == Some(true))
    }

    /// Whether an output in `format` keeps the input's XMP.
    pub fn keeps_xmp(&self, format: Format) -> bool {
        KEEPS.contains(&format) && self.keep_metadata == Some(true)
    }

    /// Whether PNG output is palette-based: asked for, or implied as the module docs say.
    fn palette(&self, explicit: Option<Format>) -> bool {
        self.palette.unwrap_or_else(|| {
            self.colours.is_some()
                || self.dither.is_some()
                || (explicit == Some(Png) && self.quality.is_some())
        })
    }
}

/// "a, b or c".
fn names(formats: &[Format]) -> String {
    let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// Refuses, when `format` is given, the encoder options that do not apply to it and
/// values it cannot take.
pub fn check(o: &ProcessOptions) -> Result<(), Failure> {
    let Some(format) = o.format else {
        return Ok(());
    };
    let e = &o.encoder;
    for (name, formats) in e.given() {
        if !formats.contains(&format) {
            return Err(refused(format!(
                "Option '{name}' applies to {} output, not {}",
                names(formats),
                format.name()
            )));
        }
    }
    if let Some(effort) = e.effort.filter(|&n| n > max_effort(format)) {
        return Err(refused(format!(
            "Option 'effort' for {} output is an integer between 0 and {}, but received {effort}",
            format.name(),
            max_effort(format)
        )));
    }
    if format == Png && e.palette == Some(false) {
        let needing: Vec<&str> = [
            (e.quality.is_some(), "quality"),
            (e.colours.is_some(), "colours"),
            (e.dither.is_some(), "dither"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
        .collect();
        if let Some(name) = needing.first() {
            return Err(refused(format!(
                "Option '{name}' of png output needs a palette, but palette is false"
            )));
        }
    }
    if e.near_lossless == Some(true) && e.lossless == Some(false) {
        return Err(refused(
            "Option 'nearLossless' is a kind of lossless WebP, but lossless is false".into(),
        ));
    }
    Ok(())
}

/// The settings for an output in `format`, from the options given (defaults as sharp's).
pub fn settings(o: &ProcessOptions, format: Format) -> EncodeSettings {
    let e = &o.encoder;
    let defaults = EncodeSettings::default();
    let palette = format == Png && e.palette(o.format);
    EncodeSettings {
        // For PNG, quality only sizes a palette.
        quality: e.quality.filter(|_| format != Png || palette),
        lossless: e.lossless.unwrap_or(false),
        background: o.background,
        mozjpeg: e.mozjpeg.unwrap_or(false),
        // MozJPEG's profile is progressive unless progressive: false says otherwise.
        progressive: e.progressive.unwrap_or(e.mozjpeg == Some(true)),
        chroma_subsampling: e.chroma_subsampling,
        compression_level: e.compression_level.unwrap_or(defaults.compression_level),
        palette,
        colours: e.colours.unwrap_or(defaults.colours),
        dither: e.dither.map_or(defaults.dither, |d| d as f32),
        effort: Some(e.effort.unwrap_or(DEFAULT_EFFORT).min(max_effort(format))),
        near_lossless: e.near_lossless.unwrap_or(false),
        alpha_quality: e.alpha_quality.unwrap_or(defaults.alpha_quality),
        tiff_compression: e.compression.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::options::parse;
    use crate::validate::Received;

    fn opts(entries: &[(&str, Received)]) -> Result<ProcessOptions, Failure> {
        parse(Some(&Received::Object(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )))
    }

    fn s(v: &str) -> Received {
        Received::String(v.into())
    }

    #[test]
    fn an_option_for_another_format_is_refused_naming_both() {
        for (entries, fragment) in [
            (
                vec![
                    ("format", s("jpeg")),
                    ("compressionLevel", Received::Number(9.0)),
                ],
                "Option 'compressionLevel' applies to png output, not jpeg",
            ),
            (
                vec![("format", s("jpeg")), ("lossless", Received::Bool(true))],
                "Option 'lossless' applies to webp output, not jpeg",
            ),
            (
                vec![("format", s("gif")), ("quality", Received::Number(50.0))],
                "applies to jpeg, webp, avif or png output, not gif",
            ),
            (
                vec![("format", s("png")), ("progressive", Received::Bool(true))],
                "'progressive' applies to jpeg output, not png",
            ),
            (
                vec![("format", s("webp")), ("effort", Received::Number(7.0))],
                "'effort' for webp output is an integer between 0 and 6",
            ),
            (
                vec![
                    ("format", s("png")),
                    ("palette", Received::Bool(false)),
                    ("colours", Received::Number(16.0)),
                ],
                "'colours' of png output needs a palette",
            ),
            (
                vec![("format", s("tiff")), ("compression", s("jpeg"))],
                "for compression but received 'jpeg'",
            ),
        ] {
            let err = opts(&entries).expect_err(fragment);
            assert_eq!(err.code, ErrorCode::InvalidOption);
            assert!(err.message.contains(fragment), "{}", err.message);
        }
    }

    #[test]
    fn bad_values_are_refused() {
        for (key, value) in [
            ("compressionLevel", Received::Number(10.0)),
            ("colours", Received::Number(1.0)),
            ("colors", Received::Number(257.0)),
            ("dither", Received::Number(1.5)),
            ("effort", Received::Number(-1.0)),
            ("alphaQuality", Received::Number(101.0)),
            ("chromaSubsampling", s("4:2:2")),
            ("progressive", s("yes")),
            ("mozjpeg", Received::Number(1.0)),
        ] {
            let err = opts(&[(key, value)]).expect_err(key);
            assert_eq!(err.code, ErrorCode::InvalidOption, "{key}");
            assert!(err.message.contains(key), "{}", err.message);
        }
    }

    #[test]
    fn following_the_input_options_apply_where_they_fit() {
        let o = opts(&[
            ("quality", Received::Number(60.0)),
            ("effort", Received::Number(9.0)),
            ("compressionLevel", Received::Number(9.0)),
            ("progressive", Received::Bool(true)),
        ])
        .expect("valid without a format");
        let png = settings(&o, Png);
        // quality alone leaves PNG lossless (no palette) without format: 'png'.
        assert_eq!(
            (png.palette, png.quality, png.compression_level),
            (false, None, 9)
        );
        assert_eq!(settings(&o, Webp).effort, Some(6));
        assert_eq!(settings(&o, Avif).effort, Some(9));
        let jpeg = settings(&o, Jpeg);
        assert!(jpeg.progressive && jpeg.quality == Some(60));
    }

    #[test]
    fn png_quality_implies_a_palette_with_the_format_given() {
        let o = opts(&[("format", s("png")), ("quality", Received::Number(50.0))]).expect("valid");
        let png = settings(&o, Png);
        assert!(png.palette && png.quality == Some(50));
        let o = opts(&[("colors", Received::Number(16.0))]).expect("valid");
        assert!(settings(&o, Png).palette);
        assert_eq!(settings(&o, Gif).colours, 16);
    }

    #[test]
    fn mozjpeg_is_progressive_unless_told_otherwise() {
        let o = opts(&[("mozjpeg", Received::Bool(true))]).expect("valid");
        assert!(settings(&o, Jpeg).progressive && settings(&o, Jpeg).mozjpeg);
        let o = opts(&[
            ("mozjpeg", Received::Bool(true)),
            ("progressive", Received::Bool(false)),
        ])
        .expect("valid");
        assert!(!settings(&o, Jpeg).progressive);
    }
}
