//! Tiled TIFFs with separate planes (PlanarConfiguration = 2 and TileWidth set).
//!
//! `image` reads TIFF through the `tiff` crate's whole-image readout, which panics on
//! these files (tiff 0.11: an assertion on the buffer of an edge tile, because a
//! tile's padding is computed from its index as if every plane were the first). So
//! they are assembled here, one tile of one plane at a time, with `read_chunk`, which
//! sizes each tile's buffer itself; rows and columns past the image's edge are dropped.
//!
//! Invariant: nothing larger than `max_bytes` is allocated for the assembled image, and
//! every index into a tile or the image is checked, so a lying file gives an error.

use std::io::{Read, Seek};

use image::{DynamicImage, ImageBuffer};
use tiff::decoder::{ChunkType, Decoder, DecodingResult, Limits};
use tiff::tags::{PlanarConfiguration, Tag};
use tiff::ColorType;

use super::error::DecodeError;

/// Whether `bytes` is a TIFF whose first image is tiled with separate planes.
pub(crate) fn is_tiled_planar<R: Read + Seek>(input: R) -> bool {
    let Ok(mut d) = Decoder::new(input) else {
        return false;
    };
    let planar = d
        .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
        .ok()
        .flatten();
    planar == Some(PlanarConfiguration::Planar.to_u16()) && d.get_chunk_type() == ChunkType::Tile
}

pub(super) fn corrupt(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Corrupt(format!("TIFF: {e}"))
}

pub(super) fn from_tiff(e: tiff::TiffError) -> DecodeError {
    match e {
        tiff::TiffError::UnsupportedError(u) => DecodeError::Unsupported(format!("TIFF: {u}")),
        tiff::TiffError::LimitsExceeded => DecodeError::LimitExceeded(
            "TIFF: decoding needs more memory than limitInputPixels allows".into(),
        ),
        other => corrupt(other),
    }
}

/// One sample type of the assembled image.
trait Sample: Copy + Default {
    fn take(result: DecodingResult) -> Option<Vec<Self>>;
}
impl Sample for u8 {
    fn take(result: DecodingResult) -> Option<Vec<Self>> {
        match result {
            DecodingResult::U8(v) => Some(v),
            _ => None,
        }
    }
}
impl Sample for u16 {
    fn take(result: DecodingResult) -> Option<Vec<Self>> {
        match result {
            DecodingResult::U16(v) => Some(v),
            _ => None,
        }
    }
}

/// Interleaves `samples` planes of tiles into one `width x height x samples` buffer.
fn assemble<T: Sample, R: Read + Seek>(
    d: &mut Decoder<R>,
    (width, height): (u32, u32),
    samples: usize,
) -> Result<Vec<T>, DecodeError> {
    let (w, h) = (width as usize, height as usize);
    let (tw, th) = d.chunk_dimensions();
    let (tw, th) = (tw as usize, th as usize);
    if tw == 0 || th == 0 {
        return Err(corrupt("tile size is zero"));
    }
    let across = w.div_ceil(tw);
    let down = h.div_ceil(th);
    let per_plane = across * down;
    let tiles = d.tile_count().map_err(from_tiff)? as usize;
    if tiles < per_plane * samples {
        return Err(corrupt(format!(
            "{tiles} tiles, but {samples} planes of {per_plane} are needed"
        )));
    }
    let mut out = vec![T::default(); w * h * samples];
    for plane in 0..samples {
        for tile in 0..per_plane {
            let index = u32::try_from(plane * per_plane + tile).map_err(corrupt)?;
            let data = T::take(d.read_chunk(index).map_err(from_tiff)?)
                .ok_or_else(|| corrupt("tile samples are not of the image's type"))?;
            let (x0, y0) = ((tile % across) * tw, (tile / across) * th);
            // The tile as stored in the buffer: its width without right padding, and
            // whatever rows the decoder returned (the bottom padding may be included).
            let cols = tw.min(w - x0);
            let rows = (data.len() / cols).min(th).min(h - y0);
            for r in 0..rows {
                let src = &data[r * cols..(r + 1) * cols];
                let row_start = ((y0 + r) * w + x0) * samples + plane;
                for (c, &v) in src.iter().enumerate() {
                    out[row_start + c * samples] = v;
                }
            }
        }
    }
    Ok(out)
}

