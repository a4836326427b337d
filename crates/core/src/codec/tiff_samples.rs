//! TIFFs whose samples `image` refuses, read with the `tiff` crate directly and brought
//! to 8 bits: grey at 1 to 7 bits (packed MSB first in rows padded to a byte), 32- and
//! 64-bit unsigned integers, signed integers, and 16- and 64-bit floats. (RGB at packed
//! depths such as 2, 10 or 12 bits is one the `tiff` crate refuses, so it stays so.)
//!
//! The `tiff` crate still does the decompression, the predictors and the byte order;
//! this module only turns its samples into 8-bit ones:
//! - unsigned n-bit `v` becomes `round(v · 255 / (2ⁿ − 1))`;
//! - signed n-bit values are offset by `2ⁿ⁻¹` first (the full signed range maps to
//!   0..=255, so zero is mid-grey);
//! - floats are taken as 0.0..=1.0 and clamped, as `image` takes 32-bit float TIFFs;
//! - `WhiteIsZero` grey is inverted (alpha never is).
//!
//! Grey, grey+alpha, RGB and RGBA with interleaved samples, and palettes of 1 to 8 bits
//! (which the `tiff` crate refuses: read here as grey indices from a copy of the file
//! whose first IFD says MinIsBlack, then looked up in the ColorMap); other layouts
//! (planes stored apart, YCbCr, CMYK, Lab) stay unsupported. Invariant:
//! nothing larger than `max_bytes` is allocated for the samples.

use std::io::{Read, Seek};

use image::{DynamicImage, ImageBuffer};
use tiff::decoder::{Decoder, Limits};
use tiff::tags::Tag;
use tiff::ColorType;

use super::error::DecodeError;
use super::tiff_planar::{corrupt, from_tiff};

/// How the file stores each sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Unsigned,
    Signed,
    Float,
    /// 8-bit YCbCr out of JPEG-compressed strips or tiles (the `tiff` crate leaves the
    /// JPEG's colour space as it is): converted to RGB with JFIF's full-range BT.601.
    YCbCr,
}

/// TIFF's Compression value for JPEG (the "new-style" JPEG of TIFF 6 technote 2).
const JPEG_COMPRESSION: u16 = 7;

/// An 8-bit image of `samples` (1 to 4) interleaved channels.
pub(super) fn image8(
    width: u32,
    height: u32,
    samples: usize,
    data: Vec<u8>,
) -> Result<DynamicImage, DecodeError> {
    let mismatch = || corrupt("decoded size does not match the header");
    Ok(match samples {
        1 => DynamicImage::ImageLuma8(
            ImageBuffer::from_raw(width, height, data).ok_or_else(mismatch)?,
        ),
        2 => DynamicImage::ImageLumaA8(
            ImageBuffer::from_raw(width, height, data).ok_or_else(mismatch)?,
        ),
        3 => DynamicImage::ImageRgb8(
            ImageBuffer::from_raw(width, height, data).ok_or_else(mismatch)?,
        ),
        _ => DynamicImage::ImageRgba8(
            ImageBuffer::from_raw(width, height, data).ok_or_else(mismatch)?,
        ),
    })
}

/// A half-precision float's value (the bits as stored, native order).
fn f16_to_f32(bits: u16) -> f32 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f32::from(bits & 0x3ff);
    sign * match exponent {
        0 => mantissa * (2f32).powi(-24),
        31 if mantissa == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        e => (1.0 + mantissa / 1024.0) * (2f32).powi(e - 15),
    }
}

