//! Recognising and decoding input: the format comes from the content (magic bytes),
//! never from the file name; the header is read and checked against the pixel limit
//! before any pixel memory is allocated.

use std::io::{BufRead, BufReader, Cursor, Seek};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::avif;
use super::error::DecodeError;
use super::format::{FailOn, Format, Wants};
use super::gif_blocks;
use super::jpeg;
use super::sniff::recognise;
use super::source::{self, Source, SourceReader};
use super::svg;
use super::vips;
use super::webp_container;
use super::{tiff_fax, tiff_planar, tiff_samples};
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
        Format::Jpeg | Format::Avif | Format::Vips | Format::Svg => return None,
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

/// The decoder's memory budget for `limit_pixels`: 16 bytes per allowed pixel (RGBA
/// with 32-bit float samples, the widest layout `image` decodes to) and 64 MiB for the
/// decoder's own buffers, so that a file within the pixel limit is never refused for
/// memory: only the pixel count refuses. Without a pixel limit, 4 GiB, which bounds
/// what a lying header can make a decoder allocate.
fn memory_budget(limit_pixels: Option<u64>) -> u64 {
    limit_pixels.map_or(4 << 30, |p| p.saturating_mul(16).saturating_add(64 << 20))
}

/// A reader for non-JPEG formats that allocates at most `budget` bytes, so that a
/// lying header cannot make the decoder allocate without bound.
fn reader<R: BufRead + Seek>(input: R, format: ImageFormat, budget: u64) -> ImageReader<R> {
    let mut reader = ImageReader::with_format(input, format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(budget);
    reader.limits(limits);
    reader
}

/// The budget for reading a header. `image`'s TIFF decoder gives its tag reader what
/// is left of the budget after the whole image's pixels, so with a fixed budget a
/// large TIFF could not even have its tags read, and would be refused for memory
/// rather than by the pixel count. For TIFF the budget is therefore sized on the
/// stored dimensions (read with the `tiff` crate's default limits).
fn probe_budget(bytes: &[u8], format: Format) -> u64 {
    let tiff_pixels = (format == Format::Tiff)
        .then(|| {
            tiff::decoder::Decoder::new(Cursor::new(bytes))
                .ok()?
                .dimensions()
                .ok()
        })
        .flatten()
        .map(|(w, h)| u64::from(w) * u64::from(h));
    memory_budget(Some(tiff_pixels.unwrap_or(0)).filter(|&p| p > 0)).max(4 << 30)
}

/// Reads the header only (vector input at sharp's default density, 72).
pub fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    probe_at(bytes, svg::DEFAULT_DENSITY)
}

