//! Encoding a finished raster in the requested format, with sharp's defaults:
//! JPEG q80 (4:2:0, optimised Huffman), PNG (zlib level 6), WebP q80 lossy (or
//! lossless), AVIF q50, GIF (palette), TIFF. No metadata is written, so an EXIF
//! orientation never survives into the output.

use std::borrow::Cow;
use std::io::Cursor;

use image::codecs::avif::AvifEncoder;
use image::codecs::gif::GifEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use super::error::EncodeError;
use super::format::Format;
use super::jpeg;
use crate::raster::{Raster, Rgba};

/// How to encode, beyond the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeSettings {
    /// 1..=100; `None`: the format's default ([`default_quality`]).
    pub quality: Option<u8>,
    /// Lossless WebP.
    pub lossless: bool,
    /// What alpha is flattened onto for formats without it (JPEG).
    pub background: Rgba,
}

impl Default for EncodeSettings {
    fn default() -> Self {
        Self {
            quality: None,
            lossless: false,
            background: [0, 0, 0, 255],
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

/// The largest width or height each format can store.
pub fn max_dimension(format: Format) -> u32 {
    match format {
        Format::Jpeg | Format::Gif | Format::Avif => 65_535,
        Format::Webp => 16_383,
        Format::Png | Format::Bmp | Format::Tiff => i32::MAX as u32,
    }
}

/// Default quality per format when the caller gives none.
pub fn default_quality(format: Format) -> u8 {
    match format {
        Format::Avif => 50,
        _ => 80,
    }
}

fn colour_type(channels: u8) -> ExtendedColorType {
    match channels {
        1 => ExtendedColorType::L8,
        2 => ExtendedColorType::La8,
        3 => ExtendedColorType::Rgb8,
        _ => ExtendedColorType::Rgba8,
    }
}

/// `raster` laid out with `channels` channels, borrowed when it already is.
fn with_channels(raster: &Raster, channels: u8, background: Rgba) -> Cow<'_, Raster> {
    if raster.channels == channels {
        Cow::Borrowed(raster)
    } else {
        Cow::Owned(raster.with_channels(channels, background))
    }
}

/// Encodes `raster` as `format`. Sizes the format cannot store are refused up front
/// with [`EncodeError::TooLarge`]; alpha is flattened onto the background for JPEG.
pub fn encode(
    raster: &Raster,
    format: Format,
    settings: &EncodeSettings,
) -> Result<Vec<u8>, EncodeError> {
    let (w, h) = (raster.width, raster.height);
    let max = max_dimension(format);
    if w > max || h > max {
        return Err(EncodeError::TooLarge {
            format: format.name(),
            width: w,
            height: h,
            max,
        });
    }
    let quality = settings.quality.unwrap_or_else(|| default_quality(format));
    let background = settings.background;
    let failed = |e: image::ImageError| EncodeError::library(format, e);
    // The same pixels in colour (RGB or RGBA), for encoders that take no grey.
    let in_colour = || with_channels(raster, if raster.has_alpha() { 4 } else { 3 }, background);
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            // No alpha in JPEG: flatten onto the background.
            let opaque = if raster.is_grey() { 1 } else { 3 };
            return jpeg::encode(&with_channels(raster, opaque, background), quality);
        }
        Format::Png | Format::Bmp => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
                .write_image(&raster.data, w, h, colour_type(raster.channels))
                .map_err(failed)?
        }
        Format::Webp => {
            let src = in_colour();
            let layout = if src.has_alpha() {
                webp::PixelLayout::Rgba
            } else {
                webp::PixelLayout::Rgb
            };
            // Through libwebp's configuration API: the crate's `encode`/`encode_lossless`
            // unwrap its errors internally, which would surface as ERR_INTERNAL panics.
            let mut config = webp::WebPConfig::new().map_err(|()| {
                EncodeError::library(format, "libwebp cannot initialise its configuration")
            })?;
            config.lossless = i32::from(settings.lossless);
            config.alpha_compression = i32::from(!settings.lossless);
            config.quality = if settings.lossless {
                75.0
            } else {
                f32::from(quality)
            };
            let memory = webp::Encoder::new(&src.data, layout, w, h)
                .encode_advanced(&config)
                .map_err(|e| webp_failure(format, e))?;
            out.extend_from_slice(&memory);
        }
        Format::Avif => {
            let src = in_colour();
            AvifEncoder::new_with_speed_quality(&mut out, 8, quality)
                .write_image(&src.data, w, h, colour_type(src.channels))
                .map_err(failed)?;
        }
        Format::Gif => {
            let rgba = with_channels(raster, 4, background);
            GifEncoder::new_with_speed(&mut out, 10)
                .encode(&rgba.data, w, h, ExtendedColorType::Rgba8)
                .map_err(failed)?;
        }
        Format::Tiff => {
            // `image` reads no grey+alpha TIFF back (the `tiff` crate calls it
            // "multiband"): widen that to RGBA.
            let src = if raster.channels == 2 {
                in_colour()
            } else {
                Cow::Borrowed(raster)
            };
            encode_tiff(&src, &mut out)?
        }
    }
    Ok(out)
}

