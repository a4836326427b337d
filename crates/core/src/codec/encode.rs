//! Encoding a finished raster in the requested format, with sharp's defaults and
//! encoder options ([`EncodeSettings`]): JPEG q80 (4:2:0, optimised Huffman; progressive,
//! 4:4:4 and MozJPEG's trellis on request), PNG (zlib level 6; palette on request), WebP
//! q80 lossy (or lossless, near-lossless), AVIF q50, GIF (a quantised palette), TIFF
//! (Deflate). Metadata is written only when asked for ([`encode_with_metadata`]:
//! `keepMetadata`, `keepExif`, `keepIccProfile`), with EXIF's orientation reset to 1
//! after auto-orient, so an orientation never applies twice.

use std::borrow::Cow;
use std::io::Cursor;

use image::codecs::avif::AvifEncoder;
use image::{ExtendedColorType, ImageEncoder};

use super::avif_encode;
use super::embedded::{self, Embedded};
use super::error::EncodeError;
use super::format::Format;
use super::jpeg;
use super::palette;
pub use super::settings::{ChromaSubsampling, EncodeSettings, TiffCompression};
use crate::raster::{Raster, Rgba};

/// The largest width or height each format can store.
pub fn max_dimension(format: Format) -> u32 {
    match format {
        Format::Jpeg | Format::Gif | Format::Avif => 65_535,
        Format::Webp => 16_383,
        Format::Png | Format::Bmp | Format::Vips | Format::Svg | Format::Tiff => i32::MAX as u32,
    }
}

/// Default quality per format when the caller gives none.
pub fn default_quality(format: Format) -> u8 {
    match format {
        Format::Avif => 50,
        _ => 80,
    }
}

/// sharp's default `effort` for WebP and AVIF.
pub const DEFAULT_EFFORT: u8 = 4;

/// The most `effort` each format takes (WebP: libwebp's method 0..=6; AVIF 0..=9).
pub fn max_effort(format: Format) -> u8 {
    match format {
        Format::Webp => 6,
        _ => 9,
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

/// Encodes `raster` as `format`, without metadata. Sizes the format cannot store are
/// refused up front with [`EncodeError::TooLarge`]; alpha is flattened onto the
/// background for JPEG.
pub fn encode(
    raster: &Raster,
    format: Format,
    settings: &EncodeSettings,
) -> Result<Vec<u8>, EncodeError> {
    encode_with_metadata(raster, format, settings, &Embedded::default())
}

/// Whether an ICC profile describes pixels of `channels`: an RGB profile for colour,
/// a grey one for grey (its colour space sits at bytes 16..20 of the header).
fn profile_fits(profile: &[u8], channels: u8) -> bool {
    let space = profile.get(16..20);
    if channels <= 2 {
        space == Some(b"GRAY")
    } else {
        space == Some(b"RGB ")
    }
}

/// [`encode`], writing the metadata of `meta` into JPEG, PNG and WebP (other formats
/// leave it out). The ICC profile is written only where it describes the encoded
/// channels (no RGB profile on a grey JPEG).
pub fn encode_with_metadata(
    raster: &Raster,
    format: Format,
    settings: &EncodeSettings,
    meta: &Embedded,
) -> Result<Vec<u8>, EncodeError> {
    let channels = encoded_channels(format, raster.channels);
    let fitting;
    let meta = if meta
        .icc
        .as_deref()
        .is_some_and(|p| !profile_fits(p, channels))
    {
        fitting = Embedded {
            icc: None,
            ..meta.clone()
        };
        &fitting
    } else {
        meta
    };
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
    let effort = settings
        .effort
        .unwrap_or(DEFAULT_EFFORT)
        .min(max_effort(format));
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            // No alpha in JPEG: flatten onto the background.
            let opaque = if raster.is_grey() { 1 } else { 3 };
            let jpeg_settings = jpeg::JpegSettings {
                progressive: settings.progressive,
                full_chroma: settings.chroma_subsampling == Some(ChromaSubsampling::Yuv444),
                mozjpeg: settings.mozjpeg,
            };
            return jpeg::encode_with(
                &with_channels(raster, opaque, background),
                quality,
                &jpeg_settings,
                meta,
            );
        }
        Format::Png | Format::Bmp | Format::Vips | Format::Svg => {
            encode_png(raster, settings, meta, &mut out)?
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
            let lossless = settings.lossless || settings.near_lossless;
            config.lossless = i32::from(lossless);
            config.alpha_compression = i32::from(!lossless);
            config.method = i32::from(effort);
            config.alpha_quality = i32::from(settings.alpha_quality.min(100));
            config.quality = if settings.lossless {
                75.0
            } else {
                f32::from(quality)
            };
            if settings.near_lossless && !settings.lossless {
                // libwebp's preprocessing level (100 is off), as libvips sets it: the quality.
                config.near_lossless = i32::from(quality);
            }
            let memory = webp::Encoder::new(&src.data, layout, w, h)
                .encode_advanced(&config)
                .map_err(|e| webp_failure(format, e))?;
            out = embedded::webp_with(&memory, w, h, meta);
        }
        Format::Avif => {
            // sharp's effort 0 (fastest) to 9 (slowest) onto ravif's speed 10 to 1.
            let speed = 10 - effort.min(9);
            let src = in_colour();
            if settings.chroma_subsampling == Some(ChromaSubsampling::Yuv420) {
                out = avif_encode::encode(&src, quality, speed)
                    .map_err(|e| EncodeError::library(format, e))?;
            } else {
                AvifEncoder::new_with_speed_quality(&mut out, speed, quality)
                    .write_image(&src.data, w, h, colour_type(src.channels))
                    .map_err(failed)?;
            }
        }
        Format::Gif => encode_gif(raster, settings, &mut out)?,
        Format::Tiff => {
            // `image` reads no grey+alpha TIFF back (the `tiff` crate calls it
            // "multiband"): widen that to RGBA.
            let src = if raster.channels == 2 {
                in_colour()
            } else {
                Cow::Borrowed(raster)
            };
            encode_tiff(&src, settings.tiff_compression, &mut out)?
        }
    }
    Ok(out)
}