/// Reads the header only, with vector input (SVG) sized at `density` dots per inch.
pub fn probe_at(bytes: &[u8], density: f64) -> Result<Header, DecodeError> {
    let format = recognise(bytes)?;
    if format == Format::Svg {
        return svg_header(bytes, density, 1.0);
    }
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
    if format == Format::Avif {
        let h = avif::probe(bytes)?;
        return Ok(Header {
            format,
            width: h.width,
            height: h.height,
            channels: h.channels,
            has_alpha: h.has_alpha,
            orientation: 1,
            decode_pixels: h.pixels,
        });
    }
    if format == Format::Vips {
        let h = vips::probe(bytes)?;
        return Ok(Header {
            format,
            width: h.width,
            height: h.height,
            channels: h.bands,
            has_alpha: h.bands % 2 == 0,
            orientation: 1,
            decode_pixels: u64::from(h.width) * u64::from(h.height),
        });
    }
    let image_format =
        image_format(format).ok_or_else(|| DecodeError::Unsupported(format.name().into()))?;
    let gif = (format == Format::Gif).then(|| gif_blocks::scan(bytes));
    let repaired = gif.and_then(|scan| gif_blocks::repaired(bytes, &scan));
    let bytes = repaired.as_deref().unwrap_or(bytes);
    let decoder = reader(
        Cursor::new(bytes),
        image_format,
        probe_budget(bytes, format),
    )
    .into_decoder();
    if let (Err(image::ImageError::Unsupported(_)), Format::Tiff) = (&decoder, format) {
        // Samples `image` refuses but `tiff_samples` reads.
        if let Ok((width @ 1.., height @ 1.., channels, orientation)) =
            tiff_samples::probe(Cursor::new(bytes))
                .or_else(|_| tiff_samples::probe_palette(bytes))
                .or_else(|_| tiff_fax::probe(bytes))
        {
            return Ok(Header {
                format,
                width,
                height,
                channels,
                has_alpha: channels % 2 == 0,
                orientation,
                decode_pixels: u64::from(width) * u64::from(height),
            });
        }
    }
    let mut decoder = decoder.map_err(|e| match e {
        // No pixel memory exists yet: the `tiff` crate's fixed limits on header
        // values (1 MiB a tag, sizes that overflow) were hit by the header itself,
        // which only damaged files do. Not a matter of limitInputPixels.
        image::ImageError::Limits(e) if format == Format::Tiff => DecodeError::Corrupt(format!(
            "TIFF: the header declares more data than a TIFF header may hold ({e})"
        )),
        e => from_image_error(format, e),
    })?;
    if format == Format::Webp {
        webp_container::check(bytes)?;
    }
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        // The decoders accept such headers (a GIF screen of 0x32), but there is no image.
        return Err(DecodeError::Corrupt(format!(
            "{}: image header declares a size of {width}x{height}",
            format.name().to_uppercase()
        )));
    }
    let colour = decoder.color_type();
    let orientation = decoder.orientation().map_or(1, |o| o.to_exif() as u16);
    // A GIF has alpha only where its blocks say some pixel may be transparent (as
    // sharp reports it); the decoder always gives RGBA.
    let (channels, has_alpha) = match gif {
        Some(scan) if !scan.transparency => (3, false),
        _ => (colour.channel_count(), colour.has_alpha()),
    };
    Ok(Header {
        format,
        width,
        height,
        channels,
        has_alpha,
        orientation,
        decode_pixels: gif
            .and_then(|scan| scan.first_extent)
            .map_or(0, |(w, h)| u64::from(w) * u64::from(h))
            .max(u64::from(width) * u64::from(height)),
    })
}

/// The header of an SVG drawn at `density`, scaled by `scale`: always RGBA.
fn svg_header(bytes: &[u8], density: f64, scale: f64) -> Result<Header, DecodeError> {
    let (width, height) = svg::size(bytes, density, scale)?;
    Ok(Header {
        format: Format::Svg,
        width,
        height,
        channels: 4,
        has_alpha: true,
        orientation: 1,
        decode_pixels: u64::from(width) * u64::from(height),
    })
}

/// The header of the SVG in `src` drawn at `density` and `scale`, as sharp renders a
/// vector input straight at the size a resize needs (its shrink-on-load). `decode`
/// with this header draws at that size.
pub fn svg_size(src: &dyn Source, density: f64, scale: f64) -> Result<Header, DecodeError> {
    let mut owned = Vec::new();
    svg_header(whole(src, &mut owned, Format::Svg)?, density, scale)
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

/// The buffer between a decoder and a source that is not in memory.
const READ_BUFFER_BYTES: usize = 64 << 10;

/// `src` as a buffered `Read + Seek` for the decoders of the `image` crate.
fn buffered(src: &dyn Source) -> BufReader<SourceReader<'_>> {
    BufReader::with_capacity(READ_BUFFER_BYTES, SourceReader::new(src))
}

/// Decodes with the `image` crate's decoder for `format`: the pixels and the ICC
/// profile.
fn decode_image<R: BufRead + Seek>(
    input: R,
    format: Format,
    image_format: ImageFormat,
    budget: u64,
) -> Result<(DynamicImage, Option<Vec<u8>>), DecodeError> {
    let mut decoder = reader(input, image_format, budget)
        .into_decoder()
        .map_err(|e| from_image_error(format, e))?;
    let profile = decoder.icc_profile().ok().flatten();
    let image = DynamicImage::from_decoder(decoder).map_err(|e| from_image_error(format, e))?;
    Ok((image, profile))
}