/// libwebp's error, coded: running out of memory or of room in the bitstream (the
/// first partition holds 512 KiB of per-macroblock modes, which outputs near 16383x16383
/// overflow) is a property of the request; anything else is a bug.
fn webp_failure(format: Format, err: webp::WebPEncodingError) -> EncodeError {
    use webp::WebPEncodingError as E;
    let message = format!("{err:?}");
    match err {
        E::VP8_ENC_ERROR_OUT_OF_MEMORY
        | E::VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY
        | E::VP8_ENC_ERROR_BAD_DIMENSION
        | E::VP8_ENC_ERROR_PARTITION0_OVERFLOW
        | E::VP8_ENC_ERROR_PARTITION_OVERFLOW
        | E::VP8_ENC_ERROR_FILE_TOO_BIG => EncodeError::Capacity {
            format: format.name(),
            message,
        },
        _ => EncodeError::library(format, message),
    }
}

/// The channels an output in `format` stores for a raster of `channels`: JPEG drops
/// alpha (flattened), WebP and AVIF store colour, GIF stores RGBA (its palette has a
/// transparent entry), TIFF widens grey+alpha to RGBA, PNG stores what it is given.
pub fn encoded_channels(format: Format, channels: u8) -> u8 {
    let alpha = channels == 2 || channels == 4;
    match format {
        Format::Jpeg => {
            if channels <= 2 {
                1
            } else {
                3
            }
        }
        Format::Webp | Format::Avif => {
            if alpha {
                4
            } else {
                3
            }
        }
        Format::Gif => 4,
        Format::Tiff if channels == 2 => 4,
        Format::Png | Format::Tiff | Format::Bmp => channels,
    }
}

/// Uncompressed TIFF through the `tiff` crate: grey, RGB or RGBA. The alpha of RGBA is
/// written as an extra sample with ExtraSamples = 2 (unassociated alpha, not
/// premultiplied): without that tag libtiff (and so sharp) refuses a fourth sample of
/// an RGB image.
fn encode_tiff(raster: &Raster, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    use tiff::encoder::{colortype, TiffEncoder};
    use tiff::tags::ExtraSamples;
    let failed = |e: tiff::TiffError| EncodeError::library(Format::Tiff, e);
    let (w, h) = (raster.width, raster.height);
    let mut encoder = TiffEncoder::new(Cursor::new(out)).map_err(failed)?;
    let alpha = [ExtraSamples::UnassociatedAlpha];
    match raster.channels {
        1 => encoder
            .write_image::<colortype::Gray8>(w, h, &raster.data)
            .map_err(failed),
        3 => encoder
            .write_image::<colortype::RGB8>(w, h, &raster.data)
            .map_err(failed),
        4 => {
            let mut image = encoder.new_image::<colortype::RGB8>(w, h).map_err(failed)?;
            image.extra_samples(&alpha).map_err(failed)?;
            image.write_data(&raster.data).map_err(failed)
        }
        channels => Err(EncodeError::Channels {
            format: Format::Tiff.name(),
            channels,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::probe;

    #[test]
    fn every_format_round_trips_its_size() {
        let raster = Raster::filled(33, 17, 4, [200, 100, 50, 255]);
        for format in [
            Format::Jpeg,
            Format::Png,
            Format::Webp,
            Format::Avif,
            Format::Gif,
            Format::Tiff,
        ] {
            let bytes = encode(&raster, format, &EncodeSettings::default()).expect("encodes");
            if format == Format::Avif {
                // AVIF is write-only here; check the container brand.
                assert_eq!(&bytes[4..12], b"ftypavif");
                continue;
            }
            let header = probe(&bytes).expect("probes");
            assert_eq!(
                (header.format, header.width, header.height),
                (format, 33, 17),
                "{format:?}"
            );
        }
    }

    #[test]
    fn libwebp_running_out_of_room_is_a_coded_size_error() {
        use crate::error::{ErrorCode, Failure};
        use webp::WebPEncodingError as E;
        let err = webp_failure(Format::Webp, E::VP8_ENC_ERROR_PARTITION0_OVERFLOW);
        assert_eq!(Failure::from(err).code, ErrorCode::InputTooLarge);
        let err = webp_failure(Format::Webp, E::VP8_ENC_ERROR_INVALID_CONFIGURATION);
        assert_eq!(Failure::from(err).code, ErrorCode::Internal);
    }

    /// RGBA TIFFs carry ExtraSamples = 2 (unassociated alpha) and read back with their
    /// alpha; grey+alpha is written as RGBA.
    #[test]
    fn tiff_alpha_is_an_unassociated_extra_sample() {
        use tiff::decoder::Decoder;
        use tiff::tags::Tag;
        for (channels, colour) in [(4, [200, 100, 50, 128]), (2, [90, 90, 90, 40])] {
            let raster = Raster::filled(5, 3, channels, colour);
            let bytes = encode(&raster, Format::Tiff, &EncodeSettings::default()).expect("encodes");
            let mut d = Decoder::new(Cursor::new(&bytes)).expect("decoder");
            let extra = d
                .get_tag_u16_vec(Tag::ExtraSamples)
                .expect("ExtraSamples tag");
            assert_eq!(extra, vec![2], "{channels} channels");
            let header = probe(&bytes).expect("probes");
            assert_eq!((header.channels, header.has_alpha), (4, true));
        }
    }

    #[test]
    fn encoded_channels_are_what_the_format_stores() {
        assert_eq!(encoded_channels(Format::Jpeg, 4), 3);
        assert_eq!(encoded_channels(Format::Jpeg, 2), 1);
        assert_eq!(encoded_channels(Format::Jpeg, 3), 3);
        assert_eq!(encoded_channels(Format::Webp, 1), 3);
        assert_eq!(encoded_channels(Format::Webp, 2), 4);
        assert_eq!(encoded_channels(Format::Png, 2), 2);
        assert_eq!(encoded_channels(Format::Tiff, 4), 4);
        assert_eq!(encoded_channels(Format::Tiff, 2), 4);
    }
}
