//! Recognising and decoding input: the format comes from the content (magic bytes),
//! never from the file name; the header is read and checked against the pixel limit
//! before any pixel memory is allocated.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::error::DecodeError;
use super::format::{FailOn, Format};
use super::jpeg;
use super::sniff::recognise;
use super::webp_container;
use crate::cancel::CancelFlag;
use crate::raster::Raster;

/// What the header of an input says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: Format,
    /// As stored, before orientation.
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub has_alpha: bool,
    /// EXIF orientation 1..=8 (1 when absent).
    pub orientation: u16,
    /// Pixels the decoder will hold at once: the stored size, or more for a GIF whose
    /// first frame reaches past its logical screen. Checked against the limit.
    pub decode_pixels: u64,
}

impl Header {
    /// The displayed size: width and height swap for orientations 5 to 8.
    pub fn oriented_size(&self, auto_orient: bool) -> (u32, u32) {
        if auto_orient && self.orientation >= 5 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

fn image_format(format: Format) -> Option<ImageFormat> {
    Some(match format {
        Format::Png => ImageFormat::Png,
        Format::Gif => ImageFormat::Gif,
        Format::Webp => ImageFormat::WebP,
        Format::Tiff => ImageFormat::Tiff,
        Format::Bmp => ImageFormat::Bmp,
        Format::Jpeg | Format::Avif => return None,
    })
}

fn from_image_error(format: Format, err: image::ImageError) -> DecodeError {
    use image::ImageError as E;
    let name = format.name().to_uppercase();
    match err {
        E::Unsupported(e) => DecodeError::Unsupported(format!("{name}: {e}")),
        E::Limits(e) => DecodeError::LimitExceeded(format!(
            "{name}: decoding needs more memory than limitInputPixels allows: {e}"
        )),
        other => DecodeError::Corrupt(format!("{name}: {other}")),
    }
}

/// A reader for non-JPEG formats with a memory budget, so that a lying header cannot
/// make the decoder allocate without bound.
/// The budget is 5 bytes per allowed pixel (RGBA plus slack) and 16 MiB, at most 4 GiB:
/// a GIF frame may be larger than the screen its header declares, and this bounds what
/// such a file can make the decoder allocate.
fn reader(
    bytes: &[u8],
    format: ImageFormat,
    limit_pixels: Option<u64>,
) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(limit_pixels.map_or(4 << 30, |p| {
        p.saturating_mul(5).saturating_add(16 << 20).min(4 << 30)
    }));
    reader.limits(limits);
    reader
}

/// Reads the header only.
pub fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    let format = recognise(bytes)?;
    if format == Format::Jpeg {
        let h = jpeg::probe(bytes)?;
        return Ok(Header {
            format,
            width: h.width,
            height: h.height,
            channels: if h.components == 1 { 1 } else { 3 },
            has_alpha: false,
            orientation: h.orientation,
            decode_pixels: u64::from(h.width) * u64::from(h.height),
        });
    }
    let image_format =
        image_format(format).ok_or_else(|| DecodeError::Unsupported(format.name().into()))?;
    let mut decoder = reader(bytes, image_format, None)
        .into_decoder()
        .map_err(|e| from_image_error(format, e))?;
    if format == Format::Webp {
        webp_container::check(bytes)?;
    }
    let (width, height) = decoder.dimensions();
    let colour = decoder.color_type();
    let orientation = decoder.orientation().map_or(1, |o| o.to_exif() as u16);
    Ok(Header {
        format,
        width,
        height,
        channels: colour.channel_count(),
        has_alpha: colour.has_alpha(),
        orientation,
        decode_pixels: match format {
            Format::Gif => {
                gif_first_frame_extent(bytes).map_or(0, |(w, h)| u64::from(w) * u64::from(h))
            }
            _ => 0,
        }
        .max(u64::from(width) * u64::from(height)),
    })
}

/// The extent (right, bottom edges) of a GIF's first image descriptor, read from its
/// block structure; `None` when the file ends first.
fn gif_first_frame_extent(bytes: &[u8]) -> Option<(u32, u32)> {
    let u16_at = |at: usize| -> Option<u32> {
        Some(u32::from(u16::from_le_bytes([
            *bytes.get(at)?,
            *bytes.get(at + 1)?,
        ])))
    };
    let flags = *bytes.get(10)?;
    let mut at = 13
        + if flags & 0x80 != 0 {
            3 << ((flags & 7) + 1)
        } else {
            0
        };
    loop {
        match *bytes.get(at)? {
            0x2C => {
                let (left, top) = (u16_at(at + 1)?, u16_at(at + 3)?);
                let (w, h) = (u16_at(at + 5)?, u16_at(at + 7)?);
                return Some((left + w, top + h));
            }
            0x21 => {
                // Extension: label, then data sub-blocks until a zero-length one.
                at += 2;
                loop {
                    let len = usize::from(*bytes.get(at)?);
                    at += 1 + len;
                    if len == 0 {
                        break;
                    }
                }
            }
            _ => return None,
        }
    }
}