/// Decodes the pixels (as stored: orientation is not applied), reading `src` as the
/// format needs it: JPEG, PNG, GIF, BMP and TIFF a piece at a time (the whole file is
/// never held in memory), WebP whole, since its decoder holds the whole compressed
/// frame (most of the file) anyway.
///
/// `denominator` (1, 2, 4 or 8) shrinks JPEG on load to `floor(size / denominator)`,
/// the size libvips (and so sharp) loads; other formats ignore it. `grey` allows
/// decoding straight to grey.
pub fn decode(
    src: &dyn Source,
    header: &Header,
    denominator: u8,
    grey: bool,
    fail_on: FailOn,
    limit_pixels: Option<u64>,
    cancel: &CancelFlag,
) -> Result<Raster, DecodeError> {
    let wants = Wants {
        grey,
        ..Wants::default()
    };
    decode_with(
        src,
        header,
        denominator,
        wants,
        fail_on,
        limit_pixels,
        cancel,
    )
}

/// [`decode`], as `wants` says.
pub fn decode_with(
    src: &dyn Source,
    header: &Header,
    denominator: u8,
    wants: Wants,
    fail_on: FailOn,
    limit_pixels: Option<u64>,
    cancel: &CancelFlag,
) -> Result<Raster, DecodeError> {
    if header.format == Format::Jpeg {
        let raster = jpeg::decode_with(src, denominator, wants, fail_on, cancel)?;
        let (w, h) = shrunk_size(header, denominator);
        // libjpeg rounds the scaled size up; drop the partial last column and row.
        return Ok(if (raster.width, raster.height) == (w, h) {
            raster
        } else {
            raster.crop(0, 0, w.min(raster.width), h.min(raster.height))
        });
    }
    let format = header.format;
    if format == Format::Avif {
        return decode_avif(src, limit_pixels, cancel);
    }
    if format == Format::Vips {
        return vips::decode(src);
    }
    if format == Format::Svg {
        let mut owned = Vec::new();
        let bytes = whole(src, &mut owned, format)?;
        return svg::decode(
            bytes,
            wants.density,
            (header.width, header.height),
            limit_pixels,
        );
    }
    let image_format =
        image_format(format).ok_or_else(|| DecodeError::Unsupported(format.name().into()))?;
    let budget = memory_budget(limit_pixels);
    let (image, profile) = match format {
        Format::Webp => {
            let owned;
            let bytes = match src.as_slice() {
                Some(bytes) => bytes,
                None => {
                    owned = source::prefix(src, src.len()).map_err(|e| {
                        DecodeError::Corrupt(format!("WEBP: the input cannot be read: {e}"))
                    })?;
                    &owned[..]
                }
            };
            // The probe may have seen only a prefix: check every frame header here.
            webp_container::check(bytes)?;
            decode_image(Cursor::new(bytes), format, image_format, budget)?
        }
        Format::Tiff if tiff_planar::is_tiled_planar(buffered(src)) => {
            tiff_planar::decode(buffered(src), budget)?
        }
        Format::Tiff => match decode_image(buffered(src), format, image_format, budget) {
            // Samples `image` refuses (packed depths, signed, 16/64-bit float, palettes).
            Err(DecodeError::Unsupported(why)) => tiff_samples::decode(buffered(src), budget)
                .or_else(|e| match e {
                    // Palettes (a patched copy) and fax codings need the whole file.
                    DecodeError::Unsupported(_) if src.len() <= budget => {
                        let bytes = source::prefix(src, src.len()).map_err(|e| {
                            DecodeError::Corrupt(format!("TIFF: the input cannot be read: {e}"))
                        })?;
                        tiff_samples::decode_palette(&bytes, budget).or_else(|e| match e {
                            DecodeError::Unsupported(_) => {
                                let partial = fail_on == FailOn::None;
                                tiff_fax::decode(&bytes, budget, partial).map(|image| (image, None))
                            }
                            other => Err(other),
                        })
                    }
                    other => Err(other),
                })
                .map_err(|e| match e {
                    DecodeError::Unsupported(_) => DecodeError::Unsupported(why),
                    other => other,
                })?,
            other => other?,
        },
        Format::Gif => match decode_image(buffered(src), format, image_format, budget) {
            // Damage libnsgif tolerates: repaired in a copy (GIFs are small; the copy is
            // bounded by the budget).
            Err(DecodeError::Corrupt(why)) if src.len() <= budget => {
                let bytes = source::prefix(src, src.len()).map_err(|e| {
                    DecodeError::Corrupt(format!("GIF: the input cannot be read: {e}"))
                })?;
                match super::repaired_gif(&bytes) {
                    Some(fixed) => decode_image(Cursor::new(fixed), format, image_format, budget)?,
                    None => return Err(DecodeError::Corrupt(why)),
                }
            }
            other => other?,
        },
        _ => decode_image(buffered(src), format, image_format, budget)?,
    };
    let (width, height) = (image.width(), image.height());
    let (channels, data) = match image {
        // An opaque GIF (by its header) is RGB, as sharp reads it.
        other if format == Format::Gif && !header.has_alpha => (3, other.to_rgb8().into_raw()),
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
    if let (Some(profile), false) = (profile, wants.keep_profile) {
        super::icc::convert_to_srgb(&mut raster, &profile);
    }
    Ok(raster)
}

/// All of `src`, borrowed when it is in memory, else read into a `Vec`.
fn whole<'a>(
    src: &'a dyn Source,
    owned: &'a mut Vec<u8>,
    format: Format,
) -> Result<&'a [u8], DecodeError> {
    match src.as_slice() {
        Some(bytes) => Ok(bytes),
        None => {
            *owned = source::prefix(src, src.len()).map_err(|e| {
                DecodeError::Corrupt(format!(
                    "{}: the input cannot be read: {e}",
                    format.name().to_uppercase()
                ))
            })?;
            Ok(&owned[..])
        }
    }
}