/// A float sample in 0..=1 to 8 bits (NaN is 0).
fn float8(v: f64) -> u8 {
    if v.is_nan() {
        return 0;
    }
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// An unsigned `bits`-bit value (already offset, for signed samples) to 8 bits.
fn scale8(v: u64, bits: u8) -> u8 {
    let max = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    ((v as f64) * 255.0 / (max as f64)).round() as u8
}

/// The samples of rows packed at `bits` per sample, MSB first, each row padded to a
/// whole byte: `row_samples` values per row, unsigned.
fn unpack(
    bytes: &[u8],
    rows: usize,
    row_samples: usize,
    bits: u8,
) -> Result<Vec<u64>, DecodeError> {
    let row_bytes = (row_samples * usize::from(bits)).div_ceil(8);
    if bytes.len() < rows * row_bytes {
        return Err(corrupt("fewer sample bytes than the image needs"));
    }
    let mut out = Vec::with_capacity(rows * row_samples);
    for row in bytes.chunks_exact(row_bytes).take(rows) {
        let mut bit = 0usize;
        for _ in 0..row_samples {
            let mut v = 0u64;
            for _ in 0..bits {
                let b = (row[bit / 8] >> (7 - bit % 8)) & 1;
                v = (v << 1) | u64::from(b);
                bit += 1;
            }
            out.push(v);
        }
    }
    Ok(out)
}

/// Native-order samples of `size` bytes each, as unsigned integers of that size.
fn native(bytes: &[u8], size: usize) -> impl Iterator<Item = u64> + '_ {
    bytes.chunks_exact(size).map(move |c| match size {
        1 => u64::from(c[0]),
        2 => u64::from(u16::from_ne_bytes([c[0], c[1]])),
        4 => u64::from(u32::from_ne_bytes([c[0], c[1], c[2], c[3]])),
        _ => u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
    })
}

/// What this module reads of a TIFF's first image: its size, channels and samples.
struct Layout {
    width: u32,
    height: u32,
    samples: usize,
    bits: u8,
    kind: Kind,
}

/// The first image's layout, or `Unsupported` when this module cannot read it.
fn layout<R: Read + Seek>(d: &mut Decoder<R>) -> Result<Layout, DecodeError> {
    let (width, height) = d.dimensions().map_err(from_tiff)?;
    let compression = d
        .find_tag_unsigned::<u16>(Tag::Compression)
        .map_err(from_tiff)?;
    let mut ycbcr = false;
    let (samples, bits) = match d.colortype().map_err(from_tiff)? {
        ColorType::Gray(b) => (1usize, b),
        ColorType::GrayA(b) => (2, b),
        ColorType::RGB(b) => (3, b),
        ColorType::RGBA(b) => (4, b),
        // Grey with one extra sample of unspecified meaning: taken as alpha, as libvips
        // takes it.
        ColorType::Multiband {
            bit_depth: b,
            num_samples: 2,
        } => (2, b),
        ColorType::YCbCr(8) if compression == Some(JPEG_COMPRESSION) => {
            ycbcr = true;
            (3, 8)
        }
        other => {
            return Err(DecodeError::Unsupported(format!(
                "TIFF: {other:?} samples are not supported"
            )))
        }
    };
    let planar = d
        .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
        .map_err(from_tiff)?;
    if samples > 1 && planar == Some(2) {
        return Err(DecodeError::Unsupported(format!(
            "TIFF: {bits}-bit samples in separate planes are not supported"
        )));
    }
    let format = d
        .find_tag_unsigned_vec::<u16>(Tag::SampleFormat)
        .map_err(from_tiff)?
        .unwrap_or_default();
    let kind = match format.first().copied().unwrap_or(1) {
        _ if format.windows(2).any(|w| w[0] != w[1]) => None,
        1 => Some(Kind::Unsigned),
        2 => Some(Kind::Signed),
        3 => Some(Kind::Float),
        _ => None,
    };
    let kind = match kind {
        Some(Kind::Unsigned) if ycbcr => Kind::YCbCr,
        // The `tiff` crate reads packed depths for grey only.
        Some(Kind::Unsigned) if matches!(bits, 8 | 16 | 32 | 64) || (samples == 1 && bits < 8) => {
            Kind::Unsigned
        }
        Some(Kind::Signed) if matches!(bits, 8 | 16 | 32 | 64) => Kind::Signed,
        Some(Kind::Float) if matches!(bits, 16 | 32 | 64) => Kind::Float,
        _ => {
            return Err(DecodeError::Unsupported(format!(
                "TIFF: {bits}-bit samples of format {format:?} are not supported"
            )))
        }
    };
    Ok(Layout {
        width,
        height,
        samples,
        bits,
        kind,
    })
}

