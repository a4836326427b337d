//! Encoding a finished raster in the requested format, with sharp's defaults:
//! JPEG q80 (4:2:0, optimised Huffman), PNG (zlib level 6), WebP q80 lossy (or
//! lossless), AVIF q50, GIF (palette), TIFF. No metadata is written, so an EXIF
//! orientation never survives into the output.

use std::io::Cursor;

use image::codecs::avif::AvifEncoder;
use image::codecs::gif::GifEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::tiff::TiffEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbaImage};

use super::jpeg;
use super::options::Format;
use super::raster::{Raster, Rgba};

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

/// Encodes `raster`. Alpha is flattened onto `background` for JPEG.
pub fn encode(
    raster: &Raster,
    format: Format,
    quality: Option<u8>,
    lossless: bool,
    background: Rgba,
) -> Result<Vec<u8>, String> {
    let quality = quality.unwrap_or_else(|| default_quality(format));
    let (w, h) = (raster.width, raster.height);
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            let opaque;
            let src = if raster.has_alpha() {
                opaque = raster.with_channels(if raster.is_grey() { 1 } else { 3 }, background);
                &opaque
            } else {
                raster
            };
            return jpeg::encode(src, quality);
        }
        Format::Png | Format::Bmp => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
                .write_image(&raster.data, w, h, colour_type(raster.channels))
                .map_err(|e| e.to_string())?
        }
        Format::Webp => {
            // libwebp takes RGB or RGBA.
            let expanded;
            let src = if raster.is_grey() {
                expanded = raster.with_channels(if raster.has_alpha() { 4 } else { 3 }, background);
                &expanded
            } else {
                raster
            };
            let layout = if src.has_alpha() {
                webp::PixelLayout::Rgba
            } else {
                webp::PixelLayout::Rgb
            };
            let encoder = webp::Encoder::new(&src.data, layout, w, h);
            let memory = if lossless {
                encoder.encode_lossless()
            } else {
                encoder.encode(f32::from(quality))
            };
            out.extend_from_slice(&memory);
        }
        Format::Avif => {
            let expanded;
            let src = if raster.is_grey() {
                expanded = raster.with_channels(if raster.has_alpha() { 4 } else { 3 }, background);
                &expanded
            } else {
                raster
            };
            AvifEncoder::new_with_speed_quality(&mut out, 8, quality)
                .write_image(&src.data, w, h, colour_type(src.channels))
                .map_err(|e| e.to_string())?;
        }
        Format::Gif => {
            let rgba = RgbaImage::from_raw(w, h, raster.with_channels(4, background).data)
                .ok_or_else(|| "GIF: buffer size mismatch".to_owned())?;
            let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
            encoder
                .encode(rgba.as_raw(), w, h, ExtendedColorType::Rgba8)
                .map_err(|e| e.to_string())?;
        }
        Format::Tiff => {
            // The TIFF encoder has no grey+alpha layout: widen it to RGBA.
            let widened;
            let src = if raster.channels == 2 {
                widened = raster.with_channels(4, background);
                &widened
            } else {
                raster
            };
            let mut cursor = Cursor::new(&mut out);
            TiffEncoder::new(&mut cursor)
                .write_image(&src.data, w, h, colour_type(src.channels))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::decode;

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
            let bytes = encode(&raster, format, None, false, [0, 0, 0, 255]).expect("encodes");
            if format == Format::Avif {
                // AVIF is write-only here; check the container brand.
                assert_eq!(&bytes[4..12], b"ftypavif");
                continue;
            }
            let header = decode::probe(&bytes).expect("probes");
            assert_eq!(
                (header.format, header.width, header.height),
                (format, 33, 17),
                "{format:?}"
            );
        }
    }
}