/// The palette size for palette PNG: `colours`, scaled by `quality` when given (a
/// lower quality allows fewer colours, so smaller files), never under 2.
fn palette_size(settings: &EncodeSettings) -> usize {
    let colours = usize::from(settings.colours.clamp(2, 256));
    match settings.quality {
        Some(q) => (colours * usize::from(q.min(100))).div_ceil(100).max(2),
        None => colours,
    }
}

/// The smallest PNG bit depth for palette indices below `entries`, as libvips picks
/// it from `colours`.
fn index_depth(entries: usize) -> png::BitDepth {
    match entries {
        0..=2 => png::BitDepth::One,
        3..=4 => png::BitDepth::Two,
        5..=16 => png::BitDepth::Four,
        _ => png::BitDepth::Eight,
    }
}

/// `indices` (one byte each, rows of `width`) packed at `depth` bits, each row
/// starting on a byte, as PNG stores them.
fn pack_indices(indices: &[u8], width: usize, depth: png::BitDepth) -> Cow<'_, [u8]> {
    let bits = depth as usize;
    if bits == 8 {
        return Cow::Borrowed(indices);
    }
    let per_byte = 8 / bits;
    let row_bytes = width.div_ceil(per_byte);
    let mut packed = Vec::with_capacity(row_bytes * indices.len() / width.max(1));
    for row in indices.chunks(width.max(1)) {
        for group in row.chunks(per_byte) {
            let mut byte = 0u8;
            for (i, &index) in group.iter().enumerate() {
                byte |= index << (8 - bits * (i + 1));
            }
            packed.push(byte);
        }
    }
    Cow::Owned(packed)
}