/// The size, channels and EXIF-style orientation of a TIFF this module reads (for
/// headers `image` refuses).
pub(crate) fn probe<R: Read + Seek>(input: R) -> Result<(u32, u32, u8, u16), DecodeError> {
    let mut d = Decoder::new(input).map_err(from_tiff)?;
    let l = layout(&mut d)?;
    let orientation = d
        .find_tag_unsigned::<u16>(Tag::Orientation)
        .ok()
        .flatten()
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);
    Ok((l.width, l.height, l.samples as u8, orientation))
}

/// Decodes the first image of a TIFF whose samples `image` refuses (see the module
/// docs) into an 8-bit image, with its ICC profile.
pub(crate) fn decode<R: Read + Seek>(
    input: R,
    max_bytes: u64,
) -> Result<(DynamicImage, Option<Vec<u8>>), DecodeError> {
    let mut limits = Limits::default();
    let cap = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    limits.decoding_buffer_size = cap;
    limits.intermediate_buffer_size = cap;
    let mut d = Decoder::new(input).map_err(from_tiff)?.with_limits(limits);
    let Layout {
        width,
        height,
        samples,
        bits,
        kind,
    } = layout(&mut d)?;
    let aligned = matches!(bits, 8 | 16 | 32 | 64);
    let (w, h) = (width as usize, height as usize);
    let count = w * h * samples;
    let need = count as u64 * u64::from(bits).div_ceil(8);
    if need > max_bytes {
        return Err(DecodeError::LimitExceeded(format!(
            "TIFF: decoding needs {need} bytes, more than limitInputPixels allows"
        )));
    }
    let white_is_zero = d
        .find_tag_unsigned::<u16>(Tag::PhotometricInterpretation)
        .map_err(from_tiff)?
        == Some(0);
    let profile = d.get_tag_u8_vec(Tag::IccProfile).ok();
    let mut result = d.read_image().map_err(from_tiff)?;
    let buffer = result.as_buffer(0);
    let bytes = buffer.as_bytes();
    let size = usize::from(bits.div_ceil(8)).next_power_of_two();
    let mut data: Vec<u8> = if aligned {
        if bytes.len() < count * size {
            return Err(corrupt("fewer sample bytes than the image needs"));
        }
        let values = native(bytes, size).take(count);
        match kind {
            Kind::Unsigned => values.map(|v| scale8(v, bits)).collect(),
            Kind::YCbCr => {
                let ycc: Vec<u8> = values.map(|v| v as u8).collect();
                ycbcr_to_rgb(&ycc)
            }
            Kind::Signed => {
                let offset = 1u64 << (bits - 1);
                values
                    .map(|v| scale8(v.wrapping_add(offset) & mask(bits), bits))
                    .collect()
            }
            Kind::Float => values
                .map(|v| match bits {
                    16 => float8(f64::from(f16_to_f32(v as u16))),
                    32 => float8(f64::from(f32::from_bits(v as u32))),
                    _ => float8(f64::from_bits(v)),
                })
                .collect(),
        }
    } else {
        unpack(bytes, h, w * samples, bits)?
            .into_iter()
            .map(|v| scale8(v, bits))
            .collect()
    };
    if white_is_zero {
        let colour = if samples == 2 { 1 } else { samples };
        for px in data.chunks_exact_mut(samples) {
            for v in &mut px[..colour] {
                *v = 255 - *v;
            }
        }
    }
    Ok((image8(width, height, samples, data)?, profile))
}

/// PhotometricInterpretation values.
const MIN_IS_BLACK: u16 = 1;
const PALETTE: u16 = 3;