/// Decodes a tiled planar TIFF (see [`is_tiled_planar`]) into an 8- or 16-bit grey or
/// RGB image, with or without alpha, and its ICC profile. Other sample layouts are
/// refused as unsupported. `max_bytes` bounds the assembled image and the decoder's
/// buffers.
pub(crate) fn decode<R: Read + Seek>(
    input: R,
    max_bytes: u64,
) -> Result<(DynamicImage, Option<Vec<u8>>), DecodeError> {
    let mut limits = Limits::default();
    let cap = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    limits.decoding_buffer_size = cap;
    limits.intermediate_buffer_size = cap;
    let mut d = Decoder::new(input).map_err(from_tiff)?.with_limits(limits);
    let (width, height) = d.dimensions().map_err(from_tiff)?;
    let colour = d.colortype().map_err(from_tiff)?;
    let (samples, bits) = match colour {
        ColorType::Gray(b) => (1, b),
        ColorType::GrayA(b) => (2, b),
        ColorType::RGB(b) => (3, b),
        ColorType::RGBA(b) => (4, b),
        other => {
            return Err(DecodeError::Unsupported(format!(
                "TIFF: tiled planar {other:?} is not supported"
            )))
        }
    };
    // One SampleFormat per sample; 1 (unsigned integer) is the default.
    let formats = d
        .find_tag_unsigned_vec::<u16>(Tag::SampleFormat)
        .map_err(from_tiff)?
        .unwrap_or_default();
    if formats.iter().any(|&f| f != 1) || !(bits == 8 || bits == 16) {
        return Err(DecodeError::Unsupported(format!(
            "TIFF: tiled planar {bits}-bit samples of format {formats:?} are not supported"
        )));
    }
    let need = u64::from(width) * u64::from(height) * samples as u64 * u64::from(bits / 8);
    if need > max_bytes {
        return Err(DecodeError::LimitExceeded(format!(
            "TIFF: decoding needs {need} bytes, more than limitInputPixels allows"
        )));
    }
    let profile = d.get_tag_u8_vec(Tag::IccProfile).ok();
    let dims = (width, height);
    let mismatch = || corrupt("assembled size does not match the header");
    let image = if bits == 8 {
        super::tiff_samples::image8(
            width,
            height,
            samples,
            assemble::<u8, _>(&mut d, dims, samples)?,
        )?
    } else {
        let data = assemble::<u16, _>(&mut d, dims, samples)?;
        match samples {
            1 => DynamicImage::ImageLuma16(
                ImageBuffer::from_raw(width, height, data).ok_or_else(mismatch)?,
            ),
            2 => DynamicImage::ImageLumaA16(
                ImageBuffer::from_raw(width, height, data).ok_or_else(mismatch)?,
            ),
            3 => DynamicImage::ImageRgb16(
                ImageBuffer::from_raw(width, height, data).ok_or_else(mismatch)?,
            ),
            _ => DynamicImage::ImageRgba16(
                ImageBuffer::from_raw(width, height, data).ok_or_else(mismatch)?,
            ),
        }
    };
    Ok((image, profile))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn corpus(name: &str) -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../__test__/corpora/pillow/Tests/images/"
        );
        std::fs::read(format!("{path}{name}")).expect("corpus file")
    }

    /// Pillow's tiled planar files against their strip planar twins (same pixels,
    /// stored in strips, which `image` reads correctly).
    #[test]
    fn tiled_planar_matches_the_strip_twin() {
        for (tiled, strip) in [
            (
                "tiff_tiled_planar_16bit_RGB.tiff",
                "tiff_strip_planar_16bit_RGB.tiff",
            ),
            ("tiff_tiled_planar_lzw.tiff", "tiff_strip_planar_lzw.tiff"),
            ("tiff_tiled_planar_raw.tif", "tiff_strip_planar_lzw.tiff"),
        ] {
            let bytes = corpus(tiled);
            assert!(is_tiled_planar(Cursor::new(&bytes)), "{tiled}");
            let (image, _) = decode(Cursor::new(&bytes), 1 << 30).expect(tiled);
            let twin = image::load_from_memory(&corpus(strip)).expect(strip);
            assert_eq!(
                (image.width(), image.height()),
                (twin.width(), twin.height()),
                "{tiled}"
            );
            assert_eq!(
                image.to_rgba16().into_raw(),
                twin.to_rgba16().into_raw(),
                "{tiled}"
            );
        }
        let rgba = corpus("tiff_tiled_planar_16bit_RGBa.tiff");
        let (image, _) = decode(Cursor::new(&rgba), 1 << 30).expect("RGBa");
        assert_eq!(
            (image.width(), image.height(), image.color().has_alpha()),
            (100, 40, true)
        );
        assert!(!is_tiled_planar(Cursor::new(corpus(
            "tiff_strip_planar_lzw.tiff"
        ))));
    }

    #[test]
    fn the_byte_budget_is_kept() {
        let bytes = corpus("tiff_tiled_planar_raw.tif");
        assert!(matches!(
            decode(Cursor::new(&bytes), 1000),
            Err(DecodeError::LimitExceeded(_))
        ));
    }
}