/// The stored size after shrink-on-load by `1/denominator`, rounded down (never 0).
pub fn shrunk_size(header: &Header, denominator: u8) -> (u32, u32) {
    let d = u32::from(denominator.max(1));
    ((header.width / d).max(1), (header.height / d).max(1))
}

/// Fails with `TooLarge` when the header declares more than `limit` pixels.
pub fn check_limit(header: &Header, limit: Option<u64>) -> Result<(), DecodeError> {
    let pixels = header.decode_pixels;
    match limit {
        Some(limit) if pixels > limit => Err(DecodeError::TooLarge {
            width: header.width,
            height: header.height,
            pixels,
            limit,
        }),
        _ if header.width == 0 || header.height == 0 => Err(DecodeError::Corrupt(format!(
            "image header declares a size of {}x{}",
            header.width, header.height
        ))),
        _ => Ok(()),
    }
}

/// Decodes the pixels (as stored: orientation is not applied).
///
/// `denominator` (1, 2, 4 or 8) shrinks JPEG on load to `floor(size / denominator)`,
/// the size libvips (and so sharp) loads; other formats ignore it. `grey` allows
/// decoding straight to grey.
pub fn decode(
    bytes: &[u8],
    header: &Header,
    denominator: u8,
    grey: bool,
    fail_on: FailOn,
    limit_pixels: Option<u64>,
    cancel: &CancelFlag,
) -> Result<Raster, DecodeError> {
    if header.format == Format::Jpeg {
        let raster = jpeg::decode(bytes, denominator, grey, fail_on, cancel)?;
        let (w, h) = shrunk_size(header, denominator);
        // libjpeg rounds the scaled size up; drop the partial last column and row.
        return Ok(if (raster.width, raster.height) == (w, h) {
            raster
        } else {
            raster.crop(0, 0, w.min(raster.width), h.min(raster.height))
        });
    }
    let format = header.format;
    let image_format =
        image_format(format).ok_or_else(|| DecodeError::Unsupported(format.name().into()))?;
    let mut decoder = reader(bytes, image_format, limit_pixels)
        .into_decoder()
        .map_err(|e| from_image_error(format, e))?;
    let profile = decoder.icc_profile().ok().flatten();
    let image = DynamicImage::from_decoder(decoder).map_err(|e| from_image_error(format, e))?;
    let (width, height) = (image.width(), image.height());
    let (channels, data) = match image {
        DynamicImage::ImageLuma8(i) => (1, i.into_raw()),
        DynamicImage::ImageLumaA8(i) => (2, i.into_raw()),
        DynamicImage::ImageRgb8(i) => (3, i.into_raw()),
        DynamicImage::ImageRgba8(i) => (4, i.into_raw()),
        other if other.color().has_alpha() && other.color().has_color() => {
            (4, other.to_rgba8().into_raw())
        }
        other if other.color().has_alpha() => (2, other.to_luma_alpha8().into_raw()),
        other if other.color().has_color() => (3, other.to_rgb8().into_raw()),
        other => (1, other.to_luma8().into_raw()),
    };
    let mut raster = Raster::new(width, height, channels, data).ok_or_else(|| {
        DecodeError::Corrupt(format!(
            "{}: decoded size does not match the header",
            format.name()
        ))
    })?;
    // The decoded size can exceed the header's (a GIF frame larger than its screen).
    let pixels = u64::from(raster.width) * u64::from(raster.height);
    if let Some(limit) = limit_pixels.filter(|&limit| pixels > limit) {
        return Err(DecodeError::TooLarge {
            width: raster.width,
            height: raster.height,
            pixels,
            limit,
        });
    }
    if let Some(profile) = profile {
        super::icc::convert_to_srgb(&mut raster, &profile);
    }
    Ok(raster)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_checked_on_the_header() {
        let header = Header {
            format: Format::Png,
            width: 60_000,
            height: 60_000,
            channels: 3,
            has_alpha: false,
            orientation: 1,
            decode_pixels: 3_600_000_000,
        };
        assert!(matches!(
            check_limit(&header, Some(268_402_689)),
            Err(DecodeError::TooLarge { .. })
        ));
        assert_eq!(check_limit(&header, None), Ok(()));
    }
}