/// A copy of `bytes` whose first IFD's PhotometricInterpretation is MinIsBlack instead of
/// Palette (classic or BigTIFF, either byte order), or `None` when it is not a palette
/// TIFF with that tag stored inline as one SHORT.
fn as_grey_indices(bytes: &[u8]) -> Option<Vec<u8>> {
    let big_endian = match bytes.get(..2)? {
        b"II" => false,
        b"MM" => true,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = [*bytes.get(at)?, *bytes.get(at + 1)?];
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u64_at = |at: usize, n: usize| -> Option<u64> {
        let b = bytes.get(at..at + n)?;
        Some(b.iter().enumerate().fold(0u64, |v, (i, &x)| {
            let shift = if big_endian { 8 * (n - 1 - i) } else { 8 * i };
            v | (u64::from(x) << shift)
        }))
    };
    // Classic TIFF: 4-byte offsets, 2-byte entry counts, 12-byte entries; BigTIFF: 8, 8, 20.
    let (ifd, count_len, entry_len, value_at) = match u16_at(2)? {
        42 => (u64_at(4, 4)?, 2, 12, 8),
        43 => (u64_at(8, 8)?, 8, 20, 12),
        _ => return None,
    };
    let ifd = usize::try_from(ifd).ok()?;
    let entries = usize::try_from(u64_at(ifd, count_len)?).ok()?;
    for i in 0..entries.min(4096) {
        let entry = ifd + count_len + i * entry_len;
        if u16_at(entry)? != Tag::PhotometricInterpretation.to_u16() {
            continue;
        }
        // Type SHORT (3), one value, inline: the value is the entry's first two bytes.
        let count = u64_at(entry + 4, if entry_len == 12 { 4 } else { 8 })?;
        if u16_at(entry + 2)? != 3 || count != 1 || u16_at(entry + value_at)? != PALETTE {
            return None;
        }
        let mut copy = bytes.to_vec();
        let v = if big_endian {
            MIN_IS_BLACK.to_be_bytes()
        } else {
            MIN_IS_BLACK.to_le_bytes()
        };
        copy[entry + value_at..entry + value_at + 2].copy_from_slice(&v);
        return Some(copy);
    }
    None
}

/// The colour map of a palette TIFF of `bits`-bit indices, as 8-bit RGB triples.
fn colour_map<R: Read + Seek>(d: &mut Decoder<R>, bits: u8) -> Result<Vec<[u8; 3]>, DecodeError> {
    let map = d
        .find_tag_unsigned_vec::<u16>(Tag::ColorMap)
        .map_err(from_tiff)?
        .ok_or_else(|| corrupt("a palette image without a ColorMap"))?;
    let n = 1usize << bits;
    if map.len() != 3 * n {
        return Err(corrupt(format!(
            "ColorMap holds {} values, not 3 x {n}",
            map.len()
        )));
    }
    let to8 = |v: u16| ((u32::from(v) + 128) / 257) as u8;
    Ok((0..n)
        .map(|i| [to8(map[i]), to8(map[n + i]), to8(map[2 * n + i])])
        .collect())
}

/// The size of a palette TIFF this module reads, as [`probe`] gives it.
pub(crate) fn probe_palette(bytes: &[u8]) -> Result<(u32, u32, u8, u16), DecodeError> {
    let grey = as_grey_indices(bytes).ok_or_else(|| DecodeError::Unsupported("TIFF".into()))?;
    let (w, h, _, orientation) = probe(std::io::Cursor::new(&grey))?;
    Ok((w, h, 3, orientation))
}

/// Decodes a palette TIFF of 1- to 8-bit indices into RGB (see the module docs).
pub(crate) fn decode_palette(
    bytes: &[u8],
    max_bytes: u64,
) -> Result<(DynamicImage, Option<Vec<u8>>), DecodeError> {
    let grey = as_grey_indices(bytes).ok_or_else(|| DecodeError::Unsupported("TIFF".into()))?;
    let mut d = Decoder::new(std::io::Cursor::new(&grey)).map_err(from_tiff)?;
    let l = layout(&mut d)?;
    if l.samples != 1 || l.bits > 8 || l.kind != Kind::Unsigned {
        return Err(DecodeError::Unsupported(format!(
            "TIFF: {}-bit palettes of {} samples are not supported",
            l.bits, l.samples
        )));
    }
    let (w, h) = (l.width as usize, l.height as usize);
    let need = (w * h * 3) as u64;
    if need > max_bytes {
        return Err(DecodeError::LimitExceeded(format!(
            "TIFF: decoding needs {need} bytes, more than limitInputPixels allows"
        )));
    }
    let map = colour_map(&mut d, l.bits)?;
    let profile = d.get_tag_u8_vec(Tag::IccProfile).ok();
    let mut result = d.read_image().map_err(from_tiff)?;
    let buffer = result.as_buffer(0);
    let indices: Vec<u64> = if l.bits == 8 {
        let bytes = buffer.as_bytes();
        if bytes.len() < w * h {
            return Err(corrupt("fewer sample bytes than the image needs"));
        }
        bytes[..w * h].iter().map(|&v| u64::from(v)).collect()
    } else {
        unpack(buffer.as_bytes(), h, w, l.bits)?
    };
    let mut data = Vec::with_capacity(w * h * 3);
    for i in indices {
        // Indices are below 2^bits, the map's length.
        data.extend_from_slice(&map[i as usize]);
    }
    Ok((image8(l.width, l.height, 3, data)?, profile))
}

/// JFIF's full-range BT.601 YCbCr to RGB, three samples a pixel.
fn ycbcr_to_rgb(ycc: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ycc.len());
    for px in ycc.chunks_exact(3) {
        let (y, cb, cr) = (
            f32::from(px[0]),
            f32::from(px[1]) - 128.0,
            f32::from(px[2]) - 128.0,
        );
        let to8 = |v: f32| (v + 0.5).clamp(0.0, 255.0) as u8;
        out.extend_from_slice(&[
            to8(y + 1.402 * cr),
            to8(y - 0.344_136 * cb - 0.714_136 * cr),
            to8(y + 1.772 * cb),
        ]);
    }
    out
}