/// AVIF, read whole (its items may lie anywhere in the file), decoded by rav1d, with
/// its ICC profile or wide-gamut nclx primaries converted to sRGB.
fn decode_avif(
    src: &dyn Source,
    limit_pixels: Option<u64>,
    cancel: &CancelFlag,
) -> Result<Raster, DecodeError> {
    let mut owned = Vec::new();
    let bytes = whole(src, &mut owned, Format::Avif)?;
    let decoded = avif::decode(bytes, limit_pixels, cancel)?;
    let mut raster = decoded.raster;
    match (decoded.icc, decoded.nclx) {
        (Some(profile), _) => super::icc::convert_to_srgb(&mut raster, &profile),
        (None, Some(nclx)) => {
            super::icc::convert_cicp_to_srgb(&mut raster, nclx.primaries, nclx.transfer)
        }
        (None, None) => {}
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

    use crate::testing::corpus;

    /// Two damaged GIFs whose screen is 0 pixels wide or high: the header is corrupt,
    /// in `probe` (metadata) as in the pipeline, never a size with a zero in it.
    #[test]
    fn a_zero_sized_gif_is_corrupt() {
        for path in [
            "pillow/Tests/images/zero_width.gif",
            "image-gif/tests/crashtest/issue-96-small-codesize.gif",
        ] {
            assert!(
                matches!(probe(&corpus(path)), Err(DecodeError::Corrupt(m)) if m.contains("size of")),
                "{path}"
            );
        }
    }

    /// Damage libnsgif tolerates is repaired (an unknown extension block, no colour
    /// table at all), with the pixels sharp reads from them; an opaque GIF is RGB and
    /// one with a transparent index RGBA, as sharp reports them.
    #[test]
    fn tolerable_gif_damage_is_read_and_alpha_follows_the_header() {
        let cancel = CancelFlag::new();
        for (path, pixel) in [
            (
                "image-gif/tests/regression/issue-209-extension-block-type.gif",
                [255, 255, 255],
            ),
            ("pillow/Tests/images/no_palette.gif", [0, 0, 0]),
        ] {
            let bytes = corpus(path);
            let header = probe(&bytes).expect(path);
            assert_eq!((header.width, header.height, header.channels), (1, 1, 3));
            let chunked = super::source::tests::Chunked::new(&bytes, 7);
            let raster =
                decode(&chunked, &header, 1, false, FailOn::Warning, None, &cancel).expect(path);
            assert_eq!(raster.data, pixel, "{path}");
        }
        let transparent = corpus("pillow/Tests/images/transparent.gif");
        let header = probe(&transparent).expect("transparent");
        assert!(header.has_alpha);
        let raster = decode(
            &transparent,
            &header,
            1,
            false,
            FailOn::Warning,
            None,
            &cancel,
        )
        .expect("transparent");
        assert_eq!(raster.channels, 4);
    }

    /// A fuzzed TIFF whose tags declare more data than the `tiff` crate reads for a
    /// header is corrupt, not "too large": no pixel count was ever read.
    #[test]
    fn a_tiff_header_over_the_tag_limits_is_corrupt() {
        let path = "image-tiff/tests/fuzz_images/divide_by_zero/id=000001,sig=06,src=000044,op=havoc,rep=64";
        assert!(
            matches!(probe(&corpus(path)), Err(DecodeError::Corrupt(m)) if m.contains("header declares"))
        );
    }

    /// BigTIFF, both byte orders, is read like TIFF.
    #[test]
    fn bigtiff_is_read() {
        let cancel = CancelFlag::new();
        for path in [
            "image-tiff/tests/images/bigtiff/BigTIFF.tif",
            "image-tiff/tests/images/bigtiff/BigTIFFMotorola.tif",
        ] {
            let bytes = corpus(path);
            let header = probe(&bytes).expect(path);
            assert_eq!(header.format, Format::Tiff);
            let raster =
                decode(&bytes, &header, 1, false, FailOn::Warning, None, &cancel).expect(path);
            // Read a piece at a time, as from a file: the same pixels.
            let chunked = super::source::tests::Chunked::new(&bytes, 4096);
            let streamed =
                decode(&chunked, &header, 1, false, FailOn::Warning, None, &cancel).expect(path);
            assert_eq!(streamed.data, raster.data, "{path}");
            assert_eq!((raster.width, raster.height), (header.width, header.height));
        }
    }

    /// A TIFF within the pixel limit decodes even when its samples are wide (RGBA with
    /// 32-bit floats, 16 bytes a pixel): only the pixel count refuses, not a decoder
    /// memory limit smaller than what the pixel limit allows.
    #[test]
    fn wide_tiff_samples_within_the_pixel_limit_decode() {
        use tiff::encoder::{colortype, TiffEncoder};
        let (w, h) = (2000u32, 1000u32);
        let pixels: Vec<f32> = (0..w * h * 4).map(|i| (i % 4) as f32 / 4.0).collect();
        let mut bytes = Vec::new();
        TiffEncoder::new(Cursor::new(&mut bytes))
            .expect("encoder")
            .write_image::<colortype::RGBA32Float>(w, h, &pixels)
            .expect("encodes");
        let header = probe(&bytes).expect("probes");
        let limit = Some(u64::from(w * h));
        check_limit(&header, limit).expect("within the limit");
        let cancel = CancelFlag::new();
        let raster = decode(&bytes, &header, 1, false, FailOn::Warning, limit, &cancel)
            .expect("decodes within the pixel limit");
        assert_eq!((raster.width, raster.height, raster.channels), (w, h, 4));
        assert!(check_limit(&header, Some(u64::from(w * h) - 1)).is_err());
    }
}