/// PNG through the `png` crate: the raster as it is (grey, grey+alpha, RGB, RGBA) at
/// zlib `compression_level` with adaptive filtering, or, with `palette`, indexed at
/// the smallest bit depth for the palette (tRNS for entries with alpha).
fn encode_png(
    raster: &Raster,
    settings: &EncodeSettings,
    meta: &Embedded,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let failed = |e: png::EncodingError| EncodeError::library(Format::Png, e);
    let (w, h) = (raster.width, raster.height);
    let mut info = png::Info::with_size(w, h);
    info.icc_profile = meta.icc.as_deref().map(Cow::Borrowed);
    info.exif_metadata = meta.exif.as_deref().map(Cow::Borrowed);
    let mut encoder = png::Encoder::with_info(&mut *out, info).map_err(failed)?;
    if let Some(xmp) = meta
        .xmp
        .as_ref()
        .and_then(|x| String::from_utf8(x.clone()).ok())
    {
        encoder
            .add_itxt_chunk(embedded::XMP_KEYWORD.to_owned(), xmp)
            .map_err(failed)?;
    }
    encoder.set_deflate_compression(match settings.compression_level {
        0 => png::DeflateCompression::NoCompression,
        level => png::DeflateCompression::Level(level.min(9)),
    });
    encoder.set_filter(png::Filter::Adaptive);
    let indexed;
    let packed;
    let data: &[u8] = if settings.palette {
        let rgba = raster.with_channels(4, settings.background);
        indexed = palette::quantise(
            &rgba.data,
            w as usize,
            palette_size(settings),
            settings.dither,
            false,
        );
        let depth = index_depth(indexed.palette.len());
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(depth);
        let rgb: Vec<u8> = indexed
            .palette
            .iter()
            .flat_map(|c| [c[0], c[1], c[2]])
            .collect();
        encoder.set_palette(rgb);
        let alpha: Vec<u8> = indexed
            .palette
            .iter()
            .map(|c| c[3])
            .take_while(|&a| a < 255)
            .collect();
        if !alpha.is_empty() {
            encoder.set_trns(alpha);
        }
        packed = pack_indices(&indexed.indices, w as usize, depth);
        &packed
    } else {
        encoder.set_color(match raster.channels {
            1 => png::ColorType::Grayscale,
            2 => png::ColorType::GrayscaleAlpha,
            3 => png::ColorType::Rgb,
            _ => png::ColorType::Rgba,
        });
        encoder.set_depth(png::BitDepth::Eight);
        &raster.data
    };
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(data).map_err(failed)?;
    writer.finish().map_err(failed)
}

/// GIF through the `gif` crate: one frame, its palette quantised to `colours` with
/// `dither`, one transparent entry for pixels with alpha below half.
fn encode_gif(
    raster: &Raster,
    settings: &EncodeSettings,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let failed = |e: gif::EncodingError| EncodeError::library(Format::Gif, e);
    let rgba = with_channels(raster, 4, settings.background);
    let (w, h) = (raster.width as u16, raster.height as u16);
    let indexed = palette::quantise(
        &rgba.data,
        usize::from(w),
        usize::from(settings.colours.clamp(2, 256)),
        settings.dither,
        true,
    );
    // GIF palettes hold a power of two entries, at least 2.
    let mut colours: Vec<u8> = indexed
        .palette
        .iter()
        .flat_map(|c| [c[0], c[1], c[2]])
        .collect();
    let size = indexed.palette.len().next_power_of_two().max(2);
    colours.resize(size * 3, 0);
    let frame =
        gif::Frame::from_palette_pixels(w, h, indexed.indices, colours, indexed.transparent);
    let mut encoder = gif::Encoder::new(&mut *out, w, h, &[]).map_err(failed)?;
    encoder.write_frame(&frame).map_err(failed)
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
        Format::Png | Format::Tiff | Format::Bmp | Format::Vips | Format::Svg => channels,
    }
}