/// The low `bits` bits set.
fn mask(bits: u8) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    use crate::testing::corpus;

    #[test]
    fn packed_samples_unpack_msb_first_per_row() {
        // Two rows of three 2-bit samples: 0b00_01_10 (pad 00), 0b11_00_01 (pad 00).
        let v = unpack(&[0b0001_1000, 0b1100_0100], 2, 3, 2).expect("fits");
        assert_eq!(v, vec![0, 1, 2, 3, 0, 1]);
        assert_eq!(scale8(3, 2), 255);
        assert_eq!(scale8(1, 2), 85);
        assert_eq!(scale8(4095, 12), 255);
        assert!(unpack(&[0], 2, 3, 2).is_err());
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0x3800), 0.5);
        assert_eq!(float8(0.5), 128);
        assert_eq!(float8(f64::NAN), 0);
    }

    /// The libtiff pictures of one flower at many depths: each decodes to the size of
    /// the 8-bit one, and close to its pixels.
    #[test]
    fn the_flower_at_other_depths_looks_like_the_8_bit_one() {
        let dir = "image-tiff/tests/libtiffpic/depth/";
        let load8 = |name: &str| {
            image::load_from_memory(&corpus(&format!("{dir}{name}"))).expect("8-bit flower")
        };
        for (name, reference, allowed) in [
            // Two bits keep four levels, four bits sixteen (measured 44, 8.0, 1.6, 0.48,
            // 0.49 levels): far from 8 bits at 2 and 4, but the same picture.
            ("flower-minisblack-02.tif", "flower-minisblack-08.tif", 50.0),
            ("flower-minisblack-04.tif", "flower-minisblack-08.tif", 10.0),
            ("flower-minisblack-06.tif", "flower-minisblack-08.tif", 3.0),
            ("flower-minisblack-32.tif", "flower-minisblack-08.tif", 1.5),
            ("flower-rgb-contig-32.tif", "flower-rgb-contig-08.tif", 1.5),
        ] {
            let (image, _) = decode(Cursor::new(corpus(&format!("{dir}{name}"))), 1 << 30)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let (ours, theirs) = (image.to_rgb8(), load8(reference).to_rgb8());
            assert_eq!(ours.dimensions(), theirs.dimensions(), "{name}");
            let diff = ours
                .as_raw()
                .iter()
                .zip(theirs.as_raw())
                .map(|(&a, &b)| f64::from(a.abs_diff(b)))
                .sum::<f64>()
                / ours.as_raw().len() as f64;
            assert!(diff < allowed, "{name}: mean difference {diff}");
        }
    }

    #[test]
    fn float_and_signed_samples_decode() {
        // image-tiff's half-float pattern (1.0, and below 0.001 elsewhere, as its own tests
        // check), with either predictor: white and black only, both present.
        for name in ["white-fp16-pred2.tiff", "white-fp16-pred3.tiff"] {
            let bytes = corpus(&format!("image-tiff/tests/images/{name}"));
            let (image, _) =
                decode(Cursor::new(&bytes), 1 << 30).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let px = image.to_luma8().into_raw();
            assert!(px.iter().all(|&v| v == 0 || v == 255), "{name}");
            assert!(px.contains(&0) && px.contains(&255), "{name}");
        }
        // Pillow's signed 8- and 16-bit greys decode; the 8-bit one is a picture.
        let load = |name: &str| {
            decode(
                Cursor::new(corpus(&format!("pillow/Tests/images/{name}"))),
                1 << 30,
            )
            .unwrap_or_else(|e| panic!("{name}: {e:?}"))
            .0
            .to_luma8()
        };
        let (a, b) = (load("8bit.s.tif"), load("16bit.s.tif"));
        assert_eq!((a.dimensions(), b.dimensions()), ((128, 128), (10, 10)));
        assert!(a.as_raw().iter().any(|&v| v != a.as_raw()[0]), "not flat");
    }

    #[test]
    fn palettes_decode_to_their_colours() {
        // libtiff's flower in 8-bit palette colours, against the 8-bit RGB flower.
        let dir = "image-tiff/tests/libtiffpic/depth/";
        let rgb = image::load_from_memory(&corpus(&format!("{dir}flower-rgb-contig-08.tif")))
            .expect("rgb flower")
            .to_rgb8();
        let (image, _) = decode_palette(&corpus(&format!("{dir}flower-palette-08.tif")), 1 << 30)
            .expect("palette flower");
        let ours = image.to_rgb8();
        assert_eq!(ours.dimensions(), rgb.dimensions());
        let diff = ours
            .as_raw()
            .iter()
            .zip(rgb.as_raw())
            .map(|(&a, &b)| f64::from(a.abs_diff(b)))
            .sum::<f64>()
            / ours.as_raw().len() as f64;
        assert!(diff < 12.0, "mean difference {diff}");
        // 2- and 4-bit indices, and image-tiff's 1-, 4- and 8-bit palettes, decode too.
        for name in ["flower-palette-02.tif", "flower-palette-04.tif"] {
            let (image, _) = decode_palette(&corpus(&format!("{dir}{name}")), 1 << 30)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(image.to_rgb8().dimensions(), rgb.dimensions(), "{name}");
        }
        for name in [
            "palette-1c-1b.tiff",
            "palette-1c-4b.tiff",
            "palette-1c-8b.tiff",
        ] {
            let bytes = corpus(&format!("image-tiff/tests/images/{name}"));
            assert!(probe_palette(&bytes).is_ok(), "{name}");
            decode_palette(&bytes, 1 << 30).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        }
        // Not a palette: left alone.
        assert!(as_grey_indices(&corpus(&format!("{dir}flower-rgb-contig-08.tif"))).is_none());
        assert!(as_grey_indices(b"II*\0").is_none());
    }

    #[test]
    fn the_byte_budget_is_kept_and_other_layouts_stay_unsupported() {
        let bytes = corpus("image-tiff/tests/libtiffpic/depth/flower-minisblack-04.tif");
        assert!(matches!(
            decode(Cursor::new(&bytes), 1000),
            Err(DecodeError::LimitExceeded(_))
        ));
        let palette = corpus("image-tiff/tests/libtiffpic/depth/flower-palette-08.tif");
        assert!(matches!(
            decode(Cursor::new(&palette), 1 << 30),
            Err(DecodeError::Unsupported(_))
        ));
    }
}