/// TIFF through the `tiff` crate, compressed as asked (Deflate and LZW with the
/// horizontal predictor, sharp's default, except for RGBA): grey, RGB or RGBA. The alpha of RGBA is
/// written as an extra sample with ExtraSamples = 2 (unassociated alpha, not
/// premultiplied): without that tag libtiff (and so sharp) refuses a fourth sample of
/// an RGB image.
fn encode_tiff(
    raster: &Raster,
    compression: TiffCompression,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    use tiff::encoder::{colortype, Compression, DeflateLevel, Predictor, TiffEncoder};
    use tiff::tags::ExtraSamples;
    let failed = |e: tiff::TiffError| EncodeError::library(Format::Tiff, e);
    let (w, h) = (raster.width, raster.height);
    let (compression, predictor) = match compression {
        TiffCompression::None => (Compression::Uncompressed, Predictor::None),
        TiffCompression::Lzw => (Compression::Lzw, Predictor::Horizontal),
        TiffCompression::Deflate => (
            Compression::Deflate(DeflateLevel::Balanced),
            Predictor::Horizontal,
        ),
        TiffCompression::Packbits => (Compression::Packbits, Predictor::None),
    };
    // RGBA goes out as RGB plus an extra sample, and the `tiff` crate's predictor
    // differences the colour type's 3 samples a pixel, not the 4 written: the alpha and
    // colour came back wrong (libtiff and image-rs alike). No predictor there.
    let predictor = if raster.channels == 4 {
        Predictor::None
    } else {
        predictor
    };
    let mut encoder = TiffEncoder::new(Cursor::new(out))
        .map_err(failed)?
        .with_compression(compression)
        .with_predictor(predictor);
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

    /// A photo-like test image: smooth gradients with a little deterministic noise.
    fn photo(w: u32, h: u32, channels: u8) -> Raster {
        let mut seed = 12345u32;
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let noise = seed >> 28;
                let px = [
                    ((x * 255 / w + noise) % 256) as u8,
                    ((y * 255 / h + noise) % 256) as u8,
                    (((x + y) * 128 / (w + h)) + noise) as u8,
                    ((x * 255 / w) as u8).saturating_add(40),
                ];
                data.extend_from_slice(&px[..usize::from(channels)]);
            }
        }
        Raster::new(w, h, channels, data).expect("sizes")
    }

    /// The JPEG markers up to the first scan: (SOF code, component sampling bytes).
    fn jpeg_frame(bytes: &[u8]) -> (u8, Vec<u8>) {
        let mut at = 2;
        loop {
            let code = bytes[at + 1];
            let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
            if matches!(code, 0xC0..=0xC2) {
                let n = usize::from(bytes[at + 9]);
                let sampling = (0..n).map(|c| bytes[at + 11 + 3 * c]).collect();
                return (code, sampling);
            }
            at += 2 + len;
        }
    }

    #[test]
    fn jpeg_progressive_chroma_and_mozjpeg() {
        let raster = photo(96, 64, 3);
        let encode_with =
            |settings: EncodeSettings| encode(&raster, Format::Jpeg, &settings).expect("encodes");
        let baseline = encode_with(EncodeSettings::default());
        assert_eq!(jpeg_frame(&baseline), (0xC0, vec![0x22, 0x11, 0x11]));
        let progressive = encode_with(EncodeSettings {
            progressive: true,
            ..EncodeSettings::default()
        });
        assert_eq!(jpeg_frame(&progressive).0, 0xC2);
        let full = encode_with(EncodeSettings {
            chroma_subsampling: Some(ChromaSubsampling::Yuv444),
            ..EncodeSettings::default()
        });
        assert_eq!(jpeg_frame(&full), (0xC0, vec![0x11, 0x11, 0x11]));
        let moz = encode_with(EncodeSettings {
            mozjpeg: true,
            progressive: true,
            ..EncodeSettings::default()
        });
        assert_eq!(jpeg_frame(&moz).0, 0xC2);
        let moz_baseline = encode_with(EncodeSettings {
            mozjpeg: true,
            ..EncodeSettings::default()
        });
        assert_eq!(jpeg_frame(&moz_baseline).0, 0xC0);
        for bytes in [&progressive, &full, &moz, &moz_baseline] {
            let header = probe(bytes).expect("probes");
            assert_eq!((header.width, header.height), (96, 64));
        }
    }

    /// Decodes a PNG with the `png` crate: (colour type, bit depth, RGBA8 pixels).
    fn read_png(bytes: &[u8]) -> (png::ColorType, png::BitDepth, Vec<u8>) {
        let decoder = png::Decoder::new(Cursor::new(bytes));
        let reader = decoder.read_info().expect("info");
        let info = reader.info();
        let kind = (info.color_type, info.bit_depth);
        let rgba = image::load_from_memory(bytes)
            .expect("decodes")
            .to_rgba8()
            .into_raw();
        (kind.0, kind.1, rgba)
    }

    #[test]
    fn png_levels_and_palette() {
        let raster = photo(128, 96, 4);
        let level = |compression_level| {
            encode(
                &raster,
                Format::Png,
                &EncodeSettings {
                    compression_level,
                    ..EncodeSettings::default()
                },
            )
            .expect("encodes")
        };
        let (none, fast, best) = (level(0), level(1), level(9));
        assert!(
            best.len() < fast.len() && fast.len() < none.len(),
            "{} {} {}",
            best.len(),
            fast.len(),
            none.len()
        );
        for bytes in [&none, &fast, &best] {
            assert_eq!(read_png(bytes).2, raster.data);
        }
        let palette = |colours, quality| {
            encode(
                &raster,
                Format::Png,
                &EncodeSettings {
                    palette: true,
                    colours,
                    quality,
                    dither: if quality.is_some() { 1.0 } else { 0.0 },
                    ..EncodeSettings::default()
                },
            )
            .expect("encodes")
        };
        let full = palette(256, None);
        let (kind, depth, rgba) = read_png(&full);
        assert_eq!(
            (kind, depth),
            (png::ColorType::Indexed, png::BitDepth::Eight)
        );
        assert!(
            full.len() < level(6).len(),
            "{} vs {}",
            full.len(),
            level(6).len()
        );
        // Close to the input, alpha included.
        let err = rgba
            .iter()
            .zip(&raster.data)
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum::<u64>() as f64
            / rgba.len() as f64;
        assert!(err < 6.0, "mean error {err}");
        let (kind, depth, _) = read_png(&palette(16, None));
        assert_eq!(
            (kind, depth),
            (png::ColorType::Indexed, png::BitDepth::Four)
        );
        // Quality 1 of 256 colours: 3 entries, 2-bit indices.
        let (_, depth, _) = read_png(&palette(256, Some(1)));
        assert_eq!(depth, png::BitDepth::Two);
    }

    #[test]
    fn tiff_is_compressed_losslessly() {
        use tiff::decoder::Decoder;
        use tiff::tags::Tag;
        let raster = photo(128, 96, 3);
        let tiff = |tiff_compression| {
            encode(
                &raster,
                Format::Tiff,
                &EncodeSettings {
                    tiff_compression,
                    ..EncodeSettings::default()
                },
            )
            .expect("encodes")
        };
        let none = tiff(TiffCompression::None);
        for (compression, code) in [
            (TiffCompression::Deflate, 8),
            (TiffCompression::Lzw, 5),
            (TiffCompression::Packbits, 32773),
            (TiffCompression::None, 1),
        ] {
            let bytes = tiff(compression);
            let mut d = Decoder::new(Cursor::new(&bytes)).expect("decoder");
            assert_eq!(d.get_tag_u32(Tag::Compression).expect("tag"), code);
            let pixels = image::load_from_memory(&bytes)
                .expect("decodes")
                .to_rgb8()
                .into_raw();
            assert_eq!(pixels, raster.data, "{compression:?}");
            if matches!(compression, TiffCompression::Deflate | TiffCompression::Lzw) {
                assert!(
                    bytes.len() < none.len() * 3 / 4,
                    "{compression:?}: {}",
                    bytes.len()
                );
            }
        }
        assert_eq!(
            tiff(TiffCompression::default()),
            tiff(TiffCompression::Deflate)
        );
    }

    #[test]
    fn gif_colours_and_transparency() {
        let mut raster = photo(64, 48, 3).with_channels(4, [0, 0, 0, 255]);
        raster.data[3] = 0;
        let bytes = encode(
            &raster,
            Format::Gif,
            &EncodeSettings {
                colours: 16,
                dither: 0.0,
                ..EncodeSettings::default()
            },
        )
        .expect("encodes");
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::Indexed);
        let mut decoder = options.read_info(Cursor::new(&bytes)).expect("gif");
        let frame = decoder
            .read_next_frame()
            .expect("frame")
            .expect("one frame")
            .clone();
        let palette = frame
            .palette
            .clone()
            .or_else(|| decoder.global_palette().map(<[u8]>::to_vec));
        assert!(palette.expect("palette").len() <= 16 * 3);
        let t = frame.transparent.expect("transparent index");
        assert_eq!(frame.buffer[0], t);
        assert!(frame.buffer[1..].iter().all(|&i| i != t));
    }

    #[test]
    fn webp_effort_near_lossless_and_alpha_quality() {
        let raster = photo(64, 48, 4);
        let webp = |settings: EncodeSettings| {
            let bytes = encode(&raster, Format::Webp, &settings).expect("encodes");
            let pixels = image::load_from_memory(&bytes)
                .expect("decodes")
                .to_rgba8()
                .into_raw();
            (bytes, pixels)
        };
        let (_, lossless) = webp(EncodeSettings {
            lossless: true,
            ..EncodeSettings::default()
        });
        assert_eq!(lossless, raster.data);
        let (near, near_pixels) = webp(EncodeSettings {
            near_lossless: true,
            quality: Some(40),
            ..EncodeSettings::default()
        });
        // VP8L (lossless bitstream), pixels changed by the preprocessing.
        assert_eq!(&near[12..16], b"VP8L");
        assert_ne!(near_pixels, raster.data);
        for effort in [0, 6] {
            let (bytes, _) = webp(EncodeSettings {
                effort: Some(effort),
                alpha_quality: 50,
                ..EncodeSettings::default()
            });
            assert_eq!(probe(&bytes).expect("probes").width, 64);
        }
    }
}
